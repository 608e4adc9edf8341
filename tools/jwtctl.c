/*
 * jwtctl.c - the pam-jwt command line: keys, JWK Sets, tokens.
 *
 * A front end of libpjwt: it parses options, reads and writes files, prints,
 * and turns every outcome into an exit status in one place (exit_code):
 *
 *   0  success
 *   1  the token was rejected (verify: one line "invalid: REASON" on stderr)
 *      or cannot be decoded at all (inspect)
 *   2  usage, configuration (key, JWKS or output file) or system error
 *
 * Every error is one line "jwtctl: ..." on stderr.  Private keys, secrets and
 * tokens are never printed to stderr, and every buffer that held one is wiped.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "pjwt_b64.h"
#include "pjwt_err.h"
#include "pjwt_file.h"
#include "pjwt_jws.h"
#include "pjwt_jwt.h"
#include "pjwt_key.h"
#include "pjwt_mem.h"

#define KEY_FILE_MAX ((size_t)1 << 20)      /* key and JWKS files: 1 MiB */
#define TOKEN_INPUT_MAX ((size_t)64 << 10)  /* a token argument or stdin */
#define TTL_MAX 315360000LL                 /* ten years */
#define LEEWAY_MAX 86400LL
#define JTI_BYTES 16

/* What happened, as the front end sees it; exit_code() maps it. */
enum outcome {
	OUT_OK,
	OUT_INVALID,    /* the token was rejected or cannot be decoded */
	OUT_USAGE,      /* bad command line */
	OUT_CONFIG,     /* unreadable or unusable key/JWKS file, output file */
	OUT_FAILURE,    /* out of memory, OpenSSL or I/O failure */
};

/* The one place outcomes become exit statuses (documented in every help). */
static int
exit_code(enum outcome o)
{
	switch (o) {
	case OUT_OK:
		return 0;
	case OUT_INVALID:
		return 1;
	case OUT_USAGE:
	case OUT_CONFIG:
	case OUT_FAILURE:
		break;
	}
	return 2;
}

/*
 * libpjwt's own failures (memory, OpenSSL, misuse) are ours, not the
 * token's: they must not be reported as "invalid: ...".
 */
static int
is_runtime_error(pjwt_err e)
{
	return e == PJWT_E_NOMEM || e == PJWT_E_INTERNAL ||
	    e == PJWT_E_INVALID_ARGUMENT;
}

/* ---- output -------------------------------------------------------------- */

static void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* errmsg: one line "jwtctl: ..." on stderr. */
static void
errmsg(const char *fmt, ...)
{
	va_list ap;

	fputs("jwtctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * out_write: everything for stdout goes through write(2), not stdio, so no
 * copy of a token lingers in a stdio buffer and write errors (a full disk,
 * /dev/full) are seen at once.  Returns 0, or -1 after reporting the error.
 */
static int
out_write(const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, s, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			errmsg("cannot write to standard output: %s",
			    strerror(errno));
			return -1;
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
out_str(const char *s)
{
	return out_write(s, strlen(s));
}

/* out_json: j pretty-printed (2-space indent, members in order) and "\n". */
static enum outcome
out_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY);
	int rc;

	if (s == NULL) {
		errmsg("out of memory");
		return OUT_FAILURE;
	}
	rc = out_str(s) == 0 && out_write("\n", 1) == 0 ? 0 : -1;
	free(s);
	return rc == 0 ? OUT_OK : OUT_FAILURE;
}

/* ---- help texts ---------------------------------------------------------- */

#define EXIT_TEXT \
	"\nExit status: 0 success; 1 token rejected (verify) or not decodable\n" \
	"(inspect); 2 usage, configuration (key, JWKS or output file) or system\n" \
	"error.  Errors are one line on stderr.\n"

#define ALGS_TEXT \
	"EdDSA ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 HS256 HS384 HS512"

static const char help_main[] =
	"Usage: jwtctl COMMAND [OPTIONS] [ARGUMENTS]\n"
	"\n"
	"Keys, JWK Sets and JWT access tokens for pam-jwt.\n"
	"\n"
	"Commands:\n"
	"  keygen   generate a signing key file\n"
	"  jwks     print the public JWK Set of key files\n"
	"  sign     issue a signed JWT access token (RFC 9068)\n"
	"  verify   verify a token's signature and claims, as pam_jwt.so does\n"
	"  inspect  show a token's header and payload WITHOUT verifying anything\n"
	"  help     show the help of a command\n"
	"\n"
	"Options:\n"
	"  -h, --help     show this help\n"
	"  -V, --version  show the version\n"
	"\n"
	"'jwtctl help COMMAND' or 'jwtctl COMMAND --help' lists a command's options.\n"
	EXIT_TEXT;

static const char help_keygen[] =
	"Usage: jwtctl keygen [--alg ALG] [--bits N] [--kid KID] [--format pem|jwk]\n"
	"                     [--force] --out FILE\n"
	"\n"
	"Generate a private signing key, write it to FILE (mode 0600, atomically)\n"
	"and print its kid on stdout.  The public JWK Set is printed by 'jwtctl jwks'.\n"
	"\n"
	"  --alg ALG        the one algorithm the key is used with (default EdDSA):\n"
	"                   " ALGS_TEXT "\n"
	"  --bits N         RSA modulus size, 2048..16384 (default 3072); RS* and PS* only\n"
	"  --kid KID        key id (default: the RFC 7638 thumbprint); 1..255 printable\n"
	"                   ASCII characters.  A PEM file cannot record a kid: needs\n"
	"                   --format jwk\n"
	"  --format FMT     pem: PKCS#8 PEM (default for asymmetric keys);\n"
	"                   jwk: a private JWK JSON object that also records alg and kid.\n"
	"                   HS* keys are always written as a JWK (kty \"oct\"): PEM cannot\n"
	"                   hold an HMAC secret\n"
	"  --out FILE       where to write the key (required)\n"
	"  --force          replace FILE if it exists (default: refuse)\n"
	"  -h, --help       show this help\n"
	"\n"
	"A PEM file does not record the algorithm: RSA PEM keys are read as RS256\n"
	"unless --alg says otherwise (jwks, sign, verify --alg).\n"
	EXIT_TEXT;

static const char help_jwks[] =
	"Usage: jwtctl jwks [--alg ALG] KEY [KEY...]\n"
	"\n"
	"Print the public JWK Set {\"keys\":[...]} of the key files on stdout, for\n"
	"pam_jwt.so jwks= and the issuer.  KEY is a PEM (private or public) or JWK\n"
	"file; private members are never printed.  HMAC (HS*) keys are refused:\n"
	"a shared secret has no public form.\n"
	"\n"
	"  --alg ALG        bind the keys to ALG (e.g. PS256 for an RSA PEM key, read\n"
	"                   as RS256 otherwise); a JWK's own \"alg\" must agree\n"
	"  -h, --help       show this help\n"
	EXIT_TEXT;

static const char help_sign[] =
	"Usage: jwtctl sign --key KEY --iss ISS --aud AUD --sub SUB [--ttl SECONDS]\n"
	"                   [--scope SCOPES] [--typ TYP] [--alg ALG] [--claims JSON]\n"
	"                   [--jti ID]\n"
	"\n"
	"Print a signed compact JWT on stdout with the claims\n"
	"iss sub aud exp iat jti [scope], then the members of --claims.\n"
	"\n"
	"  --key KEY        private key file, PEM or JWK (required)\n"
	"  --iss ISS        issuer claim (required)\n"
	"  --aud AUD        audience claim (required)\n"
	"  --sub SUB        subject claim: the user name pam_jwt.so logs in (required)\n"
	"  --ttl SECONDS    lifetime: exp = now + SECONDS, 1..315360000 (default 300)\n"
	"  --scope SCOPES   space-separated scope claim, e.g. \"ssh sudo\"\n"
	"  --typ TYP        header typ (default at+jwt, RFC 9068); '' leaves it out\n"
	"  --alg ALG        bind the key to ALG (e.g. PS256 for an RSA PEM key)\n"
	"  --claims JSON    a JSON object merged last: its members add to or replace\n"
	"                   any claim (e.g. {\"client_id\":\"cli\"} or an exp in the\n"
	"                   past); a member whose value is null removes that claim\n"
	"  --jti ID         token id (default: 16 random bytes, base64url)\n"
	"  -h, --help       show this help\n"
	EXIT_TEXT;

static const char help_verify[] =
	"Usage: jwtctl verify (--jwks FILE | --key KEY) --iss ISS --aud AUD [--sub SUB]\n"
	"                     [--scope SCOPES] [--leeway SECONDS] [--max-age SECONDS]\n"
	"                     [--typ TYP|any] [--alg LIST] [TOKEN | -]\n"
	"\n"
	"Verify TOKEN (or one read from stdin when TOKEN is '-' or absent; trailing\n"
	"whitespace is stripped; at most 64 KiB) exactly as pam_jwt.so does, at the\n"
	"current time.  Valid: exit 0 and the claims as JSON on stdout.  Rejected:\n"
	"exit 1 and one line \"invalid: REASON\" on stderr (REASON as in the logs,\n"
	"e.g. expired, bad_signature, aud_mismatch).  Prefer stdin: arguments are\n"
	"visible to other users in ps.\n"
	"\n"
	"  --jwks FILE      JWK Set of the accepted keys\n"
	"  --key KEY        one accepted key, PEM or JWK (public, or private/HMAC)\n"
	"  --iss ISS        required issuer, compared exactly (required)\n"
	"  --aud AUD        required audience (required)\n"
	"  --sub SUB        the sub claim must equal SUB\n"
	"  --scope SCOPES   space-separated scopes that must all be in the scope claim\n"
	"  --leeway SECONDS clock skew allowed for exp, nbf and iat, 0..86400\n"
	"                   (default 60)\n"
	"  --max-age SECONDS refuse tokens issued (iat) more than SECONDS ago; 0 = off\n"
	"                   (default off)\n"
	"  --typ TYP        required header typ (default at+jwt); 'any' accepts any\n"
	"                   typ or none\n"
	"  --alg LIST       comma-separated algorithms accepted (default: all); with\n"
	"                   --key and a single algorithm, the key is bound to it\n"
	"  -h, --help       show this help\n"
	EXIT_TEXT;

static const char help_inspect[] =
	"Usage: jwtctl inspect [TOKEN | -]\n"
	"\n"
	"Decode TOKEN (or stdin when '-' or absent) and print its header and payload\n"
	"as JSON with \"verified\": false.  NOTHING is checked: not the signature, not\n"
	"a claim.  A banner on stderr says so.  Exit 1 when the token cannot be\n"
	"decoded (not three base64url segments of JSON).\n"
	"\n"
	"  -h, --help       show this help\n"
	EXIT_TEXT;

/* ---- small helpers ------------------------------------------------------- */

/* usage_error: one line naming the command and pointing at its help. */
static enum outcome usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum outcome
usage_error(const char *cmd, const char *fmt, ...)
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
 * opt_error: getopt_long returned ':' (missing value) or '?' (unknown).
 * Only the option's name is echoed (up to '='), never a value.
 */
static enum outcome
opt_error(const char *cmd, int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	int n = (int)strcspn(arg, "=");

	if (c == ':')
		return usage_error(cmd, "option '%.*s' needs a value", n, arg);
	if (optopt != 0 && optopt < 256 && strncmp(arg, "--", 2) != 0)
		return usage_error(cmd, "unknown option '-%c'", optopt);
	return usage_error(cmd, "unknown option '%.*s'", n, arg);
}

/*
 * parse_num: a decimal integer in [min, max]: strtoll with errno and end
 * pointer checks; no sign, blanks or trailing text.  -1 when invalid.
 */
static int
parse_num(const char *s, long long min, long long max, long long *ret)
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

static int
alg_is_rsa(pjwt_alg a)
{
	return (a >= PJWT_ALG_RS256 && a <= PJWT_ALG_RS512) ||
	    (a >= PJWT_ALG_PS256 && a <= PJWT_ALG_PS512);
}

static int
alg_is_hmac(pjwt_alg a)
{
	return a >= PJWT_ALG_HS256 && a <= PJWT_ALG_HS512;
}

/* parse_alg: one exact JOSE name for --alg. */
static enum outcome
parse_alg(const char *cmd, const char *s, pjwt_alg *ret)
{
	pjwt_alg a = pjwt_alg_from_name(s);

	if (a == PJWT_ALG_UNKNOWN) {
		if (strcasecmp(s, "none") == 0)
			return usage_error(cmd, "--alg none is never supported");
		return usage_error(cmd, "unknown --alg '%s' (one of: %s)", s,
		    ALGS_TEXT);
	}
	*ret = a;
	return OUT_OK;
}

/* file_error: why a key or JWKS file could not be read.  err: saved errno. */
static enum outcome
file_error(const char *cmd, const char *path, pjwt_err r, int err)
{
	switch (r) {
	case PJWT_E_IO:
		errmsg("%s: cannot read '%s': %s", cmd, path, strerror(err));
		break;
	case PJWT_E_FILE_NOT_REGULAR:
		errmsg("%s: '%s' is not a regular file (symbolic links are "
		    "refused)", cmd, path);
		break;
	case PJWT_E_FILE_MODE:
		errmsg("%s: '%s' is writable by group or others; refusing it "
		    "(chmod go-w)", cmd, path);
		break;
	case PJWT_E_TOO_LARGE:
		errmsg("%s: '%s' is larger than 1 MiB", cmd, path);
		break;
	case PJWT_E_NOMEM:
		errmsg("%s: out of memory reading '%s'", cmd, path);
		return OUT_FAILURE;
	default:
		errmsg("%s: cannot read '%s' (%s)", cmd, path, pjwt_strerror(r));
		break;
	}
	return OUT_CONFIG;
}

/* key_error: why the contents of a key or JWKS file are unusable. */
static enum outcome
key_error(const char *cmd, const char *path, pjwt_err r, pjwt_alg alg)
{
	const char *why;

	switch (r) {
	case PJWT_E_NOMEM:
	case PJWT_E_INTERNAL:
		errmsg("%s: %s while loading '%s'", cmd, pjwt_strerror(r), path);
		return OUT_FAILURE;
	case PJWT_E_ALG_MISMATCH:
		if (alg != PJWT_ALG_UNKNOWN) {
			errmsg("%s: '%s': the key does not fit --alg %s "
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
		why = "key too weak: RSA needs 2048 bits or more, an HMAC "
		    "secret at least the digest length";
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
	errmsg("%s: '%s': %s (%s)", cmd, path, why, pjwt_strerror(r));
	return OUT_CONFIG;
}

/* load_key: read a key file (any owner, at most 1 MiB), bind it to alg
 * (PJWT_ALG_UNKNOWN: the file's "alg" or its type's default). */
static enum outcome
load_key(const char *cmd, const char *path, pjwt_alg alg, pjwt_key **ret_key)
{
	char *buf = NULL;
	size_t len = 0;
	pjwt_err r;

	if ((r = pjwt_file_read(path, (uid_t)-1, KEY_FILE_MAX, &buf, &len)) !=
	    PJWT_OK)
		return file_error(cmd, path, r, errno);
	r = pjwt_key_load(buf, len, alg, ret_key);
	pjwt_secret_free(buf, len + 1);
	return r == PJWT_OK ? OUT_OK : key_error(cmd, path, r, alg);
}

/*
 * read_token: a heap copy of the token: arg, or stdin when arg is NULL or
 * "-".  Stdin is read to EOF, bounded by TOKEN_INPUT_MAX, and trailing
 * whitespace is stripped (stdin only).  The buffer is NUL-terminated;
 * wipe it with pjwt_secret_free(*ret_buf, *ret_cap).
 * Errors: PJWT_E_TOO_LARGE, PJWT_E_IO (errno kept), PJWT_E_NOMEM.
 */
static pjwt_err
read_token(const char *arg, char **ret_buf, size_t *ret_len, size_t *ret_cap)
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

/* ---- keygen -------------------------------------------------------------- */

enum key_format { FMT_DEFAULT, FMT_PEM, FMT_JWK };

/*
 * write_key_file: data to path, mode 0600, atomically.  Without force an
 * existing path is refused: the name is first claimed with O_CREAT|O_EXCL,
 * so two runs cannot both believe they created it, then the atomic rename
 * replaces the empty placeholder.
 */
static enum outcome
write_key_file(const char *path, const char *data, size_t len, int force)
{
	int fd, err;
	pjwt_err r;

	if (!force) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd < 0) {
			if (errno == EEXIST) {
				errmsg("keygen: '%s' exists; refusing to "
				    "overwrite it (use --force)", path);
				return OUT_CONFIG;
			}
			errmsg("keygen: cannot create '%s': %s", path,
			    strerror(errno));
			return OUT_CONFIG;
		}
		close(fd);
	}
	if ((r = pjwt_file_write_atomic(path, data, len, 0600)) != PJWT_OK) {
		err = errno;
		if (!force)
			(void)unlink(path);
		if (r == PJWT_E_IO)
			errmsg("keygen: cannot write '%s': %s", path,
			    strerror(err));
		else
			errmsg("keygen: cannot write '%s' (%s)", path,
			    pjwt_strerror(r));
		return r == PJWT_E_NOMEM ? OUT_FAILURE : OUT_CONFIG;
	}
	return OUT_OK;
}

static enum outcome
cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "alg", required_argument, NULL, 'a' },
		{ "bits", required_argument, NULL, 'b' },
		{ "kid", required_argument, NULL, 'k' },
		{ "format", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "keygen", *kid = NULL, *out = NULL;
	pjwt_alg alg = PJWT_ALG_EDDSA;
	enum key_format fmt = FMT_DEFAULT;
	long long bits = 0;
	int c, force = 0, have_bits = 0;
	pjwt_key *k = NULL;
	char *text = NULL, *data = NULL;
	size_t len = 0;
	enum outcome o;
	pjwt_err r;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if ((o = parse_alg(cmd, optarg, &alg)) != OUT_OK)
				return o;
			break;
		case 'b':
			if (parse_num(optarg, 2048, 16384, &bits) != 0)
				return usage_error(cmd, "--bits must be a "
				    "number from 2048 to 16384");
			have_bits = 1;
			break;
		case 'k':
			kid = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "pem") == 0)
				fmt = FMT_PEM;
			else if (strcmp(optarg, "jwk") == 0)
				fmt = FMT_JWK;
			else
				return usage_error(cmd, "--format must be "
				    "pem or jwk");
			break;
		case 'o':
			out = optarg;
			break;
		case 'F':
			force = 1;
			break;
		case 'h':
			return out_str(help_keygen) == 0 ? OUT_OK : OUT_FAILURE;
		default:
			return opt_error(cmd, c, argv);
		}
	}
	if (optind < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (out == NULL || *out == '\0')
		return usage_error(cmd, "--out FILE is required");
	if (have_bits && !alg_is_rsa(alg))
		return usage_error(cmd, "--bits applies only to RS* and PS* keys");
	if (alg_is_hmac(alg) && fmt == FMT_PEM)
		return usage_error(cmd, "an HMAC secret cannot be stored as PEM; "
		    "%s keys are written as a JWK", pjwt_alg_name(alg));
	if (fmt == FMT_DEFAULT)
		fmt = alg_is_hmac(alg) ? FMT_JWK : FMT_PEM;
	if (kid != NULL && fmt == FMT_PEM)
		return usage_error(cmd, "a PEM file cannot record a kid; add "
		    "--format jwk to keep --kid");

	if ((r = pjwt_key_generate(alg, (unsigned)bits, &k)) != PJWT_OK) {
		errmsg("%s: cannot generate a %s key (%s)", cmd,
		    pjwt_alg_name(alg), pjwt_strerror(r));
		return OUT_FAILURE;
	}
	if (kid != NULL && (r = pjwt_key_set_kid(k, kid)) != PJWT_OK) {
		o = r == PJWT_E_NOMEM ? OUT_FAILURE : usage_error(cmd, "--kid "
		    "must be 1 to 255 printable ASCII characters");
		goto out;
	}
	r = fmt == FMT_PEM ? pjwt_key_to_pem(k, 1, &text) :
	    pjwt_key_to_jwk(k, 1, &text);
	if (r != PJWT_OK) {
		errmsg("%s: cannot serialise the key (%s)", cmd,
		    pjwt_strerror(r));
		o = OUT_FAILURE;
		goto out;
	}
	/* The file ends with a newline: PEM has one; add it to the JWK. */
	len = strlen(text);
	if ((data = malloc(len + 2)) == NULL) {
		errmsg("out of memory");
		o = OUT_FAILURE;
		goto out;
	}
	memcpy(data, text, len);
	if (len == 0 || data[len - 1] != '\n')
		data[len++] = '\n';
	data[len] = '\0';
	if ((o = write_key_file(out, data, len, force)) != OUT_OK)
		goto out;
	if (fmt == FMT_PEM && (alg == PJWT_ALG_RS384 || alg == PJWT_ALG_RS512 ||
	    (alg >= PJWT_ALG_PS256 && alg <= PJWT_ALG_PS512)))
		errmsg("%s: note: a PEM file does not record the algorithm; "
		    "pass --alg %s when using '%s' (or use --format jwk)", cmd,
		    pjwt_alg_name(alg), out);
	if (out_str(pjwt_key_kid(k)) != 0 || out_write("\n", 1) != 0)
		o = OUT_FAILURE;
 out:
	pjwt_str_free(text);
	if (data != NULL)
		pjwt_secret_free(data, len + 1);
	pjwt_key_free(k);
	return o;
}

/* ---- jwks ---------------------------------------------------------------- */

static enum outcome
cmd_jwks(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "alg", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "jwks";
	pjwt_alg alg = PJWT_ALG_UNKNOWN;
	pjwt_keyset *ks = NULL;
	pjwt_key *k = NULL;
	char *text = NULL;
	json_t *j = NULL;
	enum outcome o;
	pjwt_err r;
	int c, i;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if ((o = parse_alg(cmd, optarg, &alg)) != OUT_OK)
				return o;
			break;
		case 'h':
			return out_str(help_jwks) == 0 ? OUT_OK : OUT_FAILURE;
		default:
			return opt_error(cmd, c, argv);
		}
	}
	if (optind >= argc)
		return usage_error(cmd, "no KEY file given");
	if (alg_is_hmac(alg))
		return usage_error(cmd, "HMAC keys have no public JWK");
	if ((ks = pjwt_keyset_new()) == NULL) {
		errmsg("out of memory");
		return OUT_FAILURE;
	}
	for (i = optind; i < argc; i++) {
		if ((o = load_key(cmd, argv[i], alg, &k)) != OUT_OK)
			goto out;
		if (pjwt_key_is_symmetric(k)) {
			errmsg("%s: '%s' is an HMAC secret: it has no public "
			    "form and must not be published", cmd, argv[i]);
			o = OUT_CONFIG;
			goto out;
		}
		if ((r = pjwt_keyset_add(ks, k)) != PJWT_OK) {
			if (r == PJWT_E_DUPLICATE_KID)
				errmsg("%s: '%s': kid '%s' is already used by "
				    "an earlier key (duplicate_kid)", cmd,
				    argv[i], pjwt_key_kid(k));
			else
				errmsg("%s: '%s': cannot add the key (%s)", cmd,
				    argv[i], pjwt_strerror(r));
			o = r == PJWT_E_NOMEM ? OUT_FAILURE : OUT_CONFIG;
			goto out;
		}
		k = NULL;
	}
	if ((r = pjwt_keyset_to_jwks(ks, &text)) != PJWT_OK) {
		errmsg("%s: cannot serialise the JWK Set (%s)", cmd,
		    pjwt_strerror(r));
		o = OUT_FAILURE;
		goto out;
	}
	/* Re-read our own compact output only to pretty-print it. */
	if ((j = json_loads(text, JSON_REJECT_DUPLICATES, NULL)) == NULL) {
		errmsg("%s: internal error: unreadable JWK Set", cmd);
		o = OUT_FAILURE;
		goto out;
	}
	o = out_json(j);
 out:
	json_decref(j);
	free(text);
	pjwt_key_free(k);
	pjwt_keyset_free(ks);
	return o;
}

/* ---- sign ---------------------------------------------------------------- */

/* random_jti: JTI_BYTES random bytes, base64url (22 characters). */
static pjwt_err
random_jti(char **ret)
{
	unsigned char b[JTI_BYTES];
	pjwt_err r;

	if (RAND_bytes(b, (int)sizeof(b)) != 1)
		return PJWT_E_INTERNAL;
	r = pjwt_b64url_encode(b, sizeof(b), ret, NULL);
	explicit_bzero(b, sizeof(b));
	return r;
}

/* set_claim: json_object_set_new that reports a failure (only ENOMEM). */
static int
set_claim(json_t *obj, const char *name, json_t *v)
{
	return v == NULL || json_object_set_new(obj, name, v) != 0 ? -1 : 0;
}

static enum outcome
cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "iss", required_argument, NULL, 'i' },
		{ "aud", required_argument, NULL, 'a' },
		{ "sub", required_argument, NULL, 's' },
		{ "ttl", required_argument, NULL, 't' },
		{ "scope", required_argument, NULL, 'S' },
		{ "typ", required_argument, NULL, 'T' },
		{ "alg", required_argument, NULL, 'A' },
		{ "claims", required_argument, NULL, 'c' },
		{ "jti", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "sign", *keyfile = NULL, *iss = NULL, *aud = NULL;
	const char *sub = NULL, *scope = NULL, *typ = "at+jwt", *jti = NULL;
	const char *extra_text = NULL, *name;
	pjwt_alg alg = PJWT_ALG_UNKNOWN;
	long long ttl = 300;
	json_t *claims = NULL, *extra = NULL, *v;
	json_error_t jerr;
	char *rnd = NULL, *token = NULL;
	pjwt_key *k = NULL;
	enum outcome o;
	int64_t now;
	pjwt_err r;
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': keyfile = optarg; break;
		case 'i': iss = optarg; break;
		case 'a': aud = optarg; break;
		case 's': sub = optarg; break;
		case 'S': scope = optarg; break;
		case 'T': typ = optarg; break;
		case 'c': extra_text = optarg; break;
		case 'j': jti = optarg; break;
		case 't':
			if (parse_num(optarg, 1, TTL_MAX, &ttl) != 0)
				return usage_error(cmd, "--ttl must be a number "
				    "of seconds from 1 to %lld", TTL_MAX);
			break;
		case 'A':
			if ((o = parse_alg(cmd, optarg, &alg)) != OUT_OK)
				return o;
			break;
		case 'h':
			return out_str(help_sign) == 0 ? OUT_OK : OUT_FAILURE;
		default:
			return opt_error(cmd, c, argv);
		}
	}
	if (optind < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (keyfile == NULL)
		return usage_error(cmd, "--key KEY is required");
	if (iss == NULL || aud == NULL || sub == NULL)
		return usage_error(cmd, "--iss, --aud and --sub are required");
	if (jti != NULL && *jti == '\0')
		return usage_error(cmd, "--jti must not be empty");
	if (extra_text != NULL) {
		/* Never echo the text: report only where it went wrong. */
		extra = json_loads(extra_text, JSON_REJECT_DUPLICATES, &jerr);
		if (extra == NULL)
			return usage_error(cmd, "--claims is not valid JSON "
			    "(line %d, column %d)", jerr.line, jerr.column);
		if (!json_is_object(extra)) {
			json_decref(extra);
			return usage_error(cmd, "--claims must be a JSON object");
		}
	}
	if ((o = load_key(cmd, keyfile, alg, &k)) != OUT_OK)
		goto out;
	if (!pjwt_key_is_private(k)) {
		errmsg("%s: '%s' holds a public key; signing needs the private "
		    "key", cmd, keyfile);
		o = OUT_CONFIG;
		goto out;
	}
	o = OUT_FAILURE;
	if (jti == NULL) {
		if ((r = random_jti(&rnd)) != PJWT_OK) {
			errmsg("%s: cannot make a random jti (%s)", cmd,
			    pjwt_strerror(r));
			goto out;
		}
		jti = rnd;
	}
	now = (int64_t)time(NULL);
	if ((claims = json_object()) == NULL ||
	    set_claim(claims, "iss", json_string(iss)) != 0 ||
	    set_claim(claims, "sub", json_string(sub)) != 0 ||
	    set_claim(claims, "aud", json_string(aud)) != 0 ||
	    set_claim(claims, "exp", json_integer((json_int_t)(now + ttl))) != 0 ||
	    set_claim(claims, "iat", json_integer((json_int_t)now)) != 0 ||
	    set_claim(claims, "jti", json_string(jti)) != 0 ||
	    (scope != NULL && *scope != '\0' &&
	    set_claim(claims, "scope", json_string(scope)) != 0)) {
		/* json_string also fails on invalid UTF-8. */
		errmsg("%s: cannot build the claims (out of memory, or an "
		    "option that is not UTF-8)", cmd);
		o = OUT_CONFIG;
		goto out;
	}
	if (extra != NULL) {
		json_object_foreach(extra, name, v) {
			if (json_is_null(v))
				(void)json_object_del(claims, name);
			else if (json_object_set(claims, name, v) != 0) {
				errmsg("out of memory");
				goto out;
			}
		}
	}
	if ((r = pjwt_sign(k, *typ != '\0' ? typ : NULL, claims, &token)) !=
	    PJWT_OK) {
		errmsg("%s: cannot sign (%s)", cmd, pjwt_strerror(r));
		goto out;
	}
	if (out_str(token) != 0 || out_write("\n", 1) != 0)
		goto out;
	o = OUT_OK;
 out:
	pjwt_str_free(token);
	free(rnd);
	json_decref(claims);
	json_decref(extra);
	pjwt_key_free(k);
	return o;
}

/* ---- verify -------------------------------------------------------------- */

/* Exactly one bit set: the single algorithm of a --alg list. */
static pjwt_alg
single_alg(unsigned mask)
{
	int a;

	if (mask == 0 || (mask & (mask - 1)) != 0)
		return PJWT_ALG_UNKNOWN;
	for (a = 1; a < PJWT_ALG_COUNT; a++)
		if (mask == PJWT_ALG_BIT(a))
			return (pjwt_alg)a;
	return PJWT_ALG_UNKNOWN;
}

/* load_keyset: --jwks FILE, or --key KEY as a set of one. */
static enum outcome
load_keyset(const char *cmd, const char *jwks, const char *keyfile,
    pjwt_alg alg, pjwt_keyset **ret_ks)
{
	pjwt_keyset *ks = NULL;
	pjwt_key *k = NULL;
	char *buf = NULL;
	size_t len = 0;
	enum outcome o;
	pjwt_err r;

	if (jwks != NULL) {
		if ((r = pjwt_file_read(jwks, (uid_t)-1, KEY_FILE_MAX, &buf,
		    &len)) != PJWT_OK)
			return file_error(cmd, jwks, r, errno);
		r = pjwt_keyset_from_jwks(buf, len, &ks);
		pjwt_secret_free(buf, len + 1);
		if (r != PJWT_OK)
			return key_error(cmd, jwks, r, PJWT_ALG_UNKNOWN);
		*ret_ks = ks;
		return OUT_OK;
	}
	if ((o = load_key(cmd, keyfile, alg, &k)) != OUT_OK)
		return o;
	if ((ks = pjwt_keyset_new()) == NULL ||
	    pjwt_keyset_add(ks, k) != PJWT_OK) {
		errmsg("out of memory");
		pjwt_keyset_free(ks);
		pjwt_key_free(k);
		return OUT_FAILURE;
	}
	*ret_ks = ks;
	return OUT_OK;
}

/* setting_error: a policy setter refused an option's value. */
static enum outcome
setting_error(const char *cmd, const char *opt, pjwt_err r)
{
	if (r == PJWT_E_NOMEM) {
		errmsg("out of memory");
		return OUT_FAILURE;
	}
	return usage_error(cmd, "%s: value refused (%s)", opt, pjwt_strerror(r));
}

static enum outcome
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "jwks", required_argument, NULL, 'J' },
		{ "key", required_argument, NULL, 'k' },
		{ "iss", required_argument, NULL, 'i' },
		{ "aud", required_argument, NULL, 'a' },
		{ "sub", required_argument, NULL, 's' },
		{ "scope", required_argument, NULL, 'S' },
		{ "leeway", required_argument, NULL, 'l' },
		{ "max-age", required_argument, NULL, 'm' },
		{ "typ", required_argument, NULL, 'T' },
		{ "alg", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "verify", *jwks = NULL, *keyfile = NULL, *iss = NULL;
	const char *aud = NULL, *sub = NULL, *scope = NULL, *typ = "at+jwt";
	const char *arg = NULL, *algs = NULL;
	long long leeway = 60, max_age = 0;
	unsigned mask = 0;
	pjwt_policy *p = NULL;
	pjwt_keyset *ks = NULL;
	pjwt_claims *claims = NULL;
	char *token = NULL;
	size_t len = 0, cap = 0;
	enum outcome o;
	pjwt_err r;
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'J': jwks = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'i': iss = optarg; break;
		case 'a': aud = optarg; break;
		case 's': sub = optarg; break;
		case 'S': scope = optarg; break;
		case 'T': typ = optarg; break;
		case 'A': algs = optarg; break;
		case 'l':
			if (parse_num(optarg, 0, LEEWAY_MAX, &leeway) != 0)
				return usage_error(cmd, "--leeway must be a number "
				    "of seconds from 0 to %lld", LEEWAY_MAX);
			break;
		case 'm':
			if (parse_num(optarg, 0, TTL_MAX, &max_age) != 0)
				return usage_error(cmd, "--max-age must be a "
				    "number of seconds from 0 to %lld", TTL_MAX);
			break;
		case 'h':
			return out_str(help_verify) == 0 ? OUT_OK : OUT_FAILURE;
		default:
			return opt_error(cmd, c, argv);
		}
	}
	if (argc - optind > 1)
		return usage_error(cmd, "more than one TOKEN given");
	if (optind < argc)
		arg = argv[optind];
	if ((jwks == NULL) == (keyfile == NULL))
		return usage_error(cmd, "give exactly one of --jwks FILE and "
		    "--key KEY");
	if (iss == NULL || aud == NULL)
		return usage_error(cmd, "--iss and --aud are required");
	if (*typ == '\0')
		return usage_error(cmd, "--typ must not be empty (use --typ any)");
	if (algs != NULL && (r = pjwt_alg_list_parse(algs, &mask)) != PJWT_OK)
		return usage_error(cmd, r == PJWT_E_ALG_NONE ?
		    "--alg none is never accepted" : r == PJWT_E_ALG_UNSUPPORTED ?
		    "--alg names an unknown algorithm (one of: " ALGS_TEXT ")" :
		    "--alg must be a comma-separated list without blanks or "
		    "repeats");

	if ((p = pjwt_policy_new()) == NULL) {
		errmsg("out of memory");
		return OUT_FAILURE;
	}
	if ((r = pjwt_policy_set_issuer(p, iss)) != PJWT_OK) {
		o = setting_error(cmd, "--iss", r);
		goto out;
	}
	if ((r = pjwt_policy_set_audience(p, aud)) != PJWT_OK) {
		o = setting_error(cmd, "--aud", r);
		goto out;
	}
	if ((r = pjwt_policy_set_leeway(p, (int64_t)leeway)) != PJWT_OK) {
		o = setting_error(cmd, "--leeway", r);
		goto out;
	}
	if ((r = pjwt_policy_set_max_age(p, (int64_t)max_age)) != PJWT_OK) {
		o = setting_error(cmd, "--max-age", r);
		goto out;
	}
	if ((r = pjwt_policy_set_typ(p, strcmp(typ, "any") == 0 ? NULL :
	    typ)) != PJWT_OK) {
		o = setting_error(cmd, "--typ", r);
		goto out;
	}
	if (scope != NULL && (r = pjwt_policy_set_scopes(p, scope)) != PJWT_OK) {
		o = setting_error(cmd, "--scope", r);
		goto out;
	}
	if (sub != NULL && (r = pjwt_policy_set_user(p, sub)) != PJWT_OK) {
		o = setting_error(cmd, "--sub", r);
		goto out;
	}
	if ((r = pjwt_policy_set_algorithms(p, mask)) != PJWT_OK) {
		o = setting_error(cmd, "--alg", r);
		goto out;
	}
	if ((r = pjwt_policy_set_now(p, (int64_t)time(NULL))) != PJWT_OK) {
		errmsg("%s: the system clock is unusable (%s)", cmd,
		    pjwt_strerror(r));
		o = OUT_FAILURE;
		goto out;
	}
	if ((o = load_keyset(cmd, jwks, keyfile, single_alg(mask), &ks)) !=
	    OUT_OK)
		goto out;

	if ((r = read_token(arg, &token, &len, &cap)) == PJWT_E_IO) {
		errmsg("%s: cannot read the token from stdin: %s", cmd,
		    strerror(errno));
		o = OUT_FAILURE;
		goto out;
	}
	/* An empty input is no token: say so rather than "invalid_argument". */
	if (r == PJWT_OK && len == 0)
		r = PJWT_E_MALFORMED;
	if (r == PJWT_OK)
		r = pjwt_verify(ks, token, len, p, &claims);
	if (r != PJWT_OK) {
		if (is_runtime_error(r)) {
			errmsg("%s: cannot verify (%s)", cmd, pjwt_strerror(r));
			o = OUT_FAILURE;
		} else {
			fprintf(stderr, "invalid: %s\n", pjwt_strerror(r));
			o = OUT_INVALID;
		}
		goto out;
	}
	o = out_json(pjwt_claims_json(claims));
 out:
	if (token != NULL)
		pjwt_secret_free(token, cap);
	pjwt_claims_free(claims);
	pjwt_keyset_free(ks);
	pjwt_policy_free(p);
	return o;
}

/* ---- inspect ------------------------------------------------------------- */

/* decode_segment: base64url JSON segment s[0..len) into *ret. */
static const char *
decode_segment(const char *s, size_t len, json_t **ret)
{
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	json_t *j;

	if (len == 0)
		return "empty";
	if (pjwt_b64url_decode(s, len, &raw, &rawlen) != PJWT_OK)
		return "not strict base64url";
	j = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES, NULL);
	pjwt_secret_free(raw, rawlen + 1);
	if (j == NULL)
		return "not JSON (or duplicate members)";
	*ret = j;
	return NULL;
}

static enum outcome
cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "inspect", *why = NULL, *d1, *d2;
	json_t *hdr = NULL, *payload = NULL, *doc = NULL;
	char *token = NULL;
	size_t len = 0, cap = 0;
	enum outcome o = OUT_INVALID;
	pjwt_err r;
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h')
			return out_str(help_inspect) == 0 ? OUT_OK : OUT_FAILURE;
		return opt_error(cmd, c, argv);
	}
	if (argc - optind > 1)
		return usage_error(cmd, "more than one TOKEN given");
	if ((r = read_token(optind < argc ? argv[optind] : NULL, &token, &len,
	    &cap)) != PJWT_OK) {
		if (r == PJWT_E_TOO_LARGE) {
			errmsg("%s: the input is larger than 64 KiB", cmd);
			return OUT_INVALID;
		}
		errmsg("%s: cannot read the token: %s", cmd, r == PJWT_E_IO ?
		    strerror(errno) : pjwt_strerror(r));
		return OUT_FAILURE;
	}
	fputs("jwtctl: UNVERIFIED: the signature and claims below were NOT "
	    "checked; use 'jwtctl verify'\n", stderr);
	d1 = memchr(token, '.', len);
	d2 = d1 != NULL ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) :
	    NULL;
	if (d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
		why = "not three dot-separated segments";
	else if ((why = decode_segment(token, (size_t)(d1 - token), &hdr)) !=
	    NULL)
		why = why[0] == 'e' ? "empty header" : "header is not base64url "
		    "JSON";
	else if ((why = decode_segment(d1 + 1, (size_t)(d2 - d1 - 1),
	    &payload)) != NULL)
		why = why[0] == 'e' ? "empty payload" : "payload is not "
		    "base64url JSON";
	if (why != NULL) {
		errmsg("%s: cannot decode the token: %s", cmd, why);
		goto out;
	}
	if ((doc = json_object()) == NULL ||
	    json_object_set_new(doc, "verified", json_false()) != 0 ||
	    json_object_set(doc, "header", hdr) != 0 ||
	    json_object_set(doc, "payload", payload) != 0) {
		errmsg("out of memory");
		o = OUT_FAILURE;
		goto out;
	}
	o = out_json(doc);
 out:
	json_decref(doc);
	json_decref(hdr);
	json_decref(payload);
	pjwt_secret_free(token, cap);
	return o;
}

/* ---- dispatch ------------------------------------------------------------ */

static const struct command {
	const char *name;
	enum outcome (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "keygen", cmd_keygen, help_keygen },
	{ "jwks", cmd_jwks, help_jwks },
	{ "sign", cmd_sign, help_sign },
	{ "verify", cmd_verify, help_verify },
	{ "inspect", cmd_inspect, help_inspect },
};

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static enum outcome
run(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		errmsg("no command given (see 'jwtctl --help')");
		return OUT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return out_str(help_main) == 0 ? OUT_OK : OUT_FAILURE;
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		return out_str("jwtctl (" PACKAGE_NAME ") " PACKAGE_VERSION
		    "\n") == 0 ? OUT_OK : OUT_FAILURE;
	if (strcmp(argv[1], "help") == 0) {
		if (argc == 2)
			return out_str(help_main) == 0 ? OUT_OK : OUT_FAILURE;
		if (argc > 3) {
			errmsg("help: give one command (see 'jwtctl --help')");
			return OUT_USAGE;
		}
		if ((c = find_command(argv[2])) == NULL) {
			errmsg("help: unknown command '%s' (see 'jwtctl "
			    "--help')", argv[2]);
			return OUT_USAGE;
		}
		return out_str(c->help) == 0 ? OUT_OK : OUT_FAILURE;
	}
	if ((c = find_command(argv[1])) == NULL) {
		errmsg("unknown command '%s' (see 'jwtctl --help')", argv[1]);
		return OUT_USAGE;
	}
	/* Each command parses its own options, with its name as argv[0]. */
	opterr = 0;
	optind = 1;
	return c->run(argc - 1, argv + 1);
}

int
main(int argc, char **argv)
{
	return exit_code(run(argc, argv));
}
