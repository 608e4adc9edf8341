/*
 * fuzz-jwks.c - libFuzzer harness for key parsing: pjwt_keyset_from_jwks,
 * pjwt_key_from_jwk and pjwt_key_load (JWK or PEM) on the input.  Whatever
 * parses is serialised again and must parse back to the same thumbprint
 * (round trip), and must sign+verify when it is a private key.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pjwt_err.h"
#include "pjwt_jws.h"
#include "pjwt_key.h"
#include "pjwt_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz-jwks: invariant violated: %s\n", what);
		abort();
	}
}

/* Serialise k, parse it back: same alg, same thumbprint. */
static void
round_trip(const pjwt_key *k)
{
	char *json = NULL, *tp1 = NULL, *tp2 = NULL;
	pjwt_key *k2 = NULL;
	int priv = pjwt_key_is_private(k);
	pjwt_err r;

	check(pjwt_key_kid(k) != NULL, "kid");
	check(pjwt_alg_name(pjwt_key_alg(k)) != NULL, "alg");
	r = pjwt_key_to_jwk(k, priv, &json);
	check(r == PJWT_OK, "pjwt_key_to_jwk of a parsed key");
	r = pjwt_key_from_jwk(json, strlen(json), PJWT_ALG_UNKNOWN, &k2);
	if (r != PJWT_OK)
		fprintf(stderr, "fuzz-jwks: %s does not parse back: %s\n", json,
		    pjwt_strerror(r));
	check(r == PJWT_OK, "serialised JWK parses back");
	check(pjwt_key_alg(k2) == pjwt_key_alg(k), "alg round trip");
	check(strcmp(pjwt_key_kid(k2), pjwt_key_kid(k)) == 0, "kid round trip");
	check(pjwt_key_thumbprint(k, &tp1) == PJWT_OK &&
	    pjwt_key_thumbprint(k2, &tp2) == PJWT_OK && strcmp(tp1, tp2) == 0,
	    "thumbprint round trip");
	if (priv) {
		pjwt_keyset *ks = pjwt_keyset_new();
		pjwt_jws *jws = NULL;
		char *tok = NULL;

		check(ks != NULL, "keyset");
		check(pjwt_jws_sign(k, NULL, "{}", 2, &tok) == PJWT_OK, "sign");
		check(pjwt_keyset_add(ks, k2) == PJWT_OK, "add");
		k2 = NULL;
		r = pjwt_jws_verify(ks, tok, strlen(tok), 0, 0, &jws);
		check(r == PJWT_OK, "own signature verifies");
		pjwt_jws_free(jws);
		pjwt_str_free(tok);
		pjwt_keyset_free(ks);
	}
	pjwt_key_free(k2);
	pjwt_str_free(json);
	free(tp1);
	free(tp2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pjwt_keyset *ks = NULL;
	pjwt_key *k = NULL;
	char *buf, *json = NULL;
	size_t i;

	/* An exact-size heap copy, so ASan sees any read past the end. */
	if ((buf = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(buf, data, size);

	if (pjwt_keyset_from_jwks(buf, size, &ks) == PJWT_OK) {
		check(pjwt_keyset_count(ks) > 0, "non-empty set");
		for (i = 0; i < pjwt_keyset_count(ks); i++) {
			const pjwt_key *kk = pjwt_keyset_get(ks, i);

			check(pjwt_keyset_find_kid(ks, pjwt_key_kid(kk)) == kk,
			    "find_kid");
			round_trip(kk);
		}
		if (pjwt_keyset_to_jwks(ks, &json) == PJWT_OK)
			free(json);
		pjwt_keyset_free(ks);
	}
	if (pjwt_key_from_jwk(buf, size, PJWT_ALG_UNKNOWN, &k) == PJWT_OK) {
		round_trip(k);
		k = pjwt_key_free(k);
	}
	/* A fixed alg: ES256 must refuse other curves and types. */
	if (pjwt_key_from_jwk(buf, size, PJWT_ALG_ES256, &k) == PJWT_OK) {
		check(pjwt_key_alg(k) == PJWT_ALG_ES256, "bound alg kept");
		k = pjwt_key_free(k);
	}
	if (pjwt_key_load(buf, size, PJWT_ALG_UNKNOWN, &k) == PJWT_OK) {
		round_trip(k);
		k = pjwt_key_free(k);
	}
	free(buf);
	return 0;
}
