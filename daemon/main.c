/*
 * main.c - jwt-issuerd: command line, start-up order, privilege drop,
 * signals, systemd integration.
 *
 * Start-up order matters:
 *   1. parse and check the config (as the invoking user);
 *   2. open the password backend: the pam backend forks its root helpers
 *      here, before any thread exists, while we are still root, and before
 *      the keys are loaded (helpers never hold a private key);
 *   2b. load the keys and TLS files;
 *   3. take the listening socket (systemd's, or bind --listen / listen=),
 *      while still root so ports below 1024 work;
 *   4. drop to user= when started as root;
 *   5. open the state store as that user, start HTTP, then READY=1.
 * Signals are blocked in every thread and taken synchronously by the main
 * thread with sigtimedwait(), which also paces the watchdog and the purge.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "conf.h"
#include "http.h"
#include "log.h"
#include "oauth.h"
#include "pwauth.h"
#include "store.h"

#define DEFAULT_CONFIG SYSCONFDIR "/jwt-issuerd/jwt-issuerd.conf"
#define DEFAULT_LISTEN "127.0.0.1:8080"
#define PURGE_INTERVAL 600       /* seconds between store purges */
#define DRAIN_TIMEOUT 20         /* seconds SIGTERM waits for requests */

struct daemon {
	const char *config_path;
	uid_t file_owner;
	struct pwauth *pw;
	struct store *store;
	struct http *http;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: jwt-issuerd [--config FILE] [--listen ADDR:PORT] [--debug]\n"
	    "       jwt-issuerd --check [--config FILE]\n"
	    "  -c, --config FILE    configuration (default %s)\n"
	    "  -l, --listen A:P     listen address, e.g. 127.0.0.1:8080 or "
	    "[::1]:8080\n"
	    "                       (overrides listen=; ignored under socket "
	    "activation)\n"
	    "  -t, --check          load the configuration and keys, then exit\n"
	    "  -d, --debug          log debug messages\n"
	    "  -V, --version\n", DEFAULT_CONFIG);
}

static unsigned
cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 && n <= 256 ? (unsigned)n : 2;
}

static int
drop_privileges(const char *user)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_err("user=%s: no such user%s%s", user, errno ? ": " : "",
		    errno ? strerror(errno) : "");
		return -1;
	}
	if (pw->pw_uid == 0) {
		log_err("user=%s is root; name an unprivileged user", user);
		return -1;
	}
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		log_err("dropping privileges to %s: %s", user, strerror(errno));
		return -1;
	}
	/* As OpenSSH's permanently_set_uid: make sure there is no way back. */
	if (setuid(0) != -1 || geteuid() != pw->pw_uid) {
		log_err("privileges could be regained after dropping them");
		return -1;
	}
	log_info("running as user %s (uid %u)", user, (unsigned)pw->pw_uid);
	return 0;
}

/* More descriptors for many concurrent connections; systemd's default soft
 * limit is 1024. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
open_pwauth(const struct conf *c, uid_t owner, struct pwauth **ret)
{
	*ret = NULL;
	if (!(c->all_grants & GRANT_PASSWORD))
		return 0;       /* no client may use it: nothing to open */
	if (c->backend == PW_BACKEND_PAM)
		/* One helper per worker thread, within the helpers' 1..16. */
		return pwauth_open_pam(c->pam_service, c->workers == 0 ? 0 :
		    c->workers > 16 ? 16 : c->workers, log_msg, ret);
	return pwauth_open_file(c->users_file, owner, log_msg, ret);
}

static int
open_store(const struct conf *c, struct store **ret)
{
	store_config sc;
	char *db = NULL;
	store_err se;

	if (asprintf(&db, "%s/jwt-issuerd.db", c->state_dir) < 0) {
		log_err("out of memory");
		return -1;
	}
	memset(&sc, 0, sizeof(sc));
	sc.db_path = db;
	sc.revoked_path = c->revoked_file;
	sc.max_failures = c->max_failures;
	sc.max_failures_addr = c->max_failures_addr;
	sc.lockout_initial = (unsigned)c->lockout_initial;
	sc.lockout_max = (unsigned)c->lockout_max;
	sc.family_ttl = (unsigned)c->refresh_token_lifetime;
	sc.log = log_msg;
	se = store_open(&sc, (int64_t)time(NULL), ret);
	if (se != STORE_OK)
		log_err("state store %s: %s", db, store_strerror(se));
	free(db);
	return se == STORE_OK ? 0 : -1;
}

static int
str_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

/* Settings bound at start-up: say so when a reload changes them. */
static void
warn_restart_needed(const struct conf *o, const struct conf *n)
{
	struct { const char *name; int differs; } f[] = {
		{ "[http] listen", str_differs(o->listen, n->listen) },
		{ "[http] threads", o->threads != n->threads },
		{ "[http] connection limits, timeout or memory",
		    o->connection_limit != n->connection_limit ||
		    o->per_ip_connection_limit != n->per_ip_connection_limit ||
		    o->connection_timeout != n->connection_timeout ||
		    o->connection_memory_limit != n->connection_memory_limit },
		{ "[http] tls_cert/tls_key", str_differs(o->tls_cert_pem,
		    n->tls_cert_pem) || str_differs(o->tls_key_pem, n->tls_key_pem) },
		{ "[issuer] user", str_differs(o->user, n->user) },
		{ "[issuer] state_dir/revoked_file", str_differs(o->state_dir,
		    n->state_dir) || str_differs(o->revoked_file, n->revoked_file) },
		{ "[issuer] refresh_token_lifetime",
		    o->refresh_token_lifetime != n->refresh_token_lifetime },
		{ "[password] backend, users_file, pam_service or workers",
		    o->backend != n->backend || o->workers != n->workers ||
		    str_differs(o->users_file, n->users_file) ||
		    str_differs(o->pam_service, n->pam_service) },
		{ "[password] lockout settings",
		    o->max_failures != n->max_failures ||
		    o->max_failures_addr != n->max_failures_addr ||
		    o->lockout_initial != n->lockout_initial ||
		    o->lockout_max != n->lockout_max },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i].differs)
			log_warning("reload: %s changed; it takes effect at the "
			    "next restart", f[i].name);
}

static void
reload(struct daemon *d)
{
	struct conf *n = NULL, *o;
	char err[600];

	sd_notify(0, "RELOADING=1\nSTATUS=reloading");
	log_info("reloading %s", d->config_path);
	o = conf_current();
	if (conf_load(d->config_path, d->file_owner, &n, err, sizeof(err)) != 0) {
		log_err("reload failed, keeping the running configuration: %s",
		    err);
		goto out;
	}
	if (oauth_check_client_ids(n, d->file_owner, err, sizeof(err)) != 0) {
		log_err("reload failed, keeping the running configuration: %s",
		    err);
		conf_unref(n);
		n = NULL;
		goto out;
	}
	if ((n->all_grants & GRANT_PASSWORD) && d->pw == NULL) {
		log_err("reload failed, keeping the running configuration: a "
		    "client now allows the password grant, but no password "
		    "backend was opened at start-up; restart instead");
		conf_unref(n);
		n = NULL;
		goto out;
	}
	if (d->pw != NULL && pwauth_reload(d->pw) != 0)
		log_warning("reload: the users file did not load; keeping the "
		    "previous users");
	warn_restart_needed(o, n);
	(void)oauth_check_budget(n);
	log_info("reloaded: signing key kid=%s, %zu key(s) published, %zu "
	    "client(s)", pjwt_key_kid(n->signing), pjwt_keyset_count(n->keys),
	    n->nclients);
	conf_set_current(n);
out:
	conf_unref(o);
	sd_notifyf(0, "READY=1\nSTATUS=serving; last reload %s",
	    n != NULL ? "succeeded" : "FAILED (see log)");
}

static int
get_listen_fd(const struct conf *c, const char *listen_arg)
{
	int n = sd_listen_fds(1);

	if (n < 0) {
		log_err("sd_listen_fds: %s", strerror(-n));
		return -1;
	}
	if (n > 1) {
		log_err("socket activation passed %d sockets; expected one", n);
		return -1;
	}
	if (n == 1) {
		if (sd_is_socket(SD_LISTEN_FDS_START, AF_UNSPEC, SOCK_STREAM,
		    1) <= 0) {
			log_err("socket activation: fd %d is not a listening "
			    "stream socket", SD_LISTEN_FDS_START);
			return -1;
		}
		log_info("using the socket passed by systemd");
		return SD_LISTEN_FDS_START;
	}
	return http_listen(listen_arg != NULL ? listen_arg :
	    c->listen != NULL ? c->listen : DEFAULT_LISTEN);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "check", no_argument, NULL, 't' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d;
	struct conf *c = NULL;
	const char *listen_arg = NULL;
	char err[600];
	int opt, check_only = 0, fd = -1, rc = 1;
	uint64_t wd_usec = 0;
	sigset_t set;
	time_t next_purge;

	memset(&d, 0, sizeof(d));
	d.config_path = DEFAULT_CONFIG;
	while ((opt = getopt_long(argc, argv, "c:l:tdhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			d.config_path = optarg;
			break;
		case 'l':
			listen_arg = optarg;
			break;
		case 't':
			check_only = 1;
			break;
		case 'd':
			log_set_debug(1);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("jwt-issuerd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	/* Trusted files belong to root, or to us when we run unprivileged. */
	d.file_owner = getuid();
	if (conf_parse(d.config_path, d.file_owner, &c, err, sizeof(err)) != 0) {
		log_err("%s", err);
		return 1;
	}
	if (oauth_check_client_ids(c, d.file_owner, err, sizeof(err)) != 0) {
		log_err("%s", err);
		conf_unref(c);
		return 1;
	}
	if (check_only) {
		if (conf_load_keys(c, d.file_owner, err, sizeof(err)) != 0) {
			log_err("%s", err);
			conf_unref(c);
			return 1;
		}
		(void)oauth_check_budget(c);
		printf("%s: OK: signing key kid=%s alg=%s, %zu key(s), %zu "
		    "client(s)\n", d.config_path, pjwt_key_kid(c->signing),
		    pjwt_alg_name(pjwt_key_alg(c->signing)),
		    pjwt_keyset_count(c->keys), c->nclients);
		conf_unref(c);
		return 0;
	}
	if (getuid() == 0 && c->user == NULL) {
		log_err("refusing to serve as root: set user= in [issuer]");
		goto out;
	}

	/* PAM helpers fork here: before any thread, and before a private key
	 * is in memory, so they never hold a copy of it. */
	if (open_pwauth(c, d.file_owner, &d.pw) != 0)
		goto out;
	if (conf_load_keys(c, d.file_owner, err, sizeof(err)) != 0) {
		log_err("%s", err);
		goto out;
	}
	if ((fd = get_listen_fd(c, listen_arg)) < 0)
		goto out;
	raise_nofile();
	if (getuid() == 0 && drop_privileges(c->user) != 0)
		goto out;
	if (open_store(c, &d.store) != 0)
		goto out;

	oauth_init(d.store, d.pw);
	(void)oauth_check_budget(c);
	conf_set_current(conf_ref(c));

	/* Every thread started from here on inherits this mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	d.http = http_start(c, fd, c->threads != 0 ? c->threads : cores(),
	    c->workers != 0 ? c->workers : cores());
	fd = -1;                /* http owns it, even on failure */
	if (d.http == NULL)
		goto out;
	log_info("jwt-issuerd %s ready: issuer %s, signing key kid=%s alg=%s, "
	    "%zu client(s)", PACKAGE_VERSION, c->issuer,
	    pjwt_key_kid(c->signing), pjwt_alg_name(pjwt_key_alg(c->signing)),
	    c->nclients);
	sd_notifyf(0, "READY=1\nSTATUS=serving; signing key kid=%s",
	    pjwt_key_kid(c->signing));
	if (sd_watchdog_enabled(0, &wd_usec) <= 0)
		wd_usec = 0;

	next_purge = time(NULL) + PURGE_INTERVAL;
	for (;;) {
		struct timespec ts;
		siginfo_t si;
		int sig;

		ts.tv_sec = PURGE_INTERVAL;
		ts.tv_nsec = 0;
		if (wd_usec != 0) {
			ts.tv_sec = (time_t)(wd_usec / 2 / 1000000);
			ts.tv_nsec = (long)(wd_usec / 2 % 1000000) * 1000;
		}
		sig = sigtimedwait(&set, &si, &ts);
		if (sig == SIGHUP) {
			reload(&d);
		} else if (sig == SIGTERM || sig == SIGINT) {
			log_info("%s: finishing requests in flight, then exiting",
			    sig == SIGTERM ? "SIGTERM" : "SIGINT");
			break;
		} else if (sig < 0 && errno != EAGAIN && errno != EINTR) {
			log_err("sigtimedwait: %s", strerror(errno));
			break;
		}
		if (wd_usec != 0)
			sd_notify(0, "WATCHDOG=1");
		if (time(NULL) >= next_purge) {
			unsigned purged = 0;

			if (store_purge(d.store, (int64_t)time(NULL), &purged) ==
			    STORE_OK && purged > 0)
				log_info("purged %u expired state rows", purged);
			next_purge = time(NULL) + PURGE_INTERVAL;
		}
	}
	sd_notify(0, "STOPPING=1\nSTATUS=draining");
	http_drain(d.http, DRAIN_TIMEOUT);
	d.http = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	http_drain(d.http, 0);
	store_close(d.store);
	pwauth_free(d.pw);
	conf_set_current(NULL);
	conf_unref(c);
	if (rc != 0)
		sd_notifyf(0, "STATUS=start-up failed\nERRNO=%d", EINVAL);
	return rc;
}
