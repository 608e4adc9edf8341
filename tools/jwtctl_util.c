/*
 * jwtctl_util.c - jwtctl's shared helpers: output through write(2), one-line
 * errors, option values, key files and token input.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "pjwt_file.h"
#include "pjwt_mem.h"
#include "jwtctl.h"

/* ---- output -------------------------------------------------------------- */

/* ctl_err: one line "jwtctl: ..." on stderr. */
void
ctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("jwtctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * ctl_write: everything for stdout goes through write(2), not stdio, so no
 * copy of a token lingers in a stdio buffer and write errors (a full disk,
 * /dev/full) are seen at once.  Returns 0, or -1 after reporting the error.
 */
int
ctl_write(const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, s, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ctl_err("cannot write to standard output: %s",
			    strerror(errno));
			return -1;
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

int
ctl_puts(const char *s)
{
	return ctl_write(s, strlen(s));
}

/* ctl_json: j pretty-printed (2-space indent, members in order) and "\n". */
enum outcome
ctl_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY);
	int rc;

	if (s == NULL) {
		ctl_err("out of memory");
		return OUT_FAILURE;
	}
	rc = ctl_puts(s) == 0 && ctl_write("\n", 1) == 0 ? 0 : -1;
	free(s);
	return rc == 0 ? OUT_OK : OUT_FAILURE;
}

/* ---- small helpers ------------------------------------------------------- */

/* ctl_usage: one line naming the command and pointing at its help. */

enum outcome
ctl_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "jwtctl: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'jwtctl %s --help')\n", cmd);
	return OUT_USAGE;
}

/*
 * ctl_opt_error: getopt_long returned ':' (missing value) or '?' (unknown).
 * Only the option's name is echoed (up to '='), never a value.
 */
enum outcome
ctl_opt_error(const char *cmd, int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	int n = (int)strcspn(arg, "=");

	if (c == ':')
		return ctl_usage(cmd, "option '%.*s' needs a value", n, arg);
	if (optopt != 0 && optopt < 256 && strncmp(arg, "--", 2) != 0)
		return ctl_usage(cmd, "unknown option '-%c'", optopt);
	return ctl_usage(cmd, "unknown option '%.*s'", n, arg);
}

/*
 * ctl_parse_num: a decimal integer in [min, max]: strtoll with errno and end
 * pointer checks; no sign, blanks or trailing text.  -1 when invalid.
 */
int
ctl_parse_num(const char *s, long long min, long long max, long long *ret)
{
	char *end = NULL;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*ret = v;
	return 0;
}

int
ctl_alg_is_rsa(pjwt_alg a)
{
	return (a >= PJWT_ALG_RS256 && a <= PJWT_ALG_RS512) ||
	    (a >= PJWT_ALG_PS256 && a <= PJWT_ALG_PS512);
}

int
ctl_alg_is_hmac(pjwt_alg a)
{
	return a >= PJWT_ALG_HS256 && a <= PJWT_ALG_HS512;
}

/* ctl_parse_alg: one exact JOSE name for --alg. */
enum outcome
ctl_parse_alg(const char *cmd, const char *s, pjwt_alg *ret)
{
	pjwt_alg a = pjwt_alg_from_name(s);

	if (a == PJWT_ALG_UNKNOWN) {
		if (strcasecmp(s, "none") == 0)
			return ctl_usage(cmd, "--alg none is never supported");
		return ctl_usage(cmd, "unknown --alg '%s' (one of: %s)", s,
		    ALGS_TEXT);
	}
	*ret = a;
	return OUT_OK;
}

/* ctl_file_error: why a key or JWKS file could not be read (err: errno). */
enum outcome
ctl_file_error(const char *cmd, const char *path, pjwt_err r, int err)
{
	switch (r) {
	case PJWT_E_IO:
		ctl_err("%s: cannot read '%s': %s", cmd, path, strerror(err));
		break;
	case PJWT_E_FILE_NOT_REGULAR:
		ctl_err("%s: '%s' is not a regular file (symbolic links are "
		    "refused)", cmd, path);
		break;
	case PJWT_E_FILE_MODE:
		ctl_err("%s: '%s' is writable by group or others; refusing it "
		    "(chmod go-w)", cmd, path);
		break;
	case PJWT_E_TOO_LARGE:
		ctl_err("%s: '%s' is larger than 1 MiB", cmd, path);
		break;
	case PJWT_E_NOMEM:
		ctl_err("%s: out of memory reading '%s'", cmd, path);
		return OUT_FAILURE;
	default:
		ctl_err("%s: cannot read '%s' (%s)", cmd, path, pjwt_strerror(r));
		break;
	}
	return OUT_CONFIG;
}

/* ctl_key_error: why the contents of a key or JWKS file are unusable. */
enum outcome
ctl_key_error(const char *cmd, const char *path, pjwt_err r, pjwt_alg alg)
{
	const char *why;

	switch (r) {
	case PJWT_E_NOMEM:
	case PJWT_E_INTERNAL:
		ctl_err("%s: %s while loading '%s'", cmd, pjwt_strerror(r), path);
		return OUT_FAILURE;
	case PJWT_E_ALG_MISMATCH:
		if (alg != PJWT_ALG_UNKNOWN) {
			ctl_err("%s: '%s': the key does not fit --alg %s "
			    "(alg_mismatch)", cmd, path, pjwt_alg_name(alg));
			return OUT_CONFIG;
		}
		why = "a key's \"alg\" does not fit its type";
		break;
	case PJWT_E_BAD_KEY:
		why = "no usable key: expected a PEM key, a JWK or a JWK Set "
		    "(encrypted PEM is not supported)";
		break;
	case PJWT_E_WEAK_KEY:
		why = "key too weak: RSA needs 2048 bits or more and no ROCA "
		    "fingerprint (CVE-2017-15361), an HMAC secret at least "
		    "the digest length";
		break;
	case PJWT_E_MALFORMED:
		why = "not valid JSON (or duplicate members)";
		break;
	case PJWT_E_ALG_UNSUPPORTED:
		why = "algorithm not supported";
		break;
	case PJWT_E_ALG_NONE:
		why = "alg none is never accepted";
		break;
	case PJWT_E_DUPLICATE_KID:
		why = "two keys share a kid";
		break;
	case PJWT_E_TOO_LARGE:
		why = "too many keys or too deeply nested";
		break;
	default:
		why = "cannot use the key";
		break;
	}
	ctl_err("%s: '%s': %s (%s)", cmd, path, why, pjwt_strerror(r));
	return OUT_CONFIG;
}

/* ctl_load_key: read a key file (any owner, at most 1 MiB), bind it to alg
 * (PJWT_ALG_UNKNOWN: the file's "alg" or its type's default). */
enum outcome
ctl_load_key(const char *cmd, const char *path, pjwt_alg alg,
    pjwt_key **ret_key)
{
	char *buf = NULL;
	size_t len = 0;
	pjwt_err r;

	if ((r = pjwt_file_read(path, (uid_t)-1, KEY_FILE_MAX, &buf, &len)) !=
	    PJWT_OK)
		return ctl_file_error(cmd, path, r, errno);
	r = pjwt_key_load(buf, len, alg, ret_key);
	pjwt_secret_free(buf, len + 1);
	return r == PJWT_OK ? OUT_OK : ctl_key_error(cmd, path, r, alg);
}

/*
 * ctl_read_token: a heap copy of the token: arg, or stdin when arg is NULL or
 * "-".  Stdin is read to EOF, bounded by TOKEN_INPUT_MAX, and trailing
 * whitespace is stripped (stdin only).  The buffer is NUL-terminated;
 * wipe it with pjwt_secret_free(*ret_buf, *ret_cap).
 * Errors: PJWT_E_TOO_LARGE, PJWT_E_IO (errno kept), PJWT_E_NOMEM.
 */
pjwt_err
ctl_read_token(const char *arg, char **ret_buf, size_t *ret_len,
    size_t *ret_cap)
{
	size_t cap = TOKEN_INPUT_MAX + 2, len = 0;
	char *buf;

	if (arg != NULL && strcmp(arg, "-") != 0) {
		len = strlen(arg);
		if (len > TOKEN_INPUT_MAX)
			return PJWT_E_TOO_LARGE;
		cap = len + 1;
		if ((buf = malloc(cap)) == NULL)
			return PJWT_E_NOMEM;
		memcpy(buf, arg, cap);
		*ret_buf = buf;
		*ret_len = len;
		*ret_cap = cap;
		return PJWT_OK;
	}
	if ((buf = malloc(cap)) == NULL)
		return PJWT_E_NOMEM;
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf + len, cap - 1 - len);

		if (n < 0) {
			int saved = errno;

			if (saved == EINTR)
				continue;
			pjwt_secret_free(buf, cap);
			errno = saved;
			return PJWT_E_IO;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > TOKEN_INPUT_MAX) {
			pjwt_secret_free(buf, cap);
			return PJWT_E_TOO_LARGE;
		}
	}
	while (len > 0 && strchr(" \t\r\n\v\f", buf[len - 1]) != NULL &&
	    buf[len - 1] != '\0')
		len--;
	buf[len] = '\0';
	*ret_buf = buf;
	*ret_len = len;
	*ret_cap = cap;
	return PJWT_OK;
}
