/*
 * form.h - a strict application/x-www-form-urlencoded parser (the body of
 * POST /token, /revoke, /introspect).
 *
 * Strict: a parameter given twice is an error (RFC 6749 3.1: "MUST NOT be
 * included more than once"), as are a '%' not followed by two hex digits,
 * a name or value that does not decode to valid UTF-8, control characters
 * (CR, LF, NUL, any C0 or DEL) in a decoded name or value, a name without
 * '=' and an empty name.  A parameter with an empty value counts as absent
 * (RFC 6749 3.1) but still counts for the repeat check.  '+' is a space.
 */
#ifndef JI_FORM_H
#define JI_FORM_H

#include <stddef.h>

enum form_err {
	FORM_OK = 0,
	FORM_E_NOMEM = -1,
	FORM_E_REPEATED = -2,
	FORM_E_ESCAPE = -3,
	FORM_E_UTF8 = -4,
	FORM_E_CONTROL = -5,
	FORM_E_SYNTAX = -6,
	FORM_E_TOO_MANY = -7,
};

#define FORM_MAX_PARAMS 32

struct form;

/*
 * form_parse: parse body[0..len) (any bytes; NUL is a control character).
 * On success *ret_form (free with form_free); otherwise the reason, which
 * form_strerror turns into an error_description.
 */
enum form_err form_parse(const char *body, size_t len, struct form **ret_form);

/*
 * form_urldecode: decode one name or value s[0..len) ('+' is a space,
 * %XX escapes) with the checks above into a new NUL-terminated string
 * *ret of *ret_len bytes (wipe+free with pjwt_secret_free(*ret, len + 1)).
 * For the halves of HTTP Basic credentials (RFC 6749 2.3.1).
 */
enum form_err form_urldecode(const char *s, size_t len, char **ret,
    size_t *ret_len);

/* form_get: the decoded value of name, or NULL when absent or empty.
 * Borrowed from f. */
const char *form_get(const struct form *f, const char *name);

/* form_strerror: a short English description for error_description. */
const char *form_strerror(enum form_err e);

/* form_free: wipes values (they may hold passwords) and frees. NULL-safe. */
void form_free(struct form *f);

/* utf8_valid: 1 when s[0..len) is well-formed UTF-8 (no overlongs, no
 * surrogates, at most U+10FFFF). */
int utf8_valid(const unsigned char *s, size_t len);

#endif /* JI_FORM_H */
