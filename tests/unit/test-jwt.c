/*
 * test-jwt.c - pjwt_jwt.h: policy, claims validation (each failure with its
 * specific reason), pjwt_verify_ex info, pjwt_sign, and allocation-failure
 * loops over pjwt_verify and pjwt_sign.
 *
 * Allocation failures are injected in THIS test binary only: libc
 * malloc/calloc/realloc calls made by libpjwt's objects (linked in
 * statically) through -Wl,--wrap (see tests/unit/Makefile.inc), jansson's
 * through json_set_alloc_funcs and OpenSSL's through
 * CRYPTO_set_mem_functions, both set once at the top of main().  libpjwt
 * itself never touches these process-global hooks.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/crypto.h>

#include "testutil.h"

/* ---- allocation-failure injection ------------------------------------- */

enum { ALLOC_NONE, ALLOC_LIBC, ALLOC_JANSSON, ALLOC_OPENSSL };

static long fail_at = -1;     /* fail the fail_at-th allocation; -1: off */
static long nallocs;
static int failed_in;         /* which allocator returned NULL */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);

static int
inject(int who)
{
	if (fail_at < 0)
		return 0;
	if (++nallocs == fail_at) {
		failed_in = who;
		return 1;
	}
	return 0;
}

void *
__wrap_malloc(size_t n)
{
	return inject(ALLOC_LIBC) ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t m)
{
	return inject(ALLOC_LIBC) ? NULL : __real_calloc(n, m);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return inject(ALLOC_LIBC) ? NULL : __real_realloc(p, n);
}

static void *
jansson_malloc(size_t n)
{
	return inject(ALLOC_JANSSON) ? NULL : __real_malloc(n);
}

static void *
ossl_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return inject(ALLOC_OPENSSL) ? NULL : __real_malloc(n);
}

static void *
ossl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return inject(ALLOC_OPENSSL) ? NULL : __real_realloc(p, n);
}

static void
ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

static void
arm(long n)
{
	nallocs = 0;
	failed_in = ALLOC_NONE;
	fail_at = n;
}

static void
disarm(void)
{
	fail_at = -1;
}

/* ---- fixture ------------------------------------------------------------ */

#define ISS "https://id.example"
#define AUD "ssh"

static const pjwt_key *key;        /* EdDSA, the default signer */
static pjwt_keyset *ks;

static pjwt_policy *
policy(void)
{
	pjwt_policy *p = pjwt_policy_new();

	assert_non_null(p);
	assert_pjwt(pjwt_policy_set_issuer(p, ISS), PJWT_OK);
	assert_pjwt(pjwt_policy_set_audience(p, AUD), PJWT_OK);
	assert_pjwt(pjwt_policy_set_now(p, TU_NOW), PJWT_OK);
	return p;
}

/* A default payload with `extra` members appended (", ..." or ""). */
static char *
payload(const char *extra)
{
	return tu_fmt("{\"iss\":\"" ISS "\",\"sub\":\"alice\",\"aud\":\"" AUD
	    "\",\"exp\":%lld,\"iat\":%lld,\"jti\":\"j-1\",\"scope\":\"ssh sudo\"%s}",
	    (long long)(TU_NOW + 300), (long long)TU_NOW, extra);
}

/* Token with header {"alg","kid","typ":typ}(typ NULL: none) + payload. */
static char *
token_typ(const char *typ, const char *body)
{
	char *h, *t;

	if (typ != NULL)
		h = tu_fmt("{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"%s\"}",
		    pjwt_key_kid(key), typ);
	else
		h = tu_fmt("{\"alg\":\"EdDSA\",\"kid\":\"%s\"}",
		    pjwt_key_kid(key));
	t = tu_token(key, h, body);
	free(h);
	return t;
}

/* Verify a token whose payload is body (typ at+jwt) under p. */
static pjwt_err
vp(const pjwt_policy *p, const char *body)
{
	pjwt_claims *c = NULL;
	char *t = token_typ("at+jwt", body);
	pjwt_err r;

	r = pjwt_verify(ks, t, strlen(t), p, &c);
	if (r == PJWT_OK)
		assert_non_null(c);
	else
		assert_null(c);
	pjwt_claims_free(c);
	free(t);
	return r;
}

/* As vp with the default policy. */
static pjwt_err
v(const char *body)
{
	pjwt_policy *p = policy();
	pjwt_err r = vp(p, body);

	pjwt_policy_free(p);
	return r;
}

/* As v, with the payload built from the default plus extra members. */
static pjwt_err
vx(const char *extra)
{
	char *b = payload(extra);
	pjwt_err r = v(b);

	free(b);
	return r;
}

/* A payload text with one member of the default replaced / removed. */
static char *
payload_with(const char *name, const char *json_value)
{
	const char *names[] = { "iss", "sub", "aud", "exp", "iat", "jti", "scope" };
	char *vals[7];
	char *out, *tmp;
	size_t i;

	vals[0] = tu_fmt("\"%s\"", ISS);
	vals[1] = tu_fmt("\"alice\"");
	vals[2] = tu_fmt("\"%s\"", AUD);
	vals[3] = tu_fmt("%lld", (long long)(TU_NOW + 300));
	vals[4] = tu_fmt("%lld", (long long)TU_NOW);
	vals[5] = tu_fmt("\"j-1\"");
	vals[6] = tu_fmt("\"ssh sudo\"");
	out = tu_fmt("{");
	for (i = 0; i < 7; i++) {
		const char *val = vals[i];

		if (strcmp(names[i], name) == 0) {
			if (json_value == NULL)
				continue;   /* removed */
			val = json_value;
		}
		tmp = tu_fmt("%s%s\"%s\":%s", out, out[1] == '\0' ? "" : ",",
		    names[i], val);
		free(out);
		out = tmp;
	}
	tmp = tu_fmt("%s}", out);
	free(out);
	for (i = 0; i < 7; i++)
		free(vals[i]);
	return tmp;
}

/* v() of the default payload with one member replaced (NULL: removed). */
static pjwt_err
vw(const char *name, const char *json_value)
{
	char *b = payload_with(name, json_value);
	pjwt_err r = v(b);

	free(b);
	return r;
}

static pjwt_err
vw_p(const pjwt_policy *p, const char *name, const char *json_value)
{
	char *b = payload_with(name, json_value);
	pjwt_err r = vp(p, b);

	free(b);
	return r;
}

static char *
i64(int64_t x)
{
	return tu_fmt("%lld", (long long)x);
}

/* ---- policy ------------------------------------------------------------- */

/* pjwt_policy_set: every policy option by name, good and bad values, bounds. */
static void
test_policy_set_by_name(void **state)
{
	pjwt_policy *p = pjwt_policy_new();
	const char *why = NULL;

	(void)state;
	assert_non_null(p);
#define OK(n, v) do { why = NULL; \
	assert_pjwt(pjwt_policy_set(p, n, v, &why), PJWT_OK); \
	assert_null(why); } while (0)
#define BAD(n, v) do { why = NULL; \
	assert_pjwt(pjwt_policy_set(p, n, v, &why), PJWT_E_INVALID_ARGUMENT); \
	assert_non_null(why); assert_true(why[0] != '\0'); } while (0)
	/* names */
	BAD("nosuch", "x");
	BAD("", "x");
	BAD(NULL, "x");
	assert_true(pjwt_policy_option_known("leeway"));
	assert_true(pjwt_policy_option_known("allow_machine"));
	assert_false(pjwt_policy_option_known("jwks"));
	assert_false(pjwt_policy_option_known(NULL));
	/* p NULL: check only */
	why = NULL;
	assert_pjwt(pjwt_policy_set(NULL, "leeway", "5", &why), PJWT_OK);
	assert_pjwt(pjwt_policy_set(NULL, "leeway", "86401", &why),
	    PJWT_E_INVALID_ARGUMENT);
	/* strings */
	OK("issuer", "https://id.example");
	BAD("issuer", "");
	BAD("issuer", NULL);
	OK("audience", "ssh");
	BAD("audience", "");
	OK("user_claim", "preferred_username");
	BAD("user_claim", "");
	OK("user", "alice");
	BAD("user", "");
	/* leeway: the one bound, PJWT_MAX_LEEWAY */
	OK("leeway", "0");
	assert_int_equal(pjwt_policy_leeway(p), 0);
	OK("leeway", "86400");
	assert_int_equal(pjwt_policy_leeway(p), PJWT_MAX_LEEWAY);
	assert_int_equal(PJWT_MAX_LEEWAY, 86400);
	BAD("leeway", "86401");
	assert_int_equal(pjwt_policy_leeway(p), 86400);   /* unchanged */
	BAD("leeway", "-1");
	BAD("leeway", "+1");
	BAD("leeway", " 1");
	BAD("leeway", "1 ");
	BAD("leeway", "abc");
	BAD("leeway", "0x10");
	BAD("leeway", "010");
	BAD("leeway", "60s");
	BAD("leeway", "");
	BAD("leeway", NULL);
	BAD("leeway", "99999999999999999999999");
	assert_int_equal(pjwt_policy_leeway(NULL), 0);
	/* max_age */
	OK("max_age", "0");
	OK("max_age", "60");
	OK("max_age", "316224000");
	BAD("max_age", "316224001");
	BAD("max_age", "60s");
	BAD("max_age", "-5");
	/* typ */
	OK("typ", "at+jwt");
	OK("typ", "any");
	BAD("typ", "");
	/* scope */
	OK("scope", "ssh");
	OK("scope", "ssh sudo");
	BAD("scope", " ssh");
	BAD("scope", "ssh ");
	BAD("scope", "ssh  sudo");
	BAD("scope", "");
	/* algorithms */
	OK("algorithms", "EdDSA,ES256");
	BAD("algorithms", "none");
	BAD("algorithms", "HS1");
	BAD("algorithms", "EdDSA,,ES256");
	BAD("algorithms", "");
	/* allow_machine: a flag */
	OK("allow_machine", NULL);
	BAD("allow_machine", "yes");
	/* ret_why may be NULL */
	assert_pjwt(pjwt_policy_set(p, "leeway", "x", NULL),
	    PJWT_E_INVALID_ARGUMENT);
#undef OK
#undef BAD
	pjwt_policy_free(p);
}

static void
test_policy_setters(void **state)
{
	pjwt_policy *p = pjwt_policy_new();
	(void)state;

	assert_non_null(p);
	assert_pjwt(pjwt_policy_set_issuer(NULL, "x"), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_issuer(p, NULL), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_issuer(p, ""), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_issuer(p, "a"), PJWT_OK);
	assert_pjwt(pjwt_policy_set_issuer(p, "b"), PJWT_OK);   /* replaces */
	assert_pjwt(pjwt_policy_set_audience(NULL, "x"),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_audience(p, NULL), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_audience(p, ""), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_audience(p, "ssh"), PJWT_OK);
	assert_pjwt(pjwt_policy_set_leeway(NULL, 0), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_leeway(p, -1), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_leeway(p, 86401), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_leeway(p, INT64_MIN),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_leeway(p, 0), PJWT_OK);
	assert_pjwt(pjwt_policy_set_leeway(p, 86400), PJWT_OK);
	assert_pjwt(pjwt_policy_set_max_age(NULL, 1), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_max_age(p, -1), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_max_age(p, 0), PJWT_OK);
	assert_pjwt(pjwt_policy_set_max_age(p, INT64_MAX), PJWT_OK);
	assert_pjwt(pjwt_policy_set_typ(NULL, "x"), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_typ(p, ""), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_typ(p, NULL), PJWT_OK);
	assert_pjwt(pjwt_policy_set_typ(p, "JWT"), PJWT_OK);
	assert_pjwt(pjwt_policy_set_scopes(NULL, "x"), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_scopes(p, "ssh sudo"), PJWT_OK);
	assert_pjwt(pjwt_policy_set_scopes(p, ""), PJWT_OK);
	assert_pjwt(pjwt_policy_set_scopes(p, "   "), PJWT_OK);
	assert_pjwt(pjwt_policy_set_scopes(p, NULL), PJWT_OK);
	assert_pjwt(pjwt_policy_set_user_claim(NULL, "x"),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_user_claim(p, NULL),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_user_claim(p, ""), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_user_claim(p, "preferred_username"),
	    PJWT_OK);
	assert_pjwt(pjwt_policy_set_user(NULL, "x"), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_user(p, ""), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_user(p, "alice"), PJWT_OK);
	assert_pjwt(pjwt_policy_set_user(p, NULL), PJWT_OK);
	assert_pjwt(pjwt_policy_set_algorithms(NULL, 0),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_algorithms(p, 1u),   /* UNKNOWN bit */
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_algorithms(p, 1u << PJWT_ALG_COUNT),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_algorithms(p, PJWT_ALG_MASK_ALL), PJWT_OK);
	assert_pjwt(pjwt_policy_set_algorithms(p, 0), PJWT_OK);
	assert_pjwt(pjwt_policy_set_max_len(NULL, 0), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_max_len(p, 0), PJWT_OK);
	assert_pjwt(pjwt_policy_set_max_len(p, 1023), PJWT_OK);
	assert_pjwt(pjwt_policy_set_now(NULL, 1), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_now(p, 0), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_now(p, -5), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_now(p, TU_NOW), PJWT_OK);
	assert_null(pjwt_policy_free(p));
	assert_null(pjwt_policy_free(NULL));
}

static void
test_verify_requires_policy(void **state)
{
	char *b = payload(""), *t = token_typ("at+jwt", b);
	size_t len = strlen(t);
	pjwt_claims *c = NULL;
	pjwt_policy *p = pjwt_policy_new();
	(void)state;

	/* Fresh policy: no issuer, audience, now. */
	assert_pjwt(pjwt_verify(ks, t, len, p, &c), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_issuer(p, ISS), PJWT_OK);
	assert_pjwt(pjwt_verify(ks, t, len, p, &c), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_audience(p, AUD), PJWT_OK);
	assert_pjwt(pjwt_verify(ks, t, len, p, &c), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_now(p, TU_NOW), PJWT_OK);
	assert_pjwt(pjwt_verify(ks, t, len, p, &c), PJWT_OK);
	c = pjwt_claims_free(c);
	pjwt_policy_free(p);
	/* Issuer and now set, audience not; audience and now, issuer not. */
	p = pjwt_policy_new();
	pjwt_policy_set_issuer(p, ISS);
	pjwt_policy_set_now(p, TU_NOW);
	assert_pjwt(pjwt_verify(ks, t, len, p, &c), PJWT_E_INVALID_ARGUMENT);
	pjwt_policy_free(p);
	p = pjwt_policy_new();
	pjwt_policy_set_audience(p, AUD);
	pjwt_policy_set_now(p, TU_NOW);
	assert_pjwt(pjwt_verify(ks, t, len, p, &c), PJWT_E_INVALID_ARGUMENT);
	pjwt_policy_free(p);
	/* NULL arguments. */
	p = policy();
	assert_pjwt(pjwt_verify(NULL, t, len, p, &c), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_verify(ks, NULL, len, p, &c), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_verify(ks, t, len, NULL, &c), PJWT_E_INVALID_ARGUMENT);
	assert_null(c);
	/* ret_claims may be NULL: verify only. */
	assert_pjwt(pjwt_verify(ks, t, len, p, NULL), PJWT_OK);
	pjwt_policy_free(p);
	free(t);
	free(b);
}

static void
test_valid_and_getters(void **state)
{
	char *b = payload(",\"n\":42,\"r\":-7.9,\"big\":1e300,\"s\":\"x\"");
	char *t = token_typ("at+jwt", b);
	pjwt_policy *p = policy();
	pjwt_claims *c = NULL;
	int64_t x = 0;
	(void)state;

	assert_pjwt(pjwt_verify(ks, t, strlen(t), p, &c), PJWT_OK);
	assert_string_equal(pjwt_claims_user(c), "alice");
	assert_string_equal(pjwt_claims_kid(c), pjwt_key_kid(key));
	assert_int_equal(pjwt_claims_alg(c), PJWT_ALG_EDDSA);
	assert_string_equal(json_string_value(json_object_get(
	    pjwt_claims_json(c), "jti")), "j-1");
	assert_string_equal(json_string_value(json_object_get(
	    pjwt_claims_header(c), "typ")), "at+jwt");
	assert_string_equal(pjwt_claims_get_string(c, "iss"), ISS);
	assert_null(pjwt_claims_get_string(c, "n"));
	assert_null(pjwt_claims_get_string(c, "nope"));
	assert_null(pjwt_claims_get_string(c, NULL));
	assert_pjwt(pjwt_claims_get_int(c, "n", &x), PJWT_OK);
	assert_int_equal(x, 42);
	assert_pjwt(pjwt_claims_get_int(c, "r", &x), PJWT_OK);
	assert_int_equal(x, -7);
	assert_pjwt(pjwt_claims_get_int(c, "exp", &x), PJWT_OK);
	assert_int_equal(x, TU_NOW + 300);
	x = 5;
	assert_pjwt(pjwt_claims_get_int(c, "s", &x), PJWT_E_MALFORMED);
	assert_pjwt(pjwt_claims_get_int(c, "big", &x), PJWT_E_MALFORMED);
	assert_pjwt(pjwt_claims_get_int(c, "nope", &x), PJWT_E_MISSING_CLAIM);
	assert_int_equal(x, 5);
	assert_pjwt(pjwt_claims_get_int(c, NULL, &x), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_claims_get_int(c, "n", NULL), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_claims_get_int(NULL, "n", &x),
	    PJWT_E_INVALID_ARGUMENT);
	assert_null(pjwt_claims_free(c));
	/* Getters are NULL-safe. */
	assert_null(pjwt_claims_json(NULL));
	assert_null(pjwt_claims_header(NULL));
	assert_null(pjwt_claims_user(NULL));
	assert_null(pjwt_claims_kid(NULL));
	assert_int_equal(pjwt_claims_alg(NULL), PJWT_ALG_UNKNOWN);
	assert_null(pjwt_claims_get_string(NULL, "x"));
	assert_null(pjwt_claims_free(NULL));
	pjwt_policy_free(p);
	free(t);
	free(b);
}

/* ---- typ ----------------------------------------------------------------- */

static void
test_typ(void **state)
{
	static const char *const same[] = {
		"at+jwt", "AT+JWT", "At+Jwt", "application/at+jwt",
		"APPLICATION/AT+JWT", "Application/at+JWT",
	};
	static const char *const other[] = {
		"JWT", "jwt", "at+jwt ", " at+jwt", "at+jw", "at+jwtx",
		"text/at+jwt", "application/jwt", "application/", "applicationat+jwt",
		"application/application/at+jwt", "at jwt", "",
	};
	char *b = payload(""), *t;
	pjwt_policy *p = policy();
	pjwt_claims *c = NULL;
	size_t i, j;
	(void)state;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		t = token_typ(same[i], b);
		assert_pjwt(pjwt_verify(ks, t, strlen(t), p, NULL), PJWT_OK);
		free(t);
		for (j = 0; j < sizeof(same) / sizeof(same[0]); j++)
			assert_int_equal(pjwt_typ_equal(same[i], same[j]), 1);
		for (j = 0; j < sizeof(other) / sizeof(other[0]); j++)
			assert_int_equal(pjwt_typ_equal(same[i], other[j]), 0);
	}
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		t = token_typ(other[i], b);
		assert_pjwt(pjwt_verify(ks, t, strlen(t), p, NULL),
		    PJWT_E_TYP_MISMATCH);
		free(t);
	}
	/* No typ at all: a mismatch when one is required. */
	t = token_typ(NULL, b);
	assert_pjwt(pjwt_verify(ks, t, strlen(t), p, NULL),
	    PJWT_E_TYP_MISMATCH);
	/* Policy typ NULL: any typ, or none. */
	assert_pjwt(pjwt_policy_set_typ(p, NULL), PJWT_OK);
	assert_pjwt(pjwt_verify(ks, t, strlen(t), p, &c), PJWT_OK);
	c = pjwt_claims_free(c);
	free(t);
	t = token_typ("whatever/thing", b);
	assert_pjwt(pjwt_verify(ks, t, strlen(t), p, NULL), PJWT_OK);
	free(t);
	/* typ not a string: malformed, whatever the policy. */
	t = tu_token(key, "{\"alg\":\"EdDSA\",\"typ\":1}", b);
	assert_pjwt(pjwt_verify(ks, t, strlen(t), p, NULL), PJWT_E_MALFORMED);
	assert_pjwt(pjwt_policy_set_typ(p, "at+jwt"), PJWT_OK);
	assert_pjwt(pjwt_verify(ks, t, strlen(t), p, NULL), PJWT_E_MALFORMED);
	free(t);
	t = tu_token(key, "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\\u0000\"}", b);
	assert_pjwt(pjwt_verify(ks, t, strlen(t), p, NULL), PJWT_E_MALFORMED);
	free(t);
	/* Policy written with the prefix matches the short form. */
	assert_pjwt(pjwt_policy_set_typ(p, "application/AT+JWT"), PJWT_OK);
	t = token_typ("at+jwt", b);
	assert_pjwt(pjwt_verify(ks, t, strlen(t), p, NULL), PJWT_OK);
	free(t);
	/* A custom typ. */
	assert_pjwt(pjwt_policy_set_typ(p, "JWT"), PJWT_OK);
	t = token_typ("jwt", b);
	assert_pjwt(pjwt_verify(ks, t, strlen(t), p, NULL), PJWT_OK);
	free(t);
	t = token_typ("at+jwt", b);
	assert_pjwt(pjwt_verify(ks, t, strlen(t), p, NULL),
	    PJWT_E_TYP_MISMATCH);
	free(t);

	assert_int_equal(pjwt_typ_equal(NULL, "at+jwt"), 0);
	assert_int_equal(pjwt_typ_equal("at+jwt", NULL), 0);
	assert_int_equal(pjwt_typ_equal("", ""), 0);
	assert_int_equal(pjwt_typ_equal("text/plain", "TEXT/PLAIN"), 1);
	assert_int_equal(pjwt_typ_equal("text/plain", "plain"), 0);
	assert_int_equal(pjwt_typ_equal("jose+json", "application/JOSE+JSON"),
	    1);
	pjwt_policy_free(p);
	free(b);
}

/* ---- iss, aud ------------------------------------------------------------ */

static void
test_iss(void **state)
{
	(void)state;
	assert_pjwt(vw("iss", "\"" ISS "\""), PJWT_OK);
	assert_pjwt(vw("iss", "\"https://evil.example\""), PJWT_E_ISS_MISMATCH);
	assert_pjwt(vw("iss", "\"" ISS "/\""), PJWT_E_ISS_MISMATCH);
	assert_pjwt(vw("iss", "\"https://id.exampl\""), PJWT_E_ISS_MISMATCH);
	assert_pjwt(vw("iss", "\"HTTPS://ID.EXAMPLE\""), PJWT_E_ISS_MISMATCH);
	/* jansson refuses \u0000 (no JSON_ALLOW_NUL): malformed. */
	assert_pjwt(vw("iss", "\"" ISS "\\u0000x\""), PJWT_E_MALFORMED);
	assert_pjwt(vw("iss", "\"\""), PJWT_E_ISS_MISMATCH);
	assert_pjwt(vw("iss", NULL), PJWT_E_ISS_MISMATCH);
	assert_pjwt(vw("iss", "[\"" ISS "\"]"), PJWT_E_MALFORMED);
	assert_pjwt(vw("iss", "null"), PJWT_E_MALFORMED);
	assert_pjwt(vw("iss", "1"), PJWT_E_MALFORMED);
}

static void
test_aud(void **state)
{
	(void)state;
	assert_pjwt(vw("aud", "\"ssh\""), PJWT_OK);
	assert_pjwt(vw("aud", "[\"ssh\"]"), PJWT_OK);
	assert_pjwt(vw("aud", "[\"web\",\"ssh\",\"sudo\"]"), PJWT_OK);
	/* missing */
	assert_pjwt(vw("aud", NULL), PJWT_E_AUD_MISMATCH);
	/* string mismatch */
	assert_pjwt(vw("aud", "\"web\""), PJWT_E_AUD_MISMATCH);
	assert_pjwt(vw("aud", "\"SSH\""), PJWT_E_AUD_MISMATCH);
	assert_pjwt(vw("aud", "\"ssh \""), PJWT_E_AUD_MISMATCH);
	assert_pjwt(vw("aud", "\"ssh sudo\""), PJWT_E_AUD_MISMATCH);
	assert_pjwt(vw("aud", "\"ssh\\u0000\""), PJWT_E_MALFORMED);
	assert_pjwt(vw("aud", "\"\""), PJWT_E_AUD_MISMATCH);
	/* array without ours */
	assert_pjwt(vw("aud", "[\"web\",\"sudo\"]"), PJWT_E_AUD_MISMATCH);
	assert_pjwt(vw("aud", "[]"), PJWT_E_AUD_MISMATCH);
	assert_pjwt(vw("aud", "[\"ss\",\"sshx\"]"), PJWT_E_AUD_MISMATCH);
	/* not strings */
	assert_pjwt(vw("aud", "[\"ssh\",1]"), PJWT_E_MALFORMED);
	assert_pjwt(vw("aud", "[1,\"ssh\"]"), PJWT_E_MALFORMED);
	assert_pjwt(vw("aud", "[[\"ssh\"]]"), PJWT_E_MALFORMED);
	assert_pjwt(vw("aud", "[null]"), PJWT_E_MALFORMED);
	assert_pjwt(vw("aud", "1"), PJWT_E_MALFORMED);
	assert_pjwt(vw("aud", "null"), PJWT_E_MALFORMED);
	assert_pjwt(vw("aud", "{\"ssh\":true}"), PJWT_E_MALFORMED);
}

/* ---- times --------------------------------------------------------------- */

static void
test_exp(void **state)
{
	pjwt_policy *p = policy();
	char *s;
	(void)state;

	assert_pjwt(vw("exp", NULL), PJWT_E_MISSING_CLAIM);
	/* Leeway 60: valid while now < exp + 60. */
	s = i64(TU_NOW - 60);
	assert_pjwt(vw("exp", s), PJWT_E_EXPIRED);
	free(s);
	s = i64(TU_NOW - 59);
	assert_pjwt(vw("exp", s), PJWT_OK);
	free(s);
	s = i64(TU_NOW - 3600);
	assert_pjwt(vw("exp", s), PJWT_E_EXPIRED);
	free(s);
	/* Leeway 0: exp == now is expired (RFC 7519: before exp). */
	assert_pjwt(pjwt_policy_set_leeway(p, 0), PJWT_OK);
	s = i64(TU_NOW);
	assert_pjwt(vw_p(p, "exp", s), PJWT_E_EXPIRED);
	free(s);
	s = i64(TU_NOW + 1);
	assert_pjwt(vw_p(p, "exp", s), PJWT_OK);
	free(s);
	/* Types. */
	assert_pjwt(vw("exp", "\"999\""), PJWT_E_MALFORMED);
	assert_pjwt(vw("exp", "\"9999999999\""), PJWT_E_MALFORMED);
	assert_pjwt(vw("exp", "true"), PJWT_E_MALFORMED);
	assert_pjwt(vw("exp", "null"), PJWT_E_MALFORMED);
	assert_pjwt(vw("exp", "[9999999999]"), PJWT_E_MALFORMED);
	assert_pjwt(vw("exp", "{}"), PJWT_E_MALFORMED);
	/* Reals: finite and in range are truncated; else malformed. */
	assert_pjwt(vw("exp", "1.5e9"), PJWT_OK);
	assert_pjwt(vw("exp", "1500000000.9"), PJWT_OK);
	assert_pjwt(vw("exp", "1.3e9"), PJWT_E_EXPIRED);
	assert_pjwt(vw("exp", "1e999"), PJWT_E_MALFORMED);    /* jansson: inf */
	assert_pjwt(vw("exp", "-1e999"), PJWT_E_MALFORMED);
	assert_pjwt(vw("exp", "1e300"), PJWT_E_MALFORMED);    /* > int64 */
	assert_pjwt(vw("exp", "9.3e18"), PJWT_E_MALFORMED);
	assert_pjwt(vw("exp", "9223372036854775808.0"), PJWT_E_MALFORMED);
	assert_pjwt(vw("exp", "-1e300"), PJWT_E_MALFORMED);
	/* Not JSON at all: NaN, Infinity, hex, leading +. */
	assert_pjwt(vw("exp", "NaN"), PJWT_E_MALFORMED);
	assert_pjwt(vw("exp", "nan"), PJWT_E_MALFORMED);
	assert_pjwt(vw("exp", "Infinity"), PJWT_E_MALFORMED);
	assert_pjwt(vw("exp", "-Infinity"), PJWT_E_MALFORMED);
	assert_pjwt(vw("exp", "0x7fffffff"), PJWT_E_MALFORMED);
	assert_pjwt(vw("exp", "+9999999999"), PJWT_E_MALFORMED);
	/* Integers beyond int64: jansson refuses them. */
	assert_pjwt(vw("exp", "9223372036854775808"), PJWT_E_MALFORMED);
	assert_pjwt(vw("exp", "18446744073709551615"), PJWT_E_MALFORMED);
	/* int64 extremes: no overflow anywhere (UBSan watches). */
	assert_pjwt(vw("exp", "9223372036854775807"), PJWT_OK);
	assert_pjwt(vw("exp", "-9223372036854775808"), PJWT_E_EXPIRED);
	assert_pjwt(vw("exp", "0"), PJWT_E_EXPIRED);
	assert_pjwt(vw("exp", "-1"), PJWT_E_EXPIRED);
	pjwt_policy_free(p);
}

static void
test_nbf(void **state)
{
	char *e;
	(void)state;

	/* Valid from nbf - leeway. */
	e = tu_fmt(",\"nbf\":%lld", (long long)(TU_NOW + 61));
	assert_pjwt(vx(e), PJWT_E_NOT_YET_VALID);
	free(e);
	e = tu_fmt(",\"nbf\":%lld", (long long)(TU_NOW + 60));
	assert_pjwt(vx(e), PJWT_OK);
	free(e);
	e = tu_fmt(",\"nbf\":%lld", (long long)(TU_NOW - 1000));
	assert_pjwt(vx(e), PJWT_OK);
	free(e);
	assert_pjwt(vx(",\"nbf\":9223372036854775807"), PJWT_E_NOT_YET_VALID);
	assert_pjwt(vx(",\"nbf\":-9223372036854775808"), PJWT_OK);
	assert_pjwt(vx(",\"nbf\":\"0\""), PJWT_E_MALFORMED);
	assert_pjwt(vx(",\"nbf\":null"), PJWT_E_MALFORMED);
	assert_pjwt(vx(",\"nbf\":1e300"), PJWT_E_MALFORMED);
	assert_pjwt(vx(",\"nbf\":1.4e9"), PJWT_OK);
}

static void
test_iat_and_max_age(void **state)
{
	pjwt_policy *p = policy();
	char *s;
	(void)state;

	/* iat in the future beyond leeway. */
	s = i64(TU_NOW + 61);
	assert_pjwt(vw("iat", s), PJWT_E_IAT_FUTURE);
	free(s);
	s = i64(TU_NOW + 60);
	assert_pjwt(vw("iat", s), PJWT_OK);
	free(s);
	assert_pjwt(vw("iat", "9223372036854775807"), PJWT_E_IAT_FUTURE);
	assert_pjwt(vw("iat", "\"1400000000\""), PJWT_E_MALFORMED);
	assert_pjwt(vw("iat", "false"), PJWT_E_MALFORMED);
	/* iat optional without max_age. */
	assert_pjwt(vw("iat", NULL), PJWT_OK);

	/* max_age 600: iat required, now <= iat + 600 + 60. */
	assert_pjwt(pjwt_policy_set_max_age(p, 600), PJWT_OK);
	assert_pjwt(vw_p(p, "iat", NULL), PJWT_E_MISSING_CLAIM);
	s = i64(TU_NOW - 660);
	assert_pjwt(vw_p(p, "iat", s), PJWT_OK);
	free(s);
	s = i64(TU_NOW - 661);
	assert_pjwt(vw_p(p, "iat", s), PJWT_E_TOO_OLD);
	free(s);
	assert_pjwt(vw_p(p, "iat", "-9223372036854775808"), PJWT_E_TOO_OLD);
	assert_pjwt(vw_p(p, "iat", "\"x\""), PJWT_E_MALFORMED);
	/* Huge max_age: never too old, no overflow. */
	assert_pjwt(pjwt_policy_set_max_age(p, INT64_MAX), PJWT_OK);
	s = i64(TU_NOW - 1);
	assert_pjwt(vw_p(p, "iat", s), PJWT_OK);
	free(s);
	assert_pjwt(vw_p(p, "iat", "-9223372036854775808"), PJWT_E_TOO_OLD);
	pjwt_policy_free(p);
}

/* The clock at the end of time: no signed overflow anywhere. */
static void
test_time_extremes(void **state)
{
	pjwt_policy *p = policy();
	(void)state;

	assert_pjwt(pjwt_policy_set_now(p, INT64_MAX), PJWT_OK);
	assert_pjwt(pjwt_policy_set_leeway(p, 86400), PJWT_OK);
	assert_pjwt(pjwt_policy_set_max_age(p, INT64_MAX), PJWT_OK);
	assert_pjwt(vw_p(p, "exp", "9223372036854775807"), PJWT_OK);
	assert_pjwt(vw_p(p, "exp", "9223372036854689407"), PJWT_E_EXPIRED);
	assert_pjwt(vw_p(p, "exp", "9223372036854689408"), PJWT_OK);
	{
		char *b = tu_fmt("{\"iss\":\"" ISS "\",\"sub\":\"a\",\"aud\":\"ssh\","
		    "\"exp\":9223372036854775807,\"nbf\":9223372036854775807,"
		    "\"iat\":9223372036854775807}");

		assert_pjwt(vp(p, b), PJWT_OK);
		free(b);
		b = tu_fmt("{\"iss\":\"" ISS "\",\"sub\":\"a\",\"aud\":\"ssh\","
		    "\"exp\":9223372036854775807,"
		    "\"iat\":-9223372036854775808}");
		assert_pjwt(vp(p, b), PJWT_E_TOO_OLD);
		free(b);
	}
	pjwt_policy_free(p);
}

/* ---- user, scopes --------------------------------------------------------- */

static void
test_user_claim(void **state)
{
	pjwt_policy *p = policy();
	pjwt_claims *c = NULL;
	char *b, *t;
	(void)state;

	assert_pjwt(vw("sub", NULL), PJWT_E_MISSING_CLAIM);
	assert_pjwt(vw("sub", "1"), PJWT_E_MALFORMED);
	assert_pjwt(vw("sub", "null"), PJWT_E_MALFORMED);
	assert_pjwt(vw("sub", "[\"alice\"]"), PJWT_E_MALFORMED);
	assert_pjwt(vw("sub", "\"\""), PJWT_E_MALFORMED);
	assert_pjwt(vw("sub", "\"alice\\u0000root\""), PJWT_E_MALFORMED);
	/* Expected user. */
	assert_pjwt(pjwt_policy_set_user(p, "alice"), PJWT_OK);
	assert_pjwt(vw_p(p, "sub", "\"alice\""), PJWT_OK);
	assert_pjwt(vw_p(p, "sub", "\"root\""), PJWT_E_USER_MISMATCH);
	assert_pjwt(vw_p(p, "sub", "\"Alice\""), PJWT_E_USER_MISMATCH);
	assert_pjwt(vw_p(p, "sub", "\"alice \""), PJWT_E_USER_MISMATCH);
	assert_pjwt(vw_p(p, "sub", "\"alic\""), PJWT_E_USER_MISMATCH);
	assert_pjwt(vw_p(p, "sub", NULL), PJWT_E_MISSING_CLAIM);
	/* Another user claim. */
	assert_pjwt(pjwt_policy_set_user_claim(p, "preferred_username"),
	    PJWT_OK);
	assert_pjwt(vw_p(p, "sub", "\"alice\""), PJWT_E_MISSING_CLAIM);
	b = payload(",\"preferred_username\":\"alice\"");
	t = token_typ("at+jwt", b);
	assert_pjwt(pjwt_verify(ks, t, strlen(t), p, &c), PJWT_OK);
	assert_string_equal(pjwt_claims_user(c), "alice");
	c = pjwt_claims_free(c);
	free(t);
	free(b);
	b = payload(",\"preferred_username\":\"bob\"");
	assert_pjwt(vp(p, b), PJWT_E_USER_MISMATCH);
	free(b);
	assert_pjwt(pjwt_policy_set_user(p, NULL), PJWT_OK);
	b = payload(",\"preferred_username\":\"bob\"");
	assert_pjwt(vp(p, b), PJWT_OK);
	free(b);
	pjwt_policy_free(p);
}

static void
test_scopes(void **state)
{
	pjwt_policy *p = policy();
	(void)state;

	/* No required scopes: scope may be anything or absent. */
	assert_pjwt(vw("scope", NULL), PJWT_OK);
	assert_pjwt(vw("scope", "1"), PJWT_OK);
	assert_pjwt(pjwt_policy_set_scopes(p, "ssh"), PJWT_OK);
	assert_pjwt(vw_p(p, "scope", "\"ssh\""), PJWT_OK);
	assert_pjwt(vw_p(p, "scope", "\"sudo ssh\""), PJWT_OK);
	assert_pjwt(vw_p(p, "scope", "\"  ssh  \""), PJWT_OK);
	assert_pjwt(vw_p(p, "scope", "\"sshd\""), PJWT_E_SCOPE_MISSING);
	assert_pjwt(vw_p(p, "scope", "\"ss\""), PJWT_E_SCOPE_MISSING);
	assert_pjwt(vw_p(p, "scope", "\"xssh\""), PJWT_E_SCOPE_MISSING);
	assert_pjwt(vw_p(p, "scope", "\"SSH\""), PJWT_E_SCOPE_MISSING);
	assert_pjwt(vw_p(p, "scope", "\"ssh:admin\""), PJWT_E_SCOPE_MISSING);
	assert_pjwt(vw_p(p, "scope", "\"\""), PJWT_E_SCOPE_MISSING);
	assert_pjwt(vw_p(p, "scope", NULL), PJWT_E_SCOPE_MISSING);
	assert_pjwt(vw_p(p, "scope", "[\"ssh\"]"), PJWT_E_MALFORMED);
	assert_pjwt(vw_p(p, "scope", "null"), PJWT_E_MALFORMED);
	assert_pjwt(vw_p(p, "scope", "\"ssh\\u0000\""), PJWT_E_MALFORMED);
	/* All of several. */
	assert_pjwt(pjwt_policy_set_scopes(p, " ssh  sudo "), PJWT_OK);
	assert_pjwt(vw_p(p, "scope", "\"sudo x ssh\""), PJWT_OK);
	assert_pjwt(vw_p(p, "scope", "\"ssh\""), PJWT_E_SCOPE_MISSING);
	assert_pjwt(vw_p(p, "scope", "\"sudo\""), PJWT_E_SCOPE_MISSING);
	assert_pjwt(vw_p(p, "scope", "\"ssh-sudo\""), PJWT_E_SCOPE_MISSING);
	assert_pjwt(pjwt_policy_set_scopes(p, NULL), PJWT_OK);
	assert_pjwt(vw_p(p, "scope", NULL), PJWT_OK);

	assert_int_equal(pjwt_scope_has("ssh sudo", "ssh"), 1);
	assert_int_equal(pjwt_scope_has("ssh sudo", "sudo"), 1);
	assert_int_equal(pjwt_scope_has(" ssh  sudo ", "sudo"), 1);
	assert_int_equal(pjwt_scope_has("ssh sudo", "su"), 0);
	assert_int_equal(pjwt_scope_has("ssh sudo", "ssh sudo"), 0);
	assert_int_equal(pjwt_scope_has("ssh sudo", ""), 0);
	assert_int_equal(pjwt_scope_has("", "ssh"), 0);
	assert_int_equal(pjwt_scope_has(NULL, "ssh"), 0);
	assert_int_equal(pjwt_scope_has("ssh", NULL), 0);
	assert_int_equal(pjwt_scope_has("sshd", "ssh"), 0);
	assert_int_equal(pjwt_scope_has("ssh\tsudo", "ssh"), 0);
	pjwt_policy_free(p);
}

/* ---- machine tokens (client_credentials) ------------------------------------ */

/*
 * A token the issuer minted for a client without a user (gty
 * client_credentials) is refused by default whatever its sub says; a policy
 * that allows machine tokens accepts it.  gty of another value is a user's
 * token; gty of a wrong type fails closed.
 */
static void
test_machine_token(void **state)
{
	pjwt_policy *p = policy();
	(void)state;

	assert_string_equal(pjwt_strerror(PJWT_E_MACHINE_TOKEN),
	    "machine_token");
	assert_pjwt(vx(",\"" PJWT_CLAIM_GRANT_TYPE "\":\""
	    PJWT_GRANT_CLIENT_CREDENTIALS "\""), PJWT_E_MACHINE_TOKEN);
	/* Before the user check: the reason names what it is. */
	assert_pjwt(pjwt_policy_set_user(p, "bob"), PJWT_OK);
	{
		char *b = payload(",\"gty\":\"client_credentials\"");

		assert_pjwt(vp(p, b), PJWT_E_MACHINE_TOKEN);
		free(b);
	}
	pjwt_policy_free(p);
	p = policy();
	/* Whoever issued it: another issuer's spelling of the grant, and
	 * RFC 9068 2.2's shape of a client's own token (sub is the client
	 * id, in client_id or azp) are machine tokens too. */
	assert_pjwt(vx(",\"gty\":\"client-credentials\""),
	    PJWT_E_MACHINE_TOKEN);
	assert_pjwt(vx(",\"client_id\":\"alice\""), PJWT_E_MACHINE_TOKEN);
	assert_pjwt(vx(",\"azp\":\"alice\""), PJWT_E_MACHINE_TOKEN);
	assert_pjwt(vx(",\"client_id\":\"ssh-cli\",\"azp\":\"alice\""),
	    PJWT_E_MACHINE_TOKEN);
	assert_pjwt(vx(",\"client_id\":\"ssh-cli\""), PJWT_OK);
	assert_pjwt(vx(",\"client_id\":\"Alice\",\"azp\":\"ssh-cli\""),
	    PJWT_OK);
	assert_pjwt(vx(",\"client_id\":1"), PJWT_E_MALFORMED);
	assert_pjwt(vx(",\"gty\":\"password\""), PJWT_OK);
	assert_pjwt(vx(",\"gty\":\"refresh_token\""), PJWT_OK);
	assert_pjwt(vx(",\"gty\":\"Client_Credentials\""), PJWT_OK);
	assert_pjwt(vx(",\"gty\":1"), PJWT_E_MALFORMED);
	assert_pjwt(vx(",\"gty\":null"), PJWT_E_MALFORMED);
	assert_pjwt(vx(",\"gty\":[\"client_credentials\"]"), PJWT_E_MALFORMED);
	assert_pjwt(vx(",\"gty\":\"client_credentials\\u0000\""),
	    PJWT_E_MALFORMED);
	/* Allowed: accepted, and the setter is a plain switch. */
	assert_pjwt(pjwt_policy_set_allow_machine(NULL, 1),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_policy_set_allow_machine(p, 1), PJWT_OK);
	{
		char *b = payload(",\"gty\":\"client_credentials\"");

		assert_pjwt(vp(p, b), PJWT_OK);
		assert_pjwt(pjwt_policy_set_allow_machine(p, 0), PJWT_OK);
		assert_pjwt(vp(p, b), PJWT_E_MACHINE_TOKEN);
		free(b);
	}
	pjwt_policy_free(p);
}

/* ---- order, payload, policy bounds ---------------------------------------- */

static void
test_check_order(void **state)
{
	pjwt_policy *p = policy();
	char *b, *t;
	size_t siglen = 0;
	unsigned char *sig;
	(void)state;

	/* Everything wrong: typ comes first. */
	b = tu_fmt("{\"iss\":\"x\",\"aud\":\"y\",\"exp\":1,\"nbf\":%lld,"
	    "\"iat\":%lld}", (long long)(TU_NOW + 9999),
	    (long long)(TU_NOW + 9999));
	t = token_typ("JWT", b);
	assert_pjwt(pjwt_verify(ks, t, strlen(t), p, NULL),
	    PJWT_E_TYP_MISMATCH);
	free(t);
	assert_pjwt(vp(p, b), PJWT_E_ISS_MISMATCH);
	free(b);
	b = tu_fmt("{\"iss\":\"" ISS "\",\"aud\":\"y\",\"exp\":1}");
	assert_pjwt(vp(p, b), PJWT_E_AUD_MISMATCH);
	free(b);
	b = tu_fmt("{\"iss\":\"" ISS "\",\"aud\":\"ssh\",\"exp\":1,"
	    "\"nbf\":9223372036854775807}");
	assert_pjwt(vp(p, b), PJWT_E_EXPIRED);
	free(b);
	b = tu_fmt("{\"iss\":\"" ISS "\",\"aud\":\"ssh\",\"exp\":%lld,"
	    "\"nbf\":9223372036854775807,\"iat\":9223372036854775807}",
	    (long long)TU_NOW + 100);
	assert_pjwt(vp(p, b), PJWT_E_NOT_YET_VALID);
	free(b);
	b = tu_fmt("{\"iss\":\"" ISS "\",\"aud\":\"ssh\",\"exp\":%lld,"
	    "\"iat\":9223372036854775807}", (long long)TU_NOW + 100);
	assert_pjwt(vp(p, b), PJWT_E_IAT_FUTURE);
	free(b);
	assert_pjwt(pjwt_policy_set_max_age(p, 10), PJWT_OK);
	assert_pjwt(pjwt_policy_set_scopes(p, "root"), PJWT_OK);
	b = tu_fmt("{\"iss\":\"" ISS "\",\"aud\":\"ssh\",\"exp\":%lld,"
	    "\"iat\":1}", (long long)TU_NOW + 100);
	assert_pjwt(vp(p, b), PJWT_E_TOO_OLD);
	free(b);
	b = tu_fmt("{\"iss\":\"" ISS "\",\"aud\":\"ssh\",\"exp\":%lld,"
	    "\"iat\":%lld}", (long long)TU_NOW + 100, (long long)TU_NOW);
	assert_pjwt(vp(p, b), PJWT_E_MISSING_CLAIM);   /* sub */
	free(b);
	b = tu_fmt("{\"iss\":\"" ISS "\",\"aud\":\"ssh\",\"exp\":%lld,"
	    "\"iat\":%lld,\"sub\":\"a\"}", (long long)TU_NOW + 100,
	    (long long)TU_NOW);
	assert_pjwt(vp(p, b), PJWT_E_SCOPE_MISSING);
	free(b);

	/* The signature comes before any claim: a token with bad claims and
	 * a bad signature is bad_signature; so is one whose payload is not
	 * even JSON. */
	b = tu_fmt("{\"exp\":1}");
	t = token_typ("JWT", b);
	sig = tu_sig_of(t, &siglen);
	sig[0] ^= 1;
	free(b);
	b = tu_with_sig(t, sig, siglen);
	assert_pjwt(pjwt_verify(ks, b, strlen(b), p, NULL),
	    PJWT_E_BAD_SIGNATURE);
	free(b);
	free(t);
	free(sig);
	t = token_typ("at+jwt", "{{{ not json");
	sig = tu_sig_of(t, &siglen);
	sig[0] ^= 1;
	b = tu_with_sig(t, sig, siglen);
	assert_pjwt(pjwt_verify(ks, b, strlen(b), p, NULL),
	    PJWT_E_BAD_SIGNATURE);
	assert_pjwt(pjwt_verify(ks, t, strlen(t), p, NULL), PJWT_E_MALFORMED);
	free(b);
	free(t);
	free(sig);
	pjwt_policy_free(p);
}

static void
test_payload_json(void **state)
{
	char *pre, *b;
	(void)state;

	/* Duplicate claims: malformed (never "last one wins"). */
	assert_pjwt(vx(",\"sub\":\"root\""), PJWT_E_MALFORMED);
	assert_pjwt(vx(",\"exp\":9999999999"), PJWT_E_MALFORMED);
	assert_pjwt(vx(",\"x\":{\"a\":1,\"a\":1}"), PJWT_E_MALFORMED);
	/* Not an object. */
	assert_pjwt(v("[1,2]"), PJWT_E_MALFORMED);
	assert_pjwt(v("\"x\""), PJWT_E_MALFORMED);
	assert_pjwt(v("null"), PJWT_E_MALFORMED);
	assert_pjwt(v("{"), PJWT_E_MALFORMED);
	assert_pjwt(v("{}x"), PJWT_E_MALFORMED);
	assert_pjwt(v("{\"a\":1,}"), PJWT_E_MALFORMED);
	/* Depth: 16 is fine, 17 is not. */
	pre = payload(",");
	pre[strlen(pre) - 2] = '\0';   /* drop ",}" */
	b = tu_fmt("%s,\"n\":[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}", pre);
	assert_pjwt(v(b), PJWT_OK);
	free(b);
	b = tu_fmt("%s,\"n\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}", pre);
	assert_pjwt(v(b), PJWT_E_MALFORMED);
	free(b);
	b = tu_fmt("%s,\"n\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":"
	    "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":1}}}}}"
	    "}}}}}}}}}}}}", pre);
	assert_pjwt(v(b), PJWT_E_MALFORMED);
	free(b);
	/* Brackets inside strings do not count. */
	b = tu_fmt("%s,\"n\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}", pre);
	assert_pjwt(v(b), PJWT_OK);
	free(b);
	free(pre);
}

static void
test_policy_alg_and_size(void **state)
{
	pjwt_policy *p = policy();
	char *b = payload(""), *t = token_typ("at+jwt", b), *big;
	size_t len = strlen(t), n = 1024 * 1024;
	pjwt_info info;
	(void)state;

	assert_pjwt(pjwt_policy_set_algorithms(p, PJWT_ALG_BIT(PJWT_ALG_ES256)),
	    PJWT_OK);
	assert_pjwt(pjwt_verify(ks, t, len, p, NULL), PJWT_E_ALG_NOT_ALLOWED);
	assert_pjwt(pjwt_policy_set_algorithms(p, PJWT_ALG_BIT(PJWT_ALG_ES256) |
	    PJWT_ALG_BIT(PJWT_ALG_EDDSA)), PJWT_OK);
	assert_pjwt(pjwt_verify(ks, t, len, p, NULL), PJWT_OK);
	assert_pjwt(pjwt_policy_set_max_len(p, len - 1), PJWT_OK);
	assert_pjwt(pjwt_verify(ks, t, len, p, NULL), PJWT_E_TOO_LARGE);
	assert_pjwt(pjwt_policy_set_max_len(p, len), PJWT_OK);
	assert_pjwt(pjwt_verify(ks, t, len, p, NULL), PJWT_OK);
	assert_pjwt(pjwt_policy_set_max_len(p, 0), PJWT_OK);
	/* 1 MiB: too_large, and nothing of it is looked at for info. */
	big = malloc(n);
	memset(big, 'A', n);
	memcpy(big, t, len);
	assert_pjwt(pjwt_verify_ex(ks, big, n, p, &info, NULL),
	    PJWT_E_TOO_LARGE);
	assert_string_equal(info.kid, "");
	assert_string_equal(info.alg, "");
	free(big);
	pjwt_policy_free(p);
	free(t);
	free(b);
}

/* ---- verify_ex info ------------------------------------------------------ */

static void
test_verify_ex_info(void **state)
{
	pjwt_policy *p = policy();
	pjwt_claims *c = NULL;
	pjwt_info info;
	char *b, *t, *longs, *want;
	size_t siglen = 0;
	unsigned char *sig;
	(void)state;

	/* Success. */
	b = payload("");
	t = token_typ("at+jwt", b);
	memset(&info, 'Z', sizeof(info));
	assert_pjwt(pjwt_verify_ex(ks, t, strlen(t), p, &info, &c), PJWT_OK);
	assert_string_equal(info.alg, "EdDSA");
	assert_string_equal(info.kid, pjwt_key_kid(key));
	assert_string_equal(info.jti, "j-1");
	assert_string_equal(info.iss, ISS);
	assert_string_equal(info.user, "alice");
	c = pjwt_claims_free(c);
	/* NULL info is fine. */
	assert_pjwt(pjwt_verify_ex(ks, t, strlen(t), p, NULL, NULL), PJWT_OK);
	/* Failure after the signature (expired): still filled. */
	assert_pjwt(pjwt_policy_set_now(p, TU_NOW + 100000), PJWT_OK);
	assert_pjwt(pjwt_verify_ex(ks, t, strlen(t), p, &info, &c),
	    PJWT_E_EXPIRED);
	assert_null(c);
	assert_string_equal(info.jti, "j-1");
	assert_string_equal(info.user, "alice");
	assert_string_equal(info.kid, pjwt_key_kid(key));
	assert_pjwt(pjwt_policy_set_now(p, TU_NOW), PJWT_OK);
	/* Bad signature: filled from the unverified token. */
	sig = tu_sig_of(t, &siglen);
	sig[3] ^= 4;
	free(t);
	free(b);
	b = tu_fmt("{\"iss\":\"https://evil\",\"sub\":\"root\",\"jti\":\"J\"}");
	t = token_typ("at+jwt", b);
	free(b);
	b = tu_with_sig(t, sig, siglen);
	assert_pjwt(pjwt_verify_ex(ks, b, strlen(b), p, &info, NULL),
	    PJWT_E_BAD_SIGNATURE);
	assert_string_equal(info.alg, "EdDSA");
	assert_string_equal(info.kid, pjwt_key_kid(key));
	assert_string_equal(info.jti, "J");
	assert_string_equal(info.iss, "https://evil");
	assert_string_equal(info.user, "root");
	free(b);
	free(t);
	free(sig);
	/* Unknown kid with the user claim configured elsewhere. */
	assert_pjwt(pjwt_policy_set_user_claim(p, "uid"), PJWT_OK);
	t = tu_token(key, "{\"alg\":\"EdDSA\",\"kid\":\"../x\\u0001\\u00e9\"}",
	    "{\"uid\":\"bob\\n\\u001b[31m\",\"sub\":\"alice\"}");
	assert_pjwt(pjwt_verify_ex(ks, t, strlen(t), p, &info, NULL),
	    PJWT_E_UNKNOWN_KID);
	/* Sanitised: \x01 and the two UTF-8 bytes of é become '?'. */
	assert_string_equal(info.kid, "../x???");
	assert_string_equal(info.user, "bob??[31m");
	assert_string_equal(info.jti, "");
	free(t);
	assert_pjwt(pjwt_policy_set_user_claim(p, "sub"), PJWT_OK);
	/* Truncated to the field size. */
	longs = malloc(301);
	memset(longs, 'j', 300);
	longs[300] = '\0';
	b = tu_fmt("{\"jti\":\"%s\",\"iss\":\"%s\",\"sub\":\"%s\"}", longs,
	    longs, longs);
	t = token_typ("at+jwt", b);
	assert_pjwt(pjwt_verify_ex(ks, t, strlen(t), p, &info, NULL),
	    PJWT_E_ISS_MISMATCH);
	want = strndup(longs, sizeof(info.jti) - 1);
	assert_string_equal(info.jti, want);
	free(want);
	assert_int_equal(strlen(info.iss), sizeof(info.iss) - 1);
	assert_int_equal(strlen(info.user), sizeof(info.user) - 1);
	free(t);
	free(b);
	free(longs);
	/* Non-string members and garbage: left empty. */
	t = tu_token(key, "{\"alg\":\"EdDSA\",\"kid\":7}", "{\"jti\":1}");
	assert_pjwt(pjwt_verify_ex(ks, t, strlen(t), p, &info, NULL),
	    PJWT_E_MALFORMED);
	assert_string_equal(info.kid, "");
	assert_string_equal(info.alg, "EdDSA");
	assert_string_equal(info.jti, "");
	free(t);
	memset(&info, 'Z', sizeof(info));
	assert_pjwt(pjwt_verify_ex(ks, "x", 1, p, &info, NULL),
	    PJWT_E_MALFORMED);
	assert_string_equal(info.alg, "");
	assert_string_equal(info.user, "");
	/* Even invalid_argument leaves info in a defined state. */
	memset(&info, 'Z', sizeof(info));
	assert_pjwt(pjwt_verify_ex(ks, "x", 1, NULL, &info, NULL),
	    PJWT_E_INVALID_ARGUMENT);
	assert_string_equal(info.kid, "");
	pjwt_policy_free(p);
}

/* ---- signing ------------------------------------------------------------- */

static void
test_sign(void **state)
{
	pjwt_policy *p = policy();
	json_t *claims;
	pjwt_claims *c = NULL;
	char *t = NULL, *seg, *pub_t = NULL;
	size_t i;
	(void)state;

	claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s}",
	    "iss", ISS, "sub", "alice", "aud", AUD,
	    "exp", (json_int_t)(TU_NOW + 300), "iat", (json_int_t)TU_NOW,
	    "jti", "j-2", "scope", "ssh");
	assert_non_null(claims);
	/* Insertion order and compact form are kept byte for byte. */
	assert_pjwt(pjwt_sign(key, "at+jwt", claims, &t), PJWT_OK);
	seg = tu_unb64(strchr(t, '.') + 1,
	    (size_t)(strrchr(t, '.') - strchr(t, '.') - 1));
	assert_string_equal(seg, "{\"iss\":\"" ISS "\",\"sub\":\"alice\","
	    "\"aud\":\"ssh\",\"exp\":1400000300,\"iat\":1400000000,"
	    "\"jti\":\"j-2\",\"scope\":\"ssh\"}");
	free(seg);
	seg = tu_unb64(t, (size_t)(strchr(t, '.') - t));
	{
		char *w = tu_fmt("{\"alg\":\"EdDSA\",\"kid\":\"%s\","
		    "\"typ\":\"at+jwt\"}", pjwt_key_kid(key));

		assert_string_equal(seg, w);
		free(w);
	}
	free(seg);
	assert_pjwt(pjwt_verify(ks, t, strlen(t), p, &c), PJWT_OK);
	c = pjwt_claims_free(c);
	pjwt_str_free(t);
	t = NULL;

	/* Round trip through pjwt_sign / pjwt_verify for every alg. */
	for (i = 0; i < TU_NALGS; i++) {
		const pjwt_key *k = tu_ckey(tu_all_algs[i]);
		pjwt_keyset *s = tu_keyset(k, NULL);

		assert_pjwt(pjwt_sign(k, "at+jwt", claims, &t), PJWT_OK);
		assert_pjwt(pjwt_verify(s, t, strlen(t), p, &c), PJWT_OK);
		assert_int_equal(pjwt_claims_alg(c), tu_all_algs[i]);
		assert_string_equal(pjwt_claims_kid(c), pjwt_key_kid(k));
		assert_string_equal(pjwt_claims_user(c), "alice");
		c = pjwt_claims_free(c);
		/* Not with the EdDSA set. */
		assert_pjwt(pjwt_verify(ks, t, strlen(t), p, NULL),
		    tu_all_algs[i] == PJWT_ALG_EDDSA ? PJWT_OK :
		    PJWT_E_UNKNOWN_KID);
		pjwt_str_free(t);
		t = NULL;
		pjwt_keyset_free(s);
	}

	/* Errors. */
	assert_pjwt(pjwt_sign(NULL, NULL, claims, &t), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_sign(key, NULL, NULL, &t), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_sign(key, NULL, claims, NULL), PJWT_E_INVALID_ARGUMENT);
	{
		json_t *arr = json_array();

		assert_pjwt(pjwt_sign(key, NULL, arr, &t),
		    PJWT_E_INVALID_ARGUMENT);
		json_decref(arr);
	}
	{
		pjwt_key *pub = tu_key_public(key);

		assert_pjwt(pjwt_sign(pub, NULL, claims, &pub_t),
		    PJWT_E_INVALID_ARGUMENT);
		assert_null(pub_t);
		pjwt_key_free(pub);
	}
	assert_null(t);
	json_decref(claims);
	pjwt_policy_free(p);
}

/* ---- allocation failures ------------------------------------------------- */

/*
 * One pjwt_verify_ex under allocation failure number n.  Acceptable:
 * the unfailed outcome `want`, or PJWT_E_NOMEM.  When the failed allocation
 * was OpenSSL's, OpenSSL may report it as a plain failure that we cannot
 * tell from a real one: a failed EVP_DigestVerify is bad_signature, a failed
 * set-up internal (we map ERR_R_MALLOC_FAILURE to nomem where OpenSSL
 * raises it).  All of these fail closed.
 *
 * When it was jansson's, anything but a wrong PJWT_OK is accepted: jansson
 * 2.14 returns NULL without an error code when lex_init fails (malformed
 * here), and its lexer ignores strbuffer_append_byte() failures in
 * lex_save() (akheron/jansson#362, unfixed in 2.14), silently truncating a
 * string or number token of more than 15 bytes, so a claim may fail with
 * the reason of the altered claim (iss_mismatch, ...).  What must hold: no
 * crash, no leak, and never success for a token that is not valid.
 * Returns 1 when the allocation was reached (keep going).
 */
static int
verify_under_failure(const pjwt_keyset *s, const char *t,
    const pjwt_policy *p, long n, pjwt_err want)
{
	pjwt_claims *c = NULL;
	pjwt_info info;
	pjwt_err r;
	int reached;

	arm(n);
	r = pjwt_verify_ex(s, t, strlen(t), p, &info, &c);
	disarm();
	reached = nallocs >= n;
	if (!reached) {
		assert_pjwt(r, want);
	} else if (r != want && r != PJWT_E_NOMEM) {
		if (!(failed_in == ALLOC_OPENSSL && (r == PJWT_E_INTERNAL ||
		    r == PJWT_E_BAD_SIGNATURE)) &&
		    !(failed_in == ALLOC_JANSSON && r != PJWT_OK))
			fail_msg("allocation %ld (allocator %d): got %s, want %s "
			    "or nomem", n, failed_in, pjwt_strerror(r),
			    pjwt_strerror(want));
	}
	if (r == PJWT_OK)
		assert_non_null(c);
	else
		assert_null(c);
	pjwt_claims_free(c);
	ERR_clear_error();
	/* Nothing is left broken: the same call now works. */
	assert_pjwt(pjwt_verify_ex(s, t, strlen(t), p, &info, NULL), want);
	return reached;
}

static void
test_alloc_failure_verify(void **state)
{
	static const pjwt_alg algs[] = {
		PJWT_ALG_EDDSA, PJWT_ALG_ES256, PJWT_ALG_RS256, PJWT_ALG_PS256,
		PJWT_ALG_HS256,
	};
	pjwt_policy *p = policy();
	json_t *claims;
	size_t i;
	long n, total = 0;
	(void)state;

	assert_pjwt(pjwt_policy_set_scopes(p, "ssh"), PJWT_OK);
	assert_pjwt(pjwt_policy_set_max_age(p, 600), PJWT_OK);
	claims = json_pack("{s:s, s:s, s:[s,s], s:I, s:I, s:s, s:s}",
	    "iss", ISS, "sub", "alice", "aud", "web", AUD,
	    "exp", (json_int_t)(TU_NOW + 300), "iat", (json_int_t)TU_NOW,
	    "jti", "j-3", "scope", "ssh sudo");
	assert_non_null(claims);
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		const pjwt_key *k = tu_ckey(algs[i]);
		pjwt_keyset *s = tu_keyset(tu_ckey(PJWT_ALG_ES384), k, NULL);
		char *t = NULL, *bad, *nokid;
		unsigned char *sig;
		size_t siglen = 0;

		assert_pjwt(pjwt_sign(k, "at+jwt", claims, &t), PJWT_OK);
		/* The same token with a bad signature, and one without kid
		 * (so the key search loop runs). */
		sig = tu_sig_of(t, &siglen);
		sig[1] ^= 1;
		bad = tu_with_sig(t, sig, siglen);
		free(sig);
		{
			char *h = tu_fmt("{\"alg\":\"%s\",\"typ\":\"at+jwt\"}",
			    pjwt_alg_name(algs[i]));
			char *pl = json_dumps(claims, JSON_COMPACT);

			nokid = tu_token(k, h, pl);
			free(pl);
			free(h);
		}
		/* Warm up OpenSSL's lazily initialised state first. */
		assert_pjwt(pjwt_verify(s, t, strlen(t), p, NULL), PJWT_OK);
		for (n = 1; verify_under_failure(s, t, p, n, PJWT_OK); n++)
			total++;
		for (n = 1; verify_under_failure(s, nokid, p, n, PJWT_OK); n++)
			total++;
		for (n = 1; verify_under_failure(s, bad, p, n,
		    PJWT_E_BAD_SIGNATURE); n++)
			total++;
		free(nokid);
		free(bad);
		pjwt_str_free(t);
		pjwt_keyset_free(s);
	}
	/* An expired token: the failure path allocates for info too. */
	{
		char *t = NULL;

		assert_pjwt(pjwt_policy_set_now(p, TU_NOW + 100000), PJWT_OK);
		assert_pjwt(pjwt_policy_set_max_age(p, 0), PJWT_OK);
		assert_pjwt(pjwt_sign(key, "at+jwt", claims, &t), PJWT_OK);
		for (n = 1; verify_under_failure(ks, t, p, n, PJWT_E_EXPIRED);
		    n++)
			total++;
		pjwt_str_free(t);
	}
	/* The loops really injected failures. */
	assert_true(total > 50);
	json_decref(claims);
	pjwt_policy_free(p);
}

static void
test_alloc_failure_sign(void **state)
{
	static const pjwt_alg algs[] = {
		PJWT_ALG_EDDSA, PJWT_ALG_ES512, PJWT_ALG_PS256, PJWT_ALG_HS384,
	};
	json_t *claims = json_pack("{s:s, s:I}", "sub", "alice", "exp",
	    (json_int_t)(TU_NOW + 300));
	size_t i;
	long n;
	(void)state;

	assert_non_null(claims);
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		const pjwt_key *k = tu_ckey(algs[i]);
		char *t = NULL;

		assert_pjwt(pjwt_sign(k, NULL, claims, &t), PJWT_OK);
		pjwt_str_free(t);
		for (n = 1;; n++) {
			pjwt_err r;

			t = NULL;
			arm(n);
			r = pjwt_sign(k, NULL, claims, &t);
			disarm();
			if (nallocs < n) {
				assert_pjwt(r, PJWT_OK);
				pjwt_str_free(t);
				break;
			}
			if (r == PJWT_OK) {
				pjwt_str_free(t);
				continue;
			}
			assert_null(t);
			if (r != PJWT_E_NOMEM && !(failed_in == ALLOC_OPENSSL &&
			    r == PJWT_E_INTERNAL))
				fail_msg("sign allocation %ld: %s", n,
				    pjwt_strerror(r));
			ERR_clear_error();
		}
	}
	json_decref(claims);
}

static int
group_setup(void **state)
{
	(void)state;
	key = tu_ckey(PJWT_ALG_EDDSA);
	ks = tu_keyset(key, NULL);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	ks = pjwt_keyset_free(ks);
	tu_keys_free();
	return 0;
}

/* ---- pjwt_peek: the one UNVERIFIED decoder ----------------------------- */

/* pjwt_peek of a token built from the segments h64 "." p64 ".sig". */
static pjwt_err
peek_segs(const char *h64, const char *p64)
{
	char *t = tu_fmt("%s.%s.c2ln", h64, p64);
	json_t *h = NULL, *pl = NULL;
	pjwt_err r;

	r = pjwt_peek(t, strlen(t), &h, &pl);
	if (r == PJWT_OK) {
		assert_true(json_is_object(h));
		assert_true(json_is_object(pl));
	} else {
		assert_null(h);
		assert_null(pl);
	}
	json_decref(h);
	json_decref(pl);
	free(t);
	return r;
}

/* pjwt_peek of a token whose payload JSON text is body. */
static pjwt_err
peek_body(const char *body)
{
	char *h64 = tu_b64s("{\"alg\":\"EdDSA\"}"), *p64 = tu_b64s(body);
	pjwt_err r = peek_segs(h64, p64);

	free(h64);
	free(p64);
	return r;
}

static void
test_peek(void **state)
{
	char *body = payload(""), *t = token_typ("at+jwt", body), *b;
	json_t *h = NULL, *pl = NULL;
	(void)state;

	/* Good: header and payload, nothing verified (a bad signature and an
	 * expired token are shown all the same). */
	assert_pjwt(pjwt_peek(t, strlen(t), &h, &pl), PJWT_OK);
	assert_string_equal(json_string_value(json_object_get(h, "typ")),
	    "at+jwt");
	assert_string_equal(json_string_value(json_object_get(pl, "sub")),
	    "alice");
	json_decref(h);
	json_decref(pl);
	h = pl = NULL;
	/* NULL outputs: only the asked segment is decoded. */
	assert_pjwt(pjwt_peek(t, strlen(t), NULL, &pl), PJWT_OK);
	assert_non_null(pl);
	json_decref(pl);
	pl = NULL;
	assert_pjwt(pjwt_peek(t, strlen(t), &h, NULL), PJWT_OK);
	assert_non_null(h);
	json_decref(h);
	h = NULL;
	assert_pjwt(peek_segs("e30", "e30"), PJWT_OK);   /* {} {} */
	/* The length bounds the token: a prefix is not three segments. */
	assert_pjwt(pjwt_peek(t, (size_t)(strrchr(t, '.') - t), &h, &pl),
	    PJWT_E_MALFORMED);
	assert_pjwt(pjwt_peek(NULL, 0, &h, &pl), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_peek("", 0, &h, &pl), PJWT_E_MALFORMED);
	assert_null(h);
	assert_null(pl);
	free(t);

	/* Structure: exactly three segments, header and payload non-empty. */
	assert_pjwt(pjwt_peek("e30.e30", 7, &h, &pl), PJWT_E_MALFORMED);
	assert_pjwt(pjwt_peek("e30.e30.x.y", 11, &h, &pl), PJWT_E_MALFORMED);
	assert_pjwt(pjwt_peek("e30.e30.x.y.z", 13, &h, &pl),
	    PJWT_E_MALFORMED);
	assert_pjwt(peek_segs("", "e30"), PJWT_E_MALFORMED);
	assert_pjwt(peek_segs("e30", ""), PJWT_E_MALFORMED);
	/* Strict base64url: no padding, no standard alphabet, no
	 * non-canonical trailing bits, no whitespace. */
	assert_pjwt(peek_segs("e30=", "e30"), PJWT_E_MALFORMED);
	assert_pjwt(peek_segs("e30", "e30="), PJWT_E_MALFORMED);
	assert_pjwt(peek_segs("e31", "e30"), PJWT_E_MALFORMED);
	assert_pjwt(peek_segs("e30", "e3 0"), PJWT_E_MALFORMED);
	assert_pjwt(peek_segs("e30", "e+0"), PJWT_E_MALFORMED);
	assert_pjwt(peek_segs("e30", "e"), PJWT_E_MALFORMED);

	/* Bad JSON, and JSON that is not an object. */
	assert_pjwt(peek_body("{"), PJWT_E_MALFORMED);
	assert_pjwt(peek_body("{}x"), PJWT_E_MALFORMED);
	assert_pjwt(peek_body("{\"a\":1,}"), PJWT_E_MALFORMED);
	assert_pjwt(peek_body("not json"), PJWT_E_MALFORMED);
	assert_pjwt(peek_body("[1,2]"), PJWT_E_MALFORMED);
	assert_pjwt(peek_body("\"x\""), PJWT_E_MALFORMED);
	assert_pjwt(peek_body("null"), PJWT_E_MALFORMED);
	/* Duplicates, at the top and nested. */
	assert_pjwt(peek_body("{\"exp\":1,\"exp\":2}"), PJWT_E_MALFORMED);
	assert_pjwt(peek_body("{\"x\":{\"a\":1,\"a\":1}}"), PJWT_E_MALFORMED);
	/* A NUL byte inside the text. */
	{
		static const char nul[] = "{\"a\":\"b\"}\0";
		char *p64 = tu_b64(nul, sizeof(nul) - 1);

		assert_pjwt(peek_segs("e30", p64), PJWT_E_MALFORMED);
		free(p64);
	}
	/* Depth: PJWT_MAX_JSON_DEPTH is fine, one more is not, in the
	 * header as in the payload. */
	b = tu_nested(PJWT_MAX_JSON_DEPTH, "");
	assert_pjwt(peek_body(b), PJWT_OK);
	free(b);
	b = tu_nested(PJWT_MAX_JSON_DEPTH + 1, "");
	assert_pjwt(peek_body(b), PJWT_E_MALFORMED);
	{
		char *h64 = tu_b64s(b);

		assert_pjwt(peek_segs(h64, "e30"), PJWT_E_MALFORMED);
		free(h64);
	}
	free(b);

	/* pjwt_peek_segment: the same rules for one segment. */
	assert_pjwt(pjwt_peek_segment("e30", 3, &h), PJWT_OK);
	assert_true(json_is_object(h));
	json_decref(h);
	h = NULL;
	assert_pjwt(pjwt_peek_segment("e30", 0, &h), PJWT_E_MALFORMED);
	assert_pjwt(pjwt_peek_segment("WzFd", 4, &h), PJWT_E_MALFORMED);
	assert_pjwt(pjwt_peek_segment(NULL, 3, &h), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_peek_segment("e30", 3, NULL),
	    PJWT_E_INVALID_ARGUMENT);
	assert_null(h);
	free(body);
}

/* pjwt_jws_payload_object: a verified JWS's payload, pjwt_verify's parser. */
static pjwt_err
jws_payload(const char *body)
{
	char *t = token_typ("at+jwt", body);
	pjwt_jws *j = NULL;
	json_t *o = NULL;
	pjwt_err r;

	assert_pjwt(pjwt_jws_verify(ks, t, strlen(t), 0, 0, &j), PJWT_OK);
	r = pjwt_jws_payload_object(j, &o);
	if (r == PJWT_OK)
		assert_true(json_is_object(o));
	else
		assert_null(o);
	json_decref(o);
	pjwt_jws_free(j);
	free(t);
	return r;
}

static void
test_jws_payload_object(void **state)
{
	char *b;
	json_t *o = NULL;
	(void)state;

	assert_pjwt(jws_payload("{\"sub\":\"alice\"}"), PJWT_OK);
	assert_pjwt(jws_payload("{\"sub\":\"a\",\"sub\":\"b\"}"),
	    PJWT_E_MALFORMED);
	assert_pjwt(jws_payload("[1]"), PJWT_E_MALFORMED);
	assert_pjwt(jws_payload("{"), PJWT_E_MALFORMED);
	b = tu_nested(PJWT_MAX_JSON_DEPTH, "");
	assert_pjwt(jws_payload(b), PJWT_OK);
	free(b);
	b = tu_nested(PJWT_MAX_JSON_DEPTH + 1, "");
	assert_pjwt(jws_payload(b), PJWT_E_MALFORMED);
	free(b);
	assert_pjwt(pjwt_jws_payload_object(NULL, &o),
	    PJWT_E_INVALID_ARGUMENT);
	assert_null(o);
}

static void
test_alloc_failure_peek(void **state)
{
	char *body = payload(""), *t = token_typ("at+jwt", body);
	json_t *h, *pl;
	pjwt_err r;
	long n, total = 0;
	int reached;
	(void)state;

	for (n = 1; n < 10000; n++) {
		h = pl = NULL;
		arm(n);
		r = pjwt_peek(t, strlen(t), &h, &pl);
		disarm();
		reached = nallocs >= n;
		if (!reached) {
			assert_pjwt(r, PJWT_OK);
		} else if (r != PJWT_E_NOMEM && !(failed_in == ALLOC_JANSSON &&
		    r == PJWT_E_MALFORMED)) {
			/* jansson reports its allocation failures as a parse
			 * error; anything else is a bug. */
			fail_msg("allocation %ld (allocator %d): got %s", n,
			    failed_in, pjwt_strerror(r));
		}
		if (r == PJWT_OK) {
			assert_non_null(h);
			assert_non_null(pl);
		} else {
			assert_null(h);
			assert_null(pl);
		}
		json_decref(h);
		json_decref(pl);
		if (!reached)
			break;
		total++;
	}
	assert_true(n < 10000);
	/* The loop really injected failures. */
	assert_true(total > 5);
	free(t);
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_setters),
		cmocka_unit_test(test_policy_set_by_name),
		cmocka_unit_test(test_verify_requires_policy),
		cmocka_unit_test(test_valid_and_getters),
		cmocka_unit_test(test_typ),
		cmocka_unit_test(test_iss),
		cmocka_unit_test(test_aud),
		cmocka_unit_test(test_exp),
		cmocka_unit_test(test_nbf),
		cmocka_unit_test(test_iat_and_max_age),
		cmocka_unit_test(test_time_extremes),
		cmocka_unit_test(test_user_claim),
		cmocka_unit_test(test_scopes),
		cmocka_unit_test(test_machine_token),
		cmocka_unit_test(test_check_order),
		cmocka_unit_test(test_payload_json),
		cmocka_unit_test(test_policy_alg_and_size),
		cmocka_unit_test(test_verify_ex_info),
		cmocka_unit_test(test_sign),
		cmocka_unit_test(test_alloc_failure_verify),
		cmocka_unit_test(test_alloc_failure_sign),
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_jws_payload_object),
		cmocka_unit_test(test_alloc_failure_peek),
	};

	/* Process-global allocator hooks: the test binary only, before any
	 * OpenSSL or jansson allocation. */
	if (CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free) != 1) {
		fprintf(stderr, "CRYPTO_set_mem_functions failed\n");
		return 1;
	}
	json_set_alloc_funcs(jansson_malloc, free);
	return cmocka_run_group_tests_name("jwt", tests, group_setup,
	    group_teardown);
}
