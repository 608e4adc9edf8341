/*
 * pjwt_file.h - reading trusted files (keys, JWKS, config) safely, and
 * writing files atomically.
 */
#ifndef PJWT_FILE_H
#define PJWT_FILE_H

#include <stddef.h>
#include <sys/types.h>
#include "pjwt_err.h"

/*
 * pjwt_file_read: read the whole of path into a new NUL-terminated buffer.
 * The file is opened O_RDONLY|O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK, then fstat'ed:
 * it must be a regular file (PJWT_E_FILE_NOT_REGULAR; a symlink is refused
 * too), owned by `owner` (PJWT_E_FILE_OWNER), not writable by group or others
 * (PJWT_E_FILE_MODE), and at most max bytes (PJWT_E_TOO_LARGE; max must
 * be 1..SIZE_MAX - 2, else PJWT_E_INVALID_ARGUMENT).  Pass
 * (uid_t)-1 as owner to skip the owner check (tools reading user files).
 * PJWT_E_IO: open/read failed; errno is left as the failing call set it.
 * On success *ret_buf (wipe+free with pjwt_secret_free(buf, len + 1)) and
 * *ret_len.
 */
pjwt_err pjwt_file_read(const char *path, uid_t owner, size_t max,
    char **ret_buf, size_t *ret_len);

/*
 * pjwt_file_write_atomic: write len bytes to path through a temporary file in
 * the same directory (O_EXCL, created with `mode`), fsync, rename over path,
 * fsync the directory.  Readers see the old or the new file, never a part.
 * Errors: PJWT_E_IO (errno kept), PJWT_E_INVALID_ARGUMENT, PJWT_E_NOMEM.
 */
pjwt_err pjwt_file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode);

#endif /* PJWT_FILE_H */
