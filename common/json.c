/* json.c - bounded, strict JSON parsing for untrusted input. */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pjwt_jws.h"
#include "pjwt_mem.h"
#include "pjwtp.h"

/*
 * A strict RFC 8259 parser for token headers and payloads that builds
 * jansson values directly.  jansson's own lexer reads through a
 * per-character stream callback and costs about 90 instructions per input
 * byte; for a JWT that was more than half of all non-signature work in
 * pjwt_verify.  Accepted and refused inputs match json_loadb(buf, len,
 * JSON_REJECT_DUPLICATES) (tests/fuzz checks this differentially), plus:
 * nesting deeper than PJWT_MAX_JSON_DEPTH is refused.
 *
 * Refused (PJWT_E_MALFORMED): anything not a JSON object or array at the
 * top, trailing bytes other than blanks, duplicate member names, raw
 * control bytes (NUL included) in strings, "\u0000", lone or misordered
 * surrogate escapes, invalid or overlong UTF-8, integers outside int64,
 * reals that overflow a double, leading zeros, bare '.', '+'.
 */
struct jp {
	const unsigned char *p, *end;
	int depth;
	pjwt_err err;
};

static json_t *jp_value(struct jp *s);

static json_t *
jp_fail(struct jp *s, pjwt_err e)
{
	if (s->err == PJWT_OK)
		s->err = e;
	return NULL;
}

static void
jp_ws(struct jp *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
jp_hex4(const unsigned char *p, unsigned *ret)
{
	unsigned v = 0, i, d;

	for (i = 0; i < 4; i++) {
		unsigned char c = p[i];

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return 0;
		v = v << 4 | d;
	}
	*ret = v;
	return 1;
}

/* Length of the valid UTF-8 sequence at p (< end), or 0. */
static size_t
jp_utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0];
	size_t n, i;
	uint32_t v;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1fu;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0fu;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07u;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3fu);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
	    (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return 0;
	return n;
}

static size_t
jp_put_utf8(unsigned char *o, uint32_t v)
{
	if (v < 0x80) {
		o[0] = (unsigned char)v;
		return 1;
	}
	if (v < 0x800) {
		o[0] = (unsigned char)(0xc0 | v >> 6);
		o[1] = (unsigned char)(0x80 | (v & 0x3f));
		return 2;
	}
	if (v < 0x10000) {
		o[0] = (unsigned char)(0xe0 | v >> 12);
		o[1] = (unsigned char)(0x80 | (v >> 6 & 0x3f));
		o[2] = (unsigned char)(0x80 | (v & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | v >> 18);
	o[1] = (unsigned char)(0x80 | (v >> 12 & 0x3f));
	o[2] = (unsigned char)(0x80 | (v >> 6 & 0x3f));
	o[3] = (unsigned char)(0x80 | (v & 0x3f));
	return 4;
}

/*
 * A string at s->p (just after the opening quote).  Plain ASCII without
 * escapes, the common case, is returned in place (*ret_buf NULL); anything
 * else is decoded into a new buffer (*ret_buf, to free) that is never
 * longer than the source.
 */
static int
jp_string(struct jp *s, const char **ret_str, size_t *ret_len,
    unsigned char **ret_buf)
{
	const unsigned char *start = s->p, *p = s->p;
	unsigned char *buf, *o;
	size_t n;
	unsigned v, lo;

	*ret_buf = NULL;
	while (p < s->end && *p != '"' && *p != '\\' && *p >= 0x20 && *p < 0x80)
		p++;
	if (p < s->end && *p == '"') {
		*ret_str = (const char *)start;
		*ret_len = (size_t)(p - start);
		s->p = p + 1;
		return 1;
	}
	if ((buf = malloc((size_t)(s->end - start) + 1)) == NULL) {
		jp_fail(s, PJWT_E_NOMEM);
		return 0;
	}
	o = buf;
	memcpy(o, start, (size_t)(p - start));
	o += p - start;
	for (;;) {
		if (p >= s->end || *p < 0x20)
			goto bad;
		if (*p == '"')
			break;
		if (*p == '\\') {
			if (s->end - p < 2)
				goto bad;
			switch (p[1]) {
			case '"': *o++ = '"'; break;
			case '\\': *o++ = '\\'; break;
			case '/': *o++ = '/'; break;
			case 'b': *o++ = '\b'; break;
			case 'f': *o++ = '\f'; break;
			case 'n': *o++ = '\n'; break;
			case 'r': *o++ = '\r'; break;
			case 't': *o++ = '\t'; break;
			case 'u':
				if (s->end - p < 6 || !jp_hex4(p + 2, &v) || v == 0)
					goto bad;
				if (v >= 0xdc00 && v <= 0xdfff)
					goto bad;
				if (v >= 0xd800 && v <= 0xdbff) {
					if (s->end - p < 12 || p[6] != '\\' ||
					    p[7] != 'u' || !jp_hex4(p + 8, &lo) ||
					    lo < 0xdc00 || lo > 0xdfff)
						goto bad;
					v = 0x10000 + ((v - 0xd800) << 10) +
					    (lo - 0xdc00);
					p += 6;
				}
				o += jp_put_utf8(o, v);
				p += 4;
				break;
			default:
				goto bad;
			}
			p += 2;
			continue;
		}
		if ((n = jp_utf8_len(p, s->end)) == 0)
			goto bad;
		memcpy(o, p, n);
		o += n;
		p += n;
	}
	*o = '\0';
	*ret_str = (const char *)buf;
	*ret_len = (size_t)(o - buf);
	*ret_buf = buf;
	s->p = p + 1;
	return 1;
 bad:
	pjwt_secret_free(buf, (size_t)(o - buf));
	jp_fail(s, PJWT_E_MALFORMED);
	return 0;
}

static json_t *
jp_number(struct jp *s)
{
	const unsigned char *start = s->p, *p = s->p;
	char small[64], *txt = small, *endp;
	const char *dp;
	int is_real = 0;
	size_t n;
	json_t *j = NULL;

	if (p < s->end && *p == '-')
		p++;
	if (p >= s->end || !(*p >= '0' && *p <= '9'))
		return jp_fail(s, PJWT_E_MALFORMED);
	if (*p == '0') {
		p++;
		if (p < s->end && *p >= '0' && *p <= '9')
			return jp_fail(s, PJWT_E_MALFORMED);
	} else {
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < s->end && *p == '.') {
		is_real = 1;
		p++;
		if (p >= s->end || !(*p >= '0' && *p <= '9'))
			return jp_fail(s, PJWT_E_MALFORMED);
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < s->end && (*p == 'e' || *p == 'E')) {
		is_real = 1;
		p++;
		if (p < s->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= s->end || !(*p >= '0' && *p <= '9'))
			return jp_fail(s, PJWT_E_MALFORMED);
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	}
	n = (size_t)(p - start);
	if (n >= sizeof(small) && (txt = malloc(n + 1)) == NULL)
		return jp_fail(s, PJWT_E_NOMEM);
	memcpy(txt, start, n);
	txt[n] = '\0';
	errno = 0;
	if (!is_real) {
		long long v = strtoll(txt, &endp, 10);

		if (errno == 0 && endp == txt + n)
			j = json_integer((json_int_t)v);
		else
			jp_fail(s, PJWT_E_MALFORMED);
	} else {
		double d;

		/* strtod follows LC_NUMERIC; the caller's locale may not use '.'. */
		dp = localeconv()->decimal_point;
		if (dp != NULL && dp[0] != '.' && dp[0] != '\0' && dp[1] == '\0') {
			char *q = strchr(txt, '.');

			if (q != NULL)
				*q = dp[0];
		}
		d = strtod(txt, &endp);
		if (endp == txt + n && !(errno == ERANGE &&
		    (d == HUGE_VAL || d == -HUGE_VAL)))
			j = json_real(d);
		else
			jp_fail(s, PJWT_E_MALFORMED);
	}
	if (j == NULL)
		jp_fail(s, PJWT_E_NOMEM);
	if (txt != small)
		free(txt);
	s->p = p;
	return j;
}

static int
jp_lit(struct jp *s, const char *lit, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return 0;
	s->p += n;
	return 1;
}

static json_t *
jp_object(struct jp *s)
{
	json_t *obj, *v;
	const char *key;
	unsigned char *kbuf;
	size_t klen;

	if ((obj = json_object()) == NULL)
		return jp_fail(s, PJWT_E_NOMEM);
	jp_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return obj;
	}
	for (;;) {
		if (s->p >= s->end || *s->p != '"')
			goto bad;
		s->p++;
		if (!jp_string(s, &key, &klen, &kbuf))
			goto err;
		if (json_object_getn(obj, key, klen) != NULL) {
			free(kbuf);
			goto bad;
		}
		jp_ws(s);
		if (s->p >= s->end || *s->p != ':') {
			free(kbuf);
			goto bad;
		}
		s->p++;
		if ((v = jp_value(s)) == NULL) {
			free(kbuf);
			goto err;
		}
		if (json_object_setn_new_nocheck(obj, key, klen, v) != 0) {
			free(kbuf);
			jp_fail(s, PJWT_E_NOMEM);
			goto err;
		}
		free(kbuf);
		jp_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			jp_ws(s);
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			return obj;
		}
		goto bad;
	}
 bad:
	jp_fail(s, PJWT_E_MALFORMED);
 err:
	pjwtp_json_wipe_decref(obj);
	return NULL;
}

static json_t *
jp_array(struct jp *s)
{
	json_t *arr, *v;

	if ((arr = json_array()) == NULL)
		return jp_fail(s, PJWT_E_NOMEM);
	jp_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return arr;
	}
	for (;;) {
		if ((v = jp_value(s)) == NULL)
			goto err;
		if (json_array_append_new(arr, v) != 0) {
			jp_fail(s, PJWT_E_NOMEM);
			goto err;
		}
		jp_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			return arr;
		}
		jp_fail(s, PJWT_E_MALFORMED);
		goto err;
	}
 err:
	pjwtp_json_wipe_decref(arr);
	return NULL;
}

static json_t *
jp_value(struct jp *s)
{
	const char *str;
	unsigned char *buf;
	size_t len;
	json_t *j;

	jp_ws(s);
	if (s->p >= s->end)
		return jp_fail(s, PJWT_E_MALFORMED);
	switch (*s->p) {
	case '{':
	case '[':
		if (++s->depth > PJWT_MAX_JSON_DEPTH)
			return jp_fail(s, PJWT_E_MALFORMED);
		j = *s->p++ == '{' ? jp_object(s) : jp_array(s);
		s->depth--;
		return j;
	case '"':
		s->p++;
		if (!jp_string(s, &str, &len, &buf))
			return NULL;
		if ((j = json_stringn_nocheck(str, len)) == NULL)
			jp_fail(s, PJWT_E_NOMEM);
		if (buf != NULL)
			pjwt_secret_free(buf, len + 1);
		return j;
	case 't':
		if (jp_lit(s, "true", 4))
			return json_true();
		break;
	case 'f':
		if (jp_lit(s, "false", 5))
			return json_false();
		break;
	case 'n':
		if (jp_lit(s, "null", 4))
			return json_null();
		break;
	default:
		return jp_number(s);
	}
	return jp_fail(s, PJWT_E_MALFORMED);
}

pjwt_err
pjwtp_json_parse(const char *buf, size_t len, json_t **ret_json)
{
	struct jp s;
	json_t *j;

	if ((buf == NULL && len != 0) || ret_json == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	s.p = (const unsigned char *)buf;
	s.end = s.p + len;
	s.depth = 0;
	s.err = PJWT_OK;
	jp_ws(&s);
	/* Like json_loadb without JSON_DECODE_ANY: an object or an array. */
	if (s.p >= s.end || (*s.p != '{' && *s.p != '['))
		return PJWT_E_MALFORMED;
	if ((j = jp_value(&s)) == NULL)
		return s.err != PJWT_OK ? s.err : PJWT_E_MALFORMED;
	jp_ws(&s);
	if (s.p != s.end) {
		pjwtp_json_wipe_decref(j);
		return PJWT_E_MALFORMED;
	}
	*ret_json = j;
	return PJWT_OK;
}

static void
json_wipe(json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;

	if (j == NULL)
		return;
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		json_object_foreach(j, key, v)
			json_wipe(v);
		break;
	case JSON_ARRAY:
		json_array_foreach(j, i, v)
			json_wipe(v);
		break;
	case JSON_STRING:
		/* jansson owns the buffer; wiping in place keeps its length. */
		explicit_bzero((char *)json_string_value(j), json_string_length(j));
		break;
	default:
		break;
	}
}

void
pjwtp_json_wipe_decref(json_t *j)
{
	if (j == NULL)
		return;
	/* Only wipe when we hold the last reference. */
	if (j->refcount == 1)
		json_wipe(j);
	json_decref(j);
}
