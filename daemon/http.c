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
	struct request req;
	struct response resp;
	struct conn *next;      /* work queue */
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
};

static int64_t
now_seconds(void)
{
	return (int64_t)time(NULL);
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
	    (atomic_load(&c->h->draining) && MHD_add_response_header(mr,
	    MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES)) {
		MHD_destroy_response(mr);
		return MHD_NO;
	}
	ret = MHD_queue_response(c->mc, r->status != 0 ? r->status : 500, mr);
	MHD_destroy_response(mr);
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

static int
content_length_too_large(struct MHD_Connection *mc)
{
	const char *v = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n;
	char *end;

	if (v == NULL)
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	/* A malformed length is MHD's to refuse; only a big one is ours. */
	return errno == ERANGE || (end != v && n > BODY_MAX);
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
		c->h = h;
		c->mc = mc;
		*con_cls = c;
		atomic_fetch_add(&h->inflight, 1);
		if (content_length_too_large(mc)) {
			resp_error(&c->resp, 413, "invalid_request",
			    "request body larger than 16 KiB");
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

		/* Only a chunked body can get here past the cap: drop it. */
		if (*upload_data_size > BODY_MAX - c->len)
			return MHD_NO;
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
	peer_text(mc, c->peer, sizeof(c->peer));
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

	(void)mc;
	(void)toe;
	if (c == NULL)
		return;
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
	atomic_init(&h->inflight, 0);
	atomic_init(&h->draining, 0);

	/* systemd hands sockets over blocking; epoll wants them not. */
	if ((fl = fcntl(listen_fd, F_GETFL)) >= 0)
		(void)fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK);

	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
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
	OPT(MHD_OPTION_CONNECTION_LIMIT, c->connection_limit, NULL);
	OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, c->per_ip_connection_limit, NULL);
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
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
	    MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (h->d == NULL) {
		log_err("libmicrohttpd failed to start");
		goto fail;
	}

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
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	free(h->workers);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->cond);
	free(h);
}
