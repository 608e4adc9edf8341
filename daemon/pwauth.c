/* pwauth.c - the password-backend front (pwauth.h) and shared helpers. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pwauthp.h"

void
pwauthp_log(issuerd_log_fn *cb, int prio, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (cb == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cb(prio, "%s", msg);
}

int
pwauthp_write_full(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len > 0) {
		/* MSG_NOSIGNAL: a dead peer is an error, not a SIGPIPE. */
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
pwauthp_read_full(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = 0;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

const char *
pwauth_result_str(pwauth_result r)
{
	switch (r) {
	case PWAUTH_OK:
		return "ok";
	case PWAUTH_DENIED:
		return "denied";
	case PWAUTH_ACCOUNT:
		return "account_unusable";
	case PWAUTH_ERROR:
		return "error";
	}
	return "error";
}

int
pwauth_open_file(const char *path, uid_t owner, issuerd_log_fn *log,
    pwauth **ret_pa)
{
	pwauth *pa;

	if (ret_pa == NULL || (pa = calloc(1, sizeof(*pa))) == NULL)
		return -1;
	if (pwfile_open(path, owner, log, &pa->file) != 0) {
		free(pa);
		return -1;
	}
	*ret_pa = pa;
	return 0;
}

int
pwauth_open_pam(const char *service, unsigned nhelpers, issuerd_log_fn *log,
    pwauth **ret_pa)
{
	pwauth *pa;

	if (ret_pa == NULL || (pa = calloc(1, sizeof(*pa))) == NULL)
		return -1;
	if (pwpam_open(service, nhelpers, log, &pa->pam) != 0) {
		free(pa);
		return -1;
	}
	*ret_pa = pa;
	return 0;
}

pwauth_result
pwauth_check(pwauth *pa, const char *user, const char *password, size_t pwlen)
{
	if (pa == NULL || user == NULL || (password == NULL && pwlen != 0))
		return PWAUTH_ERROR;
	if (password == NULL)
		password = "";
	if (pa->file != NULL)
		return pwfile_check(pa->file, user, password, pwlen);
	if (pa->pam != NULL)
		return pwpam_check(pa->pam, user, password, pwlen);
	return PWAUTH_ERROR;
}

int
pwauth_reload(pwauth *pa)
{
	return pwauth_reload_notify(pa, NULL, NULL);
}

int
pwauth_reload_notify(pwauth *pa, pwauth_gone_fn *fn, void *arg)
{
	if (pa == NULL)
		return -1;
	if (pa->file != NULL)
		return pwfile_reload(pa->file, fn, arg);
	return 0;
}

pwauth_result
pwauth_account(pwauth *pa, const char *user)
{
	if (pa == NULL || user == NULL)
		return PWAUTH_ERROR;
	if (pa->file != NULL)
		return pwfile_account(pa->file, user);
	if (pa->pam != NULL)
		return pwpam_account(pa->pam, user);
	return PWAUTH_ERROR;
}

int
pwauth_helpers_available(pwauth *pa)
{
	return pa != NULL && pa->pam != NULL ? pwpam_available(pa->pam) : -1;
}

void
pwauth_maintain(pwauth *pa)
{
	if (pa != NULL && pa->pam != NULL)
		pwpam_maintain(pa->pam);
}

void
pwauth_set_pam_timeout(pwauth *pa, unsigned seconds)
{
	if (pa != NULL)
		pwpam_set_timeout(pa->pam, seconds);
}

int
pwauth_has_list(const pwauth *pa)
{
	return pa != NULL && pa->file != NULL;
}

pwauth *
pwauth_free(pwauth *pa)
{
	if (pa == NULL)
		return NULL;
	pwfile_free(pa->file);
	pwpam_free(pa->pam);
	free(pa);
	return NULL;
}
