/*
 * main.c - jwt-issuerd: command line, start-up order, privilege drop,
 * signals, systemd integration.
 *
 * Start-up order matters:
 *   1. parse and check the config (as the invoking user);
 *   2. open the password backend: the pam backend forks its root
 *      supervisor and helpers here, before any thread exists, while we are
 *      still root, and before the keys are loaded (they never hold a
 *      private key);
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
#include <sys/stat.h>
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
#define PAM_WATCH_INTERVAL 5     /* seconds between looks at the PAM helpers */

struct daemon {
	const char *config_path;
	uid_t file_owner;
	struct pwauth *pw;
	struct store *store;
	struct http *http;
	int pam_degraded;        /* last STATUS= said no PAM helper */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: jwt-issuerd [--config FILE] [--listen ADDR:PORT] [--debug]\n"
	    "       jwt-issuerd --check [--config FILE]\n"
	    "       jwt-issuerd --revoke-user NAME [--config FILE]\n"
	    "  -c, --config FILE    configuration (default %s)\n"
	    "  -l, --listen A:P     listen address, e.g. 127.0.0.1:8080 or "
	    "[::1]:8080\n"
	    "                       (overrides listen=; ignored under socket "
	    "activation)\n"
	    "  -t, --check          check the configuration, keys and users file\n"
	    "                       as a start would, then exit\n"
	    "  -R, --revoke-user N  end every refresh-token family of user N\n"
	    "                       (as the service user), then exit\n"
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
	if (c->backend == PW_BACKEND_PAM) {
		/* One helper per worker thread, within the helpers' 1..16. */
		if (pwauth_open_pam(c->pam_service, c->workers == 0 ? 0 :
		    c->workers > 16 ? 16 : c->workers, log_msg, ret) != 0)
			return -1;
		if (c->pam_timeout != 0)
			pwauth_set_pam_timeout(*ret, c->pam_timeout);
		return 0;
	}
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
		{ "[http] connection limits, timeouts or memory",
		    o->request_timeout != n->request_timeout ||
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
		{ "[password] backend, users_file, pam_service, workers or "
		    "pam_timeout",
		    o->backend != n->backend || o->workers != n->workers ||
		    o->pam_timeout != n->pam_timeout ||
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

/*
 * Log err; when we run as root and err is a "PATH: bad_owner" refusal of a
 * file some other user owns (the packages make the service user own them,
 * and systemd starts the daemon as that user), name the fix.
 */
static void
log_err_hint(const char *err, const char *config_path, int check_only)
{
	const char *p = strstr(err, ": bad_owner");
	char path[512];
	struct passwd *pw;
	struct stat st;
	size_t n;

	log_err("%s", err);
	if (getuid() != 0 || p == NULL || (n = (size_t)(p - err)) == 0 ||
	    n >= sizeof(path))
		return;
	memcpy(path, err, n);
	path[n] = '\0';
	if (stat(path, &st) != 0 || st.st_uid == 0)
		return;
	pw = getpwuid(st.st_uid);
	log_err("%s is owned by uid %u (%s), and a daemon started as root "
	    "trusts only root's files; run as that user instead: runuser -u %s "
	    "-- jwt-issuerd%s -c %s", path, (unsigned)st.st_uid,
	    pw != NULL ? pw->pw_name : "?", pw != NULL ? pw->pw_name : "USER",
	    check_only ? " -t" : "", config_path);
}

/* A user name the store can hold and an account can have: 1..256 bytes of
 * printable ASCII without space, ':' or '/'. */
static int
revoke_name_ok(const char *u)
{
	size_t i, n = strnlen(u, PWAUTH_USER_MAX + 1);

	if (n == 0 || n > PWAUTH_USER_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (u[i] <= 0x20 || u[i] >= 0x7f || u[i] == ':' || u[i] == '/')
			return 0;
	return 1;
}

struct user_list {
	char **v;
	size_t n, cap;
};

static int
user_list_add(const char *user, void *arg)
{
	struct user_list *l = arg;

	if (l->n == l->cap) {
		size_t nc = l->cap != 0 ? l->cap * 2 : 16;
		char **nv = realloc(l->v, nc * sizeof(*nv));

		if (nv == NULL)
			return -1;
		l->v = nv;
		l->cap = nc;
	}
	if ((l->v[l->n] = strdup(user)) == NULL)
		return -1;
	l->n++;
	return 0;
}

static void
user_list_free(struct user_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static void
revoke_logged(struct store *s, const char *user, const char *why)
{
	unsigned n = 0;
	store_err se = store_revoke_user(s, user, (int64_t)time(NULL), &n);

	if (se != STORE_OK)
		log_err("user=%s %s: revoking the refresh families failed: %s",
		    user, why, store_strerror(se));
	else
		log_notice("user=%s %s: %u refresh famil%s revoked", user, why,
		    n, n == 1 ? "y" : "ies");
}

/*
 * End the families of users the users file no longer lets in (removed or
 * locked, also while the daemon was down).  File backend only: there a
 * check is a table lookup; with pam every refresh re-checks the account.
 */
static void
sweep_families(struct daemon *d)
{
	struct user_list l = { NULL, 0, 0 };

	if (!pwauth_has_list(d->pw) || d->store == NULL)
		return;
	if (store_family_users(d->store, (int64_t)time(NULL), user_list_add,
	    &l) != STORE_OK)
		log_err("cannot list the users with refresh families");
	else
		for (size_t i = 0; i < l.n; i++)
			if (pwauth_account(d->pw, l.v[i]) == PWAUTH_DENIED)
				revoke_logged(d->store, l.v[i],
				    "not in the users file (or locked)");
	user_list_free(&l);
}

static void
user_gone(const char *user, const char *why, void *arg)
{
	struct daemon *d = arg;

	revoke_logged(d->store, user, why);
}

/*
 * Started as root we serve as user=: it must be set, exist and not be root.
 * A start and -t both run this.
 */
static int
check_service_user(const struct conf *c)
{
	struct passwd *pw;

	if (getuid() != 0)
		return 0;
	if (c->user == NULL) {
		log_err("refusing to serve as root: set user= in [issuer]");
		return -1;
	}
	errno = 0;
	if ((pw = getpwnam(c->user)) == NULL) {
		log_err("user=%s: no such user%s%s", c->user, errno ? ": " : "",
		    errno ? strerror(errno) : "");
		return -1;
	}
	if (pw->pw_uid == 0) {
		log_err("user=%s is root; name an unprivileged user", c->user);
		return -1;
	}
	return 0;
}

/*
 * The checks a start makes of the files that config c names, without
 * starting anything: the service user, the keys and TLS files, and the
 * users file (the same loader as a start and a reload).  -t runs exactly
 * this.
 */
static int
check_files(struct conf *c, uid_t owner, const char *config_path,
    int check_only)
{
	char err[600];
	struct pwauth *pa = NULL;

	if (conf_load_keys(c, owner, err, sizeof(err)) != 0) {
		log_err_hint(err, config_path, check_only);
		return -1;
	}
	if ((c->all_grants & GRANT_PASSWORD) && c->backend != PW_BACKEND_PAM) {
		if (pwauth_open_file(c->users_file, owner, log_msg, &pa) != 0)
			return -1;
		pwauth_free(pa);
	}
	return check_service_user(c);
}

/* jwt-issuerd --revoke-user NAME: as the service user, on the store. */
static int
revoke_user_cmd(const struct conf *c, const char *user)
{
	struct store *s = NULL;
	unsigned n = 0;
	store_err se;

	if (getuid() == 0 && (c->user == NULL || drop_privileges(c->user) != 0)) {
		if (c->user == NULL)
			log_err("refusing to open the store as root: set user= "
			    "in [issuer]");
		return 1;
	}
	if (open_store(c, &s) != 0)
		return 1;
	se = store_revoke_user(s, user, (int64_t)time(NULL), &n);
	store_close(s);
	if (se != STORE_OK) {
		log_err("revoking the refresh families of %s: %s", user,
		    store_strerror(se));
		return 1;
	}
	printf("user %s: %u refresh famil%s revoked\n", user, n,
	    n == 1 ? "y" : "ies");
	log_notice("--revoke-user: user=%s: %u refresh famil%s revoked", user,
	    n, n == 1 ? "y" : "ies");
	return 0;
}

/* Tell systemd (STATUS=) when the pam backend has no helper that can
 * answer, and when it has again; /healthz says the same on its own. */
static void
watch_pam(struct daemon *d)
{
	int n;

	pwauth_maintain(d->pw);
	n = pwauth_helpers_available(d->pw);
	if (n < 0 || (n == 0) == d->pam_degraded)
		return;
	d->pam_degraded = n == 0;
	if (d->pam_degraded) {
		log_err("pam backend degraded: no PAM helper can answer "
		    "(stalled or being replaced); password grants fail");
		sd_notify(0, "STATUS=serving; DEGRADED: no PAM helper "
		    "available, password grants fail");
	} else {
		log_notice("pam backend: helpers available again");
		sd_notify(0, "STATUS=serving; PAM helpers available again");
	}
}

static void
reload(struct daemon *d)
{
	struct conf *n = NULL, *o;
	const char *failed = NULL;
	char err[600];

	sd_notify(0, "RELOADING=1\nSTATUS=reloading");
	log_info("reloading %s", d->config_path);
	o = conf_current();
	if (conf_load(d->config_path, d->file_owner, &n, err, sizeof(err)) != 0) {
		log_err("reload failed, keeping the running configuration: %s",
		    err);
		failed = "configuration not reloaded (see log)";
		goto out;
	}
	if (oauth_check_client_ids(n, d->file_owner, err, sizeof(err)) != 0) {
		log_err("reload failed, keeping the running configuration: %s",
		    err);
		conf_unref(n);
		n = NULL;
		failed = "configuration not reloaded (see log)";
		goto out;
	}
	if ((n->all_grants & GRANT_PASSWORD) && d->pw == NULL) {
		log_err("reload failed, keeping the running configuration: a "
		    "client now allows the password grant, but no password "
		    "backend was opened at start-up; restart instead");
		conf_unref(n);
		n = NULL;
		failed = "configuration not reloaded (see log)";
		goto out;
	}
	if (d->pw != NULL && pwauth_reload_notify(d->pw, user_gone, d) != 0) {
		/* Loud: the old list stays, so a user the admin removed can
		 * still log in until this is fixed. */
		log_err("reload: the users file did not load; the PREVIOUS "
		    "users stay in force (removed users can still log in) "
		    "until it is fixed and reloaded");
		failed = "users file not reloaded (see log); previous users in "
		    "force";
	} else
		sweep_families(d);
	warn_restart_needed(o, n);
	(void)oauth_check_budget(n);
	log_info("reloaded: signing key kid=%s, %zu key(s) published, %zu "
	    "client(s)", pjwt_key_kid(n->signing), pjwt_keyset_count(n->keys),
	    n->nclients);
	conf_set_current(n);
out:
	conf_unref(o);
	if (failed != NULL) {
		char detail[200];

		snprintf(detail, sizeof(detail), "last reload failed: %s",
		    failed);
		oauth_health_set(detail);
	} else
		oauth_health_set(NULL);
	sd_notifyf(0, "READY=1\nSTATUS=serving; last reload %s%s",
	    failed != NULL ? "FAILED: " : "succeeded",
	    failed != NULL ? failed : "");
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
		{ "revoke-user", required_argument, NULL, 'R' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d;
	struct conf *c = NULL;
	const char *listen_arg = NULL, *revoke_user = NULL;
	char err[600];
	int opt, check_only = 0, fd = -1, rc = 1;
	uint64_t wd_usec = 0;
	sigset_t set;
	time_t next_purge;

	memset(&d, 0, sizeof(d));
	d.config_path = DEFAULT_CONFIG;
	while ((opt = getopt_long(argc, argv, "c:l:tR:dhV", longopts, NULL)) != -1) {
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
		case 'R':
			revoke_user = optarg;
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
	if (optind != argc || (check_only && revoke_user != NULL)) {
		usage(stderr);
		return 2;
	}
	if (revoke_user != NULL && !revoke_name_ok(revoke_user)) {
		log_err("--revoke-user: not a user name (1..%d printable "
		    "characters, no space, ':' or '/')", PWAUTH_USER_MAX);
		return 2;
	}

	/* Trusted files belong to root, or to us when we run unprivileged. */
	d.file_owner = getuid();
	if (conf_parse(d.config_path, d.file_owner, &c, err, sizeof(err)) != 0) {
		log_err_hint(err, d.config_path, check_only);
		return 1;
	}
	if (revoke_user != NULL) {
		rc = revoke_user_cmd(c, revoke_user);
		conf_unref(c);
		return rc;
	}
	/* Client ids are checked against the users after the users file
	 * itself passed its own checks, so its error is the one reported. */
	if (check_only) {
		if (check_files(c, d.file_owner, d.config_path, 1) != 0) {
			conf_unref(c);
			return 1;
		}
		if (oauth_check_client_ids(c, d.file_owner, err,
		    sizeof(err)) != 0) {
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
	if (check_service_user(c) != 0)
		goto out;

	/* PAM helpers fork here: before any thread, and before a private key
	 * is in memory, so they never hold a copy of it. */
	if (open_pwauth(c, d.file_owner, &d.pw) != 0)
		goto out;
	if (oauth_check_client_ids(c, d.file_owner, err, sizeof(err)) != 0) {
		log_err("%s", err);
		goto out;
	}
	if (conf_load_keys(c, d.file_owner, err, sizeof(err)) != 0) {
		log_err_hint(err, d.config_path, 0);
		goto out;
	}
	if ((fd = get_listen_fd(c, listen_arg)) < 0)
		goto out;
	raise_nofile();
	if (getuid() == 0 && drop_privileges(c->user) != 0)
		goto out;
	if (open_store(c, &d.store) != 0)
		goto out;

	/* Users removed from the file while we were down lose their
	 * families now, not at their next refresh. */
	sweep_families(&d);
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
		/* The pam backend's helpers: look every few seconds. */
		if (pwauth_helpers_available(d.pw) >= 0 &&
		    ts.tv_sec >= PAM_WATCH_INTERVAL) {
			ts.tv_sec = PAM_WATCH_INTERVAL;
			ts.tv_nsec = 0;
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
		watch_pam(&d);
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
