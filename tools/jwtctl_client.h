/*
 * jwtctl_client.h - the parts of jwtctl that talk to an issuer: the HTTP
 * client (tools/jwtctl_http.c), the per-user token cache and settings
 * (tools/jwtctl_cache.c), used by login, token, ssh, logout
 * (tools/jwtctl_cmd_login.c) and sync (tools/jwtctl_cmd_sync.c).
 */
#ifndef JWTCTL_CLIENT_H
#define JWTCTL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "jwtctl.h"

#define RESP_MAX_TOKEN ((size_t)64 << 10)   /* token, metadata, revoke replies */
#define RESP_MAX_SYNC ((size_t)1 << 20)     /* JWKS and revoked list */
#define PASSWORD_MAX 1024                   /* bytes, without the newline */
#define REFRESH_MARGIN 30                   /* refresh when exp is this close */
#define DEFAULT_CLIENT_ID "ssh-cli"

/* ---- HTTP (tools/jwtctl_http.c) ----------------------------------------- */

/* How to reach one issuer. */
struct ctl_transport {
	const char *cacert;     /* PEM file of CA certificates trusted in
	                         * addition to the system store, or NULL */
	int insecure_http;      /* allow http:// to hosts that are not loopback */
};

/* A response: any HTTP status; the body NUL-terminated, at most max bytes. */
struct ctl_resp {
	long status;
	char *body;             /* wipe with ctl_resp_clear */
	size_t len;
	size_t cap;
};

/*
 * ctl_url_check: may we send a request to url at all?  https:// always;
 * http:// only to loopback (127.0.0.0/8, ::1, localhost) unless
 * insecure_http, which prints a warning once.  No user:password@ part, no
 * fragment.  Decided from the text alone, before any DNS lookup or
 * connection.  OUT_OK, or OUT_USAGE after one "jwtctl: CMD: ..." line.
 */
enum outcome ctl_url_check(const char *cmd, const char *url, int insecure_http);

/*
 * ctl_http_get, ctl_http_post_form: one request (ctl_url_check first, no
 * redirects, https verified, timeouts, body bounded by max).  form: an
 * application/x-www-form-urlencoded body, which may hold a secret: libcurl
 * sends it from our buffer, the caller wipes it.  OUT_OK with *ret set
 * whatever the HTTP status; OUT_NETWORK (cannot reach, TLS), OUT_ISSUER
 * (response over max, a redirect), OUT_USAGE (URL refused), OUT_FAILURE;
 * each after one line on stderr.
 */
enum outcome ctl_http_get(const char *cmd, const struct ctl_transport *t,
    const char *url, size_t max, struct ctl_resp *ret);
enum outcome ctl_http_post_form(const char *cmd, const struct ctl_transport *t,
    const char *url, const char *form, size_t max, struct ctl_resp *ret);
void ctl_resp_clear(struct ctl_resp *r);

/* An x-www-form-urlencoded body built piece by piece; wiped when it grows
 * and by ctl_form_clear.  ctl_form_add: 0, or -1 out of memory. */
struct ctl_form {
	char *buf;
	size_t len;
	size_t cap;
};
int ctl_form_add(struct ctl_form *f, const char *name, const char *value);
void ctl_form_clear(struct ctl_form *f);

/*
 * ctl_resp_json: the body as a JSON object (duplicates rejected).  NULL
 * when it is not one; the caller reports.  Free with json_decref.
 */
json_t *ctl_resp_json(const struct ctl_resp *r);

/*
 * ctl_issuer_error: report a response that is not the expected 200: an
 * RFC 6749 error object ("error", "error_description", printed sanitised)
 * or the bare status.  invalid_grant is OUT_REFUSED, anything else
 * OUT_ISSUER.  what: e.g. "the password grant".
 */
enum outcome ctl_issuer_error(const char *cmd, const char *what,
    const char *url, const struct ctl_resp *r);

/* ctl_printable: copy s into buf (size n) with anything but printable
 * ASCII replaced by '?', truncated: for text an issuer sent. */
const char *ctl_printable(const char *s, char *buf, size_t n);

/* RFC 8414 metadata, the members we use (all owned, free with ctl_meta_clear). */
struct ctl_meta {
	char *token_endpoint;
	char *revocation_endpoint;  /* may be NULL */
	char *jwks_uri;             /* may be NULL */
};

/*
 * ctl_discover: GET the issuer's RFC 8414 metadata (the well-known URI is
 * inserted between host and path), check that its "issuer" is exactly
 * issuer and that every endpoint passes ctl_url_check.
 */
enum outcome ctl_discover(const char *cmd, const struct ctl_transport *t,
    const char *issuer, struct ctl_meta *ret);
void ctl_meta_clear(struct ctl_meta *m);

/* ---- settings and token cache (tools/jwtctl_cache.c) -------------------- */

/*
 * What a login names, from the command line, then the environment
 * (JWTCTL_ISSUER, JWTCTL_USER), then ~/.config/jwtctl/config
 * ($XDG_CONFIG_HOME), then defaults.  Every string is owned.
 */
struct ctl_settings {
	char *issuer;
	char *user;
	char *client_id;
	char *scope;
	char *cacert;
	int insecure_http;          /* -1: not given */
	int user_given;             /* user came from an option, env or config */
};

/*
 * ctl_settings_load: fill the unset members of s from the environment and
 * the config file, then the defaults (client_id ssh-cli, user = the login
 * name).  OUT_CONFIG for a bad config file (FILE:LINE named).
 */
enum outcome ctl_settings_load(const char *cmd, struct ctl_settings *s);
void ctl_settings_clear(struct ctl_settings *s);
/* ctl_set_str: replace *dst with a copy of v; 0 or -1 (out of memory). */
int ctl_set_str(char **dst, const char *v);

/*
 * ctl_conf_parse: a "key = value" file (# comments, blank lines); for each
 * pair fn(key, value, arg) returns 0, or -1 for an unknown key or bad value
 * (then the file's name and line are reported).  The file must be a regular
 * file owned by the caller's uid, not group/other-writable, <= 64 KiB.
 * missing_ok: a file that does not exist is OUT_OK.
 */
typedef int ctl_conf_fn(const char *key, const char *value, void *arg);
enum outcome ctl_conf_parse(const char *cmd, const char *path, int missing_ok,
    ctl_conf_fn *fn, void *arg);

/* The cache of one issuer + user. */
struct ctl_cache {
	char *dir;                  /* $XDG_CACHE_HOME/jwtctl */
	char *path;                 /* DIR/HEX.json, HEX = SHA-256(issuer \n user) */
	char *lock_path;            /* DIR/HEX.lock */
	int lock_fd;                /* -1 when not locked */
	int missing;                /* open/read: no directory or no file */
};

/*
 * ctl_cache_open: compute the paths of issuer + user and check the
 * directory: it must be ours and not accessible to group or others (then
 * OUT_CONFIG).  create: make it (0700) when missing; else a missing
 * directory is OUT_REFUSED with ret->missing set and nothing printed (the
 * caller says "not logged in"); close ret in every case.
 */
enum outcome ctl_cache_open(const char *cmd, const char *issuer,
    const char *user, int create, struct ctl_cache *ret);
/* ctl_cache_lock: exclusive flock on the lock file (waits up to 60 s). */
enum outcome ctl_cache_lock(const char *cmd, struct ctl_cache *c);
/* ctl_cache_read: the cached token set.  OUT_REFUSED: no file (c->missing,
 * nothing printed) or a damaged one (reported: "run jwtctl login"). */
enum outcome ctl_cache_read(const char *cmd, struct ctl_cache *c,
    json_t **ret);
/* ctl_cache_write: atomically, mode 0600. */
enum outcome ctl_cache_write(const char *cmd, struct ctl_cache *c,
    const json_t *j);
/* ctl_cache_remove: unlink the token file (absent is fine). */
enum outcome ctl_cache_remove(const char *cmd, struct ctl_cache *c);
void ctl_cache_close(struct ctl_cache *c);

/*
 * ctl_cache_find: with no issuer configured, the one cached login (of
 * user, when user is not NULL).  OUT_REFUSED when there is none, OUT_USAGE
 * when there are several.  *ret_issuer and *ret_user are new strings.
 */
enum outcome ctl_cache_find(const char *cmd, const char *user,
    char **ret_issuer, char **ret_user);

/* ---- terminal (tools/jwtctl_cache.c) ------------------------------------ */

/*
 * ctl_read_password: prompt on /dev/tty with echo off (from_stdin == 0), or
 * one line from standard input.  *ret is a new NUL-terminated string (wipe
 * with pjwt_str_free).  Empty or over PASSWORD_MAX bytes: OUT_USAGE.
 */
enum outcome ctl_read_password(const char *cmd, const char *prompt,
    int from_stdin, char **ret);

#endif /* JWTCTL_CLIENT_H */
