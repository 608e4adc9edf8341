/*
 * oauth.h - the endpoint handlers (RFC 6749 token endpoint, RFC 7009
 * revocation, RFC 7662 introspection, RFC 8414 metadata, JWKS, health).
 */
#ifndef JI_OAUTH_H
#define JI_OAUTH_H

#include <stddef.h>

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
