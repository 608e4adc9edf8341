/*
 * pwauth.h - password checking for the password grant, behind one interface
 * with two backends:
 *
 *  file  lines `name:crypt-hash` (yescrypt, written by `jwtctl passwd`);
 *        blank lines and lines starting with '#' are ignored; a hash
 *        starting with '!' marks a locked user (always PWAUTH_DENIED, after a
 *        full-cost hash).  Unknown users are checked against a dummy hash of
 *        the same cost, so timing does not reveal which names exist.
 *        Nothing runs as root.  Reloaded by pwauth_reload (SIGHUP).
 *  pam   PAM service (default "jwt-issuerd"): pam_authenticate then
 *        pam_acct_mgmt, run in privilege-separated helper processes forked
 *        by a root supervisor that pwauth_open_pam forks BEFORE the daemon
 *        drops privileges, and that replaces dead or stalled helpers
 *        (pamhelper.c; OpenSSH's privsep shape: a socketpair, bounded length-prefixed
 *        messages, the password wiped on both sides, the helper doing
 *        nothing but PAM and exiting when its socket closes).
 *
 * All functions except open/free/reload may be called concurrently from
 * worker threads.  Passwords are never logged and never copied beyond the
 * call (the backend wipes its own copies); the caller wipes its buffer.
 */
#ifndef ISSUERD_PWAUTH_H
#define ISSUERD_PWAUTH_H

#include <stddef.h>
#include <sys/types.h>
#include "logfn.h"
#include "pjwt_user.h"

typedef struct pwauth pwauth;

typedef enum pwauth_result {
	PWAUTH_OK = 0,         /* password right, account usable */
	PWAUTH_DENIED = 1,     /* wrong password, unknown or locked user:
	                        * indistinguishable by design */
	PWAUTH_ACCOUNT = 2,    /* pam only: password right but the account is
	                        * expired, locked, or must change its password
	                        * (PAM_ACCT_EXPIRED, PAM_NEW_AUTHTOK_REQD,
	                        * PAM_AUTHTOK_EXPIRED, PAM_PERM_DENIED).  Map to
	                        * invalid_grant like DENIED; log it distinctly. */
	PWAUTH_ERROR = -1,     /* backend failure (logged): 500/503 to the client;
	                        * never treat as a password failure */
} pwauth_result;

/* Stable snake_case name: "ok", "denied", "account_unusable", "error". */
const char *pwauth_result_str(pwauth_result r);

/* Input bounds (longer input is PWAUTH_DENIED -- after a dummy-cost hash for
 * the file backend -- and never sent to PAM).  511 bytes: libcrypt refuses
 * longer passphrases (CRYPT_MAX_PASSPHRASE_SIZE 512 with the NUL) and
 * Linux-PAM's conversation answers are bounded alike (PAM_MAX_RESP_SIZE). */
#define PWAUTH_USER_MAX 256
#define PWAUTH_PASSWORD_MAX 511
/* Users-file names, as jwtctl passwd enforces: [a-z_][a-z0-9_.-]{0,31}. */
#define PWAUTH_FILE_NAME_MAX PJWT_USER_NAME_MAX
/* The users file is refused above this size. */
#define PWAUTH_FILE_MAX PJWT_USERS_FILE_MAX

/*
 * pwauth_open_file: load the users file at path with pjwt_file_read (regular
 * file, not a symlink, owned by owner -- (uid_t)-1 skips the check -- not
 * group/other-writable) and also refuse it when others can read it (hashes
 * are secrets).  Parsing is strict: every bad line is logged as
 * "PATH:LINE: reason" and the open fails.  path is copied.
 * Errors: -1 (logged).  On success 0 and *ret_pa.
 */
int pwauth_open_file(const char *path, uid_t owner, issuerd_log_fn *log,
    pwauth **ret_pa);

/*
 * pwauth_open_pam: fork nhelpers (1..16; 0 = 2) helper processes that keep
 * the current (root) privileges and run PAM service `service` (NULL =
 * "jwt-issuerd").  Must be called while still root (for pam_unix) and
 * before any threads are started (fork); the helpers close every fd but
 * their socket.  Concurrency: one request per helper at a time; callers
 * beyond nhelpers wait for a free helper.  The helpers are forked by a
 * root supervisor process forked here too (pamhelper.c): a helper that
 * dies or hangs longer than the timeout (pwauth_set_pam_timeout, default
 * 60 s) is dropped, the supervisor kills it and forks a replacement (at
 * once; with a doubling delay up to 30 s while replacements fail before
 * answering).  When no helper can be had pwauth_check returns PWAUTH_ERROR.
 * service is copied.  Errors: -1 (logged).  On success 0 and *ret_pa.
 */
int pwauth_open_pam(const char *service, unsigned nhelpers,
    issuerd_log_fn *log, pwauth **ret_pa);

/*
 * pwauth_check: check password (pwlen bytes, need not be NUL-terminated;
 * may contain any byte but NUL) for user.  Blocking (a yescrypt hash or a
 * PAM conversation): never call it on MHD's event thread.
 */
pwauth_result pwauth_check(pwauth *pa, const char *user, const char *password,
    size_t pwlen);

/*
 * pwauth_reload: SIGHUP.  file: re-read and re-parse; on any error the old
 * table is kept and -1 returned (logged); checks running concurrently are
 * safe.  pam: no-op, 0.  Call from the thread that handles the reload.
 */
int pwauth_reload(pwauth *pa);

/*
 * pwauth_account: is user still a usable account?  No password involved:
 * used by the refresh grant, whose user authenticated earlier, to stop
 * refreshing for users removed, locked or expired since.
 *  file  listed and not locked: PWAUTH_OK; else PWAUTH_DENIED (no hash
 *        is computed: callers pass names from the store, not the network).
 *  pam   pam_acct_mgmt alone (no pam_authenticate) in a root helper:
 *        PWAUTH_OK, PWAUTH_ACCOUNT (expired, locked, password expired),
 *        PWAUTH_DENIED (unknown user), PWAUTH_ERROR (PAM failed, or no
 *        helper).  Blocking: never on MHD's event thread.
 * NULL pa or user: PWAUTH_ERROR.
 */
pwauth_result pwauth_account(pwauth *pa, const char *user);

/*
 * pwauth_reload_notify: pwauth_reload, and on success call fn(user, why,
 * arg) for every user of the old table that the new one no longer lets
 * in the same way: why is "removed", "locked" or "password_changed" (the
 * hash differs).  The caller ends those users' refresh families.  fn runs
 * after the swap, with no lock held.  pam: a no-op (PAM has no list to
 * compare; see pwauth_account), 0.  fn may be NULL.
 * Errors: -1 (logged; the old table is kept and fn is not called).
 */
typedef void pwauth_gone_fn(const char *user, const char *why, void *arg);
int pwauth_reload_notify(pwauth *pa, pwauth_gone_fn *fn, void *arg);

/*
 * pwauth_has_list: 1 when the backend holds its own list of users (file),
 * so that every user can be checked cheaply with pwauth_account; 0 for pam
 * (each check is a PAM conversation) and NULL.
 */
int pwauth_has_list(const pwauth *pa);

/*
 * pwauth_helpers_available: pam: how many helpers can answer a request
 * soon: running, and idle or busy for less than half the timeout (a
 * helper stuck in a stalled PAM stack does not count).  0 means password
 * grants fail or wait until a helper is replaced.  -1 for the file backend
 * and NULL.  Thread-safe; never blocks beyond a mutex (/healthz calls it).
 */
int pwauth_helpers_available(pwauth *pa);

/*
 * pwauth_maintain: pam: replace helpers that died while idle and refill
 * empty slots whose back-off has passed (may wait for the supervisor's
 * fork, at most 5 s).  Call every few seconds from a thread that may
 * block, not from MHD's event thread.  Other backends: no-op.
 */
void pwauth_maintain(pwauth *pa);

/*
 * pwauth_set_pam_timeout: pam: how long a helper may take to answer
 * (seconds, > 0; default 60) before it is dropped and replaced.  Other
 * backends: no-op.  Call before the first check.
 */
void pwauth_set_pam_timeout(pwauth *pa, unsigned seconds);

/*
 * pwauth_free: free the table / close the helpers' sockets (they exit) and
 * reap them.  NULL-safe; returns NULL.  No check may be running.
 */
pwauth *pwauth_free(pwauth *pa);

#endif /* ISSUERD_PWAUTH_H */
