/*
 * pw_file.c - the `file` password backend: `name:crypt-hash` lines.
 *
 * The table is immutable once parsed; a reload builds a new one and swaps it
 * in under a write lock, so checks (read lock, held only to copy one hash)
 * never see half a file.  The slow part, crypt_rn, runs outside the lock
 * with a per-call crypt_data, so checks run in parallel.
 *
 * Unknown (or locked) users are hashed against a dummy hash whose setting
 * (method, cost and salt) is copied from the first real entry, so their
 * check costs exactly what a real user's does with the typical cost.
 */
#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <syslog.h>

#include "pjwt_err.h"
#include "pjwt_file.h"
#include "pjwt_mem.h"
#include "pjwt_user.h"
#include "pjwt_user_crypt.h"
#include "pwauthp.h"

_Static_assert(PWAUTH_PASSWORD_MAX < CRYPT_MAX_PASSPHRASE_SIZE,
    "libcrypt must accept every password we pass on");

/* Report at most this many bad lines of one file. */
#define MAX_REPORTED 20

typedef struct entry {
	char name[PWAUTH_FILE_NAME_MAX + 1];
	char *hash;                   /* NULL for a locked user */
	unsigned line;
} entry;

typedef struct table {
	entry *v;
	size_t n;
	char *dummy;                  /* full dummy hash */
} table;

struct pwfile {
	pthread_rwlock_t lock;
	table *t;
	char *path;
	uid_t owner;
	issuerd_log_fn *log;
};

static table *
table_free(table *t)
{
	size_t i;

	if (t == NULL)
		return NULL;
	for (i = 0; i < t->n; i++)
		pjwt_str_free(t->v[i].hash);
	free(t->v);
	pjwt_str_free(t->dummy);
	free(t);
	return NULL;
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

/*
 * Make the dummy hash: a random password hashed with the setting (prefix up
 * to the last '$') of setting_from, or with a fresh default yescrypt setting.
 */
static char *
make_dummy(const char *setting_from, issuerd_log_fn *log)
{
	struct crypt_data *cd = NULL;
	char setting[CRYPT_OUTPUT_SIZE];
	unsigned char rnd[16];
	char pw[sizeof(rnd) * 2 + 1];
	const char *out, *dollar;
	char *res = NULL;
	size_t i, n;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		goto out;
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(pw + 2 * i, 3, "%02x", rnd[i]);
	if (setting_from != NULL &&
	    (dollar = strrchr(setting_from, '$')) != NULL &&
	    (n = (size_t)(dollar - setting_from)) > 0 && n < sizeof(setting)) {
		memcpy(setting, setting_from, n);
		setting[n] = '\0';
	} else if (crypt_gensalt_rn("$y$", 0, NULL, 0, setting,
	    sizeof(setting)) == NULL)
		goto out;
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		goto out;
	out = crypt_rn(pw, setting, cd, sizeof(*cd));
	if (out == NULL || out[0] == '*')
		goto out;
	res = strdup(out);
 out:
	if (res == NULL)
		pwauthp_log(log, LOG_ERR, "users file: cannot make the dummy hash");
	explicit_bzero(rnd, sizeof(rnd));
	explicit_bzero(pw, sizeof(pw));
	if (cd != NULL)
		pjwt_secret_free(cd, sizeof(*cd));
	return res;
}

/* Building a table from pjwt_users_parse's callbacks. */
typedef struct parse_ctx {
	table *t;
	size_t cap;
	const char *first_hash;
	const char *path;
	issuerd_log_fn *log;
	unsigned bad;
} parse_ctx;

static int
parse_entry(void *arg, unsigned line, const pjwt_user_line *l)
{
	parse_ctx *c = arg;
	table *t = c->t;
	entry *e;

	if (t->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 16;
		entry *nv = realloc(t->v, nc * sizeof(*nv));

		if (nv == NULL)
			return -1;
		t->v = nv;
		c->cap = nc;
	}
	e = &t->v[t->n];
	memset(e, 0, sizeof(*e));
	memcpy(e->name, l->name, l->name_len);
	e->line = line;
	if (!l->locked) {
		if ((e->hash = strndup(l->hash, l->hash_len)) == NULL)
			return -1;
		if (c->first_hash == NULL)
			c->first_hash = e->hash;
	}
	t->n++;
	return 0;
}

static void
parse_bad(void *arg, unsigned line, const char *msg)
{
	parse_ctx *c = arg;

	if (c->bad++ < MAX_REPORTED)
		pwauthp_log(c->log, LOG_ERR, "%s:%u: %s", c->path, line, msg);
}

/*
 * Strictly parse len bytes of buf (grammar: pjwt_user.h).  Each bad line is
 * logged as "PATH:LINE: reason"; any bad line fails the whole file.
 */
static int
parse(const char *path, const char *buf, size_t len, issuerd_log_fn *log,
    table **ret)
{
	parse_ctx c;
	pjwt_user_parse_cb cb;
	pjwt_err e;
	int r = -1;

	memset(&c, 0, sizeof(c));
	c.path = path;
	c.log = log;
	if ((c.t = calloc(1, sizeof(*c.t))) == NULL)
		goto out;
	cb.check = pjwt_user_crypt_check;
	cb.entry = parse_entry;
	cb.bad = parse_bad;
	cb.arg = &c;
	e = pjwt_users_parse(buf, len, &cb);
	if (c.bad > MAX_REPORTED)
		pwauthp_log(log, LOG_ERR, "%s: %u more bad lines", path,
		    c.bad - MAX_REPORTED);
	if (e != PJWT_OK) {
		if (e == PJWT_E_NOMEM)
			pwauthp_log(log, LOG_ERR, "users file %s: out of memory",
			    path);
		goto out;
	}
	if (c.t->n > 0)
		qsort(c.t->v, c.t->n, sizeof(*c.t->v), entry_cmp);
	/* qsort moved the entries, not the strings: first_hash still valid. */
	if ((c.t->dummy = make_dummy(c.first_hash, log)) == NULL)
		goto out;
	*ret = c.t;
	c.t = NULL;
	r = 0;
 out:
	table_free(c.t);
	return r;
}

static int
load(const char *path, uid_t owner, issuerd_log_fn *log, table **ret)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	pjwt_err e;
	int r;

	e = pjwt_file_read(path, owner, PWAUTH_FILE_MAX, &buf, &len);
	if (e != PJWT_OK) {
		pwauthp_log(log, LOG_ERR, "cannot read users file %s: %s%s%s",
		    path, pjwt_strerror(e), e == PJWT_E_IO ? ": " : "",
		    e == PJWT_E_IO ? strerror(errno) : "");
		return -1;
	}
	/* Hashes are secrets: refuse a file everyone can read, as sshd refuses
	 * a readable private key.  (pjwt_file_read checked it is regular and
	 * not a symlink; this re-stat only adds the read-permission rule.) */
	if (lstat(path, &st) != 0 || (st.st_mode & S_IROTH) != 0) {
		pwauthp_log(log, LOG_ERR, "users file %s: readable by others"
		    " (chmod o-r)", path);
		r = -1;
	} else
		r = parse(path, buf, len, log, ret);
	pjwt_secret_free(buf, len + 1);
	return r;
}

int
pwfile_open(const char *path, uid_t owner, issuerd_log_fn *log, pwfile **ret)
{
	pwfile *f;

	if (path == NULL || ret == NULL)
		return -1;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	f->owner = owner;
	f->log = log;
	if (pthread_rwlock_init(&f->lock, NULL) != 0) {
		free(f);
		return -1;
	}
	if ((f->path = strdup(path)) == NULL ||
	    load(path, owner, log, &f->t) != 0) {
		pwfile_free(f);
		return -1;
	}
	pwauthp_log(log, LOG_INFO, "users file %s: %zu users", path, f->t->n);
	*ret = f;
	return 0;
}

/* Binary search of a sorted table; NULL when absent. */
static const entry *
find(const table *t, const char *user)
{
	size_t ulen = strnlen(user, PWAUTH_FILE_NAME_MAX + 1);
	entry key;

	if (t->n == 0 || !pjwt_user_name_valid(user, ulen))
		return NULL;
	memset(&key, 0, sizeof(key));
	memcpy(key.name, user, ulen);
	return bsearch(&key, t->v, t->n, sizeof(*t->v), entry_cmp);
}

/*
 * Call fn for every user who could log in with old and cannot, or not with
 * the same password, with new.  Both tables are sorted by name: one merge
 * walk.
 */
static void
report_gone(const table *old, const table *new, pwauth_gone_fn *fn,
    void *arg)
{
	size_t i;

	for (i = 0; i < old->n; i++) {
		const entry *o = &old->v[i], *n;

		if (o->hash == NULL)
			continue;     /* locked before: nothing to end */
		if ((n = find(new, o->name)) == NULL)
			fn(o->name, "removed", arg);
		else if (n->hash == NULL)
			fn(o->name, "locked", arg);
		else if (strcmp(n->hash, o->hash) != 0)
			fn(o->name, "password_changed", arg);
	}
}

int
pwfile_reload(pwfile *f, pwauth_gone_fn *fn, void *arg)
{
	table *t = NULL, *old;

	if (f == NULL)
		return -1;
	if (load(f->path, f->owner, f->log, &t) != 0) {
		pwauthp_log(f->log, LOG_ERR, "users file %s not reloaded;"
		    " keeping the previous one", f->path);
		return -1;
	}
	pthread_rwlock_wrlock(&f->lock);
	old = f->t;
	f->t = t;
	pthread_rwlock_unlock(&f->lock);
	/* Only this thread reloads, so old and t stay valid without the
	 * lock: checks running now copy from t under the read lock. */
	if (fn != NULL)
		report_gone(old, t, fn, arg);
	table_free(old);
	pwauthp_log(f->log, LOG_INFO, "users file %s reloaded: %zu users",
	    f->path, t->n);
	return 0;
}

pwauth_result
pwfile_account(pwfile *f, const char *user)
{
	const entry *e;
	int ok;

	if (f == NULL || user == NULL)
		return PWAUTH_ERROR;
	pthread_rwlock_rdlock(&f->lock);
	e = find(f->t, user);
	ok = e != NULL && e->hash != NULL;
	pthread_rwlock_unlock(&f->lock);
	return ok ? PWAUTH_OK : PWAUTH_DENIED;
}

pwfile *
pwfile_free(pwfile *f)
{
	if (f == NULL)
		return NULL;
	table_free(f->t);
	pthread_rwlock_destroy(&f->lock);
	free(f->path);
	free(f);
	return NULL;
}

pwauth_result
pwfile_check(pwfile *f, const char *user, const char *pw, size_t pwlen)
{
	struct crypt_data *cd = NULL;
	char *hash = NULL, *pwc = NULL;
	const entry *e = NULL;
	size_t ulen, hlen;
	const char *out;
	pwauth_result r = PWAUTH_ERROR;
	int valid, known;

	ulen = strnlen(user, PWAUTH_USER_MAX + 1);
	valid = ulen <= PWAUTH_USER_MAX && pwlen <= PWAUTH_PASSWORD_MAX &&
	    memchr(pw, '\0', pwlen) == NULL;
	pthread_rwlock_rdlock(&f->lock);
	if (valid && f->t->n > 0 && pjwt_user_name_valid(user, ulen)) {
		entry key;

		memset(&key, 0, sizeof(key));
		memcpy(key.name, user, ulen);
		e = bsearch(&key, f->t->v, f->t->n, sizeof(*f->t->v), entry_cmp);
	}
	/* e points into the table: done with it before a reload can free it.
	 * A locked user takes the same path as an unknown one. */
	known = e != NULL && e->hash != NULL;
	hash = strdup(known ? e->hash : f->t->dummy);
	pthread_rwlock_unlock(&f->lock);
	if (!valid)
		pwlen = 0;           /* over-long input: hash "" instead */
	if (hash == NULL || (pwc = malloc(pwlen + 1)) == NULL ||
	    (cd = calloc(1, sizeof(*cd))) == NULL)
		goto out;
	memcpy(pwc, pw, pwlen);
	pwc[pwlen] = '\0';
	out = crypt_rn(pwc, hash, cd, sizeof(*cd));
	if (out == NULL || out[0] == '*') {
		pwauthp_log(f->log, LOG_ERR, "users file %s: crypt failed for"
		    " %s entry: %s", f->path, known ? "a user's" : "the dummy",
		    strerror(errno));
		goto out;
	}
	hlen = strlen(hash);
	/* Constant-time compare; for unknown users the comparison runs too,
	 * and its result is ignored. */
	if (strlen(out) == hlen && pjwt_memeq(out, hash, hlen) && known &&
	    valid)
		r = PWAUTH_OK;
	else
		r = PWAUTH_DENIED;
 out:
	if (cd != NULL)
		pjwt_secret_free(cd, sizeof(*cd));
	if (pwc != NULL)
		pjwt_secret_free(pwc, pwlen + 1);
	pjwt_str_free(hash);
	return r;
}
