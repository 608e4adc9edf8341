/*
 * store_sqlite.c - the state store (store.h) on embedded SQLite.
 *
 * Decisions:
 *  - One connection, guarded by one mutex, shared by all worker threads.
 *    Nearly every call writes (rotate, lock counters, revoke), and SQLite
 *    admits one writer at a time even in WAL mode, so a connection per
 *    thread would buy only SQLITE_BUSY retries.  Calls are short (indexed
 *    point queries); the connection is opened SQLITE_OPEN_NOMUTEX because
 *    the mutex already serialises it.
 *  - journal_mode=WAL, synchronous=FULL: every commit is fsync'ed before
 *    the call returns.  NORMAL would survive kill -9 too (the WAL is in the
 *    page cache), but a power loss could roll back the last commits, and the
 *    store's commits are security state: a rolled-back rotation makes a
 *    rotated refresh token usable again, a rolled-back lock resets a
 *    brute-force counter.  The price is one fsync per write, paid only by
 *    password and refresh grants, never by client_credentials.
 *  - busy_timeout 5 s: only another process (a second daemon started by
 *    mistake, an admin's sqlite3 shell) can hold the lock.
 *  - Refresh tokens are stored as SHA-256 of the token string; the token
 *    itself only exists in the caller's response.
 *  - Schema migrations are forward-only steps, each in its own transaction
 *    together with the version bump; a database newer than this build is
 *    refused.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "pjwt_b64.h"
#include "pjwt_err.h"
#include "pjwt_file.h"
#include "pjwt_mem.h"
#include "pjwt_revoked.h"
#include "store.h"

#define HASH_LEN 32
#define TOKEN_BYTES 32
#define FAMILY_BYTES 16
#define BUSY_TIMEOUT_MS 5000

enum { KIND_USER = 0, KIND_ADDR = 1 };

/*
 * Schema history.  Index i upgrades version i to i + 1.  Never edit a
 * released step; append a new one.
 *  1: initial tables.
 *  2: failure counters learn their backoff (lock_secs) and last failure
 *     time, so the doubling and forgetting survive restarts; indexes for
 *     the purge and family lookups.
 */
static const char *const migrations[] = {
	"CREATE TABLE schema_version(version INTEGER NOT NULL);"
	"INSERT INTO schema_version(version) VALUES(0);"
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
	" locked_until INTEGER NOT NULL, PRIMARY KEY(kind, key));",

	"ALTER TABLE failures ADD COLUMN lock_secs INTEGER NOT NULL DEFAULT 0;"
	/* Version 1 counters had no time: last_failure 0 means that an
	 * unlocked one is forgotten at its next use; a lock still holds. */
	"ALTER TABLE failures ADD COLUMN last_failure INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);"
	"CREATE INDEX families_expires ON families(expires);"
	"CREATE INDEX revoked_jti_exp ON revoked_jti(exp);",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

enum stmt_id {
	S_BEGIN, S_COMMIT, S_ROLLBACK,
	S_FAM_INSERT, S_TOK_INSERT, S_TOK_LOOKUP, S_TOK_ROTATE,
	S_FAM_REVOKE, S_FAM_EXISTS,
	S_JTI_UPSERT, S_JTI_GET, S_JTI_LIST,
	S_FAIL_GET, S_FAIL_PUT, S_FAIL_DEL,
	S_PURGE_TOK, S_PURGE_FAM, S_PURGE_JTI, S_PURGE_FAIL,
	S_USER_REVOKE, S_USER_LIST,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_FAM_INSERT] = "INSERT INTO families(id, user, client_id, scope,"
	    " audience, auth_time, created, expires, revoked)"
	    " VALUES(?, ?, ?, ?, ?, ?, ?, ?, NULL)",
	[S_TOK_INSERT] = "INSERT INTO refresh_tokens(hash, family_id, created,"
	    " rotated) VALUES(?, ?, ?, NULL)",
	[S_TOK_LOOKUP] = "SELECT t.rotated, f.id, f.user, f.client_id, f.scope,"
	    " f.audience, f.auth_time, f.expires, f.revoked"
	    " FROM refresh_tokens t JOIN families f ON f.id = t.family_id"
	    " WHERE t.hash = ?",
	[S_TOK_ROTATE] = "UPDATE refresh_tokens SET rotated = ?"
	    " WHERE hash = ? AND rotated IS NULL",
	[S_FAM_REVOKE] = "UPDATE families SET revoked = ?"
	    " WHERE id = ? AND revoked IS NULL",
	[S_FAM_EXISTS] = "SELECT 1 FROM families WHERE id = ?",
	[S_JTI_UPSERT] = "INSERT INTO revoked_jti(jti, exp) VALUES(?, ?)"
	    " ON CONFLICT(jti) DO UPDATE SET exp = max(exp, excluded.exp)",
	[S_JTI_GET] = "SELECT exp FROM revoked_jti WHERE jti = ?",
	[S_JTI_LIST] = "SELECT jti, exp FROM revoked_jti WHERE exp > ?"
	    " ORDER BY exp, jti",
	[S_FAIL_GET] = "SELECT count, locked_until, lock_secs, last_failure"
	    " FROM failures WHERE kind = ? AND key = ?",
	[S_FAIL_PUT] = "INSERT OR REPLACE INTO failures(kind, key, count,"
	    " locked_until, lock_secs, last_failure) VALUES(?, ?, ?, ?, ?, ?)",
	[S_FAIL_DEL] = "DELETE FROM failures WHERE kind = ? AND key = ?",
	[S_PURGE_TOK] = "DELETE FROM refresh_tokens WHERE family_id IN"
	    " (SELECT id FROM families WHERE expires <= ?)",
	[S_PURGE_FAM] = "DELETE FROM families WHERE expires <= ?",
	[S_PURGE_JTI] = "DELETE FROM revoked_jti WHERE exp <= ?",
	[S_PURGE_FAIL] = "DELETE FROM failures WHERE locked_until <= ?"
	    " AND last_failure <= ?",
	[S_USER_REVOKE] = "UPDATE families SET revoked = ?"
	    " WHERE user = ? AND revoked IS NULL AND expires > ?",
	[S_USER_LIST] = "SELECT DISTINCT user FROM families"
	    " WHERE revoked IS NULL AND expires > ? ORDER BY user",
};

struct store {
	pthread_mutex_t lock;
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
	char *db_path;
	char *revoked_path;
	unsigned max_failures;
	unsigned max_failures_addr;
	unsigned lockout_initial;
	unsigned lockout_max;
	unsigned failure_forget;
	unsigned family_ttl;
	issuerd_log_fn *log;
};

static const char *const err_names[] = {
	"ok", "nomem", "invalid_argument", "db_error", "io_error",
	"schema_too_new", "not_found", "expired", "revoked", "reused",
	"client_mismatch", "random_failed",
};

const char *
store_strerror(store_err e)
{
	int i = -(int)e;

	if (i < 0 || (size_t)i >= sizeof(err_names) / sizeof(err_names[0]))
		return "unknown_error";
	return err_names[i];
}

/* Logging through the daemon's callback: the format is checked here. */
static void slog(const store *s, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
slog(const store *s, int prio, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (s == NULL || s->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->log(prio, "store: %s", msg);
}

static store_err
db_fail(store *s, const char *what)
{
	slog(s, LOG_ERR, "%s: %s (%s)", what, sqlite3_errmsg(s->db),
	    s->db_path);
	return STORE_E_DB;
}

/* Run a prepared statement that returns no rows; always resets it. */
static store_err
run(store *s, enum stmt_id id)
{
	sqlite3_stmt *st = s->st[id];
	int rc = sqlite3_step(st);
	store_err r = STORE_OK;

	if (rc != SQLITE_DONE)
		r = db_fail(s, stmt_sql[id]);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

static void
done(store *s, enum stmt_id id)
{
	sqlite3_reset(s->st[id]);
	sqlite3_clear_bindings(s->st[id]);
}

static store_err
begin(store *s)
{
	return run(s, S_BEGIN);
}

static store_err
commit(store *s)
{
	store_err r = run(s, S_COMMIT);

	if (r != STORE_OK)
		(void)run(s, S_ROLLBACK);
	return r;
}

static void
rollback(store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		(void)run(s, S_ROLLBACK);
}

/* Any bind failure is reported as one error; SQLite keeps its message. */
static int
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) == SQLITE_OK ? 0 : -1;
}

static int
bind_int(sqlite3_stmt *st, int i, int64_t v)
{
	return sqlite3_bind_int64(st, i, v) == SQLITE_OK ? 0 : -1;
}

static int
bind_blob(sqlite3_stmt *st, int i, const void *v, int n)
{
	return sqlite3_bind_blob(st, i, v, n, SQLITE_STATIC) == SQLITE_OK ? 0 : -1;
}

static int
field_ok(const char *v, int may_be_empty)
{
	size_t n;

	if (v == NULL)
		return 0;
	n = strnlen(v, STORE_FIELD_MAX + 1);
	return n <= STORE_FIELD_MAX && (n > 0 || may_be_empty);
}

/* A jti goes into the revoked file as one word: the list's word rule
 * (common/pjwt_revoked.h), up to the store's field limit. */
static int
jti_ok(const char *jti)
{
	return pjwt_revoked_jti_word(jti, STORE_FIELD_MAX);
}

static store_err
hash_token(const char *token, size_t len, unsigned char out[HASH_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(token, len, out, &n, EVP_sha256(), NULL) != 1 ||
	    n != HASH_LEN)
		return STORE_E_NOMEM;
	return STORE_OK;
}

/* New random base64url string of nbytes of entropy. */
static store_err
random_b64(size_t nbytes, char **ret)
{
	unsigned char raw[TOKEN_BYTES];
	char *out = NULL;
	store_err r;

	if (nbytes > sizeof(raw))
		return STORE_E_INVALID;
	if (RAND_bytes(raw, (int)nbytes) != 1) {
		r = STORE_E_RANDOM;
		goto out;
	}
	switch (pjwt_b64url_encode(raw, nbytes, &out, NULL)) {
	case PJWT_OK:
		*ret = out;
		r = STORE_OK;
		break;
	case PJWT_E_NOMEM:
		r = STORE_E_NOMEM;
		break;
	default:
		r = STORE_E_INVALID;
		break;
	}
 out:
	explicit_bzero(raw, sizeof(raw));
	return r;
}

/*
 * Rewrite the revoked file from the deny list as this connection sees it
 * (inside a transaction: including its uncommitted insert).
 */
static store_err
write_revoked(store *s, int64_t now)
{
	sqlite3_stmt *st = s->st[S_JTI_LIST];
	char *buf = NULL;
	size_t len = 0, cap = 0;
	store_err r = STORE_E_DB;
	pjwt_err pe;
	int rc;

	if (s->revoked_path == NULL)
		return STORE_OK;
	if (bind_int(st, 1, now) != 0) {
		r = db_fail(s, "bind");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *jti = (const char *)sqlite3_column_text(st, 0);
		int64_t exp = sqlite3_column_int64(st, 1);

		if (jti == NULL) {
			r = STORE_E_NOMEM;
			goto out;
		}
		/* The line format and the "leave out what pam_jwt cannot
		 * list" rule are common/revoked.c's. */
		pe = pjwt_revoked_append(&buf, &len, &cap, jti, exp);
		if (pe == PJWT_E_NOMEM) {
			r = STORE_E_NOMEM;
			goto out;
		}
		if (pe == PJWT_E_INVALID_ARGUMENT) {
			slog(s, LOG_WARNING, "revoked file: a jti with a "
			    "negative exp is left out");
			continue;
		}
		if (pe != PJWT_OK) {
			slog(s, LOG_WARNING, "revoked file: a jti of %zu bytes "
			    "that pam_jwt cannot list is left out (such tokens "
			    "are refused by pam_jwt revoked= anyway)",
			    strlen(jti));
			continue;
		}
	}
	if (rc != SQLITE_DONE) {
		r = db_fail(s, "list revoked jtis");
		goto out;
	}
	pe = pjwt_file_write_atomic(s->revoked_path, buf == NULL ? "" : buf,
	    len, 0644);
	if (pe != PJWT_OK) {
		slog(s, LOG_ERR, "cannot write revoked file %s: %s: %s",
		    s->revoked_path, pjwt_strerror(pe), strerror(errno));
		r = pe == PJWT_E_NOMEM ? STORE_E_NOMEM : STORE_E_IO;
		goto out;
	}
	r = STORE_OK;
 out:
	done(s, S_JTI_LIST);
	free(buf);
	return r;
}

static int
exec_sql(store *s, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		slog(s, LOG_ERR, "%s: %s (%s)", what,
		    msg != NULL ? msg : sqlite3_errmsg(s->db), s->db_path);
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Read a one-value query into *ret; a query with no row gives def. */
static int
query_int(store *s, const char *sql, int64_t def, int64_t *ret)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_fail(s, sql);
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		*ret = def;
	else
		db_fail(s, sql);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static store_err
migrate(store *s)
{
	int64_t has_table, version;
	char bump[64];

	if (exec_sql(s, "BEGIN IMMEDIATE", "begin migration") != 0)
		return STORE_E_DB;
	if (query_int(s, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
	    " AND name = 'schema_version'", 0, &has_table) != 0)
		goto fail;
	version = 0;
	if (has_table && query_int(s, "SELECT max(version) FROM schema_version",
	    0, &version) != 0)
		goto fail;
	if (version > SCHEMA_VERSION) {
		slog(s, LOG_ERR, "%s has schema version %" PRId64 ", newer than"
		    " this build's %d: refusing to use it", s->db_path, version,
		    SCHEMA_VERSION);
		(void)exec_sql(s, "ROLLBACK", "rollback");
		return STORE_E_SCHEMA;
	}
	if (version < 0) {
		slog(s, LOG_ERR, "%s: bad schema version %" PRId64, s->db_path,
		    version);
		(void)exec_sql(s, "ROLLBACK", "rollback");
		return STORE_E_SCHEMA;
	}
	/* Each step commits with its version, so a crash leaves a valid state. */
	while (version < SCHEMA_VERSION) {
		if (exec_sql(s, migrations[version], "schema migration") != 0)
			goto fail;
		snprintf(bump, sizeof(bump),
		    "UPDATE schema_version SET version = %d", (int)version + 1);
		if (exec_sql(s, bump, "schema version") != 0 ||
		    exec_sql(s, "COMMIT", "commit migration") != 0)
			goto fail;
		if (version > 0)
			slog(s, LOG_INFO, "%s: schema migrated to version %d",
			    s->db_path, (int)version + 1);
		version++;
		if (version < SCHEMA_VERSION &&
		    exec_sql(s, "BEGIN IMMEDIATE", "begin migration") != 0)
			return STORE_E_DB;
	}
	if (sqlite3_get_autocommit(s->db) == 0)
		(void)exec_sql(s, "COMMIT", "commit");
	return STORE_OK;
 fail:
	if (sqlite3_get_autocommit(s->db) == 0)
		(void)exec_sql(s, "ROLLBACK", "rollback");
	return STORE_E_DB;
}

static char *
dup_or_null(const char *v)
{
	return v == NULL ? NULL : strdup(v);
}

/* Create the database file 0600 before SQLite does it with 0644 & ~umask;
 * its -wal and -shm files inherit the database file's mode. */
static store_err
precreate(store *s)
{
	int fd = open(s->db_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY, 0600);

	if (fd < 0) {
		slog(s, LOG_ERR, "cannot open %s: %s", s->db_path, strerror(errno));
		return STORE_E_DB;
	}
	close(fd);
	return STORE_OK;
}

store_err
store_open(const store_config *cfg, int64_t now, store **ret_store)
{
	static const char pragmas[] =
	    "PRAGMA foreign_keys = ON;"
	    "PRAGMA synchronous = FULL;";
	store *s = NULL;
	store_err r = STORE_E_NOMEM;
	int64_t wal = 0;
	int i;

	if (cfg == NULL || cfg->db_path == NULL || *cfg->db_path == '\0' ||
	    ret_store == NULL)
		return STORE_E_INVALID;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return STORE_E_NOMEM;
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s);
		return STORE_E_NOMEM;
	}
	s->log = cfg->log;
	s->max_failures = cfg->max_failures ? cfg->max_failures :
	    STORE_DEFAULT_MAX_FAILURES;
	s->max_failures_addr = cfg->max_failures_addr ?
	    cfg->max_failures_addr : STORE_DEFAULT_MAX_FAILURES_ADDR;
	s->lockout_initial = cfg->lockout_initial ? cfg->lockout_initial :
	    STORE_DEFAULT_LOCKOUT_INITIAL;
	s->lockout_max = cfg->lockout_max ? cfg->lockout_max :
	    STORE_DEFAULT_LOCKOUT_MAX;
	s->failure_forget = cfg->failure_forget ? cfg->failure_forget :
	    STORE_DEFAULT_FAILURE_FORGET;
	s->family_ttl = cfg->family_ttl ? cfg->family_ttl :
	    STORE_DEFAULT_FAMILY_TTL;
	if ((s->db_path = strdup(cfg->db_path)) == NULL ||
	    (cfg->revoked_path != NULL &&
	    (s->revoked_path = dup_or_null(cfg->revoked_path)) == NULL))
		goto out;
	if (s->lockout_initial > s->lockout_max) {
		slog(s, LOG_ERR, "lockout_initial (%u) > lockout_max (%u)",
		    s->lockout_initial, s->lockout_max);
		r = STORE_E_INVALID;
		goto out;
	}
	if ((r = precreate(s)) != STORE_OK)
		goto out;
	r = STORE_E_DB;
	if (sqlite3_open_v2(s->db_path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
	    NULL) != SQLITE_OK) {
		if (s->db == NULL)
			r = STORE_E_NOMEM;
		else
			db_fail(s, "open");
		goto out;
	}
	sqlite3_extended_result_codes(s->db, 1);
	if (sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS) != SQLITE_OK ||
	    exec_sql(s, pragmas, "pragmas") != 0 ||
	    query_int(s, "PRAGMA journal_mode = WAL", 0, &wal) != 0)
		goto out;
	/* journal_mode answers with a text; recheck it as a comparison. */
	if (query_int(s, "SELECT count(*) FROM pragma_journal_mode"
	    " WHERE journal_mode = 'wal'", 0, &wal) != 0)
		goto out;
	if (wal != 1) {
		slog(s, LOG_ERR, "%s: cannot enable WAL journal mode", s->db_path);
		goto out;
	}
	if ((r = migrate(s)) != STORE_OK)
		goto out;
	r = STORE_E_DB;
	for (i = 0; i < S_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
			db_fail(s, stmt_sql[i]);
			goto out;
		}
	}
	if ((r = write_revoked(s, now)) != STORE_OK)
		goto out;
	*ret_store = s;
	s = NULL;
	r = STORE_OK;
 out:
	store_close(s);
	return r;
}

store *
store_close(store *s)
{
	int i;

	if (s == NULL)
		return NULL;
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	if (s->db != NULL && sqlite3_close(s->db) != SQLITE_OK)
		slog(s, LOG_WARNING, "close: %s", sqlite3_errmsg(s->db));
	pthread_mutex_destroy(&s->lock);
	free(s->db_path);
	free(s->revoked_path);
	free(s);
	return NULL;
}

store_grant *
store_grant_free(store_grant *g)
{
	if (g == NULL)
		return NULL;
	free(g->user);
	free(g->client_id);
	free(g->scope);
	free(g->audience);
	free(g);
	return NULL;
}

static store_grant *
grant_new(const char *family_id, const char *user, const char *client_id,
    const char *scope, const char *audience, int64_t auth_time,
    int64_t expires)
{
	store_grant *g;

	if (family_id == NULL || user == NULL || client_id == NULL ||
	    scope == NULL || audience == NULL ||
	    strlen(family_id) > STORE_FAMILY_ID_LEN ||
	    (g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	memcpy(g->family_id, family_id, strlen(family_id) + 1);
	g->auth_time = auth_time;
	g->family_expires = expires;
	if ((g->user = strdup(user)) == NULL ||
	    (g->client_id = strdup(client_id)) == NULL ||
	    (g->scope = strdup(scope)) == NULL ||
	    (g->audience = strdup(audience)) == NULL)
		return store_grant_free(g);
	return g;
}

/* Insert a new current token for family_id; *ret_token on success. */
static store_err
insert_token(store *s, const char *family_id, int64_t now, char **ret_token)
{
	sqlite3_stmt *st = s->st[S_TOK_INSERT];
	unsigned char h[HASH_LEN];
	char *tok = NULL;
	store_err r;

	if ((r = random_b64(TOKEN_BYTES, &tok)) != STORE_OK ||
	    (r = hash_token(tok, strlen(tok), h)) != STORE_OK)
		goto out;
	if (bind_blob(st, 1, h, HASH_LEN) != 0 || bind_text(st, 2, family_id) != 0 ||
	    bind_int(st, 3, now) != 0) {
		r = db_fail(s, "bind");
		done(s, S_TOK_INSERT);
		goto out;
	}
	if ((r = run(s, S_TOK_INSERT)) != STORE_OK)
		goto out;
	*ret_token = tok;
	tok = NULL;
 out:
	pjwt_str_free(tok);
	return r;
}

store_err
store_refresh_issue(store *s, const char *user, const char *client_id,
    const char *scope, const char *audience, int64_t auth_time, int64_t now,
    char **ret_token, char *ret_family_id)
{
	sqlite3_stmt *st;
	char *fid = NULL, *tok = NULL;
	store_err r;

	if (s == NULL || ret_token == NULL || !field_ok(user, 0) ||
	    !field_ok(client_id, 0) || !field_ok(scope, 1) ||
	    !field_ok(audience, 1))
		return STORE_E_INVALID;
	pthread_mutex_lock(&s->lock);
	if ((r = random_b64(FAMILY_BYTES, &fid)) != STORE_OK ||
	    (r = begin(s)) != STORE_OK)
		goto out;
	st = s->st[S_FAM_INSERT];
	if (bind_text(st, 1, fid) != 0 || bind_text(st, 2, user) != 0 ||
	    bind_text(st, 3, client_id) != 0 || bind_text(st, 4, scope) != 0 ||
	    bind_text(st, 5, audience) != 0 || bind_int(st, 6, auth_time) != 0 ||
	    bind_int(st, 7, now) != 0 ||
	    bind_int(st, 8, now + (int64_t)s->family_ttl) != 0) {
		r = db_fail(s, "bind");
		done(s, S_FAM_INSERT);
		goto out;
	}
	if ((r = run(s, S_FAM_INSERT)) != STORE_OK ||
	    (r = insert_token(s, fid, now, &tok)) != STORE_OK ||
	    (r = commit(s)) != STORE_OK)
		goto out;
	if (ret_family_id != NULL)
		memcpy(ret_family_id, fid, STORE_FAMILY_ID_LEN + 1);
	*ret_token = tok;
	tok = NULL;
 out:
	rollback(s);
	pthread_mutex_unlock(&s->lock);
	pjwt_str_free(tok);
	free(fid);
	return r;
}

/*
 * Look a token up.  On STORE_OK *ret_grant and *ret_rotated (0 = current),
 * *ret_revoked (0 = live family).  Caller holds the lock.
 */
static store_err
lookup(store *s, const unsigned char h[HASH_LEN], store_grant **ret_grant,
    int *ret_rotated, int *ret_revoked)
{
	sqlite3_stmt *st = s->st[S_TOK_LOOKUP];
	store_grant *g;
	store_err r;
	int rc;

	if (bind_blob(st, 1, h, HASH_LEN) != 0) {
		r = db_fail(s, "bind");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = STORE_E_NOT_FOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = db_fail(s, "look up refresh token");
		goto out;
	}
	g = grant_new((const char *)sqlite3_column_text(st, 1),
	    (const char *)sqlite3_column_text(st, 2),
	    (const char *)sqlite3_column_text(st, 3),
	    (const char *)sqlite3_column_text(st, 4),
	    (const char *)sqlite3_column_text(st, 5),
	    sqlite3_column_int64(st, 6), sqlite3_column_int64(st, 7));
	if (g == NULL) {
		r = STORE_E_NOMEM;
		goto out;
	}
	*ret_rotated = sqlite3_column_type(st, 0) != SQLITE_NULL;
	*ret_revoked = sqlite3_column_type(st, 8) != SQLITE_NULL;
	*ret_grant = g;
	r = STORE_OK;
 out:
	done(s, S_TOK_LOOKUP);
	return r;
}

static store_err
revoke_family(store *s, const char *family_id, int64_t now)
{
	sqlite3_stmt *st = s->st[S_FAM_REVOKE];

	if (bind_int(st, 1, now) != 0 || bind_text(st, 2, family_id) != 0) {
		done(s, S_FAM_REVOKE);
		return db_fail(s, "bind");
	}
	return run(s, S_FAM_REVOKE);
}

/*
 * presented_hash: the lookup hash of a refresh token a client presented.
 * One of the wrong length cannot be ours: STORE_E_NOT_FOUND.
 */
static store_err
presented_hash(const char *token, size_t len, unsigned char out[HASH_LEN])
{
	if (token == NULL || len != STORE_TOKEN_LEN)
		return STORE_E_NOT_FOUND;
	return hash_token(token, len, out);
}

store_err
store_refresh_rotate(store *s, const char *token, size_t len,
    const char *client_id, int64_t now, store_grant **ret_grant,
    char **ret_token, store_grant **ret_reused)
{
	unsigned char h[HASH_LEN];
	store_grant *g = NULL;
	sqlite3_stmt *st;
	char *tok = NULL;
	int rotated = 0, revoked = 0;
	store_err r;

	if (s == NULL || ret_grant == NULL || ret_token == NULL ||
	    !field_ok(client_id, 0))
		return STORE_E_INVALID;
	if ((r = presented_hash(token, len, h)) != STORE_OK)
		return r;
	pthread_mutex_lock(&s->lock);
	if ((r = begin(s)) != STORE_OK ||
	    (r = lookup(s, h, &g, &rotated, &revoked)) != STORE_OK)
		goto out;
	if (strcmp(g->client_id, client_id) != 0) {
		r = STORE_E_CLIENT_MISMATCH;
		goto out;
	}
	if (revoked) {
		r = STORE_E_REVOKED;
		goto out;
	}
	if (g->family_expires <= now) {
		r = STORE_E_EXPIRED;
		goto out;
	}
	if (rotated) {
		/* RFC 9700 4.14: one of two parties holds a stolen token;
		 * we cannot tell which, so the whole family dies. */
		if ((r = revoke_family(s, g->family_id, now)) != STORE_OK ||
		    (r = commit(s)) != STORE_OK)
			goto out;
		r = STORE_E_REUSED;
		if (ret_reused != NULL) {
			*ret_reused = g;
			g = NULL;
		}
		goto out;
	}
	st = s->st[S_TOK_ROTATE];
	if (bind_int(st, 1, now) != 0 || bind_blob(st, 2, h, HASH_LEN) != 0) {
		done(s, S_TOK_ROTATE);
		r = db_fail(s, "bind");
		goto out;
	}
	if ((r = run(s, S_TOK_ROTATE)) != STORE_OK)
		goto out;
	if (sqlite3_changes(s->db) != 1) {
		r = db_fail(s, "rotate: token changed under the lock");
		goto out;
	}
	if ((r = insert_token(s, g->family_id, now, &tok)) != STORE_OK ||
	    (r = commit(s)) != STORE_OK)
		goto out;
	*ret_grant = g;
	*ret_token = tok;
	g = NULL;
	tok = NULL;
 out:
	rollback(s);
	pthread_mutex_unlock(&s->lock);
	explicit_bzero(h, sizeof(h));
	pjwt_str_free(tok);
	store_grant_free(g);
	return r;
}

store_err
store_refresh_lookup(store *s, const char *token, size_t len, int64_t now,
    store_grant **ret_grant)
{
	unsigned char h[HASH_LEN];
	store_grant *g = NULL;
	int rotated = 0, revoked = 0;
	store_err r;

	if (s == NULL || ret_grant == NULL)
		return STORE_E_INVALID;
	if ((r = presented_hash(token, len, h)) != STORE_OK)
		return r;
	pthread_mutex_lock(&s->lock);
	if ((r = lookup(s, h, &g, &rotated, &revoked)) != STORE_OK)
		goto out;
	if (rotated)
		r = STORE_E_NOT_FOUND;
	else if (revoked)
		r = STORE_E_REVOKED;
	else if (g->family_expires <= now)
		r = STORE_E_EXPIRED;
	else {
		*ret_grant = g;
		g = NULL;
	}
 out:
	pthread_mutex_unlock(&s->lock);
	store_grant_free(g);
	return r;
}

store_err
store_refresh_revoke(store *s, const char *token, size_t len,
    const char *client_id, int64_t now)
{
	unsigned char h[HASH_LEN];
	store_grant *g = NULL;
	int rotated = 0, revoked = 0;
	store_err r;

	if (s == NULL || (client_id != NULL && !field_ok(client_id, 0)))
		return STORE_E_INVALID;
	if ((r = presented_hash(token, len, h)) != STORE_OK)
		return r;
	pthread_mutex_lock(&s->lock);
	if ((r = begin(s)) != STORE_OK ||
	    (r = lookup(s, h, &g, &rotated, &revoked)) != STORE_OK)
		goto out;
	if (client_id != NULL && strcmp(g->client_id, client_id) != 0) {
		r = STORE_E_CLIENT_MISMATCH;
		goto out;
	}
	if (!revoked && (r = revoke_family(s, g->family_id, now)) != STORE_OK)
		goto out;
	r = commit(s);
 out:
	rollback(s);
	pthread_mutex_unlock(&s->lock);
	store_grant_free(g);
	return r;
}

store_err
store_family_revoke(store *s, const char *family_id, int64_t now)
{
	sqlite3_stmt *st;
	store_err r;
	int rc;

	if (s == NULL || !field_ok(family_id, 0))
		return STORE_E_INVALID;
	pthread_mutex_lock(&s->lock);
	if ((r = begin(s)) != STORE_OK)
		goto out;
	st = s->st[S_FAM_EXISTS];
	if (bind_text(st, 1, family_id) != 0) {
		done(s, S_FAM_EXISTS);
		r = db_fail(s, "bind");
		goto out;
	}
	rc = sqlite3_step(st);
	done(s, S_FAM_EXISTS);
	if (rc == SQLITE_DONE) {
		r = STORE_E_NOT_FOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = db_fail(s, "look up family");
		goto out;
	}
	if ((r = revoke_family(s, family_id, now)) != STORE_OK)
		goto out;
	r = commit(s);
 out:
	rollback(s);
	pthread_mutex_unlock(&s->lock);
	return r;
}

store_err
store_jti_revoke(store *s, const char *jti, int64_t exp, int64_t now)
{
	sqlite3_stmt *st;
	store_err r;

	if (s == NULL || !jti_ok(jti))
		return STORE_E_INVALID;
	if (exp <= now)
		return STORE_OK;
	pthread_mutex_lock(&s->lock);
	if ((r = begin(s)) != STORE_OK)
		goto out;
	st = s->st[S_JTI_UPSERT];
	if (bind_text(st, 1, jti) != 0 || bind_int(st, 2, exp) != 0) {
		done(s, S_JTI_UPSERT);
		r = db_fail(s, "bind");
		goto out;
	}
	/* The file first: if it cannot be written nothing is committed, and
	 * the caller's error makes the client retry.  A commit failing after
	 * the write leaves an extra line, which only denies a token the
	 * client asked to revoke anyway. */
	if ((r = run(s, S_JTI_UPSERT)) != STORE_OK ||
	    (r = write_revoked(s, now)) != STORE_OK)
		goto out;
	r = commit(s);
 out:
	rollback(s);
	pthread_mutex_unlock(&s->lock);
	return r;
}

store_err
store_jti_is_revoked(store *s, const char *jti, int64_t now, int *ret_revoked)
{
	sqlite3_stmt *st;
	store_err r = STORE_OK;
	int rc;

	if (s == NULL || ret_revoked == NULL || !jti_ok(jti))
		return STORE_E_INVALID;
	pthread_mutex_lock(&s->lock);
	st = s->st[S_JTI_GET];
	if (bind_text(st, 1, jti) != 0) {
		r = db_fail(s, "bind");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret_revoked = sqlite3_column_int64(st, 0) > now;
	else if (rc == SQLITE_DONE)
		*ret_revoked = 0;
	else
		r = db_fail(s, "look up jti");
 out:
	done(s, S_JTI_GET);
	pthread_mutex_unlock(&s->lock);
	return r;
}

store_err
store_jti_list(store *s, int64_t now, store_jti_fn *fn, void *arg)
{
	sqlite3_stmt *st;
	store_err r = STORE_OK;
	int rc;

	if (s == NULL || fn == NULL)
		return STORE_E_INVALID;
	pthread_mutex_lock(&s->lock);
	st = s->st[S_JTI_LIST];
	if (bind_int(st, 1, now) != 0) {
		r = db_fail(s, "bind");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *jti = (const char *)sqlite3_column_text(st, 0);

		if (jti == NULL || fn(jti, sqlite3_column_int64(st, 1), arg) != 0) {
			r = STORE_E_NOMEM;
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		r = db_fail(s, "list revoked jtis");
 out:
	done(s, S_JTI_LIST);
	pthread_mutex_unlock(&s->lock);
	return r;
}

typedef struct counter {
	int64_t count, locked_until, lock_secs, last_failure;
} counter;

/* Read a counter row; absent = all zero.  Caller holds the lock. */
static store_err
counter_get(store *s, int kind, const char *key, counter *c)
{
	sqlite3_stmt *st = s->st[S_FAIL_GET];
	store_err r = STORE_OK;
	int rc;

	memset(c, 0, sizeof(*c));
	if (bind_int(st, 1, kind) != 0 || bind_text(st, 2, key) != 0) {
		r = db_fail(s, "bind");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		c->count = sqlite3_column_int64(st, 0);
		c->locked_until = sqlite3_column_int64(st, 1);
		c->lock_secs = sqlite3_column_int64(st, 2);
		c->last_failure = sqlite3_column_int64(st, 3);
	} else if (rc != SQLITE_DONE)
		r = db_fail(s, "read failure counter");
 out:
	done(s, S_FAIL_GET);
	return r;
}

static int
key_ok(const char *key)
{
	return key == NULL || field_ok(key, 0);
}

store_err
store_lock_check(store *s, const char *user, const char *addr, int64_t now,
    unsigned *ret_remaining)
{
	const char *keys[2] = { user, addr };
	int64_t remaining = 0;
	store_err r = STORE_OK;
	counter c;
	int i;

	if (s == NULL || ret_remaining == NULL || !key_ok(user) || !key_ok(addr))
		return STORE_E_INVALID;
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < 2; i++) {
		if (keys[i] == NULL)
			continue;
		if ((r = counter_get(s, i == 0 ? KIND_USER : KIND_ADDR, keys[i],
		    &c)) != STORE_OK)
			goto out;
		if (c.locked_until - now > remaining)
			remaining = c.locked_until - now;
	}
	*ret_remaining = remaining > (int64_t)s->lockout_max ?
	    s->lockout_max : (unsigned)remaining;
 out:
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* Write a counter row.  Caller holds the lock. */
static store_err
counter_put(store *s, int kind, const char *key, const counter *c)
{
	sqlite3_stmt *st = s->st[S_FAIL_PUT];

	if (bind_int(st, 1, kind) != 0 || bind_text(st, 2, key) != 0 ||
	    bind_int(st, 3, c->count) != 0 || bind_int(st, 4, c->locked_until) != 0 ||
	    bind_int(st, 5, c->lock_secs) != 0 ||
	    bind_int(st, 6, c->last_failure) != 0) {
		done(s, S_FAIL_PUT);
		return db_fail(s, "bind");
	}
	return run(s, S_FAIL_PUT);
}

static unsigned
threshold(const store *s, int kind)
{
	return kind == KIND_USER ? s->max_failures : s->max_failures_addr;
}

/* Count one failure on one key; *locked_for = the lock it started. */
static store_err
counter_fail(store *s, int kind, const char *key, int64_t now,
    int64_t *locked_for)
{
	store_err r;
	counter c;

	*locked_for = 0;
	if ((r = counter_get(s, kind, key, &c)) != STORE_OK)
		return r;
	if (c.locked_until <= now && now - c.last_failure >= s->failure_forget)
		memset(&c, 0, sizeof(c));
	c.count++;
	c.last_failure = now;
	/* Past the threshold every failure outside a lock starts a new one,
	 * twice as long as the last, up to the cap. */
	if (c.count >= threshold(s, kind) && c.locked_until <= now) {
		if (c.lock_secs <= 0)
			c.lock_secs = s->lockout_initial;
		else if (c.lock_secs >= s->lockout_max / 2)
			c.lock_secs = s->lockout_max;
		else
			c.lock_secs *= 2;
		c.locked_until = now + c.lock_secs;
		*locked_for = c.lock_secs;
	}
	return counter_put(s, kind, key, &c);
}

/* Seconds until key (of kind) is unlocked, into *remaining when larger. */
static store_err
counter_remaining(store *s, int kind, const char *key, int64_t now,
    int64_t *remaining)
{
	store_err r;
	counter c;

	if (key == NULL)
		return STORE_OK;
	if ((r = counter_get(s, kind, key, &c)) != STORE_OK)
		return r;
	if (c.locked_until - now > *remaining)
		*remaining = c.locked_until - now;
	return STORE_OK;
}

store_err
store_lock_attempt(store *s, const char *user, const char *addr, int64_t now,
    unsigned *ret_remaining)
{
	int64_t remaining = 0, l;
	store_err r;

	if (s == NULL || ret_remaining == NULL || !key_ok(user) || !key_ok(addr))
		return STORE_E_INVALID;
	pthread_mutex_lock(&s->lock);
	if ((r = begin(s)) != STORE_OK ||
	    (r = counter_remaining(s, KIND_USER, user, now, &remaining)) !=
	    STORE_OK ||
	    (r = counter_remaining(s, KIND_ADDR, addr, now, &remaining)) !=
	    STORE_OK)
		goto out;
	if (remaining == 0 &&
	    ((user != NULL &&
	    (r = counter_fail(s, KIND_USER, user, now, &l)) != STORE_OK) ||
	    (addr != NULL &&
	    (r = counter_fail(s, KIND_ADDR, addr, now, &l)) != STORE_OK)))
		goto out;
	/* Only a committed count lets a password be checked. */
	if ((r = commit(s)) != STORE_OK)
		goto out;
	*ret_remaining = remaining > (int64_t)s->lockout_max ?
	    s->lockout_max : (unsigned)remaining;
 out:
	rollback(s);
	pthread_mutex_unlock(&s->lock);
	return r;
}

store_err
store_lock_fail(store *s, const char *user, const char *addr, int64_t now,
    unsigned *ret_locked_for)
{
	const char *keys[2] = { user, addr };
	int64_t locked = 0, l;
	store_err r;
	int i;

	if (s == NULL || !key_ok(user) || !key_ok(addr))
		return STORE_E_INVALID;
	pthread_mutex_lock(&s->lock);
	if ((r = begin(s)) != STORE_OK)
		goto out;
	for (i = 0; i < 2; i++) {
		if (keys[i] == NULL)
			continue;
		if ((r = counter_fail(s, i == 0 ? KIND_USER : KIND_ADDR, keys[i],
		    now, &l)) != STORE_OK)
			goto out;
		if (l > locked)
			locked = l;
	}
	if ((r = commit(s)) != STORE_OK)
		goto out;
	if (ret_locked_for != NULL)
		*ret_locked_for = (unsigned)locked;
 out:
	rollback(s);
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* Take back the one failure store_lock_attempt counted on an address,
 * and the lock it started when without it the count is under the
 * threshold again.  Caller holds the lock, in a transaction. */
static store_err
counter_take_back(store *s, const char *addr)
{
	store_err r;
	counter c;

	if ((r = counter_get(s, KIND_ADDR, addr, &c)) != STORE_OK ||
	    c.count <= 0)
		return r;
	c.count--;
	if (c.count < threshold(s, KIND_ADDR)) {
		c.locked_until = 0;
		c.lock_secs = 0;
	}
	return counter_put(s, KIND_ADDR, addr, &c);
}

store_err
store_lock_success(store *s, const char *user, const char *addr)
{
	sqlite3_stmt *st;
	store_err r;

	if (s == NULL || !key_ok(user) || !key_ok(addr))
		return STORE_E_INVALID;
	pthread_mutex_lock(&s->lock);
	if ((r = begin(s)) != STORE_OK)
		goto out;
	st = s->st[S_FAIL_DEL];
	if (user != NULL) {
		if (bind_int(st, 1, KIND_USER) != 0 || bind_text(st, 2, user) != 0) {
			done(s, S_FAIL_DEL);
			r = db_fail(s, "bind");
			goto out;
		}
		if ((r = run(s, S_FAIL_DEL)) != STORE_OK)
			goto out;
	}
	if (addr != NULL && (r = counter_take_back(s, addr)) != STORE_OK)
		goto out;
	r = commit(s);
 out:
	rollback(s);
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* Run a purge statement bound to (a[, b]); add the deleted rows to *n. */
static store_err
purge_one(store *s, enum stmt_id id, int64_t a, int64_t b, int nargs,
    unsigned *n)
{
	sqlite3_stmt *st = s->st[id];
	store_err r;

	if (bind_int(st, 1, a) != 0 || (nargs > 1 && bind_int(st, 2, b) != 0)) {
		done(s, id);
		return db_fail(s, "bind");
	}
	if ((r = run(s, id)) == STORE_OK)
		*n += (unsigned)sqlite3_changes(s->db);
	return r;
}

store_err
store_purge(store *s, int64_t now, unsigned *ret_purged)
{
	unsigned n = 0, jtis = 0;
	store_err r;

	if (s == NULL)
		return STORE_E_INVALID;
	pthread_mutex_lock(&s->lock);
	if ((r = begin(s)) != STORE_OK ||
	    (r = purge_one(s, S_PURGE_TOK, now, 0, 1, &n)) != STORE_OK ||
	    (r = purge_one(s, S_PURGE_FAM, now, 0, 1, &n)) != STORE_OK ||
	    (r = purge_one(s, S_PURGE_JTI, now, 0, 1, &jtis)) != STORE_OK ||
	    (r = purge_one(s, S_PURGE_FAIL, now,
	    now - (int64_t)s->failure_forget, 2, &n)) != STORE_OK)
		goto out;
	if (jtis > 0 && (r = write_revoked(s, now)) != STORE_OK)
		goto out;
	if ((r = commit(s)) != STORE_OK)
		goto out;
	if (ret_purged != NULL)
		*ret_purged = n + jtis;
 out:
	rollback(s);
	pthread_mutex_unlock(&s->lock);
	return r;
}

store_err
store_revoke_user(store *s, const char *user, int64_t now,
    unsigned *ret_revoked)
{
	sqlite3_stmt *st;
	unsigned n = 0;
	store_err r;

	if (s == NULL || !field_ok(user, 0))
		return STORE_E_INVALID;
	pthread_mutex_lock(&s->lock);
	st = s->st[S_USER_REVOKE];
	if ((r = begin(s)) != STORE_OK)
		goto out;
	if (bind_int(st, 1, now) != 0 || bind_text(st, 2, user) != 0 ||
	    bind_int(st, 3, now) != 0) {
		done(s, S_USER_REVOKE);
		r = db_fail(s, "bind");
		goto out;
	}
	if ((r = run(s, S_USER_REVOKE)) != STORE_OK)
		goto out;
	n = (unsigned)sqlite3_changes(s->db);
	if ((r = commit(s)) != STORE_OK)
		goto out;
	if (ret_revoked != NULL)
		*ret_revoked = n;
 out:
	rollback(s);
	pthread_mutex_unlock(&s->lock);
	return r;
}

store_err
store_family_users(store *s, int64_t now, store_user_fn *fn, void *arg)
{
	sqlite3_stmt *st;
	store_err r = STORE_OK;
	int rc;

	if (s == NULL || fn == NULL)
		return STORE_E_INVALID;
	pthread_mutex_lock(&s->lock);
	st = s->st[S_USER_LIST];
	if (bind_int(st, 1, now) != 0) {
		done(s, S_USER_LIST);
		r = db_fail(s, "bind");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *u = sqlite3_column_text(st, 0);

		if (u != NULL && fn((const char *)u, arg) != 0) {
			r = STORE_E_NOMEM;
			break;
		}
	}
	if (r == STORE_OK && rc != SQLITE_DONE)
		r = db_fail(s, "list family users");
	done(s, S_USER_LIST);
 out:
	pthread_mutex_unlock(&s->lock);
	return r;
}
