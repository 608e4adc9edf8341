/*
 * key.c - algorithms, keys bound to one alg, PEM load/store, generation and
 * key sets.  JWK/JWKS and thumbprints live in jwk.c.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "pjwt_key.h"
#include "pjwt_mem.h"
#include "pjwtp.h"

/* RSA bounds: below the minimum is weak; above the maximum OpenSSL refuses
 * to verify anyway (OPENSSL_RSA_MAX_MODULUS_BITS) and a huge modulus is
 * only a way to burn CPU. */
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 16384
#define RSA_DEFAULT_BITS 3072
/* OpenSSL refuses public exponents above 64 bits for large moduli. */
#define RSA_MAX_E_BITS 64

enum alg_family { FAM_NONE, FAM_HMAC, FAM_RSA, FAM_EC, FAM_OKP };

static const struct alg_info {
	const char *name;
	enum alg_family fam;
	size_t md_len;          /* digest bytes; 0 for EdDSA */
	size_t field_len;       /* EC field bytes; 0 otherwise */
	const char *group;      /* EC: OpenSSL short name of the curve */
	const char *nist;       /* EC: the NIST (and JWK "crv") name */
} alg_table[PJWT_ALG_COUNT] = {
	[PJWT_ALG_UNKNOWN] = { NULL, FAM_NONE, 0, 0, NULL, NULL },
	[PJWT_ALG_HS256] = { "HS256", FAM_HMAC, 32, 0, NULL, NULL },
	[PJWT_ALG_HS384] = { "HS384", FAM_HMAC, 48, 0, NULL, NULL },
	[PJWT_ALG_HS512] = { "HS512", FAM_HMAC, 64, 0, NULL, NULL },
	[PJWT_ALG_RS256] = { "RS256", FAM_RSA, 32, 0, NULL, NULL },
	[PJWT_ALG_RS384] = { "RS384", FAM_RSA, 48, 0, NULL, NULL },
	[PJWT_ALG_RS512] = { "RS512", FAM_RSA, 64, 0, NULL, NULL },
	[PJWT_ALG_PS256] = { "PS256", FAM_RSA, 32, 0, NULL, NULL },
	[PJWT_ALG_PS384] = { "PS384", FAM_RSA, 48, 0, NULL, NULL },
	[PJWT_ALG_PS512] = { "PS512", FAM_RSA, 64, 0, NULL, NULL },
	[PJWT_ALG_ES256] = { "ES256", FAM_EC, 32, 32, "prime256v1", "P-256" },
	[PJWT_ALG_ES384] = { "ES384", FAM_EC, 48, 48, "secp384r1", "P-384" },
	[PJWT_ALG_ES512] = { "ES512", FAM_EC, 64, 66, "secp521r1", "P-521" },
	[PJWT_ALG_EDDSA] = { "EdDSA", FAM_OKP, 0, 0, NULL, NULL },
};

/* A real algorithm (not UNKNOWN, not out of range). */
static int
alg_valid(pjwt_alg alg)
{
	return (unsigned)alg > (unsigned)PJWT_ALG_UNKNOWN &&
	    (unsigned)alg < PJWT_ALG_COUNT;
}

/*
 * Map a failed OpenSSL call to our error space: an allocation failure
 * OpenSSL reported is PJWT_E_NOMEM, anything else `fallback`.  OpenSSL does
 * not report every allocation failure, so this is best effort.
 */
static pjwt_err
ossl_err(pjwt_err fallback)
{
	unsigned long e = ERR_peek_last_error();

	if (e != 0 && ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE)
		return PJWT_E_NOMEM;
	return fallback;
}

/* ---- algorithms -------------------------------------------------------- */

const char *
pjwt_alg_name(pjwt_alg alg)
{
	return alg_valid(alg) ? alg_table[alg].name : NULL;
}

pjwt_alg
pjwt_alg_from_name(const char *name)
{
	unsigned i;

	if (name == NULL)
		return PJWT_ALG_UNKNOWN;
	for (i = 1; i < PJWT_ALG_COUNT; i++)
		if (strcmp(alg_table[i].name, name) == 0)
			return (pjwt_alg)i;
	return PJWT_ALG_UNKNOWN;
}

/* The alg named by the len bytes at s (not NUL-terminated), or UNKNOWN. */
static pjwt_alg
alg_from_namen(const char *s, size_t len)
{
	unsigned i;

	for (i = 1; i < PJWT_ALG_COUNT; i++)
		if (strlen(alg_table[i].name) == len &&
		    memcmp(alg_table[i].name, s, len) == 0)
			return (pjwt_alg)i;
	return PJWT_ALG_UNKNOWN;
}

pjwt_err
pjwt_alg_list_parse(const char *csv, unsigned *ret_mask)
{
	const char *p, *end;
	unsigned mask = 0;
	pjwt_alg alg;
	size_t n;

	if (csv == NULL || ret_mask == NULL || *csv == '\0')
		return PJWT_E_INVALID_ARGUMENT;
	for (p = csv;; p = end + 1) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		n = (size_t)(end - p);
		if (n == 0)
			return PJWT_E_INVALID_ARGUMENT;
		if (n == 4 && strncasecmp(p, "none", 4) == 0)
			return PJWT_E_ALG_NONE;
		if ((alg = alg_from_namen(p, n)) == PJWT_ALG_UNKNOWN)
			return PJWT_E_ALG_UNSUPPORTED;
		if ((mask & PJWT_ALG_BIT(alg)) != 0)
			return PJWT_E_INVALID_ARGUMENT;
		mask |= PJWT_ALG_BIT(alg);
		if (*end == '\0')
			break;
	}
	*ret_mask = mask;
	return PJWT_OK;
}

const EVP_MD *
pjwtp_alg_md(pjwt_alg alg)
{
	if (!alg_valid(alg))
		return NULL;
	switch (alg_table[alg].md_len) {
	case 32:
		return EVP_sha256();
	case 48:
		return EVP_sha384();
	case 64:
		return EVP_sha512();
	default:
		return NULL;
	}
}

size_t
pjwtp_alg_md_len(pjwt_alg alg)
{
	return alg_valid(alg) ? alg_table[alg].md_len : 0;
}

size_t
pjwtp_alg_ec_field_len(pjwt_alg alg)
{
	return alg_valid(alg) ? alg_table[alg].field_len : 0;
}

/* ---- key type checks --------------------------------------------------- */

static enum alg_family
pkey_family(const EVP_PKEY *pkey)
{
	if (EVP_PKEY_is_a(pkey, "ED25519"))
		return FAM_OKP;
	if (EVP_PKEY_is_a(pkey, "EC"))
		return FAM_EC;
	if (EVP_PKEY_is_a(pkey, "RSA"))
		return FAM_RSA;
	return FAM_NONE;
}

/* ES256/384/512 for a named P-256/384/521 key; UNKNOWN for any other curve
 * and for explicit curve parameters. */
static pjwt_alg
ec_alg_of(const EVP_PKEY *pkey)
{
	char name[64];
	size_t len = 0;
	unsigned i;

	if (EVP_PKEY_get_group_name(pkey, name, sizeof(name), &len) != 1 ||
	    len >= sizeof(name))
		return PJWT_ALG_UNKNOWN;
	name[len] = '\0';
	for (i = 1; i < PJWT_ALG_COUNT; i++) {
		if (alg_table[i].fam != FAM_EC)
			continue;
		if (strcmp(name, alg_table[i].group) == 0 ||
		    strcmp(name, alg_table[i].nist) == 0)
			return (pjwt_alg)i;
	}
	return PJWT_ALG_UNKNOWN;
}

pjwt_alg
pjwtp_default_alg(const EVP_PKEY *pkey)
{
	if (pkey == NULL)
		return PJWT_ALG_UNKNOWN;
	switch (pkey_family(pkey)) {
	case FAM_OKP:
		return PJWT_ALG_EDDSA;
	case FAM_EC:
		return ec_alg_of(pkey);
	case FAM_RSA:
		return PJWT_ALG_RS256;
	default:
		return PJWT_ALG_UNKNOWN;
	}
}

/*
 * ROCA (CVE-2017-15361; Nemec et al., "The Return of Coppersmith's Attack",
 * CCS 2017): Infineon's RSALib made primes p = k*M + (65537^a mod M), M the
 * product of the first primes, so every modulus N = pq it made is, modulo
 * each small prime r dividing M, in the subgroup of (Z/rZ)* generated by
 * 65537.  Such keys can be factored.  The published detection tests exactly
 * that for the odd primes up to 167 (M always contains them, whatever the
 * key size); a random modulus passes all of them with a probability of
 * about 2^-154.  Returns 1 for the fingerprint, 0 otherwise, -1 on error.
 * The subgroup is walked on the spot (at most r steps per prime): no table
 * to get wrong, no static state.
 */
static const unsigned char roca_primes[] = {
	3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67,
	71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139,
	149, 151, 157, 163, 167,
};

static int
rsa_roca_fingerprint(const BIGNUM *n)
{
	size_t i;

	for (i = 0; i < sizeof(roca_primes); i++) {
		unsigned long r = roca_primes[i], g = 65537UL % r, x = 1;
		BN_ULONG res = BN_mod_word(n, (BN_ULONG)r);
		int in_subgroup = 0;

		if (res == (BN_ULONG)-1)
			return -1;
		/* x runs through g^0, g^1, ... until it comes back to 1. */
		do {
			if (x == (unsigned long)res) {
				in_subgroup = 1;
				break;
			}
			x = x * g % r;
		} while (x != 1);
		if (!in_subgroup)
			return 0;
	}
	return 1;
}

/*
 * Cheap structural checks of an RSA public key: size bounds (weak below
 * 2048 bits), odd modulus, odd exponent 3 <= e < 2^64, and no ROCA
 * fingerprint (weak: rsa_roca_fingerprint).  EVP_PKEY_public_check
 * would add a probabilistic compositeness test of n that costs milliseconds
 * per key on every JWKS load, and refuses nothing a signer could exploit.
 */
static pjwt_err
rsa_check_public(const EVP_PKEY *pkey)
{
	BIGNUM *n = NULL, *e = NULL;
	pjwt_err r;
	int bits;

	bits = EVP_PKEY_get_bits(pkey);
	if (bits <= 0) {
		r = ossl_err(PJWT_E_BAD_KEY);
		goto out;
	}
	if (bits < RSA_MIN_BITS) {
		r = PJWT_E_WEAK_KEY;
		goto out;
	}
	if (bits > RSA_MAX_BITS) {
		r = PJWT_E_BAD_KEY;
		goto out;
	}
	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
		r = ossl_err(PJWT_E_BAD_KEY);
		goto out;
	}
	if (!BN_is_odd(n) || !BN_is_odd(e) || BN_num_bits(e) < 2 ||
	    BN_num_bits(e) > RSA_MAX_E_BITS) {
		r = PJWT_E_BAD_KEY;
		goto out;
	}
	switch (rsa_roca_fingerprint(n)) {
	case 0:
		break;
	case 1:
		r = PJWT_E_WEAK_KEY;
		goto out;
	default:
		r = ossl_err(PJWT_E_INTERNAL);
		goto out;
	}
	r = PJWT_OK;
 out:
	BN_free(n);
	BN_free(e);
	return r;
}

/*
 * Check that pkey can be used with alg: type and curve fit the alg, size,
 * and the key material is consistent.  Private keys must belong to their
 * public half (a mismatch would sign with one key and name another):
 * EVP_PKEY_check for Ed25519 and EC (which also range-checks d), and for
 * RSA EVP_PKEY_pairwise_check (n = pq, d, dp, dq, qi consistent, p and q
 * prime), skipping the slower public-modulus tests of EVP_PKEY_check.
 * EC public points are validated (on the curve, not infinity, order n);
 * OpenSSL already refuses points off the curve when it decodes them.
 */
static pjwt_err
pkey_check(pjwt_alg alg, EVP_PKEY *pkey, int is_private)
{
	EVP_PKEY_CTX *ctx = NULL;
	enum alg_family fam;
	pjwt_alg ec = PJWT_ALG_UNKNOWN;
	pjwt_err r;
	int ok;

	/* Refusals are expected here: keep OpenSSL's error queue as it was. */
	ERR_set_mark();
	if ((fam = pkey_family(pkey)) == FAM_NONE) {
		r = PJWT_E_BAD_KEY;
		goto out;
	}
	if (fam == FAM_EC && (ec = ec_alg_of(pkey)) == PJWT_ALG_UNKNOWN) {
		r = PJWT_E_BAD_KEY;
		goto out;
	}
	if (alg_table[alg].fam != fam || (fam == FAM_EC && ec != alg)) {
		r = PJWT_E_ALG_MISMATCH;
		goto out;
	}
	if (fam == FAM_RSA && (r = rsa_check_public(pkey)) != PJWT_OK)
		goto out;
	if (!is_private && fam != FAM_EC) {
		r = PJWT_OK;
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL) {
		r = ossl_err(PJWT_E_NOMEM);
		goto out;
	}
	if (!is_private)
		ok = EVP_PKEY_public_check(ctx);
	else if (fam == FAM_RSA)
		ok = EVP_PKEY_pairwise_check(ctx);
	else
		ok = EVP_PKEY_check(ctx);
	if (ok != 1) {
		r = ossl_err(PJWT_E_BAD_KEY);
		goto out;
	}
	r = PJWT_OK;
 out:
	EVP_PKEY_CTX_free(ctx);
	ERR_pop_to_mark();
	return r;
}

/* ---- keys -------------------------------------------------------------- */

pjwt_err
pjwtp_key_new(pjwt_alg alg, EVP_PKEY *pkey, const unsigned char *secret,
    size_t secret_len, int is_private, pjwt_key **ret_key)
{
	pjwt_key *k = NULL;
	char *tp = NULL;
	pjwt_err r;

	if (ret_key == NULL || (pkey == NULL) == (secret == NULL) ||
	    (alg != PJWT_ALG_UNKNOWN && !alg_valid(alg)))
		return PJWT_E_INVALID_ARGUMENT;
	if (pkey != NULL) {
		if (alg == PJWT_ALG_UNKNOWN &&
		    (alg = pjwtp_default_alg(pkey)) == PJWT_ALG_UNKNOWN)
			return PJWT_E_BAD_KEY;
		if ((r = pkey_check(alg, pkey, is_private)) != PJWT_OK)
			return r;
	} else {
		if (alg == PJWT_ALG_UNKNOWN)
			alg = PJWT_ALG_HS256;
		if (alg_table[alg].fam != FAM_HMAC)
			return PJWT_E_ALG_MISMATCH;
		if (secret_len < alg_table[alg].md_len)
			return PJWT_E_WEAK_KEY;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		r = PJWT_E_NOMEM;
		goto out;
	}
	k->alg = alg;
	if (secret != NULL) {
		if ((k->secret = malloc(secret_len)) == NULL) {
			r = PJWT_E_NOMEM;
			goto out;
		}
		memcpy(k->secret, secret, secret_len);
		k->secret_len = secret_len;
		k->is_private = 1;
	} else {
		k->pkey = pkey;
		k->is_private = is_private != 0;
	}
	if ((r = pjwt_key_thumbprint(k, &tp)) != PJWT_OK)
		goto out;
	/* A thumbprint is 43 characters; always fits. */
	if ((r = pjwt_key_set_kid(k, tp)) != PJWT_OK)
		goto out;
	pjwtp_key_prepare_verify(k);
	*ret_key = k;
	k = NULL;
	r = PJWT_OK;
 out:
	free(tp);
	if (k != NULL) {
		k->pkey = NULL;         /* ownership is taken on success only */
		pjwt_key_free(k);
	}
	return r;
}

pjwt_alg
pjwt_key_alg(const pjwt_key *k)
{
	return k != NULL ? k->alg : PJWT_ALG_UNKNOWN;
}

const char *
pjwt_key_kid(const pjwt_key *k)
{
	return k != NULL ? k->kid : NULL;
}

int
pjwt_key_is_private(const pjwt_key *k)
{
	return k != NULL && k->is_private;
}

int
pjwt_key_is_symmetric(const pjwt_key *k)
{
	return k != NULL && k->pkey == NULL && k->secret != NULL;
}

pjwt_err
pjwt_key_set_kid(pjwt_key *k, const char *kid)
{
	size_t i, len;

	if (k == NULL || kid == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	len = strnlen(kid, PJWTP_KID_MAX + 1);
	if (len == 0 || len > PJWTP_KID_MAX)
		return PJWT_E_MALFORMED;
	for (i = 0; i < len; i++)
		if ((unsigned char)kid[i] < 0x20 || (unsigned char)kid[i] > 0x7e)
			return PJWT_E_MALFORMED;
	memcpy(k->kid, kid, len);
	k->kid[len] = '\0';
	return PJWT_OK;
}

pjwt_key *
pjwt_key_free(pjwt_key *k)
{
	if (k == NULL)
		return NULL;
	EVP_MD_CTX_free(k->verify_tmpl);
	EVP_MAC_CTX_free(k->mac_tmpl);
	EVP_PKEY_free(k->pkey);
	pjwt_secret_free(k->secret, k->secret_len);
	explicit_bzero(k, sizeof(*k));
	free(k);
	return NULL;
}

pjwt_err
pjwt_key_generate(pjwt_alg alg, unsigned bits, pjwt_key **ret_key)
{
	unsigned char secret[64];
	EVP_PKEY *pkey = NULL;
	pjwt_err r;

	if (ret_key == NULL || !alg_valid(alg))
		return PJWT_E_INVALID_ARGUMENT;
	ERR_set_mark();
	switch (alg_table[alg].fam) {
	case FAM_HMAC:
		if (RAND_priv_bytes(secret, (int)alg_table[alg].md_len) != 1) {
			r = ossl_err(PJWT_E_INTERNAL);
			goto out;
		}
		r = pjwtp_key_new(alg, NULL, secret, alg_table[alg].md_len, 1,
		    ret_key);
		goto out;
	case FAM_OKP:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	case FAM_EC:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", alg_table[alg].group);
		break;
	case FAM_RSA:
		if (bits == 0)
			bits = RSA_DEFAULT_BITS;
		if (bits < RSA_MIN_BITS) {
			r = PJWT_E_WEAK_KEY;
			goto out;
		}
		if (bits > RSA_MAX_BITS) {
			r = PJWT_E_INVALID_ARGUMENT;
			goto out;
		}
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
		break;
	default:
		r = PJWT_E_INVALID_ARGUMENT;
		goto out;
	}
	if (pkey == NULL) {
		r = ossl_err(PJWT_E_INTERNAL);
		goto out;
	}
	if ((r = pjwtp_key_new(alg, pkey, NULL, 0, 1, ret_key)) != PJWT_OK)
		goto out;
	pkey = NULL;
 out:
	OPENSSL_cleanse(secret, sizeof(secret));
	EVP_PKEY_free(pkey);
	ERR_pop_to_mark();
	return r;
}

/* ---- PEM --------------------------------------------------------------- */

/* Password callback that always fails: encrypted PEM is refused, and
 * OpenSSL must never prompt on a terminal from inside a PAM module. */
static int
pem_no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

pjwt_err
pjwt_key_from_pem(const char *pem, size_t len, pjwt_alg alg,
    pjwt_key **ret_key)
{
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	int is_private = 1;
	pjwt_err r;

	if (pem == NULL || ret_key == NULL ||
	    (alg != PJWT_ALG_UNKNOWN && !alg_valid(alg)))
		return PJWT_E_INVALID_ARGUMENT;
	if (len == 0 || len > INT_MAX)
		return PJWT_E_BAD_KEY;
	ERR_set_mark();
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		r = PJWT_E_NOMEM;
		goto out;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, pem_no_password, NULL);
	if (pkey == NULL) {
		/* Not a (readable) private key: try SubjectPublicKeyInfo. */
		if (ossl_err(PJWT_OK) == PJWT_E_NOMEM) {
			r = PJWT_E_NOMEM;
			goto out;
		}
		BIO_free(bio);
		if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
			r = PJWT_E_NOMEM;
			goto out;
		}
		is_private = 0;
		pkey = PEM_read_bio_PUBKEY(bio, NULL, pem_no_password, NULL);
	}
	if (pkey == NULL) {
		r = ossl_err(PJWT_E_BAD_KEY);
		goto out;
	}
	if ((r = pjwtp_key_new(alg, pkey, NULL, 0, is_private, ret_key)) !=
	    PJWT_OK)
		goto out;
	pkey = NULL;
 out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	ERR_pop_to_mark();
	return r;
}

pjwt_err
pjwt_key_to_pem(const pjwt_key *k, int include_private, char **ret_pem)
{
	BIO *bio = NULL;
	char *data, *out = NULL;
	long n;
	pjwt_err r;

	if (k == NULL || ret_pem == NULL || k->pkey == NULL ||
	    (include_private && !k->is_private))
		return PJWT_E_INVALID_ARGUMENT;
	ERR_set_mark();
	/* The secure-memory BIO wipes its buffer when freed. */
	bio = BIO_new(include_private ? BIO_s_secmem() : BIO_s_mem());
	if (bio == NULL) {
		r = PJWT_E_NOMEM;
		goto out;
	}
	if ((include_private ?
	    PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL, NULL) :
	    PEM_write_bio_PUBKEY(bio, k->pkey)) != 1) {
		r = ossl_err(PJWT_E_INTERNAL);
		goto out;
	}
	if ((n = BIO_get_mem_data(bio, &data)) <= 0) {
		r = PJWT_E_INTERNAL;
		goto out;
	}
	if ((out = malloc((size_t)n + 1)) == NULL) {
		r = PJWT_E_NOMEM;
		goto out;
	}
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	*ret_pem = out;
	r = PJWT_OK;
 out:
	BIO_free(bio);
	ERR_pop_to_mark();
	return r;
}

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

/* ---- key sets ---------------------------------------------------------- */

pjwt_keyset *
pjwt_keyset_new(void)
{
	return calloc(1, sizeof(pjwt_keyset));
}

pjwt_err
pjwt_keyset_add(pjwt_keyset *ks, pjwt_key *k)
{
	if (ks == NULL || k == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	if (pjwt_keyset_find_kid(ks, k->kid) != NULL)
		return PJWT_E_DUPLICATE_KID;
	if (ks->n >= PJWT_KEYSET_MAX)
		return PJWT_E_TOO_LARGE;
	ks->keys[ks->n++] = k;
	return PJWT_OK;
}

size_t
pjwt_keyset_count(const pjwt_keyset *ks)
{
	return ks != NULL ? ks->n : 0;
}

const pjwt_key *
pjwt_keyset_get(const pjwt_keyset *ks, size_t i)
{
	return ks != NULL && i < ks->n ? ks->keys[i] : NULL;
}

const pjwt_key *
pjwt_keyset_find_kid(const pjwt_keyset *ks, const char *kid)
{
	size_t i;

	if (ks == NULL || kid == NULL)
		return NULL;
	for (i = 0; i < ks->n; i++)
		if (strcmp(ks->keys[i]->kid, kid) == 0)
			return ks->keys[i];
	return NULL;
}

pjwt_keyset *
pjwt_keyset_free(pjwt_keyset *ks)
{
	size_t i;

	if (ks == NULL)
		return NULL;
	for (i = 0; i < ks->n; i++)
		pjwt_key_free(ks->keys[i]);
	free(ks);
	return NULL;
}
