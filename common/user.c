/* user.c - the users-file name rule (see pjwt_user.h). */
#include "config.h"

#include "pjwt_user.h"

int
pjwt_user_name_valid(const char *name, size_t len)
{
	size_t i;

	if (name == NULL || len == 0 || len > PJWT_USER_NAME_MAX)
		return 0;
	if (!((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return 0;
	for (i = 1; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}
