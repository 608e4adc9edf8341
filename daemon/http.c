/*
 * http.c - everything libmicrohttpd: the daemon, its limits, request body
 * collection, the worker pool for blocking handlers, response encoding.
 *
 * Threads.  MHD runs a pool of event threads (MHD_USE_INTERNAL_POLLING_THREAD
 * | MHD_USE_EPOLL, one per core by default); each serves many connections.
 * Handlers run there, except the blocking parts (password hashing, PAM,
 * crypt(3) of a client secret): those handlers set response.defer, and this
 * file suspends the connection (MHD_suspend_connection), hands it to a small
 * pool of worker threads, and resumes it with the response.  So a slow
 * password check holds one worker, never an event thread, and tokens, JWKS
 * and metadata keep flowing while password checks queue.  The queue is
 * bounded: past WORK_QUEUE_MAX waiting jobs the server answers 503.
 *
 * Hostile clients.  libmicrohttpd 0.9.75 only has an idle timeout, which a
 * client resets with every byte (slowloris), and its epoll mode leaves
 * half-requests that the client closed in CLOSE-WAIT until that timeout.
 * So: poll mode, and this file tracks every TCP connection (MHD's socket
 * context, struct sock) and bounds each way of holding one:
 *   - reading a request (headers + body), an idle keep-alive, sending a
 *     response the client does not read: request_timeout seconds each,
 *     absolute, enforced by a reaper thread that shuts the socket down;
 *   - per client address (IPv4 /32, IPv6 /64): per_ip_connection_limit,
 *     checked in the accept policy callback;
 *   - in all: connection_limit; a new client past it evicts the connection
 *     that has waited longest for a complete request, so the server keeps
 *     room for new clients instead of refusing them.
 * Only a suspended connection (a queued password check) is exempt: the
 * work queue bounds those.
 * Request framing that a proxy could read differently (two Content-Length
 * headers, Content-Length with Transfer-Encoding, a coding other than
 * chunked) is answered 400 and the connection closed (RFC 9112 6.3).
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "pjwt_mem.h"

#include "conf.h"
#include "http.h"
#include "log.h"
#include "routes.h"

#define WORK_QUEUE_MAX 1024
/* A chunked body past BODY_MAX is read and dropped up to this much, so the
 * client gets its 413; past it the connection is cut. */
#define DISCARD_MAX (1024u * 1024u)
/* How often the reaper looks for connections past their deadline. */
#define REAP_INTERVAL_MS 250

enum sock_phase {
	PH_READING = 0,         /* waiting for (the rest of) a request */
	PH_BUSY,                /* request complete, handler running/queued */
	PH_SENDING,             /* response queued, client reading it */
};

/* One per TCP connection, MHD's socket context; on h->socks under h->slock
 * from NOTIFY_STARTED to NOTIFY_CLOSED (which MHD calls before it closes
 * fd, so shutdown(fd) under slock never hits a reused descriptor). */
struct sock {
	struct sock *prev, *next;
	int fd;
	unsigned char net[8];   /* IPv4 address or IPv6 /64 */
	size_t netlen;
	atomic_int phase;
	_Atomic int64_t since_ms;       /* start of the current phase */
	int cut;                /* shut down by us, closing */
};

enum conn_state {
	CONN_READING = 0,
	CONN_DEFERRED,          /* suspended, on the work queue or a worker */
	CONN_DONE,              /* response ready to queue */
};

struct conn {
	struct http *h;
	struct MHD_Connection *mc;
	enum conn_state state;
	char *body;
	size_t len;
	char peer[INET6_ADDRSTRLEN];
	char peer_unit[INET6_ADDRSTRLEN + 3];
	struct request req;
	struct response resp;
	struct conn *next;      /* work queue */
	struct sock *sock;      /* NULL if untracked */
	int close_after;        /* add Connection: close */
	int too_big;            /* chunked body past BODY_MAX: 413 at the end */
	size_t discarded;
};

struct http {
	struct MHD_Daemon *d;
	int listen_fd;
	atomic_uint inflight;   /* requests between first call and completion */
	atomic_int draining;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct conn *head, *tail;
	unsigned queued;
	int stopping;
	pthread_t *workers;
	unsigned nworkers;

	/* connection tracking (see struct sock) */
	pthread_mutex_t slock;
	pthread_cond_t scond;
	struct sock *socks;
	unsigned nsocks;        /* on the list and not cut */
	unsigned conn_limit, per_net_limit;
	int64_t deadline_ms;
	int reaper_stop;
	int reaper_started;
	pthread_t reaper;
};

static int64_t
now_seconds(void)
{
	return (int64_t)time(NULL);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- connection tracking ----------------------------------------------- */

/* The address a per-client limit counts: IPv4 (also ::ffff:a.b.c.d) whole,
 * IPv6 by its /64, since one host usually holds a whole /64.  Returns 0 for
 * other families (not limited per address). */
static size_t
addr_net(const struct sockaddr *sa, socklen_t len, unsigned char net[8])
{
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;
		memcpy(net, &in->sin_addr, 4);
		return 4;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			memcpy(net, &in6->sin6_addr.s6_addr[12], 4);
			return 4;
		}
		memcpy(net, in6->sin6_addr.s6_addr, 8);
		return 8;
	}
	return 0;
}

/* sa as 16 bytes, IPv4 as ::ffff:a.b.c.d; 0 if neither family. */
static int
addr16(const struct sockaddr *sa, unsigned char a[16])
{
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		memset(a, 0, 10);
		a[10] = a[11] = 0xff;
		memcpy(&a[12], &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return 1;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(a, ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr, 16);
		return 1;
	}
	return 0;
}

/* Is a (16 bytes, see addr16) in one of c's trusted_proxies? */
static int
proxy_trusted(const struct conf *c, const unsigned char a[16])
{
	for (size_t i = 0; c != NULL && i < c->ntrusted_proxies; i++) {
		const struct conf_net *n = &c->trusted_proxies[i];
		unsigned full = n->prefix / 8, rest = n->prefix % 8;

		if (memcmp(a, n->addr, full) != 0)
			continue;
		if (rest == 0 ||
		    ((a[full] ^ n->addr[full]) & (0xff << (8 - rest)) & 0xff) == 0)
			return 1;
	}
	return 0;
}

static void
sock_phase(struct sock *k, enum sock_phase ph)
{
	if (k == NULL)
		return;
	atomic_store(&k->since_ms, mono_ms());
	atomic_store(&k->phase, (int)ph);
}

/* Cut a connection: MHD sees end of file (or an error on write) and closes
 * it on its next turn.  Called with slock held. */
static void
sock_cut(struct http *h, struct sock *k)
{
	if (k->cut)
		return;
	(void)shutdown(k->fd, SHUT_RDWR);
	k->cut = 1;
	h->nsocks--;
}

/*
 * accept policy: refuse a client over its per-address cap; past the global
 * cap, evict the connection that has waited longest for a complete request
 * (or idled longest), and refuse only if every slot is busy with a request.
 */
static enum MHD_Result
on_accept(void *cls, const struct sockaddr *sa, socklen_t len)
{
	struct http *h = cls;
	unsigned char net[8];
	size_t netlen = addr_net(sa, len, net);
	unsigned same = 0;
	struct sock *k, *oldest = NULL;
	enum MHD_Result ok = MHD_YES;

	if (netlen != 0) {
		/* A trusted proxy carries many clients: only the total caps it. */
		struct conf *c = conf_current();
		unsigned char a[16];

		if (c != NULL && addr16(sa, a) && proxy_trusted(c, a))
			netlen = 0;
		conf_unref(c);
	}
	pthread_mutex_lock(&h->slock);
	for (k = h->socks; k != NULL; k = k->next) {
		if (k->cut)
			continue;
		if (netlen != 0 && k->netlen == netlen &&
		    memcmp(k->net, net, netlen) == 0)
			same++;
		if (atomic_load(&k->phase) == PH_READING && (oldest == NULL ||
		    atomic_load(&k->since_ms) < atomic_load(&oldest->since_ms)))
			oldest = k;
	}
	if (netlen != 0 && same >= h->per_net_limit)
		ok = MHD_NO;
	else if (h->nsocks >= h->conn_limit) {
		if (oldest != NULL)
			sock_cut(h, oldest);
		else
			ok = MHD_NO;
	}
	pthread_mutex_unlock(&h->slock);
	return ok;
}

static void
on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct http *h = cls;
	struct sock *k = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci == NULL)
			return;
		if ((k = calloc(1, sizeof(*k))) == NULL) {
			/* Untracked means unbounded: refuse it instead. */
			(void)shutdown(ci->connect_fd, SHUT_RDWR);
			return;
		}
		k->fd = ci->connect_fd;
		ci = MHD_get_connection_info(mc,
		    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci != NULL && ci->client_addr != NULL)
			k->netlen = addr_net(ci->client_addr,
			    ci->client_addr->sa_family == AF_INET6 ?
			    sizeof(struct sockaddr_in6) :
			    sizeof(struct sockaddr_in), k->net);
		atomic_init(&k->phase, PH_READING);
		atomic_init(&k->since_ms, mono_ms());
		pthread_mutex_lock(&h->slock);
		k->next = h->socks;
		if (h->socks != NULL)
			h->socks->prev = k;
		h->socks = k;
		h->nsocks++;
		pthread_mutex_unlock(&h->slock);
		*socket_context = k;
		return;
	}
	if (toe != MHD_CONNECTION_NOTIFY_CLOSED || k == NULL)
		return;
	pthread_mutex_lock(&h->slock);
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		h->socks = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	if (!k->cut)
		h->nsocks--;
	pthread_mutex_unlock(&h->slock);
	*socket_context = NULL;
	free(k);
}

/* The reaper: cut every connection past its absolute deadline. */
static void *
reaper_main(void *arg)
{
	struct http *h = arg;
	struct timespec ts;

	pthread_mutex_lock(&h->slock);
	while (!h->reaper_stop) {
		int64_t now = mono_ms();

		for (struct sock *k = h->socks; k != NULL; k = k->next)
			if (!k->cut && atomic_load(&k->phase) != PH_BUSY &&
			    now - atomic_load(&k->since_ms) > h->deadline_ms)
				sock_cut(h, k);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += REAP_INTERVAL_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&h->scond, &h->slock, &ts);
	}
	pthread_mutex_unlock(&h->slock);
	return NULL;
}

/* ---- MHD glue ---------------------------------------------------------- */

static void __attribute__((format(printf, 2, 0)))
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	log_warning("libmicrohttpd: %s", buf);
}

static void
peer_text(struct MHD_Connection *mc, char *buf, size_t cap)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(buf, cap, "unknown");
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		inet_ntop(AF_INET, &in->sin_addr, buf, (socklen_t)cap);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		/* ::ffff:a.b.c.d counts as a.b.c.d for the lockout. */
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], buf,
			    (socklen_t)cap);
		else
			inet_ntop(AF_INET6, &in6->sin6_addr, buf, (socklen_t)cap);
	}
}

struct xff {
	char buf[2048];
	size_t len;
	int overflow;
};

static enum MHD_Result
collect_xff(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct xff *x = cls;
	size_t vl;

	(void)kind;
	if (strcasecmp(key, "X-Forwarded-For") != 0)
		return MHD_YES;
	vl = strlen(value);
	if (x->len + vl + 2 > sizeof(x->buf)) {
		x->overflow = 1;
		return MHD_NO;
	}
	if (x->len > 0)
		x->buf[x->len++] = ',';
	memcpy(x->buf + x->len, value, vl);
	x->len += vl;
	x->buf[x->len] = '\0';
	return MHD_YES;
}

/*
 * peer_unit: what counts as one client for the failure counters: an IPv4
 * address as it is, an IPv6 address as its /64 ("2001:db8:1:2::/64"), the
 * unit the connection caps use, since one host usually holds a whole /64
 * and could otherwise rotate past a per-address limit.  IPv4-mapped IPv6
 * addresses count as their IPv4 address.  Anything else is copied as is.
 */
static void
peer_unit(const char *peer, char *out, size_t cap)
{
	struct in6_addr a6;
	char net[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET6, peer, &a6) == 1 && !IN6_IS_ADDR_V4MAPPED(&a6)) {
		memset(&a6.s6_addr[8], 0, 8);
		if (inet_ntop(AF_INET6, &a6, net, sizeof(net)) != NULL) {
			snprintf(out, cap, "%s/64", net);
			return;
		}
	}
	snprintf(out, cap, "%s", peer);
}

/*
 * resolve_peer: the client address for the lockout and logs.  From a
 * trusted proxy (c->trusted_proxies) that sent X-Forwarded-For, the
 * rightmost hop that is not itself a trusted proxy (hops to its left were
 * written by the client and prove nothing); otherwise the TCP peer.
 * Returns 0, or -1 for a malformed X-Forwarded-For from a trusted proxy.
 */
static int
resolve_peer(struct MHD_Connection *mc, const struct conf *c, char *buf,
    size_t cap)
{
	const union MHD_ConnectionInfo *ci;
	unsigned char a[16];
	struct xff x;
	char *end;

	peer_text(mc, buf, cap);
	if (c->ntrusted_proxies == 0)
		return 0;
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || !addr16(ci->client_addr, a) || !proxy_trusted(c, a))
		return 0;
	memset(&x, 0, sizeof(x));
	(void)MHD_get_connection_values(mc, MHD_HEADER_KIND, collect_xff, &x);
	if (x.overflow)
		return -1;
	if (x.len == 0)
		return 0;
	end = x.buf + x.len;
	for (;;) {
		char *start = end, *p, *q;
		unsigned char b[16];
		int v4;

		while (start > x.buf && start[-1] != ',')
			start--;
		/* trim optional whitespace */
		for (p = start; p < end && (*p == ' ' || *p == '\t'); p++)
			;
		for (q = end; q > p && (q[-1] == ' ' || q[-1] == '\t'); q--)
			;
		*q = '\0';
		memset(b, 0, sizeof(b));
		b[10] = b[11] = 0xff;
		if ((v4 = inet_pton(AF_INET, p, &b[12])) != 1 &&
		    inet_pton(AF_INET6, p, b) != 1)
			return -1;
		if (start == x.buf || !proxy_trusted(c, b)) {
			if (v4 == 1 || IN6_IS_ADDR_V4MAPPED((struct in6_addr *)(void *)b))
				inet_ntop(AF_INET, &b[12], buf, (socklen_t)cap);
			else
				inet_ntop(AF_INET6, b, buf, (socklen_t)cap);
			return 0;
		}
		end = start - 1;        /* the comma */
	}
}

static void
free_body(void *p)
{
	pjwt_str_free(p);
}

static enum MHD_Result
send_response(struct conn *c)
{
	struct response *r = &c->resp;
	struct MHD_Response *mr;
	enum MHD_Result ret;

	if (r->body != NULL) {
		mr = MHD_create_response_from_buffer_with_free_callback(
		    r->body_len, r->body, free_body);
		if (mr != NULL)
			r->body = NULL;         /* MHD owns it now */
	} else {
		mr = MHD_create_response_from_buffer(0, (void *)"",
		    MHD_RESPMEM_PERSISTENT);
	}
	if (mr == NULL)
		return MHD_NO;
	if (MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE,
	    r->content_type != NULL ? r->content_type : "application/json") != MHD_YES ||
	    MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL,
	    r->cache_control != NULL ? r->cache_control : "no-store") != MHD_YES ||
	    (r->cache_control == NULL &&
	    MHD_add_response_header(mr, MHD_HTTP_HEADER_PRAGMA, "no-cache") != MHD_YES) ||
	    MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff") != MHD_YES ||
	    (r->www_authenticate != NULL && MHD_add_response_header(mr,
	    MHD_HTTP_HEADER_WWW_AUTHENTICATE, r->www_authenticate) != MHD_YES) ||
	    (r->allow != NULL && MHD_add_response_header(mr,
	    MHD_HTTP_HEADER_ALLOW, r->allow) != MHD_YES) ||
	    ((atomic_load(&c->h->draining) || c->close_after) &&
	    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION,
	    "close") != MHD_YES)) {
		MHD_destroy_response(mr);
		return MHD_NO;
	}
	ret = MHD_queue_response(c->mc, r->status != 0 ? r->status : 500, mr);
	MHD_destroy_response(mr);
	if (ret == MHD_YES)
		sock_phase(c->sock, PH_SENDING);
	return ret;
}

static void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	conf_unref(c->req.conf);
	pjwt_secret_free(c->body, c->body != NULL ? c->len + 1 : 0);
	pjwt_str_free(c->resp.body);
	free(c);
}

/* ---- worker pool ------------------------------------------------------- */

static int
work_push(struct http *h, struct conn *c)
{
	int ok = 0;

	pthread_mutex_lock(&h->lock);
	if (!h->stopping && h->queued < WORK_QUEUE_MAX) {
		c->next = NULL;
		if (h->tail != NULL)
			h->tail->next = c;
		else
			h->head = c;
		h->tail = c;
		h->queued++;
		ok = 1;
		pthread_cond_signal(&h->cond);
	}
	pthread_mutex_unlock(&h->lock);
	return ok;
}

static void *
worker_main(void *arg)
{
	struct http *h = arg;

	for (;;) {
		struct conn *c;

		pthread_mutex_lock(&h->lock);
		while (h->head == NULL && !h->stopping)
			pthread_cond_wait(&h->cond, &h->lock);
		if (h->head == NULL) {
			pthread_mutex_unlock(&h->lock);
			break;
		}
		c = h->head;
		h->head = c->next;
		if (h->head == NULL)
			h->tail = NULL;
		h->queued--;
		pthread_mutex_unlock(&h->lock);

		c->req.may_block = 1;
		c->req.now = now_seconds();
		routes_dispatch(&c->req, &c->resp);
		if (c->resp.defer) {
			log_err("handler for %s deferred twice", c->req.path);
			c->resp.defer = 0;
			resp_error(&c->resp, 500, "server_error", NULL);
		}
		c->state = CONN_DONE;
		MHD_resume_connection(c->mc);
	}
	return NULL;
}

/* ---- request handling -------------------------------------------------- */

struct framing {
	unsigned content_length, transfer_encoding;
	int bad_length, bad_coding;
	unsigned long long length;
};

static enum MHD_Result
count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct framing *f = cls;

	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		const char *p;

		f->content_length++;
		/* 1*DIGIT, nothing else: no sign, no list, no spaces. */
		for (p = value; *p >= '0' && *p <= '9'; p++)
			;
		if (p == value || *p != '\0' || p - value > 12)
			f->bad_length = 1;
		else
			f->length = strtoull(value, NULL, 10);
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->transfer_encoding++;
		/* Only chunked alone: a list or another coding would be read
		 * differently by the hop in front of us. */
		if (strcasecmp(value, "chunked") != 0)
			f->bad_coding = 1;
	}
	return MHD_YES;
}

/*
 * check_framing: the request line and headers are in; decide whether the
 * body framing is unambiguous (RFC 9112 6.3): at most one Content-Length,
 * all digits; Transfer-Encoding only "chunked", once, and never together
 * with Content-Length.  Returns 0 if fine, else the HTTP status to answer
 * (400, or 413 for a declared length over BODY_MAX) with *why set.
 */
static unsigned
check_framing(struct MHD_Connection *mc, const char **why)
{
	struct framing f;

	memset(&f, 0, sizeof(f));
	(void)MHD_get_connection_values(mc, MHD_HEADER_KIND, count_framing, &f);
	if (f.content_length > 1) {
		*why = "more than one Content-Length header";
		return 400;
	}
	if (f.bad_length) {
		*why = "malformed Content-Length";
		return 400;
	}
	if (f.transfer_encoding > 1 || f.bad_coding) {
		*why = "unsupported Transfer-Encoding (only chunked)";
		return 400;
	}
	if (f.content_length && f.transfer_encoding) {
		*why = "Content-Length together with Transfer-Encoding";
		return 400;
	}
	if (f.content_length && f.length > BODY_MAX) {
		*why = "request body larger than 16 KiB";
		return 413;
	}
	return 0;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *mc, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http *h = cls;
	struct conn *c = *con_cls;

	(void)version;
	if (c == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return MHD_NO;
		const union MHD_ConnectionInfo *ci;
		const char *why = NULL;
		unsigned st;

		c->h = h;
		c->mc = mc;
		*con_cls = c;
		ci = MHD_get_connection_info(mc,
		    MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		if (ci != NULL)
			c->sock = ci->socket_context;
		atomic_fetch_add(&h->inflight, 1);
		if ((st = check_framing(mc, &why)) != 0) {
			/* The body is not read: the connection cannot carry
			 * another request. */
			resp_error(&c->resp, st, "invalid_request", why);
			c->close_after = 1;
			c->state = CONN_DONE;
			return send_response(c);
		}
		return MHD_YES;
	}
	if (c->state == CONN_DONE)
		return send_response(c);
	if (c->state == CONN_DEFERRED)
		return MHD_YES;         /* spurious call while suspended */
	if (*upload_data_size != 0) {
		char *nb;

		/* Only a chunked body can get here past the cap: read and
		 * drop the rest (bounded), then answer 413; MHD cannot queue
		 * a response in the middle of a body. */
		if (c->too_big || *upload_data_size > BODY_MAX - c->len) {
			c->too_big = 1;
			if (*upload_data_size > DISCARD_MAX - c->discarded)
				return MHD_NO;
			c->discarded += *upload_data_size;
			*upload_data_size = 0;
			return MHD_YES;
		}
		if ((nb = malloc(c->len + *upload_data_size + 1)) == NULL)
			return MHD_NO;
		if (c->body != NULL)
			memcpy(nb, c->body, c->len);
		memcpy(nb + c->len, upload_data, *upload_data_size);
		pjwt_secret_free(c->body, c->body != NULL ? c->len + 1 : 0);
		c->body = nb;
		c->len += *upload_data_size;
		c->body[c->len] = '\0';
		*upload_data_size = 0;
		return MHD_YES;
	}

	/* The whole request is in. */
	sock_phase(c->sock, PH_BUSY);
	if (c->too_big) {
		resp_error(&c->resp, 413, "invalid_request",
		    "request body larger than 16 KiB");
		c->close_after = 1;
		c->state = CONN_DONE;
		return send_response(c);
	}
	c->req.method = method;
	c->req.path = url;
	c->req.content_type = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	c->req.authorization = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	c->req.body = c->body != NULL ? c->body : "";
	c->req.body_len = c->len;
	c->req.peer = c->peer;
	c->req.now = now_seconds();
	if ((c->req.conf = conf_current()) == NULL) {
		resp_error(&c->resp, 503, "temporarily_unavailable", NULL);
		c->state = CONN_DONE;
		return send_response(c);
	}
	if (resolve_peer(mc, c->req.conf, c->peer, sizeof(c->peer)) != 0) {
		resp_error(&c->resp, 400, "invalid_request",
		    "malformed X-Forwarded-For");
		c->state = CONN_DONE;
		return send_response(c);
	}
	peer_unit(c->peer, c->peer_unit, sizeof(c->peer_unit));
	c->req.peer_unit = c->peer_unit;
	routes_dispatch(&c->req, &c->resp);
	if (c->resp.defer) {
		c->resp.defer = 0;
		c->state = CONN_DEFERRED;
		/* Suspend first: a worker may resume as soon as it is queued. */
		MHD_suspend_connection(mc);
		if (!work_push(h, c)) {
			resp_error(&c->resp, 503, "temporarily_unavailable",
			    "too many password checks queued");
			c->state = CONN_DONE;
			MHD_resume_connection(mc);
		}
		return MHD_YES;
	}
	c->state = CONN_DONE;
	return send_response(c);
}

static void
on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct conn *c = *con_cls;

	(void)toe;
	if (c == NULL)
		return;
	/* Next: an idle keep-alive or the next request, on a new deadline. */
	sock_phase(c->sock, PH_READING);
	(void)mc;
	*con_cls = NULL;
	conn_free(c);
	atomic_fetch_sub(&h->inflight, 1);
}

/* ---- start / stop ------------------------------------------------------ */

int
http_listen(const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char host[256];
	const char *colon, *h, *port;
	char *end;
	unsigned long p;
	int fd = -1, one = 1, family;
	size_t hl;

	memset(&ss, 0, sizeof(ss));
	if ((colon = strrchr(spec, ':')) == NULL) {
		log_err("listen \"%s\": expected ADDR:PORT", spec);
		return -1;
	}
	port = colon + 1;
	errno = 0;
	p = strtoul(port, &end, 10);
	if (*port < '0' || *port > '9' || *end != '\0' || errno != 0 ||
	    p > 65535) {
		log_err("listen \"%s\": bad port", spec);
		return -1;
	}
	h = spec;
	hl = (size_t)(colon - spec);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl >= sizeof(host)) {
		log_err("listen \"%s\": bad address", spec);
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (hl == 0 || strcmp(host, "*") == 0) {
		struct sockaddr_in6 *in6 = (void *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_any;
		in6->sin6_port = htons((uint16_t)p);
		sl = sizeof(*in6);
	} else if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *in6 = (void *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1) {
			log_err("listen \"%s\": bad IPv6 address", spec);
			return -1;
		}
		sl = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (void *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)p);
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1) {
			log_err("listen \"%s\": bad IPv4 address (use [v6]:port "
			    "for IPv6)", spec);
			return -1;
		}
		sl = sizeof(*in);
	}
	family = ss.ss_family;
	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) < 0) {
		log_err("listen %s: socket: %s", spec, strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6) {
		/* "*" serves IPv4 too; an explicit v6 address only v6. */
		int v6only = hl != 0 && strcmp(host, "*") != 0;
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
		    sizeof(v6only));
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		log_err("listen %s: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct http *
http_start(const struct conf *c, int listen_fd, unsigned threads,
    unsigned workers)
{
	struct MHD_OptionItem opts[16];
	unsigned flags, n = 0;
	struct http *h;
	int fl;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		log_err("out of memory");
		return NULL;
	}
	h->listen_fd = listen_fd;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	pthread_mutex_init(&h->slock, NULL);
	pthread_cond_init(&h->scond, NULL);
	h->conn_limit = c->connection_limit;
	h->per_net_limit = c->per_ip_connection_limit;
	h->deadline_ms = (int64_t)c->request_timeout * 1000;
	atomic_init(&h->inflight, 0);
	atomic_init(&h->draining, 0);

	/* systemd hands sockets over blocking; epoll wants them not. */
	if ((fl = fcntl(listen_fd, F_GETFL)) >= 0)
		(void)fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK);

	/* Each connection is a descriptor: past RLIMIT_NOFILE accept() fails
	 * for everyone, so the cap must fit under it (main raised it). */
	{
		struct rlimit rl;
		rlim_t need = (rlim_t)h->conn_limit + h->conn_limit / 8 + 64;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
			unsigned lim = rl.rlim_cur > 128 ?
			    (unsigned)((rl.rlim_cur - 64) * 8 / 9) : 32;
			log_warning("connection_limit %u lowered to %u: "
			    "RLIMIT_NOFILE is %llu", h->conn_limit, lim,
			    (unsigned long long)rl.rlim_cur);
			h->conn_limit = lim;
		}
	}

	/* poll, not epoll: 0.9.75's epoll mode leaves connections the client
	 * closed mid-request in CLOSE-WAIT until the idle timeout. */
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (c->tls_cert_pem != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			log_err("tls_cert is set, but libmicrohttpd was built "
			    "without TLS");
			goto fail;
		}
		flags |= MHD_USE_TLS;
	}
#define OPT(o, v, p) (opts[n++] = (struct MHD_OptionItem){ (o), (intptr_t)(v), (p) })
	OPT(MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL);
	if (threads > 1)
		OPT(MHD_OPTION_THREAD_POOL_SIZE, threads, NULL);
	/* Our cap (h->conn_limit, on_accept) evicts; MHD's refuses, and is
	 * split between pool threads: leave it room for connections that
	 * were cut and are still closing.  The per-address cap is on_accept's
	 * too (IPv6 by /64, which MHD cannot do). */
	OPT(MHD_OPTION_CONNECTION_LIMIT, h->conn_limit + h->conn_limit / 8 +
	    8 * (threads > 1 ? threads : 1), NULL);
	OPT(MHD_OPTION_NOTIFY_CONNECTION, on_connection, h);
	/* Never left at MHD's default, which is no timeout at all. */
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, c->connection_timeout, NULL);
	OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, c->connection_memory_limit, NULL);
	OPT(MHD_OPTION_NOTIFY_COMPLETED, on_completed, h);
	OPT(MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL);
	if (c->tls_cert_pem != NULL) {
		OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, c->tls_cert_pem);
		OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, c->tls_key_pem);
	}
	OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
	/* The logger goes first, so that MHD reports option errors through it. */
	h->d = MHD_start_daemon(flags, 0, on_accept, h, on_request, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
	    MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (h->d == NULL) {
		log_err("libmicrohttpd failed to start");
		goto fail;
	}

	if (pthread_create(&h->reaper, NULL, reaper_main, h) != 0) {
		log_err("cannot start the reaper thread");
		goto fail_stop;
	}
	h->reaper_started = 1;
	if ((h->workers = calloc(workers, sizeof(*h->workers))) == NULL)
		goto fail_stop;
	for (h->nworkers = 0; h->nworkers < workers; h->nworkers++)
		if (pthread_create(&h->workers[h->nworkers], NULL, worker_main,
		    h) != 0) {
			log_err("cannot start worker threads");
			goto fail_stop;
		}
	return h;
fail_stop:
	http_drain(h, 0);
	return NULL;
fail:
	close(listen_fd);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->slock);
	pthread_cond_destroy(&h->scond);
	free(h);
	return NULL;
}

void
http_drain(struct http *h, unsigned timeout_s)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	unsigned long waited_ms = 0;

	if (h == NULL)
		return;
	atomic_store(&h->draining, 1);
	if (h->d != NULL && timeout_s > 0) {
		(void)MHD_quiesce_daemon(h->d);
		/* Bounded: the timeout, then whatever is left is cut off. */
		while (atomic_load(&h->inflight) > 0 &&
		    waited_ms < (unsigned long)timeout_s * 1000) {
			nanosleep(&ts, NULL);
			waited_ms += 50;
		}
		if (atomic_load(&h->inflight) > 0)
			log_warning("shutdown: %u requests still in flight after "
			    "%u s", atomic_load(&h->inflight), timeout_s);
	}
	/* Workers finish what is queued and resume those connections, so none
	 * is left suspended when MHD stops. */
	pthread_mutex_lock(&h->lock);
	h->stopping = 1;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	for (unsigned i = 0; i < h->nworkers; i++)
		pthread_join(h->workers[i], NULL);
	if (h->d != NULL)
		MHD_stop_daemon(h->d);
	/* After MHD: it closed (and untracked) every connection by now. */
	if (h->reaper_started) {
		pthread_mutex_lock(&h->slock);
		h->reaper_stop = 1;
		pthread_cond_broadcast(&h->scond);
		pthread_mutex_unlock(&h->slock);
		pthread_join(h->reaper, NULL);
	}
	while (h->socks != NULL) {
		struct sock *k = h->socks;
		h->socks = k->next;
		free(k);
	}
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	free(h->workers);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->slock);
	pthread_cond_destroy(&h->scond);
	free(h);
}
