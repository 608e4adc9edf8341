/* user_crypt.c - libcrypt's check of a users-file hash (pjwt_user_crypt.h). */
#include "config.h"

#include <crypt.h>

#include "pjwt_user.h"
#include "pjwt_user_crypt.h"

_Static_assert(PJWT_USER_HASH_MAX == CRYPT_OUTPUT_SIZE - 1,
    "the users-file hash limit is libcrypt's output size");

const char *
pjwt_user_crypt_check(const char *hash, void *arg)
{
	(void)arg;
	switch (crypt_checksalt(hash)) {
	case CRYPT_SALT_OK:
		return NULL;
	case CRYPT_SALT_INVALID:
		return "not a crypt hash";
	case CRYPT_SALT_METHOD_DISABLED:
		return "hash method disabled in libcrypt";
	case CRYPT_SALT_METHOD_LEGACY:
		return "legacy hash method (use yescrypt: jwtctl passwd)";
#ifdef CRYPT_SALT_TOO_CHEAP
	case CRYPT_SALT_TOO_CHEAP:
		return "hash cost too low";
#endif
	default:
		return "unusable hash";
	}
}
