/* revoked.c - the revoked list: see pjwt_revoked.h for the grammar. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pjwt_revoked.h"

#define EXP_DIGITS_MAX 19       /* INT64_MAX has 19 digits */

static int
is_word_byte(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int
pjwt_revoked_jti_word(const char *jti, size_t max)
{
	size_t i;

	if (jti == NULL)
		return 0;
	for (i = 0; jti[i] != '\0'; i++)
		if (i >= max || !is_word_byte((unsigned char)jti[i]))
			return 0;
	return i > 0;
}

int
pjwt_revoked_jti_listable(const char *jti)
{
	return pjwt_revoked_jti_word(jti, PJWT_REVOKED_JTI_MAX);
}

pjwt_err
pjwt_revoked_parse_line(const char *p, size_t n, const char **ret_jti,
    size_t *ret_jti_len)
{
	size_t i = 0, id_len, digits = 0;

	if ((p == NULL && n > 0) || ret_jti == NULL || ret_jti_len == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	if (n == 0 || p[0] == '#') {
		*ret_jti = NULL;
		*ret_jti_len = 0;
		return PJWT_OK;
	}
	while (i < n && !is_blank(p[i])) {
		if (!is_word_byte((unsigned char)p[i]))
			return PJWT_E_MALFORMED;
		i++;
	}
	id_len = i;
	if (id_len == 0 || id_len > PJWT_REVOKED_JTI_MAX)
		return PJWT_E_MALFORMED;
	while (i < n && is_blank(p[i]))
		i++;
	while (i < n && p[i] >= '0' && p[i] <= '9') {
		i++;
		digits++;
	}
	if (digits > EXP_DIGITS_MAX)
		return PJWT_E_MALFORMED;
	while (i < n && is_blank(p[i]))
		i++;
	if (i != n)
		return PJWT_E_MALFORMED;
	*ret_jti = p;
	*ret_jti_len = id_len;
	return PJWT_OK;
}

pjwt_err
pjwt_revoked_lookup(const char *text, size_t len, const char *jti,
    int *ret_revoked, size_t *ret_line)
{
	size_t pos = 0, lineno = 0, jti_len;
	int found = 0;

	if (jti == NULL || (jti_len = strlen(jti)) == 0 ||
	    (text == NULL && len > 0) || ret_revoked == NULL ||
	    ret_line == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	while (pos < len) {
		const char *line = text + pos, *nl, *id;
		size_t n, id_len;

		nl = memchr(line, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - line) : len - pos;
		pos += n + (nl != NULL ? 1 : 0);
		lineno++;
		if (pjwt_revoked_parse_line(line, n, &id, &id_len) != PJWT_OK) {
			*ret_line = lineno;
			return PJWT_E_MALFORMED;
		}
		if (id_len == jti_len && memcmp(id, jti, jti_len) == 0)
			found = 1;
	}
	*ret_revoked = found;
	return PJWT_OK;
}

pjwt_err
pjwt_revoked_format_line(const char *jti, int64_t exp, char *out,
    size_t outlen, size_t *ret_len)
{
	int n;

	if (jti == NULL || out == NULL || ret_len == NULL || exp < 0)
		return PJWT_E_INVALID_ARGUMENT;
	if (!pjwt_revoked_jti_word(jti, SIZE_MAX))
		return PJWT_E_MALFORMED;
	if (!pjwt_revoked_jti_listable(jti))
		return PJWT_E_TOO_LARGE;
	/* Sized first, so nothing partial is left in out on error. */
	n = snprintf(NULL, 0, "%s %" PRId64 "\n", jti, exp);
	if (n < 0 || (size_t)n >= outlen)
		return PJWT_E_INVALID_ARGUMENT;
	snprintf(out, outlen, "%s %" PRId64 "\n", jti, exp);
	*ret_len = (size_t)n;
	return PJWT_OK;
}

pjwt_err
pjwt_revoked_append(char **buf, size_t *len, size_t *cap, const char *jti,
    int64_t exp)
{
	char line[PJWT_REVOKED_LINE_MAX + 1];
	size_t n = 0;
	pjwt_err r;

	if (buf == NULL || len == NULL || cap == NULL ||
	    (*buf == NULL && *cap != 0) ||
	    (*cap == 0 ? *len != 0 : *len >= *cap))
		return PJWT_E_INVALID_ARGUMENT;
	if ((r = pjwt_revoked_format_line(jti, exp, line, sizeof(line),
	    &n)) != PJWT_OK)
		return r;
	if (*cap - *len < n + 1) {
		size_t ncap = *cap == 0 ? 4096 : *cap;
		char *nbuf;

		while (ncap - *len < n + 1) {
			if (ncap > SIZE_MAX / 2)
				return PJWT_E_NOMEM;
			ncap *= 2;
		}
		if ((nbuf = realloc(*buf, ncap)) == NULL)
			return PJWT_E_NOMEM;
		*buf = nbuf;
		*cap = ncap;
	}
	memcpy(*buf + *len, line, n + 1);
	*len += n;
	return PJWT_OK;
}
