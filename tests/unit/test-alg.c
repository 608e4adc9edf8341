/*
 * test-alg.c - the alg table (common/alg.c): every fact it gives is checked
 * against the alg's JOSE name (RFC 7518 section 3.1) and against OpenSSL
 * itself (digest sizes, curve sizes, Ed25519 signature length, PSS salt),
 * never against a copy of the table.  Invalid algs get nothing.
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

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "pjwt_alg.h"
#include "pjwt_key.h"

/* The digest bits an alg name ends in ("ES512" -> 512), 0 for "EdDSA". */
static unsigned
name_bits(const char *name)
{
	size_t n = strlen(name);

	if (n != 5 || strcmp(name, "EdDSA") == 0)
		return 0;
	return (unsigned)strtoul(name + 2, NULL, 10);
}

static void
test_names_round_trip(void **state)
{
	unsigned a, seen = 0;

	(void)state;
	for (a = 1; a < PJWT_ALG_COUNT; a++) {
		const char *name = pjwt_alg_name((pjwt_alg)a);

		assert_non_null(name);
		assert_int_equal(pjwt_alg_from_name(name), a);
		assert_true(pjwtp_alg_valid((pjwt_alg)a));
		seen |= PJWT_ALG_BIT(a);
	}
	assert_int_equal(seen, PJWT_ALG_MASK_ALL);
	assert_null(pjwt_alg_name(PJWT_ALG_UNKNOWN));
	assert_int_equal(pjwt_alg_from_name("none"), PJWT_ALG_UNKNOWN);
	assert_int_equal(pjwt_alg_from_name("es256"), PJWT_ALG_UNKNOWN);
	assert_int_equal(pjwt_alg_from_name(NULL), PJWT_ALG_UNKNOWN);
}

static void
test_kind_matches_name(void **state)
{
	unsigned a;

	(void)state;
	for (a = 1; a < PJWT_ALG_COUNT; a++) {
		const char *name = pjwt_alg_name((pjwt_alg)a);
		pjwtp_kty want;

		if (strncmp(name, "HS", 2) == 0)
			want = PJWTP_KTY_OCT;
		else if (strncmp(name, "RS", 2) == 0 ||
		    strncmp(name, "PS", 2) == 0)
			want = PJWTP_KTY_RSA;
		else if (strncmp(name, "ES", 2) == 0)
			want = PJWTP_KTY_EC;
		else
			want = PJWTP_KTY_OKP;
		assert_int_equal(pjwtp_alg_kty((pjwt_alg)a), want);
		assert_int_equal(pjwtp_alg_is_pss((pjwt_alg)a),
		    strncmp(name, "PS", 2) == 0);
		assert_int_equal(pjwtp_alg_ec_crv((pjwt_alg)a) != NULL,
		    want == PJWTP_KTY_EC);
		assert_int_equal(pjwtp_alg_ec_group((pjwt_alg)a) != NULL,
		    want == PJWTP_KTY_EC);
		assert_int_equal(pjwtp_alg_ec_field_len((pjwt_alg)a) != 0,
		    want == PJWTP_KTY_EC);
	}
}

static void
test_digest(void **state)
{
	unsigned a;

	(void)state;
	for (a = 1; a < PJWT_ALG_COUNT; a++) {
		unsigned bits = name_bits(pjwt_alg_name((pjwt_alg)a));
		const EVP_MD *md = pjwtp_alg_md((pjwt_alg)a);
		char want[16];

		if (bits == 0) {
			assert_null(md);
			assert_int_equal(pjwtp_alg_md_len((pjwt_alg)a), 0);
			continue;
		}
		assert_non_null(md);
		assert_int_equal(EVP_MD_get_size(md), (int)(bits / 8));
		assert_int_equal(pjwtp_alg_md_len((pjwt_alg)a), bits / 8);
		snprintf(want, sizeof(want), "SHA%u", bits);
		assert_true(EVP_MD_is_a(md, want));
	}
}

/* Curves, sizes and signature lengths, from keys OpenSSL makes. */
static void
test_sizes_from_openssl(void **state)
{
	static const unsigned char msg[] = "alg table";
	unsigned a;

	(void)state;
	for (a = 1; a < PJWT_ALG_COUNT; a++) {
		pjwt_alg alg = (pjwt_alg)a;
		EVP_PKEY *pkey = NULL;
		EVP_MD_CTX *m;
		unsigned char sig[256];
		size_t siglen = sizeof(sig);
		int bits;

		switch (pjwtp_alg_kty(alg)) {
		case PJWTP_KTY_OCT:
			/* RFC 7518 3.2: a key at least as long as the hash. */
			assert_int_equal(pjwtp_alg_sig_len(alg),
			    pjwtp_alg_md_len(alg));
			assert_int_equal(pjwtp_alg_min_key_bits(alg),
			    8 * pjwtp_alg_md_len(alg));
			break;
		case PJWTP_KTY_RSA:
			/* RFC 7518 3.3/3.5: 2048 bits or larger; the
			 * signature is as long as the modulus. */
			assert_int_equal(pjwtp_alg_sig_len(alg), 0);
			assert_int_equal(pjwtp_alg_min_key_bits(alg), 2048);
			break;
		case PJWTP_KTY_EC:
			pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
			    pjwtp_alg_ec_group(alg));
			assert_non_null(pkey);
			bits = EVP_PKEY_get_bits(pkey);
			assert_int_equal(pjwtp_alg_min_key_bits(alg), bits);
			assert_int_equal(pjwtp_alg_ec_field_len(alg),
			    ((unsigned)bits + 7) / 8);
			assert_int_equal(pjwtp_alg_sig_len(alg),
			    2 * pjwtp_alg_ec_field_len(alg));
			assert_int_equal(pjwtp_alg_from_ec_group(
			    pjwtp_alg_ec_group(alg)), alg);
			assert_int_equal(pjwtp_alg_from_ec_group(
			    pjwtp_alg_ec_crv(alg)), alg);
			assert_int_equal(pjwtp_alg_from_jwk_crv(
			    pjwtp_alg_ec_crv(alg)), alg);
			/* A JWK crv is the NIST name only. */
			assert_int_equal(pjwtp_alg_from_jwk_crv(
			    pjwtp_alg_ec_group(alg)), PJWT_ALG_UNKNOWN);
			/* The curve bits are in the NIST name. */
			assert_int_equal((unsigned)strtoul(
			    pjwtp_alg_ec_crv(alg) + 2, NULL, 10),
			    (unsigned)bits);
			break;
		case PJWTP_KTY_OKP:
			pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
			assert_non_null(pkey);
			m = EVP_MD_CTX_new();
			assert_non_null(m);
			assert_int_equal(EVP_DigestSignInit(m, NULL, NULL, NULL,
			    pkey), 1);
			assert_int_equal(EVP_DigestSign(m, sig, &siglen, msg,
			    sizeof(msg)), 1);
			EVP_MD_CTX_free(m);
			assert_int_equal(pjwtp_alg_sig_len(alg), siglen);
			assert_int_equal(pjwtp_alg_min_key_bits(alg),
			    EVP_PKEY_get_bits(pkey));
			break;
		default:
			fail_msg("alg %u has no key type", a);
		}
		EVP_PKEY_free(pkey);
	}
	assert_int_equal(pjwtp_alg_from_ec_group("secp256k1"),
	    PJWT_ALG_UNKNOWN);
	assert_int_equal(pjwtp_alg_from_ec_group(NULL), PJWT_ALG_UNKNOWN);
	assert_int_equal(pjwtp_alg_from_jwk_crv("P-256 "), PJWT_ALG_UNKNOWN);
	assert_int_equal(pjwtp_alg_from_jwk_crv(NULL), PJWT_ALG_UNKNOWN);
}

/* RS*: PKCS#1 v1.5; PS*: PSS, MGF1 over the alg's digest, salt = digest
 * length; anything else is refused. */
static void
test_rsa_padding(void **state)
{
	EVP_PKEY *pkey;
	unsigned a;

	(void)state;
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	assert_non_null(pkey);
	for (a = 1; a < PJWT_ALG_COUNT; a++) {
		pjwt_alg alg = (pjwt_alg)a;
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		EVP_PKEY_CTX *pctx = NULL;
		const EVP_MD *mgf1 = NULL;
		int pad = 0, salt = 0;

		assert_non_null(m);
		assert_int_equal(EVP_DigestVerifyInit(m, &pctx, EVP_sha256(),
		    NULL, pkey), 1);
		if (pjwtp_alg_kty(alg) != PJWTP_KTY_RSA) {
			assert_int_equal(pjwtp_alg_set_rsa_padding(pctx, alg), 0);
			EVP_MD_CTX_free(m);
			continue;
		}
		assert_int_equal(pjwtp_alg_set_rsa_padding(pctx, alg), 1);
		/* OpenSSL getters return > 0 on success. */
		assert_true(EVP_PKEY_CTX_get_rsa_padding(pctx, &pad) > 0);
		if (!pjwtp_alg_is_pss(alg)) {
			assert_int_equal(pad, RSA_PKCS1_PADDING);
		} else {
			assert_int_equal(pad, RSA_PKCS1_PSS_PADDING);
			assert_true(EVP_PKEY_CTX_get_rsa_pss_saltlen(pctx,
			    &salt) > 0);
			assert_int_equal(salt, (int)pjwtp_alg_md_len(alg));
			assert_true(EVP_PKEY_CTX_get_rsa_mgf1_md(pctx,
			    &mgf1) > 0);
			assert_int_equal(EVP_MD_get_type(mgf1),
			    EVP_MD_get_type(pjwtp_alg_md(alg)));
		}
		EVP_MD_CTX_free(m);
	}
	EVP_PKEY_free(pkey);
}

static void
test_invalid_algs_get_nothing(void **state)
{
	const pjwt_alg bad[] = {
		PJWT_ALG_UNKNOWN, (pjwt_alg)PJWT_ALG_COUNT,
		(pjwt_alg)(PJWT_ALG_COUNT + 1), (pjwt_alg)-1,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(pjwtp_alg_valid(bad[i]));
		assert_null(pjwt_alg_name(bad[i]));
		assert_int_equal(pjwtp_alg_kty(bad[i]), PJWTP_KTY_NONE);
		assert_false(pjwtp_alg_is_pss(bad[i]));
		assert_null(pjwtp_alg_md(bad[i]));
		assert_int_equal(pjwtp_alg_md_len(bad[i]), 0);
		assert_int_equal(pjwtp_alg_ec_field_len(bad[i]), 0);
		assert_null(pjwtp_alg_ec_crv(bad[i]));
		assert_null(pjwtp_alg_ec_group(bad[i]));
		assert_int_equal(pjwtp_alg_sig_len(bad[i]), 0);
		assert_int_equal(pjwtp_alg_min_key_bits(bad[i]), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_kind_matches_name),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_sizes_from_openssl),
		cmocka_unit_test(test_rsa_padding),
		cmocka_unit_test(test_invalid_algs_get_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
