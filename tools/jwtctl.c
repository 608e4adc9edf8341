/*
 * jwtctl.c - the pam-jwt command line: keys, JWK Sets, tokens.  Dispatch,
 * the main help and the one mapping of outcomes to exit statuses.
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
 * The commands live in tools/jwtctl_cmd_*.c, shared helpers in jwtctl_util.c.
 */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "jwtctl.h"

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

int
main(int argc, char **argv)
{
	return exit_code(run(argc, argv));
}
