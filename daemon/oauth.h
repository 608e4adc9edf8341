/*
 * oauth.h - the endpoint handlers (RFC 6749 token endpoint, RFC 7009
 * revocation, RFC 7662 introspection, RFC 8414 metadata, JWKS, health).
 */
#ifndef JI_OAUTH_H
#define JI_OAUTH_H

#include <stddef.h>
#include <sys/types.h>

#include "routes.h"

struct conf;
struct store;
struct pwauth;

/*
 * oauth_init: the long-lived services the handlers use (borrowed; they
 * outlive every request).  Call once before the HTTP server starts.
 */
void oauth_init(struct store *store, struct pwauth *pw);

/*
 * oauth_check_budget: sign a worst-case access token for every client of c
 * and log a warning when one can exceed 1023 characters (OpenSSH's and
 * sudo's password limit), a notice above 511 (misc_conv, pam_unix).
 * Returns the largest length found.
 */
size_t oauth_check_budget(const struct conf *c);

/*
 * oauth_check_client_ids: RFC 9068 section 5.  A client_credentials
 * client's machine tokens carry sub = its id; a client named like a user
 * (file backend: a name in the users file; pam backend: getpwnam_r, the
 * id and its lower-case form) is refused, names compared ignoring ASCII
 * case.  owner: the expected owner of the users file.  Call at start, for
 * -t and on SIGHUP before the new config is used.  0 ok; -1 with the
 * reason in err (also when the users file cannot be read or NSS fails).
 */
int oauth_check_client_ids(const struct conf *c, uid_t owner, char *err,
    size_t errlen);

/* Number of access tokens issued over 1023 characters since start. */
unsigned long oauth_over_budget_count(void);

/*
 * oauth_health_set: what /healthz reports besides "ok": detail (copied,
 * truncated to 255 bytes) makes it answer "status":"degraded" with that
 * detail, e.g. after a failed reload; NULL clears it.  Thread-safe.
 */
void oauth_health_set(const char *detail);

route_handler oauth_token;
route_handler oauth_revoke;
route_handler oauth_introspect;
route_handler oauth_jwks;
route_handler oauth_metadata;
route_handler oauth_healthz;
route_handler oauth_revoked;

#endif /* JI_OAUTH_H */
