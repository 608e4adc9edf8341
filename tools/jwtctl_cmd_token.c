/*
 * jwtctl_cmd_token.c - jwtctl sign and jwtctl inspect.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "pjwt_b64.h"
#include "pjwt_jwt.h"
#include "pjwt_key.h"
#include "pjwt_mem.h"
#include "jwtctl.h"

const char help_sign[] =
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

const char help_inspect[] =
	"Usage: jwtctl inspect [TOKEN | -]\n"
	"\n"
	"Decode TOKEN (or stdin when '-' or absent) and print its header and payload\n"
	"as JSON with \"verified\": false.  NOTHING is checked: not the signature, not\n"
	"a claim.  A banner on stderr says so.  Exit 1 when the token cannot be\n"
	"decoded (not three base64url segments of JSON).\n"
	"\n"
	"  -h, --help       show this help\n"
	EXIT_TEXT;

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

enum outcome
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
			if (ctl_parse_num(optarg, 1, TTL_MAX, &ttl) != 0)
				return ctl_usage(cmd, "--ttl must be a number "
				    "of seconds from 1 to %lld", TTL_MAX);
			break;
		case 'A':
			if ((o = ctl_parse_alg(cmd, optarg, &alg)) != OUT_OK)
				return o;
			break;
		case 'h':
			return ctl_puts(help_sign) == 0 ? OUT_OK : OUT_FAILURE;
		default:
			return ctl_opt_error(cmd, c, argv);
		}
	}
	if (optind < argc)
		return ctl_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (keyfile == NULL)
		return ctl_usage(cmd, "--key KEY is required");
	if (iss == NULL || aud == NULL || sub == NULL)
		return ctl_usage(cmd, "--iss, --aud and --sub are required");
	if (jti != NULL && *jti == '\0')
		return ctl_usage(cmd, "--jti must not be empty");
	if (extra_text != NULL) {
		/* Never echo the text: report only where it went wrong. */
		extra = json_loads(extra_text, JSON_REJECT_DUPLICATES, &jerr);
		if (extra == NULL)
			return ctl_usage(cmd, "--claims is not valid JSON "
			    "(line %d, column %d)", jerr.line, jerr.column);
		if (!json_is_object(extra)) {
			json_decref(extra);
			return ctl_usage(cmd, "--claims must be a JSON object");
		}
	}
	if ((o = ctl_load_key(cmd, keyfile, alg, &k)) != OUT_OK)
		goto out;
	if (!pjwt_key_is_private(k)) {
		ctl_err("%s: '%s' holds a public key; signing needs the private "
		    "key", cmd, keyfile);
		o = OUT_CONFIG;
		goto out;
	}
	o = OUT_FAILURE;
	if (jti == NULL) {
		if ((r = random_jti(&rnd)) != PJWT_OK) {
			ctl_err("%s: cannot make a random jti (%s)", cmd,
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
		ctl_err("%s: cannot build the claims (out of memory, or an "
		    "option that is not UTF-8)", cmd);
		o = OUT_CONFIG;
		goto out;
	}
	if (extra != NULL) {
		json_object_foreach(extra, name, v) {
			if (json_is_null(v))
				(void)json_object_del(claims, name);
			else if (json_object_set(claims, name, v) != 0) {
				ctl_err("out of memory");
				goto out;
			}
		}
	}
	if ((r = pjwt_sign(k, *typ != '\0' ? typ : NULL, claims, &token)) !=
	    PJWT_OK) {
		ctl_err("%s: cannot sign (%s)", cmd, pjwt_strerror(r));
		goto out;
	}
	if (ctl_puts(token) != 0 || ctl_write("\n", 1) != 0)
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

/* ---- inspect ------------------------------------------------------------- */

/* decode_segment: one segment s[0..len) by pjwt_peek_segment, UNVERIFIED. */
static const char *
decode_segment(const char *s, size_t len, json_t **ret)
{
	if (len == 0)
		return "empty";
	if (pjwt_peek_segment(s, len, ret) != PJWT_OK)
		return "not strict base64url JSON";
	return NULL;
}

enum outcome
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
			return ctl_puts(help_inspect) == 0 ? OUT_OK : OUT_FAILURE;
		return ctl_opt_error(cmd, c, argv);
	}
	if (argc - optind > 1)
		return ctl_usage(cmd, "more than one TOKEN given");
	if ((r = ctl_read_token(optind < argc ? argv[optind] : NULL, &token, &len,
	    &cap)) != PJWT_OK) {
		if (r == PJWT_E_TOO_LARGE) {
			ctl_err("%s: the input is larger than 64 KiB", cmd);
			return OUT_INVALID;
		}
		ctl_err("%s: cannot read the token: %s", cmd, r == PJWT_E_IO ?
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
		ctl_err("%s: cannot decode the token: %s", cmd, why);
		goto out;
	}
	if ((doc = json_object()) == NULL ||
	    json_object_set_new(doc, "verified", json_false()) != 0 ||
	    json_object_set(doc, "header", hdr) != 0 ||
	    json_object_set(doc, "payload", payload) != 0) {
		ctl_err("out of memory");
		o = OUT_FAILURE;
		goto out;
	}
	o = ctl_json(doc);
 out:
	json_decref(doc);
	json_decref(hdr);
	json_decref(payload);
	pjwt_secret_free(token, cap);
	return o;
}
