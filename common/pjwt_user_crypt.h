/*
 * pjwt_user_crypt.h - libcrypt's verdict on a users-file hash, for the front
 * ends that link libcrypt (jwt-issuerd, jwtctl).  Kept out of libpjwt so
 * pam_jwt.so, which links libpjwt, never needs libcrypt.  Source:
 * common/user_crypt.c, compiled into each of those front ends.
 */
#ifndef PJWT_USER_CRYPT_H
#define PJWT_USER_CRYPT_H

/*
 * pjwt_user_crypt_check: a pjwt_user_hash_check_fn.  NULL when
 * crypt_checksalt(hash) is CRYPT_SALT_OK, else why not ("not a crypt hash",
 * "legacy hash method (use yescrypt: jwtctl passwd)", ...).  arg unused.
 */
const char *pjwt_user_crypt_check(const char *hash, void *arg);

#endif /* PJWT_USER_CRYPT_H */
