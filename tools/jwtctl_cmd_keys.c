/*
 * jwtctl_cmd_keys.c - jwtctl keygen and jwtctl jwks.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "pjwt_file.h"
#include "pjwt_key.h"
#include "pjwt_mem.h"
#include "jwtctl.h"

const char help_keygen[] =
	"Usage: jwtctl keygen [--alg ALG] [--bits N] [--kid KID] [--format pem|jwk]\n"
	"                     [--force] --out FILE\n"
	"\n"
	"Generate a private signing key, write it to FILE (mode 0600, atomically)\n"
	"and print its kid on stdout.  The public JWK Set is printed by 'jwtctl jwks'.\n"
	"\n"
	"  --alg ALG        the one algorithm the key is used with (default EdDSA):\n"
	"                   EdDSA ES256 ES384 ES512 RS256 RS384 RS512\n"
	"                   PS256 PS384 PS512 HS256 HS384 HS512\n"
	"  --bits N         RSA modulus size, 2048..16384 (default 3072); RS*, PS*\n"
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

const char help_jwks[] =
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
				ctl_err("keygen: '%s' exists; refusing to "
				    "overwrite it (use --force)", path);
				return OUT_CONFIG;
			}
			ctl_err("keygen: cannot create '%s': %s", path,
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
			ctl_err("keygen: cannot write '%s': %s", path,
			    strerror(err));
		else
			ctl_err("keygen: cannot write '%s' (%s)", path,
			    pjwt_strerror(r));
		return r == PJWT_E_NOMEM ? OUT_FAILURE : OUT_CONFIG;
	}
	return OUT_OK;
}

enum outcome
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
			if ((o = ctl_parse_alg(cmd, optarg, &alg)) != OUT_OK)
				return o;
			break;
		case 'b':
			if (ctl_parse_num(optarg, 2048, 16384, &bits) != 0)
				return ctl_usage(cmd, "--bits must be a "
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
				return ctl_usage(cmd, "--format must be "
				    "pem or jwk");
			break;
		case 'o':
			out = optarg;
			break;
		case 'F':
			force = 1;
			break;
		case 'h':
			return ctl_puts(help_keygen) == 0 ? OUT_OK : OUT_FAILURE;
		default:
			return ctl_opt_error(cmd, c, argv);
		}
	}
	if (optind < argc)
		return ctl_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (out == NULL || *out == '\0')
		return ctl_usage(cmd, "--out FILE is required");
	if (have_bits && !ctl_alg_is_rsa(alg))
		return ctl_usage(cmd, "--bits applies only to RS* and PS* keys");
	if (ctl_alg_is_hmac(alg) && fmt == FMT_PEM)
		return ctl_usage(cmd, "an HMAC secret cannot be stored as PEM; "
		    "%s keys are written as a JWK", pjwt_alg_name(alg));
	if (fmt == FMT_DEFAULT)
		fmt = ctl_alg_is_hmac(alg) ? FMT_JWK : FMT_PEM;
	if (kid != NULL && fmt == FMT_PEM)
		return ctl_usage(cmd, "a PEM file cannot record a kid; add "
		    "--format jwk to keep --kid");

	if ((r = pjwt_key_generate(alg, (unsigned)bits, &k)) != PJWT_OK) {
		ctl_err("%s: cannot generate a %s key (%s)", cmd,
		    pjwt_alg_name(alg), pjwt_strerror(r));
		return OUT_FAILURE;
	}
	if (kid != NULL && (r = pjwt_key_set_kid(k, kid)) != PJWT_OK) {
		o = r == PJWT_E_NOMEM ? OUT_FAILURE : ctl_usage(cmd, "--kid "
		    "must be 1 to 255 printable ASCII characters");
		goto out;
	}
	r = fmt == FMT_PEM ? pjwt_key_to_pem(k, 1, &text) :
	    pjwt_key_to_jwk(k, 1, &text);
	if (r != PJWT_OK) {
		ctl_err("%s: cannot serialise the key (%s)", cmd,
		    pjwt_strerror(r));
		o = OUT_FAILURE;
		goto out;
	}
	/* The file ends with a newline: PEM has one; add it to the JWK. */
	len = strlen(text);
	if ((data = malloc(len + 2)) == NULL) {
		ctl_err("out of memory");
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
		ctl_err("%s: note: a PEM file does not record the algorithm; "
		    "pass --alg %s when using '%s' (or use --format jwk)", cmd,
		    pjwt_alg_name(alg), out);
	if (ctl_puts(pjwt_key_kid(k)) != 0 || ctl_write("\n", 1) != 0)
		o = OUT_FAILURE;
 out:
	pjwt_str_free(text);
	if (data != NULL)
		pjwt_secret_free(data, len + 1);
	pjwt_key_free(k);
	return o;
}

/* ---- jwks ---------------------------------------------------------------- */

enum outcome
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
			if ((o = ctl_parse_alg(cmd, optarg, &alg)) != OUT_OK)
				return o;
			break;
		case 'h':
			return ctl_puts(help_jwks) == 0 ? OUT_OK : OUT_FAILURE;
		default:
			return ctl_opt_error(cmd, c, argv);
		}
	}
	if (optind >= argc)
		return ctl_usage(cmd, "no KEY file given");
	if (ctl_alg_is_hmac(alg))
		return ctl_usage(cmd, "HMAC keys have no public JWK");
	if ((ks = pjwt_keyset_new()) == NULL) {
		ctl_err("out of memory");
		return OUT_FAILURE;
	}
	for (i = optind; i < argc; i++) {
		if ((o = ctl_load_key(cmd, argv[i], alg, &k)) != OUT_OK)
			goto out;
		if (pjwt_key_is_symmetric(k)) {
			ctl_err("%s: '%s' is an HMAC secret: it has no public "
			    "form and must not be published", cmd, argv[i]);
			o = OUT_CONFIG;
			goto out;
		}
		if ((r = pjwt_keyset_add(ks, k)) != PJWT_OK) {
			if (r == PJWT_E_DUPLICATE_KID)
				ctl_err("%s: '%s': kid '%s' is already used by "
				    "an earlier key (duplicate_kid)", cmd,
				    argv[i], pjwt_key_kid(k));
			else
				ctl_err("%s: '%s': cannot add the key (%s)", cmd,
				    argv[i], pjwt_strerror(r));
			o = r == PJWT_E_NOMEM ? OUT_FAILURE : OUT_CONFIG;
			goto out;
		}
		k = NULL;
	}
	if ((r = pjwt_keyset_to_jwks(ks, &text)) != PJWT_OK) {
		ctl_err("%s: cannot serialise the JWK Set (%s)", cmd,
		    pjwt_strerror(r));
		o = OUT_FAILURE;
		goto out;
	}
	/* Re-read our own compact output only to pretty-print it. */
	if ((j = json_loads(text, JSON_REJECT_DUPLICATES, NULL)) == NULL) {
		ctl_err("%s: internal error: unreadable JWK Set", cmd);
		o = OUT_FAILURE;
		goto out;
	}
	o = ctl_json(j);
 out:
	json_decref(j);
	free(text);
	pjwt_key_free(k);
	pjwt_keyset_free(ks);
	return o;
}
