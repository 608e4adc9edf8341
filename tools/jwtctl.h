/*
 * jwtctl.h - shared between the jwtctl source files (tools/jwtctl*.c):
 * outcomes, output and error helpers, option parsing, key and token input.
 * Nothing here is part of libpjwt; names are ctl_* and cmd_*.
 */
#ifndef JWTCTL_H
#define JWTCTL_H

#include <stddef.h>

#include <jansson.h>

#include "pjwt_err.h"
#include "pjwt_key.h"

#define KEY_FILE_MAX ((size_t)1 << 20)      /* key and JWKS files: 1 MiB */
#define TOKEN_INPUT_MAX ((size_t)64 << 10)  /* a token argument or stdin */
#define TTL_MAX 315360000LL                 /* ten years */
#define JTI_BYTES 16

/* What happened, as the front end sees it; exit_code() maps it. */
enum outcome {
	OUT_OK,
	OUT_INVALID,    /* the token was rejected or cannot be decoded */
	OUT_USAGE,      /* bad command line */
	OUT_CONFIG,     /* unreadable or unusable key/JWKS file, output file */
	OUT_FAILURE,    /* out of memory, OpenSSL or I/O failure */
	OUT_REFUSED,    /* the issuer refused the password or refresh token,
	                 * or there is no cached login: "run jwtctl login" */
	OUT_NETWORK,    /* the issuer could not be reached (DNS, connect,
	                 * timeout) or its TLS certificate was not trusted */
	OUT_ISSUER,     /* the issuer answered, but with an error or a
	                 * malformed, unexpected or oversized response */
};

/* Exit statuses and the algorithm list, repeated in every help text. */
#define EXIT_TEXT \
	"\nExit status: 0 success; 1 token rejected (verify) or not decodable\n" \
	"(inspect); 2 usage, configuration (key, JWKS or output file) or system\n" \
	"error.  Errors are one line on stderr.\n"

/* The commands that talk to an issuer (login, token, ssh, logout, sync). */
#define EXIT_TEXT_CLIENT \
	"\nExit status: 0 success; 1 the issuer refused the password or the\n" \
	"refresh token, or there is no cached login (\"run jwtctl login\"); 2 usage,\n" \
	"configuration (cache, config or output file; an http:// URL that is not\n" \
	"loopback) or system error; 3 the issuer cannot be reached or its TLS\n" \
	"certificate is not trusted; 4 the issuer answered with an error or an\n" \
	"unusable response.  Errors are one line on stderr.\n"

#define ALGS_TEXT \
	"EdDSA ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 HS256 HS384 HS512"

/* ---- commands (tools/jwtctl_cmd_*.c): run with argv[0] = the command --- */

enum outcome cmd_keygen(int argc, char **argv);
enum outcome cmd_jwks(int argc, char **argv);
enum outcome cmd_sign(int argc, char **argv);
enum outcome cmd_verify(int argc, char **argv);
enum outcome cmd_inspect(int argc, char **argv);
/* tools/jwtctl_cmd_login.c, tools/jwtctl_cmd_sync.c (see jwtctl_client.h) */
enum outcome cmd_login(int argc, char **argv);
enum outcome cmd_token(int argc, char **argv);
enum outcome cmd_ssh(int argc, char **argv);
enum outcome cmd_logout(int argc, char **argv);
enum outcome cmd_sync(int argc, char **argv);
/* askpass mode: ssh runs jwtctl with JWTCTL_ASKPASS=1 and the prompt as
 * the one argument; it prints a fresh access token. */
enum outcome cmd_askpass(const char *prompt);
extern const char help_keygen[], help_jwks[], help_sign[], help_verify[],
    help_inspect[], help_login[], help_token[], help_ssh[], help_logout[],
    help_sync[];

/* ---- helpers (tools/jwtctl_util.c) -------------------------------------- */

/* ctl_err: one line "jwtctl: ..." on stderr. */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* ctl_write, ctl_puts: stdout through write(2); 0, or -1 after reporting. */
int ctl_write(const char *s, size_t len);
int ctl_puts(const char *s);
/* ctl_json: j pretty-printed and "\n" on stdout. */
enum outcome ctl_json(const json_t *j);
/* ctl_usage: "jwtctl: CMD: ... (see 'jwtctl CMD --help')"; OUT_USAGE. */
enum outcome ctl_usage(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* ctl_opt_error: getopt_long returned ':' or '?'. */
enum outcome ctl_opt_error(const char *cmd, int c, char **argv);
/* ctl_parse_num: a decimal integer in [min, max]; -1 when invalid. */
int ctl_parse_num(const char *s, long long min, long long max, long long *ret);
int ctl_alg_is_rsa(pjwt_alg a);
int ctl_alg_is_hmac(pjwt_alg a);
/* ctl_parse_alg: one exact JOSE name for --alg. */
enum outcome ctl_parse_alg(const char *cmd, const char *s, pjwt_alg *ret);
/* ctl_file_error, ctl_key_error: report why a key/JWKS file is unusable. */
enum outcome ctl_file_error(const char *cmd, const char *path, pjwt_err r,
    int err);
enum outcome ctl_key_error(const char *cmd, const char *path, pjwt_err r,
    pjwt_alg alg);
/* ctl_load_key: read a key file (PEM or JWK, any owner, <= 1 MiB). */
enum outcome ctl_load_key(const char *cmd, const char *path, pjwt_alg alg,
    pjwt_key **ret_key);
/* ctl_read_token: the token from arg or stdin (see jwtctl_util.c). */
pjwt_err ctl_read_token(const char *arg, char **ret_buf, size_t *ret_len,
    size_t *ret_cap);

#endif /* JWTCTL_H */
