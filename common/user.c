/* user.c - jwt-issuerd's users file: grammar and contracts in pjwt_user.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pjwt_mem.h"
#include "pjwt_user.h"

#define STR_(x) #x
#define STR(x) STR_(x)

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

/* Characters a crypt hash may contain: printable, no ':' and no space. */
static int
hash_chars_ok(const char *h, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (h[i] <= 0x20 || h[i] >= 0x7f || h[i] == ':')
			return 0;
	return 1;
}

static size_t
b64_span(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!(c == '.' || c == '/' || (c >= '0' && c <= '9') ||
		    (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
			break;
	}
	return i;
}

/* crypt_checksalt looks only at the method prefix; for yescrypt (what
 * jwtctl passwd writes) check the whole shape $y$PARAMS$SALT$HASH, so a
 * truncated or mangled line is reported at load, not at login. */
static int
yescrypt_shape_ok(const char *h, size_t len)
{
	const char *end = h + len, *params, *salt, *hash;

	if (len < 3 || memcmp(h, "$y$", 3) != 0)
		return 1;             /* another method: libcrypt decides */
	params = h + 3;
	if ((salt = memchr(params, '$', (size_t)(end - params))) == NULL ||
	    salt == params)
		return 0;
	salt++;
	if ((hash = memchr(salt, '$', (size_t)(end - salt))) == NULL ||
	    hash == salt)
		return 0;
	hash++;
	return end - hash == 43 && b64_span(hash, 43) == 43 &&
	    b64_span(params, (size_t)(salt - 1 - params)) ==
	    (size_t)(salt - 1 - params) &&
	    b64_span(salt, (size_t)(hash - 1 - salt)) == (size_t)(hash - 1 - salt);
}

const char *
pjwt_user_hash_shape(const char *hash, size_t len)
{
	if (hash == NULL || len == 0)
		return "empty hash";
	if (!hash_chars_ok(hash, len))
		return "bad character in hash (a third field?)";
	if (len > PJWT_USER_HASH_MAX)
		return "hash too long";
	if (!yescrypt_shape_ok(hash, len))
		return "malformed yescrypt hash";
	return NULL;
}

int
pjwt_user_line_name(const char *line, size_t len, const char **ret_name,
    size_t *ret_len)
{
	const char *colon;

	if (line == NULL || len == 0 || line[0] == '#' ||
	    (colon = memchr(line, ':', len)) == NULL)
		return 0;
	*ret_name = line;
	*ret_len = (size_t)(colon - line);
	return 1;
}

static int
ascii_casecmp_eq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return 1;
}

int
pjwt_users_has_name(const char *buf, size_t len, const char *name,
    size_t nlen)
{
	const char *p = buf, *end;

	if (buf == NULL || name == NULL)
		return 0;
	end = buf + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end, *n;
		size_t l;

		if (pjwt_user_line_name(p, (size_t)(eol - p), &n, &l) &&
		    l == nlen && ascii_casecmp_eq(n, name, nlen))
			return 1;
		p = nl != NULL ? nl + 1 : end;
	}
	return 0;
}

const char *
pjwt_user_line_parse(const char *p, size_t ll, pjwt_user_hash_check_fn *check,
    void *check_arg, pjwt_user_line *ret)
{
	const char *colon, *h, *why, *name;
	size_t nlen, hlen;
	int locked;

	if (p == NULL || ret == NULL)
		return "no line";
	if (memchr(p, '\0', ll) != NULL)
		return "NUL byte";
	if (ll > 0 && p[ll - 1] == '\r')
		return "carriage return (DOS line ending)";
	if (ll == 0 || p[0] == '#') {
		memset(ret, 0, sizeof(*ret));
		return NULL;
	}
	if (!pjwt_user_line_name(p, ll, &name, &nlen))
		return "expected name:hash";
	colon = p + nlen;
	if (!pjwt_user_name_valid(name, nlen))
		return "bad user name (want [a-z_][a-z0-9_.-]*, at most "
		    STR(PJWT_USER_NAME_MAX) " characters)";
	h = colon + 1;
	hlen = (size_t)(p + ll - h);
	if (hlen == 0)
		return "empty hash";
	if (!hash_chars_ok(h, hlen))
		return "bad character in hash (a third field?)";
	/* The limit counts the "!": the daemon's buffer holds the field. */
	if (hlen > PJWT_USER_HASH_MAX)
		return "hash too long";
	locked = h[0] == '!';
	h += locked;
	hlen -= (size_t)locked;
	if (hlen > 0 && check != NULL) {
		char hb[PJWT_USER_HASH_MAX + 1];

		memcpy(hb, h, hlen);
		hb[hlen] = '\0';
		why = check(hb, check_arg);
		explicit_bzero(hb, sizeof(hb));
		if (why != NULL)
			return why;
	}
	if (hlen > 0 && !yescrypt_shape_ok(h, hlen))
		return "malformed yescrypt hash";
	ret->is_entry = 1;
	ret->name = p;
	ret->name_len = nlen;
	ret->hash = h;
	ret->hash_len = hlen;
	ret->locked = locked;
	return NULL;
}

typedef struct seen {
	const char *name;
	size_t len;
	unsigned line;
} seen;

static int
seen_cmp(const void *a, const void *b)
{
	const seen *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, n);

	if (c != 0)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

pjwt_err
pjwt_users_parse(const char *buf, size_t len, const pjwt_user_parse_cb *cb)
{
	const char *p = buf, *end;
	seen *v = NULL;
	size_t n = 0, cap = 0, i;
	unsigned line = 0, bad = 0;
	pjwt_err r = PJWT_E_NOMEM;

	if ((buf == NULL && len > 0) || cb == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	end = buf != NULL ? buf + len : buf;   /* NULL + 0 is undefined */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;
		pjwt_user_line l;
		const char *why;

		line++;
		why = pjwt_user_line_parse(p, (size_t)(eol - p), cb->check,
		    cb->arg, &l);
		if (why != NULL) {
			bad++;
			if (cb->bad != NULL)
				cb->bad(cb->arg, line, why);
		} else if (l.is_entry) {
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				seen *nv = realloc(v, nc * sizeof(*nv));

				if (nv == NULL)
					goto out;
				v = nv;
				cap = nc;
			}
			v[n].name = l.name;
			v[n].len = l.name_len;
			v[n].line = line;
			n++;
			if (cb->entry != NULL && cb->entry(cb->arg, line, &l) != 0)
				goto out;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), seen_cmp);
	for (i = 1; i < n; i++) {
		char msg[96];

		if (v[i - 1].len != v[i].len ||
		    memcmp(v[i - 1].name, v[i].name, v[i].len) != 0)
			continue;
		bad++;
		snprintf(msg, sizeof(msg), "duplicate user %.*s (also on line %u)",
		    (int)v[i].len, v[i].name, v[i - 1].line);
		if (cb->bad != NULL)
			cb->bad(cb->arg, v[i].line, msg);
	}
	r = bad > 0 ? PJWT_E_MALFORMED : PJWT_OK;
 out:
	free(v);
	return r;
}

pjwt_err
pjwt_user_line_format(const char *name, const char *hash,
    pjwt_user_hash_check_fn *check, void *check_arg, char **ret_line,
    size_t *ret_len)
{
	size_t nlen, hlen, len;
	pjwt_user_line l;
	char *out;

	if (name == NULL || hash == NULL || ret_line == NULL || ret_len == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	nlen = strlen(name);
	hlen = strlen(hash);
	if (nlen > PJWT_USER_NAME_MAX || hlen > PJWT_USER_HASH_MAX)
		return PJWT_E_MALFORMED;
	len = nlen + 1 + hlen;
	if ((out = malloc(len + 1)) == NULL)
		return PJWT_E_NOMEM;
	memcpy(out, name, nlen);
	out[nlen] = ':';
	memcpy(out + nlen + 1, hash, hlen);
	out[len] = '\0';
	/* Write only what the parser reads back as this one entry: no
	 * comment, no blank line, no "\n" smuggling a second line in. */
	if (pjwt_user_line_parse(out, len, check, check_arg, &l) != NULL ||
	    !l.is_entry || l.name_len != nlen || memchr(out, '\n', len) != NULL) {
		pjwt_secret_free(out, len + 1);
		return PJWT_E_MALFORMED;
	}
	*ret_line = out;
	*ret_len = len;
	return PJWT_OK;
}
