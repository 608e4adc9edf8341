/*
 * routes.c - the one route table, and response helpers.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "oauth.h"
#include "routes.h"

enum route_flags {
	ROUTE_FORM = 1,          /* body must be x-www-form-urlencoded */
};

static const struct route {
	const char *method;
	const char *path;
	route_handler *handler;
	unsigned flags;
} routes[] = {
	{ "POST", "/token", oauth_token, ROUTE_FORM },
	{ "POST", "/revoke", oauth_revoke, ROUTE_FORM },
	{ "POST", "/introspect", oauth_introspect, ROUTE_FORM },
	{ "GET", "/.well-known/jwks.json", oauth_jwks, 0 },
	{ "GET", "/.well-known/oauth-authorization-server", oauth_metadata, 0 },
	{ "GET", "/.well-known/openid-configuration", oauth_metadata, 0 },
	{ "GET", "/revoked", oauth_revoked, 0 },
	{ "GET", "/healthz", oauth_healthz, 0 },
};

static const char error_500[] =
    "{\"error\":\"server_error\",\"error_description\":\"out of memory\"}";

static void
resp_oom(struct response *resp)
{
	free(resp->body);
	resp->status = 500;
	resp->content_type = "application/json";
	/* http.c frees body: hand it a copy when we can, else nothing. */
	resp->body = strdup(error_500);
	resp->body_len = resp->body != NULL ? strlen(resp->body) : 0;
}

void
resp_json(struct response *resp, unsigned status, json_t *body)
{
	char *s = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	if (s == NULL) {
		resp_oom(resp);
		return;
	}
	free(resp->body);
	resp->status = status;
	resp->content_type = "application/json";
	resp->body = s;
	resp->body_len = strlen(s);
}

void
resp_text(struct response *resp, unsigned status, const char *ctype,
    const char *body)
{
	char *s = strdup(body);

	if (s == NULL) {
		resp_oom(resp);
		return;
	}
	free(resp->body);
	resp->status = status;
	resp->content_type = ctype;
	resp->body = s;
	resp->body_len = strlen(s);
}

void
resp_error(struct response *resp, unsigned status, const char *error,
    const char *description)
{
	json_t *o = json_object();

	if (o == NULL || json_object_set_new(o, "error", json_string(error)) != 0 ||
	    (description != NULL && json_object_set_new(o, "error_description",
	    json_string(description)) != 0)) {
		json_decref(o);
		resp_oom(resp);
		return;
	}
	resp_json(resp, status, o);
}

/* "application/x-www-form-urlencoded", any case, optional parameters. */
static int
is_form(const char *ctype)
{
	static const char want[] = "application/x-www-form-urlencoded";
	size_t n = sizeof(want) - 1;

	if (ctype == NULL || strncasecmp(ctype, want, n) != 0)
		return 0;
	ctype += n;
	while (*ctype == ' ' || *ctype == '\t')
		ctype++;
	return *ctype == '\0' || *ctype == ';';
}

void
routes_dispatch(const struct request *req, struct response *resp)
{
	const struct route *path_match = NULL;
	const char *method = req->method;

	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];

		if (strcmp(r->path, req->path) != 0)
			continue;
		path_match = r;
		if (strcmp(r->method, method) != 0)
			continue;
		if ((r->flags & ROUTE_FORM) && !is_form(req->content_type)) {
			resp_error(resp, 400, "invalid_request", "Content-Type "
			    "must be application/x-www-form-urlencoded");
			return;
		}
		r->handler(req, resp);
		return;
	}
	if (path_match != NULL) {
		resp->allow = strcmp(path_match->method, "GET") == 0 ?
		    "GET, HEAD" : path_match->method;
		resp_error(resp, 405, "method_not_allowed", NULL);
		return;
	}
	resp_error(resp, 404, "not_found", NULL);
}
