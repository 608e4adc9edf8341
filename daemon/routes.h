/*
 * routes.h - the request and response of one HTTP exchange as the handlers
 * see them (no libmicrohttpd types here: http.c owns those), and the route
 * table.
 */
#ifndef JI_ROUTES_H
#define JI_ROUTES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct conf;

#define BODY_MAX (16u * 1024u)   /* larger request bodies get 413 */

struct request {
	const char *method;         /* "GET", "POST", ... (HEAD runs as GET) */
	const char *path;           /* without the query string */
	const char *content_type;   /* NULL when absent */
	const char *authorization;  /* NULL when absent */
	const char *body;           /* NUL-terminated; may contain NULs */
	size_t body_len;
	const char *peer;           /* client IP address, text (for logs) */
	const char *peer_unit;      /* the failure counters' key: IPv4
				     * address, or IPv6 /64 (see http.c) */
	struct conf *conf;          /* the snapshot this request runs with */
	int64_t now;                /* seconds since the epoch */
	/*
	 * 0 on an MHD event thread: a handler that would block (password or
	 * client-secret hashing) sets response.defer and returns; http.c then
	 * runs the same handler again on a worker thread with may_block = 1.
	 */
	int may_block;
};

struct response {
	unsigned status;
	char *body;                 /* malloc'd; wiped and freed by http.c */
	size_t body_len;
	const char *content_type;   /* static */
	const char *www_authenticate; /* static or NULL */
	const char *allow;          /* static or NULL (405) */
	const char *cache_control;  /* static; NULL = "no-store" */
	int defer;                  /* see request.may_block */
};

typedef void route_handler(const struct request *req, struct response *resp);

/*
 * routes_dispatch: find the route for req->method and req->path and run
 * its handler; 404 for an unknown path, 405 (with Allow) for a known path
 * and another method, 400 for a POST route without a form content type.
 * resp is zeroed by the caller.
 */
void routes_dispatch(const struct request *req, struct response *resp);

/* Response helpers (on allocation failure they fall back to a static 500). */
void resp_json(struct response *resp, unsigned status, json_t *body);  /* steals body */
void resp_text(struct response *resp, unsigned status, const char *ctype,
    const char *body);        /* copies body */
/* RFC 6749 5.2 error object {"error":..., "error_description":...}. */
void resp_error(struct response *resp, unsigned status, const char *error,
    const char *description);

#endif /* JI_ROUTES_H */
