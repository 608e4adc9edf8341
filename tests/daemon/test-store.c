/*
 * test-store.c - the SQLite state store (daemon/store.h): refresh rotation,
 * reuse detection, expiry, lockout, persistence, migrations, purge, the
 * revoked file, durability across kill -9, and concurrent use.
 * Fixed clock; each test works in its own fresh directory.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "pjwt_mem.h"
#include "store.h"

#define T0 INT64_C(1700000000)

#define assert_store(got, want) do { \
	store_err ts_g_ = (got), ts_w_ = (want); \
	if (ts_g_ != ts_w_) \
		fail_msg("%s:%d: got %s (%d), want %s (%d)", __FILE__, \
		    __LINE__, store_strerror(ts_g_), (int)ts_g_, \
		    store_strerror(ts_w_), (int)ts_w_); \
} while (0)

/* Test logger: keeps the last message, counts calls. */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char last_log[1024];
static int nlogs;

static void tlog(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
tlog(int prio, const char *fmt, ...)
{
	va_list ap;

	(void)prio;
	pthread_mutex_lock(&log_mu);
	va_start(ap, fmt);
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
	va_end(ap);
	nlogs++;
	pthread_mutex_unlock(&log_mu);
}

typedef struct fx {
	char dir[256];
	char db[320];
	char revoked[320];
	store_config cfg;
	store *s;
} fx;

static char topdir[200];
static int ndirs;

static int
group_setup(void **state)
{
	(void)state;
	snprintf(topdir, sizeof(topdir), "%s/test-store.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(topdir) == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", topdir);
	return system(cmd) == 0 ? 0 : -1;
}

static int
setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/%d", topdir, ndirs++);
	if (mkdir(f->dir, 0700) != 0)
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/state.db", f->dir);
	snprintf(f->revoked, sizeof(f->revoked), "%s/revoked", f->dir);
	f->cfg.db_path = f->db;
	f->cfg.revoked_path = f->revoked;
	f->cfg.log = tlog;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fx *f = *state;

	store_close(f->s);
	free(f);
	return 0;
}

static void
open_store(fx *f, int64_t now)
{
	f->s = store_close(f->s);
	assert_store(store_open(&f->cfg, now, &f->s), STORE_OK);
	assert_non_null(f->s);
}

static char *
issue(fx *f, const char *user, const char *client, int64_t now)
{
	char *tok = NULL;
	char fid[STORE_FAMILY_ID_LEN + 1];

	assert_store(store_refresh_issue(f->s, user, client, "ssh sudo", "ssh",
	    now - 5, now, &tok, fid), STORE_OK);
	assert_non_null(tok);
	assert_int_equal(strlen(tok), STORE_TOKEN_LEN);
	assert_int_equal(strlen(fid), STORE_FAMILY_ID_LEN);
	return tok;
}

static char *
rotate_ok(fx *f, const char *tok, const char *client, int64_t now)
{
	store_grant *g = NULL, *reused = NULL;
	char *nt = NULL;

	assert_store(store_refresh_rotate(f->s, tok, strlen(tok), client, now,
	    &g, &nt, &reused), STORE_OK);
	assert_non_null(g);
	assert_non_null(nt);
	assert_null(reused);
	assert_string_not_equal(nt, tok);
	store_grant_free(g);
	return nt;
}

static char *
read_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	size_t n;

	if (fp == NULL)
		return NULL;
	buf = calloc(1, 65536);
	n = fread(buf, 1, 65535, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* ---- refresh tokens ---------------------------------------------------- */

static void
test_issue_rotate(void **state)
{
	fx *f = *state;
	store_grant *g = NULL, *reused = NULL;
	char *t1, *t2 = NULL, *t3;

	open_store(f, T0);
	t1 = issue(f, "alice", "cli", T0);
	assert_store(store_refresh_rotate(f->s, t1, strlen(t1), "cli", T0 + 10,
	    &g, &t2, &reused), STORE_OK);
	assert_string_equal(g->user, "alice");
	assert_string_equal(g->client_id, "cli");
	assert_string_equal(g->scope, "ssh sudo");
	assert_string_equal(g->audience, "ssh");
	assert_int_equal(g->auth_time, T0 - 5);
	assert_int_equal(g->family_expires, T0 + STORE_DEFAULT_FAMILY_TTL);
	assert_int_equal(strlen(t2), STORE_TOKEN_LEN);
	assert_int_equal(strspn(t2, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
	    STORE_TOKEN_LEN);
	/* The chain goes on; the family keeps its absolute expiry. */
	t3 = rotate_ok(f, t2, "cli", T0 + 20);
	store_grant_free(g);
	pjwt_str_free(t1);
	pjwt_str_free(t2);
	pjwt_str_free(t3);
}

static void
test_reuse_revokes_family(void **state)
{
	fx *f = *state;
	store_grant *g = NULL, *reused = NULL, *g2 = NULL;
	char *t1, *t2, *t3 = NULL;
	char fid[STORE_FAMILY_ID_LEN + 1];
	char *other;

	open_store(f, T0);
	assert_store(store_refresh_issue(f->s, "bob", "cli", "ssh", "", T0, T0,
	    &t1, fid), STORE_OK);
	other = issue(f, "bob", "cli", T0);    /* a second family of bob's */
	t2 = rotate_ok(f, t1, "cli", T0 + 1);
	/* The attacker (or the victim) presents the rotated token. */
	assert_store(store_refresh_rotate(f->s, t1, strlen(t1), "cli", T0 + 2,
	    &g, &t3, &reused), STORE_E_REUSED);
	assert_null(g);
	assert_null(t3);
	assert_non_null(reused);
	assert_string_equal(reused->family_id, fid);
	assert_string_equal(reused->user, "bob");
	assert_string_equal(reused->client_id, "cli");
	reused = store_grant_free(reused);
	/* The current token of the family is dead too... */
	assert_store(store_refresh_rotate(f->s, t2, strlen(t2), "cli", T0 + 3,
	    &g, &t3, &reused), STORE_E_REVOKED);
	assert_null(reused);
	assert_store(store_refresh_lookup(f->s, t2, strlen(t2), T0 + 3, &g2),
	    STORE_E_REVOKED);
	/* ...and presenting the old one again reports the revocation. */
	assert_store(store_refresh_rotate(f->s, t1, strlen(t1), "cli", T0 + 4,
	    &g, &t3, NULL), STORE_E_REVOKED);
	/* Other families are untouched. */
	pjwt_str_free(rotate_ok(f, other, "cli", T0 + 5));
	pjwt_str_free(t1);
	pjwt_str_free(t2);
	pjwt_str_free(other);
}

static void
test_client_binding_and_unknown(void **state)
{
	fx *f = *state;
	store_grant *g = NULL, *reused = NULL;
	char *t1, *t2 = NULL;
	char bogus[STORE_TOKEN_LEN + 1];

	open_store(f, T0);
	t1 = issue(f, "carol", "cli", T0);
	assert_store(store_refresh_rotate(f->s, t1, strlen(t1), "evil", T0,
	    &g, &t2, &reused), STORE_E_CLIENT_MISMATCH);
	assert_null(t2);
	assert_null(reused);
	memset(bogus, 'A', STORE_TOKEN_LEN);
	bogus[STORE_TOKEN_LEN] = '\0';
	assert_store(store_refresh_rotate(f->s, bogus, STORE_TOKEN_LEN, "cli",
	    T0, &g, &t2, &reused), STORE_E_NOT_FOUND);
	assert_store(store_refresh_rotate(f->s, t1, strlen(t1) - 1, "cli",
	    T0, &g, &t2, &reused), STORE_E_NOT_FOUND);
	assert_store(store_refresh_rotate(f->s, "", 0, "cli", T0, &g, &t2,
	    &reused), STORE_E_NOT_FOUND);
	assert_store(store_refresh_rotate(f->s, t1, strlen(t1), NULL, T0, &g,
	    &t2, &reused), STORE_E_INVALID);
	assert_store(store_refresh_issue(f->s, "", "cli", "", "", T0, T0, &t2,
	    NULL), STORE_E_INVALID);
	/* Nothing above changed the family: the right client rotates. */
	pjwt_str_free(rotate_ok(f, t1, "cli", T0 + 1));
	pjwt_str_free(t1);
}

static void
test_family_expiry(void **state)
{
	fx *f = *state;
	store_grant *g = NULL;
	char *t1, *t2, *t3 = NULL;

	f->cfg.family_ttl = 100;
	open_store(f, T0);
	t1 = issue(f, "dave", "cli", T0);
	t2 = rotate_ok(f, t1, "cli", T0 + 99);
	/* The absolute lifetime counts from the family's start, not the
	 * last rotation. */
	assert_store(store_refresh_rotate(f->s, t2, strlen(t2), "cli", T0 + 100,
	    &g, &t3, NULL), STORE_E_EXPIRED);
	assert_store(store_refresh_lookup(f->s, t2, strlen(t2), T0 + 100, &g),
	    STORE_E_EXPIRED);
	assert_store(store_refresh_lookup(f->s, t2, strlen(t2), T0 + 50, &g),
	    STORE_OK);
	assert_string_equal(g->user, "dave");
	store_grant_free(g);
	pjwt_str_free(t1);
	pjwt_str_free(t2);
}

static void
test_lookup_and_revoke(void **state)
{
	fx *f = *state;
	store_grant *g = NULL;
	char *t1, *t2, *t3 = NULL;
	char bogus[STORE_TOKEN_LEN + 1];

	open_store(f, T0);
	t1 = issue(f, "erin", "cli", T0);
	t2 = rotate_ok(f, t1, "cli", T0);
	/* A rotated token is no longer active. */
	assert_store(store_refresh_lookup(f->s, t1, strlen(t1), T0, &g),
	    STORE_E_NOT_FOUND);
	assert_null(g);
	assert_store(store_refresh_revoke(f->s, t2, strlen(t2), "other", T0),
	    STORE_E_CLIENT_MISMATCH);
	assert_store(store_refresh_lookup(f->s, t2, strlen(t2), T0, &g),
	    STORE_OK);
	g = store_grant_free(g);
	/* RFC 7009: revoking any token of the family (even a rotated one)
	 * revokes the family; repeating it is fine. */
	assert_store(store_refresh_revoke(f->s, t1, strlen(t1), "cli", T0),
	    STORE_OK);
	assert_store(store_refresh_revoke(f->s, t2, strlen(t2), NULL, T0),
	    STORE_OK);
	assert_store(store_refresh_rotate(f->s, t2, strlen(t2), "cli", T0, &g,
	    &t3, NULL), STORE_E_REVOKED);
	memset(bogus, 'B', STORE_TOKEN_LEN);
	bogus[STORE_TOKEN_LEN] = '\0';
	assert_store(store_refresh_revoke(f->s, bogus, STORE_TOKEN_LEN, "cli",
	    T0), STORE_E_NOT_FOUND);
	assert_store(store_family_revoke(f->s, "nosuchfamily", T0),
	    STORE_E_NOT_FOUND);
	pjwt_str_free(t1);
	pjwt_str_free(t2);
}

static void
test_family_revoke_by_id(void **state)
{
	fx *f = *state;
	char fid[STORE_FAMILY_ID_LEN + 1];
	store_grant *g = NULL;
	char *t = NULL, *t2 = NULL;

	open_store(f, T0);
	assert_store(store_refresh_issue(f->s, "fay", "cli", "", "", T0, T0, &t,
	    fid), STORE_OK);
	assert_store(store_family_revoke(f->s, fid, T0), STORE_OK);
	assert_store(store_refresh_rotate(f->s, t, strlen(t), "cli", T0, &g,
	    &t2, NULL), STORE_E_REVOKED);
	pjwt_str_free(t);
}

/* Only SHA-256 hashes reach the database file. */
static void
test_tokens_stored_hashed(void **state)
{
	fx *f = *state;
	char *t1, *t2, *db;
	unsigned char h[32];
	sqlite3 *raw;
	sqlite3_stmt *st;
	unsigned int hl = 0;
	size_t i;
	int found = 0;
	FILE *fp;
	long n;

	open_store(f, T0);
	t1 = issue(f, "gus", "cli", T0);
	t2 = rotate_ok(f, t1, "cli", T0);
	f->s = store_close(f->s);
	/* The raw bytes of the database and its WAL hold neither token. */
	for (i = 0; i < 2; i++) {
		char path[400];

		snprintf(path, sizeof(path), "%s%s", f->db, i ? "-wal" : "");
		if ((fp = fopen(path, "rb")) == NULL)
			continue;
		db = calloc(1, 4 << 20);
		n = (long)fread(db, 1, (4 << 20) - 1, fp);
		fclose(fp);
		assert_true(n > 0);
		assert_null(memmem(db, (size_t)n, t1, strlen(t1)));
		assert_null(memmem(db, (size_t)n, t2, strlen(t2)));
		free(db);
	}
	assert_int_equal(EVP_Digest(t2, strlen(t2), h, &hl, EVP_sha256(), NULL), 1);
	assert_int_equal(sqlite3_open(f->db, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(raw, "SELECT hash FROM"
	    " refresh_tokens WHERE rotated IS NULL", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		if (sqlite3_column_bytes(st, 0) == 32 &&
		    memcmp(sqlite3_column_blob(st, 0), h, 32) == 0)
			found = 1;
	sqlite3_finalize(st);
	sqlite3_close(raw);
	assert_true(found);
	pjwt_str_free(t1);
	pjwt_str_free(t2);
}

/* ---- lockout ----------------------------------------------------------- */

static void
fail_n(fx *f, const char *user, const char *addr, int64_t now, int n,
    unsigned want_last)
{
	unsigned lf = 999;
	int i;

	for (i = 0; i < n; i++)
		assert_store(store_lock_fail(f->s, user, addr, now, &lf), STORE_OK);
	assert_int_equal(lf, want_last);
}

static unsigned
remaining(fx *f, const char *user, const char *addr, int64_t now)
{
	unsigned r = 12345;

	assert_store(store_lock_check(f->s, user, addr, now, &r), STORE_OK);
	return r;
}

static void
test_lockout_doubling_cap(void **state)
{
	fx *f = *state;
	int64_t t = T0;

	f->cfg.max_failures = 3;
	f->cfg.lockout_initial = 60;
	f->cfg.lockout_max = 300;
	open_store(f, t);
	assert_int_equal(remaining(f, "ann", NULL, t), 0);
	fail_n(f, "ann", NULL, t, 2, 0);
	assert_int_equal(remaining(f, "ann", NULL, t), 0);
	fail_n(f, "ann", NULL, t, 1, 60);
	assert_int_equal(remaining(f, "ann", NULL, t), 60);
	assert_int_equal(remaining(f, "ann", NULL, t + 59), 1);
	assert_int_equal(remaining(f, "ann", NULL, t + 60), 0);
	/* After the threshold every failure locks again, twice as long. */
	t += 60;
	fail_n(f, "ann", NULL, t, 1, 120);
	assert_int_equal(remaining(f, "ann", NULL, t + 1), 119);
	t += 120;
	fail_n(f, "ann", NULL, t, 1, 240);
	t += 240;
	fail_n(f, "ann", NULL, t, 1, 300);         /* capped */
	t += 300;
	fail_n(f, "ann", NULL, t, 1, 300);
	assert_int_equal(remaining(f, "ann", NULL, t), 300);
	/* Other users are not affected. */
	assert_int_equal(remaining(f, "ben", NULL, t), 0);
	/* Success resets count and backoff. */
	t += 300;
	assert_store(store_lock_success(f->s, "ann", NULL), STORE_OK);
	assert_int_equal(remaining(f, "ann", NULL, t), 0);
	fail_n(f, "ann", NULL, t, 2, 0);
	fail_n(f, "ann", NULL, t, 1, 60);
}

static void
test_lockout_default_params(void **state)
{
	fx *f = *state;
	int64_t t = T0;
	unsigned expect = 60;

	open_store(f, t);
	fail_n(f, "u", NULL, t, 4, 0);
	fail_n(f, "u", NULL, t, 1, 60);
	while (expect < 3600) {
		t += expect;
		expect = expect * 2 > 3600 ? 3600 : expect * 2;
		fail_n(f, "u", NULL, t, 1, expect);
	}
	t += 3600;
	fail_n(f, "u", NULL, t, 1, 3600);
}

static void
test_lockout_by_address(void **state)
{
	fx *f = *state;
	unsigned lf = 9;

	f->cfg.max_failures = 3;
	f->cfg.max_failures_addr = 3;
	open_store(f, T0);
	/* One address spraying different user names is locked... */
	fail_n(f, "a1", "192.0.2.1", T0, 1, 0);
	fail_n(f, "a2", "192.0.2.1", T0, 1, 0);
	assert_store(store_lock_fail(f->s, "a3", "192.0.2.1", T0, &lf), STORE_OK);
	assert_int_equal(lf, 60);
	assert_int_equal(remaining(f, "a4", "192.0.2.1", T0), 60);
	assert_int_equal(remaining(f, NULL, "192.0.2.1", T0), 60);
	/* ...while the users themselves and other addresses are not. */
	assert_int_equal(remaining(f, "a1", "192.0.2.2", T0), 0);
	/* NULL keys are skipped; bad keys refused. */
	assert_store(store_lock_fail(f->s, NULL, NULL, T0, NULL), STORE_OK);
	assert_store(store_lock_check(f->s, "", NULL, T0, &lf), STORE_E_INVALID);
}

static void
test_lockout_forget(void **state)
{
	fx *f = *state;

	f->cfg.max_failures = 3;
	f->cfg.failure_forget = 1000;
	open_store(f, T0);
	fail_n(f, "v", NULL, T0, 2, 0);
	/* Quiet for failure_forget seconds: start from zero. */
	fail_n(f, "v", NULL, T0 + 1000, 2, 0);
	fail_n(f, "v", NULL, T0 + 1000, 1, 60);
}

static void
test_lockout_persists(void **state)
{
	fx *f = *state;
	int64_t t = T0;

	f->cfg.max_failures = 2;
	f->cfg.max_failures_addr = 2;
	open_store(f, t);
	fail_n(f, "w", "198.51.100.7", t, 2, 60);
	open_store(f, t + 10);                   /* restart */
	assert_int_equal(remaining(f, "w", NULL, t + 10), 50);
	assert_int_equal(remaining(f, NULL, "198.51.100.7", t + 10), 50);
	/* The backoff level survived too. */
	fail_n(f, "w", NULL, t + 60, 1, 120);
}

/* ---- persistence and durability ---------------------------------------- */

static void
test_persistence_reopen(void **state)
{
	fx *f = *state;
	char *t1, *t2;
	int rv = -1;

	open_store(f, T0);
	t1 = issue(f, "hal", "cli", T0);
	assert_store(store_jti_revoke(f->s, "jti-1", T0 + 300, T0), STORE_OK);
	open_store(f, T0 + 1);
	t2 = rotate_ok(f, t1, "cli", T0 + 2);
	assert_store(store_jti_is_revoked(f->s, "jti-1", T0 + 2, &rv), STORE_OK);
	assert_int_equal(rv, 1);
	open_store(f, T0 + 3);
	pjwt_str_free(rotate_ok(f, t2, "cli", T0 + 3));
	pjwt_str_free(t1);
	pjwt_str_free(t2);
}

/* A child issues tokens and reports each one after the call returned; the
 * parent kills it with SIGKILL mid-stream.  Every reported token rotates. */
static void
test_durability_kill9(void **state)
{
	fx *f = *state;
	char toks[64][STORE_TOKEN_LEN + 1];
	int p[2], n = 0, st;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		store *s = NULL;
		char *t;
		int i;

		close(p[0]);
		if (store_open(&f->cfg, T0, &s) != STORE_OK)
			_exit(2);
		for (i = 0; ; i++) {
			if (store_refresh_issue(s, "ivy", "cli", "", "", T0, T0,
			    &t, NULL) != STORE_OK)
				_exit(3);
			if (write(p[1], t, STORE_TOKEN_LEN) != STORE_TOKEN_LEN)
				_exit(4);
			free(t);
		}
	}
	close(p[1]);
	while (n < 64) {
		size_t got = 0;

		while (got < STORE_TOKEN_LEN) {
			ssize_t r = read(p[0], toks[n] + got,
			    STORE_TOKEN_LEN - got);

			assert_true(r > 0);
			got += (size_t)r;
		}
		toks[n][STORE_TOKEN_LEN] = '\0';
		n++;
	}
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	close(p[0]);
	open_store(f, T0 + 1);
	for (n = 0; n < 64; n++)
		pjwt_str_free(rotate_ok(f, toks[n], "cli", T0 + 1));
}

/* ---- schema migrations ------------------------------------------------- */

/* Version 1 of the schema, as a released build created it. */
static const char v1_sql[] =
	"CREATE TABLE schema_version(version INTEGER NOT NULL);"
	"INSERT INTO schema_version(version) VALUES(1);"
	"CREATE TABLE families("
	" id TEXT PRIMARY KEY, user TEXT NOT NULL, client_id TEXT NOT NULL,"
	" scope TEXT NOT NULL, audience TEXT NOT NULL,"
	" auth_time INTEGER NOT NULL, created INTEGER NOT NULL,"
	" expires INTEGER NOT NULL, revoked INTEGER);"
	"CREATE TABLE refresh_tokens("
	" hash BLOB PRIMARY KEY,"
	" family_id TEXT NOT NULL REFERENCES families(id) ON DELETE CASCADE,"
	" created INTEGER NOT NULL, rotated INTEGER);"
	"CREATE TABLE revoked_jti(jti TEXT PRIMARY KEY, exp INTEGER NOT NULL);"
	"CREATE TABLE failures("
	" kind INTEGER NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL,"
	" locked_until INTEGER NOT NULL, PRIMARY KEY(kind, key));";

static void
raw_exec(const char *db, const char *sql)
{
	sqlite3 *raw;
	char *err = NULL;

	assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
	if (sqlite3_exec(raw, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
	sqlite3_close(raw);
}

static int64_t
raw_int(const char *db, const char *sql)
{
	sqlite3 *raw;
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(raw, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(raw);
	return v;
}

/*
 * store_lock_attempt counts before the check, per user and per address with
 * their own thresholds; a locked attempt writes nothing; a success resets
 * the user and takes back only its own failure on the address; a store
 * that cannot record the attempt says so (the caller must not check).
 */
static void
test_lockout_attempt(void **state)
{
	fx *f = *state;
	const char *ip = "203.0.113.5";
	unsigned r = 99;
	int i;

	f->cfg.max_failures = 3;
	f->cfg.max_failures_addr = 5;
	open_store(f, T0);
	/* Three attempts by "x" are three failures: the third locks "x". */
	for (i = 0; i < 3; i++) {
		assert_store(store_lock_attempt(f->s, "x", ip, T0, &r), STORE_OK);
		assert_int_equal(r, 0);
	}
	assert_int_equal(remaining(f, "x", NULL, T0), 60);
	/* Refused while locked, and not counted against the address. */
	assert_store(store_lock_attempt(f->s, "x", ip, T0, &r), STORE_OK);
	assert_int_equal(r, 60);
	assert_int_equal(raw_int(f->db, "SELECT count FROM failures WHERE "
	    "kind = 1"), 3);
	/* The address (threshold 5) is not locked: "y" may try, and its
	 * success takes back its own attempt only. */
	assert_int_equal(remaining(f, NULL, ip, T0), 0);
	assert_store(store_lock_attempt(f->s, "y", ip, T0, &r), STORE_OK);
	assert_int_equal(r, 0);
	assert_store(store_lock_success(f->s, "y", ip), STORE_OK);
	assert_int_equal(raw_int(f->db, "SELECT count FROM failures WHERE "
	    "kind = 1"), 3);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM failures WHERE "
	    "kind = 0 AND key = 'y'"), 0);
	/* A success whose own attempt reached the address threshold takes
	 * back the lock that attempt started. */
	assert_store(store_lock_attempt(f->s, "z1", ip, T0, &r), STORE_OK);
	assert_store(store_lock_attempt(f->s, "z2", ip, T0, &r), STORE_OK);
	assert_int_equal(remaining(f, NULL, ip, T0), 60);
	assert_store(store_lock_success(f->s, "z2", ip), STORE_OK);
	assert_int_equal(remaining(f, NULL, ip, T0), 0);
	/* Five failures from the address lock it for every name. */
	assert_store(store_lock_attempt(f->s, "z3", ip, T0, &r), STORE_OK);
	assert_int_equal(r, 0);
	assert_store(store_lock_attempt(f->s, "z4", ip, T0, &r), STORE_OK);
	assert_int_equal(r, 60);
	/* A store that refuses writes: the attempt is not recorded, and
	 * that is an error, not "unlocked". */
	raw_exec(f->db, "CREATE TRIGGER refuse BEFORE INSERT ON failures "
	    "BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
	r = 77;
	assert_store(store_lock_attempt(f->s, "new", "198.51.100.1", T0, &r),
	    STORE_E_DB);
	assert_int_equal(r, 77);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM failures WHERE "
	    "key = 'new'"), 0);
	raw_exec(f->db, "DROP TRIGGER refuse;");
	assert_store(store_lock_attempt(f->s, "new", "198.51.100.1", T0, &r),
	    STORE_OK);
	assert_store(store_lock_attempt(f->s, "", NULL, T0, &r),
	    STORE_E_INVALID);
}

static void
test_migrate_from_v1(void **state)
{
	fx *f = *state;
	static const char tok[] = "v1v1v1v1v1v1v1v1v1v1v1v1v1v1v1v1v1v1v1v1v1v";
	unsigned char h[32];
	unsigned int hl = 0;
	char sql[1024], hex[65];
	int i, rv = 0;

	assert_int_equal(strlen(tok), STORE_TOKEN_LEN);
	assert_int_equal(EVP_Digest(tok, strlen(tok), h, &hl, EVP_sha256(), NULL), 1);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	raw_exec(f->db, v1_sql);
	snprintf(sql, sizeof(sql),
	    "INSERT INTO families VALUES('fam1', 'old', 'cli', 'ssh', 'ssh',"
	    " %" PRId64 ", %" PRId64 ", %" PRId64 ", NULL);"
	    "INSERT INTO refresh_tokens VALUES(x'%s', 'fam1', %" PRId64 ", NULL);"
	    "INSERT INTO revoked_jti VALUES('oldjti', %" PRId64 ");"
	    "INSERT INTO failures VALUES(0, 'locked', 7, %" PRId64 ");",
	    T0, T0, T0 + 1000, hex, T0, T0 + 500, T0 + 30);
	raw_exec(f->db, sql);
	open_store(f, T0 + 1);
	assert_int_equal(raw_int(f->db, "SELECT version FROM schema_version"), 2);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM sqlite_master"
	    " WHERE type = 'index' AND name = 'refresh_tokens_family'"), 1);
	/* Data written by version 1 is still served. */
	pjwt_str_free(rotate_ok(f, tok, "cli", T0 + 2));
	assert_store(store_jti_is_revoked(f->s, "oldjti", T0 + 2, &rv), STORE_OK);
	assert_int_equal(rv, 1);
	assert_int_equal(remaining(f, "locked", NULL, T0 + 10), 20);
	/* The open rewrote the revoked file from the migrated deny list. */
	{
		char *c = read_file(f->revoked);

		assert_non_null(c);
		snprintf(sql, sizeof(sql), "oldjti %" PRId64 "\n", T0 + 500);
		assert_string_equal(c, sql);
		free(c);
	}
	/* Reopening a current database migrates nothing. */
	open_store(f, T0 + 3);
	assert_int_equal(raw_int(f->db, "SELECT version FROM schema_version"), 2);
}

static void
test_schema_too_new(void **state)
{
	fx *f = *state;
	store *s = NULL;

	open_store(f, T0);
	f->s = store_close(f->s);
	raw_exec(f->db, "UPDATE schema_version SET version = 99");
	nlogs = 0;
	assert_store(store_open(&f->cfg, T0, &s), STORE_E_SCHEMA);
	assert_null(s);
	assert_true(nlogs > 0);
	assert_non_null(strstr(last_log, "newer"));
}

static void
test_open_errors(void **state)
{
	fx *f = *state;
	store_config c = f->cfg;
	store *s = NULL;
	char path[400];

	assert_store(store_open(NULL, T0, &s), STORE_E_INVALID);
	c.db_path = NULL;
	assert_store(store_open(&c, T0, &s), STORE_E_INVALID);
	c = f->cfg;
	c.lockout_initial = 7200;
	assert_store(store_open(&c, T0, &s), STORE_E_INVALID);
	c = f->cfg;
	snprintf(path, sizeof(path), "%s/nodir/state.db", f->dir);
	c.db_path = path;
	assert_store(store_open(&c, T0, &s), STORE_E_DB);
	/* The database is created private. */
	open_store(f, T0);
	{
		struct stat st;

		assert_int_equal(stat(f->db, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
	assert_null(s);
	assert_string_equal(store_strerror(STORE_E_REUSED), "reused");
	assert_string_equal(store_strerror((store_err)-99), "unknown_error");
}

/* ---- deny list and revoked file --------------------------------------- */

static void
test_revoked_file(void **state)
{
	fx *f = *state;
	struct stat st;
	char *c, want[256];
	int rv = 7;

	open_store(f, T0);
	c = read_file(f->revoked);
	assert_non_null(c);
	assert_string_equal(c, "");            /* written at open */
	free(c);
	assert_store(store_jti_revoke(f->s, "jA", T0 + 200, T0), STORE_OK);
	assert_store(store_jti_revoke(f->s, "jB", T0 + 100, T0), STORE_OK);
	/* A later exp wins; an earlier one does not shorten the entry. */
	assert_store(store_jti_revoke(f->s, "jB", T0 + 150, T0), STORE_OK);
	assert_store(store_jti_revoke(f->s, "jB", T0 + 120, T0), STORE_OK);
	/* Already-expired tokens need no entry. */
	assert_store(store_jti_revoke(f->s, "jC", T0, T0), STORE_OK);
	c = read_file(f->revoked);
	snprintf(want, sizeof(want), "jB %" PRId64 "\njA %" PRId64 "\n",
	    T0 + 150, T0 + 200);
	assert_string_equal(c, want);
	free(c);
	assert_int_equal(stat(f->revoked, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_store(store_jti_is_revoked(f->s, "jA", T0 + 199, &rv), STORE_OK);
	assert_int_equal(rv, 1);
	assert_store(store_jti_is_revoked(f->s, "jA", T0 + 200, &rv), STORE_OK);
	assert_int_equal(rv, 0);
	assert_store(store_jti_is_revoked(f->s, "jC", T0, &rv), STORE_OK);
	assert_int_equal(rv, 0);
	/* A jti must be one word of printable ASCII. */
	assert_store(store_jti_revoke(f->s, "a b", T0 + 10, T0), STORE_E_INVALID);
	assert_store(store_jti_revoke(f->s, "a\nb", T0 + 10, T0), STORE_E_INVALID);
	assert_store(store_jti_revoke(f->s, "", T0 + 10, T0), STORE_E_INVALID);
	/* Entries expired by now are left out of the file at the next write. */
	assert_store(store_jti_revoke(f->s, "jD", T0 + 500, T0 + 160), STORE_OK);
	c = read_file(f->revoked);
	snprintf(want, sizeof(want), "jA %" PRId64 "\njD %" PRId64 "\n",
	    T0 + 200, T0 + 500);
	assert_string_equal(c, want);
	free(c);
	/*
	 * A jti longer than pam_jwt's 255-byte limit stays on the deny list
	 * but gets no line: one would make pam_jwt refuse the whole file.
	 */
	{
		char longjti[301];

		memset(longjti, 'L', sizeof(longjti) - 1);
		longjti[sizeof(longjti) - 1] = '\0';
		assert_store(store_jti_revoke(f->s, longjti, T0 + 600, T0 + 160),
		    STORE_OK);
		assert_store(store_jti_is_revoked(f->s, longjti, T0 + 170, &rv),
		    STORE_OK);
		assert_int_equal(rv, 1);
		c = read_file(f->revoked);
		assert_string_equal(c, want);
		free(c);
	}
}

typedef struct list_acc {
	char text[512];
	int calls, stop_after;
} list_acc;

static int
list_cb(const char *jti, int64_t exp, void *arg)
{
	list_acc *a = arg;
	size_t n = strlen(a->text);

	snprintf(a->text + n, sizeof(a->text) - n, "%s=%" PRId64 ";", jti, exp);
	return ++a->calls == a->stop_after;
}

static void
test_jti_list(void **state)
{
	fx *f = *state;
	list_acc a;
	char want[256];

	open_store(f, T0);
	memset(&a, 0, sizeof(a));
	assert_store(store_jti_list(f->s, T0, list_cb, &a), STORE_OK);
	assert_int_equal(a.calls, 0);
	assert_store(store_jti_revoke(f->s, "b", T0 + 20, T0), STORE_OK);
	assert_store(store_jti_revoke(f->s, "a", T0 + 20, T0), STORE_OK);
	assert_store(store_jti_revoke(f->s, "c", T0 + 10, T0), STORE_OK);
	memset(&a, 0, sizeof(a));
	assert_store(store_jti_list(f->s, T0, list_cb, &a), STORE_OK);
	snprintf(want, sizeof(want), "c=%" PRId64 ";a=%" PRId64 ";b=%" PRId64 ";",
	    T0 + 10, T0 + 20, T0 + 20);
	assert_string_equal(a.text, want);
	/* Expired entries are left out; a callback can stop the walk. */
	memset(&a, 0, sizeof(a));
	assert_store(store_jti_list(f->s, T0 + 10, list_cb, &a), STORE_OK);
	assert_int_equal(a.calls, 2);
	memset(&a, 0, sizeof(a));
	a.stop_after = 1;
	assert_store(store_jti_list(f->s, T0, list_cb, &a), STORE_E_NOMEM);
	assert_int_equal(a.calls, 1);
	/* The store is usable afterwards (statement reset, lock released). */
	assert_store(store_jti_revoke(f->s, "d", T0 + 30, T0), STORE_OK);
	assert_store(store_jti_list(f->s, T0, NULL, &a), STORE_E_INVALID);
}

/* When the file cannot be written, the revocation is not committed and the
 * caller gets STORE_E_IO (so it can answer an error and the client retry). */
static void
test_revoked_file_failure(void **state)
{
	fx *f = *state;
	char dir[400], path[450], cmd[500];
	int rv = 7;

	snprintf(dir, sizeof(dir), "%s/rdir", f->dir);
	snprintf(path, sizeof(path), "%s/revoked", dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	f->cfg.revoked_path = path;
	open_store(f, T0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	nlogs = 0;
	assert_store(store_jti_revoke(f->s, "jX", T0 + 100, T0), STORE_E_IO);
	assert_true(nlogs > 0);
	assert_non_null(strstr(last_log, "revoked"));
	assert_store(store_jti_is_revoked(f->s, "jX", T0, &rv), STORE_OK);
	assert_int_equal(rv, 0);
	/* The directory is back: the retry succeeds. */
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_store(store_jti_revoke(f->s, "jX", T0 + 100, T0), STORE_OK);
	assert_store(store_jti_is_revoked(f->s, "jX", T0, &rv), STORE_OK);
	assert_int_equal(rv, 1);
}

/* Readers of the revoked file never see a partial file while it is being
 * rewritten (pam_jwt reads it at every login). */
typedef struct reader_arg {
	const char *path;
	volatile int stop;
	int bad;
	int reads;
} reader_arg;

static void *
reader(void *p)
{
	reader_arg *a = p;

	while (!a->stop) {
		char *c = read_file(a->path);
		size_t n;

		if (c == NULL)
			continue;
		n = strlen(c);
		/* Complete lines only, and the newest is never missing its
		 * predecessors: lines count = the highest index + 1. */
		if (n > 0 && c[n - 1] != '\n')
			a->bad++;
		else {
			unsigned lines = 0, maxidx = 0, idx;
			char *l, *save = NULL;

			for (l = strtok_r(c, "\n", &save); l != NULL;
			    l = strtok_r(NULL, "\n", &save)) {
				lines++;
				if (sscanf(l, "j%u ", &idx) == 1 && idx > maxidx)
					maxidx = idx;
			}
			if (lines > 0 && lines != maxidx + 1)
				a->bad++;
		}
		a->reads++;
		free(c);
	}
	return NULL;
}

static void
test_revoked_file_atomic(void **state)
{
	fx *f = *state;
	reader_arg a = { .path = f->revoked };
	pthread_t th;
	char jti[32];
	int i, errs = 0;

	open_store(f, T0);
	assert_int_equal(pthread_create(&th, NULL, reader, &a), 0);
	for (i = 0; i < 150; i++) {
		snprintf(jti, sizeof(jti), "j%u", (unsigned)i);
		/* Increasing exp: the file lists j0, j1, ... in order. */
		if (store_jti_revoke(f->s, jti, T0 + 1000 + i, T0) != STORE_OK)
			errs++;
	}
	a.stop = 1;
	pthread_join(th, NULL);
	assert_int_equal(errs, 0);
	assert_int_equal(a.bad, 0);
	assert_true(a.reads > 0);
}

/* ---- purge ------------------------------------------------------------- */

static void
test_purge(void **state)
{
	fx *f = *state;
	store_grant *g = NULL;
	char *t1, *t2, *t3, *c, want[128];
	unsigned n = 99;

	f->cfg.family_ttl = 100;
	f->cfg.failure_forget = 50;
	f->cfg.max_failures = 1;
	open_store(f, T0);
	t1 = issue(f, "kim", "cli", T0);
	t2 = rotate_ok(f, t1, "cli", T0 + 1);   /* 1 family, 2 tokens */
	assert_store(store_jti_revoke(f->s, "old", T0 + 10, T0), STORE_OK);
	assert_store(store_jti_revoke(f->s, "new", T0 + 1000, T0), STORE_OK);
	assert_store(store_lock_fail(f->s, "kim", "203.0.113.9", T0, NULL),
	    STORE_OK);
	/* Nothing is due yet. */
	assert_store(store_purge(f->s, T0 + 5, &n), STORE_OK);
	assert_int_equal(n, 0);
	t3 = issue(f, "lee", "cli", T0 + 50);    /* expires T0 + 150 */
	assert_store(store_purge(f->s, T0 + 100, &n), STORE_OK);
	/* 2 tokens + 1 family + 1 jti + 2 counters (locked 60 s, quiet 50 s). */
	assert_int_equal(n, 6);
	c = read_file(f->revoked);
	snprintf(want, sizeof(want), "new %" PRId64 "\n", T0 + 1000);
	assert_string_equal(c, want);
	free(c);
	assert_store(store_refresh_lookup(f->s, t2, strlen(t2), T0 + 100, &g),
	    STORE_E_NOT_FOUND);
	assert_store(store_refresh_lookup(f->s, t3, strlen(t3), T0 + 100, &g),
	    STORE_OK);
	store_grant_free(g);
	assert_int_equal(remaining(f, "kim", "203.0.113.9", T0 + 100), 0);
	assert_store(store_purge(f->s, T0 + 100, NULL), STORE_OK);
	pjwt_str_free(t1);
	pjwt_str_free(t2);
	pjwt_str_free(t3);
}

/* ---- threads ----------------------------------------------------------- */

#define NTHREADS 6
#define ROUNDS 40

typedef struct worker_arg {
	store *s;
	int id;
	int errors;
	int rotations;
} worker_arg;

static void *
worker(void *p)
{
	worker_arg *a = p;
	char user[32], jti[32];
	int i;

	snprintf(user, sizeof(user), "user%d", a->id);
	for (i = 0; i < ROUNDS; i++) {
		char *t = NULL, *nt = NULL;
		store_grant *g = NULL;
		unsigned rem = 0;

		if (store_refresh_issue(a->s, user, "cli", "s", "", T0, T0, &t,
		    NULL) != STORE_OK) {
			a->errors++;
			continue;
		}
		if (store_refresh_rotate(a->s, t, strlen(t), "cli", T0, &g, &nt,
		    NULL) == STORE_OK)
			a->rotations++;
		else
			a->errors++;
		snprintf(jti, sizeof(jti), "t%d-%d", a->id, i);
		if (store_jti_revoke(a->s, jti, T0 + 100, T0) != STORE_OK ||
		    store_lock_fail(a->s, user, "10.0.0.1", T0, NULL) != STORE_OK ||
		    store_lock_check(a->s, user, NULL, T0, &rem) != STORE_OK)
			a->errors++;
		store_grant_free(g);
		pjwt_str_free(t);
		pjwt_str_free(nt);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	fx *f = *state;
	pthread_t th[NTHREADS];
	worker_arg a[NTHREADS];
	char *c;
	int i, lines = 0;

	f->cfg.max_failures = 1000000;
	open_store(f, T0);
	for (i = 0; i < NTHREADS; i++) {
		a[i] = (worker_arg){ .s = f->s, .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, worker, &a[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(a[i].errors, 0);
		assert_int_equal(a[i].rotations, ROUNDS);
	}
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM refresh_tokens"),
	    NTHREADS * ROUNDS * 2);
	assert_int_equal(raw_int(f->db, "SELECT count FROM failures WHERE"
	    " kind = 1"), NTHREADS * ROUNDS);
	c = read_file(f->revoked);
	for (i = 0; c[i] != '\0'; i++)
		lines += c[i] == '\n';
	free(c);
	assert_int_equal(lines, NTHREADS * ROUNDS);
}

/* ---- per-user revocation (issue 9, item 6) ----------------------------- */

typedef struct user_seen {
	char names[8][32];
	int n;
} user_seen;

static int
collect_user(const char *user, void *arg)
{
	user_seen *u = arg;

	if (u->n >= 8 || strlen(user) >= sizeof(u->names[0]))
		return 1;
	strcpy(u->names[u->n++], user);
	return 0;
}

static void
test_revoke_user(void **state)
{
	fx *f = *state;
	store_grant *g = NULL, *reused = NULL;
	char *b1, *b2, *a1, *b3, *t2 = NULL;
	unsigned n = 99;
	user_seen u;

	open_store(f, T0);
	b1 = issue(f, "bob", "cli", T0);
	b2 = issue(f, "bob", "other", T0);
	a1 = issue(f, "alice", "cli", T0);
	/* bob's first family has rotated once: the current token dies too. */
	b3 = rotate_ok(f, b1, "cli", T0 + 1);
	memset(&u, 0, sizeof(u));
	assert_store(store_family_users(f->s, T0 + 2, collect_user, &u),
	    STORE_OK);
	assert_int_equal(u.n, 2);
	assert_string_equal(u.names[0], "alice");
	assert_string_equal(u.names[1], "bob");
	assert_store(store_revoke_user(f->s, "bob", T0 + 2, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_store(store_refresh_rotate(f->s, b3, strlen(b3), "cli", T0 + 3,
	    &g, &t2, &reused), STORE_E_REVOKED);
	assert_store(store_refresh_rotate(f->s, b2, strlen(b2), "other",
	    T0 + 3, &g, &t2, &reused), STORE_E_REVOKED);
	assert_null(t2);
	/* alice is untouched. */
	pjwt_str_free(rotate_ok(f, a1, "cli", T0 + 3));
	/* Idempotent; an unknown user is not an error. */
	assert_store(store_revoke_user(f->s, "bob", T0 + 4, &n), STORE_OK);
	assert_int_equal(n, 0);
	assert_store(store_revoke_user(f->s, "nobody", T0 + 4, NULL), STORE_OK);
	memset(&u, 0, sizeof(u));
	assert_store(store_family_users(f->s, T0 + 4, collect_user, &u),
	    STORE_OK);
	assert_int_equal(u.n, 1);
	assert_string_equal(u.names[0], "alice");
	/* Expired families are not listed. */
	memset(&u, 0, sizeof(u));
	assert_store(store_family_users(f->s, T0 + 86400, collect_user, &u),
	    STORE_OK);
	assert_int_equal(u.n, 0);
	/* Bad input. */
	assert_store(store_revoke_user(f->s, "", T0, &n), STORE_E_INVALID);
	assert_store(store_revoke_user(NULL, "bob", T0, &n), STORE_E_INVALID);
	assert_store(store_family_users(f->s, T0, NULL, NULL), STORE_E_INVALID);
	/* Survives a restart (committed). */
	open_store(f, T0 + 5);
	assert_store(store_refresh_rotate(f->s, b2, strlen(b2), "other",
	    T0 + 5, &g, &t2, &reused), STORE_E_REVOKED);
	pjwt_str_free(b1);
	pjwt_str_free(b2);
	pjwt_str_free(b3);
	pjwt_str_free(a1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_issue_rotate),
		T(test_reuse_revokes_family),
		T(test_client_binding_and_unknown),
		T(test_family_expiry),
		T(test_lookup_and_revoke),
		T(test_family_revoke_by_id),
		T(test_tokens_stored_hashed),
		T(test_lockout_doubling_cap),
		T(test_lockout_default_params),
		T(test_lockout_by_address),
		T(test_lockout_forget),
		T(test_lockout_persists),
		T(test_lockout_attempt),
		T(test_persistence_reopen),
		T(test_durability_kill9),
		T(test_migrate_from_v1),
		T(test_schema_too_new),
		T(test_open_errors),
		T(test_revoked_file),
		T(test_jti_list),
		T(test_revoked_file_failure),
		T(test_revoked_file_atomic),
		T(test_purge),
		T(test_threads),
		T(test_revoke_user),
#undef T
	};

	return cmocka_run_group_tests_name("store", tests, group_setup,
	    group_teardown);
}
