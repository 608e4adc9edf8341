/*
 * pjwt_alg.h - libpjwt internals: the one table of JWS algorithm facts
 * (alg.c).  Every per-alg fact (name, key type, curve, digest, signature
 * length, minimum key size, RSA padding) is read from here; key.c, jwk.c and
 * jws.c keep no per-alg switch of their own.  alg.c calls nothing else in
 * libpjwt: the call graph is jws.c, jwk.c -> key.c -> alg.c.
 * Never included outside common/ (tests may, to reach the internals).
 */
#ifndef PJWT_ALG_H
#define PJWT_ALG_H

#include <stddef.h>
#include <openssl/evp.h>
#include "pjwt_key.h"

/* The JWK key type ("kty") an alg is used with. */
typedef enum pjwtp_kty {
	PJWTP_KTY_NONE = 0,     /* PJWT_ALG_UNKNOWN or out of range */
	PJWTP_KTY_OCT,          /* HS* */
	PJWTP_KTY_RSA,          /* RS*, PS* */
	PJWTP_KTY_EC,           /* ES* */
	PJWTP_KTY_OKP,          /* EdDSA (Ed25519) */
} pjwtp_kty;

/* pjwtp_alg_valid: 1 for a real alg (not UNKNOWN, in range), else 0. */
int pjwtp_alg_valid(pjwt_alg alg);

/* pjwtp_alg_kty: the key type alg is used with; NONE for an invalid alg. */
pjwtp_kty pjwtp_alg_kty(pjwt_alg alg);

/* pjwtp_alg_is_pss: 1 for PS256/384/512 (RSASSA-PSS), else 0. */
int pjwtp_alg_is_pss(pjwt_alg alg);

/* Digest of an alg (NULL for EdDSA/UNKNOWN) and its length in bytes. */
const EVP_MD *pjwtp_alg_md(pjwt_alg alg);
size_t pjwtp_alg_md_len(pjwt_alg alg);

/* EC field size in bytes for ES256/384/512 (32, 48, 66), else 0. */
size_t pjwtp_alg_ec_field_len(pjwt_alg alg);

/* EC curve of an ES alg: the JWK "crv" / NIST name ("P-256") and OpenSSL's
 * group name ("prime256v1"); NULL for any other alg. */
const char *pjwtp_alg_ec_crv(pjwt_alg alg);
const char *pjwtp_alg_ec_group(pjwt_alg alg);

/* pjwtp_alg_from_ec_group: the ES alg of an OpenSSL group name as
 * EVP_PKEY_get_group_name reports it (short name or NIST name, exact);
 * PJWT_ALG_UNKNOWN for any other name or NULL. */
pjwt_alg pjwtp_alg_from_ec_group(const char *name);

/* pjwtp_alg_from_jwk_crv: the ES alg of a JWK "crv" (exactly "P-256",
 * "P-384", "P-521"); PJWT_ALG_UNKNOWN for any other name or NULL. */
pjwt_alg pjwtp_alg_from_jwk_crv(const char *crv);

/*
 * pjwtp_alg_sig_len: the fixed JWS signature length of alg in bytes (HS*:
 * digest length, ES*: twice the field size, EdDSA: 64); 0 for RS and PS,
 * whose signatures are as long as the key's modulus, and for invalid algs.
 */
size_t pjwtp_alg_sig_len(pjwt_alg alg);

/*
 * pjwtp_alg_min_key_bits: the smallest key an alg accepts, in bits: the RSA
 * modulus for RS and PS (2048), the secret for HS (the digest length), the
 * field for ES and EdDSA (fixed by the curve); 0 for invalid algs.
 */
unsigned pjwtp_alg_min_key_bits(pjwt_alg alg);

/*
 * pjwtp_alg_set_rsa_padding: set RSA padding for a freshly initialised
 * sign/verify context: PKCS#1 v1.5 for RS*, PSS with MGF1 over the same
 * digest and a salt of exactly the digest length for PS* (RFC 7518 3.5),
 * never OpenSSL's "auto"/"max" salt, which would accept signatures other
 * implementations would refuse.  1 on success, 0 on failure.
 */
int pjwtp_alg_set_rsa_padding(EVP_PKEY_CTX *pctx, pjwt_alg alg);

#endif /* PJWT_ALG_H */
