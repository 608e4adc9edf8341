/*
 * pjwt_jwt.h - JWT (RFC 7519) claim validation by policy, and signing.
 *
 * pjwt_verify checks the signature first (pjwt_jws_verify), then the typ
 * header and the claims of the policy.  No claim is looked at before the
 * signature verified.  Numeric claims must be JSON numbers (an integer, or a
 * finite real that fits int64 after truncation); anything else,
 * e.g. "exp":"999", is PJWT_E_MALFORMED.  The payload must be a JSON object
 * with unique members and nesting at most PJWT_MAX_JSON_DEPTH.
 */
#ifndef PJWT_JWT_H
#define PJWT_JWT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "pjwt_err.h"
#include "pjwt_key.h"
#include "pjwt_jws.h"

typedef struct pjwt_policy pjwt_policy;   /* opaque */

/*
 * Machine tokens (RFC 9068 section 5): an access token minted without a
 * user's login (the client_credentials grant) carries the claim
 * PJWT_CLAIM_GRANT_TYPE with the value PJWT_GRANT_CLIENT_CREDENTIALS, so a
 * verifier can tell it from a user's token whatever its sub says.  The
 * issuer sets it on every such token; pjwt_verify refuses it unless the
 * policy allows machine tokens (PJWT_E_MACHINE_TOKEN), and so it refuses a
 * token whose sub equals its client_id or azp (RFC 9068 2.2's shape of a
 * client's own token, from any issuer) and gty "client-credentials".
 */
#define PJWT_CLAIM_GRANT_TYPE "gty"
#define PJWT_GRANT_CLIENT_CREDENTIALS "client_credentials"
typedef struct pjwt_claims pjwt_claims;   /* opaque; verified claims */

/*
 * pjwt_policy_new: defaults: no issuer/audience (pjwt_verify refuses to run
 * until both are set: PJWT_E_INVALID_ARGUMENT), leeway 60 s, no max age,
 * typ "at+jwt", no required scopes, user claim "sub", no expected user, all
 * algorithms, max token 8 KiB, now unset (must be set; fixed clock in tests).
 * NULL on allocation failure.
 */
pjwt_policy *pjwt_policy_new(void);
pjwt_policy *pjwt_policy_free(pjwt_policy *p);   /* NULL-safe; returns NULL */

/* iss must equal this exactly (byte comparison). */
pjwt_err pjwt_policy_set_issuer(pjwt_policy *p, const char *iss);
/* aud (a string, or an array of strings) must contain this exactly. */
pjwt_err pjwt_policy_set_audience(pjwt_policy *p, const char *aud);
/* Clock skew allowed for exp, nbf, iat: 0..PJWT_MAX_LEEWAY s. */
pjwt_err pjwt_policy_set_leeway(pjwt_policy *p, int64_t seconds);
/* iat required and now <= iat + max_age + leeway; 0 turns it off. */
pjwt_err pjwt_policy_set_max_age(pjwt_policy *p, int64_t seconds);
/*
 * The header typ must be this media type, compared case-insensitively with
 * an optional "application/" prefix on either side (RFC 7515 4.1.9):
 * "at+jwt" == "AT+JWT" == "application/at+jwt".  NULL: any typ, or none.
 */
pjwt_err pjwt_policy_set_typ(pjwt_policy *p, const char *typ);
/* Space-separated scopes that must all appear in the "scope" claim.
 * NULL or "" clears. */
pjwt_err pjwt_policy_set_scopes(pjwt_policy *p, const char *scopes);
/* Name of the claim naming the user (default "sub"); must be a string. */
pjwt_err pjwt_policy_set_user_claim(pjwt_policy *p, const char *name);
/* When set, the user claim must equal it exactly (PJWT_E_USER_MISMATCH). */
pjwt_err pjwt_policy_set_user(pjwt_policy *p, const char *user);
/* PJWT_ALG_BIT mask; 0 = all. */
pjwt_err pjwt_policy_set_algorithms(pjwt_policy *p, unsigned alg_mask);
/* Largest compact token accepted (0 = PJWT_DEFAULT_MAX_TOKEN). */
pjwt_err pjwt_policy_set_max_len(pjwt_policy *p, size_t max_len);
/* The current time, seconds since the epoch (> 0). */
pjwt_err pjwt_policy_set_now(pjwt_policy *p, int64_t now);
/*
 * Machine tokens (PJWT_CLAIM_GRANT_TYPE == PJWT_GRANT_CLIENT_CREDENTIALS):
 * refused with PJWT_E_MACHINE_TOKEN unless allow is non-zero (default 0).
 */
pjwt_err pjwt_policy_set_allow_machine(pjwt_policy *p, int allow);

/* The bounds of the policy options, in one place for every front end. */
#define PJWT_MAX_LEEWAY 86400                      /* seconds */
#define PJWT_MAX_MAX_AGE (10LL * 366 * 86400)      /* seconds, ~10 years */

/*
 * pjwt_policy_set: set one policy option by name from text, the one parser
 * pam_jwt's module arguments and jwtctl verify's flags share.  Names and
 * values:
 *   issuer, audience, user_claim, user   a non-empty string
 *   leeway      decimal seconds 0..PJWT_MAX_LEEWAY
 *   max_age     decimal seconds 0..PJWT_MAX_MAX_AGE (0 = off)
 *               (numbers: digits only, no sign, blanks or leading zeros)
 *   typ         a media type, or "any" (any typ or none)
 *   scope       scope names separated by single spaces, all required
 *   algorithms  a pjwt_alg_list_parse list ("none" is never allowed)
 *   allow_machine  a flag: value must be NULL
 * p may be NULL: the value is only checked.  On success PJWT_OK; an unknown
 * name or a bad value is PJWT_E_INVALID_ARGUMENT with *ret_why (when
 * ret_why is not NULL) set to a static English explanation and p
 * unchanged; PJWT_E_NOMEM on allocation failure.
 */
pjwt_err pjwt_policy_set(pjwt_policy *p, const char *name, const char *value,
    const char **ret_why);
/* 1 when name is an option pjwt_policy_set knows, else 0 (NULL: 0). */
int pjwt_policy_option_known(const char *name);
/* The policy's leeway in seconds (0 for NULL). */
int64_t pjwt_policy_leeway(const pjwt_policy *p);

/*
 * What a front end may log about a token, verified or not: printable ASCII
 * only (other bytes become '?'), truncated to fit, "" when absent.  Filled
 * best-effort from the header and (unverified) payload even when
 * verification fails, so logs can name kid and jti; never trust it.
 */
typedef struct pjwt_info {
	char alg[16];
	char kid[65];
	char jti[65];
	char iss[129];
	char user[65];
} pjwt_info;

/*
 * pjwt_verify: signature then claims, in this order: typ, iss, aud, exp, nbf,
 * iat (future), max_age, machine token (gty), user claim present (string)
 * and equal to the expected user, scopes.  The first failure is returned.  exp is required
 * (PJWT_E_MISSING_CLAIM).  On success *ret_claims (free with
 * pjwt_claims_free); ret_claims may be NULL to verify only.
 * Wrong types are PJWT_E_MALFORMED: a non-string typ header, iss or scope,
 * an aud that is neither a string nor an array of strings, a user claim
 * that is not a non-empty string.  A missing iss or aud is a mismatch.
 */
pjwt_err pjwt_verify(const pjwt_keyset *ks, const char *token, size_t len,
    const pjwt_policy *p, pjwt_claims **ret_claims);

/* pjwt_verify_ex: as pjwt_verify; info (may be NULL) is always filled. */
pjwt_err pjwt_verify_ex(const pjwt_keyset *ks, const char *token, size_t len,
    const pjwt_policy *p, pjwt_info *info, pjwt_claims **ret_claims);

/* Claims getters (borrow from c): */
const json_t *pjwt_claims_json(const pjwt_claims *c);     /* payload object */
const json_t *pjwt_claims_header(const pjwt_claims *c);   /* header object */
const char *pjwt_claims_user(const pjwt_claims *c);       /* user claim value */
const char *pjwt_claims_kid(const pjwt_claims *c);        /* kid of the key used */
pjwt_alg pjwt_claims_alg(const pjwt_claims *c);
/* A string claim, or NULL when absent or not a string. */
const char *pjwt_claims_get_string(const pjwt_claims *c, const char *name);
/* A numeric claim as int64 (reals truncated): PJWT_E_MISSING_CLAIM when
 * absent, PJWT_E_MALFORMED when not a number or out of range. */
pjwt_err pjwt_claims_get_int(const pjwt_claims *c, const char *name,
    int64_t *ret_value);
/* Wipes and frees.  NULL-safe; returns NULL. */
pjwt_claims *pjwt_claims_free(pjwt_claims *c);

/*
 * pjwt_sign: compact JWT of the claims object with k (see pjwt_jws_sign for
 * the header).  claims is serialised compactly, members in insertion order.
 * *ret_token: free with pjwt_str_free.
 */
pjwt_err pjwt_sign(const pjwt_key *k, const char *typ, const json_t *claims,
    char **ret_token);

/*
 * pjwt_scope_has: 1 when the space-separated list scopes contains the token
 * one exactly (as a whole word), 0 otherwise (also for NULL arguments).
 */
int pjwt_scope_has(const char *scopes, const char *one);

/*
 * pjwt_typ_equal: RFC 7515 4.1.9 media-type comparison: case-insensitive,
 * "application/" prefix optional on either side.  1 if equal, else 0.
 */
int pjwt_typ_equal(const char *a, const char *b);

/*
 * pjwt_peek: the header and payload of a compact JWS, decoded WITHOUT
 * VERIFYING ANYTHING: no signature, no claim, no key is checked, so nothing
 * read here may decide anything (display, logs, a client's own cache hint).
 * token[0..len) must be exactly three dot-separated segments; the header
 * and payload segments must be non-empty strict base64url (pjwt_b64url_decode)
 * of a JSON object with unique members, nesting at most PJWT_MAX_JSON_DEPTH
 * and no NUL byte (the parser pjwt_verify uses).  ret_header or ret_payload
 * may be NULL: that segment is then not decoded.  On success each non-NULL
 * ret_* is a new reference (json_decref it).  Errors: PJWT_E_MALFORMED,
 * PJWT_E_NOMEM, PJWT_E_INVALID_ARGUMENT (token NULL); ret_* untouched.
 */
pjwt_err pjwt_peek(const char *token, size_t len, json_t **ret_header,
    json_t **ret_payload);

/*
 * pjwt_peek_segment: one base64url segment b64[0..len) decoded as a JSON
 * object by the same rules as pjwt_peek, UNVERIFIED.  *ret_obj: a new
 * reference.  Errors: PJWT_E_MALFORMED (also for len 0), PJWT_E_NOMEM,
 * PJWT_E_INVALID_ARGUMENT (a NULL argument).
 */
pjwt_err pjwt_peek_segment(const char *b64, size_t len, json_t **ret_obj);

/*
 * pjwt_jws_payload_object: the payload of a JWS that pjwt_jws_verify
 * accepted, parsed as pjwt_verify parses it (a JSON object, unique members,
 * nesting at most PJWT_MAX_JSON_DEPTH); no claim is checked.  *ret_obj: a
 * new reference.  Errors: PJWT_E_MALFORMED, PJWT_E_NOMEM,
 * PJWT_E_INVALID_ARGUMENT.
 */
pjwt_err pjwt_jws_payload_object(const pjwt_jws *jws, json_t **ret_obj);

#endif /* PJWT_JWT_H */
