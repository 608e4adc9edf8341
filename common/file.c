/* file.c - reading trusted files safely; atomic writes. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pjwt_file.h"
#include "pjwt_mem.h"

pjwt_err
pjwt_file_read(const char *path, uid_t owner, size_t max, char **ret_buf,
    size_t *ret_len)
{
	struct stat st;
	char *buf = NULL;
	size_t size = 0, got = 0;
	pjwt_err r = PJWT_E_IO;
	int fd, saved;

	/* max <= SIZE_MAX - 2: the buffer of size + 2 bytes must not wrap. */
	if (path == NULL || ret_buf == NULL || ret_len == NULL || max == 0 ||
	    max > SIZE_MAX - 2)
		return PJWT_E_INVALID_ARGUMENT;
	/* O_NONBLOCK: opening a FIFO planted in place of the file must not hang. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return errno == ELOOP ? PJWT_E_FILE_NOT_REGULAR : PJWT_E_IO;
	if (fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		r = PJWT_E_FILE_NOT_REGULAR;
		goto out;
	}
	if (owner != (uid_t)-1 && st.st_uid != owner) {
		r = PJWT_E_FILE_OWNER;
		goto out;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		r = PJWT_E_FILE_MODE;
		goto out;
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size > max) {
		r = PJWT_E_TOO_LARGE;
		goto out;
	}
	size = (size_t)st.st_size;
	/* One spare byte detects a file that grew after fstat. */
	if ((buf = malloc(size + 2)) == NULL) {
		r = PJWT_E_NOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, size + 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > size) {
			r = PJWT_E_TOO_LARGE;
			goto out;
		}
	}
	buf[got] = '\0';
	*ret_buf = buf;
	*ret_len = got;
	buf = NULL;
	r = PJWT_OK;
 out:
	saved = errno;
	if (buf != NULL)
		pjwt_secret_free(buf, size + 2);
	close(fd);
	errno = saved;
	return r;
}

static int
write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
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

pjwt_err
pjwt_file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode)
{
	char *tmp = NULL, *dircopy = NULL;
	const char *dir;
	int fd = -1, dfd = -1, saved;
	pjwt_err r = PJWT_E_IO;
	size_t plen;

	if (path == NULL || *path == '\0' || (data == NULL && len != 0))
		return PJWT_E_INVALID_ARGUMENT;
	plen = strlen(path);
	if (plen > PATH_MAX - 16)
		return PJWT_E_INVALID_ARGUMENT;
	if ((tmp = malloc(plen + 16)) == NULL || (dircopy = strdup(path)) == NULL) {
		r = PJWT_E_NOMEM;
		goto out;
	}
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp.XXXXXX", sizeof(".tmp.XXXXXX"));
	/* mkstemp creates 0600 with O_EXCL; fchmod sets the wanted mode. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		goto out;
	if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0)
		goto out_unlink;
	if (close(fd) != 0) {
		fd = -1;
		goto out_unlink;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto out_unlink;
	dir = dirname(dircopy);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		/* Best effort: the rename is done; a failed dir fsync is not an error. */
		(void)fsync(dfd);
		close(dfd);
	}
	r = PJWT_OK;
	goto out;
 out_unlink:
	saved = errno;
	unlink(tmp);
	errno = saved;
 out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	free(tmp);
	free(dircopy);
	errno = saved;
	return r;
}
