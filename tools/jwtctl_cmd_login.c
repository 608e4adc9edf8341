/*
 * jwtctl_cmd_login.c - the user's commands: jwtctl login, token, ssh,
 * logout, and the askpass mode `jwtctl ssh` runs ssh with.
 *
 * login runs the password grant (RFC 6749 4.3) at the token endpoint found
 * in the issuer's RFC 8414 metadata and caches the token set (see
 * jwtctl_cache.c); token prints the cached access token, refreshing it
 * first (RFC 6749 6, with rotation: the new refresh token is stored before
 * anything is printed) when it expires within REFRESH_MARGIN seconds; ssh
 * runs ssh with itself as SSH_ASKPASS; logout revokes at the issuer
 * (RFC 7009) and deletes the cache file.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "pjwt_jwt.h"
#include "pjwt_mem.h"
#include "jwtctl_client.h"

#define ACCESS_TOKEN_MAX 16384
#define REFRESH_TOKEN_MAX 1024
#define EXPIRES_IN_MAX 315360000LL

const char help_login[] =
	"Usage: jwtctl login [--issuer URL] [--user NAME] [--client-id ID]\n"
	"                    [--scope SCOPES] [--password-stdin] [--cacert FILE]\n"
	"                    [--insecure-http]\n"
	"\n"
	"Log in at an issuer with your password (the OAuth password grant) and\n"
	"cache the access and refresh tokens in $XDG_CACHE_HOME/jwtctl/ (default\n"
	"~/.cache/jwtctl/; mode 0700, one 0600 file per issuer and user).  The\n"
	"token endpoint comes from the issuer's RFC 8414 metadata.  The password\n"
	"is asked on the terminal with echo off, or read as one line from stdin.\n"
	"\n"
	"  --issuer URL      the issuer (default: $JWTCTL_ISSUER, then issuer= in\n"
	"                    ~/.config/jwtctl/config)\n"
	"  --user NAME       the user name (default: $JWTCTL_USER, user=, then your\n"
	"                    login name)\n"
	"  --client-id ID    the OAuth client (default: client_id=, then ssh-cli)\n"
	"  --scope SCOPES    space-separated scopes to ask for (default: the\n"
	"                    client's default scope)\n"
	"  --password-stdin  read the password as one line from standard input\n"
	"  --cacert FILE     also trust the CA certificates in FILE (PEM) for\n"
	"                    https, besides the system store; remembered in the cache\n"
	"  --insecure-http   allow http:// to hosts that are not loopback (warns;\n"
	"                    the password travels in clear text)\n"
	"  -h, --help        show this help\n"
	EXIT_TEXT_CLIENT;

const char help_token[] =
	"Usage: jwtctl token [--issuer URL] [--user NAME] [--cacert FILE]\n"
	"                    [--insecure-http]\n"
	"\n"
	"Print a valid access token from the cache of 'jwtctl login'.  When it\n"
	"expires within 30 seconds it is refreshed first with the refresh token\n"
	"(the issuer rotates it; the new one is stored before the token is\n"
	"printed).  Safe to run concurrently (a file lock).  If the refresh is\n"
	"refused: exit 1, \"run jwtctl login\".  Without --issuer, JWTCTL_ISSUER\n"
	"or issuer= in ~/.config/jwtctl/config, the only cached login is used.\n"
	"\n"
	"  --issuer URL      the issuer\n"
	"  --user NAME       the user name\n"
	"  --cacert FILE     also trust this CA for this run (default: login's)\n"
	"  --insecure-http   allow http:// to a host that is not loopback\n"
	"  -h, --help        show this help\n"
	EXIT_TEXT_CLIENT;

const char help_ssh[] =
	"Usage: jwtctl ssh [--issuer URL] [--user NAME] [--] [SSH ARGUMENTS...]\n"
	"\n"
	"Run ssh so that its password or keyboard-interactive prompt is answered\n"
	"with a fresh access token: SSH_ASKPASS is jwtctl itself (askpass mode),\n"
	"SSH_ASKPASS_REQUIRE=force.  Nothing is typed; the token never appears on\n"
	"a command line.  jwtctl's options come first; everything from the first\n"
	"other argument (or after --) goes to ssh unchanged.  The remote login\n"
	"name must be the token's user (ssh -l NAME or NAME@HOST).  Host key and\n"
	"passphrase questions are not answered.  Before ssh starts, the cached\n"
	"login is checked (refreshed when needed): exit 1 \"run jwtctl login\"\n"
	"when there is none; afterwards the exit status is ssh's.\n"
	"\n"
	"  --issuer URL      the issuer (default as for token)\n"
	"  --user NAME       the user name of the cached login\n"
	"  -h, --help        show this help\n"
	EXIT_TEXT_CLIENT;

const char help_logout[] =
	"Usage: jwtctl logout [--issuer URL] [--user NAME] [--cacert FILE]\n"
	"                     [--insecure-http]\n"
	"\n"
	"Revoke the cached refresh token (and the access token) at the issuer\n"
	"(RFC 7009), then delete the cache file and its lock file.  The file is\n"
	"deleted even when the issuer cannot be reached (then the exit status\n"
	"says so).  Not logged in (also: no issuer given and nothing cached): a\n"
	"note on stderr, exit 0.\n"
	"\n"
	"  --issuer URL      the issuer (default as for token)\n"
	"  --user NAME       the user name\n"
	"  --cacert FILE     also trust this CA (default: login's)\n"
	"  --insecure-http   allow http:// to a host that is not loopback\n"
	"  -h, --help        show this help\n"
	EXIT_TEXT_CLIENT;

enum {
	OPT_ISSUER = 256, OPT_USER, OPT_CLIENT_ID, OPT_SCOPE, OPT_PW_STDIN,
	OPT_CACERT, OPT_INSECURE_HTTP,
};

/* The options login, token, ssh and logout share, parsed into s. */
struct opts {
	struct ctl_settings s;
	int password_stdin;
	int cacert_given;
	int insecure_given;
};

static void
opts_init(struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->s.insecure_http = -1;
}

static enum outcome
opts_set(const char *cmd, struct opts *o, int c, const char *v)
{
	char **dst = NULL;

	switch (c) {
	case OPT_ISSUER:
		dst = &o->s.issuer;
		break;
	case OPT_USER:
		dst = &o->s.user;
		o->s.user_given = 1;
		break;
	case OPT_CLIENT_ID:
		dst = &o->s.client_id;
		break;
	case OPT_SCOPE:
		dst = &o->s.scope;
		break;
	case OPT_CACERT:
		dst = &o->s.cacert;
		o->cacert_given = 1;
		break;
	case OPT_INSECURE_HTTP:
		o->s.insecure_http = 1;
		o->insecure_given = 1;
		return OUT_OK;
	case OPT_PW_STDIN:
		o->password_stdin = 1;
		return OUT_OK;
	default:
		return OUT_USAGE;
	}
	if (*v == '\0')
		return ctl_usage(cmd, "an option's value is empty");
	if (ctl_set_str(dst, v) != 0) {
		ctl_err("%s: out of memory", cmd);
		return OUT_FAILURE;
	}
	return OUT_OK;
}

/*
 * parse: getopt_long over argv with the command's options lo.  Returns 0 to
 * go on, 1 when the command is done (help printed, or an error): then *res
 * is its outcome.
 */
static int
parse(const char *cmd, int argc, char **argv, const struct option *lo,
    const char *help, struct opts *o, enum outcome *res)
{
	int c;

	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		if (c == 'h') {
			*res = ctl_puts(help) == 0 ? OUT_OK : OUT_FAILURE;
			return 1;
		}
		if (c == ':' || c == '?') {
			*res = ctl_opt_error(cmd, c, argv);
			return 1;
		}
		if ((*res = opts_set(cmd, o, c, optarg)) != OUT_OK)
			return 1;
	}
	if (optind < argc) {
		*res = ctl_usage(cmd, "unexpected argument '%s'", argv[optind]);
		return 1;
	}
	return 0;
}

/*
 * resolve: settings from env/config; with no issuer anywhere, the one
 * cached login.  After OUT_OK, s->issuer and s->user are set.
 */
static enum outcome
resolve(const char *cmd, struct opts *o, int need_issuer)
{
	int user_given;
	enum outcome r;

	if ((r = ctl_settings_load(cmd, &o->s)) != OUT_OK)
		return r;
	if (o->s.issuer != NULL)
		return OUT_OK;
	if (need_issuer) {
		ctl_err("%s: no issuer: give --issuer URL, set JWTCTL_ISSUER or "
		    "put issuer = URL in ~/.config/jwtctl/config", cmd);
		return OUT_USAGE;
	}
	user_given = o->s.user_given;
	{
		char *iss = NULL, *usr = NULL;

		r = ctl_cache_find(cmd, user_given ? o->s.user : NULL, &iss,
		    &usr);
		if (r != OUT_OK)
			return r;
		free(o->s.issuer);
		free(o->s.user);
		o->s.issuer = iss;
		o->s.user = usr;
	}
	return OUT_OK;
}

/* ---- token responses ----------------------------------------------------- */

/* A token as an issuer may send it: 1..max printable ASCII, no spaces. */
static int
token_ok(const char *t, size_t max)
{
	size_t n;

	if (t == NULL || (n = strlen(t)) == 0 || n > max)
		return 0;
	for (; *t != '\0'; t++)
		if (*t <= 0x20 || *t >= 0x7f)
			return 0;
	return 1;
}

/* The exp claim of a compact JWT, UNVERIFIED (pjwt_peek): a cache hint only. */
static int
jwt_exp(const char *tok, int64_t *ret)
{
	json_t *j = NULL, *e;
	int rc = -1;

	if (pjwt_peek(tok, strlen(tok), NULL, &j) != PJWT_OK)
		return -1;
	e = json_object_get(j, "exp");
	if (json_is_integer(e)) {
		*ret = json_integer_value(e);
		rc = 0;
	}
	json_decref(j);
	return rc;
}

/*
 * take_tokens: check a 200 token response and put its tokens into the
 * cache object c (refresh token: kept when the issuer sends none).
 */
static enum outcome
take_tokens(const char *cmd, const char *url, const struct ctl_resp *r,
    int64_t now, json_t *c)
{
	json_t *j = ctl_resp_json(r), *ei;
	const char *at, *rt, *tt, *scope;
	int64_t exp;
	enum outcome o = OUT_ISSUER;
	char u[200];

	ctl_printable(url, u, sizeof(u));
	if (j == NULL) {
		ctl_err("%s: %s: the token response is not a JSON object", cmd,
		    u);
		return OUT_ISSUER;
	}
	at = json_string_value(json_object_get(j, "access_token"));
	rt = json_string_value(json_object_get(j, "refresh_token"));
	tt = json_string_value(json_object_get(j, "token_type"));
	scope = json_string_value(json_object_get(j, "scope"));
	ei = json_object_get(j, "expires_in");
	if (!token_ok(at, ACCESS_TOKEN_MAX) ||
	    (json_object_get(j, "refresh_token") != NULL &&
	    !token_ok(rt, REFRESH_TOKEN_MAX))) {
		ctl_err("%s: %s: no usable token in the response", cmd, u);
		goto out;
	}
	if (tt == NULL || strcasecmp(tt, "Bearer") != 0) {
		ctl_err("%s: %s: token_type is not Bearer", cmd, u);
		goto out;
	}
	/* The JWT's exp in the same range as expires_in: later arithmetic
	 * (exp - now) must not overflow whatever the issuer sent. */
	if (json_is_integer(ei) && json_integer_value(ei) > 0 &&
	    json_integer_value(ei) <= EXPIRES_IN_MAX)
		exp = now + json_integer_value(ei);
	else if (ei == NULL && jwt_exp(at, &exp) == 0 && exp > 0 &&
	    exp - now <= EXPIRES_IN_MAX)
		;
	else {
		ctl_err("%s: %s: no usable expires_in in the response", cmd, u);
		goto out;
	}
	if (json_object_set_new(c, "access_token", json_string(at)) != 0 ||
	    json_object_set_new(c, "expires_at", json_integer(exp)) != 0 ||
	    (rt != NULL && json_object_set_new(c, "refresh_token",
	    json_string(rt)) != 0) ||
	    (scope != NULL && json_object_set_new(c, "scope",
	    json_string(scope)) != 0)) {
		ctl_err("%s: out of memory", cmd);
		o = OUT_FAILURE;
		goto out;
	}
	o = OUT_OK;
 out:
	json_decref(j);
	return o;
}

static const char *
cstr(const json_t *c, const char *k)
{
	return json_string_value(json_object_get(c, k));
}

/* The transport of a cached login, unless the command line overrides it. */
static void
transport_of(const struct opts *o, const json_t *c, struct ctl_transport *t)
{
	t->cacert = o->cacert_given ? o->s.cacert : cstr(c, "cacert");
	t->insecure_http = o->insecure_given ? 1 :
	    json_is_true(json_object_get(c, "insecure_http"));
}

/* ---- login --------------------------------------------------------------- */

enum outcome
cmd_login(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "issuer", required_argument, NULL, OPT_ISSUER },
		{ "user", required_argument, NULL, OPT_USER },
		{ "client-id", required_argument, NULL, OPT_CLIENT_ID },
		{ "scope", required_argument, NULL, OPT_SCOPE },
		{ "password-stdin", no_argument, NULL, OPT_PW_STDIN },
		{ "cacert", required_argument, NULL, OPT_CACERT },
		{ "insecure-http", no_argument, NULL, OPT_INSECURE_HTTP },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "login";
	struct opts o;
	struct ctl_transport t;
	struct ctl_meta m = { NULL, NULL, NULL };
	struct ctl_resp r = { 0, NULL, 0, 0 };
	struct ctl_form f = { NULL, 0, 0 };
	struct ctl_cache cache = { NULL, NULL, NULL, -1, 0 };
	char *pw = NULL, prompt[512], a[200];
	json_t *c = NULL;
	enum outcome res;
	int64_t now;

	opts_init(&o);
	if (parse(cmd, argc, argv, lo, help_login, &o, &res))
		goto out;
	if ((res = resolve(cmd, &o, 1)) != OUT_OK)
		goto out;
	t.cacert = o.s.cacert;
	t.insecure_http = o.s.insecure_http;
	if (t.cacert != NULL && access(t.cacert, R_OK) != 0) {
		ctl_err("%s: cannot read --cacert '%s': %s", cmd, t.cacert,
		    strerror(errno));
		res = OUT_CONFIG;
		goto out;
	}
	/* Everything that can fail without the password, first. */
	if ((res = ctl_cache_open(cmd, o.s.issuer, o.s.user, 1, &cache)) !=
	    OUT_OK || (res = ctl_discover(cmd, &t, o.s.issuer, &m)) != OUT_OK)
		goto out;
	snprintf(prompt, sizeof(prompt), "Password for %s at %s: ", o.s.user,
	    ctl_printable(o.s.issuer, a, sizeof(a)));
	if ((res = ctl_read_password(cmd, prompt, o.password_stdin, &pw)) !=
	    OUT_OK)
		goto out;
	if (ctl_form_add(&f, "grant_type", "password") != 0 ||
	    ctl_form_add(&f, "username", o.s.user) != 0 ||
	    ctl_form_add(&f, "password", pw) != 0 ||
	    ctl_form_add(&f, "client_id", o.s.client_id) != 0 ||
	    (o.s.scope != NULL && ctl_form_add(&f, "scope", o.s.scope) != 0)) {
		ctl_err("%s: out of memory", cmd);
		res = OUT_FAILURE;
		goto out;
	}
	pjwt_str_free(pw);
	pw = NULL;
	res = ctl_http_post_form(cmd, &t, m.token_endpoint, f.buf,
	    RESP_MAX_TOKEN, &r);
	ctl_form_clear(&f);
	if (res != OUT_OK)
		goto out;
	if (r.status != 200) {
		res = ctl_issuer_error(cmd, "the password", m.token_endpoint, &r);
		goto out;
	}
	now = (int64_t)time(NULL);
	c = json_object();
	if (c == NULL ||
	    json_object_set_new(c, "version", json_integer(1)) != 0 ||
	    json_object_set_new(c, "issuer", json_string(o.s.issuer)) != 0 ||
	    json_object_set_new(c, "user", json_string(o.s.user)) != 0 ||
	    json_object_set_new(c, "client_id", json_string(o.s.client_id)) != 0 ||
	    json_object_set_new(c, "token_endpoint",
	    json_string(m.token_endpoint)) != 0 ||
	    (m.revocation_endpoint != NULL && json_object_set_new(c,
	    "revocation_endpoint", json_string(m.revocation_endpoint)) != 0) ||
	    (t.cacert != NULL && json_object_set_new(c, "cacert",
	    json_string(t.cacert)) != 0) ||
	    json_object_set_new(c, "insecure_http",
	    json_boolean(t.insecure_http)) != 0 ||
	    json_object_set_new(c, "login_time", json_integer(now)) != 0) {
		ctl_err("%s: out of memory", cmd);
		res = OUT_FAILURE;
		goto out;
	}
	if ((res = take_tokens(cmd, m.token_endpoint, &r, now, c)) != OUT_OK ||
	    (res = ctl_cache_lock(cmd, &cache)) != OUT_OK ||
	    (res = ctl_cache_write(cmd, &cache, c)) != OUT_OK)
		goto out;
	snprintf(prompt, sizeof(prompt), "Logged in as %s at %s; the access "
	    "token is valid for %lld s.\n", o.s.user,
	    ctl_printable(o.s.issuer, a, sizeof(a)),
	    (long long)(json_integer_value(json_object_get(c, "expires_at")) -
	    now));
	res = ctl_puts(prompt) == 0 ? OUT_OK : OUT_FAILURE;
 out:
	pjwt_str_free(pw);
	ctl_form_clear(&f);
	ctl_resp_clear(&r);
	ctl_meta_clear(&m);
	json_decref(c);
	ctl_cache_close(&cache);
	ctl_settings_clear(&o.s);
	return res;
}

/* ---- token --------------------------------------------------------------- */

/*
 * get_token: a valid access token of the resolved login, refreshed (and
 * the cache rewritten) when it expires within REFRESH_MARGIN seconds.
 * *ret: wipe with pjwt_str_free.
 */
static enum outcome
get_token(const char *cmd, struct opts *o, char **ret)
{
	struct ctl_cache cache = { NULL, NULL, NULL, -1, 0 };
	struct ctl_resp r = { 0, NULL, 0, 0 };
	struct ctl_form f = { NULL, 0, 0 };
	struct ctl_transport t;
	const char *at, *rt, *ep;
	json_t *c = NULL;
	enum outcome res;
	int64_t now, exp;

	/* No lock file for a login that does not exist. */
	if ((res = ctl_cache_open(cmd, o->s.issuer, o->s.user, 0, &cache)) ==
	    OUT_OK && access(cache.path, F_OK) != 0 && errno == ENOENT) {
		cache.missing = 1;
		res = OUT_REFUSED;
	}
	if (res == OUT_OK)
		res = ctl_cache_lock(cmd, &cache);
	if (res == OUT_OK)
		res = ctl_cache_read(cmd, &cache, &c);
	if (res == OUT_REFUSED && cache.missing)
		ctl_err("%s: not logged in as %s at %s: run jwtctl login", cmd,
		    o->s.user, o->s.issuer);
	if (res != OUT_OK)
		goto out;
	at = cstr(c, "access_token");
	exp = json_integer_value(json_object_get(c, "expires_at"));
	now = (int64_t)time(NULL);
	if (cstr(c, "issuer") == NULL || strcmp(cstr(c, "issuer"),
	    o->s.issuer) != 0 || cstr(c, "user") == NULL ||
	    strcmp(cstr(c, "user"), o->s.user) != 0 || at == NULL) {
		ctl_err("%s: the cache file '%s' is damaged; run jwtctl login",
		    cmd, cache.path);
		res = OUT_REFUSED;
		goto out;
	}
	/* exp > now first: exp - now cannot overflow (the cache may hold
	 * anything). */
	if (exp > now && exp - now > REFRESH_MARGIN)
		goto print;
	rt = cstr(c, "refresh_token");
	ep = cstr(c, "token_endpoint");
	if (rt == NULL || ep == NULL) {
		ctl_err("%s: the access token %s and there is no refresh token: "
		    "run jwtctl login", cmd, exp <= now ? "has expired" :
		    "expires soon");
		res = OUT_REFUSED;
		goto out;
	}
	transport_of(o, c, &t);
	if (ctl_form_add(&f, "grant_type", "refresh_token") != 0 ||
	    ctl_form_add(&f, "refresh_token", rt) != 0 ||
	    ctl_form_add(&f, "client_id", cstr(c, "client_id") != NULL ?
	    cstr(c, "client_id") : DEFAULT_CLIENT_ID) != 0) {
		ctl_err("%s: out of memory", cmd);
		res = OUT_FAILURE;
		goto out;
	}
	res = ctl_http_post_form(cmd, &t, ep, f.buf, RESP_MAX_TOKEN, &r);
	ctl_form_clear(&f);
	if (res != OUT_OK)
		goto out;
	if (r.status != 200) {
		res = ctl_issuer_error(cmd, "the refresh token", ep, &r);
		if (res == OUT_REFUSED)
			ctl_err("%s: run jwtctl login", cmd);
		goto out;
	}
	/* Rotation: the new refresh token is on disk before we print. */
	if ((res = take_tokens(cmd, ep, &r, now, c)) != OUT_OK ||
	    (res = ctl_cache_write(cmd, &cache, c)) != OUT_OK)
		goto out;
	at = cstr(c, "access_token");
 print:
	if ((*ret = strdup(at)) == NULL) {
		ctl_err("%s: out of memory", cmd);
		res = OUT_FAILURE;
		goto out;
	}
	res = OUT_OK;
 out:
	ctl_form_clear(&f);
	ctl_resp_clear(&r);
	json_decref(c);
	ctl_cache_close(&cache);
	return res;
}

static const struct option token_opts[] = {
	{ "issuer", required_argument, NULL, OPT_ISSUER },
	{ "user", required_argument, NULL, OPT_USER },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "insecure-http", no_argument, NULL, OPT_INSECURE_HTTP },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static enum outcome
print_token(const char *tok)
{
	return ctl_puts(tok) == 0 && ctl_write("\n", 1) == 0 ? OUT_OK :
	    OUT_FAILURE;
}

enum outcome
cmd_token(int argc, char **argv)
{
	const char *cmd = "token";
	struct opts o;
	char *tok = NULL;
	enum outcome res;

	opts_init(&o);
	if (parse(cmd, argc, argv, token_opts, help_token, &o, &res))
		goto out;
	if ((res = resolve(cmd, &o, 0)) != OUT_OK ||
	    (res = get_token(cmd, &o, &tok)) != OUT_OK)
		goto out;
	res = print_token(tok);
 out:
	pjwt_str_free(tok);
	ctl_settings_clear(&o.s);
	return res;
}

/* ---- ssh and askpass ----------------------------------------------------- */

/*
 * Our options come first, in long form only; the first other argument
 * (or what follows "--") starts ssh's.  So `jwtctl ssh -p 2222 host` works.
 */
static int
parse_ssh(int argc, char **argv, struct opts *o, int *ret_first,
    enum outcome *res)
{
	static const struct { const char *name; int id; } known[] = {
		{ "--issuer", OPT_ISSUER }, { "--user", OPT_USER },
	};
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		size_t k, n = 0;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			*res = ctl_puts(help_ssh) == 0 ? OUT_OK : OUT_FAILURE;
			return 1;
		}
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
			n = strlen(known[k].name);
			if (strncmp(a, known[k].name, n) == 0 &&
			    (a[n] == '\0' || a[n] == '='))
				break;
		}
		if (k == sizeof(known) / sizeof(known[0]))
			break;
		if (a[n] == '=')
			v = a + n + 1;
		else if (i + 1 < argc)
			v = argv[++i];
		else {
			*res = ctl_usage("ssh", "option '%s' needs a value",
			    known[k].name);
			return 1;
		}
		if ((*res = opts_set("ssh", o, known[k].id, v)) != OUT_OK)
			return 1;
	}
	*ret_first = i;
	return 0;
}

enum outcome
cmd_ssh(int argc, char **argv)
{
	const char *cmd = "ssh";
	struct opts o;
	char self[PATH_MAX], *tok = NULL, **av = NULL;
	enum outcome res;
	ssize_t n;
	int first = 1, i;

	opts_init(&o);
	if (parse_ssh(argc, argv, &o, &first, &res))
		goto out;
	if ((res = resolve(cmd, &o, 0)) != OUT_OK)
		goto out;
	/* Fail here, with our exit status, rather than at ssh's prompt. */
	if ((res = get_token(cmd, &o, &tok)) != OUT_OK)
		goto out;
	pjwt_str_free(tok);
	tok = NULL;
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0 ||
	    (size_t)n >= sizeof(self) - 1) {
		ctl_err("%s: cannot find my own executable (/proc/self/exe): %s",
		    cmd, n < 0 ? strerror(errno) : "name too long");
		res = OUT_FAILURE;
		goto out;
	}
	self[n] = '\0';
	if ((av = calloc((size_t)(argc - first) + 2, sizeof(*av))) == NULL) {
		ctl_err("%s: out of memory", cmd);
		res = OUT_FAILURE;
		goto out;
	}
	av[0] = (char *)"ssh";
	for (i = first; i < argc; i++)
		av[i - first + 1] = argv[i];
	/* DISPLAY only matters to OpenSSH before 8.4 (no _REQUIRE). */
	if (setenv("SSH_ASKPASS", self, 1) != 0 ||
	    setenv("SSH_ASKPASS_REQUIRE", "force", 1) != 0 ||
	    setenv("DISPLAY", ":0", 0) != 0 ||
	    setenv("JWTCTL_ASKPASS", "1", 1) != 0 ||
	    setenv("JWTCTL_ISSUER", o.s.issuer, 1) != 0 ||
	    setenv("JWTCTL_USER", o.s.user, 1) != 0) {
		ctl_err("%s: cannot set the environment: %s", cmd,
		    strerror(errno));
		res = OUT_FAILURE;
		goto out;
	}
	fflush(NULL);
	execvp("ssh", av);
	ctl_err("%s: cannot run ssh: %s", cmd, strerror(errno));
	res = OUT_CONFIG;
 out:
	free(av);
	pjwt_str_free(tok);
	ctl_settings_clear(&o.s);
	return res;
}

/*
 * ssh asks one question per run of the askpass program: its argv[1].  A
 * token answers password and keyboard-interactive prompts only; host key
 * confirmations (SSH_ASKPASS_PROMPT=confirm), notifications (=none) and key
 * passphrases are not ours to answer.
 */
enum outcome
cmd_askpass(const char *prompt)
{
	const char *cmd = "askpass", *kind = getenv("SSH_ASKPASS_PROMPT");
	struct opts o;
	char *tok = NULL, shown[120];
	enum outcome res;

	if (kind != NULL && strcmp(kind, "none") == 0)
		return OUT_OK;
	if ((kind != NULL && strcmp(kind, "confirm") == 0) ||
	    strcasestr(prompt, "passphrase") != NULL ||
	    strcasestr(prompt, "yes/no") != NULL) {
		ctl_err("%s: not answering ssh's question \"%s\" (run plain ssh "
		    "once to answer it)", cmd, ctl_printable(prompt, shown,
		    sizeof(shown)));
		return OUT_REFUSED;
	}
	opts_init(&o);
	if ((res = resolve(cmd, &o, 0)) == OUT_OK &&
	    (res = get_token(cmd, &o, &tok)) == OUT_OK)
		res = print_token(tok);
	pjwt_str_free(tok);
	ctl_settings_clear(&o.s);
	return res;
}

/* ---- logout -------------------------------------------------------------- */

/* revoke: RFC 7009 for one token; OUT_OK on 200. */
static enum outcome
revoke_token(const char *cmd, const struct ctl_transport *t, const char *ep,
    const char *tok, const char *hint, const char *client_id)
{
	struct ctl_form f = { NULL, 0, 0 };
	struct ctl_resp r = { 0, NULL, 0, 0 };
	enum outcome res;

	if (ctl_form_add(&f, "token", tok) != 0 ||
	    ctl_form_add(&f, "token_type_hint", hint) != 0 ||
	    ctl_form_add(&f, "client_id", client_id) != 0) {
		ctl_form_clear(&f);
		ctl_err("%s: out of memory", cmd);
		return OUT_FAILURE;
	}
	res = ctl_http_post_form(cmd, t, ep, f.buf, RESP_MAX_TOKEN, &r);
	ctl_form_clear(&f);
	if (res == OUT_OK && r.status != 200) {
		res = ctl_issuer_error(cmd, strcmp(hint, "refresh_token") == 0 ?
		    "to revoke the refresh token" : "to revoke the access token",
		    ep, &r);
		if (res == OUT_REFUSED)
			res = OUT_ISSUER;
	}
	ctl_resp_clear(&r);
	return res;
}

enum outcome
cmd_logout(int argc, char **argv)
{
	const char *cmd = "logout";
	struct ctl_cache cache = { NULL, NULL, NULL, -1, 0 };
	struct ctl_transport t;
	struct opts o;
	const char *ep, *client;
	json_t *c = NULL;
	enum outcome res, rm;

	opts_init(&o);
	if (parse(cmd, argc, argv, token_opts, help_logout, &o, &res))
		goto out;
	if ((res = resolve(cmd, &o, 0)) != OUT_OK) {
		/* No issuer and no cached login: not logged in, which is not
		 * an error for logout (resolve printed the note). */
		if (res == OUT_REFUSED && o.s.issuer == NULL)
			res = OUT_OK;
		goto out;
	}
	res = ctl_cache_open(cmd, o.s.issuer, o.s.user, 0, &cache);
	if (res == OUT_OK && access(cache.path, F_OK) != 0 && errno == ENOENT) {
		cache.missing = 1;
		res = OUT_REFUSED;
	}
	if (res == OUT_OK && (res = ctl_cache_lock(cmd, &cache)) == OUT_OK)
		res = ctl_cache_read(cmd, &cache, &c);
	if (res == OUT_REFUSED) {
		/* Nothing cached, or a damaged file: nothing to revoke. */
		if (cache.missing)
			fprintf(stderr, "jwtctl: %s: not logged in as %s at %s\n",
			    cmd, o.s.user, o.s.issuer);
		res = cache.missing ? OUT_OK : ctl_cache_remove(cmd, &cache);
		goto out;
	}
	if (res != OUT_OK)
		goto out;
	transport_of(&o, c, &t);
	ep = cstr(c, "revocation_endpoint");
	client = cstr(c, "client_id") != NULL ? cstr(c, "client_id") :
	    DEFAULT_CLIENT_ID;
	if (ep == NULL) {
		ctl_err("%s: the issuer has no revocation endpoint; only the "
		    "local cache is deleted", cmd);
		res = OUT_ISSUER;
	} else {
		/* The refresh token first: it is the long-lived one. */
		if (cstr(c, "refresh_token") != NULL)
			res = revoke_token(cmd, &t, ep, cstr(c, "refresh_token"),
			    "refresh_token", client);
		if (res == OUT_OK && cstr(c, "access_token") != NULL &&
		    json_integer_value(json_object_get(c, "expires_at")) >
		    (int64_t)time(NULL))
			res = revoke_token(cmd, &t, ep, cstr(c, "access_token"),
			    "access_token", client);
		if (res != OUT_OK)
			ctl_err("%s: the cached tokens are deleted, but the "
			    "issuer may still accept them until they expire",
			    cmd);
	}
	/* Logging out locally never depends on the issuer. */
	rm = ctl_cache_remove(cmd, &cache);
	if (res == OUT_OK)
		res = rm;
 out:
	/* The cache file is gone: its lock file goes too, while we still hold
	 * the lock.  A jwtctl that waits on it meanwhile then finds no login
	 * (token: "run jwtctl login"); a login writes its file atomically
	 * either way, so nothing is served from a half-removed cache. */
	if (cache.lock_fd >= 0 && cache.path != NULL &&
	    access(cache.path, F_OK) != 0 && errno == ENOENT &&
	    unlink(cache.lock_path) != 0 && errno != ENOENT)
		ctl_err("%s: cannot delete '%s': %s", cmd, cache.lock_path,
		    strerror(errno));
	json_decref(c);
	ctl_cache_close(&cache);
	ctl_settings_clear(&o.s);
	return res;
}
