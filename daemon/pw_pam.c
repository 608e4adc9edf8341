/*
 * pw_pam.c - the `pam` password backend, unprivileged side.
 *
 * pwpam_open forks a supervisor (pamhelper.c: pamsup_main) while the daemon
 * is still root, and asks it for a small pool of helpers; each helper talks
 * to us over its own socketpair, whose end the supervisor passes back.  A
 * check takes a free helper (waiting on a condition variable when all are
 * busy), sends one bounded request, waits up to the timeout (pam_timeout,
 * default 60 s) for the answer and gives the helper back.  A pool rather
 * than one helper because PAM is slow on purpose (pam_unix sleeps ~2 s
 * after a failure via pam_fail_delay): one helper would let a single
 * failing user stall every other login.
 * A helper that dies, hangs or speaks out of protocol is dropped and its
 * slot refilled by the supervisor (which also kills the old one): at once,
 * but after a doubling delay (1 s .. 30 s) while replacements keep dying
 * within 5 s of their start, so a crashing PAM module cannot make us fork
 * in a loop.  pwpam_maintain (the daemon's main loop, every few seconds)
 * also replaces idle helpers that died and refills due slots.
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

#define HELPERS_MAX PAMSUP_SLOTS
#define HELPERS_DEFAULT 2u
#define HELPER_TIMEOUT_S 60
#define SUP_TIMEOUT_MS 5000       /* the supervisor answers a spawn in this */
#define RESPAWN_DELAY_MAX 30      /* seconds */
#define QUICK_DEATH_MS 5000       /* a helper dropped sooner died "quickly" */
#define DEFAULT_SERVICE "jwt-issuerd"

typedef struct helper {
	pid_t pid;                    /* for the log only: not our child */
	int fd;                       /* -1 while the slot is empty */
	int busy;
	int spawning;                 /* a thread is asking the supervisor */
	unsigned fails;               /* quick deaths in a row */
	int64_t started_ms;           /* monotonic */
	int64_t busy_since_ms;        /* monotonic */
	int64_t next_try_ms;          /* empty slot: refill from then on */
} helper;

struct pwpam {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	helper h[HELPERS_MAX];
	unsigned n;
	unsigned alive;
	unsigned timeout_s;
	pthread_mutex_t sup_mu;       /* one request to the supervisor at a time */
	int sup_fd;                   /* -1 once the supervisor is gone */
	pid_t sup_pid;
	char *service;
	issuerd_log_fn *log;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait up to ms for fd to become readable: 0, or -1 (timeout, error). */
static int
wait_readable(int fd, int64_t ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t end = now_ms() + ms, left = ms;
	int rc;

	for (;;) {
		rc = poll(&pfd, 1, (int)left);
		if (rc > 0)
			return 0;
		if (rc == 0 || errno != EINTR)
			return -1;
		if ((left = end - now_ms()) <= 0)
			return -1;
	}
}

/*
 * Ask the supervisor for a helper in slot; its socket in *ret_fd.  Called
 * without p->mu.  A supervisor that fails to answer is gone for good.
 */
static int
sup_spawn(pwpam *p, unsigned slot, int *ret_fd, pid_t *ret_pid)
{
	uint32_t req[2] = { PAMSUP_SPAWN, slot };
	unsigned char buf[PAMSUP_RESP_LEN];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh;
	struct cmsghdr *c;
	int32_t pid;
	int fd = -1, r = -1;
	ssize_t n;

	pthread_mutex_lock(&p->sup_mu);
	if (p->sup_fd < 0)
		goto out;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.b;
	mh.msg_controllen = sizeof(cm.b);
	if (pwauthp_write_full(p->sup_fd, req, sizeof(req)) != 0 ||
	    wait_readable(p->sup_fd, SUP_TIMEOUT_MS) != 0) {
		pwauthp_log(p->log, LOG_ERR, "pam: the helper supervisor does not"
		    " answer; no more helpers can be started");
		close(p->sup_fd);
		p->sup_fd = -1;
		goto out;
	}
	do
		n = recvmsg(p->sup_fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	c = CMSG_FIRSTHDR(&mh);
	if (c != NULL && c->cmsg_level == SOL_SOCKET &&
	    c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (n != (ssize_t)sizeof(buf) || (mh.msg_flags & MSG_CTRUNC)) {
		pwauthp_log(p->log, LOG_ERR, "pam: bad answer from the helper "
		    "supervisor; no more helpers can be started");
		close(p->sup_fd);
		p->sup_fd = -1;
		goto out;
	}
	memcpy(&pid, buf + 1, sizeof(pid));
	if (buf[0] != 0 || fd < 0) {
		pwauthp_log(p->log, LOG_ERR, "pam: the supervisor could not start"
		    " a helper (fork or socketpair failed)");
		goto out;
	}
	*ret_fd = fd;
	*ret_pid = (pid_t)pid;
	fd = -1;
	r = 0;
 out:
	if (fd >= 0)
		close(fd);
	pthread_mutex_unlock(&p->sup_mu);
	return r;
}

/* Seconds before refilling a slot after its nth consecutive failure: the
 * first at once, then 1, 2, 4 ... 30 s. */
static unsigned
backoff(unsigned nth)
{
	if (nth <= 1)
		return 0;
	if (nth >= 7)
		return RESPAWN_DELAY_MAX;
	return 1u << (nth - 2);
}

/*
 * Fill empty slot h (p->mu held; released while the supervisor works).
 * On failure the slot stays empty until its next try.
 */
static void
refill(pwpam *p, helper *h)
{
	unsigned slot = (unsigned)(h - p->h), delay;
	pid_t pid = 0;
	int fd = -1, ok;

	h->spawning = 1;
	pthread_mutex_unlock(&p->mu);
	ok = sup_spawn(p, slot, &fd, &pid) == 0;
	pthread_mutex_lock(&p->mu);
	h->spawning = 0;
	if (ok) {
		h->fd = fd;
		h->pid = pid;
		h->busy = 0;
		h->started_ms = now_ms();
		p->alive++;
		pwauthp_log(p->log, LOG_INFO, "pam: helper %ld started (slot %u,"
		    " %u available)", (long)pid, slot, p->alive);
	} else {
		delay = backoff(++h->fails);
		h->next_try_ms = now_ms() + (int64_t)(delay > 0 ? delay : 1) *
		    1000;
	}
	pthread_cond_broadcast(&p->cv);
}

/* Drop helper h (lock held): close our end (it exits at its next read;
 * the supervisor kills it when it refills the slot). */
static void
drop(pwpam *p, helper *h, const char *why)
{
	pwauthp_log(p->log, LOG_ERR, "pam: helper %ld dropped: %s (%u left)",
	    (long)h->pid, why, p->alive - 1);
	close(h->fd);
	h->fd = -1;
	p->alive--;
	/* Only a helper that dies soon after its start counts towards the
	 * back-off (a crashing PAM module); one that served, or stalled for
	 * the whole timeout, is replaced at once. */
	if (now_ms() - h->started_ms >= QUICK_DEATH_MS)
		h->fails = 0;
	h->next_try_ms = now_ms() + (int64_t)backoff(++h->fails) * 1000;
}

/* Is h an empty slot whose refill is due?  (lock held) */
static int
is_due(const pwpam *p, const helper *h)
{
	return p->sup_fd >= 0 && h->fd < 0 && !h->spawning &&
	    h->next_try_ms <= now_ms();
}

/* An empty slot whose refill is due (lock held), or NULL. */
static helper *
due_slot(pwpam *p)
{
	unsigned i;

	for (i = 0; i < p->n; i++)
		if (is_due(p, &p->h[i]))
			return &p->h[i];
	return NULL;
}

static void
pwpam_cleanup(pwpam *p)
{
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	pthread_mutex_destroy(&p->sup_mu);
	free(p->service);
	free(p);
}

int
pwpam_open(const char *service, unsigned nhelpers, issuerd_log_fn *log,
    pwpam **ret)
{
	pwpam *p;
	unsigned i;
	int sv[2];

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
	p->sup_fd = -1;
	p->timeout_s = HELPER_TIMEOUT_S;
	for (i = 0; i < HELPERS_MAX; i++)
		p->h[i].fd = -1;
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return -1;
	}
	if (pthread_mutex_init(&p->sup_mu, NULL) != 0) {
		pthread_mutex_destroy(&p->mu);
		free(p);
		return -1;
	}
	if (pthread_cond_init(&p->cv, NULL) != 0) {
		pthread_mutex_destroy(&p->sup_mu);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return -1;
	}
	if ((p->service = strdup(service)) == NULL) {
		pwpam_cleanup(p);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		pwauthp_log(log, LOG_ERR, "pam: socketpair: %s", strerror(errno));
		pwpam_cleanup(p);
		return -1;
	}
	if ((p->sup_pid = fork()) < 0) {
		pwauthp_log(log, LOG_ERR, "pam: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		pwpam_cleanup(p);
		return -1;
	}
	if (p->sup_pid == 0) {
		close(sv[0]);
		pamsup_main(sv[1], p->service);
	}
	close(sv[1]);
	p->sup_fd = sv[0];
	p->n = nhelpers;
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < nhelpers; i++)
		refill(p, &p->h[i]);
	pthread_mutex_unlock(&p->mu);
	if (p->alive != nhelpers) {
		pwpam_free(p);
		return -1;
	}
	pwauthp_log(log, LOG_INFO, "pam: service %s, %u helper%s, supervisor %ld",
	    p->service, p->n, p->n == 1 ? "" : "s", (long)p->sup_pid);
	*ret = p;
	return 0;
}

void
pwpam_set_timeout(pwpam *p, unsigned seconds)
{
	if (p != NULL && seconds > 0)
		p->timeout_s = seconds;
}

/* One exchange with a helper; *ret_res and *ret_rc on success. */
static int
exchange(int fd, unsigned timeout_s, const char *user, size_t ulen,
    int acct_only, const char *pw, size_t pwlen, int *ret_res,
    int32_t *ret_rc, const char **why)
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
	if (wait_readable(fd, (int64_t)timeout_s * 1000) != 0) {
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
	helper *h = NULL, *e;
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
		int spawning = 0;

		for (i = 0; i < p->n; i++) {
			if (p->h[i].fd >= 0 && !p->h[i].busy) {
				h = &p->h[i];
				break;
			}
			spawning |= p->h[i].spawning;
		}
		if (h != NULL)
			break;
		if ((e = due_slot(p)) != NULL) {
			refill(p, e);
			continue;
		}
		if (p->alive == 0 && !spawning)
			break;
		/* Busy helpers answer (or time out) and empty slots come
		 * due: look again at least every second. */
		{
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&p->cv, &p->mu, &ts);
		}
	}
	if (h == NULL) {
		pthread_mutex_unlock(&p->mu);
		pwauthp_log(p->log, LOG_ERR, "pam: no helper left");
		return PWAUTH_ERROR;
	}
	h->busy = 1;
	h->busy_since_ms = now_ms();
	pthread_mutex_unlock(&p->mu);

	ok = exchange(h->fd, p->timeout_s, user, ulen, acct_only, pw, pwlen,
	    &res, &rc, &why) == 0;

	pthread_mutex_lock(&p->mu);
	h->busy = 0;
	if (!ok) {
		drop(p, h, why);
		/* Replace it now when due, so the pool is whole again before
		 * the next request (and /healthz says so). */
		if (is_due(p, h))
			refill(p, h);
	}
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
pwpam_available(pwpam *p)
{
	int64_t stalled = now_ms() - (int64_t)p->timeout_s * 500;
	unsigned i;
	int n = 0;

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->n; i++)
		if (p->h[i].fd >= 0 && (!p->h[i].busy ||
		    p->h[i].busy_since_ms > stalled))
			n++;
	pthread_mutex_unlock(&p->mu);
	return n;
}

void
pwpam_maintain(pwpam *p)
{
	unsigned i;

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->n; i++) {
		helper *h = &p->h[i];
		struct pollfd pfd = { .fd = h->fd, .events = POLLIN };

		/* An idle helper never writes: readable or hung up means it
		 * died.  Replace it now rather than at the next request. */
		if (h->fd >= 0 && !h->busy && poll(&pfd, 1, 0) > 0)
			drop(p, h, "died while idle");
		/* Empty slots whose back-off has passed: refill. */
		if (is_due(p, h))
			refill(p, h);
	}
	pthread_mutex_unlock(&p->mu);
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
	/* The helpers exit on EOF; closing the supervisor's socket makes it
	 * wait 2 s for them, end the rest, and exit.  We wait 4 s for it. */
	if (p->sup_fd >= 0)
		close(p->sup_fd);
	p->sup_fd = -1;
	for (tries = 0; p->sup_pid > 0 && tries < 400; tries++) {
		pid_t w = waitpid(p->sup_pid, NULL, WNOHANG);

		if (w == p->sup_pid || (w < 0 && errno == ECHILD))
			break;
		nanosleep(&ts, NULL);
	}
	pwpam_cleanup(p);
	return NULL;
}
