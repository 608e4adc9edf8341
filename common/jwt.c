/*
 * jwt.c - JWT (RFC 7519) claim validation by policy, and signing.
 *
 * pjwt_verify = pjwt_jws_verify (signature, header) first, then the payload
 * is parsed (strict JSON object) and checked in the documented order.  Times
 * are int64 seconds; every comparison is written so that no signed overflow
 * can happen whatever exp/nbf/iat/max_age a token or policy holds (now is
 * > 0 and leeway in [0, PJWT_MAX_LEEWAY], so now - leeway never overflows; sums that
 * could are saturated).
 *
 * Type decisions (fail closed, one reason each):
 *  - numeric claims: a JSON integer, or a finite real that fits int64 after
 *    truncation; any other type (string, bool, null, object, array) or a
 *    real out of range is malformed.  jansson has no NaN/Infinity and
 *    refuses 1e999 at parse time, also malformed.
 *  - iss missing: iss_mismatch; iss not a string: malformed.
 *  - aud missing: aud_mismatch; an array with a non-string member, or aud of
 *    another type: malformed.
 *  - typ header (when present) must be a string: malformed otherwise.
 *  - the user claim: missing -> missing_claim; not a string, empty, or with
 *    an embedded NUL (which would let "alice\u0000x" pass as "alice" to a C
 *    caller) -> malformed.
 *  - scope: missing with required scopes -> scope_missing; not a string
 *    -> malformed.
 *  - gty (grant type marker): not a string -> malformed; equal to
 *    client_credentials -> machine_token unless the policy allows it.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pjwt_b64.h"
#include "pjwt_jws.h"
#include "pjwt_jwt.h"
#include "pjwt_mem.h"
#include "pjwtp.h"

struct pjwt_policy {
	char *iss;
	char *aud;
	char *typ;                /* NULL: any */
	char *scopes;             /* NULL: none required */
	char *user_claim;
	char *user;               /* NULL: any */
	int64_t leeway;
	int64_t max_age;          /* 0: off */
	int64_t now;              /* 0: unset */
	unsigned alg_mask;
	size_t max_len;
	int allow_machine;        /* 0: machine tokens refused */
};

struct pjwt_claims {
	json_t *payload;          /* object; strings wiped on free */
	json_t *header;           /* object (own reference) */
	const char *user;         /* borrowed from payload */
	char kid[PJWTP_KID_MAX + 1];
	pjwt_alg alg;
};

/* ---- small helpers ----------------------------------------------------- */

/* strdup, refusing NULL and "" (PJWT_E_INVALID_ARGUMENT). */
static pjwt_err
dup_nonempty(const char *s, char **ret)
{
	char *d;

	if (s == NULL || *s == '\0')
		return PJWT_E_INVALID_ARGUMENT;
	if ((d = strdup(s)) == NULL)
		return PJWT_E_NOMEM;
	*ret = d;
	return PJWT_OK;
}

static int64_t
sat_add(int64_t a, int64_t b)
{
	/* b >= 0 at every call site. */
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	return a + b;
}

static unsigned char
ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* ASCII case-insensitive, locale-independent string equality. */
static int
ascii_caseeq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b))
			return 0;
	return *a == *b;
}

/* A JSON string's value when it holds no embedded NUL, else NULL. */
static const char *
json_cstr(const json_t *v)
{
	const char *s;

	if (!json_is_string(v) || (s = json_string_value(v)) == NULL)
		return NULL;
	if (strlen(s) != json_string_length(v))
		return NULL;
	return s;
}

/* Exact byte equality of a JSON string with the C string want. */
static int
json_str_eq(const json_t *v, const char *want)
{
	size_t n = strlen(want);

	return json_is_string(v) && json_string_length(v) == n &&
	    memcmp(json_string_value(v), want, n) == 0;
}

/*
 * A JSON number as int64: integers as they are, reals truncated toward zero
 * when finite and inside [-2^63, 2^63).  NaN fails both comparisons.
 */
static pjwt_err
json_to_int64(const json_t *v, int64_t *ret)
{
	double d;

	if (json_is_integer(v)) {
		*ret = (int64_t)json_integer_value(v);
		return PJWT_OK;
	}
	if (!json_is_real(v))
		return PJWT_E_MALFORMED;
	d = json_real_value(v);
	if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
		return PJWT_E_MALFORMED;
	*ret = (int64_t)d;
	return PJWT_OK;
}

/* Optional numeric claim: *ret_present 0 when absent. */
static pjwt_err
claim_int(const json_t *obj, const char *name, int *ret_present,
    int64_t *ret)
{
	const json_t *v = json_object_get(obj, name);

	*ret_present = v != NULL;
	if (v == NULL)
		return PJWT_OK;
	return json_to_int64(v, ret);
}

/* Is the n-byte word w one of the space-separated words of list? */
static int
scope_has_n(const char *list, const char *w, size_t n)
{
	const char *p = list, *e;
	size_t len;

	if (n == 0)
		return 0;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		e = p;
		while (*e != '\0' && *e != ' ')
			e++;
		len = (size_t)(e - p);
		if (len == n && memcmp(p, w, n) == 0)
			return 1;
		p = e;
	}
	return 0;
}

/* ---- public helpers ---------------------------------------------------- */

int
pjwt_scope_has(const char *scopes, const char *one)
{
	if (scopes == NULL || one == NULL || strchr(one, ' ') != NULL)
		return 0;
	return scope_has_n(scopes, one, strlen(one));
}

/*
 * RFC 7515 4.1.9: a typ without '/' means "application/" + typ.  So split
 * each side into (is an application type, subtype) and compare both, ASCII
 * case-insensitively: "at+jwt" == "Application/AT+JWT", but "text/at+jwt"
 * != "at+jwt".
 */
static const char *
typ_subtype(const char *t, int *ret_app)
{
	static const char app[] = "application/";
	size_t i;

	for (i = 0; app[i] != '\0'; i++)
		if (ascii_lower((unsigned char)t[i]) != (unsigned char)app[i])
			break;
	if (app[i] == '\0') {
		*ret_app = 1;
		return t + i;
	}
	*ret_app = strchr(t, '/') == NULL;
	return t;
}

int
pjwt_typ_equal(const char *a, const char *b)
{
	const char *sa, *sb;
	int appa, appb;

	if (a == NULL || b == NULL)
		return 0;
	sa = typ_subtype(a, &appa);
	sb = typ_subtype(b, &appb);
	return appa == appb && *sa != '\0' && ascii_caseeq(sa, sb);
}

/* ---- policy ------------------------------------------------------------ */

pjwt_policy *
pjwt_policy_new(void)
{
	pjwt_policy *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if ((p->typ = strdup("at+jwt")) == NULL ||
	    (p->user_claim = strdup("sub")) == NULL)
		return pjwt_policy_free(p);
	p->leeway = 60;
	return p;
}

pjwt_policy *
pjwt_policy_free(pjwt_policy *p)
{
	if (p == NULL)
		return NULL;
	free(p->iss);
	free(p->aud);
	free(p->typ);
	free(p->scopes);
	free(p->user_claim);
	free(p->user);
	free(p);
	return NULL;
}

/* Replace *slot with a copy of s (NULL and "" refused). */
static pjwt_err
policy_set_str(pjwt_policy *p, char **slot, const char *s)
{
	char *d = NULL;
	pjwt_err r;

	if (p == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	if ((r = dup_nonempty(s, &d)) != PJWT_OK)
		return r;
	free(*slot);
	*slot = d;
	return PJWT_OK;
}

/* Replace *slot with a copy of s, or clear it for NULL (and, if
 * empty_clears, for ""). */
static pjwt_err
policy_set_opt(pjwt_policy *p, char **slot, const char *s, int empty_clears)
{
	if (p == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	if (s == NULL || (empty_clears && *s == '\0')) {
		free(*slot);
		*slot = NULL;
		return PJWT_OK;
	}
	return policy_set_str(p, slot, s);
}

pjwt_err
pjwt_policy_set_issuer(pjwt_policy *p, const char *iss)
{
	return p == NULL ? PJWT_E_INVALID_ARGUMENT :
	    policy_set_str(p, &p->iss, iss);
}

pjwt_err
pjwt_policy_set_audience(pjwt_policy *p, const char *aud)
{
	return p == NULL ? PJWT_E_INVALID_ARGUMENT :
	    policy_set_str(p, &p->aud, aud);
}

pjwt_err
pjwt_policy_set_leeway(pjwt_policy *p, int64_t seconds)
{
	if (p == NULL || seconds < 0 || seconds > PJWT_MAX_LEEWAY)
		return PJWT_E_INVALID_ARGUMENT;
	p->leeway = seconds;
	return PJWT_OK;
}

pjwt_err
pjwt_policy_set_max_age(pjwt_policy *p, int64_t seconds)
{
	if (p == NULL || seconds < 0)
		return PJWT_E_INVALID_ARGUMENT;
	p->max_age = seconds;
	return PJWT_OK;
}

pjwt_err
pjwt_policy_set_allow_machine(pjwt_policy *p, int allow)
{
	if (p == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	p->allow_machine = allow != 0;
	return PJWT_OK;
}

/* typ: NULL = any; "" is refused (it would match nothing useful). */
pjwt_err
pjwt_policy_set_typ(pjwt_policy *p, const char *typ)
{
	return p == NULL ? PJWT_E_INVALID_ARGUMENT :
	    policy_set_opt(p, &p->typ, typ, 0);
}

pjwt_err
pjwt_policy_set_scopes(pjwt_policy *p, const char *scopes)
{
	const char *s;

	if (p == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	/* Only blanks: nothing required, same as "". */
	for (s = scopes; s != NULL && *s == ' '; s++)
		;
	return policy_set_opt(p, &p->scopes, s, 1);
}

pjwt_err
pjwt_policy_set_user_claim(pjwt_policy *p, const char *name)
{
	return p == NULL ? PJWT_E_INVALID_ARGUMENT :
	    policy_set_str(p, &p->user_claim, name);
}

/* user: NULL clears; "" is refused (no user is named ""). */
pjwt_err
pjwt_policy_set_user(pjwt_policy *p, const char *user)
{
	return p == NULL ? PJWT_E_INVALID_ARGUMENT :
	    policy_set_opt(p, &p->user, user, 0);
}

pjwt_err
pjwt_policy_set_algorithms(pjwt_policy *p, unsigned alg_mask)
{
	if (p == NULL || (alg_mask & ~(unsigned)PJWT_ALG_MASK_ALL) != 0)
		return PJWT_E_INVALID_ARGUMENT;
	p->alg_mask = alg_mask;
	return PJWT_OK;
}

pjwt_err
pjwt_policy_set_max_len(pjwt_policy *p, size_t max_len)
{
	if (p == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	p->max_len = max_len;
	return PJWT_OK;
}

pjwt_err
pjwt_policy_set_now(pjwt_policy *p, int64_t now)
{
	if (p == NULL || now <= 0)
		return PJWT_E_INVALID_ARGUMENT;
	p->now = now;
	return PJWT_OK;
}

int64_t
pjwt_policy_leeway(const pjwt_policy *p)
{
	return p == NULL ? 0 : p->leeway;
}

/* ---- policy by name ---------------------------------------------------- */

enum popt_kind { POPT_STRING, POPT_SECONDS, POPT_TYP, POPT_SCOPE, POPT_ALGS,
	POPT_FLAG };

static const struct popt {
	const char *name;
	enum popt_kind kind;
	int64_t max;              /* POPT_SECONDS: upper bound */
	const char *why;          /* the error text of a bad value */
} popt_table[] = {
	{ "issuer", POPT_STRING, 0, "needs a non-empty value" },
	{ "audience", POPT_STRING, 0, "needs a non-empty value" },
	{ "user_claim", POPT_STRING, 0, "needs a non-empty value" },
	{ "user", POPT_STRING, 0, "needs a non-empty value" },
	{ "leeway", POPT_SECONDS, PJWT_MAX_LEEWAY,
	    "not a number of seconds in 0..86400" },
	{ "max_age", POPT_SECONDS, PJWT_MAX_MAX_AGE,
	    "not a number of seconds in 0..316224000" },
	{ "typ", POPT_TYP, 0, "needs a media type or \"any\"" },
	{ "scope", POPT_SCOPE, 0,
	    "scopes are names separated by single spaces" },
	{ "algorithms", POPT_ALGS, 0,
	    "not a comma-separated list of JWS algorithm names" },
	{ "allow_machine", POPT_FLAG, 0, "takes no value" },
};

/* The error texts above spell the bounds out. */
_Static_assert(PJWT_MAX_LEEWAY == 86400, "update the leeway error text");
_Static_assert(PJWT_MAX_MAX_AGE == 316224000, "update the max_age error text");

static const struct popt *
popt_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(popt_table) / sizeof(popt_table[0]); i++)
		if (strcmp(popt_table[i].name, name) == 0)
			return &popt_table[i];
	return NULL;
}

int
pjwt_policy_option_known(const char *name)
{
	return popt_find(name) != NULL;
}

/* A decimal without sign, blanks or leading zeros, in 0..max. */
static int
parse_seconds(const char *s, int64_t max, int64_t *ret)
{
	char *end = NULL;
	long long v;

	if (s == NULL || s[0] < '0' || s[0] > '9' ||
	    (s[0] == '0' && s[1] != '\0'))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > max)
		return -1;
	*ret = (int64_t)v;
	return 0;
}

/* Names separated by single spaces: no empty name anywhere. */
static int
scope_list_ok(const char *s)
{
	size_t n;

	if (s == NULL || *s == '\0')
		return 0;
	n = strlen(s);
	return s[0] != ' ' && s[n - 1] != ' ' && strstr(s, "  ") == NULL;
}

pjwt_err
pjwt_policy_set(pjwt_policy *p, const char *name, const char *value,
    const char **ret_why)
{
	const struct popt *o = popt_find(name);
	const char *why = NULL;
	int64_t n = 0;
	unsigned mask = 0;
	pjwt_err r = PJWT_OK;

	if (o == NULL) {
		why = "unknown policy option";
		goto bad;
	}
	if (o->kind == POPT_FLAG) {
		if (value != NULL)
			goto bad_value;
	} else if (value == NULL || *value == '\0') {
		why = "needs a value";
		goto bad;
	}
	switch (o->kind) {
	case POPT_SECONDS:
		if (parse_seconds(value, o->max, &n) != 0)
			goto bad_value;
		break;
	case POPT_SCOPE:
		if (!scope_list_ok(value))
			goto bad_value;
		break;
	case POPT_ALGS:
		if ((r = pjwt_alg_list_parse(value, &mask)) != PJWT_OK) {
			if (r == PJWT_E_NOMEM)
				return r;
			why = r == PJWT_E_ALG_NONE ?
			    "\"none\" is never an allowed algorithm" : o->why;
			goto bad;
		}
		break;
	default:
		break;
	}
	if (p == NULL)
		return PJWT_OK;

	if (strcmp(o->name, "issuer") == 0)
		r = pjwt_policy_set_issuer(p, value);
	else if (strcmp(o->name, "audience") == 0)
		r = pjwt_policy_set_audience(p, value);
	else if (strcmp(o->name, "user_claim") == 0)
		r = pjwt_policy_set_user_claim(p, value);
	else if (strcmp(o->name, "user") == 0)
		r = pjwt_policy_set_user(p, value);
	else if (strcmp(o->name, "leeway") == 0)
		r = pjwt_policy_set_leeway(p, n);
	else if (strcmp(o->name, "max_age") == 0)
		r = pjwt_policy_set_max_age(p, n);
	else if (strcmp(o->name, "typ") == 0)
		r = pjwt_policy_set_typ(p, strcmp(value, "any") == 0 ? NULL :
		    value);
	else if (strcmp(o->name, "scope") == 0)
		r = pjwt_policy_set_scopes(p, value);
	else if (strcmp(o->name, "algorithms") == 0)
		r = pjwt_policy_set_algorithms(p, mask);
	else
		r = pjwt_policy_set_allow_machine(p, 1);
	if (r == PJWT_OK || r == PJWT_E_NOMEM)
		return r;
 bad_value:
	why = o->why;
 bad:
	if (ret_why != NULL)
		*ret_why = why;
	return PJWT_E_INVALID_ARGUMENT;
}

/* ---- claims ------------------------------------------------------------ */

static pjwt_err
check_typ(const pjwt_policy *p, const json_t *hdr)
{
	const json_t *v = json_object_get(hdr, "typ");
	const char *typ = NULL;

	if (v != NULL && (typ = json_cstr(v)) == NULL)
		return PJWT_E_MALFORMED;
	if (p->typ == NULL)
		return PJWT_OK;
	if (typ == NULL || !pjwt_typ_equal(typ, p->typ))
		return PJWT_E_TYP_MISMATCH;
	return PJWT_OK;
}

static pjwt_err
check_iss(const pjwt_policy *p, const json_t *c)
{
	const json_t *v = json_object_get(c, "iss");

	if (v == NULL)
		return PJWT_E_ISS_MISMATCH;
	if (!json_is_string(v))
		return PJWT_E_MALFORMED;
	return json_str_eq(v, p->iss) ? PJWT_OK : PJWT_E_ISS_MISMATCH;
}

static pjwt_err
check_aud(const pjwt_policy *p, const json_t *c)
{
	const json_t *v = json_object_get(c, "aud"), *m;
	size_t i;
	int found = 0;

	if (v == NULL)
		return PJWT_E_AUD_MISMATCH;
	if (json_is_string(v))
		return json_str_eq(v, p->aud) ? PJWT_OK : PJWT_E_AUD_MISMATCH;
	if (!json_is_array(v))
		return PJWT_E_MALFORMED;
	/* Look at every member, so a malformed array is malformed wherever
	 * our audience sits in it. */
	json_array_foreach(v, i, m) {
		if (!json_is_string(m))
			return PJWT_E_MALFORMED;
		if (json_str_eq(m, p->aud))
			found = 1;
	}
	return found ? PJWT_OK : PJWT_E_AUD_MISMATCH;
}

/* exp, nbf, iat, max_age. */
static pjwt_err
check_times(const pjwt_policy *p, const json_t *c)
{
	int64_t exp = 0, nbf = 0, iat = 0, now = p->now, lw = p->leeway;
	int has_exp, has_nbf, has_iat;
	pjwt_err r;

	if ((r = claim_int(c, "exp", &has_exp, &exp)) != PJWT_OK)
		return r;
	if (!has_exp)
		return PJWT_E_MISSING_CLAIM;
	/* RFC 7519 4.1.4: valid only before exp.  now >= exp + lw. */
	if (now - lw >= exp)
		return PJWT_E_EXPIRED;
	if ((r = claim_int(c, "nbf", &has_nbf, &nbf)) != PJWT_OK)
		return r;
	if (has_nbf && sat_add(now, lw) < nbf)
		return PJWT_E_NOT_YET_VALID;
	if ((r = claim_int(c, "iat", &has_iat, &iat)) != PJWT_OK)
		return r;
	if (has_iat && iat > sat_add(now, lw))
		return PJWT_E_IAT_FUTURE;
	if (p->max_age > 0) {
		if (!has_iat)
			return PJWT_E_MISSING_CLAIM;
		if (now > sat_add(sat_add(iat, p->max_age), lw))
			return PJWT_E_TOO_OLD;
	}
	return PJWT_OK;
}

static pjwt_err
check_user(const pjwt_policy *p, const json_t *c, const char **ret_user)
{
	const json_t *v = json_object_get(c, p->user_claim);
	const char *u;

	if (v == NULL)
		return PJWT_E_MISSING_CLAIM;
	if ((u = json_cstr(v)) == NULL || *u == '\0')
		return PJWT_E_MALFORMED;
	if (p->user != NULL && strcmp(u, p->user) != 0)
		return PJWT_E_USER_MISMATCH;
	*ret_user = u;
	return PJWT_OK;
}

/*
 * Machine tokens, refused unless the policy allows them.  A token is a
 * machine token when
 *   - gty (PJWT_CLAIM_GRANT_TYPE) is client_credentials (ours), or
 *     client-credentials (the spelling other issuers use), or
 *   - its sub is the id of the client it was issued to (client_id, RFC 9068
 *     2.2, or azp): RFC 9068's shape of a client's own token, which does
 *     not depend on the issuer marking it.
 * gty of any other string value is a user's token.  A gty, client_id or
 * azp that is not a string (or holds a NUL) is malformed, so that no type
 * trick hides the marker.
 */
static pjwt_err
check_machine(const pjwt_policy *p, const json_t *c)
{
	static const char *const client_claims[] = { "client_id", "azp" };
	const json_t *v;
	const char *g, *sub, *cid;
	size_t i;

	if ((v = json_object_get(c, PJWT_CLAIM_GRANT_TYPE)) != NULL) {
		if ((g = json_cstr(v)) == NULL)
			return PJWT_E_MALFORMED;
		if ((strcmp(g, PJWT_GRANT_CLIENT_CREDENTIALS) == 0 ||
		    strcmp(g, "client-credentials") == 0) && !p->allow_machine)
			return PJWT_E_MACHINE_TOKEN;
	}
	sub = json_cstr(json_object_get(c, "sub"));
	for (i = 0; i < sizeof(client_claims) / sizeof(client_claims[0]); i++) {
		if ((v = json_object_get(c, client_claims[i])) == NULL)
			continue;
		if ((cid = json_cstr(v)) == NULL)
			return PJWT_E_MALFORMED;
		if (sub != NULL && strcmp(sub, cid) == 0 && !p->allow_machine)
			return PJWT_E_MACHINE_TOKEN;
	}
	return PJWT_OK;
}

static pjwt_err
check_scopes(const pjwt_policy *p, const json_t *c)
{
	const json_t *v;
	const char *have, *w, *e;

	if (p->scopes == NULL)
		return PJWT_OK;
	if ((v = json_object_get(c, "scope")) == NULL)
		return PJWT_E_SCOPE_MISSING;
	if ((have = json_cstr(v)) == NULL)
		return PJWT_E_MALFORMED;
	for (w = p->scopes; *w != '\0'; w = e) {
		while (*w == ' ')
			w++;
		if (*w == '\0')
			break;
		for (e = w; *e != '\0' && *e != ' '; e++)
			;
		if (!scope_has_n(have, w, (size_t)(e - w)))
			return PJWT_E_SCOPE_MISSING;
	}
	return PJWT_OK;
}

/* Copy src into dst[size] as printable ASCII ('?' for anything else). */
static void
info_copy(char *dst, size_t size, const char *src, size_t len)
{
	size_t i, n;

	if (size == 0)
		return;
	n = len < size - 1 ? len : size - 1;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[i] = (ch >= 0x20 && ch <= 0x7e) ? (char)ch : '?';
	}
	dst[n] = '\0';
}

static void
info_copy_json(char *dst, size_t size, const json_t *v)
{
	if (json_is_string(v))
		info_copy(dst, size, json_string_value(v),
		    json_string_length(v));
}

/* Fill info from a header and payload object (either may be NULL). */
static void
info_fill(pjwt_info *info, const json_t *hdr, const json_t *payload,
    const char *user_claim)
{
	if (hdr != NULL) {
		info_copy_json(info->alg, sizeof(info->alg),
		    json_object_get(hdr, "alg"));
		info_copy_json(info->kid, sizeof(info->kid),
		    json_object_get(hdr, "kid"));
	}
	if (payload != NULL) {
		info_copy_json(info->jti, sizeof(info->jti),
		    json_object_get(payload, "jti"));
		info_copy_json(info->iss, sizeof(info->iss),
		    json_object_get(payload, "iss"));
		if (user_claim != NULL)
			info_copy_json(info->user, sizeof(info->user),
			    json_object_get(payload, user_claim));
	}
}

pjwt_err
pjwt_peek_segment(const char *b64, size_t len, json_t **ret_obj)
{
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	json_t *j = NULL;
	pjwt_err r;

	if (b64 == NULL || ret_obj == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	if (len == 0)
		return PJWT_E_MALFORMED;
	if ((r = pjwt_b64url_decode(b64, len, &raw, &rawlen)) != PJWT_OK)
		return r;
	r = pjwtp_json_parse((const char *)raw, rawlen, &j);
	pjwt_secret_free(raw, rawlen + 1);
	if (r != PJWT_OK)
		return r;
	if (!json_is_object(j)) {
		pjwtp_json_wipe_decref(j);
		return PJWT_E_MALFORMED;
	}
	*ret_obj = j;
	return PJWT_OK;
}

pjwt_err
pjwt_peek(const char *token, size_t len, json_t **ret_header,
    json_t **ret_payload)
{
	const char *d1, *d2;
	json_t *hdr = NULL, *payload = NULL;
	pjwt_err r;

	if (token == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	if ((d1 = memchr(token, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token))) ==
	    NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)) != NULL)
		return PJWT_E_MALFORMED;
	if ((ret_header != NULL && (r = pjwt_peek_segment(token,
	    (size_t)(d1 - token), &hdr)) != PJWT_OK) ||
	    (ret_payload != NULL && (r = pjwt_peek_segment(d1 + 1,
	    (size_t)(d2 - d1 - 1), &payload)) != PJWT_OK))
		goto out;
	if (ret_header != NULL)
		*ret_header = hdr;
	if (ret_payload != NULL)
		*ret_payload = payload;
	hdr = payload = NULL;
	r = PJWT_OK;
 out:
	pjwtp_json_wipe_decref(hdr);
	pjwtp_json_wipe_decref(payload);
	return r;
}

pjwt_err
pjwt_jws_payload_object(const pjwt_jws *jws, json_t **ret_obj)
{
	const unsigned char *raw;
	size_t rawlen = 0;
	json_t *j = NULL;
	pjwt_err r;

	if (jws == NULL || ret_obj == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	raw = pjwt_jws_payload(jws, &rawlen);
	if ((r = pjwtp_json_parse((const char *)raw, rawlen, &j)) != PJWT_OK)
		return r;
	if (!json_is_object(j)) {
		pjwtp_json_wipe_decref(j);
		return PJWT_E_MALFORMED;
	}
	*ret_obj = j;
	return PJWT_OK;
}

/*
 * Best effort, for logs after a failure: header and UNVERIFIED payload of a
 * token no longer than the policy's bound.  Nothing here decides anything.
 */
static void
info_fill_unverified(pjwt_info *info, const char *token, size_t len,
    const pjwt_policy *p)
{
	const char *d1, *d2;
	size_t max = (p != NULL && p->max_len != 0) ? p->max_len :
	    PJWT_DEFAULT_MAX_TOKEN;
	json_t *hdr = NULL, *payload = NULL;

	if (token == NULL || len > max)
		return;
	if ((d1 = memchr(token, '.', len)) == NULL)
		return;
	/* Each segment on its own (not pjwt_peek): a header is still worth
	 * logging when the rest of the token is not a JWS. */
	(void)pjwt_peek_segment(token, (size_t)(d1 - token), &hdr);
	d2 = memchr(d1 + 1, '.', len - (size_t)(d1 - token) - 1);
	if (d2 != NULL)
		(void)pjwt_peek_segment(d1 + 1, (size_t)(d2 - d1 - 1),
		    &payload);
	info_fill(info, hdr, payload, p != NULL ? p->user_claim : "sub");
	pjwtp_json_wipe_decref(hdr);
	pjwtp_json_wipe_decref(payload);
}

pjwt_err
pjwt_verify_ex(const pjwt_keyset *ks, const char *token, size_t len,
    const pjwt_policy *p, pjwt_info *info, pjwt_claims **ret_claims)
{
	const json_t *hdr = NULL;
	const pjwt_key *key = NULL;
	pjwt_jws *jws = NULL;
	pjwt_claims *c = NULL;
	json_t *payload = NULL;
	const char *user = NULL;
	pjwt_err r;

	if (info != NULL)
		memset(info, 0, sizeof(*info));
	if (ks == NULL || token == NULL || p == NULL || p->iss == NULL ||
	    p->aud == NULL || p->now <= 0 || p->user_claim == NULL) {
		r = PJWT_E_INVALID_ARGUMENT;
		goto out;
	}
	if ((r = pjwt_jws_verify(ks, token, len, p->alg_mask, p->max_len,
	    &jws)) != PJWT_OK)
		goto out;
	hdr = pjwt_jws_header(jws);
	key = pjwt_jws_key(jws);
	if ((r = pjwt_jws_payload_object(jws, &payload)) != PJWT_OK)
		goto out;
	if ((r = check_typ(p, hdr)) != PJWT_OK ||
	    (r = check_iss(p, payload)) != PJWT_OK ||
	    (r = check_aud(p, payload)) != PJWT_OK ||
	    (r = check_times(p, payload)) != PJWT_OK ||
	    (r = check_machine(p, payload)) != PJWT_OK ||
	    (r = check_user(p, payload, &user)) != PJWT_OK ||
	    (r = check_scopes(p, payload)) != PJWT_OK)
		goto out;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		r = PJWT_E_NOMEM;
		goto out;
	}
	c->payload = payload;
	c->header = json_incref((json_t *)hdr);
	c->user = user;
	c->alg = key->alg;
	/* The kid of the key used (equal to the header's when it has one). */
	memcpy(c->kid, key->kid, sizeof(c->kid));
	c->kid[sizeof(c->kid) - 1] = '\0';
	payload = NULL;
	r = PJWT_OK;
 out:
	if (info != NULL) {
		if (jws != NULL) {
			/* Signature verified: header and payload are known. */
			info_fill(info, hdr, c != NULL ? c->payload : payload,
			    p->user_claim);
			if (key != NULL)
				info_copy(info->kid, sizeof(info->kid),
				    key->kid, strlen(key->kid));
		} else {
			info_fill_unverified(info, token, len, p);
		}
	}
	pjwtp_json_wipe_decref(payload);
	pjwt_jws_free(jws);
	if (r == PJWT_OK) {
		if (ret_claims != NULL)
			*ret_claims = c;
		else
			pjwt_claims_free(c);
	}
	return r;
}

pjwt_err
pjwt_verify(const pjwt_keyset *ks, const char *token, size_t len,
    const pjwt_policy *p, pjwt_claims **ret_claims)
{
	return pjwt_verify_ex(ks, token, len, p, NULL, ret_claims);
}

const json_t *
pjwt_claims_json(const pjwt_claims *c)
{
	return c == NULL ? NULL : c->payload;
}

const json_t *
pjwt_claims_header(const pjwt_claims *c)
{
	return c == NULL ? NULL : c->header;
}

const char *
pjwt_claims_user(const pjwt_claims *c)
{
	return c == NULL ? NULL : c->user;
}

const char *
pjwt_claims_kid(const pjwt_claims *c)
{
	return c == NULL ? NULL : c->kid;
}

pjwt_alg
pjwt_claims_alg(const pjwt_claims *c)
{
	return c == NULL ? PJWT_ALG_UNKNOWN : c->alg;
}

const char *
pjwt_claims_get_string(const pjwt_claims *c, const char *name)
{
	if (c == NULL || name == NULL)
		return NULL;
	return json_cstr(json_object_get(c->payload, name));
}

pjwt_err
pjwt_claims_get_int(const pjwt_claims *c, const char *name, int64_t *ret_value)
{
	const json_t *v;
	int64_t x = 0;
	pjwt_err r;

	if (c == NULL || name == NULL || ret_value == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	if ((v = json_object_get(c->payload, name)) == NULL)
		return PJWT_E_MISSING_CLAIM;
	if ((r = json_to_int64(v, &x)) != PJWT_OK)
		return r;
	*ret_value = x;
	return PJWT_OK;
}

pjwt_claims *
pjwt_claims_free(pjwt_claims *c)
{
	if (c == NULL)
		return NULL;
	pjwtp_json_wipe_decref(c->payload);
	pjwtp_json_wipe_decref(c->header);
	explicit_bzero(c, sizeof(*c));
	free(c);
	return NULL;
}

pjwt_err
pjwt_sign(const pjwt_key *k, const char *typ, const json_t *claims,
    char **ret_token)
{
	char *s;
	pjwt_err r;

	if (k == NULL || !json_is_object(claims) || ret_token == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	/* jansson >= 2.8 keeps insertion order; JSON_COMPACT: no blanks. */
	if ((s = json_dumps(claims, JSON_COMPACT)) == NULL)
		return PJWT_E_NOMEM;
	r = pjwt_jws_sign(k, typ, s, strlen(s), ret_token);
	pjwt_str_free(s);
	return r;
}
