/*
 * pjwt_user.h - jwt-issuerd's users file, written once: its grammar, a line
 * parser, a whole-file parser, the hash-shape rules and the line writer.
 * Used by the daemon (daemon/pw_file.c reads the file, daemon/oauth.c looks
 * names up in it) and by jwtctl passwd (which checks and writes it), so the
 * two can never disagree about which files, names and hashes are good.
 *
 * Grammar (bytes; one line per '\n', the last '\n' optional):
 *
 *   file    = *( line "\n" ) [ line ]
 *   line    = blank / comment / entry
 *   blank   = ""
 *   comment = "#" *( any byte but "\n" and NUL )
 *   entry   = name ":" hash
 *   name    = ( %x61-7A / "_" ) *( %x61-7A / DIGIT / "_" / "." / "-" )
 *             ; 1..PJWT_USER_NAME_MAX bytes
 *   hash    = [ "!" ] crypt                ; "!" = locked: cannot log in
 *           / "!"                          ; locked, no password at all
 *   crypt   = 1*( %x21-39 / %x3B-7E )      ; printable, no ':' or space;
 *             ; at most PJWT_USER_HASH_MAX bytes with the "!";
 *             ; "$y$" PARAMS "$" SALT "$" 43HASH64 when it starts "$y$"
 *             ; (PARAMS, SALT: 1* of ./0-9A-Za-z; HASH64 the same set)
 *
 * No NUL byte anywhere, no "\r" at a line's end, each name at most once.
 * Whether libcrypt accepts the crypt part (method known, enabled, not
 * legacy) is the caller's hash_check: libcrypt is a front-end library, and
 * this file stays pure so pam_jwt.so (which links libpjwt) never needs it.
 * common/user_crypt.c holds that check for the daemon and jwtctl.
 */
#ifndef PJWT_USER_H
#define PJWT_USER_H

#include <stddef.h>

#include "pjwt_err.h"

#define PJWT_USER_NAME_MAX 32
/* Both readers refuse a users file larger than this. */
#define PJWT_USERS_FILE_MAX ((size_t)4 << 20)
/* libxcrypt's CRYPT_OUTPUT_SIZE - 1: the longest hash crypt_rn can give. */
#define PJWT_USER_HASH_MAX 383

/*
 * pjwt_user_name_valid: 1 when name[0..len) matches [a-z_][a-z0-9_.-]* and
 * is 1..PJWT_USER_NAME_MAX bytes long, else 0 (also for NULL).
 */
int pjwt_user_name_valid(const char *name, size_t len);

/* One parsed line; pointers borrow from the caller's buffer. */
typedef struct pjwt_user_line {
	int is_entry;          /* 0: blank line or comment, nothing else set */
	const char *name;      /* not NUL-terminated */
	size_t name_len;
	const char *hash;      /* the crypt part, without "!"; not terminated */
	size_t hash_len;       /* 0 only for a bare "!" */
	int locked;            /* the hash field started with "!" */
} pjwt_user_line;

/*
 * A libcrypt check of one hash (NUL-terminated, without "!"), called only
 * for a non-empty hash that passed the character and length rules: NULL when
 * usable, else a short reason (a static string).
 */
typedef const char *pjwt_user_hash_check_fn(const char *hash, void *arg);

/*
 * pjwt_user_hash_shape: the pure hash rules for hash[0..len) (the crypt part,
 * without "!"): NULL when fine, else a reason.  Checks characters, length
 * and, for yescrypt, the whole $y$PARAMS$SALT$HASH shape.  len 0 is "empty
 * hash".
 */
const char *pjwt_user_hash_shape(const char *hash, size_t len);

/*
 * pjwt_user_line_parse: parse line[0..len) (without its "\n").  On success
 * returns NULL and fills *ret; on a bad line returns a reason (static
 * string, never containing the hash) and leaves *ret unset.  check may be
 * NULL (then only the pure rules apply); it runs before the yescrypt shape
 * rule, so a legacy hash is reported as such.
 */
const char *pjwt_user_line_parse(const char *line, size_t len,
    pjwt_user_hash_check_fn *check, void *check_arg, pjwt_user_line *ret);

/*
 * pjwt_user_line_name: the name field of line[0..len): on a line that is
 * not blank or a comment and has a ':', 1 with *ret_name and *ret_len the bytes
 * before the first ':' (borrowed; not checked against the name rule); else
 * 0.  pjwt_user_line_parse reads names with it.
 */
int pjwt_user_line_name(const char *line, size_t len, const char **ret_name,
    size_t *ret_len);

/*
 * pjwt_users_has_name: 1 when some line of buf[0..len) has a name field
 * (pjwt_user_line_name) equal to name[0..nlen), ASCII case ignored, else 0.
 * Lenient on purpose: a line the parser refuses for its hash, its case or a
 * CR still names a user, so a caller asking "could this name be a user?"
 * errs towards yes.  No allocation.
 */
int pjwt_users_has_name(const char *buf, size_t len, const char *name,
    size_t nlen);

/*
 * Whole-file parser callbacks.  entry is called for each good entry line in
 * file order (return nonzero to stop with PJWT_E_NOMEM, for the caller's
 * own allocation failures); bad for each bad line, with the 1-based line
 * number and a one-line message (no hash in it).  Either may be NULL.
 */
typedef struct pjwt_user_parse_cb {
	pjwt_user_hash_check_fn *check;
	int (*entry)(void *arg, unsigned line, const pjwt_user_line *l);
	void (*bad)(void *arg, unsigned line, const char *msg);
	void *arg;
} pjwt_user_parse_cb;

/*
 * pjwt_users_parse: parse the users file buf[0..len).  Every line is looked
 * at (every bad line reported through cb->bad, in file order; duplicate
 * names afterwards, as "duplicate user NAME (also on line N)" on the later
 * line).  Returns PJWT_OK when every line is good, PJWT_E_MALFORMED when
 * any is bad (entry callbacks were still made for the good ones),
 * PJWT_E_NOMEM when out of memory or entry asked to stop, PJWT_E_INVALID_ARGUMENT
 * for NULL buf/cb.
 */
pjwt_err pjwt_users_parse(const char *buf, size_t len,
    const pjwt_user_parse_cb *cb);

/*
 * pjwt_user_line_format: the entry line "name:hash" (no "\n") for a name and
 * a hash field (crypt hash, optionally with a leading "!", or a bare "!")
 * that pjwt_user_line_parse, with the same check, reads back as exactly that
 * entry: the writer never writes what the parser refuses.  *ret_line is
 * owned by the caller: it holds a hash, free it with
 * pjwt_secret_free(*ret_line, *ret_len + 1).  PJWT_E_MALFORMED for a bad
 * name or hash, PJWT_E_NOMEM, PJWT_E_INVALID_ARGUMENT for NULL arguments.
 */
pjwt_err pjwt_user_line_format(const char *name, const char *hash,
    pjwt_user_hash_check_fn *check, void *check_arg, char **ret_line,
    size_t *ret_len);

#endif /* PJWT_USER_H */
