/* files.c - reading the key/JWKS file and the revoked list, StrictModes-style. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pjwt_file.h"
#include "pjwt_key.h"
#include "pjwt_mem.h"
#include "pjwt_revoked.h"
#include "files.h"

static void
set_bad(char *bad, size_t badlen, const char *what)
{
	if (bad != NULL && badlen > 0)
		snprintf(bad, badlen, "%s", what);
}

static int
owner_ok(uid_t uid, uid_t extra)
{
	return uid == 0 || uid == geteuid() ||
	    (extra != (uid_t)-1 && uid == extra);
}

/* Cut the last component off an absolute path in place ("/a/b" -> "/a",
 * "/a" -> "/"). */
static void
cut_last(char *p)
{
	char *slash = strrchr(p, '/');

	if (slash == p)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
}

/* dir and each directory above it: a directory owned by root (or us, or
 * extra) and not writable by group or others unless sticky. */
static pjwt_err
walk_up(char *dir, uid_t extra, char *bad, size_t badlen)
{
	struct stat st;

	for (;;) {
		if (stat(dir, &st) != 0) {
			set_bad(bad, badlen, dir);
			return PJWT_E_IO;
		}
		if (!S_ISDIR(st.st_mode)) {
			set_bad(bad, badlen, dir);
			return PJWT_E_FILE_NOT_REGULAR;
		}
		if (!owner_ok(st.st_uid, extra)) {
			set_bad(bad, badlen, dir);
			return PJWT_E_FILE_OWNER;
		}
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
		    (st.st_mode & S_ISVTX) == 0) {
			set_bad(bad, badlen, dir);
			return PJWT_E_FILE_MODE;
		}
		if (strcmp(dir, "/") == 0)
			return PJWT_OK;
		cut_last(dir);
	}
}

/*
 * Whoever can write to a directory on the way to the file can swap it.  The
 * path is checked twice: as written (each directory a name is looked up
 * in, so no one else can re-point a symbolic link on the way) and with
 * symbolic links resolved (where the file really is).
 */
static pjwt_err
check_dirs(const char *path, uid_t extra, char *bad, size_t badlen)
{
	char *dir = NULL, *real = NULL;
	pjwt_err r;
	int saved;

	if ((dir = strdup(path)) == NULL)
		return PJWT_E_NOMEM;
	cut_last(dir);
	if ((real = realpath(dir, NULL)) == NULL) {
		set_bad(bad, badlen, dir);
		r = PJWT_E_IO;
		goto out;
	}
	if ((r = walk_up(dir, extra, bad, badlen)) == PJWT_OK)
		r = walk_up(real, extra, bad, badlen);
 out:
	saved = errno;
	free(dir);
	free(real);
	errno = saved;
	return r;
}

pjwt_err
pjm_read_trusted(const char *path, size_t max, uid_t extra_owner,
    char **ret_buf, size_t *ret_len, char *bad, size_t badlen)
{
	pjwt_err r;
	uid_t euid = geteuid();

	if (path == NULL || path[0] != '/')
		return PJWT_E_INVALID_ARGUMENT;
	if ((r = check_dirs(path, extra_owner, bad, badlen)) != PJWT_OK)
		return r;
	set_bad(bad, badlen, path);
	/* Root-owned first; an unprivileged process may also use its own,
	 * the revoked list may belong to the issuer's account.  Each read
	 * checks the owner on the descriptor it reads from. */
	r = pjwt_file_read(path, 0, max, ret_buf, ret_len);
	if (r == PJWT_E_FILE_OWNER && euid != 0)
		r = pjwt_file_read(path, euid, max, ret_buf, ret_len);
	if (r == PJWT_E_FILE_OWNER && extra_owner != (uid_t)-1 &&
	    extra_owner != 0 && extra_owner != euid)
		r = pjwt_file_read(path, extra_owner, max, ret_buf, ret_len);
	return r;
}

int
pjm_user_uid(const char *name, uid_t *ret_uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	unsigned long v;
	char *end;

	if (name[0] >= '0' && name[0] <= '9') {
		errno = 0;
		v = strtoul(name, &end, 10);
		if (errno != 0 || *end != '\0' || v >= (unsigned long)(uid_t)-1)
			return -1;
		*ret_uid = (uid_t)v;
		return 0;
	}
	/* getpwnam_r: reentrant, the module may run in a threaded process. */
	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return -1;
	*ret_uid = pw.pw_uid;
	return 0;
}

/*
 * A key that signs (an HMAC secret, a private key) lets whoever reads it
 * make tokens for any user: its file must be readable by its owner only, as
 * ssh wants of private keys.  The mode is looked up again by name after the
 * read; only the owners check_dirs allowed could swap the file in between.
 */
static pjwt_err
check_secret_mode(const char *path, const pjwt_keyset *ks)
{
	struct stat st;
	size_t i, n = pjwt_keyset_count(ks);

	for (i = 0; i < n; i++)
		if (pjwt_key_is_private(pjwt_keyset_get(ks, i)))
			break;
	if (i == n)
		return PJWT_OK;
	if (lstat(path, &st) != 0)
		return PJWT_E_IO;
	if (!S_ISREG(st.st_mode))
		return PJWT_E_FILE_NOT_REGULAR;
	return (st.st_mode & (S_IRGRP | S_IROTH)) != 0 ? PJWT_E_FILE_MODE :
	    PJWT_OK;
}

pjwt_err
pjm_load_keyset(const char *jwks, const char *key, pjwt_keyset **ret_ks,
    char *bad, size_t badlen)
{
	const char *path = jwks != NULL ? jwks : key;
	char *buf = NULL;
	size_t len = 0;
	pjwt_keyset *ks = NULL;
	pjwt_key *k = NULL;
	pjwt_err r;

	if ((r = pjm_read_trusted(path, PJM_MAX_KEYFILE, (uid_t)-1, &buf, &len,
	    bad, badlen)) != PJWT_OK)
		return r;
	if (jwks != NULL) {
		r = pjwt_keyset_from_jwks(buf, len, &ks);
	} else if ((r = pjwt_key_load(buf, len, PJWT_ALG_UNKNOWN, &k)) ==
	    PJWT_OK) {
		if ((ks = pjwt_keyset_new()) == NULL)
			r = PJWT_E_NOMEM;
		else if ((r = pjwt_keyset_add(ks, k)) == PJWT_OK)
			k = NULL;
	}
	pjwt_key_free(k);
	pjwt_secret_free(buf, len + 1);
	if (r == PJWT_OK)
		r = check_secret_mode(path, ks);
	if (r != PJWT_OK) {
		int saved = errno;      /* lstat's, for the log line */

		pjwt_keyset_free(ks);
		errno = saved;
		return r;
	}
	*ret_ks = ks;
	return PJWT_OK;
}

pjwt_err
pjm_revoked_check(const char *path, uid_t extra_owner, const char *jti,
    int *ret_revoked, size_t *ret_line, char *bad, size_t badlen)
{
	char *buf = NULL;
	size_t len = 0;
	pjwt_err r;

	if (jti == NULL || jti[0] == '\0')
		return PJWT_E_INVALID_ARGUMENT;
	if ((r = pjm_read_trusted(path, PJM_MAX_REVOKED, extra_owner, &buf,
	    &len, bad, badlen)) != PJWT_OK)
		return r;
	/* The grammar and its "one bad line refuses the file" rule live in
	 * common/revoked.c, shared with the writers. */
	r = pjwt_revoked_lookup(buf, len, jti, ret_revoked, ret_line);
	free(buf);
	return r;
}
