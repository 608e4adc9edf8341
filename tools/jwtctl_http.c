/*
 * jwtctl_http.c - jwtctl's HTTP client (libcurl): the transport policy,
 * bounded requests, one-line network errors, RFC 8414 discovery and
 * RFC 6749 error responses.
 *
 * Policy, decided before anything is sent:
 *  - https:// is verified against the system CA store (libcurl's default
 *    bundle); --cacert FILE ADDS the certificates in FILE to that store
 *    (through CURLOPT_SSL_CTX_FUNCTION: CURLOPT_CAINFO would replace it).
 *  - http:// only to loopback: 127.0.0.0/8, ::1, localhost, judged from
 *    the URL's text (no DNS); the socket callback checks the address again
 *    before connecting, and proxies are never used for http://.
 *    --insecure-http lifts this, with a warning.
 *  - Only https and http, no redirects (a 3xx is an issuer error), a
 *    connect timeout of 10 s and a total of 30 s, bodies bounded.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "pjwt_mem.h"
#include "jwtctl_client.h"

#define CONNECT_TIMEOUT 10L
#define TOTAL_TIMEOUT 30L

/* ---- URL policy ---------------------------------------------------------- */

static int
is_loopback_host(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0 ||
	    strcasecmp(host, "localhost.") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	/* libcurl hands IPv6 hosts back in brackets. */
	if (n >= 2 && n < sizeof(buf) && host[0] == '[' && host[n - 1] == ']') {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		if (inet_pton(AF_INET6, buf, &a6) != 1)
			return 0;
		if (IN6_IS_ADDR_LOOPBACK(&a6))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
	}
	return 0;
}

/* The one warning per run for --insecure-http. */
static void
warn_insecure(const char *cmd, const char *host)
{
	static int warned;

	if (warned)
		return;
	warned = 1;
	fprintf(stderr, "jwtctl: %s: warning: --insecure-http: passwords and "
	    "tokens go to %s in clear text\n", cmd, host);
}

/* scheme_of: 1 https, 0 http (after ctl_url_check). */
static int
is_https(const char *url)
{
	return strncasecmp(url, "https://", 8) == 0;
}

enum outcome
ctl_url_check(const char *cmd, const char *url, int insecure_http)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *user = NULL, *frag = NULL;
	enum outcome o = OUT_USAGE;
	char shown[200];

	ctl_printable(url, shown, sizeof(shown));
	if ((u = curl_url()) == NULL) {
		ctl_err("%s: out of memory", cmd);
		return OUT_FAILURE;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		ctl_err("%s: '%s' is not a valid URL", cmd, shown);
		goto out;
	}
	if (strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "http") != 0) {
		ctl_err("%s: '%s': only https:// (or http:// to loopback) URLs "
		    "are supported", cmd, shown);
		goto out;
	}
	/* Credentials in a URL end up in logs and process lists. */
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		ctl_err("%s: '%s': a URL with user@ is refused", cmd, shown);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK) {
		ctl_err("%s: '%s': a URL with a #fragment is refused", cmd,
		    shown);
		goto out;
	}
	if (strcasecmp(scheme, "http") == 0 && !is_loopback_host(host)) {
		if (!insecure_http) {
			ctl_err("%s: refusing plain http:// to %s (not a "
			    "loopback address): use https:// or --insecure-http",
			    cmd, ctl_printable(host, shown, sizeof(shown)));
			goto out;
		}
		warn_insecure(cmd, ctl_printable(host, shown, sizeof(shown)));
	}
	o = OUT_OK;
 out:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(frag);
	curl_url_cleanup(u);
	return o;
}

/* ---- requests ------------------------------------------------------------ */

struct sink {
	struct ctl_resp *r;
	size_t max;
	int too_large;
};

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	struct ctl_resp *r = s->r;
	size_t n = size * nmemb;

	if (n > s->max - r->len) {
		s->too_large = 1;
		return 0;               /* CURLE_WRITE_ERROR */
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap == 0 ? 4096 : r->cap;
		char *b;

		while (cap < r->len + n + 1)
			cap *= 2;
		if (cap > s->max + 1)
			cap = s->max + 1;
		/* Grow by copy so the old buffer can be wiped. */
		if ((b = malloc(cap)) == NULL)
			return 0;
		if (r->body != NULL)
			memcpy(b, r->body, r->len);
		pjwt_secret_free(r->body, r->cap);
		r->body = b;
		r->cap = cap;
	}
	memcpy(r->body + r->len, p, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

/* For http:// without --insecure-http: the address must be loopback. */
static curl_socket_t
open_loopback_only(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	(void)arg;
	(void)purpose;
	if (a->family == AF_INET) {
		const struct sockaddr_in *s = (const void *)&a->addr;

		if ((ntohl(s->sin_addr.s_addr) >> 24) != 127)
			return CURL_SOCKET_BAD;
	} else if (a->family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)&a->addr;

		if (!IN6_IS_ADDR_LOOPBACK(&s->sin6_addr))
			return CURL_SOCKET_BAD;
	} else {
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* --cacert: add the file's certificates to the store libcurl set up. */
static CURLcode
add_cacert(CURL *c, void *sslctx, void *arg)
{
	X509_STORE *st = SSL_CTX_get_cert_store((SSL_CTX *)sslctx);

	(void)c;
	if (st == NULL || X509_STORE_load_file(st, (const char *)arg) != 1)
		return CURLE_SSL_CACERT_BADFILE;
	return CURLE_OK;
}

static int curl_ready;

static enum outcome
net_error(const char *cmd, const char *url, CURLcode rc, const char *errbuf,
    const struct ctl_transport *t)
{
	char shown[200], why[CURL_ERROR_SIZE + 1];

	ctl_printable(url, shown, sizeof(shown));
	ctl_printable(errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc), why,
	    sizeof(why));
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		ctl_err("%s: cannot resolve the host of %s", cmd, shown);
		break;
	case CURLE_COULDNT_CONNECT:
		ctl_err("%s: cannot connect to %s: %s", cmd, shown, why);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		ctl_err("%s: %s did not answer in time: %s", cmd, shown, why);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
#if LIBCURL_VERSION_NUM < 0x073e00
	case CURLE_SSL_CACERT:
#endif
		ctl_err("%s: the TLS certificate of %s is not trusted%s: %s", cmd,
		    shown, t->cacert != NULL ? "" : " (a private CA? see "
		    "--cacert)", why);
		break;
	case CURLE_SSL_CACERT_BADFILE:
		ctl_err("%s: cannot use --cacert '%s' (not a readable PEM file "
		    "of CA certificates)", cmd, t->cacert != NULL ? t->cacert :
		    "?");
		return OUT_CONFIG;
	case CURLE_SSL_CONNECT_ERROR:
		/* OpenSSL's words for an answer that is not TLS at all (an
		 * HTTP server's "HTTP/1.1 400" read as a TLS record). */
		ctl_err("%s: TLS handshake with %s failed: %s%s", cmd, shown, why,
		    strstr(why, "wrong version number") != NULL ||
		    strstr(why, "packet length too long") != NULL ||
		    strstr(why, "record layer failure") != NULL ?
		    " (the server does not speak TLS on that port; is it "
		    "http://?)" : "");
		break;
	case CURLE_OUT_OF_MEMORY:
		ctl_err("%s: out of memory", cmd);
		return OUT_FAILURE;
	default:
		ctl_err("%s: request to %s failed: %s", cmd, shown, why);
		break;
	}
	return OUT_NETWORK;
}

static enum outcome
request(const char *cmd, const struct ctl_transport *t, const char *url,
    const char *form, size_t max, struct ctl_resp *ret)
{
	char errbuf[CURL_ERROR_SIZE];
	struct ctl_resp r = { 0, NULL, 0, 0 };
	struct sink sink = { &r, max, 0 };
	struct curl_slist *hdrs = NULL;
	enum outcome o;
	CURLcode rc;
	CURL *c;
	int https = is_https(url);

	if ((o = ctl_url_check(cmd, url, t->insecure_http)) != OUT_OK)
		return o;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			ctl_err("%s: cannot initialise libcurl", cmd);
			return OUT_FAILURE;
		}
		curl_ready = 1;
	}
	if ((c = curl_easy_init()) == NULL) {
		ctl_err("%s: cannot initialise libcurl", cmd);
		return OUT_FAILURE;
	}
	errbuf[0] = '\0';
	hdrs = curl_slist_append(NULL, "Accept: application/json");
	rc = CURLE_OK;
#define SET(opt, val) \
	do { if (rc == CURLE_OK) rc = curl_easy_setopt(c, opt, val); } while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "https,http");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTPS | CURLPROTO_HTTP));
#endif
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
	SET(CURLOPT_TIMEOUT, TOTAL_TIMEOUT);
	SET(CURLOPT_MAXFILESIZE, (long)max);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SET(CURLOPT_USERAGENT, "jwtctl/" PACKAGE_VERSION);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, &sink);
	if (!https) {
		/* Plain http never goes through a proxy: loopback only. */
		SET(CURLOPT_NOPROXY, "*");
		if (!t->insecure_http)
			SET(CURLOPT_OPENSOCKETFUNCTION, open_loopback_only);
	}
	if (https && t->cacert != NULL) {
		SET(CURLOPT_SSL_CTX_FUNCTION, add_cacert);
		SET(CURLOPT_SSL_CTX_DATA, (void *)t->cacert);
	}
	if (form != NULL) {
		/* POSTFIELDS is not copied: the caller wipes the secret. */
		SET(CURLOPT_POSTFIELDS, form);
		SET(CURLOPT_POSTFIELDSIZE, (long)strlen(form));
	}
#undef SET
	if (rc != CURLE_OK || hdrs == NULL) {
		ctl_err("%s: cannot set up the request (%s)", cmd,
		    hdrs == NULL ? "out of memory" : curl_easy_strerror(rc));
		o = OUT_FAILURE;
		goto out;
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_WRITE_ERROR || rc == CURLE_FILESIZE_EXCEEDED) {
		char shown[200];

		if (sink.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
			ctl_err("%s: the response of %s is larger than %zu bytes",
			    cmd, ctl_printable(url, shown, sizeof(shown)), max);
			o = OUT_ISSUER;
		} else {
			ctl_err("%s: out of memory", cmd);
			o = OUT_FAILURE;
		}
		goto out;
	}
	if (rc != CURLE_OK) {
		o = net_error(cmd, url, rc, errbuf, t);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	if (r.status >= 300 && r.status < 400) {
		char shown[200];

		ctl_err("%s: %s answered with a redirect (HTTP %ld); use the "
		    "final URL", cmd, ctl_printable(url, shown, sizeof(shown)),
		    r.status);
		o = OUT_ISSUER;
		goto out;
	}
	if (r.body == NULL) {
		if ((r.body = calloc(1, 1)) == NULL) {
			ctl_err("%s: out of memory", cmd);
			o = OUT_FAILURE;
			goto out;
		}
		r.cap = 1;
	}
	*ret = r;
	r.body = NULL;
	o = OUT_OK;
 out:
	ctl_resp_clear(&r);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return o;
}

enum outcome
ctl_http_get(const char *cmd, const struct ctl_transport *t, const char *url,
    size_t max, struct ctl_resp *ret)
{
	return request(cmd, t, url, NULL, max, ret);
}

enum outcome
ctl_http_post_form(const char *cmd, const struct ctl_transport *t,
    const char *url, const char *form, size_t max, struct ctl_resp *ret)
{
	return request(cmd, t, url, form, max, ret);
}

void
ctl_resp_clear(struct ctl_resp *r)
{
	pjwt_secret_free(r->body, r->cap);
	r->body = NULL;
	r->len = r->cap = 0;
	r->status = 0;
}

/* ---- forms --------------------------------------------------------------- */

static int
form_reserve(struct ctl_form *f, size_t more)
{
	size_t cap;
	char *b;

	if (f->len + more + 1 <= f->cap)
		return 0;
	cap = f->cap == 0 ? 256 : f->cap;
	while (cap < f->len + more + 1)
		cap *= 2;
	if ((b = malloc(cap)) == NULL)
		return -1;
	if (f->buf != NULL)
		memcpy(b, f->buf, f->len + 1);
	pjwt_secret_free(f->buf, f->cap);
	f->buf = b;
	f->cap = cap;
	return 0;
}

static int
form_put(struct ctl_form *f, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (form_reserve(f, 3) != 0)
			return -1;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			f->buf[f->len++] = (char)c;
		} else {
			f->buf[f->len++] = '%';
			f->buf[f->len++] = hex[c >> 4];
			f->buf[f->len++] = hex[c & 15];
		}
	}
	f->buf[f->len] = '\0';
	return 0;
}

int
ctl_form_add(struct ctl_form *f, const char *name, const char *value)
{
	if (form_reserve(f, 2) != 0)
		return -1;
	if (f->len > 0)
		f->buf[f->len++] = '&';
	f->buf[f->len] = '\0';
	if (form_put(f, name) != 0 || form_reserve(f, 1) != 0)
		return -1;
	f->buf[f->len++] = '=';
	f->buf[f->len] = '\0';
	return form_put(f, value);
}

void
ctl_form_clear(struct ctl_form *f)
{
	pjwt_secret_free(f->buf, f->cap);
	f->buf = NULL;
	f->len = f->cap = 0;
}

/* ---- responses ----------------------------------------------------------- */

const char *
ctl_printable(const char *s, char *buf, size_t n)
{
	size_t i;

	if (n == 0)
		return "";
	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < n; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	if (s != NULL && s[i] != '\0' && n > 4)
		memcpy(buf + n - 4, "...", 4);
	return buf;
}

json_t *
ctl_resp_json(const struct ctl_resp *r)
{
	json_t *j;

	if (r->body == NULL)
		return NULL;
	j = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, NULL);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

enum outcome
ctl_issuer_error(const char *cmd, const char *what, const char *url,
    const struct ctl_resp *r)
{
	char e[64], d[200], u[200];
	json_t *j = ctl_resp_json(r);
	const char *err = j != NULL ?
	    json_string_value(json_object_get(j, "error")) : NULL;
	const char *desc = j != NULL ?
	    json_string_value(json_object_get(j, "error_description")) : NULL;
	enum outcome o = OUT_ISSUER;

	ctl_printable(url, u, sizeof(u));
	if (err == NULL) {
		if (r->status == 200)
			ctl_err("%s: %s: %s sent an unusable response", cmd, what,
			    u);
		else
			ctl_err("%s: %s: %s answered HTTP %ld", cmd, what, u,
			    r->status);
	} else {
		ctl_printable(err, e, sizeof(e));
		if (desc != NULL)
			ctl_printable(desc, d, sizeof(d));
		ctl_err("%s: the issuer refused %s: %s%s%s", cmd, what, e,
		    desc != NULL ? ": " : "", desc != NULL ? d : "");
		if (strcmp(err, "invalid_grant") == 0)
			o = OUT_REFUSED;
	}
	json_decref(j);
	return o;
}

/* ---- RFC 8414 discovery -------------------------------------------------- */

/* Are a and b the same but for one trailing '/' on either? */
static int
only_trailing_slash_differs(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	if (na == nb + 1 && a[nb] == '/')
		return strncmp(a, b, nb) == 0;
	if (nb == na + 1 && b[na] == '/')
		return strncmp(a, b, na) == 0;
	return 0;
}

/*
 * The metadata URL: "/.well-known/oauth-authorization-server" between the
 * host and the issuer's path (RFC 8414 section 3.1).
 */
static char *
metadata_url(const char *issuer)
{
	static const char wk[] = "/.well-known/oauth-authorization-server";
	const char *p = strstr(issuer, "://"), *path;
	size_t hostlen, n;
	char *u;

	if (p == NULL)
		return NULL;
	p += 3;
	path = p + strcspn(p, "/?#");
	hostlen = (size_t)(path - issuer);
	n = strlen(path);
	/* An issuer has no query or fragment (RFC 8414 section 2). */
	if (*path == '?' || *path == '#')
		return NULL;
	if (n == 1)             /* "https://h/" */
		n = 0;
	if ((u = malloc(hostlen + sizeof(wk) + n)) == NULL)
		return NULL;
	memcpy(u, issuer, hostlen);
	memcpy(u + hostlen, wk, sizeof(wk) - 1);
	memcpy(u + hostlen + sizeof(wk) - 1, path, n);
	u[hostlen + sizeof(wk) - 1 + n] = '\0';
	return u;
}

static enum outcome
endpoint(const char *cmd, const struct ctl_transport *t, json_t *m,
    const char *name, int required, char **ret)
{
	const char *v = json_string_value(json_object_get(m, name));
	enum outcome o;

	if (v == NULL) {
		if (!required)
			return OUT_OK;
		ctl_err("%s: the issuer's metadata has no %s", cmd, name);
		return OUT_ISSUER;
	}
	if ((o = ctl_url_check(cmd, v, t->insecure_http)) != OUT_OK)
		return o == OUT_USAGE ? OUT_ISSUER : o;
	if ((*ret = strdup(v)) == NULL) {
		ctl_err("%s: out of memory", cmd);
		return OUT_FAILURE;
	}
	return OUT_OK;
}

enum outcome
ctl_discover(const char *cmd, const struct ctl_transport *t,
    const char *issuer, struct ctl_meta *ret)
{
	struct ctl_meta m = { NULL, NULL, NULL };
	struct ctl_resp r = { 0, NULL, 0, 0 };
	char *url = NULL, a[200], b[200];
	const char *iss;
	json_t *j = NULL;
	enum outcome o;

	if ((o = ctl_url_check(cmd, issuer, t->insecure_http)) != OUT_OK)
		return o;
	if ((url = metadata_url(issuer)) == NULL) {
		ctl_err("%s: '%s' is not a usable issuer URL", cmd,
		    ctl_printable(issuer, a, sizeof(a)));
		return OUT_USAGE;
	}
	if ((o = ctl_http_get(cmd, t, url, RESP_MAX_TOKEN, &r)) != OUT_OK)
		goto out;
	if (r.status != 200) {
		o = ctl_issuer_error(cmd, "the metadata request", url, &r);
		if (o == OUT_REFUSED)
			o = OUT_ISSUER;
		goto out;
	}
	if ((j = ctl_resp_json(&r)) == NULL) {
		ctl_err("%s: %s: the metadata is not a JSON object", cmd,
		    ctl_printable(url, a, sizeof(a)));
		o = OUT_ISSUER;
		goto out;
	}
	/* RFC 8414 section 3.3: the issuer must be exactly the one asked. */
	iss = json_string_value(json_object_get(j, "issuer"));
	if (iss != NULL && strcmp(iss, issuer) != 0 &&
	    only_trailing_slash_differs(iss, issuer)) {
		/* Not normalised: an issuer's identifier is compared exactly
		 * (the tokens' iss, pam_jwt's issuer=), and some issuers'
		 * identifiers do end in '/'.  Say which one to use. */
		ctl_err("%s: the issuer's identifier is '%s', not '%s' (a "
		    "trailing slash differs; it must match exactly): use "
		    "--issuer %s", cmd, ctl_printable(iss, a, sizeof(a)),
		    ctl_printable(issuer, b, sizeof(b)), a);
		o = OUT_USAGE;
		goto out;
	}
	if (iss == NULL || strcmp(iss, issuer) != 0) {
		ctl_err("%s: the metadata names issuer '%s', not '%s'", cmd,
		    ctl_printable(iss != NULL ? iss : "", a, sizeof(a)),
		    ctl_printable(issuer, b, sizeof(b)));
		o = OUT_ISSUER;
		goto out;
	}
	if ((o = endpoint(cmd, t, j, "token_endpoint", 1,
	    &m.token_endpoint)) != OUT_OK ||
	    (o = endpoint(cmd, t, j, "revocation_endpoint", 0,
	    &m.revocation_endpoint)) != OUT_OK ||
	    (o = endpoint(cmd, t, j, "jwks_uri", 0, &m.jwks_uri)) != OUT_OK)
		goto out;
	*ret = m;
	memset(&m, 0, sizeof(m));
 out:
	ctl_meta_clear(&m);
	json_decref(j);
	ctl_resp_clear(&r);
	free(url);
	return o;
}

void
ctl_meta_clear(struct ctl_meta *m)
{
	free(m->token_endpoint);
	free(m->revocation_endpoint);
	free(m->jwks_uri);
	memset(m, 0, sizeof(*m));
}
