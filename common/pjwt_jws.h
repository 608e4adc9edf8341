/*
 * pjwt_jws.h - JWS compact serialisation (RFC 7515): sign and verify.
 *
 * Verification is strict and never lets the token choose how it is checked:
 *  - the header's "alg" must equal the selected key's bound alg ("none" in
 *    any casing is PJWT_E_ALG_NONE, never accepted);
 *  - with "kid" only that key is tried; without "kid" only the keys bound to
 *    the header's alg;
 *  - "crit" is refused (PJWT_E_CRIT); "jku", "jwk", "x5u", "x5c" are refused
 *    (PJWT_E_UNTRUSTED_HEADER), never followed;
 *  - ECDSA signatures are raw R||S of exactly 2 x field size with r, s in
 *    [1, n-1]; RSA signatures exactly the modulus length; PSS salt = digest
 *    length; HMAC compared in constant time.  Anything else is
 *    PJWT_E_BAD_SIGNATURE.
 *  - header JSON: duplicate members and nesting deeper than
 *    PJWT_MAX_JSON_DEPTH are refused (PJWT_E_MALFORMED).
 */
#ifndef PJWT_JWS_H
#define PJWT_JWS_H

#include <stddef.h>
#include <jansson.h>
#include "pjwt_err.h"
#include "pjwt_key.h"

#define PJWT_DEFAULT_MAX_TOKEN 8192u   /* bytes of compact serialisation */
#define PJWT_MAX_JSON_DEPTH 16

typedef struct pjwt_jws pjwt_jws;      /* a verified JWS */

/*
 * pjwt_jws_sign: compact JWS of payload with k (which must be private).  The
 * protected header is {"alg":ALG,"kid":KID[,"typ":typ]} in that order; typ
 * NULL leaves it out.  *ret_token: NUL-terminated, free with pjwt_str_free.
 * Errors: PJWT_E_INVALID_ARGUMENT (public key, NULL, an empty payload, a
 * typ that is empty or not printable ASCII), PJWT_E_NOMEM, PJWT_E_INTERNAL.
 */
pjwt_err pjwt_jws_sign(const pjwt_key *k, const char *typ, const void *payload,
    size_t len, char **ret_token);

/*
 * pjwt_jws_verify: verify the compact JWS token[0..len) against ks.
 * alg_mask: PJWT_ALG_BIT()s allowed (0 = all); a header alg outside it is
 * PJWT_E_ALG_NOT_ALLOWED.  max_len: 0 = PJWT_DEFAULT_MAX_TOKEN; longer is
 * PJWT_E_TOO_LARGE (checked before anything is decoded).
 * Structure errors (not exactly three segments, empty header or payload,
 * non-canonical base64url, header not a JSON object) are PJWT_E_MALFORMED.
 * On success *ret_jws holds the decoded header and payload.
 */
pjwt_err pjwt_jws_verify(const pjwt_keyset *ks, const char *token, size_t len,
    unsigned alg_mask, size_t max_len, pjwt_jws **ret_jws);

const json_t *pjwt_jws_header(const pjwt_jws *j);          /* borrow */
const unsigned char *pjwt_jws_payload(const pjwt_jws *j, size_t *ret_len);
const pjwt_key *pjwt_jws_key(const pjwt_jws *j);           /* borrow */
/* pjwt_jws_free: wipes the payload, frees.  NULL-safe; returns NULL. */
pjwt_jws *pjwt_jws_free(pjwt_jws *j);

/*
 * pjwt_jws_is_compact: 1 when s[0..len) is shaped like a compact JWS: three
 * non-empty base64url segments (alphabet only) separated by two dots, header
 * segment starting with "ey" (a base64url '{'), len <= max_len (0 = default).
 * Cheap; decodes nothing; used to route passwords vs tokens.  0 otherwise.
 */
int pjwt_jws_is_compact(const char *s, size_t len, size_t max_len);

#endif /* PJWT_JWS_H */
