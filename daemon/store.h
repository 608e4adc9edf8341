/*
 * store.h - jwt-issuerd's persistent state: refresh-token families, the
 * access-token deny list (revoked jtis), and brute-force failure counters.
 *
 * One interface, one implementation today (store_sqlite.c: SQLite in WAL
 * mode), so a PostgreSQL backend can serve several replicas later.
 *
 * Conventions
 *  - Every function returning store_err is safe to call concurrently from
 *    the daemon's worker threads on the same store (the SQLite backend
 *    serialises calls on one connection with a mutex; see store_sqlite.c).
 *  - Times are Unix seconds passed in by the caller (`now`); the store never
 *    reads the clock, so tests use a fixed one.
 *  - ret_* outputs are set only when the function returns STORE_OK (the one
 *    documented exception is ret_reused of store_refresh_rotate).
 *  - Every write is committed before the function returns: a caller that
 *    sends its HTTP response after STORE_OK never promises state a kill -9
 *    can lose.
 *  - Failures are logged through the issuerd_log_fn given at open (SQLite
 *    messages, file errors), once; the caller maps the returned code to its
 *    world and does not need to log it again (except STORE_E_REUSED, which
 *    is the caller's security event to log).
 */
#ifndef ISSUERD_STORE_H
#define ISSUERD_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "logfn.h"

typedef struct store store;

typedef enum store_err {
	STORE_OK = 0,
	STORE_E_NOMEM = -1,           /* "nomem" */
	STORE_E_INVALID = -2,         /* "invalid_argument": API misuse, bad config */
	STORE_E_DB = -3,              /* "db_error": SQLite failed (logged) */
	STORE_E_IO = -4,              /* "io_error": revoked file not written (logged) */
	STORE_E_SCHEMA = -5,          /* "schema_too_new": db from a newer version */
	STORE_E_NOT_FOUND = -6,       /* "not_found": unknown refresh token */
	STORE_E_EXPIRED = -7,         /* "expired": family past its absolute lifetime */
	STORE_E_REVOKED = -8,         /* "revoked": family revoked (RFC 7009 or reuse) */
	STORE_E_REUSED = -9,          /* "reused": an already-rotated token was
	                               * presented; the whole family is now revoked */
	STORE_E_CLIENT_MISMATCH = -10,/* "client_mismatch": token issued to another client */
	STORE_E_RANDOM = -11,         /* "random_failed": RAND_bytes failed */
} store_err;

/* store_strerror: stable snake_case name of e (as in the comments above).
 * Never NULL; static string. */
const char *store_strerror(store_err e);

/* Plain parameters the daemon's config hands over.  0 / NULL = default. */
typedef struct store_config {
	const char *db_path;          /* required; created (0600) if absent */
	const char *revoked_path;     /* pam_jwt's revoked= file; NULL = none */
	unsigned max_failures;        /* failures of one user before a lock;
	                               * default 5 */
	unsigned max_failures_addr;   /* failures from one address before a
	                               * lock; default 50 */
	unsigned lockout_initial;     /* first lock, seconds; default 60 */
	unsigned lockout_max;         /* cap of the doubling, seconds; default 3600 */
	unsigned failure_forget;      /* a counter idle this long (and not locked)
	                               * starts again from zero; default 86400 */
	unsigned family_ttl;          /* absolute refresh-family lifetime,
	                               * seconds; default 86400 (24 h) */
	issuerd_log_fn *log;          /* may be NULL */
} store_config;

#define STORE_DEFAULT_MAX_FAILURES 5u
#define STORE_DEFAULT_MAX_FAILURES_ADDR 50u
#define STORE_DEFAULT_LOCKOUT_INITIAL 60u
#define STORE_DEFAULT_LOCKOUT_MAX 3600u
#define STORE_DEFAULT_FAILURE_FORGET 86400u
#define STORE_DEFAULT_FAMILY_TTL 86400u

/* Limits the store enforces on its inputs (STORE_E_INVALID beyond them). */
#define STORE_TOKEN_LEN 43            /* refresh token: base64url of 32 random bytes */
#define STORE_FAMILY_ID_LEN 22        /* base64url of 16 random bytes */
#define STORE_FIELD_MAX 1024          /* user, client_id, scope, audience, jti, addr */

/*
 * store_open: open (creating if needed) the database at cfg->db_path,
 * set WAL, synchronous=FULL, busy_timeout, migrate the schema to the
 * current version, and rewrite cfg->revoked_path from the deny list (so
 * the file is right even if a previous run died between commit and write).
 * The strings in cfg are copied.  Call once at startup, before threads.
 * Errors: STORE_E_INVALID (NULL db_path, lockout_initial > lockout_max),
 * STORE_E_DB, STORE_E_SCHEMA (db written by a newer version: refused, not
 * downgraded), STORE_E_IO, STORE_E_NOMEM.  On success *ret_store.
 */
store_err store_open(const store_config *cfg, int64_t now, store **ret_store);

/* store_close: finalise statements and close.  NULL-safe; returns NULL. */
store *store_close(store *s);

/*
 * What a refresh family grants.  Strings are owned by the struct; free the
 * whole thing with store_grant_free.
 */
typedef struct store_grant {
	char family_id[STORE_FAMILY_ID_LEN + 1];
	char *user;                   /* the resource owner (sub) */
	char *client_id;
	char *scope;                  /* space-separated, as granted originally */
	char *audience;               /* may be "" */
	int64_t auth_time;            /* when the user authenticated (password grant) */
	int64_t family_expires;       /* absolute end of the family */
} store_grant;

/* store_grant_free: NULL-safe; returns NULL. */
store_grant *store_grant_free(store_grant *g);

/*
 * store_refresh_issue: start a new refresh family for a successful password
 * grant: generate a 256-bit random token, store only its SHA-256, and the
 * grant fields (copied).  Family expiry = now + family_ttl.
 * On success *ret_token is a new NUL-terminated base64url string of
 * STORE_TOKEN_LEN characters (free with pjwt_str_free), and, when
 * ret_family_id is not NULL, the family id is copied there (caller buffer of
 * STORE_FAMILY_ID_LEN + 1).
 * Errors: STORE_E_INVALID (NULL/over-long field), STORE_E_RANDOM, STORE_E_DB,
 * STORE_E_NOMEM.
 */
store_err store_refresh_issue(store *s, const char *user, const char *client_id,
    const char *scope, const char *audience, int64_t auth_time, int64_t now,
    char **ret_token, char *ret_family_id);

/*
 * store_refresh_rotate: the refresh_token grant.  token (len bytes, as the
 * client sent it) must be the current token of a live family issued to
 * client_id.  On success the token is marked rotated, a new one is issued in
 * the same family (same expiry), *ret_grant describes the family (caller
 * frees with store_grant_free) and *ret_token is the new token (free with
 * pjwt_str_free).
 *
 * Errors, in the order checked (all are invalid_grant to the client):
 *   STORE_E_NOT_FOUND        unknown token (also: wrong length/alphabet)
 *   STORE_E_CLIENT_MISMATCH  issued to another client; nothing changes
 *   STORE_E_REVOKED          family revoked earlier
 *   STORE_E_EXPIRED          family past its absolute lifetime
 *   STORE_E_REUSED           the token had already been rotated: the whole
 *                            family is revoked now (committed) and, if
 *                            ret_reused is not NULL, *ret_reused describes
 *                            it (caller frees) so the caller can log user,
 *                            client and family (RFC 9700 4.14).  ret_reused
 *                            is set ONLY on this return.
 *   STORE_E_DB, STORE_E_RANDOM, STORE_E_NOMEM, STORE_E_INVALID
 */
store_err store_refresh_rotate(store *s, const char *token, size_t len,
    const char *client_id, int64_t now, store_grant **ret_grant,
    char **ret_token, store_grant **ret_reused);

/*
 * store_refresh_lookup: introspection (RFC 7662): is token the live, current
 * token of its family?  No state changes.  On STORE_OK *ret_grant (caller
 * frees).  Errors: STORE_E_NOT_FOUND (unknown, or already rotated),
 * STORE_E_REVOKED, STORE_E_EXPIRED, STORE_E_DB, STORE_E_NOMEM.
 */
store_err store_refresh_lookup(store *s, const char *token, size_t len,
    int64_t now, store_grant **ret_grant);

/*
 * store_refresh_revoke: RFC 7009 for a refresh token: revoke its whole
 * family (rotated or current token alike).  client_id: the authenticated
 * client; NULL skips the ownership check.  Revoking an already-revoked or
 * expired family is STORE_OK (idempotent).
 * Errors: STORE_E_NOT_FOUND (RFC 7009: the caller answers 200 anyway),
 * STORE_E_CLIENT_MISMATCH (nothing changes), STORE_E_DB.
 */
store_err store_refresh_revoke(store *s, const char *token, size_t len,
    const char *client_id, int64_t now);

/*
 * store_family_revoke: revoke a family by id (admin use, tests).
 * Errors: STORE_E_NOT_FOUND, STORE_E_DB.
 */
store_err store_family_revoke(store *s, const char *family_id, int64_t now);

/*
 * store_jti_revoke: add an access token's jti to the deny list until exp
 * (its exp claim), then rewrite the revoked file atomically with every live
 * entry (`JTI EXP` lines, mode 0644) before committing.  A jti already
 * listed keeps the later exp.  An exp <= now is a no-op STORE_OK (the token
 * is dead anyway).  jti: 1..STORE_FIELD_MAX printable ASCII without spaces.
 * Errors: STORE_E_INVALID, STORE_E_IO (file not written: nothing committed,
 * the caller answers 503 and the client retries), STORE_E_DB.
 */
store_err store_jti_revoke(store *s, const char *jti, int64_t exp, int64_t now);

/*
 * store_jti_is_revoked: *ret_revoked = 1 when jti is on the deny list with
 * exp > now, else 0.  Errors: STORE_E_INVALID, STORE_E_DB.
 */
store_err store_jti_is_revoked(store *s, const char *jti, int64_t now,
    int *ret_revoked);

/*
 * store_jti_list: call fn(jti, exp, arg) for every deny-list entry with
 * exp > now, ordered by exp then jti (what GET /revoked serves and the
 * revoked file holds).  fn runs with the store locked: it must not call
 * back into the store, and should only copy.  A nonzero return from fn
 * stops the walk: STORE_E_NOMEM.  The jti string is valid only during the
 * call.  Errors: STORE_E_INVALID, STORE_E_NOMEM, STORE_E_DB.
 */
typedef int store_jti_fn(const char *jti, int64_t exp, void *arg);
store_err store_jti_list(store *s, int64_t now, store_jti_fn *fn, void *arg);

/*
 * Brute-force counters, one per username and one per client address
 * (either key may be NULL to skip it).  After max_failures failures of a
 * user name (max_failures_addr from an address) that key is locked for
 * lockout_initial seconds; every further failure after that (until a
 * success or failure_forget seconds of quiet) locks it again for twice the
 * previous lock, capped at lockout_max.  Counters are persisted.
 *
 * store_lock_attempt: the one call before a password check.  In one
 * transaction: when either key is locked, *ret_remaining = seconds until
 * both are unlocked and nothing is written (refuse without checking);
 * otherwise the attempt is counted as a failure on both keys (starting a
 * lock when it reaches the threshold) and *ret_remaining = 0.  Counting
 * first means a check is never made that was not recorded, and concurrent
 * attempts each see the others' counts.  Any error (the write failed,
 * e.g. a full disk): the attempt was not recorded and the password must
 * not be checked.  Errors: STORE_E_INVALID, STORE_E_DB.
 */
store_err store_lock_attempt(store *s, const char *user, const char *addr,
    int64_t now, unsigned *ret_remaining);

/*
 * store_lock_check: *ret_remaining = seconds until both keys are unlocked
 * (0 = not locked); reads only.  Errors: STORE_E_INVALID, STORE_E_DB.
 */
store_err store_lock_check(store *s, const char *user, const char *addr,
    int64_t now, unsigned *ret_remaining);

/*
 * store_lock_fail: count one failed password check for user and addr.
 * *ret_locked_for (may be NULL) = the lock this failure started, in seconds
 * (0 when it started none).  Errors: STORE_E_INVALID, STORE_E_DB.
 */
store_err store_lock_fail(store *s, const char *user, const char *addr,
    int64_t now, unsigned *ret_locked_for);

/*
 * store_lock_success: a successful login after store_lock_attempt.  The
 * user's counter is reset (count and backoff); the address's counter only
 * takes back the one failure store_lock_attempt counted for this attempt
 * (and a lock that failure alone started), so a user who gets in does not
 * wipe the failures others made from the same address.
 * Errors: STORE_E_INVALID, STORE_E_DB.
 */
store_err store_lock_success(store *s, const char *user, const char *addr);

/*
 * store_purge: delete expired families (and their tokens), deny-list
 * entries whose exp has passed (rewriting the revoked file when any went),
 * and forgotten failure counters.  Call from a timer (e.g. every 10 min).
 * *ret_purged (may be NULL) = rows deleted.
 * Errors: STORE_E_DB, STORE_E_IO.
 */
store_err store_purge(store *s, int64_t now, unsigned *ret_purged);

/*
 * store_revoke_user: revoke every live refresh family of user (all
 * clients), committed before it returns: the admin's "log this user out
 * everywhere", and what the daemon does when the password backend says a
 * user is gone or changed password.  *ret_revoked (may be NULL) = families
 * revoked now (0 when none was live: idempotent, an unknown user is not an
 * error).  Access tokens already issued stay valid until their exp: the
 * store does not track their jtis (the access-token lifetime bounds it).
 * Errors: STORE_E_INVALID (NULL store, empty/over-long user), STORE_E_DB.
 */
store_err store_revoke_user(store *s, const char *user, int64_t now,
    unsigned *ret_revoked);

/*
 * store_family_users: call fn(user, arg) once for every distinct user with
 * at least one live (not revoked, not expired) family, in byte order.  fn
 * runs with the store locked: it must not call back into the store (copy
 * the names, then act).  A nonzero return from fn stops the walk:
 * STORE_E_NOMEM.  Errors: STORE_E_INVALID, STORE_E_NOMEM, STORE_E_DB.
 */
typedef int store_user_fn(const char *user, void *arg);
store_err store_family_users(store *s, int64_t now, store_user_fn *fn,
    void *arg);

#endif /* ISSUERD_STORE_H */
