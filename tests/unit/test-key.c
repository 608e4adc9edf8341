/*
 * test-key.c - the key layer of libpjwt: algorithms, PEM, JWK, JWKS,
 * thumbprints, generation, key sets; allocation-failure loops.
 *
 * The binary is linked with -Wl,--wrap=malloc,--wrap=calloc so libpjwt's own
 * allocations can be failed; jansson and OpenSSL allocations go through the
 * same counter via json_set_alloc_funcs and CRYPTO_set_mem_functions (set
 * here, in the test binary, never in the library).
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

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "pjwt_b64.h"
#include "pjwt_err.h"
#include "pjwt_key.h"
#include "pjwt_mem.h"
#include "pjwtp.h"

/* ---- counting allocator ------------------------------------------------ */

static long alloc_count;
static long alloc_fail_at;      /* 0: never fail */
static int alloc_fail_json;     /* also fail jansson's allocations */
static int alloc_fail_ossl;     /* also fail OpenSSL's allocations */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);

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
__wrap_calloc(size_t n, size_t m)
{
	return alloc_should_fail() ? NULL : __real_calloc(n, m);
}

static void *
json_malloc(size_t n)
{
	if (alloc_fail_json && alloc_should_fail())
		return NULL;
	return __real_malloc(n);
}

static void *
ossl_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	if (alloc_fail_ossl && alloc_should_fail())
		return NULL;
	return __real_malloc(n);
}

static void *
ossl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	if (alloc_fail_ossl && alloc_should_fail())
		return NULL;
	return realloc(p, n);
}

static void
ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

/* ---- helpers ----------------------------------------------------------- */

#define assert_pjwt(got, want) do { \
	pjwt_err g_ = (got), w_ = (want); \
	if (g_ != w_) \
		fail_msg("%s:%d: got %s (%d), want %s (%d)", __FILE__, \
		    __LINE__, pjwt_strerror(g_), (int)g_, pjwt_strerror(w_), \
		    (int)w_); \
} while (0)

static const pjwt_alg all_algs[] = {
	PJWT_ALG_HS256, PJWT_ALG_HS384, PJWT_ALG_HS512,
	PJWT_ALG_RS256, PJWT_ALG_RS384, PJWT_ALG_RS512,
	PJWT_ALG_PS256, PJWT_ALG_PS384, PJWT_ALG_PS512,
	PJWT_ALG_ES256, PJWT_ALG_ES384, PJWT_ALG_ES512,
	PJWT_ALG_EDDSA,
};
#define NALGS (sizeof(all_algs) / sizeof(all_algs[0]))

static int
is_hmac(pjwt_alg a)
{
	return a == PJWT_ALG_HS256 || a == PJWT_ALG_HS384 ||
	    a == PJWT_ALG_HS512;
}

static int
is_rsa(pjwt_alg a)
{
	return a >= PJWT_ALG_RS256 && a <= PJWT_ALG_PS512;
}

/* RFC 7638 section 3.1 (the RFC 7517 A.1 RSA key). */
static const char rfc7638_jwk[] =
    "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbW"
    "hM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjh"
    "Mstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY"
    "368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdk"
    "t-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-"
    "kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\",\"alg\":\"RS256\","
    "\"kid\":\"2011-04-29\"}";
static const char rfc7638_tp[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

/* RFC 8037 A.1-A.3 (RFC 8032 test 1). */
static const char rfc8037_x[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
static const char rfc8037_d[] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
static const char rfc8037_tp[] = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";

static pjwt_err
from_jwk(const char *s, pjwt_alg alg, pjwt_key **ret)
{
	return pjwt_key_from_jwk(s, strlen(s), alg, ret);
}

/* Parse a JWK, expect error `want` and no key. */
static void
jwk_fails(const char *s, pjwt_alg alg, pjwt_err want, int line)
{
	pjwt_key *k = NULL;
	pjwt_err r = from_jwk(s, alg, &k);

	if (r != want)
		fail_msg("line %d: got %s, want %s for %s", line,
		    pjwt_strerror(r), pjwt_strerror(want), s);
	assert_null(k);
}
#define JWK_FAILS(s, alg, want) jwk_fails((s), (alg), (want), __LINE__)

static pjwt_key *
jwk_ok(const char *s, pjwt_alg alg, int line)
{
	pjwt_key *k = NULL;
	pjwt_err r = from_jwk(s, alg, &k);

	if (r != PJWT_OK)
		fail_msg("line %d: got %s for %s", line, pjwt_strerror(r), s);
	assert_non_null(k);
	return k;
}
#define JWK_OK(s, alg) jwk_ok((s), (alg), __LINE__)

static pjwt_key *
gen(pjwt_alg alg)
{
	pjwt_key *k = NULL;

	assert_pjwt(pjwt_key_generate(alg, 2048, &k), PJWT_OK);
	assert_non_null(k);
	return k;
}

static char *
to_jwk(const pjwt_key *k, int priv)
{
	char *s = NULL;

	assert_pjwt(pjwt_key_to_jwk(k, priv, &s), PJWT_OK);
	assert_non_null(s);
	return s;
}

/* JSON text s with member `name` replaced by v (NULL: removed).  Steals v. */
static char *
jwk_set(const char *s, const char *name, json_t *v)
{
	json_error_t e;
	json_t *o = json_loads(s, 0, &e);
	char *out;

	assert_non_null(o);
	if (v == NULL)
		json_object_del(o, name);
	else
		assert_int_equal(json_object_set_new(o, name, v), 0);
	out = json_dumps(o, JSON_COMPACT);
	assert_non_null(out);
	json_decref(o);
	return out;
}

static char *
jwk_set_str(const char *s, const char *name, const char *v)
{
	return jwk_set(s, name, json_string(v));
}

/* The member `name` of s, base64url-decoded. */
static unsigned char *
jwk_bytes(const char *s, const char *name, size_t *ret_len)
{
	json_error_t e;
	json_t *o = json_loads(s, 0, &e);
	unsigned char *p = NULL;
	const char *v;

	assert_non_null(o);
	v = json_string_value(json_object_get(o, name));
	assert_non_null(v);
	assert_pjwt(pjwt_b64url_decode(v, strlen(v), &p, ret_len), PJWT_OK);
	json_decref(o);
	return p;
}

/* s with member `name` set to the base64url of len bytes at p. */
static char *
jwk_set_bytes(const char *s, const char *name, const unsigned char *p,
    size_t len)
{
	char *b = NULL, *out;

	assert_pjwt(pjwt_b64url_encode(p, len, &b, NULL), PJWT_OK);
	out = jwk_set_str(s, name, b);
	free(b);
	return out;
}

/* s with member `name` resized to len bytes (zero-extended or truncated). */
static char *
jwk_resize(const char *s, const char *name, size_t len)
{
	unsigned char *p, buf[600];
	size_t n;
	char *out;

	p = jwk_bytes(s, name, &n);
	memset(buf, 0x5a, sizeof(buf));
	memcpy(buf, p, n < len ? n : len);
	out = jwk_set_bytes(s, name, buf, len);
	free(p);
	return out;
}

/* s with bit 0 of byte i of member `name` flipped. */
static char *
jwk_flip(const char *s, const char *name, size_t i)
{
	unsigned char *p;
	size_t n;
	char *out;

	p = jwk_bytes(s, name, &n);
	assert_true(i < n);
	p[i] ^= 1;
	out = jwk_set_bytes(s, name, p, n);
	free(p);
	return out;
}

/* A private key PEM written by OpenSSL directly (for keys libpjwt refuses). */
static char *
pem_of(EVP_PKEY *pkey, int priv, int traditional)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	assert_non_null(bio);
	if (!priv)
		assert_int_equal(PEM_write_bio_PUBKEY(bio, pkey), 1);
	else if (traditional)
		assert_int_equal(PEM_write_bio_PrivateKey_traditional(bio, pkey,
		    NULL, NULL, 0, NULL, NULL), 1);
	else
		assert_int_equal(PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL,
		    0, NULL, NULL), 1);
	n = BIO_get_mem_data(bio, &data);
	assert_true(n > 0);
	out = malloc((size_t)n + 1);
	assert_non_null(out);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	BIO_free(bio);
	return out;
}

static void
pem_fails(const char *pem, pjwt_alg alg, pjwt_err want, int line)
{
	pjwt_key *k = NULL;
	pjwt_err r = pjwt_key_from_pem(pem, strlen(pem), alg, &k);

	if (r != want)
		fail_msg("line %d: got %s, want %s", line, pjwt_strerror(r),
		    pjwt_strerror(want));
	assert_null(k);
}
#define PEM_FAILS(s, alg, want) pem_fails((s), (alg), (want), __LINE__)

/* JSON member "name":"base64url(bn)" appended to o. */
static void
json_add_bn(json_t *o, const char *name, const EVP_PKEY *pkey,
    const char *param)
{
	unsigned char buf[1024];
	BIGNUM *bn = NULL;
	char *b = NULL;
	int n;

	assert_int_equal(EVP_PKEY_get_bn_param(pkey, param, &bn), 1);
	n = BN_bn2bin(bn, buf);
	assert_pjwt(pjwt_b64url_encode(buf, (size_t)n, &b, NULL), PJWT_OK);
	assert_int_equal(json_object_set_new(o, name, json_string(b)), 0);
	free(b);
	BN_clear_free(bn);
}

/* A JWK for an RSA key made by OpenSSL directly (e.g. a weak one). */
static char *
rsa_jwk_of(const EVP_PKEY *pkey, int priv)
{
	json_t *o = json_object();
	char *s;

	json_object_set_new(o, "kty", json_string("RSA"));
	json_add_bn(o, "n", pkey, OSSL_PKEY_PARAM_RSA_N);
	json_add_bn(o, "e", pkey, OSSL_PKEY_PARAM_RSA_E);
	if (priv) {
		json_add_bn(o, "d", pkey, OSSL_PKEY_PARAM_RSA_D);
		json_add_bn(o, "p", pkey, OSSL_PKEY_PARAM_RSA_FACTOR1);
		json_add_bn(o, "q", pkey, OSSL_PKEY_PARAM_RSA_FACTOR2);
		json_add_bn(o, "dp", pkey, OSSL_PKEY_PARAM_RSA_EXPONENT1);
		json_add_bn(o, "dq", pkey, OSSL_PKEY_PARAM_RSA_EXPONENT2);
		json_add_bn(o, "qi", pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
	}
	s = json_dumps(o, JSON_COMPACT);
	assert_non_null(s);
	json_decref(o);
	return s;
}

/* Shared keys, generated once (RSA generation is the slow part). */
static pjwt_key *shared_keys[PJWT_ALG_COUNT];

static const pjwt_key *
key_for(pjwt_alg alg)
{
	if (shared_keys[alg] == NULL)
		shared_keys[alg] = gen(alg);
	return shared_keys[alg];
}

static char *
priv_jwk(pjwt_alg alg)
{
	return to_jwk(key_for(alg), 1);
}

static char *
pub_jwk(pjwt_alg alg)
{
	return to_jwk(key_for(alg), 0);
}

/* ---- algorithms -------------------------------------------------------- */

static void
test_alg_names(void **state)
{
	static const char *const names[] = {
		"HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
		"PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
	};
	size_t i;

	(void)state;
	for (i = 0; i < NALGS; i++) {
		assert_string_equal(pjwt_alg_name(all_algs[i]), names[i]);
		assert_int_equal(pjwt_alg_from_name(names[i]), all_algs[i]);
	}
	assert_null(pjwt_alg_name(PJWT_ALG_UNKNOWN));
	assert_null(pjwt_alg_name((pjwt_alg)PJWT_ALG_COUNT));
	assert_null(pjwt_alg_name((pjwt_alg)-1));
	assert_int_equal(pjwt_alg_from_name("none"), PJWT_ALG_UNKNOWN);
	assert_int_equal(pjwt_alg_from_name("es256"), PJWT_ALG_UNKNOWN);
	assert_int_equal(pjwt_alg_from_name("EDDSA"), PJWT_ALG_UNKNOWN);
	assert_int_equal(pjwt_alg_from_name("ES256 "), PJWT_ALG_UNKNOWN);
	assert_int_equal(pjwt_alg_from_name(""), PJWT_ALG_UNKNOWN);
	assert_int_equal(pjwt_alg_from_name(NULL), PJWT_ALG_UNKNOWN);
}

static void
test_alg_list_parse(void **state)
{
	static const struct {
		const char *csv;
		pjwt_err want;
	} bad[] = {
		{ "", PJWT_E_INVALID_ARGUMENT },
		{ ",", PJWT_E_INVALID_ARGUMENT },
		{ ",EdDSA", PJWT_E_INVALID_ARGUMENT },
		{ "EdDSA,", PJWT_E_INVALID_ARGUMENT },
		{ "EdDSA,,ES256", PJWT_E_INVALID_ARGUMENT },
		{ "EdDSA,ES256,EdDSA", PJWT_E_INVALID_ARGUMENT },
		{ "none", PJWT_E_ALG_NONE },
		{ "NONE", PJWT_E_ALG_NONE },
		{ "nOnE", PJWT_E_ALG_NONE },
		{ "EdDSA,none", PJWT_E_ALG_NONE },
		{ "nonE,EdDSA", PJWT_E_ALG_NONE },
		{ "HS1", PJWT_E_ALG_UNSUPPORTED },
		{ "ES256K", PJWT_E_ALG_UNSUPPORTED },
		{ "eddsa", PJWT_E_ALG_UNSUPPORTED },
		{ "EdDSA, ES256", PJWT_E_ALG_UNSUPPORTED },
		{ " EdDSA", PJWT_E_ALG_UNSUPPORTED },
		{ "nones", PJWT_E_ALG_UNSUPPORTED },
		{ "EdDSA;ES256", PJWT_E_ALG_UNSUPPORTED },
	};
	unsigned mask = 0xdeadu;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pjwt_err r = pjwt_alg_list_parse(bad[i].csv, &mask);
		if (r != bad[i].want)
			fail_msg("\"%s\": got %s, want %s", bad[i].csv,
			    pjwt_strerror(r), pjwt_strerror(bad[i].want));
		assert_int_equal(mask, 0xdeadu);
	}
	assert_pjwt(pjwt_alg_list_parse(NULL, &mask), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_alg_list_parse("EdDSA", NULL),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_alg_list_parse("EdDSA", &mask), PJWT_OK);
	assert_int_equal(mask, PJWT_ALG_BIT(PJWT_ALG_EDDSA));
	assert_pjwt(pjwt_alg_list_parse("EdDSA,ES256", &mask), PJWT_OK);
	assert_int_equal(mask, PJWT_ALG_BIT(PJWT_ALG_EDDSA) |
	    PJWT_ALG_BIT(PJWT_ALG_ES256));
	assert_pjwt(pjwt_alg_list_parse("HS256,HS384,HS512,RS256,RS384,RS512,"
	    "PS256,PS384,PS512,ES256,ES384,ES512,EdDSA", &mask), PJWT_OK);
	assert_int_equal(mask, PJWT_ALG_MASK_ALL);
	assert_int_equal(mask & PJWT_ALG_BIT(PJWT_ALG_UNKNOWN), 0);
}

static void
test_alg_internals(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NALGS; i++) {
		pjwt_alg a = all_algs[i];
		const char *name = pjwt_alg_name(a);
		size_t bits = (size_t)atoi(name + 2);

		if (a == PJWT_ALG_EDDSA) {
			assert_null(pjwtp_alg_md(a));
			assert_int_equal(pjwtp_alg_md_len(a), 0);
		} else {
			assert_non_null(pjwtp_alg_md(a));
			assert_int_equal(pjwtp_alg_md_len(a), bits / 8);
			assert_int_equal(EVP_MD_get_size(pjwtp_alg_md(a)),
			    (int)(bits / 8));
		}
	}
	assert_int_equal(pjwtp_alg_ec_field_len(PJWT_ALG_ES256), 32);
	assert_int_equal(pjwtp_alg_ec_field_len(PJWT_ALG_ES384), 48);
	assert_int_equal(pjwtp_alg_ec_field_len(PJWT_ALG_ES512), 66);
	assert_int_equal(pjwtp_alg_ec_field_len(PJWT_ALG_EDDSA), 0);
	assert_int_equal(pjwtp_alg_ec_field_len(PJWT_ALG_RS256), 0);
	assert_int_equal(pjwtp_alg_ec_field_len(PJWT_ALG_UNKNOWN), 0);
	assert_null(pjwtp_alg_md(PJWT_ALG_UNKNOWN));
	assert_int_equal(pjwtp_alg_md_len(PJWT_ALG_UNKNOWN), 0);

	assert_int_equal(pjwtp_default_alg(NULL), PJWT_ALG_UNKNOWN);
	assert_int_equal(pjwtp_default_alg(key_for(PJWT_ALG_EDDSA)->pkey),
	    PJWT_ALG_EDDSA);
	assert_int_equal(pjwtp_default_alg(key_for(PJWT_ALG_ES256)->pkey),
	    PJWT_ALG_ES256);
	assert_int_equal(pjwtp_default_alg(key_for(PJWT_ALG_ES384)->pkey),
	    PJWT_ALG_ES384);
	assert_int_equal(pjwtp_default_alg(key_for(PJWT_ALG_ES512)->pkey),
	    PJWT_ALG_ES512);
	assert_int_equal(pjwtp_default_alg(key_for(PJWT_ALG_PS256)->pkey),
	    PJWT_ALG_RS256);
}

/* ---- generation and round trips ---------------------------------------- */

static void
check_same_key(const pjwt_key *a, const pjwt_key *b, int priv)
{
	assert_int_equal(pjwt_key_alg(a), pjwt_key_alg(b));
	assert_string_equal(pjwt_key_kid(a), pjwt_key_kid(b));
	assert_int_equal(pjwt_key_is_private(b), priv);
	if (a->pkey != NULL)
		assert_int_equal(EVP_PKEY_eq(a->pkey, b->pkey), 1);
	else
		assert_memory_equal(a->secret, b->secret, a->secret_len);
}

static void
test_generate_roundtrip(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NALGS; i++) {
		pjwt_alg a = all_algs[i];
		const pjwt_key *k = key_for(a);
		pjwt_key *k2 = NULL;
		char *tp = NULL, *s, *s2, *pem;

		assert_int_equal(pjwt_key_alg(k), a);
		assert_true(pjwt_key_is_private(k));
		assert_int_equal(pjwt_key_is_symmetric(k), is_hmac(a));
		assert_pjwt(pjwt_key_thumbprint(k, &tp), PJWT_OK);
		assert_int_equal(strlen(tp), 43);
		assert_string_equal(pjwt_key_kid(k), tp);
		if (is_rsa(a))
			assert_int_equal(EVP_PKEY_get_bits(k->pkey), 2048);
		if (is_hmac(a))
			assert_int_equal(k->secret_len, pjwtp_alg_md_len(a));

		/* private JWK, byte-exact after a round trip */
		s = to_jwk(k, 1);
		k2 = JWK_OK(s, PJWT_ALG_UNKNOWN);
		check_same_key(k, k2, 1);
		s2 = to_jwk(k2, 1);
		assert_string_equal(s, s2);
		pjwt_str_free(s2);
		k2 = pjwt_key_free(k2);
		/* ... and through pjwt_key_load with leading blanks */
		s2 = malloc(strlen(s) + 4);
		assert_non_null(s2);
		memcpy(s2, " \n\t", 3);
		memcpy(s2 + 3, s, strlen(s) + 1);
		assert_pjwt(pjwt_key_load(s2, strlen(s2), a, &k2), PJWT_OK);
		check_same_key(k, k2, 1);
		k2 = pjwt_key_free(k2);
		pjwt_str_free(s2);
		pjwt_str_free(s);

		if (is_hmac(a)) {
			assert_pjwt(pjwt_key_to_jwk(k, 0, &s),
			    PJWT_E_INVALID_ARGUMENT);
			assert_pjwt(pjwt_key_to_pem(k, 1, &s),
			    PJWT_E_INVALID_ARGUMENT);
			assert_pjwt(pjwt_key_to_pem(k, 0, &s),
			    PJWT_E_INVALID_ARGUMENT);
			free(tp);
			continue;
		}

		/* public JWK */
		s = to_jwk(k, 0);
		assert_null(strstr(s, "\"d\""));
		k2 = JWK_OK(s, PJWT_ALG_UNKNOWN);
		check_same_key(k, k2, 0);
		assert_false(pjwt_key_is_symmetric(k2));
		assert_pjwt(pjwt_key_to_jwk(k2, 1, &s2), PJWT_E_INVALID_ARGUMENT);
		assert_pjwt(pjwt_key_to_pem(k2, 1, &s2), PJWT_E_INVALID_ARGUMENT);
		s2 = to_jwk(k2, 0);
		assert_string_equal(s, s2);
		pjwt_str_free(s2);
		k2 = pjwt_key_free(k2);
		pjwt_str_free(s);

		/* PKCS#8 private PEM */
		assert_pjwt(pjwt_key_to_pem(k, 1, &pem), PJWT_OK);
		assert_true(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n",
		    28) == 0);
		assert_pjwt(pjwt_key_from_pem(pem, strlen(pem), a, &k2),
		    PJWT_OK);
		check_same_key(k, k2, 1);
		k2 = pjwt_key_free(k2);
		assert_pjwt(pjwt_key_load(pem, strlen(pem), a, &k2), PJWT_OK);
		check_same_key(k, k2, 1);
		k2 = pjwt_key_free(k2);
		pjwt_str_free(pem);

		/* SubjectPublicKeyInfo PEM */
		assert_pjwt(pjwt_key_to_pem(k, 0, &pem), PJWT_OK);
		assert_true(strncmp(pem, "-----BEGIN PUBLIC KEY-----\n",
		    27) == 0);
		assert_pjwt(pjwt_key_from_pem(pem, strlen(pem), a, &k2),
		    PJWT_OK);
		check_same_key(k, k2, 0);
		/* the default alg of the type */
		k2 = pjwt_key_free(k2);
		assert_pjwt(pjwt_key_from_pem(pem, strlen(pem),
		    PJWT_ALG_UNKNOWN, &k2), PJWT_OK);
		assert_int_equal(pjwt_key_alg(k2),
		    is_rsa(a) ? PJWT_ALG_RS256 : a);
		k2 = pjwt_key_free(k2);
		pjwt_str_free(pem);
		free(tp);
	}
}

static void
test_generate_errors(void **state)
{
	pjwt_key *k = NULL;

	(void)state;
	assert_pjwt(pjwt_key_generate(PJWT_ALG_UNKNOWN, 0, &k),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_key_generate((pjwt_alg)PJWT_ALG_COUNT, 0, &k),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_key_generate(PJWT_ALG_EDDSA, 0, NULL),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_key_generate(PJWT_ALG_RS256, 1024, &k),
	    PJWT_E_WEAK_KEY);
	assert_pjwt(pjwt_key_generate(PJWT_ALG_PS256, 2047, &k),
	    PJWT_E_WEAK_KEY);
	assert_pjwt(pjwt_key_generate(PJWT_ALG_RS256, 1u << 20, &k),
	    PJWT_E_INVALID_ARGUMENT);
	assert_null(k);
	/* bits is ignored for non-RSA algs */
	assert_pjwt(pjwt_key_generate(PJWT_ALG_ES256, 1, &k), PJWT_OK);
	k = pjwt_key_free(k);
	assert_pjwt(pjwt_key_generate(PJWT_ALG_HS256, 1, &k), PJWT_OK);
	k = pjwt_key_free(k);
	/* bits 0: RSA 3072 */
	assert_pjwt(pjwt_key_generate(PJWT_ALG_RS256, 0, &k), PJWT_OK);
	assert_int_equal(EVP_PKEY_get_bits(k->pkey), 3072);
	k = pjwt_key_free(k);
	/* two HMAC keys differ */
	{
		pjwt_key *a = gen(PJWT_ALG_HS256), *b = gen(PJWT_ALG_HS256);
		assert_memory_not_equal(a->secret, b->secret, 32);
		assert_string_not_equal(a->kid, b->kid);
		pjwt_key_free(a);
		pjwt_key_free(b);
	}
}

/* ---- thumbprints -------------------------------------------------------- */

static void
test_thumbprint_vectors(void **state)
{
	pjwt_key *k;
	char *tp = NULL, *s, buf[512];

	(void)state;
	k = JWK_OK(rfc7638_jwk, PJWT_ALG_UNKNOWN);
	assert_string_equal(pjwt_key_kid(k), "2011-04-29");
	assert_int_equal(pjwt_key_alg(k), PJWT_ALG_RS256);
	assert_false(pjwt_key_is_private(k));
	assert_pjwt(pjwt_key_thumbprint(k, &tp), PJWT_OK);
	assert_string_equal(tp, rfc7638_tp);
	free(tp);
	pjwt_key_free(k);
	/* no kid member: the thumbprint is the kid */
	s = jwk_set(rfc7638_jwk, "kid", NULL);
	k = JWK_OK(s, PJWT_ALG_UNKNOWN);
	assert_string_equal(pjwt_key_kid(k), rfc7638_tp);
	pjwt_key_free(k);
	free(s);

	snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	    "\"x\":\"%s\"}", rfc8037_x);
	k = JWK_OK(buf, PJWT_ALG_UNKNOWN);
	assert_string_equal(pjwt_key_kid(k), rfc8037_tp);
	assert_int_equal(pjwt_key_alg(k), PJWT_ALG_EDDSA);
	assert_false(pjwt_key_is_private(k));
	pjwt_key_free(k);
	snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	    "\"d\":\"%s\",\"x\":\"%s\"}", rfc8037_d, rfc8037_x);
	k = JWK_OK(buf, PJWT_ALG_UNKNOWN);
	assert_string_equal(pjwt_key_kid(k), rfc8037_tp);
	assert_true(pjwt_key_is_private(k));
	/* the public serialisation, byte-exact */
	s = to_jwk(k, 0);
	assert_string_equal(s, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\""
	    "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\",\"alg\":\"EdDSA\","
	    "\"kid\":\"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k\","
	    "\"use\":\"sig\"}");
	pjwt_str_free(s);
	s = to_jwk(k, 1);
	assert_non_null(strstr(s, rfc8037_d));
	pjwt_str_free(s);
	pjwt_key_free(k);

	/* public jwk holds exactly the required members */
	s = jwk_set(rfc7638_jwk, "alg", NULL);
	k = JWK_OK(s, PJWT_ALG_PS256);
	free(s);
	{
		json_t *o = NULL;
		assert_pjwt(pjwtp_key_public_jwk(k, &o), PJWT_OK);
		assert_int_equal(json_object_size(o), 3);
		assert_string_equal(json_string_value(json_object_get(o, "e")),
		    "AQAB");
		assert_pjwt(pjwtp_key_public_jwk(NULL, &o),
		    PJWT_E_INVALID_ARGUMENT);
		json_decref(o);
	}
	assert_int_equal(pjwt_key_alg(k), PJWT_ALG_PS256);
	assert_pjwt(pjwt_key_thumbprint(NULL, &tp), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_key_thumbprint(k, NULL), PJWT_E_INVALID_ARGUMENT);
	pjwt_key_free(k);

	/* oct: {"k":...,"kty":"oct"} */
	k = JWK_OK("{\"kty\":\"oct\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAA\"}", PJWT_ALG_UNKNOWN);
	assert_int_equal(pjwt_key_alg(k), PJWT_ALG_HS256);
	assert_true(pjwt_key_is_symmetric(k));
	assert_true(pjwt_key_is_private(k));
	{
		/* sha256('{"k":"AAA...A","kty":"oct"}') computed here */
		const char canon[] = "{\"k\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		    "AAAAAAAAA\",\"kty\":\"oct\"}";
		unsigned char md[32];
		unsigned int mdlen;
		char *b = NULL;

		assert_int_equal(EVP_Digest(canon, strlen(canon), md, &mdlen,
		    EVP_sha256(), NULL), 1);
		assert_pjwt(pjwt_b64url_encode(md, mdlen, &b, NULL), PJWT_OK);
		assert_string_equal(pjwt_key_kid(k), b);
		free(b);
	}
	pjwt_key_free(k);
}

/* ---- PEM --------------------------------------------------------------- */

static void
test_pem_errors(void **state)
{
	EVP_PKEY *pkey;
	pjwt_key *k = NULL;
	char *pem, *pub;
	BIO *bio;

	(void)state;
	PEM_FAILS("", PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	PEM_FAILS("garbage", PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	PEM_FAILS("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
	    PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	assert_pjwt(pjwt_key_from_pem(NULL, 1, PJWT_ALG_UNKNOWN, &k),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_key_from_pem("x", 1, PJWT_ALG_UNKNOWN, NULL),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_key_from_pem("x", 1, (pjwt_alg)99, &k),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_key_load("  \n", 3, PJWT_ALG_UNKNOWN, &k),
	    PJWT_E_BAD_KEY);
	assert_pjwt(pjwt_key_load("", 0, PJWT_ALG_UNKNOWN, &k),
	    PJWT_E_BAD_KEY);
	assert_pjwt(pjwt_key_load(NULL, 0, PJWT_ALG_UNKNOWN, &k),
	    PJWT_E_INVALID_ARGUMENT);

	/* weak RSA, both halves */
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	assert_non_null(pkey);
	pem = pem_of(pkey, 1, 0);
	PEM_FAILS(pem, PJWT_ALG_UNKNOWN, PJWT_E_WEAK_KEY);
	free(pem);
	pem = pem_of(pkey, 0, 0);
	PEM_FAILS(pem, PJWT_ALG_RS256, PJWT_E_WEAK_KEY);
	free(pem);
	EVP_PKEY_free(pkey);

	/* traditional (SEC1 / PKCS#1) private keys are read */
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	pem = pem_of(pkey, 1, 1);
	assert_non_null(strstr(pem, "BEGIN EC PRIVATE KEY"));
	assert_pjwt(pjwt_key_from_pem(pem, strlen(pem), PJWT_ALG_UNKNOWN, &k),
	    PJWT_OK);
	assert_int_equal(pjwt_key_alg(k), PJWT_ALG_ES384);
	assert_true(pjwt_key_is_private(k));
	k = pjwt_key_free(k);
	/* the curve must match the alg; type must fit */
	PEM_FAILS(pem, PJWT_ALG_ES256, PJWT_E_ALG_MISMATCH);
	PEM_FAILS(pem, PJWT_ALG_ES512, PJWT_E_ALG_MISMATCH);
	PEM_FAILS(pem, PJWT_ALG_RS384, PJWT_E_ALG_MISMATCH);
	PEM_FAILS(pem, PJWT_ALG_HS384, PJWT_E_ALG_MISMATCH);
	PEM_FAILS(pem, PJWT_ALG_EDDSA, PJWT_E_ALG_MISMATCH);
	free(pem);

	/* encrypted PEM is refused, never prompted for */
	bio = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PKCS8PrivateKey(bio, pkey,
	    EVP_aes_256_cbc(), "secret", 6, NULL, NULL), 1);
	{
		char *data;
		long n = BIO_get_mem_data(bio, &data);
		pjwt_err r;

		assert_non_null(strstr(data, "ENCRYPTED PRIVATE KEY"));
		r = pjwt_key_from_pem(data, (size_t)n, PJWT_ALG_UNKNOWN, &k);
		assert_pjwt(r, PJWT_E_BAD_KEY);
		assert_null(k);
	}
	BIO_free(bio);
	bio = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PrivateKey_traditional(bio, pkey,
	    EVP_aes_128_cbc(), (const unsigned char *)"secret", 6, NULL, NULL),
	    1);
	{
		char *data;
		long n = BIO_get_mem_data(bio, &data);

		assert_non_null(strstr(data, "Proc-Type: 4,ENCRYPTED"));
		assert_pjwt(pjwt_key_from_pem(data, (size_t)n, PJWT_ALG_UNKNOWN,
		    &k), PJWT_E_BAD_KEY);
	}
	BIO_free(bio);
	EVP_PKEY_free(pkey);

	/* RSA PKCS#1 private, bound to PS384 */
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	pem = pem_of(pkey, 1, 1);
	assert_non_null(strstr(pem, "BEGIN RSA PRIVATE KEY"));
	assert_pjwt(pjwt_key_from_pem(pem, strlen(pem), PJWT_ALG_PS384, &k),
	    PJWT_OK);
	assert_int_equal(pjwt_key_alg(k), PJWT_ALG_PS384);
	k = pjwt_key_free(k);
	PEM_FAILS(pem, PJWT_ALG_ES256, PJWT_E_ALG_MISMATCH);
	PEM_FAILS(pem, PJWT_ALG_HS256, PJWT_E_ALG_MISMATCH);
	free(pem);
	EVP_PKEY_free(pkey);

	/* curves and types we do not implement */
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
	pem = pem_of(pkey, 1, 0);
	PEM_FAILS(pem, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	PEM_FAILS(pem, PJWT_ALG_ES256, PJWT_E_BAD_KEY);
	pub = pem_of(pkey, 0, 0);
	PEM_FAILS(pub, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(pub);
	free(pem);
	EVP_PKEY_free(pkey);
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
	pem = pem_of(pkey, 1, 0);
	PEM_FAILS(pem, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	PEM_FAILS(pem, PJWT_ALG_EDDSA, PJWT_E_BAD_KEY);
	free(pem);
	EVP_PKEY_free(pkey);
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	pem = pem_of(pkey, 0, 0);
	PEM_FAILS(pem, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(pem);
	EVP_PKEY_free(pkey);

	/* a SEC1 private key whose embedded public key is another key's */
	{
		const pjwt_key *a = key_for(PJWT_ALG_ES256);
		unsigned char pt[65];
		unsigned char dn[32];
		BIGNUM *bx = NULL, *by = NULL, *bd = NULL;
		OSSL_PARAM p[4];
		EVP_PKEY_CTX *c;
		EVP_PKEY *mixed = NULL, *other;

		other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		assert_int_equal(EVP_PKEY_get_bn_param(a->pkey,
		    OSSL_PKEY_PARAM_EC_PUB_X, &bx), 1);
		assert_int_equal(EVP_PKEY_get_bn_param(a->pkey,
		    OSSL_PKEY_PARAM_EC_PUB_Y, &by), 1);
		assert_int_equal(EVP_PKEY_get_bn_param(other,
		    OSSL_PKEY_PARAM_PRIV_KEY, &bd), 1);
		pt[0] = 4;
		BN_bn2binpad(bx, pt + 1, 32);
		BN_bn2binpad(by, pt + 33, 32);
		BN_bn2nativepad(bd, dn, 32);
		p[0] = OSSL_PARAM_construct_utf8_string(
		    OSSL_PKEY_PARAM_GROUP_NAME, (char *)"P-256", 0);
		p[1] = OSSL_PARAM_construct_octet_string(
		    OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt));
		p[2] = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_PRIV_KEY, dn,
		    sizeof(dn));
		p[3] = OSSL_PARAM_construct_end();
		c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		assert_int_equal(EVP_PKEY_fromdata_init(c), 1);
		assert_int_equal(EVP_PKEY_fromdata(c, &mixed, EVP_PKEY_KEYPAIR,
		    p), 1);
		pem = pem_of(mixed, 1, 1);
		PEM_FAILS(pem, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
		free(pem);
		pem = pem_of(mixed, 1, 0);
		PEM_FAILS(pem, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
		free(pem);
		/* pjwtp_key_new refuses it too and leaves pkey to the caller */
		assert_pjwt(pjwtp_key_new(PJWT_ALG_ES256, mixed, NULL, 0, 1, &k),
		    PJWT_E_BAD_KEY);
		assert_null(k);
		EVP_PKEY_CTX_free(c);
		EVP_PKEY_free(mixed);
		EVP_PKEY_free(other);
		BN_free(bx);
		BN_free(by);
		BN_clear_free(bd);
	}
	/* a SubjectPublicKeyInfo whose point is off the curve; a truncated
	 * one */
	{
		char *name = NULL, *header = NULL, *data;
		unsigned char *der = NULL;
		long derlen = 0, n;

		assert_pjwt(pjwt_key_to_pem(key_for(PJWT_ALG_ES256), 0, &pub),
		    PJWT_OK);
		bio = BIO_new_mem_buf(pub, -1);
		assert_int_equal(PEM_read_bio(bio, &name, &header, &der,
		    &derlen), 1);
		BIO_free(bio);
		der[derlen - 1] ^= 1;
		bio = BIO_new(BIO_s_mem());
		assert_true(PEM_write_bio(bio, name, header, der, derlen) > 0);
		n = BIO_get_mem_data(bio, &data);
		assert_pjwt(pjwt_key_from_pem(data, (size_t)n, PJWT_ALG_UNKNOWN,
		    &k), PJWT_E_BAD_KEY);
		BIO_free(bio);
		bio = BIO_new(BIO_s_mem());
		assert_true(PEM_write_bio(bio, name, header, der, derlen - 1) > 0);
		n = BIO_get_mem_data(bio, &data);
		assert_pjwt(pjwt_key_from_pem(data, (size_t)n, PJWT_ALG_UNKNOWN,
		    &k), PJWT_E_BAD_KEY);
		assert_null(k);
		BIO_free(bio);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(der);
		pjwt_str_free(pub);
	}
	/* the error queue is left as we found it */
	assert_int_equal(ERR_peek_error(), 0);
}

/* ---- pjwtp_key_new ----------------------------------------------------- */

static void
test_key_new(void **state)
{
	static const unsigned char secret[64] = { 1, 2, 3 };
	pjwt_key *k = NULL;
	EVP_PKEY *pkey;

	(void)state;
	assert_pjwt(pjwtp_key_new(PJWT_ALG_HS256, NULL, NULL, 0, 1, &k),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwtp_key_new(PJWT_ALG_HS256, NULL, secret, 32, 1, NULL),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwtp_key_new(PJWT_ALG_HS256, NULL, secret, 31, 1, &k),
	    PJWT_E_WEAK_KEY);
	assert_pjwt(pjwtp_key_new(PJWT_ALG_HS384, NULL, secret, 47, 1, &k),
	    PJWT_E_WEAK_KEY);
	assert_pjwt(pjwtp_key_new(PJWT_ALG_HS512, NULL, secret, 63, 1, &k),
	    PJWT_E_WEAK_KEY);
	assert_pjwt(pjwtp_key_new(PJWT_ALG_ES256, NULL, secret, 64, 1, &k),
	    PJWT_E_ALG_MISMATCH);
	assert_null(k);
	assert_pjwt(pjwtp_key_new(PJWT_ALG_HS512, NULL, secret, 64, 1, &k),
	    PJWT_OK);
	assert_int_equal(k->secret_len, 64);
	assert_true(pjwt_key_is_symmetric(k));
	k = pjwt_key_free(k);
	assert_pjwt(pjwtp_key_new(PJWT_ALG_UNKNOWN, NULL, secret, 32, 1, &k),
	    PJWT_OK);
	assert_int_equal(pjwt_key_alg(k), PJWT_ALG_HS256);
	k = pjwt_key_free(k);

	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_pjwt(pjwtp_key_new(PJWT_ALG_HS256, pkey, secret, 32, 1, &k),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwtp_key_new(PJWT_ALG_ES256, pkey, NULL, 0, 1, &k),
	    PJWT_E_ALG_MISMATCH);
	assert_pjwt(pjwtp_key_new(PJWT_ALG_HS256, pkey, NULL, 0, 1, &k),
	    PJWT_E_ALG_MISMATCH);
	assert_pjwt(pjwtp_key_new((pjwt_alg)42, pkey, NULL, 0, 1, &k),
	    PJWT_E_INVALID_ARGUMENT);
	assert_null(k);
	/* ownership is taken on success */
	assert_pjwt(pjwtp_key_new(PJWT_ALG_UNKNOWN, pkey, NULL, 0, 1, &k),
	    PJWT_OK);
	assert_ptr_equal(k->pkey, pkey);
	assert_int_equal(pjwt_key_alg(k), PJWT_ALG_EDDSA);
	k = pjwt_key_free(k);
	assert_null(pjwt_key_free(NULL));
}

/* ---- JWK: per type ----------------------------------------------------- */

static void
test_jwk_ec(void **state)
{
	char *priv, *pub, *s, *other;
	pjwt_key *k;

	(void)state;
	priv = priv_jwk(PJWT_ALG_ES256);
	pub = pub_jwk(PJWT_ALG_ES256);
	/* wrong lengths */
	s = jwk_resize(pub, "x", 31);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_resize(pub, "x", 33);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_resize(pub, "y", 31);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_resize(priv, "d", 31);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_resize(priv, "d", 33);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	/* a point off the curve, in each coordinate */
	s = jwk_flip(pub, "y", 31);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_flip(pub, "x", 0);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_flip(priv, "y", 5);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	/* d that does not belong to x, y */
	s = jwk_flip(priv, "d", 31);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	other = priv_jwk(PJWT_ALG_ES384);
	{
		pjwt_key *o2 = gen(PJWT_ALG_ES256);
		char *od = to_jwk(o2, 1);
		size_t n;
		unsigned char *d = jwk_bytes(od, "d", &n);

		s = jwk_set_bytes(priv, "d", d, n);
		JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
		free(s);
		pjwt_secret_free(d, n + 1);
		pjwt_str_free(od);
		pjwt_key_free(o2);
	}
	/* d = 0 and d = n are refused */
	{
		unsigned char zero[32] = { 0 };

		s = jwk_set_bytes(priv, "d", zero, 32);
		JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
		free(s);
	}
	/* curve and alg must agree */
	s = jwk_set_str(pub, "alg", "ES384");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_ALG_MISMATCH);
	free(s);
	s = jwk_set_str(pub, "alg", "RS256");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_ALG_MISMATCH);
	free(s);
	s = jwk_set(pub, "alg", NULL);
	JWK_FAILS(s, PJWT_ALG_ES512, PJWT_E_ALG_MISMATCH);
	JWK_FAILS(s, PJWT_ALG_EDDSA, PJWT_E_ALG_MISMATCH);
	k = JWK_OK(s, PJWT_ALG_ES256);
	pjwt_key_free(k);
	k = JWK_OK(s, PJWT_ALG_UNKNOWN);
	assert_int_equal(pjwt_key_alg(k), PJWT_ALG_ES256);
	pjwt_key_free(k);
	free(s);
	JWK_FAILS(pub, PJWT_ALG_ES384, PJWT_E_ALG_MISMATCH);
	/* a P-256 point labelled P-384: wrong lengths */
	s = jwk_set_str(pub, "crv", "P-384");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	/* P-384 x/y claimed to be P-256 */
	s = jwk_set_str(other, "crv", "P-256");
	{
		char *s2 = jwk_set(s, "alg", NULL);
		JWK_FAILS(s2, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
		free(s2);
	}
	free(s);
	/* curves we do not implement, missing and mistyped members */
	s = jwk_set_str(pub, "crv", "secp256k1");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_set_str(pub, "crv", "p-256");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_set(pub, "crv", NULL);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_set(pub, "crv", json_integer(256));
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
	free(s);
	s = jwk_set(pub, "y", NULL);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_set(pub, "x", json_integer(1));
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
	free(s);
	s = jwk_set(pub, "d", json_null());
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
	free(s);
	/* non-canonical base64url */
	{
		json_error_t e;
		json_t *o = json_loads(pub, 0, &e);
		char buf[128];

		snprintf(buf, sizeof(buf), "%s=",
		    json_string_value(json_object_get(o, "x")));
		s = jwk_set_str(pub, "x", buf);
		JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
		free(s);
		snprintf(buf, sizeof(buf), "%s",
		    json_string_value(json_object_get(o, "y")));
		buf[0] = '+';
		s = jwk_set_str(pub, "y", buf);
		JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
		free(s);
		buf[0] = '/';
		s = jwk_set_str(pub, "y", buf);
		JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
		free(s);
		buf[0] = ' ';
		s = jwk_set_str(pub, "y", buf);
		JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
		free(s);
		json_decref(o);
	}
	/* P-521: 66 bytes exactly */
	pjwt_str_free(other);
	other = pub_jwk(PJWT_ALG_ES512);
	s = jwk_resize(other, "x", 65);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_resize(other, "y", 67);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_flip(other, "y", 65);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	pjwt_str_free(other);
	other = priv_jwk(PJWT_ALG_ES384);
	s = jwk_flip(other, "d", 0);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	pjwt_str_free(other);
	pjwt_str_free(priv);
	pjwt_str_free(pub);
}

static void
test_jwk_okp(void **state)
{
	char buf[512], *s;
	pjwt_key *k;

	(void)state;
	snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	    "\"d\":\"%s\",\"x\":\"%s\"}", rfc8037_d, rfc8037_x);
	/* d not matching x */
	s = jwk_flip(buf, "d", 0);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_flip(buf, "x", 7);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	/* lengths */
	s = jwk_resize(buf, "x", 31);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_resize(buf, "x", 33);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_resize(buf, "d", 31);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_resize(buf, "d", 64);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_set(buf, "x", NULL);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	/* other OKP curves, alg mismatches */
	s = jwk_set_str(buf, "crv", "X25519");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_set_str(buf, "crv", "Ed448");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_set_str(buf, "alg", "ES256");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_ALG_MISMATCH);
	free(s);
	s = jwk_set_str(buf, "alg", "EdDSA");
	JWK_FAILS(s, PJWT_ALG_HS256, PJWT_E_ALG_MISMATCH);
	k = JWK_OK(s, PJWT_ALG_EDDSA);
	pjwt_key_free(k);
	free(s);
	JWK_FAILS(buf, PJWT_ALG_RS256, PJWT_E_ALG_MISMATCH);
	k = JWK_OK(buf, PJWT_ALG_EDDSA);
	assert_true(pjwt_key_is_private(k));
	pjwt_key_free(k);
}

/* ---- ROCA (CVE-2017-15361) --------------------------------------------- */

/*
 * Wycheproof testvectors/json_web_key_test.json, group "jws_rsa_roca_key",
 * tcId 7 "rejectsKeyWithRocaVulnerability" (C2SP/wycheproof): a 2048-bit
 * RSA key made by an Infineon RSALib, its public and private JWK, and a JWS
 * over "foo" that verifies under it.  Copied verbatim (members reordered).
 */
#define ROCA_PUB_MEMBERS "{\"kty\":\"RSA\",\"alg\":\"RS256\",\"use\":\"sig\",\"kid\":\"kid-rsa-roca-sign\",\"e\":\"AQAB\",\"n\":\"" \
	    "AanFpofbj7KjD4Lf-N2hVMKR7yewSyXhhbirIMTGpfYEhZ_lnt5UoK98DnKI" \
	    "gArXGTu3MaW_HhFw16HGaTDUHqPrId7fe4r11CqRw09yBFuW79V8sYIwHdzC" \
	    "aWflUI6auImYbVfoN9_nD5n8N8SY9DwXw7mwZM9wREPXoDPgOoIWl6q_MPsp" \
	    "7n0zs3Z5ZaiQWOOzl1S9OhwAfSiiOwz6efnXEaxuTEtPd7BjSx7NaFka8Dx9" \
	    "U7YqXy2RFj1O9PjyaDGuRh7YXsX3iMUSP_wSyHQg_c_qHRtKUsNSGCT7OZg0" \
	    "hzm2KphtjnayKJvC64vAbROBR4Ubg6Bxg9IQVZ-QYyE" \
	    "\""
static const char roca_pub_jwk[] = ROCA_PUB_MEMBERS "}";
static const char roca_priv_jwk[] = ROCA_PUB_MEMBERS
	    ",\"d\":\""
	    "NGpEqgz5j8BLNI1mEcK-sIVOr9AgMDWnRKisjAz4eWTtHlYiTLSWY4QeMzNi"
	    "r_LzBEr1LbZteTAvG5dVc9FpRDy6Grngd6bzy5nONYWPy8a1F88V-zT5OCgm"
	    "2cd9N1EMzsOZEm1gE4xae1Z1dxptVsiGK-HvRypG_SMacch063aSDM46Asva"
	    "o8PjqWGy-ZGwnaprx5ME4ZWRMKtov8BVMvkrs1KeM7TtjMg27hvreTueu8fb"
	    "gNc9U93S2sWjw_4YvS72idsM95e-MCNwhKkrfufNhc5-8-pxD6cbiu8BnG4g"
	    "R0vuQUNJFx16BsskC7JgOwEUhUg1Q0pYYj3DA54OwQ"
	    "\""
	    ",\"p\":\""
	    "ARXNC8pC9mwATep-hd8UJIPF-zxRT3SLSo-oqcfvsfxh31YwlKtfIx7TZgXY"
	    "1Zqva9zzxJZYxR1XrJp3M0Ny5yRSz04EE7tOjSC3-vR2oIGtkWPFUUF4VpEw"
	    "rDzqPrZa7JKY-ZJ0qchxLYwzKj7LgEA2HY8l1GBQzHYqqbblMNyF"
	    "\""
	    ",\"q\":\""
	    "AYhb2gXYokQugcoSDcl9jeeqwpccV-1Fv93RTtaFMoDJ5kJipWpmTIuT06ZL"
	    "Vc0-2FNl9U3HaiNnHgT07Sjnllj2XGBH5tFT-2u8UUby7QEX8I5QRrdCs6FE"
	    "toIxY-eGZWD5MbF8bwrdE1xuhk7dvxlGcEzsAqWMU1ORoRdCZgzt"
	    "\""
	    ",\"dp\":\""
	    "b2E6rOmUK1Ej7DS2L-6_hSXHyTNAjBWc22RgTg1Ia0xCYygvM1Z9mkpfyVBa"
	    "tB5JPNlvpGgK_-y7A2NvZkeXbPTWsQzpbFveMZQSRhmZ2ORiOoJORdWdv7Co"
	    "HfQ9GJfz6gLzbUjhGcBm5qNM-MhWr2gDCfW85LEAiRAp426Y3JE"
	    "\""
	    ",\"dq\":\""
	    "43ITjgYJ8qpfFKuokGAXLe_AQ-brVaF0Wvrlz9eA8kWYFG2o5GgPAW6dZ64O"
	    "PB-tOZNGQ2NRNNqm_UqaXHb7ofCWlj24ISqk-cw99XoHR_X_vg_tHnktNlRl"
	    "1E0bU_CFvlRWqUOv_0Uu3ws3EmrbR6ScnwrFcgBJoY0vLBOSovU"
	    "\""
	    ",\"qi\":\""
	    "azvnD35JmJmI6VoGG4J_koriDC-VENRIzJy9P9paHUtk7vVVPWfC2GzsvHXT"
	    "F1ZrvqYmG-NtYxRkps6AQ8QKio9XbQ7tTnYmbCH9rSXj7yim3A9Rry92_Lsp"
	    "lWRW2H_EIviYk4XdQY3SpSXCbd30fpVcJRhzF_SJ2ifEIPWd3NA"
	    "\"" "}";
static const char roca_jws[] =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImtpZC1yc2Etcm9jYS1zaWduIn0.Zm9v"
    ".AF_6dFYBEaaI5OlOehaktwYarwKZwFFeKTNwz9ar6ntNh4k8oeQwiODJqT1"
    "nnX2KhrWMUc80JJIdaCq3y7wOSmlPrqRgrL5r9xqfQdokirCuynoq4Lbi226"
    "VlZmijmkyYtSeEbzvkhyjbY8cDQF_c2DMMQG8FBRNJPOSTxi_I75Twj0877G"
    "-16i3bAWcvFxcNKGQzSQNcp5Lvh15N2I3PDM5W7HaFwPO0drzLR9dsDW9uDC"
    "qHvMMyshC7rgZdqfXpkaJL8Whn_mUScnLxS7J-2wVt9xKY3LpR97HoanIK-r"
    "cqYS_eq9hY_65te4qbwPCtQMjipIgIGo9HZrNRomAB1c";

/* An EVP_PKEY from the RSA members of a JWK, built by OpenSSL directly
 * (libpjwt refuses the key); private when the JWK has d. */
static EVP_PKEY *
rsa_pkey_from_jwk(const char *jwk)
{
	static const struct { const char *m, *param; } map[] = {
		{ "n", OSSL_PKEY_PARAM_RSA_N }, { "e", OSSL_PKEY_PARAM_RSA_E },
		{ "d", OSSL_PKEY_PARAM_RSA_D },
		{ "p", OSSL_PKEY_PARAM_RSA_FACTOR1 },
		{ "q", OSSL_PKEY_PARAM_RSA_FACTOR2 },
		{ "dp", OSSL_PKEY_PARAM_RSA_EXPONENT1 },
		{ "dq", OSSL_PKEY_PARAM_RSA_EXPONENT2 },
		{ "qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1 },
	};
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *bn[8] = { NULL };
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;
	json_t *o = json_loads(jwk, 0, NULL);
	int sel = EVP_PKEY_PUBLIC_KEY;
	size_t i;

	assert_non_null(bld);
	assert_non_null(o);
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		const char *b = json_string_value(json_object_get(o, map[i].m));
		unsigned char *raw = NULL;
		size_t len = 0;

		if (b == NULL)
			continue;
		if (i == 2)
			sel = EVP_PKEY_KEYPAIR;
		assert_pjwt(pjwt_b64url_decode(b, strlen(b), &raw, &len),
		    PJWT_OK);
		bn[i] = BN_bin2bn(raw, (int)len, NULL);
		assert_non_null(bn[i]);
		free(raw);
		assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, map[i].param,
		    bn[i]), 1);
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_non_null(params);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pkey, sel, params), 1);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	for (i = 0; i < 8; i++)
		BN_free(bn[i]);
	json_decref(o);
	return pkey;
}

/*
 * A public RSA JWK whose modulus has the ROCA fingerprint without being an
 * RSALib key: bits bits, N = 65537^a mod M + t*M (M the product of the odd
 * primes up to 167), odd; plus `add` (0 keeps the fingerprint).
 */
static char *
roca_like_jwk(int bits, unsigned long add)
{
	static const unsigned char pr[] = { 3, 5, 7, 11, 13, 17, 19, 23, 29,
		31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101,
		103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167 };
	BN_CTX *bc = BN_CTX_new();
	BIGNUM *m = BN_new(), *g = BN_new(), *a = BN_new(), *n = BN_new();
	BIGNUM *t = BN_new();
	unsigned char buf[1024];
	char *b = NULL, *out;
	size_t i, blen = 0;

	assert_non_null(bc);
	assert_non_null(t);
	assert_int_equal(BN_one(m), 1);
	for (i = 0; i < sizeof(pr); i++)
		assert_int_equal(BN_mul_word(m, pr[i]), 1);
	assert_int_equal(BN_set_word(g, 65537), 1);
	assert_int_equal(BN_set_word(a, 1234567), 1);
	assert_int_equal(BN_mod_exp(g, g, a, m, bc), 1);   /* 65537^a mod M */
	/* t random so N = g + t*M has exactly `bits` bits (bounded tries). */
	for (i = 0; i < 200; i++) {
		assert_int_equal(BN_rand(t, bits - BN_num_bits(m) + 1,
		    BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY), 1);
		assert_int_equal(BN_mul(t, t, m, bc), 1);
		assert_int_equal(BN_add(n, g, t), 1);
		if (!BN_is_odd(n))   /* M is odd: adding it keeps the residues */
			assert_int_equal(BN_add(n, n, m), 1);
		if (BN_num_bits(n) == bits)
			break;
	}
	assert_int_equal(BN_num_bits(n), bits);
	assert_int_equal(BN_add_word(n, add), 1);
	assert_true((size_t)BN_num_bytes(n) <= sizeof(buf));
	i = (size_t)BN_bn2bin(n, buf);
	assert_pjwt(pjwt_b64url_encode(buf, i, &b, &blen), PJWT_OK);
	out = malloc(blen + 64);
	assert_non_null(out);
	snprintf(out, blen + 64, "{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"%s\"}", b);
	free(b);
	BN_free(m);
	BN_free(g);
	BN_free(a);
	BN_free(n);
	BN_free(t);
	BN_CTX_free(bc);
	return out;
}

static void
test_roca(void **state)
{
	pjwt_keyset *ks = NULL;
	pjwt_key *k = NULL;
	EVP_PKEY *pkey;
	char *s, *pem;
	int i;

	(void)state;
	/* The Wycheproof key, every way a key gets in: JWK public and
	 * private, JWKS, PEM public, private (PKCS#8 and PKCS#1). */
	JWK_FAILS(roca_pub_jwk, PJWT_ALG_UNKNOWN, PJWT_E_WEAK_KEY);
	JWK_FAILS(roca_pub_jwk, PJWT_ALG_RS256, PJWT_E_WEAK_KEY);
	JWK_FAILS(roca_priv_jwk, PJWT_ALG_UNKNOWN, PJWT_E_WEAK_KEY);
	s = malloc(sizeof(roca_pub_jwk) + 16);
	assert_non_null(s);
	snprintf(s, sizeof(roca_pub_jwk) + 16, "{\"keys\":[%s]}", roca_pub_jwk);
	assert_pjwt(pjwt_keyset_from_jwks(s, strlen(s), &ks), PJWT_E_WEAK_KEY);
	assert_null(ks);
	free(s);
	pkey = rsa_pkey_from_jwk(roca_pub_jwk);
	pem = pem_of(pkey, 0, 0);
	PEM_FAILS(pem, PJWT_ALG_UNKNOWN, PJWT_E_WEAK_KEY);
	assert_pjwt(pjwt_key_load(pem, strlen(pem), PJWT_ALG_RS256, &k),
	    PJWT_E_WEAK_KEY);
	assert_null(k);
	free(pem);
	EVP_PKEY_free(pkey);
	pkey = rsa_pkey_from_jwk(roca_priv_jwk);
	pem = pem_of(pkey, 1, 0);
	PEM_FAILS(pem, PJWT_ALG_UNKNOWN, PJWT_E_WEAK_KEY);
	free(pem);
	pem = pem_of(pkey, 1, 1);
	PEM_FAILS(pem, PJWT_ALG_RS256, PJWT_E_WEAK_KEY);
	free(pem);
	/* The vector is what it claims: its JWS verifies under the key
	 * (OpenSSL directly), so only the load refuses it. */
	{
		const char *dot = strrchr(roca_jws, '.');
		unsigned char *sig = NULL;
		size_t siglen = 0;
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		assert_non_null(md);
		assert_pjwt(pjwt_b64url_decode(dot + 1, strlen(dot + 1), &sig,
		    &siglen), PJWT_OK);
		assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(),
		    NULL, pkey), 1);
		assert_int_equal(EVP_DigestVerify(md, sig, siglen,
		    (const unsigned char *)roca_jws,
		    (size_t)(dot - roca_jws)), 1);
		EVP_MD_CTX_free(md);
		free(sig);
	}
	EVP_PKEY_free(pkey);

	/* The fingerprint, not this one key: other sizes; one off is not. */
	s = roca_like_jwk(2048, 0);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_WEAK_KEY);
	free(s);
	s = roca_like_jwk(3072, 0);
	JWK_FAILS(s, PJWT_ALG_RS256, PJWT_E_WEAK_KEY);
	free(s);
	s = roca_like_jwk(4096, 0);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_WEAK_KEY);
	free(s);
	s = roca_like_jwk(2048, 2);
	k = jwk_ok(s, PJWT_ALG_RS256, __LINE__);
	pjwt_key_free(k);
	free(s);

	/* Positive control: ordinary RSA keys still load, both halves. */
	for (i = 0; i < 3; i++) {
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
		    (size_t)(i == 2 ? 3072 : 2048));
		assert_non_null(pkey);
		s = rsa_jwk_of(pkey, 0);
		k = jwk_ok(s, PJWT_ALG_RS256, __LINE__);
		pjwt_key_free(k);
		free(s);
		pem = pem_of(pkey, 1, 0);
		assert_pjwt(pjwt_key_from_pem(pem, strlen(pem),
		    PJWT_ALG_RS256, &k), PJWT_OK);
		pjwt_key_free(k);
		k = NULL;
		free(pem);
		EVP_PKEY_free(pkey);
	}
}

static void
test_jwk_rsa(void **state)
{
	char *priv, *pub, *s, *s2;
	EVP_PKEY *pkey;
	pjwt_key *k;
	static const char *const crt[] = { "d", "p", "q", "dp", "dq", "qi" };
	size_t i;

	(void)state;
	/* weak: 1024 bits */
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	s = rsa_jwk_of(pkey, 0);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_WEAK_KEY);
	free(s);
	s = rsa_jwk_of(pkey, 1);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_WEAK_KEY);
	free(s);
	EVP_PKEY_free(pkey);

	priv = priv_jwk(PJWT_ALG_RS256);
	pub = pub_jwk(PJWT_ALG_RS256);
	/* all CRT members, or none */
	for (i = 0; i < sizeof(crt) / sizeof(crt[0]); i++) {
		s = jwk_set(priv, crt[i], NULL);
		JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
		free(s);
	}
	s = jwk_set(priv, "d", NULL);
	s2 = jwk_set(s, "qi", NULL);
	JWK_FAILS(s2, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s2);
	free(s);
	{
		size_t n;
		unsigned char *d = jwk_bytes(priv, "d", &n);

		s = jwk_set_bytes(pub, "d", d, n);
		JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
		free(s);
		pjwt_secret_free(d, n + 1);
	}
	/* inconsistent members */
	s = jwk_flip(priv, "d", 10);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_flip(priv, "qi", 10);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_flip(priv, "n", 10);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	/* Base64urlUInt is minimal */
	{
		size_t n;
		unsigned char *p = jwk_bytes(pub, "n", &n), *q;

		q = malloc(n + 1);
		assert_non_null(q);
		q[0] = 0;
		memcpy(q + 1, p, n);
		s = jwk_set_bytes(pub, "n", q, n + 1);
		JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
		free(s);
		free(q);
		free(p);
	}
	{
		static const unsigned char e0[] = { 0, 1, 0, 1 };
		static const unsigned char e1[] = { 1 };
		static const unsigned char e2[] = { 1, 0, 0 };
		static const unsigned char e3[] = { 3 };

		s = jwk_set_bytes(pub, "e", e0, sizeof(e0));
		JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
		free(s);
		s = jwk_set_bytes(pub, "e", e1, sizeof(e1));
		JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
		free(s);
		s = jwk_set_bytes(pub, "e", e2, sizeof(e2));
		JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
		free(s);
		/* e = 3 is unusual but not unusable */
		s = jwk_set_bytes(pub, "e", e3, sizeof(e3));
		k = JWK_OK(s, PJWT_ALG_UNKNOWN);
		pjwt_key_free(k);
		free(s);
	}
	s = jwk_set_str(pub, "e", "");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_set(pub, "n", NULL);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_set(priv, "oth", json_array());
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	/* alg */
	s = jwk_set_str(pub, "alg", "ES256");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_ALG_MISMATCH);
	free(s);
	s = jwk_set_str(pub, "alg", "HS256");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_ALG_MISMATCH);
	free(s);
	JWK_FAILS(pub, PJWT_ALG_PS256, PJWT_E_ALG_MISMATCH);
	s = jwk_set(pub, "alg", NULL);
	k = JWK_OK(s, PJWT_ALG_PS512);
	assert_int_equal(pjwt_key_alg(k), PJWT_ALG_PS512);
	pjwt_key_free(k);
	k = JWK_OK(s, PJWT_ALG_UNKNOWN);
	assert_int_equal(pjwt_key_alg(k), PJWT_ALG_RS256);
	pjwt_key_free(k);
	free(s);
	pjwt_str_free(priv);
	pjwt_str_free(pub);
}

static void
test_jwk_oct(void **state)
{
	unsigned char key[64];
	char *b = NULL, buf[256];
	pjwt_key *k;

	(void)state;
	memset(key, 0x42, sizeof(key));
#define OCT(n, alg) do { \
	free(b); \
	b = NULL; \
	assert_pjwt(pjwt_b64url_encode(key, (n), &b, NULL), PJWT_OK); \
	snprintf(buf, sizeof(buf), "{\"kty\":\"oct\",\"k\":\"%s\"%s%s%s}", b, \
	    (alg) ? ",\"alg\":\"" : "", (alg) ? (alg) : "", (alg) ? "\"" : ""); \
} while (0)
	OCT(31, NULL);
	JWK_FAILS(buf, PJWT_ALG_UNKNOWN, PJWT_E_WEAK_KEY);
	OCT(32, NULL);
	k = JWK_OK(buf, PJWT_ALG_UNKNOWN);
	assert_int_equal(pjwt_key_alg(k), PJWT_ALG_HS256);
	pjwt_key_free(k);
	JWK_FAILS(buf, PJWT_ALG_HS384, PJWT_E_WEAK_KEY);
	JWK_FAILS(buf, PJWT_ALG_RS256, PJWT_E_ALG_MISMATCH);
	OCT(32, "HS512");
	JWK_FAILS(buf, PJWT_ALG_UNKNOWN, PJWT_E_WEAK_KEY);
	OCT(63, "HS512");
	JWK_FAILS(buf, PJWT_ALG_UNKNOWN, PJWT_E_WEAK_KEY);
	OCT(64, "HS512");
	k = JWK_OK(buf, PJWT_ALG_UNKNOWN);
	assert_int_equal(pjwt_key_alg(k), PJWT_ALG_HS512);
	pjwt_key_free(k);
	OCT(47, "HS384");
	JWK_FAILS(buf, PJWT_ALG_UNKNOWN, PJWT_E_WEAK_KEY);
	OCT(48, "HS384");
	k = JWK_OK(buf, PJWT_ALG_HS384);
	pjwt_key_free(k);
	OCT(64, "ES256");
	JWK_FAILS(buf, PJWT_ALG_UNKNOWN, PJWT_E_ALG_MISMATCH);
	OCT(0, NULL);
	JWK_FAILS(buf, PJWT_ALG_UNKNOWN, PJWT_E_WEAK_KEY);
	free(b);
#undef OCT
	JWK_FAILS("{\"kty\":\"oct\"}", PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	JWK_FAILS("{\"kty\":\"oct\",\"k\":7}", PJWT_ALG_UNKNOWN,
	    PJWT_E_MALFORMED);
	JWK_FAILS("{\"kty\":\"oct\",\"k\":\"A\"}", PJWT_ALG_UNKNOWN,
	    PJWT_E_MALFORMED);
}

/* ---- JWK: common members ----------------------------------------------- */

static void
test_jwk_members(void **state)
{
	char *pub, *s, kid[300];
	pjwt_key *k;

	(void)state;
	pub = pub_jwk(PJWT_ALG_EDDSA);
	/* use */
	s = jwk_set_str(pub, "use", "enc");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_set_str(pub, "use", "SIG");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_set(pub, "use", json_true());
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
	free(s);
	s = jwk_set(pub, "use", NULL);
	k = JWK_OK(s, PJWT_ALG_UNKNOWN);
	pjwt_key_free(k);
	free(s);
	/* key_ops */
	s = jwk_set(pub, "key_ops", json_pack("[s]", "verify"));
	k = JWK_OK(s, PJWT_ALG_UNKNOWN);
	pjwt_key_free(k);
	free(s);
	s = jwk_set(pub, "key_ops", json_pack("[ss]", "encrypt", "sign"));
	k = JWK_OK(s, PJWT_ALG_UNKNOWN);
	pjwt_key_free(k);
	free(s);
	s = jwk_set(pub, "key_ops", json_pack("[s]", "encrypt"));
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_set(pub, "key_ops", json_array());
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_set(pub, "key_ops", json_string("verify"));
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
	free(s);
	s = jwk_set(pub, "key_ops", json_pack("[si]", "verify", 1));
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
	free(s);
	/* kid */
	s = jwk_set_str(pub, "kid", "");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
	free(s);
	memset(kid, 'k', sizeof(kid));
	kid[256] = '\0';
	s = jwk_set_str(pub, "kid", kid);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
	free(s);
	kid[255] = '\0';
	s = jwk_set_str(pub, "kid", kid);
	k = JWK_OK(s, PJWT_ALG_UNKNOWN);
	assert_string_equal(pjwt_key_kid(k), kid);
	pjwt_key_free(k);
	free(s);
	s = jwk_set_str(pub, "kid", "a\nb");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
	free(s);
	s = jwk_set_str(pub, "kid", "caf\xc3\xa9");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
	free(s);
	s = jwk_set_str(pub, "kid", "a\x7f");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
	free(s);
	s = jwk_set(pub, "kid", json_integer(1));
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
	free(s);
	s = jwk_set_str(pub, "kid", "key 1 (2024)");
	k = JWK_OK(s, PJWT_ALG_UNKNOWN);
	assert_string_equal(pjwt_key_kid(k), "key 1 (2024)");
	pjwt_key_free(k);
	free(s);
	/* alg */
	s = jwk_set_str(pub, "alg", "none");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_ALG_NONE);
	free(s);
	s = jwk_set_str(pub, "alg", "NONE");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_ALG_NONE);
	free(s);
	s = jwk_set_str(pub, "alg", "Ed25519");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_ALG_UNSUPPORTED);
	free(s);
	s = jwk_set_str(pub, "alg", "eddsa");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_ALG_UNSUPPORTED);
	free(s);
	s = jwk_set(pub, "alg", json_integer(1));
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
	free(s);
	/* kty */
	s = jwk_set_str(pub, "kty", "okp");
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_set(pub, "kty", NULL);
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	free(s);
	s = jwk_set(pub, "kty", json_null());
	JWK_FAILS(s, PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
	free(s);
	/* JSON shape */
	{
		char buf[512];

		snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
		    "\"x\":\"%s\",\"x\":\"%s\"}", rfc8037_x, rfc8037_x);
		JWK_FAILS(buf, PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
		snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
		    "\"x\":\"%s\"} x", rfc8037_x);
		JWK_FAILS(buf, PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
		snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
		    "\"x\":\"%s\",\"ext\":[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]}",
		    rfc8037_x);
		JWK_FAILS(buf, PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
		/* unknown members are ignored */
		snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
		    "\"x\":\"%s\",\"x5t\":\"abc\",\"ext\":true}", rfc8037_x);
		k = JWK_OK(buf, PJWT_ALG_UNKNOWN);
		pjwt_key_free(k);
	}
	JWK_FAILS("[]", PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
	JWK_FAILS("{\"keys\":[]}", PJWT_ALG_UNKNOWN, PJWT_E_BAD_KEY);
	JWK_FAILS("", PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
	JWK_FAILS("{", PJWT_ALG_UNKNOWN, PJWT_E_MALFORMED);
	JWK_FAILS(pub, (pjwt_alg)14, PJWT_E_INVALID_ARGUMENT);
	{
		pjwt_key *kk = NULL;

		assert_pjwt(pjwt_key_from_jwk(NULL, 0, PJWT_ALG_UNKNOWN, &kk),
		    PJWT_E_INVALID_ARGUMENT);
		assert_pjwt(pjwt_key_from_jwk(pub, strlen(pub), PJWT_ALG_UNKNOWN,
		    NULL), PJWT_E_INVALID_ARGUMENT);
		/* the length is honoured: a prefix is not a JWK */
		assert_pjwt(pjwt_key_from_jwk(pub, strlen(pub) - 1,
		    PJWT_ALG_UNKNOWN, &kk), PJWT_E_MALFORMED);
		assert_null(kk);
	}
	/* to_jwk arguments */
	{
		char *o = NULL;

		assert_pjwt(pjwt_key_to_jwk(NULL, 0, &o),
		    PJWT_E_INVALID_ARGUMENT);
		assert_pjwt(pjwt_key_to_jwk(key_for(PJWT_ALG_EDDSA), 0, NULL),
		    PJWT_E_INVALID_ARGUMENT);
		assert_pjwt(pjwt_key_to_pem(NULL, 0, &o),
		    PJWT_E_INVALID_ARGUMENT);
		assert_null(o);
	}
	pjwt_str_free(pub);
	assert_int_equal(ERR_peek_error(), 0);
}

/* Serialised members: exactly the documented ones, in order. */
static void
test_jwk_serialise(void **state)
{
	static const struct {
		pjwt_alg alg;
		const char *pub[8];
		const char *priv[13];
	} want[] = {
		{ PJWT_ALG_EDDSA, { "kty", "crv", "x", "alg", "kid", "use" },
		  { "kty", "crv", "x", "d", "alg", "kid", "use" } },
		{ PJWT_ALG_ES384, { "kty", "crv", "x", "y", "alg", "kid", "use" },
		  { "kty", "crv", "x", "y", "d", "alg", "kid", "use" } },
		{ PJWT_ALG_PS256, { "kty", "n", "e", "alg", "kid", "use" },
		  { "kty", "n", "e", "d", "p", "q", "dp", "dq", "qi", "alg",
		    "kid", "use" } },
		{ PJWT_ALG_HS384, { NULL }, { "kty", "k", "alg", "kid", "use" } },
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		for (j = 0; j < 2; j++) {
			const char *const *names = j ? want[i].priv : want[i].pub;
			json_error_t e;
			const char *key;
			json_t *o, *v;
			size_t n = 0;
			char *s;

			if (names[0] == NULL)
				continue;
			s = to_jwk(key_for(want[i].alg), (int)j);
			assert_null(strchr(s, ' '));
			assert_null(strchr(s, '\n'));
			o = json_loads(s, 0, &e);
			assert_non_null(o);
			json_object_foreach(o, key, v) {
				assert_non_null(names[n]);
				assert_string_equal(key, names[n]);
				assert_true(json_is_string(v));
				n++;
			}
			assert_null(names[n]);
			assert_string_equal(json_string_value(json_object_get(o,
			    "alg")), pjwt_alg_name(want[i].alg));
			assert_string_equal(json_string_value(json_object_get(o,
			    "use")), "sig");
			json_decref(o);
			pjwt_str_free(s);
		}
	}
	/* a kid set by the caller is serialised */
	{
		pjwt_key *k = gen(PJWT_ALG_ES256);
		char *s;

		assert_pjwt(pjwt_key_set_kid(k, "my-key"), PJWT_OK);
		s = to_jwk(k, 0);
		assert_non_null(strstr(s, "\"kid\":\"my-key\""));
		pjwt_str_free(s);
		pjwt_key_free(k);
	}
}

/* ---- getters, kid ------------------------------------------------------ */

static void
test_key_kid(void **state)
{
	pjwt_key *k = gen(PJWT_ALG_EDDSA);
	char kid[300];
	char *tp = NULL;

	(void)state;
	assert_pjwt(pjwt_key_thumbprint(k, &tp), PJWT_OK);
	assert_pjwt(pjwt_key_set_kid(k, ""), PJWT_E_MALFORMED);
	assert_pjwt(pjwt_key_set_kid(k, "tab\there"), PJWT_E_MALFORMED);
	assert_pjwt(pjwt_key_set_kid(k, "\xff"), PJWT_E_MALFORMED);
	memset(kid, 'a', sizeof(kid));
	kid[256] = '\0';
	assert_pjwt(pjwt_key_set_kid(k, kid), PJWT_E_MALFORMED);
	assert_pjwt(pjwt_key_set_kid(k, NULL), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_key_set_kid(NULL, "a"), PJWT_E_INVALID_ARGUMENT);
	/* failures leave the kid alone */
	assert_string_equal(pjwt_key_kid(k), tp);
	kid[255] = '\0';
	assert_pjwt(pjwt_key_set_kid(k, kid), PJWT_OK);
	assert_string_equal(pjwt_key_kid(k), kid);
	assert_pjwt(pjwt_key_set_kid(k, " ~"), PJWT_OK);
	assert_string_equal(pjwt_key_kid(k), " ~");
	/* the thumbprint does not depend on the kid */
	{
		char *tp2 = NULL;

		assert_pjwt(pjwt_key_thumbprint(k, &tp2), PJWT_OK);
		assert_string_equal(tp, tp2);
		free(tp2);
	}
	free(tp);
	pjwt_key_free(k);
	assert_int_equal(pjwt_key_alg(NULL), PJWT_ALG_UNKNOWN);
	assert_null(pjwt_key_kid(NULL));
	assert_false(pjwt_key_is_private(NULL));
	assert_false(pjwt_key_is_symmetric(NULL));
}

/* ---- key sets ---------------------------------------------------------- */

static void
test_keyset_api(void **state)
{
	pjwt_keyset *ks = pjwt_keyset_new();
	pjwt_key *k, *dup;
	char kid[16];
	size_t i;

	(void)state;
	assert_non_null(ks);
	assert_int_equal(pjwt_keyset_count(ks), 0);
	assert_null(pjwt_keyset_get(ks, 0));
	assert_null(pjwt_keyset_find_kid(ks, "a"));
	for (i = 0; i < PJWT_KEYSET_MAX; i++) {
		k = gen(PJWT_ALG_HS256);
		snprintf(kid, sizeof(kid), "k%zu", i);
		assert_pjwt(pjwt_key_set_kid(k, kid), PJWT_OK);
		assert_pjwt(pjwt_keyset_add(ks, k), PJWT_OK);
	}
	assert_int_equal(pjwt_keyset_count(ks), PJWT_KEYSET_MAX);
	for (i = 0; i < PJWT_KEYSET_MAX; i++) {
		snprintf(kid, sizeof(kid), "k%zu", i);
		assert_string_equal(pjwt_key_kid(pjwt_keyset_get(ks, i)), kid);
		assert_ptr_equal(pjwt_keyset_find_kid(ks, kid),
		    pjwt_keyset_get(ks, i));
	}
	assert_null(pjwt_keyset_get(ks, PJWT_KEYSET_MAX));
	assert_null(pjwt_keyset_find_kid(ks, "k"));
	assert_null(pjwt_keyset_find_kid(ks, NULL));
	/* ownership is not taken on failure */
	dup = gen(PJWT_ALG_HS256);
	assert_pjwt(pjwt_key_set_kid(dup, "k3"), PJWT_OK);
	assert_pjwt(pjwt_keyset_add(ks, dup), PJWT_E_DUPLICATE_KID);
	assert_pjwt(pjwt_key_set_kid(dup, "k64"), PJWT_OK);
	assert_pjwt(pjwt_keyset_add(ks, dup), PJWT_E_TOO_LARGE);
	assert_pjwt(pjwt_keyset_add(ks, NULL), PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_keyset_add(NULL, dup), PJWT_E_INVALID_ARGUMENT);
	assert_int_equal(pjwt_keyset_count(ks), PJWT_KEYSET_MAX);
	pjwt_key_free(dup);
	/* to_jwks leaves oct keys out */
	{
		char *s = NULL;

		assert_pjwt(pjwt_keyset_to_jwks(ks, &s), PJWT_OK);
		assert_string_equal(s, "{\"keys\":[]}");
		free(s);
		assert_pjwt(pjwt_keyset_to_jwks(NULL, &s),
		    PJWT_E_INVALID_ARGUMENT);
		assert_pjwt(pjwt_keyset_to_jwks(ks, NULL),
		    PJWT_E_INVALID_ARGUMENT);
	}
	assert_null(pjwt_keyset_free(ks));
	assert_null(pjwt_keyset_free(NULL));
	assert_int_equal(pjwt_keyset_count(NULL), 0);
	assert_null(pjwt_keyset_get(NULL, 0));
}

/* {"keys":[...]} of the given member texts. */
static char *
jwks_of(const char *const *jwks, size_t n)
{
	size_t i, len = 16;
	char *s;

	for (i = 0; i < n; i++)
		len += strlen(jwks[i]) + 1;
	s = malloc(len);
	assert_non_null(s);
	strcpy(s, "{\"keys\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(s, ",");
		strcat(s, jwks[i]);
	}
	strcat(s, "]}");
	return s;
}

static void
jwks_fails(const char *s, pjwt_err want, int line)
{
	pjwt_keyset *ks = NULL;
	pjwt_err r = pjwt_keyset_from_jwks(s, strlen(s), &ks);

	if (r != want)
		fail_msg("line %d: got %s, want %s", line, pjwt_strerror(r),
		    pjwt_strerror(want));
	assert_null(ks);
}
#define JWKS_FAILS(s, want) jwks_fails((s), (want), __LINE__)

static void
test_jwks_parse(void **state)
{
	char *ed = pub_jwk(PJWT_ALG_EDDSA), *ec = pub_jwk(PJWT_ALG_ES256);
	char *rsa = pub_jwk(PJWT_ALG_PS384), *oct = priv_jwk(PJWT_ALG_HS256);
	char *enc = jwk_set_str(ec, "use", "enc");
	char *ops = jwk_set(ed, "key_ops", json_pack("[s]", "encrypt"));
	char *x25519 = jwk_set_str(ed, "crv", "X25519");
	char *ed448 = jwk_set_str(ed, "crv", "Ed448");
	char *k1 = jwk_set_str(ec, "crv", "secp256k1");
	char *es256k = jwk_set_str(ec, "alg", "ES256K");
	char *mism = jwk_set_str(ec, "alg", "ES384");
	char *badx = jwk_resize(ec, "x", 31);
	char *offc = jwk_flip(ec, "y", 3);
	char *dupkid = jwk_set_str(rsa, "kid", pjwt_key_kid(key_for(
	    PJWT_ALG_EDDSA)));
	const char *unknown = "{\"kty\":\"foo\",\"whatever\":[1,2]}";
	const char *pq = "{\"kty\":\"AKP\",\"alg\":\"ML-DSA-44\",\"pub\":\"AA\"}";
	pjwt_keyset *ks = NULL;
	char *s, *out;

	(void)state;
	{
		const char *const set[] = { unknown, ed, enc, x25519, ec, ops,
		    ed448, k1, es256k, pq, rsa, oct };

		s = jwks_of(set, sizeof(set) / sizeof(set[0]));
		assert_pjwt(pjwt_keyset_from_jwks(s, strlen(s), &ks), PJWT_OK);
		free(s);
		assert_int_equal(pjwt_keyset_count(ks), 4);
		assert_int_equal(pjwt_key_alg(pjwt_keyset_get(ks, 0)),
		    PJWT_ALG_EDDSA);
		assert_int_equal(pjwt_key_alg(pjwt_keyset_get(ks, 1)),
		    PJWT_ALG_ES256);
		assert_int_equal(pjwt_key_alg(pjwt_keyset_get(ks, 2)),
		    PJWT_ALG_PS384);
		assert_int_equal(pjwt_key_alg(pjwt_keyset_get(ks, 3)),
		    PJWT_ALG_HS256);
		assert_ptr_equal(pjwt_keyset_find_kid(ks,
		    pjwt_key_kid(key_for(PJWT_ALG_ES256))),
		    pjwt_keyset_get(ks, 1));
		assert_false(pjwt_key_is_private(pjwt_keyset_get(ks, 0)));
		/* serialise: public only, oct left out */
		assert_pjwt(pjwt_keyset_to_jwks(ks, &out), PJWT_OK);
		{
			const char *const pub3[] = { ed, ec, rsa };

			s = jwks_of(pub3, 3);
			assert_string_equal(out, s);
			free(s);
		}
		ks = pjwt_keyset_free(ks);
		/* and back */
		assert_pjwt(pjwt_keyset_from_jwks(out, strlen(out), &ks),
		    PJWT_OK);
		assert_int_equal(pjwt_keyset_count(ks), 3);
		ks = pjwt_keyset_free(ks);
		free(out);
	}
	/* a malformed key of a supported type fails the set */
	{
		const char *const a[] = { ed, badx };
		const char *const b[] = { offc, ed };
		const char *const c[] = { ed, mism };
		const char *const d[] = { ed, rsa, dupkid };
		const char *const e[] = { ed, ed };
		const char *const f[] = { enc, unknown, x25519 };
		const char *const g[] = { ed, "[]" };
		const char *const h[] = { ed, "{\"kty\":\"EC\"}" };

		s = jwks_of(a, 2);
		JWKS_FAILS(s, PJWT_E_BAD_KEY);
		free(s);
		s = jwks_of(b, 2);
		JWKS_FAILS(s, PJWT_E_BAD_KEY);
		free(s);
		s = jwks_of(c, 2);
		JWKS_FAILS(s, PJWT_E_ALG_MISMATCH);
		free(s);
		s = jwks_of(d, 3);
		JWKS_FAILS(s, PJWT_E_DUPLICATE_KID);
		free(s);
		s = jwks_of(e, 2);
		JWKS_FAILS(s, PJWT_E_DUPLICATE_KID);
		free(s);
		s = jwks_of(f, 3);
		JWKS_FAILS(s, PJWT_E_BAD_KEY);
		free(s);
		s = jwks_of(g, 2);
		JWKS_FAILS(s, PJWT_E_MALFORMED);
		free(s);
		s = jwks_of(h, 2);
		JWKS_FAILS(s, PJWT_E_BAD_KEY);
		free(s);
	}
	JWKS_FAILS("{\"keys\":[]}", PJWT_E_BAD_KEY);
	JWKS_FAILS("{\"keys\":{}}", PJWT_E_MALFORMED);
	JWKS_FAILS("{\"keys\":[],\"keys\":[]}", PJWT_E_MALFORMED);
	JWKS_FAILS("{}", PJWT_E_MALFORMED);
	JWKS_FAILS("[]", PJWT_E_MALFORMED);
	JWKS_FAILS("", PJWT_E_MALFORMED);
	JWKS_FAILS("{\"keys\":[]} {}", PJWT_E_MALFORMED);
	/* a duplicate member inside one key */
	{
		char buf[512];

		snprintf(buf, sizeof(buf), "{\"keys\":[{\"kty\":\"OKP\","
		    "\"crv\":\"Ed25519\",\"x\":\"%s\",\"crv\":\"Ed25519\"}]}",
		    rfc8037_x);
		JWKS_FAILS(buf, PJWT_E_MALFORMED);
	}
	assert_pjwt(pjwt_keyset_from_jwks(NULL, 0, &ks),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_keyset_from_jwks("{}", 2, NULL),
	    PJWT_E_INVALID_ARGUMENT);

	/* PJWT_KEYSET_MAX keys, and one more */
	{
		char *jwks[PJWT_KEYSET_MAX + 1];
		size_t i;

		for (i = 0; i <= PJWT_KEYSET_MAX; i++) {
			pjwt_key *k = gen(PJWT_ALG_EDDSA);

			jwks[i] = to_jwk(k, 0);
			pjwt_key_free(k);
		}
		s = jwks_of((const char *const *)jwks, PJWT_KEYSET_MAX);
		assert_pjwt(pjwt_keyset_from_jwks(s, strlen(s), &ks), PJWT_OK);
		assert_int_equal(pjwt_keyset_count(ks), PJWT_KEYSET_MAX);
		ks = pjwt_keyset_free(ks);
		free(s);
		s = jwks_of((const char *const *)jwks, PJWT_KEYSET_MAX + 1);
		JWKS_FAILS(s, PJWT_E_TOO_LARGE);
		free(s);
		for (i = 0; i <= PJWT_KEYSET_MAX; i++)
			pjwt_str_free(jwks[i]);
	}
	assert_int_equal(ERR_peek_error(), 0);
	free(ed);
	free(ec);
	free(rsa);
	pjwt_str_free(oct);
	free(enc);
	free(ops);
	free(x25519);
	free(ed448);
	free(k1);
	free(es256k);
	free(mism);
	free(badx);
	free(offc);
	free(dupkid);
}

/* ---- allocation failures ----------------------------------------------- */

typedef pjwt_err (*alloc_fn)(const char *arg);

static pjwt_err
af_jwk(const char *arg)
{
	pjwt_key *k = NULL;
	pjwt_err r = from_jwk(arg, PJWT_ALG_UNKNOWN, &k);

	if (r != PJWT_OK)
		assert_null(k);
	pjwt_key_free(k);
	return r;
}

static pjwt_err
af_jwks(const char *arg)
{
	pjwt_keyset *ks = NULL;
	pjwt_err r = pjwt_keyset_from_jwks(arg, strlen(arg), &ks);

	if (r != PJWT_OK)
		assert_null(ks);
	pjwt_keyset_free(ks);
	return r;
}

static pjwt_err
af_to_jwk(const char *arg)
{
	const pjwt_key *k = key_for(pjwt_alg_from_name(arg));
	char *s = NULL;
	pjwt_err r = pjwt_key_to_jwk(k, 1, &s);

	if (r != PJWT_OK)
		assert_null(s);
	pjwt_str_free(s);
	return r;
}

static pjwt_err
af_pem(const char *arg)
{
	pjwt_key *k = NULL;
	pjwt_err r = pjwt_key_from_pem(arg, strlen(arg), PJWT_ALG_UNKNOWN, &k);

	if (r != PJWT_OK)
		assert_null(k);
	pjwt_key_free(k);
	return r;
}

/*
 * Fail the Nth allocation for N = 1, 2, ... until the call completes
 * without reaching the Nth.
 *
 * Mode 0 fails libpjwt's own allocations (malloc/calloc, wrapped by the
 * linker): the result must be exactly success or PJWT_E_NOMEM.
 * Mode 1 adds jansson's allocations and mode 2 OpenSSL's.  Neither library
 * reports every allocation failure as such (jansson 2.14 turns a failed
 * string allocation into "invalid token" and drops a byte silently when its
 * lexer buffer cannot grow; OpenSSL often reports a decoding error), so
 * there any error is accepted; nothing may crash or leak (ASan), and no
 * output may be set on error.
 */
static void
alloc_loop(alloc_fn fn, const char *arg, int mode, int line)
{
	long n, ok = 0, nomem = 0, other = 0;
	pjwt_err r;

	/* Warm up: OpenSSL initialises providers and caches once. */
	assert_pjwt(fn(arg), PJWT_OK);
	for (n = 1; n < 100000; n++) {
		alloc_count = 0;
		alloc_fail_json = mode >= 1;
		alloc_fail_ossl = mode >= 2;
		alloc_fail_at = n;
		r = fn(arg);
		alloc_fail_at = 0;
		alloc_fail_json = 0;
		alloc_fail_ossl = 0;
		ERR_clear_error();
		if (r == PJWT_OK)
			ok++;
		else if (r == PJWT_E_NOMEM)
			nomem++;
		else {
			other++;
			if (mode == 0)
				fail_msg("line %d: allocation %ld failed: got %s",
				    line, n, pjwt_strerror(r));
		}
		if (alloc_count < n) {
			assert_pjwt(r, PJWT_OK);
			break;
		}
	}
	assert_true(n < 100000);
	assert_true(nomem > 0);
	/* The library still works after all that. */
	assert_pjwt(fn(arg), PJWT_OK);
	print_message("# line %d mode %d: %ld allocations: %ld nomem, %ld other "
	    "errors, %ld ok\n", line, mode, n - 1, nomem, other, ok);
}
#define ALLOC_LOOP(fn, arg, mode) alloc_loop((fn), (arg), (mode), __LINE__)

static void
test_alloc_failures(void **state)
{
	char *ed = priv_jwk(PJWT_ALG_EDDSA), *ec = pub_jwk(PJWT_ALG_ES384);
	char *ecp = priv_jwk(PJWT_ALG_ES256), *rsa = pub_jwk(PJWT_ALG_RS256);
	char *oct = priv_jwk(PJWT_ALG_HS512), *set, *pem = NULL;
	int mode;

	(void)state;
	{
		const char *const keys[] = { ed, "{\"kty\":\"foo\"}", ec, rsa,
		    oct };

		set = jwks_of(keys, sizeof(keys) / sizeof(keys[0]));
	}
	assert_pjwt(pjwt_key_to_pem(key_for(PJWT_ALG_ES256), 1, &pem), PJWT_OK);
	for (mode = 0; mode <= 2; mode++) {
		ALLOC_LOOP(af_jwk, ed, mode);
		ALLOC_LOOP(af_jwk, ec, mode);
		ALLOC_LOOP(af_jwk, ecp, mode);
		ALLOC_LOOP(af_jwk, rsa, mode);
		ALLOC_LOOP(af_jwk, oct, mode);
		ALLOC_LOOP(af_jwk, rfc7638_jwk, mode);
		ALLOC_LOOP(af_jwks, set, mode);
		ALLOC_LOOP(af_to_jwk, "EdDSA", mode);
		ALLOC_LOOP(af_to_jwk, "ES512", mode);
		ALLOC_LOOP(af_to_jwk, "HS256", mode);
		ALLOC_LOOP(af_pem, pem, mode);
	}
	pjwt_str_free(pem);
	free(set);
	pjwt_str_free(ed);
	pjwt_str_free(ec);
	pjwt_str_free(ecp);
	pjwt_str_free(rsa);
	pjwt_str_free(oct);
}

static int
teardown_keys(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < PJWT_ALG_COUNT; i++)
		shared_keys[i] = pjwt_key_free(shared_keys[i]);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alg_names),
		cmocka_unit_test(test_alg_list_parse),
		cmocka_unit_test(test_alg_internals),
		cmocka_unit_test(test_generate_roundtrip),
		cmocka_unit_test(test_generate_errors),
		cmocka_unit_test(test_thumbprint_vectors),
		cmocka_unit_test(test_pem_errors),
		cmocka_unit_test(test_key_new),
		cmocka_unit_test(test_jwk_ec),
		cmocka_unit_test(test_jwk_okp),
		cmocka_unit_test(test_jwk_rsa),
		cmocka_unit_test(test_roca),
		cmocka_unit_test(test_jwk_oct),
		cmocka_unit_test(test_jwk_members),
		cmocka_unit_test(test_jwk_serialise),
		cmocka_unit_test(test_key_kid),
		cmocka_unit_test(test_keyset_api),
		cmocka_unit_test(test_jwks_parse),
		cmocka_unit_test(test_alloc_failures),
	};

	/* Before OpenSSL or jansson allocate anything. */
	if (CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free) != 1)
		return 99;
	json_set_alloc_funcs(json_malloc, free);
	return cmocka_run_group_tests(tests, NULL, teardown_keys);
}
