/*
 * jwtctl_cache.c - the user's side of a login: settings (options, then
 * JWTCTL_ISSUER / JWTCTL_USER, then ~/.config/jwtctl/config), the token
 * cache and the password prompt.
 *
 * The cache: $XDG_CACHE_HOME/jwtctl/ (default ~/.cache/jwtctl/), mode 0700
 * and ours, else refused.  One file per issuer + user, named by the hex
 * SHA-256 of "ISSUER\nUSER" (no user-controlled text in a file name),
 * mode 0600, replaced atomically; a sibling ".lock" file carries the flock
 * that serialises refreshes (two `jwtctl token` at once: the second waits,
 * then finds the token the first stored).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "pjwt_file.h"
#include "pjwt_mem.h"
#include "jwtctl_client.h"

#define CONF_MAX ((size_t)64 << 10)
#define CACHE_FILE_MAX ((size_t)256 << 10)
#define LOCK_WAIT_MS 60000

/* ---- small helpers ------------------------------------------------------- */

int
ctl_set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (s == NULL)
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

static char *
join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 1;
	char *s = malloc(n);

	if (s != NULL)
		snprintf(s, n, "%s%s", a, b);
	return s;
}

/* The user's home: $HOME when absolute, else the password database. */
static const char *
home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h != NULL && h[0] == '/')
		return h;
	pw = getpwuid(getuid());
	return pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/' ?
	    pw->pw_dir : NULL;
}

/* $XDG_x_HOME when absolute (the spec ignores relative ones), else ~/dflt. */
static char *
xdg_dir(const char *var, const char *dflt)
{
	const char *x = getenv(var), *h;

	if (x != NULL && x[0] == '/')
		return strdup(x);
	if ((h = home_dir()) == NULL)
		return NULL;
	return join(h, dflt);
}

/* ---- "key = value" files ------------------------------------------------- */

static char *
trim(char *s, char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r'))
		end--;
	*end = '\0';
	return s;
}

enum outcome
ctl_conf_parse(const char *cmd, const char *path, int missing_ok,
    ctl_conf_fn *fn, void *arg)
{
	char *buf = NULL, *p, *end;
	size_t len = 0, lineno = 0;
	pjwt_err r;

	r = pjwt_file_read(path, getuid(), CONF_MAX, &buf, &len);
	if (r == PJWT_E_IO && errno == ENOENT && missing_ok)
		return OUT_OK;
	if (r == PJWT_E_FILE_OWNER) {
		ctl_err("%s: '%s' is not owned by uid %u; refusing it", cmd, path,
		    (unsigned)getuid());
		return OUT_CONFIG;
	}
	if (r != PJWT_OK)
		return ctl_file_error(cmd, path, r, errno);
	if (memchr(buf, '\0', len) != NULL) {
		ctl_err("%s: %s: not a text file", cmd, path);
		pjwt_secret_free(buf, len + 1);
		return OUT_CONFIG;
	}
	for (p = buf; p < buf + len; p = end + 1) {
		char *nl = memchr(p, '\n', (size_t)(buf + len - p)), *eq, *k, *v;

		end = nl != NULL ? nl : buf + len;
		lineno++;
		*end = '\0';
		k = trim(p, end);
		if (*k == '\0' || *k == '#' || *k == ';')
			continue;
		if ((eq = strchr(k, '=')) == NULL) {
			ctl_err("%s: %s:%zu: expected 'key = value'", cmd, path,
			    lineno);
			goto bad;
		}
		v = trim(eq + 1, k + strlen(k));
		k = trim(k, eq);
		if (fn(k, v, arg) != 0) {
			char shown[64];

			ctl_err("%s: %s:%zu: unknown key or bad value for '%s'",
			    cmd, path, lineno, ctl_printable(k, shown,
			    sizeof(shown)));
			goto bad;
		}
	}
	pjwt_secret_free(buf, len + 1);
	return OUT_OK;
 bad:
	pjwt_secret_free(buf, len + 1);
	return OUT_CONFIG;
}

static int
parse_bool(const char *v, int *ret)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "1") == 0)
		*ret = 1;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "0") == 0)
		*ret = 0;
	else
		return -1;
	return 0;
}

/* ~/.config/jwtctl/config: fills only what is still unset. */
static int
settings_key(const char *k, const char *v, void *arg)
{
	struct ctl_settings *s = arg;
	char **dst = NULL;

	if (strcmp(k, "issuer") == 0)
		dst = &s->issuer;
	else if (strcmp(k, "user") == 0) {
		dst = &s->user;
		if (s->user == NULL)
			s->user_given = 1;
	} else if (strcmp(k, "client_id") == 0)
		dst = &s->client_id;
	else if (strcmp(k, "scope") == 0)
		dst = &s->scope;
	else if (strcmp(k, "cacert") == 0)
		dst = &s->cacert;
	else if (strcmp(k, "insecure_http") == 0) {
		int b;

		if (parse_bool(v, &b) != 0)
			return -1;
		if (s->insecure_http < 0)
			s->insecure_http = b;
		return 0;
	} else
		return -1;
	if (*v == '\0')
		return -1;
	if (*dst != NULL)
		return 0;
	return ctl_set_str(dst, v);
}

enum outcome
ctl_settings_load(const char *cmd, struct ctl_settings *s)
{
	const char *e;
	char *dir, *path;
	enum outcome o;

	if (s->issuer == NULL && (e = getenv("JWTCTL_ISSUER")) != NULL &&
	    *e != '\0' && ctl_set_str(&s->issuer, e) != 0)
		goto nomem;
	if (s->user == NULL && (e = getenv("JWTCTL_USER")) != NULL &&
	    *e != '\0') {
		if (ctl_set_str(&s->user, e) != 0)
			goto nomem;
		s->user_given = 1;
	}
	if ((dir = xdg_dir("XDG_CONFIG_HOME", "/.config")) != NULL) {
		path = join(dir, "/jwtctl/config");
		free(dir);
		if (path == NULL)
			goto nomem;
		o = ctl_conf_parse(cmd, path, 1, settings_key, s);
		free(path);
		if (o != OUT_OK)
			return o;
	}
	if (s->client_id == NULL &&
	    ctl_set_str(&s->client_id, DEFAULT_CLIENT_ID) != 0)
		goto nomem;
	if (s->insecure_http < 0)
		s->insecure_http = 0;
	if (s->user == NULL) {
		struct passwd *pw = getpwuid(getuid());

		if (pw == NULL || pw->pw_name == NULL) {
			ctl_err("%s: who are you? (no user name for uid %u; "
			    "give --user)", cmd, (unsigned)getuid());
			return OUT_USAGE;
		}
		if (ctl_set_str(&s->user, pw->pw_name) != 0)
			goto nomem;
	}
	return OUT_OK;
 nomem:
	ctl_err("%s: out of memory", cmd);
	return OUT_FAILURE;
}

void
ctl_settings_clear(struct ctl_settings *s)
{
	free(s->issuer);
	free(s->user);
	free(s->client_id);
	free(s->scope);
	free(s->cacert);
	memset(s, 0, sizeof(*s));
	s->insecure_http = -1;
}

/* ---- the cache directory ------------------------------------------------- */

/* check_dir: ours, a directory, no access for group or others. */
static enum outcome
check_dir(const char *cmd, const char *dir)
{
	struct stat st;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		if (e == ENOENT)
			return OUT_REFUSED;
		ctl_err("%s: cannot open the cache directory '%s': %s", cmd, dir,
		    e == ELOOP || e == ENOTDIR ? "not a directory (symbolic "
		    "links are refused)" : strerror(e));
		return OUT_CONFIG;
	}
	close(fd);
	if (st.st_uid != getuid()) {
		ctl_err("%s: the cache directory '%s' is not yours (uid %u); "
		    "refusing it", cmd, dir, (unsigned)st.st_uid);
		return OUT_CONFIG;
	}
	if ((st.st_mode & 077) != 0) {
		ctl_err("%s: the cache directory '%s' is accessible to group or "
		    "others (mode %04o); refusing it (chmod 700 '%s')", cmd, dir,
		    (unsigned)(st.st_mode & 07777), dir);
		return OUT_CONFIG;
	}
	return OUT_OK;
}

static char *
cache_dir(void)
{
	char *base = xdg_dir("XDG_CACHE_HOME", "/.cache"), *d;

	if (base == NULL)
		return NULL;
	d = join(base, "/jwtctl");
	free(base);
	return d;
}

/* SHA-256 of "ISSUER\nUSER" in hex: 64 characters and a NUL. */
static int
cache_name(const char *issuer, const char *user, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, issuer, strlen(issuer)) == 1 &&
	    EVP_DigestUpdate(ctx, "\n", 1) == 1 &&
	    EVP_DigestUpdate(ctx, user, strlen(user)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &n) == 1 && n == sizeof(md);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	for (size_t i = 0; i < sizeof(md); i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}

/* mkdir -m 0700, parents too (those get 0700 as well, like XDG wants). */
static int
make_dir(char *dir)
{
	char *p;

	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

enum outcome
ctl_cache_open(const char *cmd, const char *issuer, const char *user,
    int create, struct ctl_cache *ret)
{
	char name[70];
	enum outcome o;

	ret->dir = ret->path = ret->lock_path = NULL;
	ret->lock_fd = -1;
	ret->missing = 0;
	if ((ret->dir = cache_dir()) == NULL) {
		ctl_err("%s: no home directory for the token cache (set HOME or "
		    "XDG_CACHE_HOME)", cmd);
		return OUT_CONFIG;
	}
	if (cache_name(issuer, user, name) != 0) {
		ctl_err("%s: SHA-256 failed", cmd);
		return OUT_FAILURE;
	}
	ret->path = malloc(strlen(ret->dir) + 72);
	ret->lock_path = malloc(strlen(ret->dir) + 72);
	if (ret->path == NULL || ret->lock_path == NULL) {
		ctl_err("%s: out of memory", cmd);
		return OUT_FAILURE;
	}
	memcpy(name + 64, ".json", 6);
	sprintf(ret->path, "%s/%s", ret->dir, name);
	memcpy(name + 64, ".lock", 6);
	sprintf(ret->lock_path, "%s/%s", ret->dir, name);
	o = check_dir(cmd, ret->dir);
	if (o == OUT_REFUSED && create) {
		if (make_dir(ret->dir) != 0) {
			ctl_err("%s: cannot create the cache directory '%s': %s",
			    cmd, ret->dir, strerror(errno));
			return OUT_CONFIG;
		}
		o = check_dir(cmd, ret->dir);
	}
	if (o == OUT_REFUSED)
		ret->missing = 1;
	return o;
}

/*
 * ctl_cache_lock: hold the cache's lock file (flock).  logout deletes the
 * lock file while holding it, so a lock won on a file that is no longer at
 * lock_path locks nothing anyone else sees: then open again and retry.
 * Bounded by LOCK_WAIT_MS in all.
 */
enum outcome
ctl_cache_lock(const char *cmd, struct ctl_cache *c)
{
	struct stat st, now;
	int fd, waited = 0;

	for (;;) {
		fd = open(c->lock_path, O_RDWR | O_CREAT | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
		    st.st_uid != getuid()) {
			ctl_err("%s: cannot use the lock file '%s': %s", cmd,
			    c->lock_path, fd < 0 ? strerror(errno) : "not our "
			    "regular file");
			if (fd >= 0)
				close(fd);
			return OUT_CONFIG;
		}
		/* Bounded: a holder is itself bounded by the HTTP timeouts. */
		while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			struct timespec ts = { 0, 50 * 1000 * 1000 };

			if ((errno != EWOULDBLOCK && errno != EINTR) ||
			    waited >= LOCK_WAIT_MS) {
				ctl_err("%s: cannot lock '%s': %s", cmd,
				    c->lock_path, errno == EWOULDBLOCK ?
				    "another jwtctl holds it" : strerror(errno));
				close(fd);
				return OUT_FAILURE;
			}
			nanosleep(&ts, NULL);
			waited += 50;
		}
		if (lstat(c->lock_path, &now) == 0 && now.st_dev == st.st_dev &&
		    now.st_ino == st.st_ino)
			break;
		/* Deleted (logout) or replaced while we waited. */
		close(fd);
		if (waited >= LOCK_WAIT_MS) {
			ctl_err("%s: cannot lock '%s': it keeps being replaced",
			    cmd, c->lock_path);
			return OUT_FAILURE;
		}
		waited += 50;
	}
	c->lock_fd = fd;
	return OUT_OK;
}

enum outcome
ctl_cache_read(const char *cmd, struct ctl_cache *c, json_t **ret)
{
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	json_t *j;
	pjwt_err r;

	r = pjwt_file_read(c->path, getuid(), CACHE_FILE_MAX, &buf, &len);
	if (r == PJWT_E_IO && errno == ENOENT) {
		c->missing = 1;
		return OUT_REFUSED;
	}
	if (r != PJWT_OK) {
		if (r == PJWT_E_FILE_OWNER)
			ctl_err("%s: the cache file '%s' is not yours", cmd,
			    c->path);
		else
			ctl_file_error(cmd, c->path, r, errno);
		return r == PJWT_E_NOMEM ? OUT_FAILURE : OUT_CONFIG;
	}
	/* It holds a refresh token: nobody else may read it either. */
	if (stat(c->path, &st) == 0 && (st.st_mode & 077) != 0) {
		ctl_err("%s: the cache file '%s' is accessible to group or "
		    "others; refusing it (chmod 600)", cmd, c->path);
		pjwt_secret_free(buf, len + 1);
		return OUT_CONFIG;
	}
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	pjwt_secret_free(buf, len + 1);
	if (j == NULL || !json_is_object(j)) {
		ctl_err("%s: the cache file '%s' is damaged; run jwtctl login",
		    cmd, c->path);
		json_decref(j);
		return OUT_REFUSED;
	}
	*ret = j;
	return OUT_OK;
}

enum outcome
ctl_cache_write(const char *cmd, struct ctl_cache *c, const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	pjwt_err r;

	if (s == NULL) {
		ctl_err("%s: out of memory", cmd);
		return OUT_FAILURE;
	}
	r = pjwt_file_write_atomic(c->path, s, strlen(s), 0600);
	pjwt_str_free(s);
	if (r != PJWT_OK) {
		ctl_err("%s: cannot write the cache file '%s': %s", cmd, c->path,
		    r == PJWT_E_IO ? strerror(errno) : pjwt_strerror(r));
		return r == PJWT_E_NOMEM ? OUT_FAILURE : OUT_CONFIG;
	}
	return OUT_OK;
}

enum outcome
ctl_cache_remove(const char *cmd, struct ctl_cache *c)
{
	if (unlink(c->path) != 0 && errno != ENOENT) {
		ctl_err("%s: cannot delete '%s': %s", cmd, c->path,
		    strerror(errno));
		return OUT_CONFIG;
	}
	return OUT_OK;
}

void
ctl_cache_close(struct ctl_cache *c)
{
	if (c->lock_fd >= 0)
		close(c->lock_fd);      /* releases the flock */
	free(c->dir);
	free(c->path);
	free(c->lock_path);
	c->dir = c->path = c->lock_path = NULL;
	c->lock_fd = -1;
	c->missing = 0;
}

/* Is name "<64 hex>.json"? */
static int
is_cache_name(const char *name)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		    (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return strcmp(name + 64, ".json") == 0;
}

enum outcome
ctl_cache_find(const char *cmd, const char *user, char **ret_issuer,
    char **ret_user)
{
	char *dir = cache_dir(), *iss = NULL, *usr = NULL;
	enum outcome o;
	struct dirent *de;
	unsigned found = 0;
	int nomem = 0;
	DIR *d;

	if (dir == NULL) {
		ctl_err("%s: no home directory for the token cache (set HOME or "
		    "XDG_CACHE_HOME)", cmd);
		return OUT_CONFIG;
	}
	if ((o = check_dir(cmd, dir)) != OUT_OK)
		goto none;
	if ((d = opendir(dir)) == NULL) {
		ctl_err("%s: cannot read '%s': %s", cmd, dir, strerror(errno));
		free(dir);
		return OUT_CONFIG;
	}
	while ((de = readdir(d)) != NULL) {
		const char *i, *u;
		char *path, *buf = NULL;
		size_t len = 0;
		json_t *j;

		if (!is_cache_name(de->d_name) ||
		    (path = malloc(strlen(dir) + 72)) == NULL)
			continue;
		sprintf(path, "%s/%s", dir, de->d_name);
		/* Quietly skip what cannot be read: this is only a guess. */
		if (pjwt_file_read(path, getuid(), CACHE_FILE_MAX, &buf,
		    &len) != PJWT_OK) {
			free(path);
			continue;
		}
		free(path);
		j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
		pjwt_secret_free(buf, len + 1);
		i = json_string_value(json_object_get(j, "issuer"));
		u = json_string_value(json_object_get(j, "user"));
		if (i != NULL && u != NULL &&
		    (user == NULL || strcmp(user, u) == 0)) {
			found++;
			if (found == 1 && (ctl_set_str(&iss, i) != 0 ||
			    ctl_set_str(&usr, u) != 0))
				nomem = 1;
		}
		json_decref(j);
	}
	closedir(d);
	if (nomem) {
		ctl_err("%s: out of memory", cmd);
		free(iss);
		free(usr);
		free(dir);
		return OUT_FAILURE;
	}
	if (found == 1) {
		*ret_issuer = iss;
		*ret_user = usr;
		free(dir);
		return OUT_OK;
	}
	free(iss);
	free(usr);
	if (found > 1) {
		ctl_err("%s: several cached logins%s%s: choose one with --issuer "
		    "(or JWTCTL_ISSUER)", cmd, user != NULL ? " for " : "",
		    user != NULL ? user : "");
		free(dir);
		return OUT_USAGE;
	}
	o = OUT_REFUSED;
 none:
	if (o == OUT_REFUSED)
		ctl_err("%s: not logged in (no issuer given and no cached login)"
		    "%s", cmd, strcmp(cmd, "logout") == 0 ? "" :
		    ": run jwtctl login --issuer URL");
	free(dir);
	return o;
}

/* ---- the password -------------------------------------------------------- */

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
}

/* read_line: one line from fd into buf (cap bytes incl. NUL), no newline.
 * 0, 1 (too long: the rest of the line is read and dropped), -1 (errno). */
static int
read_line(int fd, char *buf, size_t cap, size_t *ret_len)
{
	size_t len = 0;
	int toolong = 0;

	for (;;) {
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n < 0) {
			if (errno == EINTR && !got_signal)
				continue;
			return -1;
		}
		if (n == 0 || c == '\n')
			break;
		if (len + 1 < cap)
			buf[len++] = c;
		else
			toolong = 1;
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	*ret_len = len;
	return toolong;
}

enum outcome
ctl_read_password(const char *cmd, const char *prompt, int from_stdin,
    char **ret)
{
	static const int sigs[] = { SIGINT, SIGHUP, SIGQUIT, SIGTERM, SIGTSTP,
	    SIGTTIN, SIGTTOU };
	struct sigaction sa, old[sizeof(sigs) / sizeof(sigs[0])];
	struct termios t, saved;
	size_t cap = PASSWORD_MAX + 2, len = 0;
	char *buf;
	int fd = STDIN_FILENO, rc, err = 0, tty = 0;
	size_t i;

	if ((buf = malloc(cap)) == NULL) {
		ctl_err("%s: out of memory", cmd);
		return OUT_FAILURE;
	}
	if (from_stdin) {
		rc = read_line(fd, buf, cap, &len);
		err = errno;
		goto done;
	}
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 ||
	    tcgetattr(fd, &saved) != 0) {
		if (fd >= 0)
			close(fd);
		pjwt_secret_free(buf, cap);
		ctl_err("%s: no terminal to ask for the password on; use "
		    "--password-stdin", cmd);
		return OUT_USAGE;
	}
	tty = 1;
	/* Restore the echo whatever signal arrives, then let it act. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	got_signal = 0;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, &old[i]);
	t = saved;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	(void)!write(fd, prompt, strlen(prompt));
	tcsetattr(fd, TCSAFLUSH, &t);
	rc = read_line(fd, buf, cap, &len);
	err = errno;
	tcsetattr(fd, TCSAFLUSH, &saved);
	(void)!write(fd, "\n", 1);
	close(fd);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &old[i], NULL);
	if (got_signal) {
		pjwt_secret_free(buf, cap);
		raise(got_signal);
		ctl_err("%s: interrupted", cmd);
		return OUT_FAILURE;
	}
 done:
	if (rc < 0) {
		pjwt_secret_free(buf, cap);
		ctl_err("%s: cannot read the password: %s", cmd, strerror(err));
		return OUT_FAILURE;
	}
	if (rc > 0 || len > PASSWORD_MAX) {
		pjwt_secret_free(buf, cap);
		ctl_err("%s: the password is longer than %d bytes", cmd,
		    PASSWORD_MAX);
		return OUT_USAGE;
	}
	if (len == 0) {
		pjwt_secret_free(buf, cap);
		ctl_err("%s: empty password%s", cmd, tty ? "" :
		    " on standard input");
		return OUT_USAGE;
	}
	*ret = buf;
	return OUT_OK;
}
