/*
 * oauth.c - the endpoints: POST /token (RFC 6749 password, refresh_token,
 * client_credentials; access tokens per RFC 9068), POST /revoke (RFC 7009),
 * POST /introspect (RFC 7662), the JWKS, RFC 8414 metadata, /healthz.
 *
 * Threads (see http.c): a handler first runs on an MHD event thread with
 * req->may_block == 0 and answers everything it can without blocking:
 * malformed requests, unknown clients, JWKS, metadata, client_credentials
 * for a client whose secret was verified before.  Anything that hashes a
 * password or secret or touches the store sets resp->defer, and the handler
 * runs again from the start on a worker thread with may_block == 1.
 * Re-running is cheap (a form parse) and keeps each handler one straight
 * function.
 */
#include <config.h>

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "pjwt_b64.h"
#include "pjwt_file.h"
#include "pjwt_jws.h"
#include "pjwt_jwt.h"
#include "pjwt_mem.h"
#include "pjwt_revoked.h"
#include "pjwt_user.h"

#include "conf.h"
#include "form.h"
#include "log.h"
#include "oauth.h"
#include "pwauth.h"
#include "store.h"

#define BUDGET_SSH 1023          /* OpenSSH client, sudo */
#define BUDGET_PAM 511           /* Linux-PAM misc_conv, pam_unix */
#define JTI_BYTES 12             /* 96 bits, 16 characters */
#define SECRET_MAX 512
#define WWW_AUTH "Basic realm=\"jwt-issuerd\", charset=\"UTF-8\""

static store *the_store;
static pwauth *the_pw;
static atomic_ulong over_budget;
static unsigned char cache_key[32];   /* keys the verified-secret cache */

void
oauth_init(struct store *s, struct pwauth *pw)
{
	the_store = s;
	the_pw = pw;
	if (RAND_bytes(cache_key, sizeof(cache_key)) != 1) {
		/* Without a key the cache is off: every secret goes to crypt. */
		log_warning("RAND_bytes failed: client secret cache disabled");
		memset(cache_key, 0, sizeof(cache_key));
	}
}

unsigned long
oauth_over_budget_count(void)
{
	return atomic_load(&over_budget);
}

/* ---- small helpers ----------------------------------------------------- */

static void
invalid_request(struct response *resp, const char *why)
{
	resp_error(resp, 400, "invalid_request", why);
}

static void
invalid_client(struct response *resp, const char *why)
{
	resp_error(resp, 401, "invalid_client", why);
	resp->www_authenticate = WWW_AUTH;
}

static void
server_error(struct response *resp, unsigned status, const char *why)
{
	resp_error(resp, status, status == 503 ? "temporarily_unavailable" :
	    "server_error", why);
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict RFC 4648 base64 (padding required), into a new NUL-terminated
 * buffer of *ret_len bytes.  -1 on bad input or allocation failure. */
static int
b64_decode_std(const char *in, size_t len, char **ret, size_t *ret_len)
{
	char *out;
	size_t o = 0;

	if (len == 0 || len % 4 != 0 || len > 4 * 1024)
		return -1;
	if ((out = malloc(len / 4 * 3 + 1)) == NULL)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;

		for (int k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)in[i + k];
			if (c == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad || (v[k] = b64val(c)) < 0) {
				pjwt_secret_free(out, len / 4 * 3 + 1);
				return -1;
			}
		}
		out[o++] = (char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (char)((v[1] & 0xf) << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (char)((v[2] & 0x3) << 6 | v[3]);
		/* Non-canonical trailing bits are refused. */
		if ((pad == 2 && (v[1] & 0xf)) || (pad == 1 && (v[2] & 0x3))) {
			pjwt_secret_free(out, len / 4 * 3 + 1);
			return -1;
		}
	}
	out[o] = '\0';
	*ret = out;
	*ret_len = o;
	return 0;
}

/* ---- client authentication (RFC 6749 2.3.1) ---------------------------- */

/*
 * HTTP Basic credentials: base64(urlencode(id) ":" urlencode(secret)), the
 * halves form-urlencoded as RFC 6749 2.3.1 asks, decoded with the same
 * strict rules as the body.  0 ok (*ret_id, *ret_secret: free with
 * pjwt_str_free; *ret_secret NULL when empty), -1 malformed.
 */
static int
parse_basic(const char *b64, char **ret_id, char **ret_secret)
{
	char *raw = NULL, *colon, *id = NULL, *secret = NULL;
	size_t rawlen = 0, idlen, slen;
	int ret = -1;

	while (*b64 == ' ')
		b64++;
	if (b64_decode_std(b64, strlen(b64), &raw, &rawlen) != 0)
		return -1;
	if ((colon = memchr(raw, ':', rawlen)) == NULL || colon == raw)
		goto out;
	if (form_urldecode(raw, (size_t)(colon - raw), &id, &idlen) != FORM_OK ||
	    idlen == 0 ||
	    form_urldecode(colon + 1, rawlen - (size_t)(colon - raw) - 1, &secret,
	    &slen) != FORM_OK)
		goto out;
	if (slen == 0) {
		free(secret);
		secret = NULL;
	}
	*ret_id = id;
	*ret_secret = secret;
	id = secret = NULL;
	ret = 0;
out:
	pjwt_str_free(id);
	pjwt_str_free(secret);
	pjwt_secret_free(raw, rawlen + 1);
	return ret;
}

/* Keyed SHA-256 of (client id, secret) for the verified-secret cache. */
static int
secret_digest(const char *client_id, const char *secret, unsigned char out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok;

	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, cache_key, sizeof(cache_key)) == 1 &&
	    EVP_DigestUpdate(ctx, client_id, strlen(client_id) + 1) == 1 &&
	    EVP_DigestUpdate(ctx, secret, strlen(secret)) == 1 &&
	    EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == 32;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

static int
secret_cached(struct client *cl, const char *secret)
{
	unsigned char d[32];
	int hit = 0;

	if (secret_digest(cl->id, secret, d) != 0)
		return 0;
	pthread_mutex_lock(&cl->cache_lock);
	hit = cl->cache_valid && CRYPTO_memcmp(d, cl->cache_digest, 32) == 0;
	pthread_mutex_unlock(&cl->cache_lock);
	explicit_bzero(d, sizeof(d));
	return hit;
}

static void
secret_remember(struct client *cl, const char *secret)
{
	unsigned char d[32];

	if (secret_digest(cl->id, secret, d) != 0)
		return;
	pthread_mutex_lock(&cl->cache_lock);
	memcpy(cl->cache_digest, d, 32);
	cl->cache_valid = 1;
	pthread_mutex_unlock(&cl->cache_lock);
	explicit_bzero(d, sizeof(d));
}

/* crypt(3) check of secret against hash, constant-time compare.  Blocking. */
static int
secret_check(const char *hash, const char *secret)
{
	struct crypt_data *cd;
	const char *out;
	size_t hl = strlen(hash);
	int ok = 0;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return 0;
	out = crypt_rn(secret, hash, cd, (int)sizeof(*cd));
	if (out != NULL && out[0] != '*' && strlen(out) == hl)
		ok = CRYPTO_memcmp(out, hash, hl) == 0;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

/*
 * The hash an unknown client id's secret is checked against, so that it
 * costs what a known confidential client's wrong secret costs: the first
 * yescrypt client hash (what jwtctl writes), else the first client hash.
 * NULL when no client has a secret (then no id needs a hash).
 */
static const char *
dummy_secret_hash(const struct conf *c)
{
	const char *any = NULL;

	for (size_t i = 0; i < c->nclients; i++) {
		const char *h = c->clients[i]->secret_hash;

		if (h == NULL)
			continue;
		if (strncmp(h, "$y$", 3) == 0)
			return h;
		if (any == NULL)
			any = h;
	}
	return any;
}

/*
 * Client secrets are throttled per client address, with the password
 * grant's per-address counter (max_failures_per_address): the attempt is
 * counted before the secret is checked; a locked address, or an attempt
 * that cannot be recorded, is refused unchecked.  Not per client id: that
 * would let anyone lock a machine client out.  0: go on and check; -1:
 * response written.
 */
static int
client_attempt(const struct request *req, struct response *resp)
{
	unsigned remaining = 0;
	char msg[96];
	store_err se;

	if ((se = store_lock_attempt(the_store, NULL, req->peer_unit, req->now,
	    &remaining)) != STORE_OK) {
		log_err("client authentication refused: peer=%s: attempt not "
		    "recorded (%s); secret not checked", req->peer,
		    store_strerror(se));
		server_error(resp, 503, "state store unavailable");
		return -1;
	}
	if (remaining > 0) {
		log_notice("client authentication refused: peer=%s locked for "
		    "%u s more", req->peer, remaining);
		snprintf(msg, sizeof(msg), "too many failed attempts; try again "
		    "in %u seconds", remaining);
		invalid_client(resp, msg);
		return -1;
	}
	return 0;
}

enum auth {
	AUTH_OK = 0,
	AUTH_FAILED,            /* response written */
	AUTH_DEFER,             /* needs crypt(3): rerun on a worker */
};

/*
 * Authenticate the client (RFC 6749 2.3): client_secret_basic or
 * client_secret_post for confidential clients, client_id alone for public
 * ones.  Both methods at once is invalid_request; failures are
 * invalid_client (401, WWW-Authenticate).  confidential_only: public
 * clients are refused (introspection).
 */
static enum auth
authenticate(const struct request *req, const struct form *f,
    int confidential_only, struct client **ret_client, struct response *resp)
{
	char *basic_id = NULL, *basic_secret = NULL;
	const char *id, *secret;
	struct client *cl = NULL;
	enum auth ret = AUTH_FAILED;
	char idlog[64];

	if (req->authorization != NULL) {
		if (strncasecmp(req->authorization, "Basic ", 6) != 0) {
			invalid_client(resp, "unsupported authentication scheme");
			return AUTH_FAILED;
		}
		if (parse_basic(req->authorization + 6, &basic_id,
		    &basic_secret) != 0) {
			invalid_client(resp, "malformed Basic credentials");
			return AUTH_FAILED;
		}
		if (form_get(f, "client_secret") != NULL) {
			invalid_request(resp, "more than one client "
			    "authentication method");
			goto out;
		}
		id = basic_id;
		secret = basic_secret;
		if (form_get(f, "client_id") != NULL &&
		    strcmp(form_get(f, "client_id"), id) != 0) {
			invalid_request(resp, "client_id differs from the "
			    "authenticated client");
			goto out;
		}
	} else {
		id = form_get(f, "client_id");
		secret = form_get(f, "client_secret");
		if (id == NULL) {
			invalid_client(resp, "client authentication required");
			goto out;
		}
	}
	cl = conf_client(req->conf, id);
	if (cl != NULL && cl->secret_hash == NULL) {
		if (confidential_only) {
			invalid_client(resp, "this endpoint is for confidential "
			    "clients");
			goto out;
		}
		if (secret != NULL) {
			invalid_client(resp, "client authentication failed");
			goto out;
		}
		ret = AUTH_OK;
		goto out;
	}
	if (secret == NULL || strlen(secret) > SECRET_MAX) {
		if (cl == NULL)
			log_info("client authentication failed: unknown client "
			    "\"%s\" from %s", log_safe(idlog, sizeof(idlog), id),
			    req->peer);
		invalid_client(resp, "client authentication failed");
		goto out;
	}
	/* A secret verified before is no guess: served from the cache even
	 * while the address is locked, so an attacker sharing a machine
	 * client's address cannot lock it out. */
	if (cl != NULL && secret_cached(cl, secret)) {
		ret = AUTH_OK;
		goto out;
	}
	/* From here an unknown id takes the path a known one does: a worker,
	 * the address's failure counter, a full-cost hash. */
	if (!req->may_block) {
		ret = AUTH_DEFER;
		goto out;
	}
	if (client_attempt(req, resp) != 0)
		goto out;
	if (cl == NULL) {
		const char *dummy = dummy_secret_hash(req->conf);

		if (dummy != NULL)
			(void)secret_check(dummy, secret);
		log_info("client authentication failed: unknown client \"%s\" "
		    "from %s", log_safe(idlog, sizeof(idlog), id), req->peer);
		invalid_client(resp, "client authentication failed");
		goto out;
	}
	if (!secret_check(cl->secret_hash, secret)) {
		log_notice("client authentication failed: wrong secret for "
		    "client \"%s\" from %s", cl->id, req->peer);
		invalid_client(resp, "client authentication failed");
		goto out;
	}
	/* Take back this attempt's count on the address. */
	(void)store_lock_success(the_store, NULL, req->peer_unit);
	secret_remember(cl, secret);
	ret = AUTH_OK;
out:
	if (ret == AUTH_OK)
		*ret_client = cl;
	else if (ret == AUTH_DEFER)
		resp->defer = 1;
	pjwt_str_free(basic_id);
	pjwt_str_free(basic_secret);
	return ret;
}

/* ---- scopes ------------------------------------------------------------ */

/*
 * The scope to grant: the request's (which must be a subset of allowed) or
 * the client's default.  NULL and a written invalid_scope response when
 * not allowed.
 */
static const char *
pick_scope(const struct form *f, const char *allowed, const char *dflt,
    struct response *resp)
{
	const char *want = form_get(f, "scope");

	if (want == NULL)
		return dflt;
	if (!scope_valid(want)) {
		resp_error(resp, 400, "invalid_scope", "malformed scope");
		return NULL;
	}
	if (!scope_subset(want, allowed)) {
		resp_error(resp, 400, "invalid_scope", "scope not allowed for "
		    "this client");
		return NULL;
	}
	return want;
}

/* The scopes of a that are also in b, in a's order; NULL on ENOMEM. */
static char *
scope_intersect(const char *a, const char *b)
{
	char *out = malloc(strlen(a) + 1), *o = out;

	if (out == NULL)
		return NULL;
	while (*a != '\0') {
		size_t n = strcspn(a, " ");
		char one[256];

		if (n < sizeof(one)) {
			memcpy(one, a, n);
			one[n] = '\0';
			if (scope_subset(one, b)) {
				if (o != out)
					*o++ = ' ';
				memcpy(o, a, n);
				o += n;
			}
		}
		a += n;
		a += (*a == ' ');
	}
	*o = '\0';
	return out;
}

/* ---- access tokens (RFC 9068) ------------------------------------------ */

static int
new_jti(char out[32])
{
	unsigned char rnd[JTI_BYTES];
	char *s = NULL;
	size_t n;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1 ||
	    pjwt_b64url_encode(rnd, sizeof(rnd), &s, &n) != PJWT_OK || n >= 32) {
		free(s);
		return -1;
	}
	memcpy(out, s, n + 1);
	free(s);
	return 0;
}

/*
 * Sign an access token.  The claims go in a fixed order; "scope" is left
 * out when empty; gty (PJWT_CLAIM_GRANT_TYPE) only when not NULL: the
 * client_credentials grant marks its machine tokens so that pam_jwt never
 * takes one for a user's login, whatever its sub.  *ret_token: free with
 * pjwt_str_free.
 */
static pjwt_err
make_access_token(const struct conf *c, const char *sub, const char *aud,
    const char *client_id, const char *scope, const char *gty,
    int64_t auth_time, int64_t now, const char *jti, char **ret_token)
{
	json_t *o = json_object();
	pjwt_err r = PJWT_E_NOMEM;

	if (o == NULL ||
	    json_object_set_new(o, "iss", json_string(c->issuer)) != 0 ||
	    json_object_set_new(o, "sub", json_string(sub)) != 0 ||
	    json_object_set_new(o, "aud", json_string(aud)) != 0 ||
	    json_object_set_new(o, "exp", json_integer(now + c->access_token_ttl)) != 0 ||
	    json_object_set_new(o, "iat", json_integer(now)) != 0 ||
	    json_object_set_new(o, "auth_time", json_integer(auth_time)) != 0 ||
	    json_object_set_new(o, "jti", json_string(jti)) != 0 ||
	    json_object_set_new(o, "client_id", json_string(client_id)) != 0 ||
	    (gty != NULL && json_object_set_new(o, PJWT_CLAIM_GRANT_TYPE,
	    json_string(gty)) != 0) ||
	    (scope[0] != '\0' &&
	    json_object_set_new(o, "scope", json_string(scope)) != 0))
		goto out;
	r = pjwt_sign(c->signing, "at+jwt", o, ret_token);
out:
	json_decref(o);
	return r;
}

/*
 * Issue the RFC 6749 5.1 response: an access token, and a refresh token
 * when refresh is not NULL.
 */
static void
issue(const struct request *req, struct response *resp, const char *grant,
    const struct client *cl, const char *sub, const char *scope,
    int64_t auth_time, const char *refresh)
{
	const struct conf *c = req->conf;
	char jti[32], subl[64];
	char *at = NULL;
	json_t *o = NULL;
	size_t len;
	pjwt_err r;

	if (new_jti(jti) != 0) {
		server_error(resp, 500, "random number generator failed");
		return;
	}
	if ((r = make_access_token(c, sub, cl->audience, cl->id, scope,
	    strcmp(grant, "client_credentials") == 0 ?
	    PJWT_GRANT_CLIENT_CREDENTIALS : NULL,
	    auth_time, req->now, jti, &at)) != PJWT_OK) {
		log_err("signing failed: %s", pjwt_strerror(r));
		server_error(resp, 500, "signing failed");
		return;
	}
	len = strlen(at);
	if (len > BUDGET_SSH) {
		atomic_fetch_add(&over_budget, 1);
		log_warning("access token jti=%s is %zu characters: over the "
		    "1023 an OpenSSH client or sudo can send", jti, len);
	}
	if ((o = json_object()) == NULL ||
	    json_object_set_new(o, "access_token", json_string(at)) != 0 ||
	    json_object_set_new(o, "token_type", json_string("Bearer")) != 0 ||
	    json_object_set_new(o, "expires_in",
	    json_integer(c->access_token_ttl)) != 0 ||
	    (refresh != NULL && json_object_set_new(o, "refresh_token",
	    json_string(refresh)) != 0) ||
	    (scope[0] != '\0' &&
	    json_object_set_new(o, "scope", json_string(scope)) != 0)) {
		server_error(resp, 500, "out of memory");
		goto out;
	}
	log_info("issued access token: grant=%s client=%s user=%s jti=%s "
	    "kid=%s scope=\"%s\" peer=%s", grant, cl->id,
	    log_safe(subl, sizeof(subl), sub), jti,
	    pjwt_key_kid(c->signing), scope, req->peer);
	resp_json(resp, 200, o);
	o = NULL;
out:
	json_decref(o);
	pjwt_str_free(at);
}

/* ---- grants ------------------------------------------------------------ */

/*
 * The key of the per-user failure counter: the name with ASCII letters in
 * lower case and spaces left out.  The pam backend hands the name to sssd,
 * LDAP or AD, which match "Alice" and " alice " to alice by default; if
 * each spelling had its own counter, an attacker would get max_failures
 * guesses per spelling.  Names that differ only so share one counter.
 */
static void
lockout_key(char out[PWAUTH_USER_MAX + 1], const char *user)
{
	size_t o = 0;

	for (; *user != '\0' && o < PWAUTH_USER_MAX; user++) {
		if (*user == ' ')
			continue;
		out[o++] = (*user >= 'A' && *user <= 'Z') ?
		    (char)(*user - 'A' + 'a') : *user;
	}
	if (o == 0)
		out[o++] = ' ';     /* the all-blank names share one counter */
	out[o] = '\0';
}

/*
 * Password checks in flight, by lockout key.  store_lock_attempt counts
 * each attempt before its check, so concurrent guesses cannot outrun
 * max_failures; this also keeps a success's reset of the counter from
 * racing the attempts of the same name: a second check of a name waits
 * until the first has its result.
 */
struct pw_inflight {
	const char *key;
	struct pw_inflight *next;
};

static pthread_mutex_t inflight_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t inflight_cv = PTHREAD_COND_INITIALIZER;
static struct pw_inflight *inflight;

/* Caller holds inflight_mu. */
static int
inflight_has(const char *key)
{
	for (const struct pw_inflight *i = inflight; i != NULL; i = i->next)
		if (strcmp(i->key, key) == 0)
			return 1;
	return 0;
}

static void
inflight_enter(struct pw_inflight *me, const char *key)
{
	pthread_mutex_lock(&inflight_mu);
	while (inflight_has(key))
		pthread_cond_wait(&inflight_cv, &inflight_mu);
	me->key = key;
	me->next = inflight;
	inflight = me;
	pthread_mutex_unlock(&inflight_mu);
}

static void
inflight_leave(struct pw_inflight *me)
{
	struct pw_inflight **p;

	pthread_mutex_lock(&inflight_mu);
	for (p = &inflight; *p != NULL; p = &(*p)->next)
		if (*p == me) {
			*p = me->next;
			break;
		}
	pthread_cond_broadcast(&inflight_cv);
	pthread_mutex_unlock(&inflight_mu);
}

/*
 * 1 when pw is, or after dropping the blanks around it becomes, a compact
 * JWS: the strings pam_jwt would try as a token (pjwt_jws_is_compact, the
 * rule pam_jwt uses, without its length cap: a longer token is still no
 * password).  Such a password is never handed to a backend: with backend
 * = pam and pam_jwt in the service's stack, a captured access token would
 * buy a fresh one (and a refresh family) for ever.
 */
static int
password_is_token(const char *pw)
{
	size_t len;

	while (*pw == ' ' || (*pw >= '\t' && *pw <= '\r'))
		pw++;
	len = strlen(pw);
	while (len > 0 && (pw[len - 1] == ' ' ||
	    (pw[len - 1] >= '\t' && pw[len - 1] <= '\r')))
		len--;
	return pjwt_jws_is_compact(pw, len, len > 0 ? len : 1);
}

static void
grant_password(const struct request *req, const struct form *f,
    struct client *cl, struct response *resp)
{
	const char *user = form_get(f, "username");
	const char *pw = form_get(f, "password");
	const char *scope;
	char *refresh = NULL, ul[64], msg[96], key[PWAUTH_USER_MAX + 1];
	struct pw_inflight me;
	unsigned remaining = 0;
	store_err se;
	pwauth_result pr;

	if (!(cl->grants & GRANT_PASSWORD)) {
		resp_error(resp, 400, "unauthorized_client", "this client may "
		    "not use the password grant");
		return;
	}
	if (user == NULL || pw == NULL) {
		invalid_request(resp, "username and password are required");
		return;
	}
	if (strlen(user) > PWAUTH_USER_MAX) {
		resp_error(resp, 400, "invalid_grant", "invalid username or "
		    "password");
		return;
	}
	if ((scope = pick_scope(f, cl->scopes, cl->default_scope, resp)) == NULL)
		return;
	/* Before the lockout: no guess is made, so none is counted. */
	if (password_is_token(pw)) {
		log_notice("password grant refused: user=%s client=%s peer=%s: "
		    "the password is a JWT; tokens are not passwords (not "
		    "checked)", log_safe(ul, sizeof(ul), user), cl->id, req->peer);
		resp_error(resp, 400, "invalid_grant", "a token cannot be used "
		    "as a password");
		return;
	}
	if (!req->may_block) {
		resp->defer = 1;
		return;
	}
	log_safe(ul, sizeof(ul), user);
	lockout_key(key, user);
	inflight_enter(&me, key);
	/*
	 * The attempt is counted before the password is checked, in the same
	 * transaction that finds it unlocked: a check is never made that was
	 * not recorded.  When it cannot be recorded (full disk, read-only
	 * store) nothing is checked, and the right password gets the same 503
	 * as a wrong one.
	 */
	if ((se = store_lock_attempt(the_store, key, req->peer_unit, req->now,
	    &remaining)) != STORE_OK) {
		log_err("password grant refused: user=%s peer=%s: attempt not "
		    "recorded (%s); password not checked", ul, req->peer,
		    store_strerror(se));
		server_error(resp, 503, "state store unavailable");
		goto out;
	}
	if (remaining > 0) {
		log_notice("password grant refused: user=%s peer=%s locked for "
		    "%u s more", ul, req->peer, remaining);
		snprintf(msg, sizeof(msg), "too many failed attempts; try again "
		    "in %u seconds", remaining);
		resp_error(resp, 400, "invalid_grant", msg);
		goto out;
	}
	pr = pwauth_check(the_pw, user, pw, strlen(pw));
	if (pr == PWAUTH_ERROR) {
		server_error(resp, 503, "password backend unavailable");
		goto out;
	}
	if (pr != PWAUTH_OK) {
		log_notice("password grant failed: user=%s client=%s peer=%s "
		    "reason=%s", ul, cl->id, req->peer, pwauth_result_str(pr));
		resp_error(resp, 400, "invalid_grant", "invalid username or "
		    "password");
		goto out;
	}
	if ((se = store_lock_success(the_store, key, req->peer_unit)) != STORE_OK)
		log_warning("password grant: user=%s peer=%s: failure counters "
		    "not reset (%s)", ul, req->peer, store_strerror(se));
	if (cl->grants & GRANT_REFRESH_TOKEN) {
		if ((se = store_refresh_issue(the_store, user, cl->id, scope,
		    cl->audience, req->now, req->now, &refresh, NULL)) != STORE_OK) {
			server_error(resp, 503, "state store unavailable");
			goto out;
		}
	}
	issue(req, resp, "password", cl, user, scope, req->now, refresh);
out:
	inflight_leave(&me);
	pjwt_str_free(refresh);
}

/*
 * refresh_allowed: may grant g be refreshed now, with scope want (NULL: the
 * original)?  RFC 6749 6: a narrower scope may be asked for, never a wider
 * one, and never more than the client's scopes now (the config may have
 * changed).  The user must still be a usable account: removed from the
 * users file, locked, or refused by pam_acct_mgmt ends the family here (a
 * reload ends most of them earlier; this also covers the pam backend and
 * users removed while the daemon was down).  Without a password backend
 * nobody can be re-checked: refused.  Returns 1 when allowed; otherwise 0
 * with the error response written (503 for a backend failure, so the
 * client keeps its token).
 */
static int
refresh_allowed(const struct request *req, const struct client *cl,
    const char *want, const store_grant *g, struct response *resp)
{
	pwauth_result pr;
	store_err re;
	char ul[64];

	if (want != NULL && (!scope_subset(want, g->scope) ||
	    !scope_subset(want, cl->scopes))) {
		resp_error(resp, 400, "invalid_scope", "scope exceeds "
		    "the original grant");
		return 0;
	}
	pr = the_pw != NULL ? pwauth_account(the_pw, g->user) : PWAUTH_DENIED;
	if (pr == PWAUTH_OK)
		return 1;
	if (pr == PWAUTH_ERROR) {
		server_error(resp, 503, "password backend unavailable");
		return 0;
	}
	re = store_family_revoke(the_store, g->family_id, req->now);
	log_notice("refresh grant refused: user=%s client=%s peer=%s "
	    "reason=user_%s; family %s %s", log_safe(ul, sizeof(ul), g->user),
	    cl->id, req->peer, the_pw == NULL ? "not_checkable" :
	    pwauth_result_str(pr), g->family_id,
	    re == STORE_OK ? "revoked" : "NOT revoked (store error)");
	resp_error(resp, 400, "invalid_grant", "refresh token invalid, "
	    "expired or revoked");
	return 0;
}

static void
grant_refresh(const struct request *req, const struct form *f,
    struct client *cl, struct response *resp)
{
	const char *tok = form_get(f, "refresh_token");
	const char *want = form_get(f, "scope");
	store_grant *g = NULL, *reused = NULL;
	char *newtok = NULL, *narrowed = NULL, ul[64];
	const char *scope;
	store_err se;
	int checked = 0;

	if (!(cl->grants & GRANT_REFRESH_TOKEN)) {
		resp_error(resp, 400, "unauthorized_client", "this client may "
		    "not use the refresh_token grant");
		return;
	}
	if (tok == NULL) {
		invalid_request(resp, "refresh_token is required");
		return;
	}
	if (want != NULL && !scope_valid(want)) {
		resp_error(resp, 400, "invalid_scope", "malformed scope");
		return;
	}
	if (!req->may_block) {
		resp->defer = 1;
		return;
	}
	/*
	 * Checked before rotating, so a refused request does not burn the
	 * client's token.  A store that cannot answer is 503: going on to
	 * rotate would skip the checks.  STORE_E_NOT_FOUND goes on, since
	 * rotation must see an already-rotated token to detect its reuse;
	 * should rotation then succeed after all (a race), the checks run
	 * on the grant it returns.
	 */
	se = store_refresh_lookup(the_store, tok, strlen(tok), req->now, &g);
	if (se == STORE_E_DB || se == STORE_E_NOMEM) {
		server_error(resp, 503, "state store unavailable");
		return;
	}
	if (se == STORE_OK) {
		checked = 1;
		if (!refresh_allowed(req, cl, want, g, resp)) {
			store_grant_free(g);
			return;
		}
	}
	g = store_grant_free(g);
	se = store_refresh_rotate(the_store, tok, strlen(tok), cl->id, req->now,
	    &g, &newtok, &reused);
	if (se == STORE_E_REUSED) {
		log_warning("refresh token reuse: family %s of user=%s client=%s "
		    "revoked (peer %s)", reused != NULL ? reused->family_id : "?",
		    reused != NULL ? log_safe(ul, sizeof(ul), reused->user) : "?",
		    cl->id, req->peer);
		store_grant_free(reused);
		resp_error(resp, 400, "invalid_grant", "refresh token invalid, "
		    "expired or revoked");
		return;
	}
	if (se == STORE_E_DB || se == STORE_E_NOMEM || se == STORE_E_RANDOM) {
		server_error(resp, 503, "state store unavailable");
		return;
	}
	if (se != STORE_OK) {
		log_info("refresh grant refused: client=%s peer=%s reason=%s",
		    cl->id, req->peer, store_strerror(se));
		resp_error(resp, 400, "invalid_grant", "refresh token invalid, "
		    "expired or revoked");
		return;
	}
	if (!checked && !refresh_allowed(req, cl, want, g, resp))
		goto out;
	/* Without a scope parameter: the original grant, less any scope the
	 * config has taken from the client since. */
	if (want != NULL)
		scope = want;
	else if ((narrowed = scope_intersect(g->scope, cl->scopes)) == NULL) {
		server_error(resp, 500, "out of memory");
		goto out;
	} else
		scope = narrowed;
	issue(req, resp, "refresh_token", cl, g->user, scope, g->auth_time,
	    newtok);
out:
	free(narrowed);
	store_grant_free(g);
	pjwt_str_free(newtok);
}

static void
grant_client_credentials(const struct request *req, const struct form *f,
    struct client *cl, struct response *resp)
{
	const char *scope;

	if (!(cl->grants & GRANT_CLIENT_CREDENTIALS)) {
		resp_error(resp, 400, "unauthorized_client", "this client may "
		    "not use the client_credentials grant");
		return;
	}
	if ((scope = pick_scope(f, cl->scopes, cl->default_scope, resp)) == NULL)
		return;
	issue(req, resp, "client_credentials", cl, cl->id, scope, req->now, NULL);
}

/* Parse the form; on error write the 400 and return NULL. */
static struct form *
parse_form(const struct request *req, struct response *resp)
{
	struct form *f = NULL;
	enum form_err e;

	if ((e = form_parse(req->body, req->body_len, &f)) != FORM_OK) {
		if (e == FORM_E_NOMEM)
			server_error(resp, 500, "out of memory");
		else
			invalid_request(resp, form_strerror(e));
		return NULL;
	}
	return f;
}

void
oauth_token(const struct request *req, struct response *resp)
{
	struct client *cl = NULL;
	const char *gt;
	struct form *f;

	if ((f = parse_form(req, resp)) == NULL)
		return;
	if (authenticate(req, f, 0, &cl, resp) != AUTH_OK)
		goto out;
	if ((gt = form_get(f, "grant_type")) == NULL)
		invalid_request(resp, "grant_type is required");
	else if (strcmp(gt, "password") == 0)
		grant_password(req, f, cl, resp);
	else if (strcmp(gt, "refresh_token") == 0)
		grant_refresh(req, f, cl, resp);
	else if (strcmp(gt, "client_credentials") == 0)
		grant_client_credentials(req, f, cl, resp);
	else
		resp_error(resp, 400, "unsupported_grant_type", NULL);
out:
	form_free(f);
}

/* ---- revocation and introspection -------------------------------------- */

/*
 * Check an access token we issued: signature against our keys, typ
 * at+jwt, iss ours.  *ret_payload: the claims (caller decrefs).  exp is not
 * checked here.  -1 when it is not one of our access tokens.
 */
static int
our_access_token(const struct conf *c, const char *tok, json_t **ret_payload)
{
	pjwt_jws *j = NULL;
	const json_t *typ;
	const char *iss;
	json_t *o = NULL;
	int ret = -1;

	if (pjwt_jws_verify(c->keys, tok, strlen(tok), 0, 0, &j) != PJWT_OK)
		return -1;
	typ = json_object_get(pjwt_jws_header(j), "typ");
	if (!json_is_string(typ) || !pjwt_typ_equal(json_string_value(typ),
	    "at+jwt"))
		goto out;
	/* pjwt_verify's own parser: depth-bounded, duplicates refused. */
	if (pjwt_jws_payload_object(j, &o) != PJWT_OK)
		goto out;
	iss = json_string_value(json_object_get(o, "iss"));
	if (iss == NULL || strcmp(iss, c->issuer) != 0 ||
	    !json_is_integer(json_object_get(o, "exp")) ||
	    !json_is_string(json_object_get(o, "jti")))
		goto out;
	*ret_payload = o;
	o = NULL;
	ret = 0;
out:
	json_decref(o);
	pjwt_jws_free(j);
	return ret;
}

void
oauth_revoke(const struct request *req, struct response *resp)
{
	struct client *cl = NULL;
	json_t *claims = NULL;
	const char *tok, *owner;
	struct form *f;
	store_err se;

	if ((f = parse_form(req, resp)) == NULL)
		return;
	if (authenticate(req, f, 0, &cl, resp) != AUTH_OK)
		goto out;
	if ((tok = form_get(f, "token")) == NULL) {
		invalid_request(resp, "token is required");
		goto out;
	}
	if (!req->may_block) {
		resp->defer = 1;
		goto out;
	}
	/* token_type_hint is only a hint (RFC 7009 2.1): the shape decides. */
	if (pjwt_jws_is_compact(tok, strlen(tok), 0)) {
		if (our_access_token(req->conf, tok, &claims) != 0)
			goto ok;        /* not ours or invalid: nothing to do */
		owner = json_string_value(json_object_get(claims, "client_id"));
		if (owner == NULL || strcmp(owner, cl->id) != 0) {
			invalid_request(resp, "token was issued to another "
			    "client");
			goto out;
		}
		se = store_jti_revoke(the_store,
		    json_string_value(json_object_get(claims, "jti")),
		    json_integer_value(json_object_get(claims, "exp")), req->now);
		if (se != STORE_OK) {
			server_error(resp, 503, "revocation not recorded; retry");
			goto out;
		}
		log_info("revoked access token jti=%s client=%s",
		    json_string_value(json_object_get(claims, "jti")), cl->id);
	} else {
		se = store_refresh_revoke(the_store, tok, strlen(tok), cl->id,
		    req->now);
		if (se == STORE_E_CLIENT_MISMATCH) {
			invalid_request(resp, "token was issued to another "
			    "client");
			goto out;
		}
		if (se != STORE_OK && se != STORE_E_NOT_FOUND) {
			server_error(resp, 503, "revocation not recorded; retry");
			goto out;
		}
		if (se == STORE_OK)
			log_info("revoked refresh token family: client=%s", cl->id);
	}
ok:
	resp_text(resp, 200, "application/json", "{}");
out:
	json_decref(claims);
	form_free(f);
}

static void
introspect_access(const struct request *req, const char *tok,
    struct response *resp)
{
	json_t *claims = NULL, *o;
	int revoked = 0;
	json_int_t exp, nbf;
	const char *k;
	json_t *v;

	if (our_access_token(req->conf, tok, &claims) != 0)
		goto inactive;
	exp = json_integer_value(json_object_get(claims, "exp"));
	nbf = json_is_integer(json_object_get(claims, "nbf")) ?
	    json_integer_value(json_object_get(claims, "nbf")) : 0;
	if (exp <= req->now || nbf > req->now)
		goto inactive;
	if (store_jti_is_revoked(the_store, json_string_value(
	    json_object_get(claims, "jti")), req->now, &revoked) != STORE_OK) {
		json_decref(claims);
		server_error(resp, 503, "state store unavailable");
		return;
	}
	if (revoked)
		goto inactive;
	if ((o = json_object()) == NULL)
		goto nomem;
	json_object_set_new(o, "active", json_true());
	json_object_foreach(claims, k, v)
		json_object_set(o, k, v);
	json_object_set_new(o, "token_type", json_string("Bearer"));
	if (json_is_string(json_object_get(claims, "sub")))
		json_object_set(o, "username", json_object_get(claims, "sub"));
	json_decref(claims);
	resp_json(resp, 200, o);
	return;
inactive:
	json_decref(claims);
	resp_text(resp, 200, "application/json", "{\"active\":false}");
	return;
nomem:
	json_decref(claims);
	server_error(resp, 500, "out of memory");
}

static void
introspect_refresh(const struct request *req, const struct client *cl,
    const char *tok, struct response *resp)
{
	store_grant *g = NULL;
	json_t *o;
	store_err se;

	se = store_refresh_lookup(the_store, tok, strlen(tok), req->now, &g);
	if (se == STORE_E_DB || se == STORE_E_NOMEM) {
		server_error(resp, 503, "state store unavailable");
		return;
	}
	/* Only the client a refresh token was issued to learns about it. */
	if (se != STORE_OK || strcmp(g->client_id, cl->id) != 0) {
		store_grant_free(g);
		resp_text(resp, 200, "application/json", "{\"active\":false}");
		return;
	}
	o = json_pack("{s:b, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s}",
	    "active", 1, "token_type", "refresh_token", "client_id",
	    g->client_id, "username", g->user, "sub", g->user,
	    "exp", (json_int_t)g->family_expires,
	    "auth_time", (json_int_t)g->auth_time, "scope", g->scope,
	    "iss", req->conf->issuer);
	store_grant_free(g);
	resp_json(resp, 200, o);
}

void
oauth_introspect(const struct request *req, struct response *resp)
{
	struct client *cl = NULL;
	const char *tok;
	struct form *f;

	if ((f = parse_form(req, resp)) == NULL)
		return;
	if (authenticate(req, f, 1, &cl, resp) != AUTH_OK)
		goto out;
	if ((tok = form_get(f, "token")) == NULL) {
		invalid_request(resp, "token is required");
		goto out;
	}
	if (!req->may_block) {
		resp->defer = 1;
		goto out;
	}
	if (pjwt_jws_is_compact(tok, strlen(tok), 0))
		introspect_access(req, tok, resp);
	else
		introspect_refresh(req, cl, tok, resp);
out:
	form_free(f);
}

/* ---- documents --------------------------------------------------------- */

void
oauth_jwks(const struct request *req, struct response *resp)
{
	resp_text(resp, 200, "application/json", req->conf->jwks_json);
	/* Short: after a key rotation clients must see the new key soon. */
	resp->cache_control = "public, max-age=60";
}

void
oauth_metadata(const struct request *req, struct response *resp)
{
	resp_text(resp, 200, "application/json", req->conf->metadata_json);
	resp->cache_control = "public, max-age=300";
}

/* Set by oauth_health_set (main thread), read by /healthz. */
static pthread_mutex_t health_mu = PTHREAD_MUTEX_INITIALIZER;
static char health_detail[256];

void
oauth_health_set(const char *detail)
{
	pthread_mutex_lock(&health_mu);
	snprintf(health_detail, sizeof(health_detail), "%s",
	    detail != NULL ? detail : "");
	pthread_mutex_unlock(&health_mu);
}

void
oauth_healthz(const struct request *req, struct response *resp)
{
	char detail[sizeof(health_detail)];
	json_t *o;
	int helpers;

	(void)req;
	pthread_mutex_lock(&health_mu);
	memcpy(detail, health_detail, sizeof(detail));
	pthread_mutex_unlock(&health_mu);
	/* The pam backend with no helper left answers every password grant
	 * with 503: say so (a later reload-failure detail wins: one line). */
	helpers = pwauth_helpers_available(the_pw);
	if (detail[0] == '\0' && helpers == 0)
		snprintf(detail, sizeof(detail), "password backend: no PAM "
		    "helper available");
	/* Still 200: the daemon serves; "degraded" tells monitoring that
	 * part of it does not work as configured. */
	if (detail[0] != '\0')
		o = json_pack("{s:s, s:s, s:I}", "status", "degraded", "detail",
		    detail, "over_budget_tokens",
		    (json_int_t)oauth_over_budget_count());
	else
		o = json_pack("{s:s, s:I}", "status", "ok", "over_budget_tokens",
		    (json_int_t)oauth_over_budget_count());
	resp_json(resp, 200, o);
}

/* ---- client ids that name users ---------------------------------------- */

/* NSS: 1 user found, 0 not found, -1 lookup failed (errno-style code in
 * *ret_err). */
static int
nss_has(const char *name, int *ret_err)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int e;

	e = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	explicit_bzero(buf, sizeof(buf));
	if (res != NULL)
		return 1;
	/* getpwnam_r(3): these mean "not found" on some systems. */
	if (e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM)
		return 0;
	*ret_err = e;
	return -1;
}

int
oauth_check_client_ids(const struct conf *c, uid_t owner, char *err,
    size_t errlen)
{
	char *text = NULL;
	size_t tlen = 0;
	int ret = -1;
	pjwt_err r;

	if (!(c->all_grants & GRANT_CLIENT_CREDENTIALS))
		return 0;
	if (c->backend == PW_BACKEND_FILE) {
		r = pjwt_file_read(c->users_file, owner, PWAUTH_FILE_MAX, &text,
		    &tlen);
		/* No password grant and no users file: the issuer knows no
		 * users, so no client id can name one. */
		if (r == PJWT_E_IO && errno == ENOENT &&
		    !(c->all_grants & GRANT_PASSWORD))
			return 0;
		if (r != PJWT_OK) {
			snprintf(err, errlen, "%s: cannot read the users file to "
			    "check client ids against it: %s", c->users_file,
			    pjwt_strerror(r));
			return -1;
		}
	}
	for (size_t i = 0; i < c->nclients; i++) {
		const struct client *cl = c->clients[i];
		char low[PWAUTH_USER_MAX + 1];
		int found, e = 0;

		if (!(cl->grants & GRANT_CLIENT_CREDENTIALS))
			continue;
		/* ASCII case ignored: users-file names are lower case, and
		 * sssd/LDAP match a sub of "Alice" to alice. */
		if (c->backend == PW_BACKEND_FILE)
			found = pjwt_users_has_name(text, tlen, cl->id,
			    strlen(cl->id));
		else {
			lockout_key(low, cl->id);
			if ((found = nss_has(cl->id, &e)) == 0 &&
			    strcmp(low, cl->id) != 0)
				found = nss_has(low, &e);
		}
		if (found < 0) {
			snprintf(err, errlen, "[client:%s]: cannot tell whether a "
			    "user of that name exists (NSS: %s); refusing",
			    cl->id, strerror(e));
			goto out;
		}
		if (found) {
			snprintf(err, errlen, "[client:%s]: a client_credentials "
			    "client may not be named like a user (%s has a user "
			    "of that name, case ignored): its machine tokens "
			    "would say sub=%s; rename the client", cl->id,
			    c->backend == PW_BACKEND_FILE ? c->users_file : "NSS",
			    cl->id);
			goto out;
		}
	}
	ret = 0;
out:
	if (text != NULL)
		pjwt_secret_free(text, tlen + 1);
	return ret;
}

/* ---- size budget ------------------------------------------------------- */

size_t
oauth_check_budget(const struct conf *c)
{
	/* Worst case: the longest users-file name, every scope, a 10-digit
	 * clock, a jti of the usual length. */
	char user[PWAUTH_FILE_NAME_MAX + 1], jti[32];
	size_t worst = 0;

	memset(user, 'x', PWAUTH_FILE_NAME_MAX);
	user[PWAUTH_FILE_NAME_MAX] = '\0';
	memset(jti, 'j', 16);
	jti[16] = '\0';
	for (size_t i = 0; i < c->nclients; i++) {
		const struct client *cl = c->clients[i];
		char *tok = NULL;
		size_t len;

		if (make_access_token(c, user, cl->audience, cl->id, cl->scopes,
		    (cl->grants & GRANT_CLIENT_CREDENTIALS) ?
		    PJWT_GRANT_CLIENT_CREDENTIALS : NULL,
		    4000000000, 4000000000, jti, &tok) != PJWT_OK)
			continue;
		len = strlen(tok);
		pjwt_str_free(tok);
		if (len > BUDGET_SSH)
			log_warning("client %s: access tokens can reach %zu "
			    "characters, over the 1023 an OpenSSH client or sudo "
			    "can send (shorten issuer, audience, scopes, or use "
			    "an EdDSA key)", cl->id, len);
		else if (len > BUDGET_PAM)
			log_notice("client %s: access tokens can reach %zu "
			    "characters, over the 511 Linux-PAM's misc_conv and "
			    "pam_unix accept", cl->id, len);
		if (len > worst)
			worst = len;
	}
	return worst;
}

/* ---- the deny list ----------------------------------------------------- */

/*
 * One entry of GET /revoked.  A jti that is not a word of the revoked
 * list's grammar (common/pjwt_revoked.h; the store takes no other) is left
 * out: jwtctl sync refuses a whole list holding one.  Jtis over the 255
 * that pam_jwt lists are served; each host's writer leaves them out.
 */
static int
add_revoked(const char *jti, int64_t exp, void *arg)
{
	json_t *e;

	if (!pjwt_revoked_jti_word(jti, STORE_FIELD_MAX) || exp <= 0) {
		log_warning("GET /revoked: a deny-list entry that is not a "
		    "revoked-list word is left out");
		return 0;
	}
	e = json_pack("{s:s, s:I}", "jti", jti, "exp", (json_int_t)exp);
	return e == NULL || json_array_append_new(arg, e) != 0;
}

/*
 * GET /revoked: every access-token id on the deny list that has not expired,
 * for hosts whose pam_jwt reads a revoked= file (jwtctl sync).  No client
 * authentication, like the JWKS: jtis are random and say nothing else.
 */
void
oauth_revoked(const struct request *req, struct response *resp)
{
	json_t *list;
	store_err se;

	if (!req->may_block) {
		resp->defer = 1;        /* reads the store */
		return;
	}
	if ((list = json_array()) == NULL) {
		server_error(resp, 500, "out of memory");
		return;
	}
	se = store_jti_list(the_store, req->now, add_revoked, list);
	if (se != STORE_OK) {
		json_decref(list);
		server_error(resp, se == STORE_E_NOMEM ? 500 : 503,
		    "state store unavailable");
		return;
	}
	resp_json(resp, 200, json_pack("{s:o}", "revoked", list));
}
