/*
 * jwk.c - JWK and JWK Set parse and serialise (RFC 7517, RFC 7518 section 6,
 * RFC 8037), and pjwt_key_load (PEM or JWK).  Thumbprints and the member
 * writers are in key.c, below; jwk.c calls down into key.c, never back.
 *
 * Key material is handed to OpenSSL through OSSL_PARAM arrays that point at
 * our own buffers (EVP_PKEY_fromdata), so every copy of a private member we
 * make is wiped: OSSL_PARAM_BLD would copy octet strings (Ed25519 "d") into
 * a block that OSSL_PARAM_free releases without clearing.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "pjwt_b64.h"
#include "pjwt_key.h"
#include "pjwt_mem.h"
#include "pjwt_alg.h"
#include "pjwtp.h"

#define ED25519_LEN 32
#define EC_FIELD_MAX 66
#define RSA_MAX_BYTES (16384 / 8)

/* RSA private members in JWK order, with their OpenSSL parameter names. */
static const struct rsa_member {
	const char *jwk;
	const char *param;
} rsa_private[] = {
	{ "d", OSSL_PKEY_PARAM_RSA_D },
	{ "p", OSSL_PKEY_PARAM_RSA_FACTOR1 },
	{ "q", OSSL_PKEY_PARAM_RSA_FACTOR2 },
	{ "dp", OSSL_PKEY_PARAM_RSA_EXPONENT1 },
	{ "dq", OSSL_PKEY_PARAM_RSA_EXPONENT2 },
	{ "qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1 },
};
#define RSA_PRIVATE_N (sizeof(rsa_private) / sizeof(rsa_private[0]))

/* See key.c: OpenSSL-reported allocation failure, else fallback. */
static pjwt_err
ossl_err(pjwt_err fallback)
{
	unsigned long e = ERR_peek_last_error();

	if (e != 0 && ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE)
		return PJWT_E_NOMEM;
	return fallback;
}

/*
 * json_dump_wiped: compact serialisation of j into a new string of exactly
 * the right size.  json_dumps grows its buffer with realloc and would leave
 * unwiped copies of private members on the heap; json_dumpb writes straight
 * into ours.
 */
static pjwt_err
json_dump_wiped(const json_t *j, char **ret_json)
{
	char probe[1], *s;
	size_t n, m;

	if ((n = json_dumpb(j, probe, 0, JSON_COMPACT)) == 0)
		return PJWT_E_NOMEM;
	if ((s = malloc(n + 1)) == NULL)
		return PJWT_E_NOMEM;
	if ((m = json_dumpb(j, s, n, JSON_COMPACT)) != n) {
		pjwt_secret_free(s, n + 1);
		return m == 0 ? PJWT_E_NOMEM : PJWT_E_INTERNAL;
	}
	s[n] = '\0';
	*ret_json = s;
	return PJWT_OK;
}

/* ---- reading members --------------------------------------------------- */

/* Decoded bytes of one member; wiped when freed. */
struct member {
	unsigned char *p;
	size_t len;
};

static void
member_free(struct member *m)
{
	if (m->p != NULL)
		pjwt_secret_free(m->p, m->len + 1);
	m->p = NULL;
	m->len = 0;
}

/*
 * The string member `name` of o in *ret (NULL when absent and optional).
 * Errors: PJWT_E_BAD_KEY (required, absent), PJWT_E_MALFORMED (not a string).
 */
static pjwt_err
member_string(const json_t *o, const char *name, int required,
    const char **ret)
{
	const json_t *v = json_object_get(o, name);

	if (v == NULL) {
		if (required)
			return PJWT_E_BAD_KEY;
		*ret = NULL;
		return PJWT_OK;
	}
	if (!json_is_string(v))
		return PJWT_E_MALFORMED;
	*ret = json_string_value(v);
	return PJWT_OK;
}

/* The base64url member `name` of o, decoded into m (m->p stays NULL when
 * absent and optional). */
static pjwt_err
member_bytes(const json_t *o, const char *name, int required,
    struct member *m)
{
	const json_t *v = json_object_get(o, name);

	if (v == NULL)
		return required ? PJWT_E_BAD_KEY : PJWT_OK;
	if (!json_is_string(v))
		return PJWT_E_MALFORMED;
	return pjwt_b64url_decode(json_string_value(v), json_string_length(v),
	    &m->p, &m->len);
}

/* JWK integers are big-endian; OSSL_PARAM integers are native-endian. */
static void
be_to_native(unsigned char *p, size_t len)
{
	const uint16_t one = 1;
	unsigned char first, c;
	size_t i;

	memcpy(&first, &one, 1);
	if (first == 0)
		return;
	for (i = 0; i < len / 2; i++) {
		c = p[i];
		p[i] = p[len - 1 - i];
		p[len - 1 - i] = c;
	}
}

static pjwt_err
pkey_fromdata(const char *type, int selection, OSSL_PARAM *params,
    EVP_PKEY **ret_pkey)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;
	pjwt_err r;

	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1) {
		r = ossl_err(PJWT_E_INTERNAL);
		goto out;
	}
	/* Refused material: a point off the curve, inconsistent members. */
	if (EVP_PKEY_fromdata(ctx, &pkey, selection, params) != 1 ||
	    pkey == NULL) {
		r = ossl_err(PJWT_E_BAD_KEY);
		goto out;
	}
	*ret_pkey = pkey;
	r = PJWT_OK;
 out:
	EVP_PKEY_CTX_free(ctx);
	return r;
}

/* ---- parsing one JWK --------------------------------------------------- */

static pjwt_err
jwk_okp(const json_t *o, pjwt_alg alg, pjwt_key **ret_key)
{
	struct member x = { NULL, 0 }, d = { NULL, 0 };
	OSSL_PARAM params[3], *p = params;
	EVP_PKEY *pkey = NULL;
	pjwt_err r;

	if ((r = member_bytes(o, "x", 1, &x)) != PJWT_OK ||
	    (r = member_bytes(o, "d", 0, &d)) != PJWT_OK)
		goto out;
	if (x.len != ED25519_LEN || (d.p != NULL && d.len != ED25519_LEN)) {
		r = PJWT_E_BAD_KEY;
		goto out;
	}
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, x.p,
	    x.len);
	if (d.p != NULL)
		*p++ = OSSL_PARAM_construct_octet_string(
		    OSSL_PKEY_PARAM_PRIV_KEY, d.p, d.len);
	*p = OSSL_PARAM_construct_end();
	if ((r = pkey_fromdata("ED25519", d.p != NULL ? EVP_PKEY_KEYPAIR :
	    EVP_PKEY_PUBLIC_KEY, params, &pkey)) != PJWT_OK)
		goto out;
	/* pjwtp_key_new checks that d derives x (EVP_PKEY_check). */
	if ((r = pjwtp_key_new(alg, pkey, NULL, 0, d.p != NULL, ret_key)) !=
	    PJWT_OK)
		goto out;
	pkey = NULL;
 out:
	EVP_PKEY_free(pkey);
	member_free(&x);
	member_free(&d);
	return r;
}

static pjwt_err
jwk_ec(const json_t *o, pjwt_alg crv_alg, pjwt_alg alg, pjwt_key **ret_key)
{
	struct member x = { NULL, 0 }, y = { NULL, 0 }, d = { NULL, 0 };
	unsigned char pub[1 + 2 * EC_FIELD_MAX];
	OSSL_PARAM params[4], *p = params;
	size_t fl = pjwtp_alg_ec_field_len(crv_alg);
	EVP_PKEY *pkey = NULL;
	char group[8];
	pjwt_err r;

	if ((r = member_bytes(o, "x", 1, &x)) != PJWT_OK ||
	    (r = member_bytes(o, "y", 1, &y)) != PJWT_OK ||
	    (r = member_bytes(o, "d", 0, &d)) != PJWT_OK)
		goto out;
	/* RFC 7518 6.2.1.2, 6.2.2.1: exactly the field size, zeros kept. */
	if (x.len != fl || y.len != fl || (d.p != NULL && d.len != fl)) {
		r = PJWT_E_BAD_KEY;
		goto out;
	}
	pub[0] = 0x04;          /* uncompressed point */
	memcpy(pub + 1, x.p, fl);
	memcpy(pub + 1 + fl, y.p, fl);
	snprintf(group, sizeof(group), "%s", pjwtp_alg_ec_crv(crv_alg));
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	    group, 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub,
	    1 + 2 * fl);
	if (d.p != NULL) {
		be_to_native(d.p, d.len);
		*p++ = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_PRIV_KEY, d.p,
		    d.len);
	}
	*p = OSSL_PARAM_construct_end();
	/* fromdata refuses a point that is not on the curve. */
	if ((r = pkey_fromdata("EC", d.p != NULL ? EVP_PKEY_KEYPAIR :
	    EVP_PKEY_PUBLIC_KEY, params, &pkey)) != PJWT_OK)
		goto out;
	if ((r = pjwtp_key_new(alg, pkey, NULL, 0, d.p != NULL, ret_key)) !=
	    PJWT_OK)
		goto out;
	pkey = NULL;
 out:
	EVP_PKEY_free(pkey);
	member_free(&x);
	member_free(&y);
	member_free(&d);
	return r;
}

static pjwt_err
jwk_rsa(const json_t *o, pjwt_alg alg, pjwt_key **ret_key)
{
	struct member n = { NULL, 0 }, e = { NULL, 0 }, priv[RSA_PRIVATE_N];
	OSSL_PARAM params[2 + RSA_PRIVATE_N + 1], *p = params;
	EVP_PKEY *pkey = NULL;
	size_t i, have = 0;
	pjwt_err r;

	memset(priv, 0, sizeof(priv));
	if ((r = member_bytes(o, "n", 1, &n)) != PJWT_OK ||
	    (r = member_bytes(o, "e", 1, &e)) != PJWT_OK)
		goto out;
	/* Base64urlUInt: minimal, no leading zero octet (RFC 7518 6.3.1.1);
	 * the thumbprint depends on it. */
	if (n.len == 0 || n.p[0] == 0 || n.len > RSA_MAX_BYTES ||
	    e.len == 0 || e.p[0] == 0) {
		r = PJWT_E_BAD_KEY;
		goto out;
	}
	/* Multi-prime keys are not supported. */
	if (json_object_get(o, "oth") != NULL) {
		r = PJWT_E_BAD_KEY;
		goto out;
	}
	for (i = 0; i < RSA_PRIVATE_N; i++) {
		if ((r = member_bytes(o, rsa_private[i].jwk, 0, &priv[i])) !=
		    PJWT_OK)
			goto out;
		if (priv[i].p != NULL) {
			if (priv[i].len == 0 || priv[i].len > RSA_MAX_BYTES) {
				r = PJWT_E_BAD_KEY;
				goto out;
			}
			have++;
		}
	}
	/* A private key needs d and every CRT member, or nothing. */
	if (have != 0 && have != RSA_PRIVATE_N) {
		r = PJWT_E_BAD_KEY;
		goto out;
	}
	be_to_native(n.p, n.len);
	be_to_native(e.p, e.len);
	*p++ = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_RSA_N, n.p, n.len);
	*p++ = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_RSA_E, e.p, e.len);
	for (i = 0; i < have; i++) {
		be_to_native(priv[i].p, priv[i].len);
		*p++ = OSSL_PARAM_construct_BN(rsa_private[i].param,
		    priv[i].p, priv[i].len);
	}
	*p = OSSL_PARAM_construct_end();
	if ((r = pkey_fromdata("RSA", have != 0 ? EVP_PKEY_KEYPAIR :
	    EVP_PKEY_PUBLIC_KEY, params, &pkey)) != PJWT_OK)
		goto out;
	/* Size, exponent and (private) the consistency of all members. */
	if ((r = pjwtp_key_new(alg, pkey, NULL, 0, have != 0, ret_key)) !=
	    PJWT_OK)
		goto out;
	pkey = NULL;
 out:
	EVP_PKEY_free(pkey);
	member_free(&n);
	member_free(&e);
	for (i = 0; i < RSA_PRIVATE_N; i++)
		member_free(&priv[i]);
	return r;
}

static pjwt_err
jwk_oct(const json_t *o, pjwt_alg alg, pjwt_key **ret_key)
{
	struct member k = { NULL, 0 };
	pjwt_err r;

	if ((r = member_bytes(o, "k", 1, &k)) != PJWT_OK)
		goto out;
	/* An empty "k" decodes to an empty non-NULL buffer: weak. */
	r = pjwtp_key_new(alg, NULL, k.p, k.len, 1, ret_key);
 out:
	member_free(&k);
	return r;
}

/* "key_ops" (RFC 7517 4.3): an array of strings naming sign or verify. */
static pjwt_err
key_ops_check(const json_t *ops)
{
	const json_t *v;
	int sig = 0;
	size_t i;

	if (!json_is_array(ops))
		return PJWT_E_MALFORMED;
	json_array_foreach(ops, i, v) {
		if (!json_is_string(v))
			return PJWT_E_MALFORMED;
		if (strcmp(json_string_value(v), "sign") == 0 ||
		    strcmp(json_string_value(v), "verify") == 0)
			sig = 1;
	}
	return sig ? PJWT_OK : PJWT_E_BAD_KEY;
}

/*
 * jwk_parse: one JWK object into a key bound to its "alg", else `want`, else
 * the type's default.  *skip is set to 1 (and an error returned) when the
 * key is one a JWK Set ignores: a kty or curve we do not implement, an alg
 * we do not implement, "use" other than "sig", "key_ops" without sign or
 * verify.
 */
static pjwt_err
jwk_parse(const json_t *o, pjwt_alg want, pjwt_key **ret_key, int *skip)
{
	const char *kty, *crv, *use, *alg_name, *kid;
	pjwt_alg alg, crv_alg = PJWT_ALG_UNKNOWN;
	const json_t *ops;
	pjwt_key *k = NULL, probe;
	pjwtp_kty type;
	pjwt_err r;

	*skip = 0;
	if (!json_is_object(o))
		return PJWT_E_MALFORMED;
	if ((r = member_string(o, "kty", 1, &kty)) != PJWT_OK)
		return r;
	if (strcmp(kty, "oct") == 0)
		type = PJWTP_KTY_OCT;
	else if (strcmp(kty, "RSA") == 0)
		type = PJWTP_KTY_RSA;
	else if (strcmp(kty, "EC") == 0)
		type = PJWTP_KTY_EC;
	else if (strcmp(kty, "OKP") == 0)
		type = PJWTP_KTY_OKP;
	else {
		*skip = 1;
		return PJWT_E_BAD_KEY;
	}
	if (type == PJWTP_KTY_EC || type == PJWTP_KTY_OKP) {
		if ((r = member_string(o, "crv", 1, &crv)) != PJWT_OK)
			return r;
		if (type == PJWTP_KTY_EC)
			crv_alg = pjwtp_alg_from_jwk_crv(crv);
		else if (strcmp(crv, "Ed25519") == 0)
			crv_alg = PJWT_ALG_EDDSA;
		if (crv_alg == PJWT_ALG_UNKNOWN) {
			*skip = 1;
			return PJWT_E_BAD_KEY;
		}
	}
	if ((r = member_string(o, "use", 0, &use)) != PJWT_OK)
		return r;
	if (use != NULL && strcmp(use, "sig") != 0) {
		*skip = 1;
		return PJWT_E_BAD_KEY;
	}
	if ((ops = json_object_get(o, "key_ops")) != NULL &&
	    (r = key_ops_check(ops)) != PJWT_OK) {
		*skip = r == PJWT_E_BAD_KEY;
		return r;
	}
	if ((r = member_string(o, "alg", 0, &alg_name)) != PJWT_OK)
		return r;
	if (alg_name != NULL) {
		if (strcasecmp(alg_name, "none") == 0)
			return PJWT_E_ALG_NONE;
		if ((alg = pjwt_alg_from_name(alg_name)) == PJWT_ALG_UNKNOWN) {
			*skip = 1;
			return PJWT_E_ALG_UNSUPPORTED;
		}
		if (want != PJWT_ALG_UNKNOWN && alg != want)
			return PJWT_E_ALG_MISMATCH;
	} else
		alg = want;
	if ((r = member_string(o, "kid", 0, &kid)) != PJWT_OK)
		return r;
	/* Check the kid before doing any key work. */
	if (kid != NULL && (r = pjwt_key_set_kid(&probe, kid)) != PJWT_OK)
		return r;
	switch (type) {
	case PJWTP_KTY_OCT:
		r = jwk_oct(o, alg, &k);
		break;
	case PJWTP_KTY_RSA:
		r = jwk_rsa(o, alg, &k);
		break;
	case PJWTP_KTY_EC:
		r = jwk_ec(o, crv_alg, alg, &k);
		break;
	case PJWTP_KTY_OKP:
		r = jwk_okp(o, alg, &k);
		break;
	default:
		return PJWT_E_INTERNAL;
	}
	if (r != PJWT_OK)
		return r;
	if (kid != NULL && (r = pjwt_key_set_kid(k, kid)) != PJWT_OK) {
		pjwt_key_free(k);
		return r;
	}
	*ret_key = k;
	return PJWT_OK;
}

pjwt_err
pjwt_key_from_jwk(const char *json, size_t len, pjwt_alg alg,
    pjwt_key **ret_key)
{
	json_t *o = NULL;
	pjwt_err r;
	int skip;

	if (json == NULL || ret_key == NULL ||
	    (alg != PJWT_ALG_UNKNOWN && pjwt_alg_name(alg) == NULL))
		return PJWT_E_INVALID_ARGUMENT;
	ERR_set_mark();
	if ((r = pjwtp_json_parse(json, len, &o)) != PJWT_OK)
		goto out;
	r = jwk_parse(o, alg, ret_key, &skip);
 out:
	/* A private JWK's strings are wiped before jansson frees them. */
	pjwtp_json_wipe_decref(o);
	ERR_pop_to_mark();
	return r;
}

/* ---- writing members --------------------------------------------------- */

/* ---- writing a JWK ----------------------------------------------------- */

static pjwt_err
jwk_build(const pjwt_key *k, int include_private, json_t **ret_obj)
{
	const char *crv;
	json_t *o;
	size_t i, fl;
	pjwt_err r;

	if ((o = json_object()) == NULL)
		return PJWT_E_NOMEM;
	switch (pjwtp_key_kty(k)) {
	case PJWTP_KTY_OCT:
		if ((r = pjwtp_jwk_set_str(o, "kty", "oct")) != PJWT_OK ||
		    (r = pjwtp_jwk_set_b64(o, "k", k->secret, k->secret_len)) != PJWT_OK)
			goto out;
		break;
	case PJWTP_KTY_OKP:
		if ((r = pjwtp_jwk_set_str(o, "kty", "OKP")) != PJWT_OK ||
		    (r = pjwtp_jwk_set_str(o, "crv", "Ed25519")) != PJWT_OK ||
		    (r = pjwtp_jwk_set_oct(o, "x", k->pkey, OSSL_PKEY_PARAM_PUB_KEY,
		    ED25519_LEN)) != PJWT_OK)
			goto out;
		if (include_private &&
		    (r = pjwtp_jwk_set_oct(o, "d", k->pkey, OSSL_PKEY_PARAM_PRIV_KEY,
		    ED25519_LEN)) != PJWT_OK)
			goto out;
		break;
	case PJWTP_KTY_EC:
		fl = pjwtp_alg_ec_field_len(k->alg);
		crv = pjwtp_alg_ec_crv(k->alg);
		if ((r = pjwtp_jwk_set_str(o, "kty", "EC")) != PJWT_OK ||
		    (r = pjwtp_jwk_set_str(o, "crv", crv)) != PJWT_OK ||
		    (r = pjwtp_jwk_set_bn(o, "x", k->pkey, OSSL_PKEY_PARAM_EC_PUB_X,
		    fl)) != PJWT_OK ||
		    (r = pjwtp_jwk_set_bn(o, "y", k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y,
		    fl)) != PJWT_OK)
			goto out;
		if (include_private &&
		    (r = pjwtp_jwk_set_bn(o, "d", k->pkey, OSSL_PKEY_PARAM_PRIV_KEY,
		    fl)) != PJWT_OK)
			goto out;
		break;
	case PJWTP_KTY_RSA:
		if ((r = pjwtp_jwk_set_str(o, "kty", "RSA")) != PJWT_OK ||
		    (r = pjwtp_jwk_set_bn(o, "n", k->pkey, OSSL_PKEY_PARAM_RSA_N,
		    0)) != PJWT_OK ||
		    (r = pjwtp_jwk_set_bn(o, "e", k->pkey, OSSL_PKEY_PARAM_RSA_E,
		    0)) != PJWT_OK)
			goto out;
		for (i = 0; include_private && i < RSA_PRIVATE_N; i++)
			if ((r = pjwtp_jwk_set_bn(o, rsa_private[i].jwk, k->pkey,
			    rsa_private[i].param, 0)) != PJWT_OK)
				goto out;
		break;
	default:
		r = PJWT_E_INTERNAL;
		goto out;
	}
	if ((r = pjwtp_jwk_set_str(o, "alg", pjwt_alg_name(k->alg))) != PJWT_OK ||
	    (r = pjwtp_jwk_set_str(o, "kid", k->kid)) != PJWT_OK ||
	    (r = pjwtp_jwk_set_str(o, "use", "sig")) != PJWT_OK)
		goto out;
	*ret_obj = o;
	o = NULL;
	r = PJWT_OK;
 out:
	pjwtp_json_wipe_decref(o);
	return r;
}

pjwt_err
pjwt_key_to_jwk(const pjwt_key *k, int include_private, char **ret_json)
{
	json_t *o = NULL;
	pjwt_err r;

	if (k == NULL || ret_json == NULL ||
	    (include_private && !k->is_private) ||
	    (k->pkey == NULL && !include_private))
		return PJWT_E_INVALID_ARGUMENT;
	ERR_set_mark();
	if ((r = jwk_build(k, include_private, &o)) != PJWT_OK)
		goto out;
	r = json_dump_wiped(o, ret_json);
 out:
	pjwtp_json_wipe_decref(o);
	ERR_pop_to_mark();
	return r;
}

/* ---- JWK Sets ---------------------------------------------------------- */

pjwt_err
pjwt_keyset_from_jwks(const char *json, size_t len, pjwt_keyset **ret_ks)
{
	pjwt_keyset *ks = NULL;
	pjwt_key *k = NULL;
	json_t *root = NULL;
	const json_t *keys, *v;
	pjwt_err r;
	size_t i;
	int skip;

	if (json == NULL || ret_ks == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	ERR_set_mark();
	if ((r = pjwtp_json_parse(json, len, &root)) != PJWT_OK)
		goto out;
	if (!json_is_object(root) ||
	    !json_is_array(keys = json_object_get(root, "keys"))) {
		r = PJWT_E_MALFORMED;
		goto out;
	}
	if ((ks = pjwt_keyset_new()) == NULL) {
		r = PJWT_E_NOMEM;
		goto out;
	}
	json_array_foreach(keys, i, v) {
		if ((r = jwk_parse(v, PJWT_ALG_UNKNOWN, &k, &skip)) != PJWT_OK) {
			/* RFC 7517 section 5: ignore keys we do not implement. */
			if (skip)
				continue;
			goto out;
		}
		if ((r = pjwt_keyset_add(ks, k)) != PJWT_OK) {
			k = pjwt_key_free(k);
			goto out;
		}
		k = NULL;
	}
	if (ks->n == 0) {
		r = PJWT_E_BAD_KEY;
		goto out;
	}
	*ret_ks = ks;
	ks = NULL;
	r = PJWT_OK;
 out:
	pjwt_keyset_free(ks);
	pjwtp_json_wipe_decref(root);
	ERR_pop_to_mark();
	return r;
}

pjwt_err
pjwt_keyset_to_jwks(const pjwt_keyset *ks, char **ret_json)
{
	json_t *root = NULL, *arr, *o;
	pjwt_err r;
	size_t i;

	if (ks == NULL || ret_json == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	ERR_set_mark();
	if ((root = json_object()) == NULL || (arr = json_array()) == NULL ||
	    json_object_set_new(root, "keys", arr) != 0) {
		r = PJWT_E_NOMEM;
		goto out;
	}
	for (i = 0; i < ks->n; i++) {
		/* Only public keys: oct secrets never leave through a JWKS. */
		if (ks->keys[i]->pkey == NULL)
			continue;
		if ((r = jwk_build(ks->keys[i], 0, &o)) != PJWT_OK)
			goto out;
		if (json_array_append_new(arr, o) != 0) {
			r = PJWT_E_NOMEM;
			goto out;
		}
	}
	r = json_dump_wiped(root, ret_json);
 out:
	json_decref(root);
	ERR_pop_to_mark();
	return r;
}

/* ---- PEM or JWK --------------------------------------------------------- */

pjwt_err
pjwt_key_load(const char *buf, size_t len, pjwt_alg alg, pjwt_key **ret_key)
{
	size_t i;

	if (buf == NULL || ret_key == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	for (i = 0; i < len; i++)
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r' &&
		    buf[i] != '\n')
			break;
	if (i == len)
		return PJWT_E_BAD_KEY;
	if (buf[i] == '{')
		return pjwt_key_from_jwk(buf, len, alg, ret_key);
	return pjwt_key_from_pem(buf, len, alg, ret_key);
}
