/*
 * jwtctl_cmd_verify.c - jwtctl verify: the same library and checks as
 * pam_jwt.so, at the current time.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pjwt_file.h"
#include "pjwt_jwt.h"
#include "pjwt_key.h"
#include "pjwt_mem.h"
#include "jwtctl.h"

const char help_verify[] =
	"Usage: jwtctl verify (--jwks FILE | --key KEY) --iss ISS --aud AUD [--sub SUB]\n"
	"                     [--scope SCOPES] [--leeway SECONDS] [--max-age SECONDS]\n"
	"                     [--typ TYP|any] [--alg LIST] [--allow-machine]\n"
	"                     [TOKEN | -]\n"
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
	"  --allow-machine  accept machine tokens (client_credentials, claim gty),\n"
	"                   refused by default (machine_token), as pam_jwt's\n"
	"                   allow_machine\n"
	"  -h, --help       show this help\n"
	EXIT_TEXT;

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
			return ctl_file_error(cmd, jwks, r, errno);
		r = pjwt_keyset_from_jwks(buf, len, &ks);
		pjwt_secret_free(buf, len + 1);
		if (r != PJWT_OK)
			return ctl_key_error(cmd, jwks, r, PJWT_ALG_UNKNOWN);
		*ret_ks = ks;
		return OUT_OK;
	}
	if ((o = ctl_load_key(cmd, keyfile, alg, &k)) != OUT_OK)
		return o;
	if ((ks = pjwt_keyset_new()) == NULL ||
	    pjwt_keyset_add(ks, k) != PJWT_OK) {
		ctl_err("out of memory");
		pjwt_keyset_free(ks);
		pjwt_key_free(k);
		return OUT_FAILURE;
	}
	*ret_ks = ks;
	return OUT_OK;
}

/*
 * The flags of jwtctl verify that are policy options, and the name
 * pjwt_policy_set (shared with pam_jwt's module arguments) knows them by:
 * one parser, one set of bounds and error texts for both.
 */
static const struct {
	int opt;                  /* getopt_long value */
	const char *flag;         /* for messages */
	const char *name;         /* pjwt_policy_set name */
} policy_flags[] = {
	{ 'i', "--iss", "issuer" },
	{ 'a', "--aud", "audience" },
	{ 's', "--sub", "user" },
	{ 'S', "--scope", "scope" },
	{ 'l', "--leeway", "leeway" },
	{ 'm', "--max-age", "max_age" },
	{ 'T', "--typ", "typ" },
	{ 'A', "--alg", "algorithms" },
	{ 'M', "--allow-machine", "allow_machine" },
};
#define N_POLICY_FLAGS (sizeof(policy_flags) / sizeof(policy_flags[0]))

/* Index of getopt value c in policy_flags, or -1. */
static int
policy_flag(int c)
{
	size_t i;

	for (i = 0; i < N_POLICY_FLAGS; i++)
		if (policy_flags[i].opt == c)
			return (int)i;
	return -1;
}

/*
 * apply_policy: the policy flags given (value[i] for policy_flags[i]; set[i]
 * when given) through pjwt_policy_set.  Usage error naming the flag.
 */
static enum outcome
apply_policy(const char *cmd, pjwt_policy *p, const char *const *value,
    const int *set)
{
	const char *why = NULL;
	size_t i;
	pjwt_err r;

	for (i = 0; i < N_POLICY_FLAGS; i++) {
		if (!set[i])
			continue;
		r = pjwt_policy_set(p, policy_flags[i].name, value[i], &why);
		if (r == PJWT_E_NOMEM) {
			ctl_err("out of memory");
			return OUT_FAILURE;
		}
		if (r != PJWT_OK && policy_flags[i].opt == 'A')
			return ctl_usage(cmd, "%s: %s (one of: " ALGS_TEXT ")",
			    policy_flags[i].flag, why);
		if (r != PJWT_OK)
			return ctl_usage(cmd, "%s: %s", policy_flags[i].flag,
			    why);
	}
	return OUT_OK;
}

enum outcome
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
		{ "allow-machine", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "verify", *jwks = NULL, *keyfile = NULL;
	const char *arg = NULL;
	const char *value[N_POLICY_FLAGS] = { NULL };
	int set[N_POLICY_FLAGS] = { 0 };
	unsigned mask = 0;
	pjwt_policy *p = NULL;
	pjwt_keyset *ks = NULL;
	pjwt_claims *claims = NULL;
	char *token = NULL;
	size_t len = 0, cap = 0;
	enum outcome o;
	pjwt_err r;
	int c, f;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if ((f = policy_flag(c)) >= 0) {
			value[f] = c == 'M' ? NULL : optarg;
			set[f] = 1;
			continue;
		}
		switch (c) {
		case 'J': jwks = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'h':
			return ctl_puts(help_verify) == 0 ? OUT_OK : OUT_FAILURE;
		default:
			return ctl_opt_error(cmd, c, argv);
		}
	}
	if (argc - optind > 1)
		return ctl_usage(cmd, "more than one TOKEN given");
	if (optind < argc)
		arg = argv[optind];
	if ((jwks == NULL) == (keyfile == NULL))
		return ctl_usage(cmd, "give exactly one of --jwks FILE and "
		    "--key KEY");
	if (!set[policy_flag('i')] || !set[policy_flag('a')])
		return ctl_usage(cmd, "--iss and --aud are required");

	if ((p = pjwt_policy_new()) == NULL) {
		ctl_err("out of memory");
		return OUT_FAILURE;
	}
	if ((o = apply_policy(cmd, p, value, set)) != OUT_OK)
		goto out;
	/* Checked by pjwt_policy_set above; the mask also binds --key. */
	f = policy_flag('A');
	if (set[f] && pjwt_alg_list_parse(value[f], &mask) != PJWT_OK)
		mask = 0;
	if ((r = pjwt_policy_set_now(p, (int64_t)time(NULL))) != PJWT_OK) {
		ctl_err("%s: the system clock is unusable (%s)", cmd,
		    pjwt_strerror(r));
		o = OUT_FAILURE;
		goto out;
	}
	if ((o = load_keyset(cmd, jwks, keyfile, single_alg(mask), &ks)) !=
	    OUT_OK)
		goto out;

	if ((r = ctl_read_token(arg, &token, &len, &cap)) == PJWT_E_IO) {
		ctl_err("%s: cannot read the token from stdin: %s", cmd,
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
			ctl_err("%s: cannot verify (%s)", cmd, pjwt_strerror(r));
			o = OUT_FAILURE;
		} else {
			fprintf(stderr, "invalid: %s\n", pjwt_strerror(r));
			o = OUT_INVALID;
		}
		goto out;
	}
	o = ctl_json(pjwt_claims_json(claims));
 out:
	if (token != NULL)
		pjwt_secret_free(token, cap);
	pjwt_claims_free(claims);
	pjwt_keyset_free(ks);
	pjwt_policy_free(p);
	return o;
}
