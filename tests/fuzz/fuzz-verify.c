/*
 * fuzz-verify.c - libFuzzer harness for token verification.
 *
 * Keys: one of each family (EdDSA, ES256, RS256-2048, HS256) from
 * tests/fuzz/keys/, loaded once.  Fixed clock 1700000000.  The first byte of
 * the input selects what is fuzzed:
 *
 *   0x01 HEADER NUL PAYLOAD [NUL SIG]   structured: the harness base64url-
 *        encodes the parts; without SIG it signs with the HS256 key, so the
 *        header checks and claim validation run on arbitrary JSON past a
 *        valid signature (base64 hides JSON structure from mutations).
 *   0x02 K PAYLOAD   pjwt_jws_sign(PAYLOAD) with key K % 4, then verify:
 *        must verify (round trip).
 *   anything else    the input is the token (pjwt_jws_is_compact,
 *        pjwt_jws_verify, pjwt_verify_ex under two policies).
 *
 * Invariants checked (abort on violation): pjwt_info fields are
 * NUL-terminated printable ASCII; a successful pjwt_jws_verify or
 * pjwt_verify names a key of the set with the header's alg; what we sign
 * we verify.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "pjwt_b64.h"
#include "pjwt_err.h"
#include "pjwt_jws.h"
#include "pjwt_jwt.h"
#include "pjwt_key.h"
#include "pjwt_mem.h"
#include "fuzz-common.h"

#define FUZZ_NOW 1700000000
#define FUZZ_MAX_LEN 16384u

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pjwt_keyset *ks;
static pjwt_key *sign_keys[FUZZ_NKEYS];   /* borrowed from ks */
static pjwt_policy *pol_strict, *pol_lax;
static unsigned char *hs_secret;
static size_t hs_secret_len;

static void
check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz-verify: invariant violated: %s\n", what);
		abort();
	}
}

static void
check_field(const char *f, size_t size, const char *name)
{
	const char *end = memchr(f, '\0', size);
	const char *p;

	check(end != NULL, name);
	for (p = f; p < end; p++)
		check(*p >= 0x20 && *p < 0x7f, name);
}

static void
check_info(const pjwt_info *info)
{
	check_field(info->alg, sizeof(info->alg), "info.alg printable, terminated");
	check_field(info->kid, sizeof(info->kid), "info.kid printable, terminated");
	check_field(info->jti, sizeof(info->jti), "info.jti printable, terminated");
	check_field(info->iss, sizeof(info->iss), "info.iss printable, terminated");
	check_field(info->user, sizeof(info->user), "info.user printable, terminated");
}

static pjwt_err
must(pjwt_err r, const char *what)
{
	if (r != PJWT_OK)
		fuzz_die(what, pjwt_strerror(r));
	return r;
}

static void
load_hs_secret(void)
{
	json_error_t jerr;
	json_t *j;
	const char *k;
	size_t len;
	char *buf = fuzz_read_key_file("hs256", &len);

	if ((j = json_loadb(buf, len, 0, &jerr)) == NULL ||
	    (k = json_string_value(json_object_get(j, "k"))) == NULL)
		fuzz_die("hs256.jwk", "no \"k\"");
	must(pjwt_b64url_decode(k, strlen(k), &hs_secret, &hs_secret_len),
	    "hs256 k");
	json_decref(j);
	free(buf);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	if ((ks = pjwt_keyset_new()) == NULL)
		fuzz_die("pjwt_keyset_new", "NULL");
	for (i = 0; i < FUZZ_NKEYS; i++) {
		pjwt_key *k = fuzz_load_key(i);

		sign_keys[i] = k;
		must(pjwt_keyset_add(ks, k), "pjwt_keyset_add");
	}
	load_hs_secret();

	/* Strict: what pam_jwt would run with every option turned on. */
	if ((pol_strict = pjwt_policy_new()) == NULL ||
	    (pol_lax = pjwt_policy_new()) == NULL)
		fuzz_die("pjwt_policy_new", "NULL");
	must(pjwt_policy_set_issuer(pol_strict, "https://issuer.example"), "iss");
	must(pjwt_policy_set_audience(pol_strict, "fuzz-aud"), "aud");
	must(pjwt_policy_set_now(pol_strict, FUZZ_NOW), "now");
	must(pjwt_policy_set_leeway(pol_strict, 60), "leeway");
	must(pjwt_policy_set_max_age(pol_strict, 3600), "max_age");
	must(pjwt_policy_set_typ(pol_strict, "at+jwt"), "typ");
	must(pjwt_policy_set_scopes(pol_strict, "ssh sudo"), "scopes");
	must(pjwt_policy_set_user(pol_strict, "alice"), "user");
	must(pjwt_policy_set_max_len(pol_strict, FUZZ_MAX_LEN), "max_len");

	/* Lax: any typ, another user claim, no leeway, a restricted alg list. */
	must(pjwt_policy_set_issuer(pol_lax, "https://issuer.example"), "iss");
	must(pjwt_policy_set_audience(pol_lax, "fuzz-aud"), "aud");
	must(pjwt_policy_set_now(pol_lax, FUZZ_NOW), "now");
	must(pjwt_policy_set_leeway(pol_lax, 0), "leeway");
	must(pjwt_policy_set_typ(pol_lax, NULL), "typ");
	must(pjwt_policy_set_user_claim(pol_lax, "client_id"), "user_claim");
	must(pjwt_policy_set_algorithms(pol_lax, PJWT_ALG_BIT(PJWT_ALG_EDDSA) |
	    PJWT_ALG_BIT(PJWT_ALG_ES256) | PJWT_ALG_BIT(PJWT_ALG_HS256)), "algs");
	must(pjwt_policy_set_max_len(pol_lax, FUZZ_MAX_LEN), "max_len");
	return 0;
}

/* The header's alg must be the alg of the key that verified the token. */
static void
check_key_alg(const json_t *hdr, const pjwt_key *k)
{
	const char *alg = json_string_value(json_object_get(hdr, "alg"));
	size_t i;
	int in_set = 0;

	check(k != NULL, "verified token has a key");
	check(alg != NULL, "verified token has a string alg");
	check(pjwt_alg_from_name(alg) == pjwt_key_alg(k), "header alg == key alg");
	for (i = 0; i < pjwt_keyset_count(ks); i++)
		in_set |= pjwt_keyset_get(ks, i) == k;
	check(in_set, "verifying key is from the set");
}

static void
verify_token(const char *tok, size_t len)
{
	pjwt_jws *jws = NULL;
	pjwt_claims *claims = NULL;
	pjwt_info info;
	json_t *peek_h = NULL, *peek_p = NULL;
	int64_t v;
	pjwt_err r, pr;

	(void)pjwt_jws_is_compact(tok, len, 0);
	(void)pjwt_jws_is_compact(tok, len, FUZZ_MAX_LEN);

	r = pjwt_jws_verify(ks, tok, len, 0, FUZZ_MAX_LEN, &jws);
	if (r == PJWT_OK) {
		size_t plen;

		check(jws != NULL, "jws set on success");
		check_key_alg(pjwt_jws_header(jws), pjwt_jws_key(jws));
		(void)pjwt_jws_payload(jws, &plen);
		if (pjwt_jws_payload_object(jws, &peek_p) == PJWT_OK)
			check(json_is_object(peek_p), "payload object");
		json_decref(peek_p);
		peek_p = NULL;
		jws = pjwt_jws_free(jws);
	}
	(void)pjwt_strerror(r);

	/* The UNVERIFIED peek: objects on success, nothing set on failure. */
	pr = pjwt_peek(tok, len, &peek_h, &peek_p);
	if (pr == PJWT_OK)
		check(json_is_object(peek_h) && json_is_object(peek_p),
		    "peek gives two objects");
	else
		check(peek_h == NULL && peek_p == NULL, "peek sets nothing on error");
	json_decref(peek_h);
	json_decref(peek_p);

	memset(&info, 0xa5, sizeof(info));
	r = pjwt_verify_ex(ks, tok, len, pol_strict, &info, &claims);
	check_info(&info);
	if (r == PJWT_OK) {
		check(claims != NULL, "claims set on success");
		check(pr == PJWT_OK, "a verified token can be peeked at");
		check(pjwt_claims_user(claims) != NULL &&
		    strcmp(pjwt_claims_user(claims), "alice") == 0, "user is alice");
		check(pjwt_claims_get_int(claims, "exp", &v) == PJWT_OK, "exp int");
		check(v >= FUZZ_NOW - 60, "not expired");
		if (pjwt_claims_get_string(claims, "scope") != NULL)
			check(pjwt_scope_has(pjwt_claims_get_string(claims,
			    "scope"), "sudo"), "scope sudo");
		check(pjwt_claims_kid(claims) != NULL, "kid");
		check(pjwt_alg_name(pjwt_claims_alg(claims)) != NULL, "alg");
		(void)pjwt_claims_json(claims);
		(void)pjwt_claims_header(claims);
		(void)pjwt_claims_get_int(claims, "iat", &v);
		(void)pjwt_claims_get_int(claims, "nbf", &v);
		(void)pjwt_claims_get_string(claims, "jti");
		claims = pjwt_claims_free(claims);
	}

	r = pjwt_verify_ex(ks, tok, len, pol_lax, NULL, &claims);
	if (r == PJWT_OK) {
		check(pjwt_claims_get_int(claims, "exp", &v) == PJWT_OK, "exp int");
		check(v >= FUZZ_NOW, "not expired, leeway 0");
		check(pjwt_claims_alg(claims) != PJWT_ALG_RS256, "RS256 not allowed");
		claims = pjwt_claims_free(claims);
	}
}

/* Mode 0x01: HEADER NUL PAYLOAD [NUL SIG] -> compact token. */
static void
structured(const uint8_t *data, size_t size)
{
	const uint8_t *hdr = data, *pay, *sig = NULL, *nul;
	size_t hlen, plen, slen = 0, tlen;
	char *h64 = NULL, *p64 = NULL, *s64 = NULL, *tok = NULL;
	size_t h64len, p64len, s64len;
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;

	if ((nul = memchr(data, 0, size)) == NULL)
		return;
	hlen = (size_t)(nul - data);
	pay = nul + 1;
	plen = size - hlen - 1;
	if ((nul = memchr(pay, 0, plen)) != NULL) {
		sig = nul + 1;
		slen = plen - (size_t)(nul - pay) - 1;
		plen = (size_t)(nul - pay);
	}
	if (pjwt_b64url_encode(hdr, hlen, &h64, &h64len) != PJWT_OK ||
	    pjwt_b64url_encode(pay, plen, &p64, &p64len) != PJWT_OK)
		goto out;
	tlen = h64len + 1 + p64len;
	if ((tok = malloc(tlen + 2 + pjwt_b64url_encoded_len(
	    slen > EVP_MAX_MD_SIZE ? slen : EVP_MAX_MD_SIZE))) == NULL)
		goto out;
	memcpy(tok, h64, h64len);
	tok[h64len] = '.';
	memcpy(tok + h64len + 1, p64, p64len);
	if (sig == NULL) {
		if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, hs_secret,
		    hs_secret_len, (unsigned char *)tok, tlen, mac, sizeof(mac),
		    &maclen) == NULL)
			fuzz_die("EVP_Q_mac", "failed");
		sig = mac;
		slen = maclen;
	}
	if (pjwt_b64url_encode(sig, slen, &s64, &s64len) != PJWT_OK)
		goto out;
	tok[tlen++] = '.';
	memcpy(tok + tlen, s64, s64len);
	tlen += s64len;
	tok[tlen] = '\0';
	verify_token(tok, tlen);
out:
	free(h64);
	free(p64);
	free(s64);
	free(tok);
}

/* Mode 0x02: K PAYLOAD -> pjwt_jws_sign with key K, must verify. */
static void
sign_verify(const uint8_t *data, size_t size)
{
	const pjwt_key *k;
	pjwt_jws *jws = NULL;
	char *tok = NULL;
	pjwt_err r;

	if (size < 1)
		return;
	k = sign_keys[data[0] % FUZZ_NKEYS];
	r = pjwt_jws_sign(k, (data[0] & 0x80) ? NULL : "at+jwt", data + 1,
	    size - 1, &tok);
	if (r != PJWT_OK)
		return;
	r = pjwt_jws_verify(ks, tok, strlen(tok), 0, 4 * FUZZ_MAX_LEN, &jws);
	if (size > 1 && r != PJWT_OK) {
		fprintf(stderr, "fuzz-verify: signed token did not verify: %s\n",
		    pjwt_strerror(r));
		abort();
	}
	if (r == PJWT_OK) {
		const unsigned char *p;
		size_t plen;

		check(pjwt_jws_key(jws) == k, "verified with the signing key");
		p = pjwt_jws_payload(jws, &plen);
		check(plen == size - 1 && memcmp(p, data + 1, plen) == 0,
		    "payload round trip");
		pjwt_jws_free(jws);
	}
	verify_token(tok, strlen(tok));
	pjwt_str_free(tok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *tok;

	if (size > 0 && data[0] == 0x01) {
		structured(data + 1, size - 1);
		return 0;
	}
	if (size > 0 && data[0] == 0x02) {
		sign_verify(data + 1, size - 1);
		return 0;
	}
	/* An exact-size heap copy, so ASan sees any read past the end. */
	if ((tok = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(tok, data, size);
	verify_token(tok, size);
	free(tok);
	return 0;
}
