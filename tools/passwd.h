/*
 * passwd.h - `jwtctl passwd`: add a user to, or change a password in,
 * jwt-issuerd's users file (the `file` password backend).
 */
#ifndef JWTCTL_PASSWD_H
#define JWTCTL_PASSWD_H

/*
 * jwtctl_cmd_passwd: run the command.  argv[0] is the command name
 * ("passwd"); options follow:
 *
 *   jwtctl passwd --file USERS [--password-stdin] NAME
 *
 * Without --password-stdin the new password is read twice from the
 * controlling terminal with echo off; with it, one line from standard input.
 * The password is hashed with yescrypt (libcrypt's default cost) and the
 * user's line is added or replaced through an atomic rewrite that keeps
 * the file's mode, owner, group, comments and the order of the other lines.
 * Names: [a-z_][a-z0-9_.-]*, at most 32 characters.  Concurrent runs are
 * serialised by an flock on the file's directory.
 *
 * Uses getopt_long (resets optind itself).  Prints one "jwtctl: ..." line
 * on stderr per error, never the password or a hash.
 * Returns the exit status: 0 success, 1 refused input (passwords differ,
 * empty or too long password), 2 usage, file or system error.
 */
int jwtctl_cmd_passwd(int argc, char **argv);

#endif /* JWTCTL_PASSWD_H */
