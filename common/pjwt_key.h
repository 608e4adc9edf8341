/*
 * pjwt_key.h - keys and key sets: PEM and JWK/JWKS load and serialise,
 * RFC 7638 thumbprints, key generation.
 *
 * Every key is bound to exactly ONE JWS algorithm when it is created; a
 * token's header can never choose the algorithm a key is used with.
 * Supported: OKP Ed25519 (EdDSA), EC P-256/P-384/P-521 (ES256/384/512),
 * RSA >= 2048 bits (RS256/384/512, PS256/384/512), oct >= digest length
 * (HS256/384/512).
 */
#ifndef PJWT_KEY_H
#define PJWT_KEY_H

#include <stddef.h>
#include "pjwt_err.h"

typedef enum pjwt_alg {
	PJWT_ALG_UNKNOWN = 0,
	PJWT_ALG_HS256, PJWT_ALG_HS384, PJWT_ALG_HS512,
	PJWT_ALG_RS256, PJWT_ALG_RS384, PJWT_ALG_RS512,
	PJWT_ALG_PS256, PJWT_ALG_PS384, PJWT_ALG_PS512,
	PJWT_ALG_ES256, PJWT_ALG_ES384, PJWT_ALG_ES512,
	PJWT_ALG_EDDSA,
} pjwt_alg;
#define PJWT_ALG_COUNT 14   /* including PJWT_ALG_UNKNOWN */

/* pjwt_alg_name: JOSE name ("EdDSA", "ES256", ...); NULL for UNKNOWN. */
const char *pjwt_alg_name(pjwt_alg alg);

/* pjwt_alg_from_name: exact, case-sensitive JOSE name; PJWT_ALG_UNKNOWN for
 * anything else (including "none"). */
pjwt_alg pjwt_alg_from_name(const char *name);

/* Bit masks of algorithms (policy "algorithms="): */
#define PJWT_ALG_BIT(a) (1u << (unsigned)(a))
#define PJWT_ALG_MASK_ALL (((1u << PJWT_ALG_COUNT) - 1u) & ~1u)

/*
 * pjwt_alg_list_parse: "EdDSA,ES256" (comma-separated exact names, no
 * blanks, no repeats) into a mask.  Errors: PJWT_E_ALG_NONE for "none" in any
 * casing, PJWT_E_ALG_UNSUPPORTED for any other unknown name,
 * PJWT_E_INVALID_ARGUMENT for an empty list, an empty item or a repeat.
 */
pjwt_err pjwt_alg_list_parse(const char *csv, unsigned *ret_mask);

typedef struct pjwt_key pjwt_key;       /* opaque; carries its one alg and kid */
typedef struct pjwt_keyset pjwt_keyset; /* opaque; ordered, kids unique */

/*
 * pjwt_key_generate: a new private key for alg.  RSA: `bits` (0 = 3072,
 * minimum 2048); HMAC: a random secret of the digest length; others ignore
 * bits.  kid = RFC 7638 thumbprint.
 * Errors: PJWT_E_INVALID_ARGUMENT, PJWT_E_WEAK_KEY, PJWT_E_NOMEM, PJWT_E_INTERNAL.
 */
pjwt_err pjwt_key_generate(pjwt_alg alg, unsigned bits, pjwt_key **ret_key);

/*
 * pjwt_key_from_pem: parse a PEM private key (PKCS#8 or traditional) or public
 * key (SubjectPublicKeyInfo).  alg binds the key; PJWT_ALG_UNKNOWN infers the
 * default for its type (Ed25519 -> EdDSA, P-256/384/521 -> ES256/384/512,
 * RSA -> RS256).  An alg that does not fit the key type is PJWT_E_ALG_MISMATCH.
 * Encrypted PEM is refused (PJWT_E_BAD_KEY).  kid = RFC 7638 thumbprint.
 * Errors: PJWT_E_BAD_KEY, PJWT_E_WEAK_KEY, PJWT_E_ALG_MISMATCH, PJWT_E_NOMEM.
 */
pjwt_err pjwt_key_from_pem(const char *pem, size_t len, pjwt_alg alg,
    pjwt_key **ret_key);

/*
 * pjwt_key_from_jwk: parse one JWK (RFC 7517/7518/8037), public or private.
 * The key's alg is its "alg" member; when absent, `alg` (if not UNKNOWN) or
 * else the type's default (as for PEM; oct -> HS256).  "alg" present and
 * different from a non-UNKNOWN `alg` is PJWT_E_ALG_MISMATCH.  kid = "kid"
 * member or the RFC 7638 thumbprint.  Members are checked exactly: EC x/y/d
 * of the field size, point on the curve, Ed25519 x/d of 32 bytes, RSA n/e
 * (and all CRT members for a private key).  JSON duplicates are refused.
 * Keys with "use" other than "sig" are PJWT_E_BAD_KEY.
 * Errors: PJWT_E_MALFORMED, PJWT_E_BAD_KEY, PJWT_E_WEAK_KEY,
 * PJWT_E_ALG_UNSUPPORTED, PJWT_E_ALG_MISMATCH, PJWT_E_NOMEM.
 */
pjwt_err pjwt_key_from_jwk(const char *json, size_t len, pjwt_alg alg,
    pjwt_key **ret_key);

/*
 * pjwt_key_load: a key file's contents, JWK (first non-blank byte '{') or PEM,
 * dispatched to the two functions above.
 */
pjwt_err pjwt_key_load(const char *buf, size_t len, pjwt_alg alg,
    pjwt_key **ret_key);

/*
 * pjwt_key_to_jwk: serialise k as a compact JWK JSON object with "kty", the
 * type's members, "alg", "kid" and "use":"sig".  include_private adds the
 * private members (d, p, q, ...; "k" for oct); an oct key is only ever
 * serialised with include_private (else PJWT_E_INVALID_ARGUMENT).
 * *ret_json: free with pjwt_str_free.
 */
pjwt_err pjwt_key_to_jwk(const pjwt_key *k, int include_private,
    char **ret_json);

/*
 * pjwt_key_to_pem: PKCS#8 private (include_private, unencrypted) or
 * SubjectPublicKeyInfo public PEM.  Not for oct keys.  *ret_pem: free with
 * pjwt_str_free.
 */
pjwt_err pjwt_key_to_pem(const pjwt_key *k, int include_private,
    char **ret_pem);

/*
 * pjwt_key_thumbprint: RFC 7638 SHA-256 thumbprint, base64url (43 chars).
 * *ret_b64: free with free().
 */
pjwt_err pjwt_key_thumbprint(const pjwt_key *k, char **ret_b64);

/* Getters (borrow; never NULL for a valid key): */
pjwt_alg pjwt_key_alg(const pjwt_key *k);
const char *pjwt_key_kid(const pjwt_key *k);
int pjwt_key_is_private(const pjwt_key *k);  /* 1 for private and oct keys */
int pjwt_key_is_symmetric(const pjwt_key *k);

/* pjwt_key_set_kid: replace the kid (1..255 printable ASCII bytes). */
pjwt_err pjwt_key_set_kid(pjwt_key *k, const char *kid);

/* pjwt_key_free: wipes secrets and frees.  NULL-safe; returns NULL. */
pjwt_key *pjwt_key_free(pjwt_key *k);

/* ---- key sets ---------------------------------------------------------- */

/* pjwt_keyset_new: an empty set, or NULL on allocation failure. */
pjwt_keyset *pjwt_keyset_new(void);

/*
 * pjwt_keyset_add: append k; the set takes ownership of k on success only.
 * A kid already in the set is PJWT_E_DUPLICATE_KID.  At most
 * PJWT_KEYSET_MAX keys (PJWT_E_TOO_LARGE).
 */
#define PJWT_KEYSET_MAX 64
pjwt_err pjwt_keyset_add(pjwt_keyset *ks, pjwt_key *k);

/*
 * pjwt_keyset_from_jwks: parse a JWK Set {"keys":[...]}.  Keys whose "kty"
 * (or OKP "crv") we do not implement are skipped (RFC 7517 section 5), as are
 * keys with "use" other than "sig"; a malformed key of a supported type fails
 * the whole set.  A set left with no usable key is PJWT_E_BAD_KEY.
 * Errors: as pjwt_key_from_jwk, plus PJWT_E_DUPLICATE_KID, PJWT_E_TOO_LARGE.
 */
pjwt_err pjwt_keyset_from_jwks(const char *json, size_t len,
    pjwt_keyset **ret_ks);

/*
 * pjwt_keyset_to_jwks: the public JWK Set of ks (oct keys are left out).
 * *ret_json: free with free().
 */
pjwt_err pjwt_keyset_to_jwks(const pjwt_keyset *ks, char **ret_json);

size_t pjwt_keyset_count(const pjwt_keyset *ks);
const pjwt_key *pjwt_keyset_get(const pjwt_keyset *ks, size_t i); /* borrow */
const pjwt_key *pjwt_keyset_find_kid(const pjwt_keyset *ks, const char *kid);

/* pjwt_keyset_free: frees the set and its keys.  NULL-safe; returns NULL. */
pjwt_keyset *pjwt_keyset_free(pjwt_keyset *ks);

#endif /* PJWT_KEY_H */
