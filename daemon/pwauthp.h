/*
 * pwauthp.h - internals shared by the password backends (pwauth.c,
 * pw_file.c, pw_pam.c, pamhelper.c) and their unit tests.  Not for the HTTP
 * side: use pwauth.h.
 */
#ifndef ISSUERD_PWAUTHP_H
#define ISSUERD_PWAUTHP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "logfn.h"
#include "pwauth.h"

typedef struct pwfile pwfile;
typedef struct pwpam pwpam;

struct pwauth {
	pwfile *file;                 /* exactly one of file, pam is set */
	pwpam *pam;
};

/* Log through cb when set; format checked. */
void pwauthp_log(issuerd_log_fn *cb, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));


/* File backend (pw_file.c). */
int pwfile_open(const char *path, uid_t owner, issuerd_log_fn *log,
    pwfile **ret);
pwauth_result pwfile_check(pwfile *f, const char *user, const char *pw,
    size_t pwlen);
int pwfile_reload(pwfile *f, pwauth_gone_fn *fn, void *arg);
pwauth_result pwfile_account(pwfile *f, const char *user);
pwfile *pwfile_free(pwfile *f);

/* PAM backend, parent side (pw_pam.c). */
int pwpam_open(const char *service, unsigned nhelpers, issuerd_log_fn *log,
    pwpam **ret);
pwauth_result pwpam_check(pwpam *p, const char *user, const char *pw,
    size_t pwlen);
pwauth_result pwpam_account(pwpam *p, const char *user);
int pwpam_available(pwpam *p);
void pwpam_maintain(pwpam *p);
void pwpam_set_timeout(pwpam *p, unsigned seconds);
pwpam *pwpam_free(pwpam *p);

/*
 * Wire protocol between pw_pam.c and the helper (pamhelper.c), over a
 * SOCK_STREAM socketpair, host byte order (both ends are one binary):
 *   request:  u32 len | u16 ulen | user[ulen] | password[len - 2 - ulen]
 *             with 1 <= ulen <= PWAUTH_USER_MAX, password <= PWAUTH_PASSWORD_MAX
 *   response: u32 len (= 5) | u8 result | i32 PAM return code (for the log)
 *   With PAMHELPER_ACCT_ONLY set in ulen the request carries no password
 *   (len == 2 + ulen) and the helper runs pam_acct_mgmt alone.
 * Any violation makes the reader drop the connection (the helper exits).
 */
#define PAMHELPER_ACCT_ONLY 0x8000u
_Static_assert(PWAUTH_USER_MAX < PAMHELPER_ACCT_ONLY,
    "the account-only flag must not collide with a user length");
#define PAMHELPER_REQ_MAX (2u + PWAUTH_USER_MAX + PWAUTH_PASSWORD_MAX)
#define PAMHELPER_RESP_LEN 5u
enum { PAMHELPER_OK = 0, PAMHELPER_DENIED = 1, PAMHELPER_ACCOUNT = 2,
	PAMHELPER_ERROR = 255 };

/*
 * pamhelper_main: the helper's whole life: serve requests on fd until it
 * closes, then _exit(0).  service: the PAM service name.  Never returns.
 */
void pamhelper_main(int fd, const char *service) __attribute__((noreturn));

/*
 * The supervisor (root, forked by pw_pam.c before the privilege drop) and
 * its fixed frames on a SOCK_STREAM socketpair, host byte order:
 *   request:  u32 op (PAMSUP_SPAWN) | u32 slot (< PAMSUP_SLOTS)
 *   response: u8 status (0 = ok) | i32 helper pid, and with status 0 the
 *             helper's socket as one SCM_RIGHTS descriptor
 * SPAWN kills the slot's previous helper (and its process group), forks a
 * new one.  Anything else ends the supervisor.  pamsup_main: serve on fd
 * until it closes, end the helpers, _exit(0).  Never returns.
 */
#define PAMSUP_SPAWN 1u
#define PAMSUP_SLOTS 16u
#define PAMSUP_RESP_LEN 5u
void pamsup_main(int fd, const char *service) __attribute__((noreturn));

/* The helper's PAM decisions, exposed for tests: the result of
 * pam_authenticate's and pam_acct_mgmt's return codes. */
int pamhelper_map_auth(int pam_rc);
int pamhelper_map_acct(int pam_rc);

/* Whole-buffer I/O on a stream socket: 0, or -1 (errno; EPIPE-safe,
 * EINTR retried; read_full sets errno 0 on EOF). */
int pwauthp_write_full(int fd, const void *buf, size_t len);
int pwauthp_read_full(int fd, void *buf, size_t len);

#endif /* ISSUERD_PWAUTHP_H */
