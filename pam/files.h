/*
 * files.h - the files pam_jwt trusts: the key or JWKS file and the revoked
 * list.  Both are read on every attempt, so a key rotation or a revocation
 * takes effect without restarting anything.
 */
#ifndef PJM_FILES_H
#define PJM_FILES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pjwt_err.h"
#include "pjwt_key.h"

#define PJM_MAX_KEYFILE (1024u * 1024u)        /* JWKS or key file */
#define PJM_MAX_REVOKED (8u * 1024u * 1024u)   /* revoked list */

/*
 * pjm_read_trusted: read path like sshd's StrictModes: the file must be a
 * regular file (not a symlink), owned by root or by the effective uid of the
 * process, not writable by group or others, at most max bytes; every
 * directory above it (after resolving symlinks) must be owned by root or the
 * effective uid and not writable by group or others unless it has the sticky
 * bit (as /tmp).  A process running as root therefore accepts only
 * root-owned files; an unprivileged one (tests, a screen locker) also its
 * own.  extra_owner, unless (uid_t)-1, is one more acceptable owner (the
 * issuer's account for the revoked list: revoked_owner=).  On failure *bad
 * (size badlen) names the offending file or directory.
 * On success *ret_buf (free with pjwt_secret_free(buf, len + 1)), *ret_len.
 */
pjwt_err pjm_read_trusted(const char *path, size_t max, uid_t extra_owner,
    char **ret_buf, size_t *ret_len, char *bad, size_t badlen);

/*
 * pjm_load_keyset: the key set of a JWKS file (jwks != NULL) or of a single
 * PEM/JWK key file.  Errors: those of pjm_read_trusted, then those of the
 * JWKS/key parsers (PJWT_E_MALFORMED, PJWT_E_BAD_KEY, ...), then
 * PJWT_E_FILE_MODE when the file holds an HMAC or private key and group or
 * others may read it.
 */
pjwt_err pjm_load_keyset(const char *jwks, const char *key,
    pjwt_keyset **ret_ks, char *bad, size_t badlen);

/*
 * pjm_revoked_check: whether jti is listed in the revoked file at path,
 * in the format of common/pjwt_revoked.h (pjwt_revoked_lookup): every
 * listed jti counts as revoked whatever its EXP; a malformed line is
 * PJWT_E_MALFORMED with *ret_line its 1-based number.
 * File errors as pjm_read_trusted (extra_owner likewise).
 */
pjwt_err pjm_revoked_check(const char *path, uid_t extra_owner,
    const char *jti, int *ret_revoked, size_t *ret_line, char *bad,
    size_t badlen);

/*
 * pjm_user_uid: the uid of a user name (getpwnam_r) or of a decimal uid.
 * Returns 0, or -1 when there is no such user.
 */
int pjm_user_uid(const char *name, uid_t *ret_uid);

#endif /* PJM_FILES_H */
