/*
 * pjwt_err.h - the single error space of libpjwt.
 *
 * Every libpjwt function that can fail returns a pjwt_err.  Each value has a
 * stable snake_case name (pjwt_strerror) that front ends use verbatim in logs,
 * CLI output ("invalid: REASON") and tests.  Values are never renumbered and
 * names never change; new ones are appended.
 */
#ifndef PJWT_ERR_H
#define PJWT_ERR_H

typedef enum pjwt_err {
	PJWT_OK = 0,
	PJWT_E_NOMEM = -1,              /* "nomem" */
	PJWT_E_INVALID_ARGUMENT = -2,   /* "invalid_argument": API misuse */
	PJWT_E_INTERNAL = -3,           /* "internal": OpenSSL or libc failure */
	PJWT_E_MALFORMED = -4,          /* "malformed": not a well-formed token/JSON */
	PJWT_E_TOO_LARGE = -5,          /* "too_large": over a size or depth bound */
	PJWT_E_BAD_SIGNATURE = -6,      /* "bad_signature" */
	PJWT_E_EXPIRED = -7,            /* "expired": now >= exp + leeway */
	PJWT_E_NOT_YET_VALID = -8,      /* "not_yet_valid": now < nbf - leeway */
	PJWT_E_IAT_FUTURE = -9,         /* "iat_in_future": iat > now + leeway */
	PJWT_E_TOO_OLD = -10,           /* "too_old": now > iat + max_age + leeway */
	PJWT_E_ISS_MISMATCH = -11,      /* "iss_mismatch" */
	PJWT_E_AUD_MISMATCH = -12,      /* "aud_mismatch" (also: aud missing) */
	PJWT_E_TYP_MISMATCH = -13,      /* "typ_mismatch" */
	PJWT_E_SCOPE_MISSING = -14,     /* "scope_missing": a required scope absent */
	PJWT_E_USER_MISMATCH = -15,     /* "user_mismatch": user claim != expected */
	PJWT_E_MISSING_CLAIM = -16,     /* "missing_claim": exp, iat (max_age) or user claim */
	PJWT_E_ALG_NONE = -17,          /* "alg_none": "none" in any casing */
	PJWT_E_ALG_UNSUPPORTED = -18,   /* "unsupported_alg": not an alg we implement */
	PJWT_E_ALG_MISMATCH = -19,      /* "alg_mismatch": header alg != the key's alg */
	PJWT_E_ALG_NOT_ALLOWED = -20,   /* "alg_not_allowed": outside policy algorithms */
	PJWT_E_UNKNOWN_KID = -21,       /* "unknown_kid": kid names no key in the set */
	PJWT_E_NO_KEY = -22,            /* "no_matching_key": no kid, no key of that alg */
	PJWT_E_CRIT = -23,              /* "crit_unsupported": a crit header (RFC 7515 4.1.11) */
	PJWT_E_UNTRUSTED_HEADER = -24,  /* "untrusted_header": jku, jwk, x5u, x5c present */
	PJWT_E_BAD_KEY = -25,           /* "bad_key": unusable or malformed key */
	PJWT_E_WEAK_KEY = -26,          /* "weak_key": RSA < 2048 bits, HMAC < digest length */
	PJWT_E_IO = -27,                /* "io_error": open/read/write failed (errno kept) */
	PJWT_E_FILE_NOT_REGULAR = -28,  /* "not_regular_file" (or a symlink) */
	PJWT_E_FILE_OWNER = -29,        /* "bad_owner": file not owned by the expected uid */
	PJWT_E_FILE_MODE = -30,         /* "bad_permissions": group/other writable */
	PJWT_E_TRUNCATED = -31,         /* "truncated": length equals a transport limit */
	PJWT_E_REVOKED = -32,           /* "revoked": jti on the deny list */
	PJWT_E_NOT_JWT = -33,           /* "not_a_jwt": not shaped like a compact JWS */
	PJWT_E_DUPLICATE_KID = -34,     /* "duplicate_kid": two keys in a set share a kid */
	PJWT_E_MACHINE_TOKEN = -35,     /* "machine_token": a client_credentials token, not allowed */
} pjwt_err;

/*
 * pjwt_strerror: the stable snake_case name of e.  Never NULL; unknown values
 * give "unknown_error".  The string is static.
 */
const char *pjwt_strerror(pjwt_err e);

/*
 * pjwt_err_from_name: inverse of pjwt_strerror (for tests and tools).
 * Returns 0 and sets *ret_err when name is a known reason, -1 otherwise.
 */
int pjwt_err_from_name(const char *name, pjwt_err *ret_err);

#endif /* PJWT_ERR_H */
