/*
 * pw_pam.c - the `pam` password backend, unprivileged side.
 *
 * pwpam_open forks a small pool of helpers (pamhelper.c) while the daemon is
 * still root; each talks to us over its own socketpair.  A check takes a
 * free helper (waiting on a condition variable when all are busy), sends one
 * bounded request, waits up to HELPER_TIMEOUT_S for the answer and gives
 * the helper back.  A pool rather than one helper because PAM is slow on
 * purpose (pam_unix sleeps ~2 s after a failure via pam_fail_delay): one
 * helper would let a single failing user stall every other login.
 * A helper that dies, hangs or speaks out of protocol is dropped for good:
 * after the privilege drop it cannot be replaced.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "pjwt_mem.h"
#include "pwauthp.h"

#define HELPERS_MAX 16u
#define HELPERS_DEFAULT 2u
#define HELPER_TIMEOUT_S 60
#define DEFAULT_SERVICE "jwt-issuerd"

typedef struct helper {
	pid_t pid;
	int fd;                       /* -1 once dropped */
	int busy;
} helper;

struct pwpam {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	helper h[HELPERS_MAX];
	unsigned n;
	unsigned alive;
	char *service;
	issuerd_log_fn *log;
};

/* In the child: keep only fd (moved to 3) and stdio; never returns. */
static void
helper_child(int fd, const char *service)
{
	int maxfd, i;

	if (fd != 3) {
		if (dup2(fd, 3) != 3)
			_exit(1);
		fd = 3;
	}
	/* Nothing of the daemon's (listen sockets, the store, the other
	 * helpers' parent ends) may stay open in a root process. */
	maxfd = (int)sysconf(_SC_OPEN_MAX);
	if (maxfd < 0 || maxfd > 65536)
		maxfd = 65536;
	for (i = 4; i < maxfd; i++)
		(void)close(i);
	pamhelper_main(fd, service);
}

int
pwpam_open(const char *service, unsigned nhelpers, issuerd_log_fn *log,
    pwpam **ret)
{
	pwpam *p;
	unsigned i;

	if (ret == NULL)
		return -1;
	if (nhelpers == 0)
		nhelpers = HELPERS_DEFAULT;
	if (nhelpers > HELPERS_MAX) {
		pwauthp_log(log, LOG_ERR, "pam: at most %u helpers", HELPERS_MAX);
		return -1;
	}
	if (service == NULL)
		service = DEFAULT_SERVICE;
	if (*service == '\0' || strchr(service, '/') != NULL) {
		pwauthp_log(log, LOG_ERR, "pam: bad service name");
		return -1;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	p->log = log;
	for (i = 0; i < HELPERS_MAX; i++)
		p->h[i].fd = -1;
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return -1;
	}
	if (pthread_cond_init(&p->cv, NULL) != 0) {
		pthread_mutex_destroy(&p->mu);
		free(p);
		return -1;
	}
	if ((p->service = strdup(service)) == NULL)
		goto fail;
	for (i = 0; i < nhelpers; i++) {
		int sv[2];
		pid_t pid;

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
			pwauthp_log(log, LOG_ERR, "pam: socketpair: %s",
			    strerror(errno));
			goto fail;
		}
		if ((pid = fork()) < 0) {
			pwauthp_log(log, LOG_ERR, "pam: fork: %s", strerror(errno));
			close(sv[0]);
			close(sv[1]);
			goto fail;
		}
		if (pid == 0) {
			close(sv[0]);
			helper_child(sv[1], p->service);
		}
		close(sv[1]);
		p->h[i].pid = pid;
		p->h[i].fd = sv[0];
		p->n++;
		p->alive++;
	}
	pwauthp_log(log, LOG_INFO, "pam: service %s, %u helper%s", p->service,
	    p->n, p->n == 1 ? "" : "s");
	*ret = p;
	return 0;
 fail:
	pwpam_free(p);
	return -1;
}

/* Drop helper h (lock held): close our end; it exits at its next read. */
static void
drop(pwpam *p, helper *h, const char *why)
{
	pwauthp_log(p->log, LOG_ERR, "pam: helper %ld dropped: %s (%u left)",
	    (long)h->pid, why, p->alive - 1);
	close(h->fd);
	h->fd = -1;
	p->alive--;
	/* Reap it if it is already gone; otherwise pwpam_free will. */
	if (waitpid(h->pid, NULL, WNOHANG) == h->pid)
		h->pid = 0;
}

/* Wait up to HELPER_TIMEOUT_S for fd to become readable. */
static int
wait_readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec start, now;
	int rc, left = HELPER_TIMEOUT_S * 1000;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		rc = poll(&pfd, 1, left);
		if (rc > 0)
			return 0;
		if (rc == 0 || errno != EINTR)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = HELPER_TIMEOUT_S * 1000 -
		    (int)((now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0)
			return -1;
	}
}

/* One exchange with a helper; *ret_res and *ret_rc on success. */
static int
exchange(int fd, const char *user, size_t ulen, int acct_only, const char *pw,
    size_t pwlen, int *ret_res, int32_t *ret_rc, const char **why)
{
	size_t msglen = 4 + 2 + ulen + pwlen;
	unsigned char *msg = NULL, resp[PAMHELPER_RESP_LEN];
	uint32_t len = (uint32_t)(2 + ulen + pwlen), rlen;
	uint16_t ul = (uint16_t)(ulen | (acct_only ? PAMHELPER_ACCT_ONLY : 0));
	int32_t rc;
	int r = -1;

	if ((msg = malloc(msglen)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	memcpy(msg, &len, 4);
	memcpy(msg + 4, &ul, 2);
	memcpy(msg + 6, user, ulen);
	memcpy(msg + 6 + ulen, pw, pwlen);
	if (pwauthp_write_full(fd, msg, msglen) != 0) {
		*why = "write failed";
		goto out;
	}
	if (wait_readable(fd) != 0) {
		*why = "no answer in time";
		goto out;
	}
	if (pwauthp_read_full(fd, &rlen, 4) != 0 || rlen != PAMHELPER_RESP_LEN ||
	    pwauthp_read_full(fd, resp, sizeof(resp)) != 0) {
		*why = "bad or no answer (helper died?)";
		goto out;
	}
	memcpy(&rc, resp + 1, 4);
	*ret_res = resp[0];
	*ret_rc = rc;
	r = 0;
 out:
	pjwt_secret_free(msg, msglen);
	return r;
}

/* One request to a free helper: a password check, or (acct_only, pw "")
 * the account step alone. */
static pwauth_result
pwpam_call(pwpam *p, const char *user, int acct_only, const char *pw,
    size_t pwlen)
{
	const char *why = NULL;
	helper *h = NULL;
	size_t ulen;
	int32_t rc = 0;
	int res = PAMHELPER_ERROR, ok;
	unsigned i;

	ulen = strnlen(user, PWAUTH_USER_MAX + 1);
	/* Never sent to PAM: too long, empty, or with a NUL inside. */
	if (ulen == 0 || ulen > PWAUTH_USER_MAX || pwlen > PWAUTH_PASSWORD_MAX ||
	    memchr(pw, '\0', pwlen) != NULL)
		return PWAUTH_DENIED;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		for (i = 0; i < p->n; i++) {
			if (p->h[i].fd >= 0 && !p->h[i].busy) {
				h = &p->h[i];
				break;
			}
		}
		if (h != NULL || p->alive == 0)
			break;
		pthread_cond_wait(&p->cv, &p->mu);
	}
	if (h == NULL) {
		pthread_mutex_unlock(&p->mu);
		pwauthp_log(p->log, LOG_ERR, "pam: no helper left");
		return PWAUTH_ERROR;
	}
	h->busy = 1;
	pthread_mutex_unlock(&p->mu);

	ok = exchange(h->fd, user, ulen, acct_only, pw, pwlen, &res, &rc,
	    &why) == 0;

	pthread_mutex_lock(&p->mu);
	h->busy = 0;
	if (!ok)
		drop(p, h, why);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (!ok)
		return PWAUTH_ERROR;
	switch (res) {
	case PAMHELPER_OK:
		return PWAUTH_OK;
	case PAMHELPER_DENIED:
		return PWAUTH_DENIED;
	case PAMHELPER_ACCOUNT:
		/* The caller logs the user with the outcome; user names
		 * come from the network, so not here. */
		pwauthp_log(p->log, LOG_INFO, "pam: %s account not usable (PAM"
		    " code %d)", acct_only ? "refresh:" : "password right but",
		    (int)rc);
		return PWAUTH_ACCOUNT;
	default:
		pwauthp_log(p->log, LOG_ERR, "pam: service %s failed (PAM code"
		    " %d)", p->service, (int)rc);
		return PWAUTH_ERROR;
	}
}

pwauth_result
pwpam_check(pwpam *p, const char *user, const char *pw, size_t pwlen)
{
	return pwpam_call(p, user, 0, pw, pwlen);
}

pwauth_result
pwpam_account(pwpam *p, const char *user)
{
	return pwpam_call(p, user, 1, "", 0);
}

int
pwpam_alive(pwpam *p)
{
	int n;

	pthread_mutex_lock(&p->mu);
	n = (int)p->alive;
	pthread_mutex_unlock(&p->mu);
	return n;
}

pwpam *
pwpam_free(pwpam *p)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	unsigned i;
	int tries;

	if (p == NULL)
		return NULL;
	for (i = 0; i < p->n; i++) {
		if (p->h[i].fd >= 0)
			close(p->h[i].fd);
		p->h[i].fd = -1;
	}
	/* The helpers exit on EOF; one stuck in PAM is left to init/systemd
	 * after ~2 s rather than hanging the shutdown. */
	for (i = 0; i < p->n; i++) {
		if (p->h[i].pid <= 0)
			continue;
		for (tries = 0; tries < 200; tries++) {
			pid_t w = waitpid(p->h[i].pid, NULL, WNOHANG);

			if (w == p->h[i].pid || (w < 0 && errno == ECHILD))
				break;
			nanosleep(&ts, NULL);
		}
	}
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->service);
	free(p);
	return NULL;
}
