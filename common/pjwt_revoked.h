/*
 * pjwt_revoked.h - the revoked list: the file pam_jwt's revoked= reads,
 * written by jwt-issuerd (revoked_file) and by jwtctl sync (--revoked-out).
 * Its grammar lives here, once; every front end parses and writes it
 * through this module.
 *
 * Grammar (bytes; lines end with '\n', the last one may lack it):
 *
 *   file    = *line
 *   line    = blank / comment / entry
 *   blank   = ""                        ; an empty line
 *   comment = "#" *(any byte but '\n')
 *   entry   = jti [1*WSP [exp] *WSP]    ; WSP = ' ' / '\t'
 *   jti     = 1*255 %x21-7E             ; printable ASCII, no blanks
 *   exp     = 0*19 DIGIT                ; seconds since the epoch
 *
 * exp is the token's expiry: after it a writer may drop the line.  A reader
 * counts every listed jti as revoked, whatever its exp.  One line that does
 * not match (a jti over 255 bytes, a control or non-ASCII byte, a 20-digit
 * exp, a sign, anything after exp) makes the whole file malformed: a
 * reader refuses every token then, since it cannot tell which are listed.
 *
 * Writers emit "JTI EXP\n" only.  A jti that cannot be listed (longer than
 * PJWT_REVOKED_JTI_MAX) is left out, with a warning by the caller: a reader
 * refuses tokens whose jti it could not list anyway, and one such line
 * would make it refuse every token.
 */
#ifndef PJWT_REVOKED_H
#define PJWT_REVOKED_H

#include <stddef.h>
#include <stdint.h>

#include "pjwt_err.h"

#define PJWT_REVOKED_JTI_MAX 255        /* longest jti a line can hold */
/* Longest line a writer emits: jti, ' ', 19 digits, '\n' (no NUL). */
#define PJWT_REVOKED_LINE_MAX (PJWT_REVOKED_JTI_MAX + 1 + 19 + 1)

/*
 * pjwt_revoked_jti_word: 1 when jti is 1..max bytes, each '!'..'~' (a
 * word the line format can carry); else 0, also for NULL.  Issuers take
 * jtis up to their own bound (the store's field limit) with this rule.
 */
int pjwt_revoked_jti_word(const char *jti, size_t max);

/*
 * pjwt_revoked_jti_listable: pjwt_revoked_jti_word(jti,
 * PJWT_REVOKED_JTI_MAX): whether jti can be an entry.  A token whose jti
 * is not listable can never be revoked, so a reader refuses it.
 */
int pjwt_revoked_jti_listable(const char *jti);

/*
 * pjwt_revoked_parse_line: one line p[0..n) without its '\n'.
 * PJWT_OK: *ret_jti (pointing into p; may be NULL for a blank or comment
 * line) and *ret_jti_len (0 for a blank or comment line) are set.
 * PJWT_E_MALFORMED: the line matches none of the grammar's forms.
 * PJWT_E_INVALID_ARGUMENT: p NULL with n > 0, or a NULL output pointer.
 */
pjwt_err pjwt_revoked_parse_line(const char *p, size_t n,
    const char **ret_jti, size_t *ret_jti_len);

/*
 * pjwt_revoked_lookup: whether jti is listed in the revoked-list text
 * text[0..len) (need not be NUL-terminated).  Every line is checked, also
 * after a match, so a damaged file is seen at once.
 * PJWT_OK: *ret_revoked = 1 (listed) or 0.
 * PJWT_E_MALFORMED: a line does not match; *ret_line is its 1-based
 * number (set only then).  PJWT_E_INVALID_ARGUMENT: jti NULL or empty,
 * text NULL with len > 0, or a NULL output pointer.  Allocates nothing.
 */
pjwt_err pjwt_revoked_lookup(const char *text, size_t len, const char *jti,
    int *ret_revoked, size_t *ret_line);

/*
 * pjwt_revoked_format_line: write the entry "JTI EXP\n" and a NUL into
 * out (size outlen, at least PJWT_REVOKED_LINE_MAX + 1 is always enough);
 * *ret_len is the line's length without the NUL.
 * PJWT_E_TOO_LARGE: jti is a word but longer than PJWT_REVOKED_JTI_MAX:
 * leave it out and warn (see above).  PJWT_E_MALFORMED: jti is not a word
 * (empty, a blank, a control or non-ASCII byte).  PJWT_E_INVALID_ARGUMENT:
 * exp < 0, out too small, or a NULL pointer.  Nothing is written on error.
 */
pjwt_err pjwt_revoked_format_line(const char *jti, int64_t exp, char *out,
    size_t outlen, size_t *ret_len);

/*
 * pjwt_revoked_append: append the entry for (jti, exp) to the growing
 * buffer *buf (length *len, capacity *cap; start with NULL, 0, 0; free
 * with free()), growing it with realloc.  Keeps *buf NUL-terminated.
 * Errors as pjwt_revoked_format_line, plus PJWT_E_NOMEM; on any error the
 * buffer is unchanged (still owned by the caller).
 */
pjwt_err pjwt_revoked_append(char **buf, size_t *len, size_t *cap,
    const char *jti, int64_t exp);

#endif /* PJWT_REVOKED_H */
