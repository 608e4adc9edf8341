/*
 * alg.c - the one table of JWS algorithm facts and the alg names, below
 * key.c, jwk.c and jws.c.  Calls nothing else in libpjwt.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "pjwt_alg.h"
#include "pjwt_key.h"

#define RSA_MIN_BITS 2048       /* RFC 7518 3.3/3.5 */
#define ED25519_SIG_LEN 64      /* RFC 8032 */

static const struct alg_info {
	const char *name;
	pjwtp_kty kty;
	int pss;                /* RSASSA-PSS */
	size_t md_len;          /* digest bytes; 0 for EdDSA */
	size_t field_len;       /* EC field bytes; 0 otherwise */
	size_t sig_len;         /* fixed signature bytes; 0: the RSA modulus */
	unsigned min_bits;      /* smallest key */
	const char *group;      /* EC: OpenSSL short name of the curve */
	const char *crv;        /* EC: the NIST (and JWK "crv") name */
} alg_table[PJWT_ALG_COUNT] = {
	[PJWT_ALG_UNKNOWN] = { NULL, PJWTP_KTY_NONE, 0, 0, 0, 0, 0, NULL, NULL },
	[PJWT_ALG_HS256] = { "HS256", PJWTP_KTY_OCT, 0, 32, 0, 32, 256, NULL, NULL },
	[PJWT_ALG_HS384] = { "HS384", PJWTP_KTY_OCT, 0, 48, 0, 48, 384, NULL, NULL },
	[PJWT_ALG_HS512] = { "HS512", PJWTP_KTY_OCT, 0, 64, 0, 64, 512, NULL, NULL },
	[PJWT_ALG_RS256] = { "RS256", PJWTP_KTY_RSA, 0, 32, 0, 0, RSA_MIN_BITS, NULL, NULL },
	[PJWT_ALG_RS384] = { "RS384", PJWTP_KTY_RSA, 0, 48, 0, 0, RSA_MIN_BITS, NULL, NULL },
	[PJWT_ALG_RS512] = { "RS512", PJWTP_KTY_RSA, 0, 64, 0, 0, RSA_MIN_BITS, NULL, NULL },
	[PJWT_ALG_PS256] = { "PS256", PJWTP_KTY_RSA, 1, 32, 0, 0, RSA_MIN_BITS, NULL, NULL },
	[PJWT_ALG_PS384] = { "PS384", PJWTP_KTY_RSA, 1, 48, 0, 0, RSA_MIN_BITS, NULL, NULL },
	[PJWT_ALG_PS512] = { "PS512", PJWTP_KTY_RSA, 1, 64, 0, 0, RSA_MIN_BITS, NULL, NULL },
	[PJWT_ALG_ES256] = { "ES256", PJWTP_KTY_EC, 0, 32, 32, 64, 256, "prime256v1", "P-256" },
	[PJWT_ALG_ES384] = { "ES384", PJWTP_KTY_EC, 0, 48, 48, 96, 384, "secp384r1", "P-384" },
	[PJWT_ALG_ES512] = { "ES512", PJWTP_KTY_EC, 0, 64, 66, 132, 521, "secp521r1", "P-521" },
	[PJWT_ALG_EDDSA] = { "EdDSA", PJWTP_KTY_OKP, 0, 0, 0, ED25519_SIG_LEN, 256, NULL, NULL },
};

int
pjwtp_alg_valid(pjwt_alg alg)
{
	return (unsigned)alg > (unsigned)PJWT_ALG_UNKNOWN &&
	    (unsigned)alg < PJWT_ALG_COUNT;
}

const char *
pjwt_alg_name(pjwt_alg alg)
{
	return pjwtp_alg_valid(alg) ? alg_table[alg].name : NULL;
}

pjwt_alg
pjwt_alg_from_name(const char *name)
{
	unsigned i;

	if (name == NULL)
		return PJWT_ALG_UNKNOWN;
	for (i = 1; i < PJWT_ALG_COUNT; i++)
		if (strcmp(alg_table[i].name, name) == 0)
			return (pjwt_alg)i;
	return PJWT_ALG_UNKNOWN;
}

/* The alg named by the len bytes at s (not NUL-terminated), or UNKNOWN. */
static pjwt_alg
alg_from_namen(const char *s, size_t len)
{
	unsigned i;

	for (i = 1; i < PJWT_ALG_COUNT; i++)
		if (strlen(alg_table[i].name) == len &&
		    memcmp(alg_table[i].name, s, len) == 0)
			return (pjwt_alg)i;
	return PJWT_ALG_UNKNOWN;
}

pjwt_err
pjwt_alg_list_parse(const char *csv, unsigned *ret_mask)
{
	const char *p, *end;
	unsigned mask = 0;
	pjwt_alg alg;
	size_t n;

	if (csv == NULL || ret_mask == NULL || *csv == '\0')
		return PJWT_E_INVALID_ARGUMENT;
	for (p = csv;; p = end + 1) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		n = (size_t)(end - p);
		if (n == 0)
			return PJWT_E_INVALID_ARGUMENT;
		if (n == 4 && strncasecmp(p, "none", 4) == 0)
			return PJWT_E_ALG_NONE;
		if ((alg = alg_from_namen(p, n)) == PJWT_ALG_UNKNOWN)
			return PJWT_E_ALG_UNSUPPORTED;
		if ((mask & PJWT_ALG_BIT(alg)) != 0)
			return PJWT_E_INVALID_ARGUMENT;
		mask |= PJWT_ALG_BIT(alg);
		if (*end == '\0')
			break;
	}
	*ret_mask = mask;
	return PJWT_OK;
}

pjwtp_kty
pjwtp_alg_kty(pjwt_alg alg)
{
	return pjwtp_alg_valid(alg) ? alg_table[alg].kty : PJWTP_KTY_NONE;
}

int
pjwtp_alg_is_pss(pjwt_alg alg)
{
	return pjwtp_alg_valid(alg) && alg_table[alg].pss;
}

const EVP_MD *
pjwtp_alg_md(pjwt_alg alg)
{
	switch (pjwtp_alg_md_len(alg)) {
	case 32:
		return EVP_sha256();
	case 48:
		return EVP_sha384();
	case 64:
		return EVP_sha512();
	default:
		return NULL;
	}
}

size_t
pjwtp_alg_md_len(pjwt_alg alg)
{
	return pjwtp_alg_valid(alg) ? alg_table[alg].md_len : 0;
}

size_t
pjwtp_alg_ec_field_len(pjwt_alg alg)
{
	return pjwtp_alg_valid(alg) ? alg_table[alg].field_len : 0;
}

const char *
pjwtp_alg_ec_crv(pjwt_alg alg)
{
	return pjwtp_alg_valid(alg) ? alg_table[alg].crv : NULL;
}

const char *
pjwtp_alg_ec_group(pjwt_alg alg)
{
	return pjwtp_alg_valid(alg) ? alg_table[alg].group : NULL;
}

pjwt_alg
pjwtp_alg_from_ec_group(const char *name)
{
	unsigned i;

	if (name == NULL)
		return PJWT_ALG_UNKNOWN;
	for (i = 1; i < PJWT_ALG_COUNT; i++) {
		if (alg_table[i].kty != PJWTP_KTY_EC)
			continue;
		if (strcmp(name, alg_table[i].group) == 0 ||
		    strcmp(name, alg_table[i].crv) == 0)
			return (pjwt_alg)i;
	}
	return PJWT_ALG_UNKNOWN;
}

pjwt_alg
pjwtp_alg_from_jwk_crv(const char *crv)
{
	unsigned i;

	if (crv == NULL)
		return PJWT_ALG_UNKNOWN;
	for (i = 1; i < PJWT_ALG_COUNT; i++)
		if (alg_table[i].kty == PJWTP_KTY_EC &&
		    strcmp(crv, alg_table[i].crv) == 0)
			return (pjwt_alg)i;
	return PJWT_ALG_UNKNOWN;
}

size_t
pjwtp_alg_sig_len(pjwt_alg alg)
{
	return pjwtp_alg_valid(alg) ? alg_table[alg].sig_len : 0;
}

unsigned
pjwtp_alg_min_key_bits(pjwt_alg alg)
{
	return pjwtp_alg_valid(alg) ? alg_table[alg].min_bits : 0;
}

int
pjwtp_alg_set_rsa_padding(EVP_PKEY_CTX *pctx, pjwt_alg alg)
{
	if (pjwtp_alg_kty(alg) != PJWTP_KTY_RSA)
		return 0;
	if (!pjwtp_alg_is_pss(alg))
		return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
	return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
	    (int)pjwtp_alg_md_len(alg)) > 0 &&
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, pjwtp_alg_md(alg)) > 0;
}
