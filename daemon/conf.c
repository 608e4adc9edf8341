/*
 * conf.c - strict INI configuration (libinih) and the keys it names.
 *
 * Strict means: an unknown section or key, a key given twice, an empty or
 * out-of-range value, or a line longer than libinih reads in one piece is a
 * startup error naming FILE:LINE.  Each section has ONE setter
 * (issuer_set, http_set, password_set, client_set), as pam_faillock does.
 */
#include <config.h>

#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <arpa/inet.h>
#include <ini.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pjwt_err.h"
#include "pjwt_file.h"
#include "pjwt_key.h"
#include "pjwt_mem.h"

#include "conf.h"
#include "log.h"

#define CONF_MAX_FILE (256u * 1024u)
#define KEY_MAX_FILE (64u * 1024u)
#define KID_LENGTH 8             /* thumbprint prefix: 48 bits, short tokens */
#define CLIENT_ID_MAX 128
#define CLIENTS_MAX 1024

struct parse {
	struct conf *c;
	const char *path;
	char err[512];
	int failed;
	unsigned issuer_seen, http_seen, password_seen;
};

static void __attribute__((format(printf, 2, 3)))
perr(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;         /* libinih reports the line of the first error */
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
}

/* ---- values ------------------------------------------------------------ */

static int
parse_u64(const char *v, uint64_t min, uint64_t max, uint64_t *ret)
{
	unsigned long long n;
	char *end;

	if (v[0] < '0' || v[0] > '9')
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return -1;
	*ret = n;
	return 0;
}

static int
set_str(struct parse *p, char **dst, const char *key, const char *v)
{
	char *s;

	if ((s = strdup(v)) == NULL) {
		perr(p, "%s: out of memory", key);
		return 0;
	}
	free(*dst);
	*dst = s;
	return 1;
}

static int
set_num(struct parse *p, const char *key, const char *v, uint64_t min,
    uint64_t max, uint64_t *ret)
{
	if (parse_u64(v, min, max, ret) != 0) {
		perr(p, "%s: expected an integer from %llu to %llu, got \"%s\"",
		    key, (unsigned long long)min, (unsigned long long)max, v);
		return 0;
	}
	return 1;
}

static int
set_path(struct parse *p, char **dst, const char *key, const char *v)
{
	if (v[0] != '/') {
		perr(p, "%s: must be an absolute path", key);
		return 0;
	}
	return set_str(p, dst, key, v);
}

/* "ADDR[/PREFIX] ..." (IPv4 or IPv6), at most 64 blocks. */
static int
set_nets(struct parse *p, struct conf_net **dst, size_t *ndst,
    const char *key, const char *v)
{
	struct conf_net nets[64];
	size_t n = 0;
	const char *q = v;

	while (*q != '\0') {
		char word[64], *slash;
		size_t wl = strcspn(q, " \t,");
		unsigned char a4[4];
		uint64_t bits;
		unsigned max;

		if (wl == 0) {
			q++;
			continue;
		}
		if (wl >= sizeof(word) || n == sizeof(nets) / sizeof(nets[0])) {
			perr(p, "%s: too long an address or too many (64)", key);
			return 0;
		}
		memcpy(word, q, wl);
		word[wl] = '\0';
		q += wl;
		memset(&nets[n], 0, sizeof(nets[n]));
		if ((slash = strchr(word, '/')) != NULL)
			*slash++ = '\0';
		if (inet_pton(AF_INET, word, a4) == 1) {
			nets[n].addr[10] = nets[n].addr[11] = 0xff;
			memcpy(&nets[n].addr[12], a4, 4);
			max = 32;
		} else if (inet_pton(AF_INET6, word, nets[n].addr) == 1) {
			max = 128;
		} else {
			perr(p, "%s: \"%s\" is not an IP address", key, word);
			return 0;
		}
		bits = max;
		if (slash != NULL && parse_u64(slash, 0, max, &bits) != 0) {
			perr(p, "%s: bad prefix length \"/%s\"", key, slash);
			return 0;
		}
		nets[n].prefix = (unsigned)bits + (128 - max);
		n++;
	}
	free(*dst);
	*dst = NULL;
	*ndst = 0;
	if (n > 0) {
		if ((*dst = calloc(n, sizeof(**dst))) == NULL) {
			perr(p, "%s: out of memory", key);
			return 0;
		}
		memcpy(*dst, nets, n * sizeof(**dst));
		*ndst = n;
	}
	return 1;
}

static int
key_index(const char *const *keys, const char *key)
{
	for (int i = 0; keys[i] != NULL; i++)
		if (strcmp(keys[i], key) == 0)
			return i;
	return -1;
}

/* seen: the section's bitmask of keys already set. */
static int
lookup(struct parse *p, const char *section, const char *const *keys,
    const char *key, unsigned *seen)
{
	int i = key_index(keys, key);

	if (i < 0) {
		perr(p, "unknown key \"%s\" in [%s]", key, section);
		return -1;
	}
	if (*seen & (1u << i)) {
		perr(p, "\"%s\" given twice in [%s]", key, section);
		return -1;
	}
	*seen |= 1u << i;
	return i;
}

unsigned
grant_from_name(const char *name)
{
	if (strcmp(name, "password") == 0)
		return GRANT_PASSWORD;
	if (strcmp(name, "refresh_token") == 0)
		return GRANT_REFRESH_TOKEN;
	if (strcmp(name, "client_credentials") == 0)
		return GRANT_CLIENT_CREDENTIALS;
	return 0;
}

static int
scope_char(unsigned char ch)
{
	return ch == 0x21 || (ch >= 0x23 && ch <= 0x5b) ||
	    (ch >= 0x5d && ch <= 0x7e);
}

int
scope_valid(const char *s)
{
	size_t i, run = 0;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == ' ') {
			if (run == 0)
				return 0;
			run = 0;
		} else if (scope_char((unsigned char)s[i])) {
			run++;
		} else {
			return 0;
		}
	}
	return i == 0 || run > 0;
}

int
scope_subset(const char *want, const char *have)
{
	const char *w = want;

	while (*w != '\0') {
		size_t n = strcspn(w, " ");
		const char *h = have;
		int found = 0;

		while (*h != '\0') {
			size_t m = strcspn(h, " ");
			if (m == n && memcmp(h, w, n) == 0) {
				found = 1;
				break;
			}
			h += m;
			h += (*h == ' ');
		}
		if (!found)
			return 0;
		w += n;
		w += (*w == ' ');
	}
	return 1;
}

/* ---- [issuer] ---------------------------------------------------------- */

static const char *const issuer_keys[] = {
	"issuer", "signing_key", "previous_keys", "key_alg",
	"access_token_ttl", "refresh_token_lifetime", "state_dir",
	"revoked_file", "user", NULL
};

static int
issuer_url_valid(const char *v)
{
	const char *host;

	if (strncmp(v, "https://", 8) == 0)
		host = v + 8;
	else if (strncmp(v, "http://", 7) == 0)
		host = v + 7;
	else
		return 0;
	if (*host == '\0' || *host == '/')
		return 0;
	for (const char *s = v; *s != '\0'; s++)
		if (*s <= 0x20 || *s >= 0x7f || *s == '?' || *s == '#' ||
		    *s == '"' || *s == '\\')
			return 0;
	return v[strlen(v) - 1] != '/';
}

static int
issuer_set(struct parse *p, const char *key, const char *v)
{
	struct conf *c = p->c;
	uint64_t n;

	switch (lookup(p, "issuer", issuer_keys, key, &p->issuer_seen)) {
	case 0:
		if (!issuer_url_valid(v)) {
			perr(p, "issuer: must be an https:// (or http://) URL "
			    "without query, fragment or trailing slash");
			return 0;
		}
		return set_str(p, &c->issuer, key, v);
	case 1:
		return set_path(p, &c->signing_key, key, v);
	case 2:
		return set_str(p, &c->previous_keys, key, v);
	case 3:
		c->key_alg = pjwt_alg_from_name(v);
		if (c->key_alg == PJWT_ALG_UNKNOWN) {
			perr(p, "key_alg: unknown algorithm \"%s\"", v);
			return 0;
		}
		if (c->key_alg <= PJWT_ALG_HS512) {
			perr(p, "key_alg: HMAC keys cannot be published; "
			    "use an asymmetric algorithm");
			return 0;
		}
		return 1;
	case 4:
		if (!set_num(p, key, v, 10, 86400, &n))
			return 0;
		c->access_token_ttl = (int64_t)n;
		return 1;
	case 5:
		if (!set_num(p, key, v, 60, 366u * 86400u, &n))
			return 0;
		c->refresh_token_lifetime = (int64_t)n;
		return 1;
	case 6:
		return set_path(p, &c->state_dir, key, v);
	case 7:
		return set_path(p, &c->revoked_file, key, v);
	case 8:
		return set_str(p, &c->user, key, v);
	default:
		return 0;
	}
}

/* ---- [http] ------------------------------------------------------------ */

static const char *const http_keys[] = {
	"listen", "threads", "connection_limit", "per_ip_connection_limit",
	"connection_timeout", "connection_memory_limit", "tls_cert", "tls_key",
	"request_timeout", "trusted_proxies",
	NULL
};

static int
http_set(struct parse *p, const char *key, const char *v)
{
	struct conf *c = p->c;
	uint64_t n;

	switch (lookup(p, "http", http_keys, key, &p->http_seen)) {
	case 0:
		return set_str(p, &c->listen, key, v);
	case 1:
		if (!set_num(p, key, v, 0, 256, &n))
			return 0;
		c->threads = (unsigned)n;
		return 1;
	case 2:
		if (!set_num(p, key, v, 1, 65536, &n))
			return 0;
		c->connection_limit = (unsigned)n;
		return 1;
	case 3:
		if (!set_num(p, key, v, 1, 65536, &n))
			return 0;
		c->per_ip_connection_limit = (unsigned)n;
		return 1;
	case 4:
		/* Never 0: libmicrohttpd's 0 means "no timeout". */
		if (!set_num(p, key, v, 1, 3600, &n))
			return 0;
		c->connection_timeout = (unsigned)n;
		return 1;
	case 5:
		/* The request body (16 KiB) is held outside this pool, but
		 * headers and the response are not. */
		if (!set_num(p, key, v, 8192, 1024u * 1024u, &n))
			return 0;
		c->connection_memory_limit = (size_t)n;
		return 1;
	case 6:
		return set_path(p, &c->tls_cert, key, v);
	case 7:
		return set_path(p, &c->tls_key, key, v);
	case 8:
		/* Absolute: headers + body, and the response, each get this
		 * long however slowly the client trickles. */
		if (!set_num(p, key, v, 1, 3600, &n))
			return 0;
		c->request_timeout = (unsigned)n;
		return 1;
	case 9:
		return set_nets(p, &c->trusted_proxies, &c->ntrusted_proxies,
		    key, v);
	default:
		return 0;
	}
}

/* ---- [password] -------------------------------------------------------- */

static const char *const password_keys[] = {
	"backend", "users_file", "pam_service", "max_failures",
	"lockout_initial", "lockout_max", "workers", "max_failures_per_address",
	"pam_timeout", NULL
};

static int
password_set(struct parse *p, const char *key, const char *v)
{
	struct conf *c = p->c;
	uint64_t n;

	switch (lookup(p, "password", password_keys, key, &p->password_seen)) {
	case 0:
		if (strcmp(v, "file") == 0)
			c->backend = PW_BACKEND_FILE;
		else if (strcmp(v, "pam") == 0)
			c->backend = PW_BACKEND_PAM;
		else {
			perr(p, "backend: expected \"file\" or \"pam\", got \"%s\"", v);
			return 0;
		}
		return 1;
	case 1:
		return set_path(p, &c->users_file, key, v);
	case 2:
		for (const char *s = v; *s != '\0'; s++)
			if (!isalnum((unsigned char)*s) && *s != '-' &&
			    *s != '_' && *s != '.') {
				perr(p, "pam_service: not a valid service name");
				return 0;
			}
		return set_str(p, &c->pam_service, key, v);
	case 3:
		if (!set_num(p, key, v, 1, 1000, &n))
			return 0;
		c->max_failures = (unsigned)n;
		return 1;
	case 4:
		if (!set_num(p, key, v, 1, 86400, &n))
			return 0;
		c->lockout_initial = (int64_t)n;
		return 1;
	case 5:
		if (!set_num(p, key, v, 1, 30u * 86400u, &n))
			return 0;
		c->lockout_max = (int64_t)n;
		return 1;
	case 6:
		if (!set_num(p, key, v, 0, 256, &n))
			return 0;
		c->workers = (unsigned)n;
		return 1;
	case 7:
		if (!set_num(p, key, v, 1, 100000, &n))
			return 0;
		c->max_failures_addr = (unsigned)n;
		return 1;
	case 8:
		if (!set_num(p, key, v, 1, 600, &n))
			return 0;
		c->pam_timeout = (unsigned)n;
		return 1;
	default:
		return 0;
	}
}

/* ---- [client:ID] ------------------------------------------------------- */

static const char *const client_keys[] = {
	"secret_hash", "grant_types", "scopes", "default_scope", "audience",
	NULL
};

static int
client_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > CLIENT_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) &&
		    strchr("-._~@+", id[i]) == NULL)
			return 0;
	return 1;
}

static void
client_free(struct client *cl)
{
	if (cl == NULL)
		return;
	free(cl->id);
	pjwt_str_free(cl->secret_hash);
	free(cl->scopes);
	free(cl->default_scope);
	free(cl->audience);
	explicit_bzero(cl->cache_digest, sizeof(cl->cache_digest));
	pthread_mutex_destroy(&cl->cache_lock);
	free(cl);
}

static struct client *
client_get(struct parse *p, const char *id)
{
	struct conf *c = p->c;
	struct client *cl, **v;

	if ((cl = conf_client(c, id)) != NULL)
		return cl;
	if (c->nclients >= CLIENTS_MAX) {
		perr(p, "too many clients (at most %d)", CLIENTS_MAX);
		return NULL;
	}
	if ((v = realloc(c->clients, (c->nclients + 1) * sizeof(*v))) == NULL ||
	    (c->clients = v, (cl = calloc(1, sizeof(*cl))) == NULL)) {
		perr(p, "out of memory");
		return NULL;
	}
	if ((cl->id = strdup(id)) == NULL) {
		free(cl);
		perr(p, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&cl->cache_lock, NULL);
	c->clients[c->nclients++] = cl;
	return cl;
}

static int
client_set(struct parse *p, const char *id, const char *key, const char *v)
{
	char section[CLIENT_ID_MAX + 16];
	struct client *cl;
	int r;

	snprintf(section, sizeof(section), "client:%s", id);
	if ((cl = client_get(p, id)) == NULL)
		return 0;
	switch (lookup(p, section, client_keys, key, &cl->seen)) {
	case 0:
		r = crypt_checksalt(v);
		if (r != CRYPT_SALT_OK) {
			perr(p, "secret_hash: not a usable crypt(3) hash (%s)",
			    r == CRYPT_SALT_METHOD_LEGACY ? "legacy method" :
			    r == CRYPT_SALT_METHOD_DISABLED ? "method disabled" :
			    "invalid");
			return 0;
		}
		return set_str(p, &cl->secret_hash, key, v);
	case 1:
		for (const char *s = v; *s != '\0';) {
			char name[32];
			size_t n = strcspn(s, " \t");
			unsigned g;

			if (n == 0 || n >= sizeof(name)) {
				perr(p, "grant_types: bad list");
				return 0;
			}
			memcpy(name, s, n);
			name[n] = '\0';
			if ((g = grant_from_name(name)) == 0) {
				perr(p, "grant_types: unknown grant type \"%s\"",
				    name);
				return 0;
			}
			cl->grants |= g;
			s += n;
			s += strspn(s, " \t");
		}
		return 1;
	case 2:
	case 3:
		if (!scope_valid(v)) {
			perr(p, "%s: not a list of scope tokens separated by "
			    "single spaces", key);
			return 0;
		}
		return set_str(p, key[0] == 's' ? &cl->scopes :
		    &cl->default_scope, key, v);
	case 4:
		for (const char *s = v; *s != '\0'; s++)
			if (*s <= 0x20 || *s >= 0x7f || *s == '"' || *s == '\\') {
				perr(p, "audience: printable ASCII without "
				    "blanks or quotes");
				return 0;
			}
		return set_str(p, &cl->audience, key, v);
	default:
		return 0;
	}
}

/* ---- libinih glue ------------------------------------------------------ */

static int
on_ini_line(void *user, const char *section, const char *name,
    const char *value)
{
	struct parse *p = user;

	if (p->failed)
		return 1;       /* report the first error only */
	if (value == NULL || value[0] == '\0') {
		perr(p, "\"%s\": empty value", name);
		return 0;
	}
	if (strcmp(section, "issuer") == 0)
		return issuer_set(p, name, value);
	if (strcmp(section, "http") == 0)
		return http_set(p, name, value);
	if (strcmp(section, "password") == 0)
		return password_set(p, name, value);
	if (strncmp(section, "client:", 7) == 0)
		return client_set(p, section + 7, name, value);
	if (section[0] == '\0')
		perr(p, "\"%s\" outside any section", name);
	else
		perr(p, "unknown section [%s]", section);
	return 0;
}

/*
 * Checks libinih does not make: every line fits its buffer (a longer one
 * would be split and the rest read as a new line), every section header is
 * one we know (libinih reports no section that has no keys).
 */
static int
prescan(const char *path, const char *buf, size_t len, char *err,
    size_t errlen)
{
	size_t lineno = 0;

	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: NUL byte in the file", path);
		return -1;
	}
	for (const char *s = buf; s < buf + len;) {
		const char *nl = memchr(s, '\n', (size_t)(buf + len - s));
		size_t n = nl != NULL ? (size_t)(nl - s) : (size_t)(buf + len - s);
		const char *b = s, *e = s + n;

		lineno++;
		if (n >= INI_MAX_LINE - 2) {
			snprintf(err, errlen, "%s:%zu: line too long (at most "
			    "%d bytes)", path, lineno, INI_MAX_LINE - 3);
			return -1;
		}
		while (b < e && isspace((unsigned char)*b))
			b++;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		if (b < e && *b == '[') {
			char sec[INI_MAX_LINE];
			const char *close = memchr(b, ']', (size_t)(e - b));
			size_t m;

			if (close == NULL) {
				snprintf(err, errlen, "%s:%zu: section header "
				    "without ']'", path, lineno);
				return -1;
			}
			m = (size_t)(close - b - 1);
			memcpy(sec, b + 1, m);
			sec[m] = '\0';
			if (strcmp(sec, "issuer") != 0 && strcmp(sec, "http") != 0 &&
			    strcmp(sec, "password") != 0 &&
			    !(strncmp(sec, "client:", 7) == 0 &&
			    client_id_valid(sec + 7))) {
				snprintf(err, errlen, "%s:%zu: unknown section [%s]"
				    "%s", path, lineno, sec,
				    strncmp(sec, "client:", 7) == 0 ?
				    " (client ids: 1-128 of A-Z a-z 0-9 - . _ ~ @ +)" : "");
				return -1;
			}
		}
		s += n + 1;
	}
	return 0;
}

/* ---- keys -------------------------------------------------------------- */

/* Read a file we trust: owned by owner, not group/other-writable. */
static int
read_trusted(const char *path, uid_t owner, int secret, char **ret_buf,
    size_t *ret_len, char *err, size_t errlen)
{
	struct stat st;
	pjwt_err r;

	r = pjwt_file_read(path, owner, KEY_MAX_FILE, ret_buf, ret_len);
	if (r != PJWT_OK) {
		if (r == PJWT_E_IO)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		else if (r == PJWT_E_FILE_OWNER)
			snprintf(err, errlen, "%s: bad_owner: must be owned by "
			    "uid %u", path, (unsigned)owner);
		else
			snprintf(err, errlen, "%s: %s", path, pjwt_strerror(r));
		return -1;
	}
	/*
	 * sshd refuses private keys others can read.  pjwt_file_read already
	 * checked the file it read; this stat only adds the readable-by-others
	 * test (a misconfiguration check, not a security boundary).
	 */
	if (secret && stat(path, &st) == 0 && (st.st_mode & S_IROTH)) {
		pjwt_secret_free(*ret_buf, *ret_len + 1);
		*ret_buf = NULL;
		snprintf(err, errlen, "%s: bad_permissions: private key is "
		    "readable by others (chmod 0600 or 0640)", path);
		return -1;
	}
	return 0;
}

static int
load_key(const char *path, pjwt_alg alg, uid_t owner, int need_private,
    pjwt_key **ret_key, char *err, size_t errlen)
{
	char *buf = NULL, *tp = NULL;
	pjwt_key *k = NULL;
	size_t len;
	pjwt_err r;
	int ret = -1;

	if (read_trusted(path, owner, 1, &buf, &len, err, errlen) != 0)
		return -1;
	if ((r = pjwt_key_load(buf, len, alg, &k)) != PJWT_OK) {
		snprintf(err, errlen, "%s: %s", path, pjwt_strerror(r));
		goto out;
	}
	if (need_private && !pjwt_key_is_private(k)) {
		snprintf(err, errlen, "%s: signing_key must be a private key", path);
		goto out;
	}
	if (pjwt_key_is_symmetric(k)) {
		snprintf(err, errlen, "%s: symmetric keys cannot be published", path);
		goto out;
	}
	/* A short kid keeps tokens under the 511/1023-character budgets. */
	if ((r = pjwt_key_thumbprint(k, &tp)) != PJWT_OK) {
		snprintf(err, errlen, "%s: %s", path, pjwt_strerror(r));
		goto out;
	}
	tp[KID_LENGTH] = '\0';
	if ((r = pjwt_key_set_kid(k, tp)) != PJWT_OK) {
		snprintf(err, errlen, "%s: %s", path, pjwt_strerror(r));
		goto out;
	}
	*ret_key = k;
	k = NULL;
	ret = 0;
out:
	free(tp);
	pjwt_key_free(k);
	pjwt_secret_free(buf, buf != NULL ? len + 1 : 0);
	return ret;
}

static int
load_keys(struct conf *c, uid_t owner, char *err, size_t errlen)
{
	pjwt_key *k = NULL;
	pjwt_err r;
	char *list = NULL, *save = NULL;

	if ((c->keys = pjwt_keyset_new()) == NULL)
		goto nomem;
	if (load_key(c->signing_key, c->key_alg, owner, 1, &k, err, errlen) != 0)
		return -1;
	if ((r = pjwt_keyset_add(c->keys, k)) != PJWT_OK)
		goto keyset;
	c->signing = k;
	k = NULL;
	if (c->previous_keys != NULL) {
		if ((list = strdup(c->previous_keys)) == NULL)
			goto nomem;
		for (char *t = strtok_r(list, " \t", &save); t != NULL;
		    t = strtok_r(NULL, " \t", &save)) {
			pjwt_alg alg = PJWT_ALG_UNKNOWN;
			char *colon = strchr(t, ':');

			/* "PS256:/path" binds an old key to its alg. */
			if (colon != NULL && t[0] != '/') {
				*colon = '\0';
				alg = pjwt_alg_from_name(t);
				if (alg == PJWT_ALG_UNKNOWN) {
					snprintf(err, errlen, "%s: previous_keys: "
					    "unknown algorithm \"%s\"", c->path, t);
					goto fail;
				}
				t = colon + 1;
			}
			if (t[0] != '/') {
				snprintf(err, errlen, "%s: previous_keys: \"%s\" "
				    "is not an absolute path", c->path, t);
				goto fail;
			}
			if (load_key(t, alg, owner, 0, &k, err, errlen) != 0)
				goto fail;
			if ((r = pjwt_keyset_add(c->keys, k)) != PJWT_OK)
				goto keyset;
			k = NULL;
		}
	}
	if ((r = pjwt_keyset_to_jwks(c->keys, &c->jwks_json)) != PJWT_OK) {
		snprintf(err, errlen, "%s: JWKS: %s", c->path, pjwt_strerror(r));
		goto fail;
	}
	free(list);
	return 0;
keyset:
	snprintf(err, errlen, "%s: keys: %s%s", c->path, pjwt_strerror(r),
	    r == PJWT_E_DUPLICATE_KID ? " (the same key listed twice?)" : "");
	goto fail;
nomem:
	snprintf(err, errlen, "%s: out of memory", c->path);
fail:
	pjwt_key_free(k);
	free(list);
	return -1;
}

/* ---- derived documents ------------------------------------------------- */

static int
add_scopes(json_t *arr, const char *list)
{
	for (const char *s = list; s != NULL && *s != '\0';) {
		size_t n = strcspn(s, " ");
		json_t *v = json_stringn(s, n);
		size_t i;
		json_t *e;
		int dup = 0;

		if (v == NULL)
			return -1;
		json_array_foreach(arr, i, e)
			if (json_equal(e, v))
				dup = 1;
		if (dup)
			json_decref(v);
		else if (json_array_append_new(arr, v) != 0)
			return -1;
		s += n;
		s += (*s == ' ');
	}
	return 0;
}

static char *
url(const char *issuer, const char *path)
{
	char *s;

	if (asprintf(&s, "%s%s", issuer, path) < 0)
		return NULL;
	return s;
}

static int
build_metadata(struct conf *c)
{
	json_t *m, *grants, *auth, *authc, *scopes, *algs;
	char *u[4] = { NULL, NULL, NULL, NULL };
	int ret = -1;

	m = json_object();
	grants = json_array();
	auth = json_array();
	authc = json_array();
	scopes = json_array();
	algs = json_array();
	u[0] = url(c->issuer, "/token");
	u[1] = url(c->issuer, "/.well-known/jwks.json");
	u[2] = url(c->issuer, "/revoke");
	u[3] = url(c->issuer, "/introspect");
	if (m == NULL || grants == NULL || auth == NULL || authc == NULL ||
	    scopes == NULL || algs == NULL || u[0] == NULL || u[1] == NULL ||
	    u[2] == NULL || u[3] == NULL)
		goto out;
	if (c->all_grants & GRANT_PASSWORD)
		json_array_append_new(grants, json_string("password"));
	if (c->all_grants & GRANT_REFRESH_TOKEN)
		json_array_append_new(grants, json_string("refresh_token"));
	if (c->all_grants & GRANT_CLIENT_CREDENTIALS)
		json_array_append_new(grants, json_string("client_credentials"));
	json_array_append_new(auth, json_string("client_secret_basic"));
	json_array_append_new(auth, json_string("client_secret_post"));
	json_array_append_new(authc, json_string("client_secret_basic"));
	json_array_append_new(authc, json_string("client_secret_post"));
	json_array_append_new(auth, json_string("none"));
	for (size_t i = 0; i < c->nclients; i++)
		if (add_scopes(scopes, c->clients[i]->scopes) != 0)
			goto out;
	json_array_append_new(algs, json_string(
	    pjwt_alg_name(pjwt_key_alg(c->signing))));
	if (json_object_set_new(m, "issuer", json_string(c->issuer)) != 0 ||
	    json_object_set_new(m, "token_endpoint", json_string(u[0])) != 0 ||
	    json_object_set_new(m, "jwks_uri", json_string(u[1])) != 0 ||
	    json_object_set_new(m, "revocation_endpoint", json_string(u[2])) != 0 ||
	    json_object_set_new(m, "introspection_endpoint",
	    json_string(u[3])) != 0 ||
	    json_object_set(m, "grant_types_supported", grants) != 0 ||
	    json_object_set_new(m, "response_types_supported",
	    json_array()) != 0 ||
	    json_object_set(m, "scopes_supported", scopes) != 0 ||
	    json_object_set(m, "token_endpoint_auth_methods_supported",
	    auth) != 0 ||
	    json_object_set(m, "revocation_endpoint_auth_methods_supported",
	    auth) != 0 ||
	    json_object_set(m, "introspection_endpoint_auth_methods_supported",
	    authc) != 0 ||
	    json_object_set(m, "access_token_signing_alg_values_supported",
	    algs) != 0)
		goto out;
	if ((c->metadata_json = json_dumps(m, JSON_COMPACT)) == NULL)
		goto out;
	ret = 0;
out:
	json_decref(m);
	json_decref(grants);
	json_decref(auth);
	json_decref(authc);
	json_decref(scopes);
	json_decref(algs);
	for (size_t i = 0; i < 4; i++)
		free(u[i]);
	return ret;
}

/* ---- load / free ------------------------------------------------------- */

static int
set_default(char **dst, const char *v)
{
	if (*dst != NULL)
		return 0;
	return (*dst = strdup(v)) == NULL ? -1 : 0;
}

/* Checks across keys and sections, after the whole file parsed. */
static int
finish(struct conf *c, char *err, size_t errlen)
{
	if (c->issuer == NULL) {
		snprintf(err, errlen, "%s: [issuer] issuer is required", c->path);
		return -1;
	}
	if (c->signing_key == NULL) {
		snprintf(err, errlen, "%s: [issuer] signing_key is required",
		    c->path);
		return -1;
	}
	if (set_default(&c->state_dir, "/var/lib/jwt-issuerd") != 0 ||
	    set_default(&c->pam_service, "jwt-issuerd") != 0 ||
	    set_default(&c->users_file, "/etc/jwt-issuerd/users") != 0)
		goto nomem;
	if (c->revoked_file == NULL &&
	    asprintf(&c->revoked_file, "%s/revoked", c->state_dir) < 0) {
		c->revoked_file = NULL;
		goto nomem;
	}
	if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
		snprintf(err, errlen, "%s: [http] tls_cert and tls_key go "
		    "together", c->path);
		return -1;
	}
	if (c->lockout_initial > c->lockout_max) {
		snprintf(err, errlen, "%s: [password] lockout_initial exceeds "
		    "lockout_max", c->path);
		return -1;
	}
	if (c->nclients == 0) {
		snprintf(err, errlen, "%s: no [client:ID] section", c->path);
		return -1;
	}
	for (size_t i = 0; i < c->nclients; i++) {
		struct client *cl = c->clients[i];

		if (cl->grants == 0) {
			snprintf(err, errlen, "%s: [client:%s] grant_types is "
			    "required", c->path, cl->id);
			return -1;
		}
		if (cl->audience == NULL) {
			snprintf(err, errlen, "%s: [client:%s] audience is "
			    "required", c->path, cl->id);
			return -1;
		}
		/* RFC 6749 4.4: client credentials only for confidential clients. */
		if ((cl->grants & GRANT_CLIENT_CREDENTIALS) &&
		    cl->secret_hash == NULL) {
			snprintf(err, errlen, "%s: [client:%s] client_credentials "
			    "needs secret_hash", c->path, cl->id);
			return -1;
		}
		if (set_default(&cl->scopes, "") != 0 ||
		    set_default(&cl->default_scope, "") != 0)
			goto nomem;
		if (!scope_subset(cl->default_scope, cl->scopes)) {
			snprintf(err, errlen, "%s: [client:%s] default_scope is not "
			    "a subset of scopes", c->path, cl->id);
			return -1;
		}
		c->all_grants |= cl->grants;
	}
	return 0;
nomem:
	snprintf(err, errlen, "%s: out of memory", c->path);
	return -1;
}

static void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->issuer);
	free(c->signing_key);
	free(c->previous_keys);
	free(c->state_dir);
	free(c->revoked_file);
	free(c->user);
	free(c->listen);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->trusted_proxies);
	free(c->users_file);
	free(c->pam_service);
	for (size_t i = 0; i < c->nclients; i++)
		client_free(c->clients[i]);
	free(c->clients);
	pjwt_keyset_free(c->keys);
	free(c->jwks_json);
	free(c->metadata_json);
	free(c->tls_cert_pem);
	pjwt_str_free(c->tls_key_pem);
	free(c);
}

int
conf_parse(const char *path, uid_t owner, struct conf **ret_conf, char *err,
    size_t errlen)
{
	struct parse p;
	struct conf *c;
	char *buf = NULL;
	size_t len = 0;
	int line;

	memset(&p, 0, sizeof(p));
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(c);
		return -1;
	}
	c->access_token_ttl = 300;
	c->refresh_token_lifetime = 86400;
	c->connection_limit = 1024;
	c->per_ip_connection_limit = 64;
	c->connection_timeout = 30;
	c->request_timeout = 10;
	c->connection_memory_limit = 32768;
	c->backend = PW_BACKEND_FILE;
	c->max_failures = 5;
	c->max_failures_addr = 50;
	c->lockout_initial = 60;
	c->lockout_max = 3600;
	atomic_init(&c->refs, 1);

	if (read_trusted(path, owner, 0, &buf, &len, err, errlen) != 0)
		goto fail;
	if (prescan(path, buf, len, err, errlen) != 0)
		goto fail;
	p.c = c;
	p.path = path;
	line = ini_parse_string(buf, on_ini_line, &p);
	if (line != 0 || p.failed) {
		if (line < 0)
			snprintf(err, errlen, "%s: out of memory", path);
		else
			snprintf(err, errlen, "%s:%d: %s", path, line,
			    p.failed ? p.err : "syntax error (expected "
			    "\"key = value\" or \"[section]\")");
		goto fail;
	}
	if (finish(c, err, errlen) != 0)
		goto fail;
	pjwt_secret_free(buf, len + 1);
	*ret_conf = c;
	return 0;
fail:
	pjwt_secret_free(buf, buf != NULL ? len + 1 : 0);
	conf_free(c);
	return -1;
}

int
conf_load_keys(struct conf *c, uid_t owner, char *err, size_t errlen)
{
	size_t tlen;

	if (c->keys != NULL)
		return 0;
	if (load_keys(c, owner, err, errlen) != 0)
		return -1;
	if (c->tls_cert != NULL) {
		if (read_trusted(c->tls_cert, owner, 0, &c->tls_cert_pem, &tlen,
		    err, errlen) != 0 ||
		    read_trusted(c->tls_key, owner, 1, &c->tls_key_pem, &tlen,
		    err, errlen) != 0)
			return -1;
	}
	if (build_metadata(c) != 0) {
		snprintf(err, errlen, "%s: out of memory", c->path);
		return -1;
	}
	return 0;
}

int
conf_load(const char *path, uid_t owner, struct conf **ret_conf, char *err,
    size_t errlen)
{
	struct conf *c;

	if (conf_parse(path, owner, &c, err, errlen) != 0)
		return -1;
	if (conf_load_keys(c, owner, err, errlen) != 0) {
		conf_unref(c);
		return -1;
	}
	*ret_conf = c;
	return 0;
}

struct conf *
conf_ref(struct conf *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

void
conf_unref(struct conf *c)
{
	if (c != NULL && atomic_fetch_sub(&c->refs, 1) == 1)
		conf_free(c);
}

struct client *
conf_client(const struct conf *c, const char *id)
{
	for (size_t i = 0; i < c->nclients; i++)
		if (strcmp(c->clients[i]->id, id) == 0)
			return c->clients[i];
	return NULL;
}

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conf *current;

struct conf *
conf_current(void)
{
	struct conf *c;

	pthread_mutex_lock(&current_lock);
	c = current != NULL ? conf_ref(current) : NULL;
	pthread_mutex_unlock(&current_lock);
	return c;
}

void
conf_set_current(struct conf *c)
{
	struct conf *old;

	pthread_mutex_lock(&current_lock);
	old = current;
	current = c;
	pthread_mutex_unlock(&current_lock);
	conf_unref(old);
}
