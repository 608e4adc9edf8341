/*
 * pjwt_user.h - the user-name rule of jwt-issuerd's users file, shared by
 * the daemon (which reads the file) and jwtctl passwd (which writes it), so
 * the two can never disagree about which names exist.
 */
#ifndef PJWT_USER_H
#define PJWT_USER_H

#include <stddef.h>

#define PJWT_USER_NAME_MAX 32

/*
 * pjwt_user_name_valid: 1 when name[0..len) matches [a-z_][a-z0-9_.-]* and
 * is 1..PJWT_USER_NAME_MAX bytes long, else 0 (also for NULL).
 */
int pjwt_user_name_valid(const char *name, size_t len);

#endif /* PJWT_USER_H */
