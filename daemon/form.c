/*
 * form.c - strict application/x-www-form-urlencoded parsing.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "pjwt_mem.h"

#include "form.h"

struct param {
	char *name;
	char *value;
	size_t value_len;
};

struct form {
	struct param p[FORM_MAX_PARAMS];
	size_t n;
};

int
utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t need;
		unsigned long cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (len - i <= need)
			return 0;
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum form_err
form_urldecode(const char *s, size_t len, char **ret, size_t *ret_len)
{
	char *out;
	size_t o = 0;

	if ((out = malloc(len + 1)) == NULL)
		return FORM_E_NOMEM;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%') {
			int hi, lo;

			if (len - i < 3 || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0) {
				pjwt_secret_free(out, len + 1);
				return FORM_E_ESCAPE;
			}
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+') {
			out[o++] = ' ';
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	for (size_t i = 0; i < o; i++) {
		unsigned char c = (unsigned char)out[i];
		if (c < 0x20 || c == 0x7f) {
			pjwt_secret_free(out, len + 1);
			return FORM_E_CONTROL;
		}
	}
	if (!utf8_valid((unsigned char *)out, o)) {
		pjwt_secret_free(out, len + 1);
		return FORM_E_UTF8;
	}
	*ret = out;
	*ret_len = o;
	return FORM_OK;
}

enum form_err
form_parse(const char *body, size_t len, struct form **ret_form)
{
	struct form *f;
	enum form_err r = FORM_OK;
	size_t i = 0;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return FORM_E_NOMEM;
	while (i < len) {
		const char *pair = body + i, *eq, *amp;
		size_t plen, nlen, name_len;
		struct param *p;

		amp = memchr(pair, '&', len - i);
		plen = amp != NULL ? (size_t)(amp - pair) : len - i;
		i += plen + 1;
		if (plen == 0) {
			/* "a=1&&b=2" or a trailing '&': tolerated, as
			 * browsers and curl never produce them but proxies
			 * may; an empty pair carries no parameter. */
			continue;
		}
		if ((eq = memchr(pair, '=', plen)) == NULL) {
			r = FORM_E_SYNTAX;
			goto out;
		}
		if ((nlen = (size_t)(eq - pair)) == 0) {
			r = FORM_E_SYNTAX;
			goto out;
		}
		if (f->n == FORM_MAX_PARAMS) {
			r = FORM_E_TOO_MANY;
			goto out;
		}
		p = &f->p[f->n];
		if ((r = form_urldecode(pair, nlen, &p->name, &name_len)) != FORM_OK)
			goto out;
		if ((r = form_urldecode(eq + 1, plen - nlen - 1, &p->value,
		    &p->value_len)) != FORM_OK) {
			free(p->name);
			p->name = NULL;
			goto out;
		}
		f->n++;
		for (size_t k = 0; k + 1 < f->n; k++)
			if (strcmp(f->p[k].name, p->name) == 0) {
				r = FORM_E_REPEATED;
				goto out;
			}
	}
out:
	if (r != FORM_OK) {
		form_free(f);
		return r;
	}
	*ret_form = f;
	return FORM_OK;
}

const char *
form_get(const struct form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->p[i].name, name) == 0)
			return f->p[i].value[0] != '\0' ? f->p[i].value : NULL;
	return NULL;
}

const char *
form_strerror(enum form_err e)
{
	switch (e) {
	case FORM_OK:
		return "ok";
	case FORM_E_NOMEM:
		return "out of memory";
	case FORM_E_REPEATED:
		return "a parameter is repeated";
	case FORM_E_ESCAPE:
		return "bad percent-encoding";
	case FORM_E_UTF8:
		return "a parameter is not valid UTF-8";
	case FORM_E_CONTROL:
		return "control characters in a parameter";
	case FORM_E_SYNTAX:
		return "malformed form body";
	case FORM_E_TOO_MANY:
		return "too many parameters";
	}
	return "malformed form body";
}

void
form_free(struct form *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->p[i].name);
		pjwt_secret_free(f->p[i].value, f->p[i].value_len + 1);
	}
	free(f);
}
