/*
 * pamhelper.c - the privileged half of the `pam` password backend.
 *
 * OpenSSH's privsep shape: pw_pam.c forks this before the daemon drops
 * privileges; it keeps root because pam_unix verifies another user's
 * password only for root (unix_chkpwd drops to the caller's uid).  It does
 * nothing but PAM: read one bounded request from its socket, run
 * pam_authenticate then pam_acct_mgmt, answer one result, wipe the password,
 * repeat; exit when the socket closes or a request is malformed.  It never
 * parses HTTP, never touches keys or the store.
 *
 * The helpers are forked by a supervisor (pamsup_main), itself forked by
 * pw_pam.c while root: when the unprivileged side loses a helper (it died,
 * or PAM stalled past pam_timeout) it asks the supervisor for a new one in
 * that slot.  The supervisor reads only fixed 8-byte frames, kills the
 * slot's old helper (its whole process group: a stalled pam_exec child
 * too), forks a fresh helper and passes back its socket (SCM_RIGHTS).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "pwauthp.h"

typedef struct conv_ctx {
	const char *user;
	const char *password;
	int answered;                 /* the password is given once per request */
} conv_ctx;

/*
 * The conversation: the first echo-off prompt gets the password; an echo-on
 * prompt gets the user name (some modules ask "login:"); messages are
 * ignored.  A second password prompt (an OTP, a password change) fails the
 * conversation: this daemon has no second factor to give.
 */
static int
conv(int n, const struct pam_message **msg, struct pam_response **resp,
    void *data)
{
	conv_ctx *c = data;
	struct pam_response *r;
	int i;

	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	if ((r = calloc((size_t)n, sizeof(*r))) == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
			if (c->answered)
				goto fail;
			c->answered = 1;
			if ((r[i].resp = strdup(c->password)) == NULL)
				goto fail;
			break;
		case PAM_PROMPT_ECHO_ON:
			if ((r[i].resp = strdup(c->user)) == NULL)
				goto fail;
			break;
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			break;
		default:
			goto fail;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
 fail:
	for (i = 0; i < n; i++) {
		if (r[i].resp != NULL) {
			explicit_bzero(r[i].resp, strlen(r[i].resp));
			free(r[i].resp);
		}
	}
	free(r);
	return PAM_CONV_ERR;
}

int
pamhelper_map_auth(int rc)
{
	switch (rc) {
	case PAM_SUCCESS:
		return PAMHELPER_OK;
	case PAM_AUTH_ERR:
	case PAM_USER_UNKNOWN:
	case PAM_MAXTRIES:
	case PAM_CRED_INSUFFICIENT:
	case PAM_PERM_DENIED:
	case PAM_CONV_ERR:
		return PAMHELPER_DENIED;
	/* pam_authenticate may already report these (pam_unix checks expiry). */
	case PAM_ACCT_EXPIRED:
	case PAM_NEW_AUTHTOK_REQD:
	case PAM_AUTHTOK_EXPIRED:
		return PAMHELPER_ACCOUNT;
	default:                      /* AUTHINFO_UNAVAIL, SYSTEM_ERR, ... */
		return PAMHELPER_ERROR;
	}
}

int
pamhelper_map_acct(int rc)
{
	switch (rc) {
	case PAM_SUCCESS:
		return PAMHELPER_OK;
	case PAM_ACCT_EXPIRED:
	case PAM_NEW_AUTHTOK_REQD:
	case PAM_AUTHTOK_EXPIRED:
	case PAM_PERM_DENIED:
	case PAM_AUTH_ERR:
		return PAMHELPER_ACCOUNT;
	case PAM_USER_UNKNOWN:
		return PAMHELPER_DENIED;
	default:
		return PAMHELPER_ERROR;
	}
}

static int
run_pam(const char *service, const char *user, const char *password,
    int *ret_rc)
{
	conv_ctx ctx = { .user = user, .password = password, .answered = 0 };
	struct pam_conv pc = { .conv = conv, .appdata_ptr = &ctx };
	pam_handle_t *pamh = NULL;
	int rc, res;

	rc = pam_start(service, user, &pc, &pamh);
	if (rc != PAM_SUCCESS) {
		*ret_rc = rc;
		return PAMHELPER_ERROR;
	}
	rc = pam_authenticate(pamh, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	res = pamhelper_map_auth(rc);
	if (res == PAMHELPER_OK) {
		rc = pam_acct_mgmt(pamh, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
		res = pamhelper_map_acct(rc);
	}
	*ret_rc = rc;
	/* pam_end wipes PAM_AUTHTOK (Linux-PAM overwrites it before free). */
	pam_end(pamh, rc);
	return res;
}

/* Account check alone (the refresh grant): the user authenticated earlier;
 * is the account still there and usable? */
static int
run_acct(const char *service, const char *user, int *ret_rc)
{
	/* answered = 1: a module that prompts during the account step gets
	 * no password from us. */
	conv_ctx ctx = { .user = user, .password = "", .answered = 1 };
	struct pam_conv pc = { .conv = conv, .appdata_ptr = &ctx };
	pam_handle_t *pamh = NULL;
	int rc;

	rc = pam_start(service, user, &pc, &pamh);
	if (rc != PAM_SUCCESS) {
		*ret_rc = rc;
		return PAMHELPER_ERROR;
	}
	rc = pam_acct_mgmt(pamh, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	*ret_rc = rc;
	pam_end(pamh, rc);
	return pamhelper_map_acct(rc);
}

void
pamhelper_main(int fd, const char *service)
{
	unsigned char req[PAMHELPER_REQ_MAX];
	char user[PWAUTH_USER_MAX + 1];
	char pw[PWAUTH_PASSWORD_MAX + 1];
	unsigned char resp[4 + PAMHELPER_RESP_LEN];
	uint32_t len, rlen = PAMHELPER_RESP_LEN;
	uint16_t ulen;
	size_t pwlen;
	int32_t code;
	int res, rc, acct_only;

	/* The parent may die mid-write: an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		if (pwauthp_read_full(fd, &len, sizeof(len)) != 0)
			break;        /* EOF: the daemon is gone or done */
		if (len < 2 || len > PAMHELPER_REQ_MAX ||
		    pwauthp_read_full(fd, req, len) != 0)
			break;
		memcpy(&ulen, req, sizeof(ulen));
		acct_only = (ulen & PAMHELPER_ACCT_ONLY) != 0;
		ulen = (uint16_t)(ulen & ~PAMHELPER_ACCT_ONLY);
		if (ulen == 0 || ulen > PWAUTH_USER_MAX || ulen > len - 2u ||
		    len - 2u - ulen > PWAUTH_PASSWORD_MAX ||
		    (acct_only && len != 2u + ulen))
			break;
		pwlen = len - 2u - ulen;
		memcpy(user, req + 2, ulen);
		user[ulen] = '\0';
		memcpy(pw, req + 2 + ulen, pwlen);
		pw[pwlen] = '\0';
		explicit_bzero(req, sizeof(req));
		/* Embedded NULs would make PAM see a different string. */
		if (strlen(user) != ulen || strlen(pw) != pwlen) {
			res = PAMHELPER_DENIED;
			rc = PAM_AUTH_ERR;
		} else if (acct_only)
			res = run_acct(service, user, &rc);
		else
			res = run_pam(service, user, pw, &rc);
		explicit_bzero(pw, sizeof(pw));
		code = rc;
		memcpy(resp, &rlen, 4);
		resp[4] = (unsigned char)res;
		memcpy(resp + 5, &code, 4);
		if (pwauthp_write_full(fd, resp, sizeof(resp)) != 0)
			break;
	}
	explicit_bzero(req, sizeof(req));
	explicit_bzero(pw, sizeof(pw));
	close(fd);
	_exit(0);
}

/* In a child about to serve: keep only fd (moved to 3) and stdio. */
static void
keep_only(int fd)
{
	int maxfd, i;

	if (fd != 3) {
		if (dup2(fd, 3) != 3)
			_exit(1);
		close(fd);
	}
	/* Nothing of the daemon's (listen sockets, the store, the other
	 * helpers' ends) may stay open in a root process. */
	maxfd = (int)sysconf(_SC_OPEN_MAX);
	if (maxfd < 0 || maxfd > 65536)
		maxfd = 65536;
	for (i = 4; i < maxfd; i++)
		(void)close(i);
}

/* Kill slot's helper and everything it started, and reap it (bounded:
 * 2 s; a process that will not die is reaped by the main loop's
 * waitpid(-1) later). */
static void
end_helper(pid_t *pid)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	if (*pid <= 0)
		return;
	(void)kill(-*pid, SIGKILL);
	(void)kill(*pid, SIGKILL);
	for (i = 0; i < 200; i++) {
		pid_t w = waitpid(*pid, NULL, WNOHANG);

		if (w == *pid || (w < 0 && errno == ECHILD))
			break;
		nanosleep(&ts, NULL);
	}
	*pid = 0;
}

/* Answer one spawn: status byte, pid, and on success the socket. */
static int
send_spawned(int fd, unsigned char status, int32_t pid, int helper_fd)
{
	unsigned char buf[PAMSUP_RESP_LEN];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh;
	ssize_t n;

	buf[0] = status;
	memcpy(buf + 1, &pid, sizeof(pid));
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (helper_fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.b;
		mh.msg_controllen = sizeof(cm.b);
		CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), &helper_fd, sizeof(int));
	}
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(buf) ? 0 : -1;
}

void
pamsup_main(int fd, const char *service)
{
	pid_t kids[PAMSUP_SLOTS];
	uint32_t req[2];
	unsigned i;

	memset(kids, 0, sizeof(kids));
	signal(SIGPIPE, SIG_IGN);
	keep_only(fd);
	fd = 3;
	for (;;) {
		int sv[2], sent;
		pid_t pid, w;

		/*
		 * Reap every child that ended: helpers that ended on their
		 * own (whose process group is killed too, so nothing PAM
		 * started outlives them) and any end_helper gave up on.
		 */
		while ((w = waitpid(-1, NULL, WNOHANG)) > 0)
			for (i = 0; i < PAMSUP_SLOTS; i++)
				if (kids[i] == w) {
					(void)kill(-w, SIGKILL);
					kids[i] = 0;
				}
		if (pwauthp_read_full(fd, req, sizeof(req)) != 0)
			break;        /* EOF: the daemon is done */
		if (req[0] != PAMSUP_SPAWN || req[1] >= PAMSUP_SLOTS)
			break;        /* out of protocol: stop serving */
		end_helper(&kids[req[1]]);
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
			if (send_spawned(fd, 1, 0, -1) != 0)
				break;
			continue;
		}
		if ((pid = fork()) == 0) {
			close(sv[0]);
			/* Its own process group, so end_helper also ends
			 * what PAM started (pam_exec). */
			(void)setpgid(0, 0);
			keep_only(sv[1]);
			pamhelper_main(3, service);
		}
		close(sv[1]);
		if (pid > 0)
			kids[req[1]] = pid;
		sent = send_spawned(fd, pid > 0 ? 0 : 1,
		    (int32_t)(pid > 0 ? pid : 0), pid > 0 ? sv[0] : -1);
		close(sv[0]);
		if (sent != 0)
			break;
	}
	/* The daemon closed the helpers' sockets first: they exit on EOF;
	 * give them 2 s, then end what is left (stuck in PAM). */
	for (int t = 0; t < 200; t++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		int left = 0;

		for (i = 0; i < PAMSUP_SLOTS; i++) {
			if (kids[i] > 0 && waitpid(kids[i], NULL, WNOHANG) ==
			    kids[i])
				kids[i] = 0;
			left += kids[i] > 0;
		}
		if (left == 0)
			break;
		nanosleep(&ts, NULL);
	}
	for (i = 0; i < PAMSUP_SLOTS; i++)
		end_helper(&kids[i]);
	close(fd);
	_exit(0);
}
