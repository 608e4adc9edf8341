/*
 * test-users.c - the users-file module (common/user.c, pjwt_user.h) and its
 * libcrypt check (common/user_crypt.c): line parser, whole-file parser with
 * line-numbered errors and duplicates, hash shape, line writer, and an
 * allocation-failure loop over the allocating functions.
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

#include "pjwt_mem.h"
#include "pjwt_user.h"
#include "pjwt_user_crypt.h"

/* yescrypt of "pw", made with tests/daemon/crypt-hash.py. */
#define YH "$y$j9T$bTFobMzRUE6qad4xncGbT/$CeOWyOfkS/v0sp00VkK5YNzQRlkRP1HleBkRwDRbMa/"

/* ---- allocation failures ------------------------------------------------ */

static long alloc_count, alloc_fail_at;   /* 0: never fail */

void *__real_malloc(size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_realloc(void *p, size_t n);

static int
alloc_should_fail(void)
{
	return alloc_fail_at != 0 && ++alloc_count == alloc_fail_at;
}

void *
__wrap_malloc(size_t n)
{
	return alloc_should_fail() ? NULL : __real_malloc(n);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return alloc_should_fail() ? NULL : __real_realloc(p, n);
}

/* A libcrypt stand-in: "legacy" for hashes not starting with '$'. */
static const char *
fake_check(const char *hash, void *arg)
{
	(void)arg;
	return hash[0] == '$' ? NULL : "legacy hash method";
}

/* The same, counting its calls in *arg. */
static const char *
counting_check(const char *hash, void *arg)
{
	(*(int *)arg)++;
	return fake_check(hash, NULL);
}


/* ---- the line parser ---------------------------------------------------- */

static void
test_line(void **state)
{
	static const struct {
		const char *line;
		const char *why;        /* NULL: accepted; else a prefix */
		int entry, locked;
		const char *name, *hash;
	} t[] = {
		{ "alice:" YH, NULL, 1, 0, "alice", YH },
		{ "alice:!" YH, NULL, 1, 1, "alice", YH },
		{ "alice:!", NULL, 1, 1, "alice", "" },
		{ "_s.v-1:" YH, NULL, 1, 0, "_s.v-1", YH },
		{ "abcdefghijabcdefghijabcdefghijab:" YH, NULL, 1, 0,
		  "abcdefghijabcdefghijabcdefghijab", YH },
		{ "", NULL, 0, 0, NULL, NULL },
		{ "# alice:nothing", NULL, 0, 0, NULL, NULL },
		{ "#", NULL, 0, 0, NULL, NULL },
		{ "no colon", "expected name:hash", 0, 0, NULL, NULL },
		{ "Alice:" YH, "bad user name", 0, 0, NULL, NULL },
		{ " alice:" YH, "bad user name", 0, 0, NULL, NULL },
		{ "9lives:" YH, "bad user name", 0, 0, NULL, NULL },
		{ ":" YH, "bad user name", 0, 0, NULL, NULL },
		{ "abcdefghijabcdefghijabcdefghijabc:" YH, "bad user name", 0, 0,
		  NULL, NULL },
		{ "alice:", "empty hash", 0, 0, NULL, NULL },
		{ "alice:" YH ":x", "bad character in hash", 0, 0, NULL, NULL },
		{ "alice:" YH " x", "bad character in hash", 0, 0, NULL, NULL },
		{ "alice:" YH "\t", "bad character in hash", 0, 0, NULL, NULL },
		{ "alice:" YH "\x7f", "bad character in hash", 0, 0, NULL, NULL },
		{ "alice:" YH "\r", "carriage return", 0, 0, NULL, NULL },
		{ "alice:abcdefghijklm", "legacy hash method", 0, 0, NULL, NULL },
		{ "alice:!abcdefghijklm", "legacy hash method", 0, 0, NULL, NULL },
		{ "alice:$y$j9T$salt", "malformed yescrypt hash", 0, 0, NULL, NULL },
		{ "alice:$y$$salt$CeOWyOfkS/v0sp00VkK5YNzQRlkRP1HleBkRwDRbMa/",
		  "malformed yescrypt hash", 0, 0, NULL, NULL },
		{ "alice:$y$j9T$$CeOWyOfkS/v0sp00VkK5YNzQRlkRP1HleBkRwDRbMa/",
		  "malformed yescrypt hash", 0, 0, NULL, NULL },
		{ "alice:$y$j9T$bTFobMzRUE6qad4xncGbT/$CeOWyOfkS/v0sp00VkK5YNzQRlkRP1HleBkRwDRbMa",
		  "malformed yescrypt hash", 0, 0, NULL, NULL },
		{ "alice:$y$j9T$bTFo*MzRUE6qad4xncGbT/$CeOWyOfkS/v0sp00VkK5YNzQRlkRP1HleBkRwDRbMa/",
		  "malformed yescrypt hash", 0, 0, NULL, NULL },
		{ "alice:$6$salt$whatever", NULL, 1, 0, "alice", "$6$salt$whatever" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		pjwt_user_line l;
		const char *why;

		memset(&l, 0x5a, sizeof(l));
		why = pjwt_user_line_parse(t[i].line, strlen(t[i].line),
		    fake_check, NULL, &l);
		if (t[i].why == NULL) {
			if (why != NULL)
				fail_msg("row %zu: refused: %s", i, why);
			assert_int_equal(l.is_entry, t[i].entry);
			if (!t[i].entry)
				continue;
			assert_int_equal(l.locked, t[i].locked);
			assert_int_equal(l.name_len, strlen(t[i].name));
			assert_memory_equal(l.name, t[i].name, l.name_len);
			assert_int_equal(l.hash_len, strlen(t[i].hash));
			if (l.hash_len > 0)
				assert_memory_equal(l.hash, t[i].hash, l.hash_len);
		} else {
			if (why == NULL || strncmp(why, t[i].why,
			    strlen(t[i].why)) != 0)
				fail_msg("row %zu: want \"%s\", got \"%s\"", i,
				    t[i].why, why ? why : "(accepted)");
			/* *ret untouched on error. */
			assert_int_equal(l.is_entry, 0x5a5a5a5a);
			/* A reason never echoes the hash. */
			assert_null(strstr(why, "CeOW"));
		}
	}
}

static void
test_line_edges(void **state)
{
	char big[PJWT_USER_HASH_MAX + 16];
	pjwt_user_line l;
	int calls = 0;

	(void)state;
	/* A NUL inside the length counts as a byte, not the end. */
	assert_string_equal(pjwt_user_line_parse("alice:$y\0x", 10, NULL, NULL,
	    &l), "NUL byte");
	/* The hash limit counts the field including "!": 383 ok, 384 not. */
	memcpy(big, "a:!$6$", 6);
	memset(big + 6, 'x', sizeof(big) - 6);
	assert_null(pjwt_user_line_parse(big, 2 + PJWT_USER_HASH_MAX, NULL,
	    NULL, &l));
	assert_int_equal(l.hash_len, PJWT_USER_HASH_MAX - 1);
	assert_string_equal(pjwt_user_line_parse(big, 3 + PJWT_USER_HASH_MAX,
	    NULL, NULL, &l), "hash too long");
	/* The check runs on the crypt part only, never for a bare "!". */
	assert_null(pjwt_user_line_parse("a:!", 3, counting_check, &calls, &l));
	assert_int_equal(calls, 0);
	assert_null(pjwt_user_line_parse("a:!$1", 5, counting_check, &calls, &l));
	assert_int_equal(calls, 1);
	assert_non_null(pjwt_user_line_parse(NULL, 0, NULL, NULL, &l));
	assert_non_null(pjwt_user_line_parse("a:b", 3, NULL, NULL, NULL));
}

static void
test_hash_shape(void **state)
{
	(void)state;
	assert_null(pjwt_user_hash_shape(YH, strlen(YH)));
	assert_null(pjwt_user_hash_shape("$6$s$h", 6));
	assert_string_equal(pjwt_user_hash_shape("", 0), "empty hash");
	assert_string_equal(pjwt_user_hash_shape(NULL, 3), "empty hash");
	assert_string_equal(pjwt_user_hash_shape("$y$a b", 6),
	    "bad character in hash (a third field?)");
	assert_string_equal(pjwt_user_hash_shape("$y$j9T$s", 8),
	    "malformed yescrypt hash");
	/* Only len bytes are looked at. */
	assert_string_equal(pjwt_user_hash_shape(YH, strlen(YH) - 1),
	    "malformed yescrypt hash");
}

/* ---- the whole-file parser ---------------------------------------------- */

typedef struct rec {
	char log[2048];
	size_t off;
	unsigned entries;
	unsigned stop_at;     /* entry returns -1 on this entry (1-based) */
} rec;

static int
rec_entry(void *arg, unsigned line, const pjwt_user_line *l)
{
	rec *r = arg;

	r->entries++;
	r->off += (size_t)snprintf(r->log + r->off, sizeof(r->log) - r->off,
	    "E%u:%.*s%s;", line, (int)l->name_len, l->name, l->locked ? "!" : "");
	return r->stop_at != 0 && r->entries == r->stop_at ? -1 : 0;
}

static void
rec_bad(void *arg, unsigned line, const char *msg)
{
	rec *r = arg;

	r->off += (size_t)snprintf(r->log + r->off, sizeof(r->log) - r->off,
	    "B%u:%s;", line, msg);
}

static void
test_file(void **state)
{
	static const char f[] =
	    "# users\n"                         /* 1 */
	    "alice:" YH "\n"                    /* 2 */
	    "\n"                                /* 3 */
	    "bob:!" YH "\n"                     /* 4 */
	    "carol\n"                           /* 5 */
	    "alice:" YH "\n"                    /* 6 dup of 2 */
	    "dave:abc\n"                        /* 7 legacy */
	    "alice:" YH "\n"                    /* 8 dup of 6 */
	    "erin:" YH;                         /* 9, no final newline */
	rec r;
	pjwt_user_parse_cb cb = { fake_check, rec_entry, rec_bad, &r };

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(pjwt_users_parse(f, sizeof(f) - 1, &cb),
	    PJWT_E_MALFORMED);
	assert_string_equal(r.log,
	    "E2:alice;E4:bob!;B5:expected name:hash;E6:alice;"
	    "B7:legacy hash method;E8:alice;E9:erin;"
	    "B6:duplicate user alice (also on line 2);"
	    "B8:duplicate user alice (also on line 6);");

	/* A good file; names differing only in length are not duplicates. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(pjwt_users_parse("al:" YH "\nali:" YH "\n#\n",
	    strlen("al:" YH "\nali:" YH "\n#\n"), &cb), PJWT_OK);
	assert_string_equal(r.log, "E1:al;E2:ali;");
	/* Empty file, NULL callbacks. */
	memset(&cb, 0, sizeof(cb));
	assert_int_equal(pjwt_users_parse("", 0, &cb), PJWT_OK);
	assert_int_equal(pjwt_users_parse(NULL, 0, &cb), PJWT_OK);
	assert_int_equal(pjwt_users_parse("x", 1, &cb), PJWT_E_MALFORMED);
	assert_int_equal(pjwt_users_parse(NULL, 1, &cb),
	    PJWT_E_INVALID_ARGUMENT);
	assert_int_equal(pjwt_users_parse("", 0, NULL), PJWT_E_INVALID_ARGUMENT);
	/* The entry callback can stop the parse (its own out-of-memory). */
	memset(&r, 0, sizeof(r));
	r.stop_at = 2;
	cb.entry = rec_entry;
	cb.arg = &r;
	assert_int_equal(pjwt_users_parse(f, sizeof(f) - 1, &cb), PJWT_E_NOMEM);
	assert_int_equal(r.entries, 2);
}

/* ---- name lookup (lenient) ---------------------------------------------- */

static void
test_has_name(void **state)
{
	static const char f[] =
	    "# carol:x\n"
	    "alice:" YH "\n"
	    "Bob:legacy\r\n"        /* refused by the parser, still a name */
	    "no colon\n"
	    ":empty\n"
	    "dave:";
	const char *n;
	size_t l;

	(void)state;
	assert_int_equal(pjwt_users_has_name(f, sizeof(f) - 1, "alice", 5), 1);
	assert_int_equal(pjwt_users_has_name(f, sizeof(f) - 1, "ALICE", 5), 1);
	assert_int_equal(pjwt_users_has_name(f, sizeof(f) - 1, "bob", 3), 1);
	assert_int_equal(pjwt_users_has_name(f, sizeof(f) - 1, "dave", 4), 1);
	assert_int_equal(pjwt_users_has_name(f, sizeof(f) - 1, "carol", 5), 0);
	assert_int_equal(pjwt_users_has_name(f, sizeof(f) - 1, "ali", 3), 0);
	assert_int_equal(pjwt_users_has_name(f, sizeof(f) - 1, "no colon", 8), 0);
	assert_int_equal(pjwt_users_has_name(f, sizeof(f) - 1, "", 0), 1);
	/* Only len bytes: "dave" is past the end here. */
	assert_int_equal(pjwt_users_has_name(f, sizeof(f) - 6, "dave", 4), 0);
	assert_int_equal(pjwt_users_has_name(NULL, 0, "a", 1), 0);
	assert_int_equal(pjwt_user_line_name("a:b", 3, &n, &l), 1);
	assert_int_equal(l, 1);
	assert_int_equal(pjwt_user_line_name("#a:b", 4, &n, &l), 0);
	assert_int_equal(pjwt_user_line_name("", 0, &n, &l), 0);
}

/* ---- the writer --------------------------------------------------------- */

static void
test_format(void **state)
{
	char *s = NULL;
	size_t n = 0;
	pjwt_user_line l;

	(void)state;
	assert_int_equal(pjwt_user_line_format("alice", YH,
	    pjwt_user_crypt_check, NULL, &s, &n), PJWT_OK);
	assert_string_equal(s, "alice:" YH);
	assert_int_equal(n, strlen(s));
	/* What the writer writes, the parser reads back. */
	assert_null(pjwt_user_line_parse(s, n, NULL, NULL, &l));
	assert_int_equal(l.is_entry, 1);
	assert_int_equal(l.hash_len, strlen(YH));
	pjwt_secret_free(s, n + 1);
	assert_int_equal(pjwt_user_line_format("bob", "!",
	    pjwt_user_crypt_check, NULL, &s, &n), PJWT_OK);
	assert_string_equal(s, "bob:!");
	pjwt_secret_free(s, n + 1);
	assert_int_equal(pjwt_user_line_format("bob", "!" YH,
	    pjwt_user_crypt_check, NULL, &s, &n), PJWT_OK);
	pjwt_secret_free(s, n + 1);

	s = NULL;
	assert_int_equal(pjwt_user_line_format("Bob", YH,
	    pjwt_user_crypt_check, NULL, &s, &n),
	    PJWT_E_MALFORMED);
	assert_int_equal(pjwt_user_line_format("bob", "",
	    pjwt_user_crypt_check, NULL, &s, &n),
	    PJWT_E_MALFORMED);
	assert_int_equal(pjwt_user_line_format("bob", "$y$j9T$x",
	    pjwt_user_crypt_check, NULL, &s, &n),
	    PJWT_E_MALFORMED);
	assert_int_equal(pjwt_user_line_format("bob", YH "\nroot:x",
	    pjwt_user_crypt_check, NULL, &s, &n),
	    PJWT_E_MALFORMED);
	assert_int_equal(pjwt_user_line_format("bob", YH ":x",
	    pjwt_user_crypt_check, NULL, &s, &n),
	    PJWT_E_MALFORMED);
	assert_int_equal(pjwt_user_line_format("bob", "!!",
	    pjwt_user_crypt_check, NULL, &s, &n),
	    PJWT_E_MALFORMED);
	/* The pure rules pass "!!"; libcrypt's check refuses it. */
	assert_int_equal(pjwt_user_line_format("bob", "!!", NULL, NULL, &s, &n),
	    PJWT_OK);
	pjwt_secret_free(s, n + 1);
	s = NULL;
	assert_int_equal(pjwt_user_line_format("", YH, NULL, NULL, &s, &n),
	    PJWT_E_MALFORMED);
	assert_int_equal(pjwt_user_line_format(NULL, YH,
	    pjwt_user_crypt_check, NULL, &s, &n),
	    PJWT_E_INVALID_ARGUMENT);
	assert_int_equal(pjwt_user_line_format("bob", YH, NULL, NULL, NULL, &n),
	    PJWT_E_INVALID_ARGUMENT);
	assert_null(s);
}

/* ---- libcrypt's verdict ------------------------------------------------- */

static void
test_crypt_check(void **state)
{
	const char *why;

	(void)state;
	assert_null(pjwt_user_crypt_check(YH, NULL));
	assert_string_equal(pjwt_user_crypt_check("*", NULL), "not a crypt hash");
	why = pjwt_user_crypt_check("abcdefghijklm", NULL);
	/* DES: legacy, or disabled when libxcrypt is built without it. */
	assert_non_null(why);
	assert_true(strncmp(why, "legacy hash method", 18) == 0 ||
	    strcmp(why, "hash method disabled in libcrypt") == 0 ||
	    strcmp(why, "not a crypt hash") == 0);
}

/* ---- allocation-failure loop --------------------------------------------- */

static void
test_alloc_failures(void **state)
{
	char buf[8192];
	size_t off = 0;
	unsigned i;
	long n;
	int done;

	(void)state;
	/* 40 entries: the parser's array grows twice (16, 32, 64). */
	for (i = 0; i < 40; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
		    "user%u:" YH "\n", i);
	for (n = 1, done = 0; !done && n < 100; n++) {
		pjwt_user_parse_cb cb = { NULL, NULL, NULL, NULL };
		pjwt_err e;

		alloc_count = 0;
		alloc_fail_at = n;
		e = pjwt_users_parse(buf, off, &cb);
		alloc_fail_at = 0;
		if (e == PJWT_OK)
			done = 1;
		else
			assert_int_equal(e, PJWT_E_NOMEM);
	}
	assert_true(done);
	assert_true(n > 2);          /* some allocation was actually failed */
	for (n = 1, done = 0; !done && n < 10; n++) {
		char *s = NULL;
		size_t len = 0;
		pjwt_err e;

		alloc_count = 0;
		alloc_fail_at = n;
		e = pjwt_user_line_format("alice", YH, NULL, NULL, &s, &len);
		alloc_fail_at = 0;
		if (e == PJWT_OK) {
			pjwt_secret_free(s, len + 1);
			done = 1;
		} else {
			assert_int_equal(e, PJWT_E_NOMEM);
			assert_null(s);
		}
	}
	assert_true(done);
	assert_true(n > 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line),
		cmocka_unit_test(test_line_edges),
		cmocka_unit_test(test_hash_shape),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_has_name),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_crypt_check),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
