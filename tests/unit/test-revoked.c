/*
 * test-revoked.c - the revoked-list module (common/revoked.c): the line
 * grammar, the lookup pam_jwt uses, the writer the issuer and jwtctl sync
 * use, and the writer/reader round trip.
 *
 * realloc is wrapped by the linker (-Wl,--wrap=realloc) for the
 * allocation-failure loop of the writer.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pjwt_err.h"
#include "pjwt_revoked.h"

#define assert_pjwt(got, want) do { \
	pjwt_err g_ = (got), w_ = (want); \
	if (g_ != w_) \
		fail_msg("%s: got %s (%d), want %s (%d)", #got, \
		    pjwt_strerror(g_), (int)g_, pjwt_strerror(w_), (int)w_); \
} while (0)

static long alloc_fail_at;      /* 0: never fail */
static long alloc_count;

void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);

void *
__wrap_realloc(void *p, size_t n)
{
	if (alloc_fail_at != 0 && ++alloc_count == alloc_fail_at)
		return NULL;
	return __real_realloc(p, n);
}

/* A jti of n bytes of c. */
static char *
word(size_t n, char c)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static pjwt_err
lookup(const char *text, const char *jti, int *ret_revoked, size_t *ret_line)
{
	return pjwt_revoked_lookup(text, strlen(text), jti, ret_revoked,
	    ret_line);
}

static void
test_jti_rule(void **state)
{
	char *max = word(PJWT_REVOKED_JTI_MAX, 'a');
	char *over = word(PJWT_REVOKED_JTI_MAX + 1, 'a');

	(void)state;
	assert_int_equal(pjwt_revoked_jti_listable("abc-_.~!"), 1);
	assert_int_equal(pjwt_revoked_jti_listable(max), 1);
	assert_int_equal(pjwt_revoked_jti_listable(over), 0);
	assert_int_equal(pjwt_revoked_jti_listable(""), 0);
	assert_int_equal(pjwt_revoked_jti_listable(NULL), 0);
	assert_int_equal(pjwt_revoked_jti_listable("a b"), 0);
	assert_int_equal(pjwt_revoked_jti_listable("a\tb"), 0);
	assert_int_equal(pjwt_revoked_jti_listable("a\nb"), 0);
	assert_int_equal(pjwt_revoked_jti_listable("a\x7f"), 0);
	assert_int_equal(pjwt_revoked_jti_listable("\xc3\xa9"), 0);
	assert_int_equal(pjwt_revoked_jti_word(over, 1024), 1);
	assert_int_equal(pjwt_revoked_jti_word(over, PJWT_REVOKED_JTI_MAX), 0);
	assert_int_equal(pjwt_revoked_jti_word("abc", 3), 1);
	assert_int_equal(pjwt_revoked_jti_word("abcd", 3), 0);
	free(max);
	free(over);
}

static void
test_parse_line(void **state)
{
	static const struct {
		const char *line;
		pjwt_err want;
		size_t jti_len;
	} cases[] = {
		{ "", PJWT_OK, 0 },
		{ "# a comment, with anything \x01\xff", PJWT_OK, 0 },
		{ "abc", PJWT_OK, 3 },
		{ "abc 1700000000", PJWT_OK, 3 },
		{ "abc\t1700000000\t ", PJWT_OK, 3 },
		{ "abc ", PJWT_OK, 3 },
		{ "abc 9223372036854775807", PJWT_OK, 3 },
		{ "abc 12345678901234567890", PJWT_E_MALFORMED, 0 },
		{ "abc -1", PJWT_E_MALFORMED, 0 },
		{ "abc +1", PJWT_E_MALFORMED, 0 },
		{ "abc 12 x", PJWT_E_MALFORMED, 0 },
		{ "abc 12x", PJWT_E_MALFORMED, 0 },
		{ "abc def", PJWT_E_MALFORMED, 0 },
		{ " abc", PJWT_E_MALFORMED, 0 },
		{ "\tabc", PJWT_E_MALFORMED, 0 },
		{ " ", PJWT_E_MALFORMED, 0 },
		{ "ab\x01 1", PJWT_E_MALFORMED, 0 },
		{ "ab\xc3\xa9 1", PJWT_E_MALFORMED, 0 },
		{ "abc\r", PJWT_E_MALFORMED, 0 },
	};
	const char *id = NULL;
	size_t i, n = 99;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pjwt_err r = pjwt_revoked_parse_line(cases[i].line,
		    strlen(cases[i].line), &id, &n);

		if (r != cases[i].want)
			fail_msg("case %zu \"%s\": got %s", i, cases[i].line,
			    pjwt_strerror(r));
		if (r == PJWT_OK && n != cases[i].jti_len)
			fail_msg("case %zu: jti length %zu", i, n);
	}
	assert_pjwt(pjwt_revoked_parse_line(NULL, 1, &id, &n),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_revoked_parse_line("a", 1, NULL, &n),
	    PJWT_E_INVALID_ARGUMENT);
}

/*
 * The grammar of pjwt_revoked.h again, written another way (strspn over a
 * NUL-terminated copy), as the reference for a seeded random comparison
 * with pjwt_revoked_parse_line.  Returns the jti length, 0 for a blank or
 * comment line, -1 for a malformed one.
 */
static long
ref_parse(const char *line)
{
	static const char blanks[] = " \t", digits[] = "0123456789";
	size_t id, d;
	const char *p = line;

	if (*p == '\0' || *p == '#')
		return 0;
	id = strcspn(p, " \t");
	for (d = 0; d < id; d++)
		if (p[d] < '!' || p[d] > '~')
			return -1;
	if (id == 0 || id > PJWT_REVOKED_JTI_MAX)
		return -1;
	p += id;
	p += strspn(p, blanks);
	d = strspn(p, digits);
	if (d > 19)
		return -1;
	p += d;
	p += strspn(p, blanks);
	return *p == '\0' ? (long)id : -1;
}

static void
test_parse_line_random(void **state)
{
	/* Every byte class the grammar tells apart. */
	static const char alphabet[] = "a~!# \t09-+\x01\x7f\x80\r";
	char line[48];
	const char *id;
	unsigned long seed = 20261203;
	size_t i, j, n, jl;

	(void)state;
	for (i = 0; i < 200000; i++) {
		long want;
		pjwt_err r;

		seed = seed * 6364136223846793005ul + 1442695040888963407ul;
		n = (seed >> 33) % (sizeof(line) - 1);
		for (j = 0; j < n; j++) {
			seed = seed * 6364136223846793005ul +
			    1442695040888963407ul;
			line[j] = alphabet[(seed >> 33) %
			    (sizeof(alphabet) - 1)];
		}
		line[n] = '\0';
		want = ref_parse(line);
		r = pjwt_revoked_parse_line(line, n, &id, &jl);
		if ((want < 0) != (r != PJWT_OK) ||
		    (r == PJWT_OK && (long)jl != want))
			fail_msg("line %zu \"%s\": parser %s/%zu, reference %ld",
			    i, line, pjwt_strerror(r), jl, want);
	}
}

static void
test_parse_line_length(void **state)
{
	char *max = word(PJWT_REVOKED_JTI_MAX, 'x');
	char *over = word(PJWT_REVOKED_JTI_MAX + 1, 'x');
	const char *id;
	size_t n;

	(void)state;
	assert_pjwt(pjwt_revoked_parse_line(max, strlen(max), &id, &n),
	    PJWT_OK);
	assert_int_equal(n, PJWT_REVOKED_JTI_MAX);
	assert_ptr_equal(id, max);
	assert_pjwt(pjwt_revoked_parse_line(over, strlen(over), &id, &n),
	    PJWT_E_MALFORMED);
	free(max);
	free(over);
}

static void
test_lookup(void **state)
{
	const char *text = "# revoked\n\nabc 1700000000\nxyz\nabcd 1\n";
	int rev = -1;
	size_t line = 0;

	(void)state;
	assert_pjwt(lookup(text, "abc", &rev, &line), PJWT_OK);
	assert_int_equal(rev, 1);
	assert_pjwt(lookup(text, "xyz", &rev, &line), PJWT_OK);
	assert_int_equal(rev, 1);
	assert_pjwt(lookup(text, "abcd", &rev, &line), PJWT_OK);
	assert_int_equal(rev, 1);
	/* prefixes and extensions of listed jtis are not listed */
	assert_pjwt(lookup(text, "ab", &rev, &line), PJWT_OK);
	assert_int_equal(rev, 0);
	assert_pjwt(lookup(text, "abcde", &rev, &line), PJWT_OK);
	assert_int_equal(rev, 0);
	/* the exp of a line does not matter to a reader */
	assert_pjwt(lookup("old 1\n", "old", &rev, &line), PJWT_OK);
	assert_int_equal(rev, 1);
	/* an empty file lists nothing; a last line without '\n' counts */
	assert_pjwt(pjwt_revoked_lookup(NULL, 0, "abc", &rev, &line), PJWT_OK);
	assert_int_equal(rev, 0);
	assert_pjwt(lookup("a 1\nabc", "abc", &rev, &line), PJWT_OK);
	assert_int_equal(rev, 1);
	/* not NUL-terminated: only len bytes are read */
	assert_pjwt(pjwt_revoked_lookup("abc 1\nzzz", 6, "zzz", &rev, &line),
	    PJWT_OK);
	assert_int_equal(rev, 0);
	assert_pjwt(lookup(text, "", &rev, &line), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(lookup(text, NULL, &rev, &line), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_revoked_lookup(NULL, 1, "a", &rev, &line),
	    PJWT_E_INVALID_ARGUMENT);
}

static void
test_lookup_malformed(void **state)
{
	int rev = -1;
	size_t line = 0;

	(void)state;
	/* a bad line anywhere, also after the match, refuses the file */
	assert_pjwt(lookup("abc 1\n# ok\nbad line here\n", "abc", &rev, &line),
	    PJWT_E_MALFORMED);
	assert_int_equal(line, 3);
	assert_int_equal(rev, -1);
	assert_pjwt(lookup("abc 1\r\n", "abc", &rev, &line), PJWT_E_MALFORMED);
	assert_int_equal(line, 1);
	line = 0;
	assert_pjwt(lookup("a\nb\nc\n\x01\n", "zz", &rev, &line),
	    PJWT_E_MALFORMED);
	assert_int_equal(line, 4);
}

static void
test_format_line(void **state)
{
	char out[PJWT_REVOKED_LINE_MAX + 1], small[8];
	char *max = word(PJWT_REVOKED_JTI_MAX, 'm');
	char *over = word(PJWT_REVOKED_JTI_MAX + 1, 'm');
	size_t n = 0;

	(void)state;
	assert_pjwt(pjwt_revoked_format_line("abc", 1700000000, out,
	    sizeof(out), &n), PJWT_OK);
	assert_string_equal(out, "abc 1700000000\n");
	assert_int_equal(n, strlen(out));
	/* the longest line fits the documented bound */
	assert_pjwt(pjwt_revoked_format_line(max, INT64_MAX, out, sizeof(out),
	    &n), PJWT_OK);
	assert_int_equal(n, PJWT_REVOKED_LINE_MAX);
	assert_pjwt(pjwt_revoked_format_line(over, 1, out, sizeof(out), &n),
	    PJWT_E_TOO_LARGE);
	assert_pjwt(pjwt_revoked_format_line("a b", 1, out, sizeof(out), &n),
	    PJWT_E_MALFORMED);
	assert_pjwt(pjwt_revoked_format_line("a\nb 1", 1, out, sizeof(out),
	    &n), PJWT_E_MALFORMED);
	assert_pjwt(pjwt_revoked_format_line("", 1, out, sizeof(out), &n),
	    PJWT_E_MALFORMED);
	assert_pjwt(pjwt_revoked_format_line("abc", -1, out, sizeof(out), &n),
	    PJWT_E_INVALID_ARGUMENT);
	memset(small, 'Z', sizeof(small));
	assert_pjwt(pjwt_revoked_format_line("abcdefgh", 1, small,
	    sizeof(small), &n), PJWT_E_INVALID_ARGUMENT);
	assert_int_equal(small[0], 'Z');
	free(max);
	free(over);
}

/* What the writer writes, the reader reads back. */
static void
test_round_trip(void **state)
{
	char *buf = NULL, *max = word(PJWT_REVOKED_JTI_MAX, 'q');
	char *over = word(PJWT_REVOKED_JTI_MAX + 1, 'q');
	size_t len = 0, cap = 0, line = 0, i;
	int rev = -1;
	char jti[32];

	(void)state;
	for (i = 0; i < 500; i++) {
		snprintf(jti, sizeof(jti), "jti-%zu", i);
		assert_pjwt(pjwt_revoked_append(&buf, &len, &cap, jti,
		    (int64_t)i), PJWT_OK);
	}
	assert_pjwt(pjwt_revoked_append(&buf, &len, &cap, max, INT64_MAX),
	    PJWT_OK);
	assert_pjwt(pjwt_revoked_append(&buf, &len, &cap, over, 1),
	    PJWT_E_TOO_LARGE);
	assert_pjwt(pjwt_revoked_append(&buf, &len, &cap, "a b", 1),
	    PJWT_E_MALFORMED);
	assert_int_equal(strlen(buf), len);
	assert_pjwt(pjwt_revoked_lookup(buf, len, "jti-499", &rev, &line),
	    PJWT_OK);
	assert_int_equal(rev, 1);
	assert_pjwt(pjwt_revoked_lookup(buf, len, max, &rev, &line), PJWT_OK);
	assert_int_equal(rev, 1);
	assert_pjwt(pjwt_revoked_lookup(buf, len, "jti-500", &rev, &line),
	    PJWT_OK);
	assert_int_equal(rev, 0);
	assert_non_null(strstr(buf, "jti-7 7\n"));
	free(buf);
	free(max);
	free(over);
}

/* Fail the Nth realloc for every N: a clean PJWT_E_NOMEM, the buffer so
 * far intact and still owned by the caller, never a crash or a leak. */
static void
test_alloc_failures(void **state)
{
	long n;
	int done = 0, failures = 0;

	(void)state;
	for (n = 1; n < 100 && !done; n++) {
		char *buf = NULL, jti[32];
		size_t len = 0, cap = 0, i;
		pjwt_err r = PJWT_OK;

		alloc_count = 0;
		alloc_fail_at = n;
		for (i = 0; i < 2000 && r == PJWT_OK; i++) {
			size_t before = len;

			snprintf(jti, sizeof(jti), "jti-%zu", i);
			r = pjwt_revoked_append(&buf, &len, &cap, jti, 1);
			if (r == PJWT_E_NOMEM)
				assert_int_equal(len, before);
			else
				assert_pjwt(r, PJWT_OK);
		}
		alloc_fail_at = 0;
		failures += r == PJWT_E_NOMEM;
		if (buf != NULL)
			assert_int_equal(strlen(buf), len);
		done = r == PJWT_OK;
		free(buf);
	}
	assert_true(done);
	/* 2000 lines need several reallocs: each one was made to fail */
	assert_true(failures >= 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jti_rule),
		cmocka_unit_test(test_parse_line),
		cmocka_unit_test(test_parse_line_random),
		cmocka_unit_test(test_parse_line_length),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_lookup_malformed),
		cmocka_unit_test(test_format_line),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
