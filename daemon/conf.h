/*
 * conf.h - jwt-issuerd configuration: a strict INI file (libinih) and the
 * keys it names, loaded together into one immutable, reference-counted
 * snapshot.  SIGHUP builds a new snapshot and swaps it in only when the whole
 * file, every key and every client loaded; requests in flight keep the
 * snapshot they started with.
 *
 * (Named conf.h, not config.h: that name is autoconf's, and a quoted
 * include from daemon/ would pick the wrong one.)
 */
#ifndef JI_CONF_H
#define JI_CONF_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pjwt_key.h"

/* An address block: IPv4 addresses are kept as ::ffff:a.b.c.d, prefix in
 * IPv6 bits (an IPv4 /24 is 96 + 24). */
struct conf_net {
	unsigned char addr[16];
	unsigned prefix;
};

enum grant {
	GRANT_PASSWORD = 1u << 0,
	GRANT_REFRESH_TOKEN = 1u << 1,
	GRANT_CLIENT_CREDENTIALS = 1u << 2,
};

enum pw_backend {
	PW_BACKEND_FILE = 0,
	PW_BACKEND_PAM,
};

struct client {
	char *id;
	char *secret_hash;      /* crypt(3) hash; NULL for a public client */
	unsigned grants;        /* enum grant bits */
	char *scopes;           /* allowed scopes, space-separated, may be "" */
	char *default_scope;    /* granted when the request names none */
	char *audience;
	unsigned seen;          /* keys set so far (duplicate detection) */
	/*
	 * A client secret is checked with crypt(3) once; after that a keyed
	 * SHA-256 of the secret that passed is kept here and compared in
	 * constant time, so client_credentials does not pay a password hash
	 * per request.  Failed secrets always go through crypt(3).
	 */
	pthread_mutex_t cache_lock;
	int cache_valid;
	unsigned char cache_digest[32];
};

struct conf {
	char *path;

	/* [issuer] */
	char *issuer;
	char *signing_key;
	char *previous_keys;
	pjwt_alg key_alg;            /* PJWT_ALG_UNKNOWN: the key type's default */
	int64_t access_token_ttl;
	int64_t refresh_token_lifetime;
	char *state_dir;
	char *revoked_file;
	char *user;

	/* [http] */
	char *listen;
	unsigned threads;            /* 0 in the file = one per core */
	unsigned connection_limit;
	unsigned per_ip_connection_limit;
	unsigned connection_timeout;
	unsigned request_timeout;    /* absolute deadline per request, s */
	struct conf_net *trusted_proxies;       /* X-Forwarded-For from these */
	size_t ntrusted_proxies;
	size_t connection_memory_limit;
	char *tls_cert;
	char *tls_key;

	/* [password] */
	enum pw_backend backend;
	char *users_file;
	char *pam_service;
	unsigned max_failures;
	unsigned max_failures_addr;  /* max_failures_per_address */
	int64_t lockout_initial;
	int64_t lockout_max;
	unsigned workers;            /* password-check threads, 0 = one per core */
	unsigned pam_timeout;        /* seconds a PAM helper may take; 0 = 60 */

	struct client **clients;
	size_t nclients;

	/* Derived at load time. */
	pjwt_keyset *keys;           /* signing key first, then previous keys */
	const pjwt_key *signing;     /* borrowed from keys */
	char *jwks_json;             /* public JWK Set, served as is */
	char *metadata_json;         /* RFC 8414 document */
	char *tls_cert_pem;
	char *tls_key_pem;           /* secret: wiped on free */
	unsigned all_grants;         /* union of the clients' grants */

	atomic_int refs;
};

/*
 * conf_load: parse the INI file at path and load the keys it names.
 * file_owner: the uid key files, TLS files and the config itself must be
 * owned by (root, or the daemon's own uid when it runs unprivileged).
 * On failure returns -1 and writes one line "FILE:LINE: what" (or
 * "FILE: what") into err; on success 0 and *ret_conf (one reference).
 */
int conf_load(const char *path, uid_t file_owner, struct conf **ret_conf,
    char *err, size_t errlen);

/*
 * conf_parse and conf_load_keys: conf_load in two steps, so that the PAM
 * helpers can be forked after the file is parsed but before any private
 * key is in memory.  conf_load_keys also reads the TLS files and builds the
 * metadata; on failure the caller still owns (and unrefs) c.
 */
int conf_parse(const char *path, uid_t file_owner, struct conf **ret_conf,
    char *err, size_t errlen);
int conf_load_keys(struct conf *c, uid_t file_owner, char *err, size_t errlen);

/* conf_ref / conf_unref: reference counting; unref frees at zero.
 * conf_unref is NULL-safe. */
struct conf *conf_ref(struct conf *c);
void conf_unref(struct conf *c);

/*
 * The live snapshot.  conf_current returns a new reference (NULL before the
 * first conf_set_current); conf_set_current takes over the caller's
 * reference to c and drops the one to the snapshot it replaces.
 */
struct conf *conf_current(void);
void conf_set_current(struct conf *c);

/* conf_client: the client with this id, or NULL (borrowed from c). */
struct client *conf_client(const struct conf *c, const char *id);

/* grant_from_name: "password" -> GRANT_PASSWORD ...; 0 when unknown. */
unsigned grant_from_name(const char *name);

/* scope_valid: 1 when s is a space-separated list of RFC 6749 3.3
 * scope-tokens (%x21 / %x23-5B / %x5D-7E), single spaces, no empty item. */
int scope_valid(const char *s);

/* scope_subset: 1 when every scope in want appears in have. */
int scope_subset(const char *want, const char *have);

#endif /* JI_CONF_H */
