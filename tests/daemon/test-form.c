/*
 * test-form.c - daemon/form.c: the strict x-www-form-urlencoded parser and
 * the UTF-8 check, with exact error codes, and an allocation-failure loop
 * (fail the Nth malloc for every N) as jansson does.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "form.h"

/* Allocation failure injection: malloc number fail_at (1-based) fails. */
void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);
static int fail_at, nmalloc;

void *
__wrap_malloc(size_t n)
{
	if (fail_at > 0 && ++nmalloc == fail_at)
		return NULL;
	return __real_malloc(n);
}

static enum form_err
parse(const char *s, struct form **f)
{
	*f = NULL;
	return form_parse(s, strlen(s), f);
}

static void
test_basic(void **state)
{
	struct form *f;

	(void)state;
	assert_int_equal(parse("grant_type=password&username=al%69ce&password=a+b%2Bc", &f), FORM_OK);
	assert_string_equal(form_get(f, "grant_type"), "password");
	assert_string_equal(form_get(f, "username"), "alice");
	assert_string_equal(form_get(f, "password"), "a b+c");
	assert_null(form_get(f, "scope"));
	form_free(f);
}

static void
test_empty_is_absent(void **state)
{
	struct form *f;

	(void)state;
	assert_int_equal(parse("scope=&a=1&&", &f), FORM_OK);
	assert_null(form_get(f, "scope"));
	assert_string_equal(form_get(f, "a"), "1");
	form_free(f);
	assert_int_equal(parse("", &f), FORM_OK);
	form_free(f);
}

static void
test_errors(void **state)
{
	static const struct { const char *in; enum form_err want; } cases[] = {
		{ "a=1&a=2", FORM_E_REPEATED },
		{ "a=&a=2", FORM_E_REPEATED },
		{ "a=1&%61=2", FORM_E_REPEATED },      /* same after decoding */
		{ "a=%4", FORM_E_ESCAPE },
		{ "a=%zz", FORM_E_ESCAPE },
		{ "a=%", FORM_E_ESCAPE },
		{ "%g1=x", FORM_E_ESCAPE },
		{ "a=%0D%0A", FORM_E_CONTROL },
		{ "a=x%00", FORM_E_CONTROL },
		{ "a=x%7F", FORM_E_CONTROL },
		{ "a=x\ny", FORM_E_CONTROL },
		{ "a=%C3%28", FORM_E_UTF8 },
		{ "a=%C0%AF", FORM_E_UTF8 },           /* overlong '/' */
		{ "a=%ED%A0%80", FORM_E_UTF8 },        /* surrogate */
		{ "a=%F4%90%80%80", FORM_E_UTF8 },     /* > U+10FFFF */
		{ "a=%E2%82", FORM_E_UTF8 },           /* truncated */
		{ "a", FORM_E_SYNTAX },
		{ "=1", FORM_E_SYNTAX },
		{ "a=1&b", FORM_E_SYNTAX },
	};
	struct form *f;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f = NULL;
		assert_int_equal(form_parse(cases[i].in, strlen(cases[i].in), &f),
		    cases[i].want);
		assert_null(f);
	}
	/* A raw NUL inside the body is a control character, not the end. */
	assert_int_equal(form_parse("a=b\0c=d", 7, &f), FORM_E_CONTROL);
}

static void
test_utf8_ok(void **state)
{
	struct form *f;

	(void)state;
	assert_int_equal(parse("username=j%C3%BCrgen&x=%E2%82%AC&y=%F0%9F%94%91", &f), FORM_OK);
	assert_string_equal(form_get(f, "username"), "j\xc3\xbcrgen");
	form_free(f);
}

static void
test_too_many(void **state)
{
	char buf[1024];
	size_t o = 0;
	struct form *f = NULL;

	(void)state;
	for (int i = 0; i <= FORM_MAX_PARAMS; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "p%d=1&", i);
	assert_int_equal(form_parse(buf, o, &f), FORM_E_TOO_MANY);
	assert_null(f);
}

static void
test_alloc_failures(void **state)
{
	static const char in[] = "grant_type=password&username=alice&password=x";
	struct form *f;
	int n;

	(void)state;
	for (n = 1; n < 100; n++) {
		enum form_err r;

		fail_at = n;
		nmalloc = 0;
		f = NULL;
		r = form_parse(in, sizeof(in) - 1, &f);
		fail_at = 0;
		if (r == FORM_OK) {
			assert_string_equal(form_get(f, "username"), "alice");
			form_free(f);
			break;
		}
		assert_int_equal(r, FORM_E_NOMEM);
		assert_null(f);
	}
	assert_true(n > 1 && n < 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_empty_is_absent),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_utf8_ok),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
