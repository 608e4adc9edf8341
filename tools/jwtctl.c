/*
 * jwtctl.c - the pam-jwt command line: keys, JWK Sets, tokens.  Dispatch,
 * the main help and the one mapping of outcomes to exit statuses.
 *
 * A front end of libpjwt: it parses options, reads and writes files, prints,
 * and turns every outcome into an exit status in one place (exit_code):
 *
 *   0  success
 *   1  the token was rejected (verify: one line "invalid: REASON" on stderr)
 *      or cannot be decoded at all (inspect); the issuer refused the
 *      password or refresh token, or there is no cached login (login,
 *      token, ssh: "run jwtctl login"); passwd: the input was refused
 *   2  usage, configuration (key, JWKS, cache, config or output file; an
 *      http:// URL that is not loopback) or system error
 *   3  network: the issuer cannot be reached (DNS, connect, timeout) or its
 *      TLS certificate is not trusted
 *   4  the issuer answered with an error (other than invalid_grant) or a
 *      malformed, unexpected or oversized response (sync: an empty or
 *      unparsable JWKS, a malformed revoked list)
 *
 * jwtctl ssh execs ssh, whose exit status is then ssh's.  When run with
 * JWTCTL_ASKPASS=1 in the environment and exactly one argument that is not
 * a command (ssh's prompt), jwtctl is ssh's askpass program: it prints a
 * fresh access token (see jwtctl_cmd_login.c).
 *
 * Every error is one line "jwtctl: ..." on stderr.  Private keys, secrets and
 * tokens are never printed to stderr, and every buffer that held one is wiped.
 * The commands live in tools/jwtctl_cmd_*.c, shared helpers in jwtctl_util.c.
 */
#include "config.h"

#include <getopt.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jwtctl.h"
#include "passwd.h"

/* The one place outcomes become exit statuses (documented in every help). */
static int
exit_code(enum outcome o)
{
	switch (o) {
	case OUT_OK:
		return 0;
	case OUT_INVALID:
	case OUT_REFUSED:
		return 1;
	case OUT_USAGE:
	case OUT_CONFIG:
	case OUT_FAILURE:
		break;
	case OUT_NETWORK:
		return 3;
	case OUT_ISSUER:
		return 4;
	}
	return 2;
}

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
	"  passwd   set a password in jwt-issuerd's users file\n"
	"  login    log in at an issuer and cache the tokens\n"
	"  token    print a valid access token (refreshed when needed)\n"
	"  ssh      run ssh, answering its password prompt with a token\n"
	"  logout   revoke the cached tokens at the issuer and delete them\n"
	"  sync     fetch an issuer's JWKS and revoked list for pam_jwt\n"
	"  help     show the help of a command\n"
	"\n"
	"Options:\n"
	"  -h, --help     show this help\n"
	"  -V, --version  show the version\n"
	"\n"
	"'jwtctl help COMMAND' or 'jwtctl COMMAND --help' lists a command's options.\n"
	"\n"
	"Exit status: 0 success; 1 token rejected (verify) or not decodable\n"
	"(inspect), password or refresh token refused by the issuer, no cached\n"
	"login (\"run jwtctl login\"), or passwd input refused; 2 usage,\n"
	"configuration (key, JWKS, cache, config or output file; an http:// URL\n"
	"that is not loopback) or system error; 3 the issuer cannot be reached or\n"
	"its TLS certificate is not trusted; 4 the issuer answered with an error\n"
	"or an unusable response.  jwtctl ssh exits with ssh's status once ssh\n"
	"runs.  Errors are one line on stderr.\n";

/* passwd (tools/passwd.c) returns its exit status: 0, 1 refused, 2. */
static enum outcome
cmd_passwd(int argc, char **argv)
{
	switch (jwtctl_cmd_passwd(argc, argv)) {
	case 0:
		return OUT_OK;
	case 1:
		return OUT_INVALID;
	default:
		return OUT_FAILURE;
	}
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
	{ "passwd", cmd_passwd, NULL },      /* its own --help */
	{ "login", cmd_login, help_login },
	{ "token", cmd_token, help_token },
	{ "ssh", cmd_ssh, help_ssh },
	{ "logout", cmd_logout, help_logout },
	{ "sync", cmd_sync, help_sync },
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
		ctl_err("no command given (see 'jwtctl --help')");
		return OUT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return ctl_puts(help_main) == 0 ? OUT_OK : OUT_FAILURE;
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		return ctl_puts("jwtctl (" PACKAGE_NAME ") " PACKAGE_VERSION
		    "\n") == 0 ? OUT_OK : OUT_FAILURE;
	if (strcmp(argv[1], "help") == 0) {
		if (argc == 2)
			return ctl_puts(help_main) == 0 ? OUT_OK : OUT_FAILURE;
		if (argc > 3) {
			ctl_err("help: give one command (see 'jwtctl --help')");
			return OUT_USAGE;
		}
		if ((c = find_command(argv[2])) == NULL) {
			ctl_err("help: unknown command '%s' (see 'jwtctl "
			    "--help')", argv[2]);
			return OUT_USAGE;
		}
		if (c->help == NULL) {
			char *av[] = { (char *)c->name, (char *)"--help", NULL };

			opterr = 0;
			optind = 1;
			return c->run(2, av);
		}
		return ctl_puts(c->help) == 0 ? OUT_OK : OUT_FAILURE;
	}
	if ((c = find_command(argv[1])) == NULL) {
		ctl_err("unknown command '%s' (see 'jwtctl --help')", argv[1]);
		return OUT_USAGE;
	}
	/* Each command parses its own options, with its name as argv[0]. */
	opterr = 0;
	optind = 1;
	return c->run(argc - 1, argv + 1);
}

/*
 * jansson keeps copies of every token and password it parses or builds;
 * wipe each block before it goes back to the allocator.
 */
static void *
wipe_malloc(size_t n)
{
	return malloc(n);
}

static void
wipe_free(void *p)
{
	if (p != NULL) {
		explicit_bzero(p, malloc_usable_size(p));
		free(p);
	}
}

/* ssh's askpass calls: JWTCTL_ASKPASS=1 (set by jwtctl ssh), one argument
 * (the prompt) that is not one of our commands or options. */
static int
is_askpass(int argc, char **argv)
{
	const char *e = getenv("JWTCTL_ASKPASS");

	return e != NULL && strcmp(e, "1") == 0 && argc == 2 &&
	    find_command(argv[1]) == NULL && strcmp(argv[1], "help") != 0 &&
	    argv[1][0] != '-';
}

int
main(int argc, char **argv)
{
	json_set_alloc_funcs(wipe_malloc, wipe_free);
	if (is_askpass(argc, argv))
		return exit_code(cmd_askpass(argv[1]));
	return exit_code(run(argc, argv));
}
