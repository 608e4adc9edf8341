/*
 * bench-verify.c - verification and signing throughput of libpjwt, against
 * the raw OpenSSL EVP calls on the same bytes and against libjwt 1.10.
 *
 *   bench-verify [-t SECONDS] [-a ALG[,ALG...]] [-o ours|raw|libjwt|sign]
 *
 * For each alg (EdDSA ES256 ES384 RS256 PS256 HS256) a fresh key signs one
 * realistic RFC 9068 access token (iss sub aud exp iat jti scope client_id,
 * typ at+jwt) with pjwt_sign, then three rounds, in each of which these
 * take turns in 10 ms slices until each has run about SECONDS (default 1):
 *   ours    pjwt_verify: split, decode, header checks, signature, claims
 *   raw     what an OpenSSL user writes for the signature alone, signature
 *           pre-decoded (DER for ECDSA): EVP_MD_CTX_new +
 *           EVP_DigestVerifyInit + EVP_DigestVerify + free; HMAC: EVP_Q_mac
 *           + CRYPTO_memcmp
 *   libjwt  jwt_decode(token, key) + jwt_free (signature and parsing, no
 *           claim checks) of the same claims under typ "JWT" (libjwt 1.10
 *           refuses typ "at+jwt"); it has no EdDSA or PS*: "n/a"
 *   sign    pjwt_sign of the same claims
 * timed on CLOCK_MONOTONIC, after a warm-up round; the median of the three
 * rounds is printed.  overhead = ours/raw time - 1.  ours/libjwt < 1 means
 * we are faster.
 *
 * Targets (reported, never asserted): overhead <= 10% for EdDSA, ES256,
 * RS256; faster than libjwt wherever both implement the alg.
 * -o runs one measurement kind only (for perf record / callgrind).
 * Exit status: 0, also when a target is missed; 1 when a token fails to
 * verify or the set-up fails; 2 for usage errors.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "pjwt_b64.h"
#include "pjwt_err.h"
#include "pjwt_jws.h"
#include "pjwt_jwt.h"
#include "pjwt_key.h"
#include "pjwt_mem.h"

#define BENCH_NOW 1700000000
#define ROUNDS 3
#define OVERHEAD_TARGET 10.0

enum kind { K_OURS, K_RAW, K_LIBJWT, K_SIGN, K_COUNT };
static const char *const kind_names[K_COUNT] = { "ours", "raw", "libjwt", "sign" };

struct bench_alg {
	const char *name;
	pjwt_alg alg;
	const char *keytype;   /* EVP_PKEY_Q_keygen type; NULL: HMAC secret */
	const char *param;     /* curve name, or NULL */
	const char *md;        /* digest for raw verify, NULL for EdDSA */
	int pss;
	jwt_alg_t jwt_alg;     /* JWT_ALG_NONE: libjwt cannot */
	int overhead_target;   /* check overhead <= OVERHEAD_TARGET */
};

static const struct bench_alg algs[] = {
	{ "EdDSA", PJWT_ALG_EDDSA, "ED25519", NULL, NULL, 0, JWT_ALG_NONE, 1 },
	{ "ES256", PJWT_ALG_ES256, "EC", "P-256", "SHA256", 0, JWT_ALG_ES256, 1 },
	{ "ES384", PJWT_ALG_ES384, "EC", "P-384", "SHA384", 0, JWT_ALG_ES384, 0 },
	{ "RS256", PJWT_ALG_RS256, "RSA", NULL, "SHA256", 0, JWT_ALG_RS256, 1 },
	{ "PS256", PJWT_ALG_PS256, "RSA", NULL, "SHA256", 1, JWT_ALG_NONE, 0 },
	{ "HS256", PJWT_ALG_HS256, NULL, NULL, "SHA256", 0, JWT_ALG_HS256, 0 },
};
#define NALGS (sizeof(algs) / sizeof(algs[0]))

/* Everything one alg's measurements need. */
struct ctx {
	const struct bench_alg *a;
	pjwt_key *sign_key;
	pjwt_keyset *ks;
	pjwt_policy *pol;
	json_t *claims;
	char *token;
	size_t token_len;
	char *token_jwt;             /* typ "JWT": libjwt 1.10 refuses others */
	/* raw */
	EVP_PKEY *pub;               /* from the public PEM, as a verifier has it */
	const EVP_MD *md;            /* EVP_get_digestbyname, as users write it */
	unsigned char *secret;       /* HS256 */
	size_t secret_len;
	unsigned char *sig;          /* DER for ECDSA */
	size_t sig_len;
	size_t si_len;               /* signing input: token[0..si_len) */
	/* libjwt */
	unsigned char *jwt_key;      /* public PEM or HMAC secret */
	int jwt_key_len;
};

static void
fatal(const char *what, const char *detail)
{
	fprintf(stderr, "bench-verify: %s: %s\n", what, detail);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static void
must(pjwt_err r, const char *what)
{
	if (r != PJWT_OK)
		fatal(what, pjwt_strerror(r));
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the measured operations (one call each; 0 = ok) ------------------- */

static int
op_ours(struct ctx *c)
{
	pjwt_claims *claims = NULL;
	pjwt_err r = pjwt_verify(c->ks, c->token, c->token_len, c->pol, &claims);

	pjwt_claims_free(claims);
	return r != PJWT_OK;
}

static int
op_raw(struct ctx *c)
{
	EVP_MD_CTX *mctx;
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	if (c->a->keytype == NULL) {
		unsigned char mac[EVP_MAX_MD_SIZE];
		size_t maclen = 0;

		if (EVP_Q_mac(NULL, "HMAC", NULL, c->a->md, NULL, c->secret,
		    c->secret_len, (const unsigned char *)c->token, c->si_len,
		    mac, sizeof(mac), &maclen) == NULL)
			return 1;
		return maclen != c->sig_len ||
		    CRYPTO_memcmp(mac, c->sig, maclen) != 0;
	}
	if ((mctx = EVP_MD_CTX_new()) == NULL)
		return 1;
	ok = EVP_DigestVerifyInit(mctx, &pctx, c->md, NULL, c->pub) == 1;
	if (ok && c->a->pss)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0;
	ok = ok && EVP_DigestVerify(mctx, c->sig, c->sig_len,
	    (const unsigned char *)c->token, c->si_len) == 1;
	EVP_MD_CTX_free(mctx);
	return !ok;
}

static int
op_libjwt(struct ctx *c)
{
	jwt_t *jwt = NULL;
	int r = jwt_decode(&jwt, c->token_jwt, c->jwt_key, c->jwt_key_len);

	jwt_free(jwt);
	return r != 0;
}

static int
op_sign(struct ctx *c)
{
	char *tok = NULL;
	pjwt_err r = pjwt_sign(c->sign_key, "at+jwt", c->claims, &tok);

	pjwt_str_free(tok);
	return r != PJWT_OK;
}

static int (*const ops[K_COUNT])(struct ctx *) = {
	op_ours, op_raw, op_libjwt, op_sign,
};

/*
 * One round: the selected kinds take turns in slices of SLICE_S seconds
 * until each has run about `secs` seconds in total; rate[k] = ops/second.
 * Fine-grained turns make a noisy, shared machine slow every kind alike,
 * so the ratios stay meaningful even when absolute rates wobble.
 */
#define SLICE_S 0.010
static void
measure_round(struct ctx *c, const int *active, double secs, double *rate)
{
	double t[K_COUNT] = { 0 }, done = 0;
	unsigned long n[K_COUNT] = { 0 };
	int k;

	while (done < secs) {
		for (k = 0; k < K_COUNT; k++) {
			double t0, el;

			if (!active[k])
				continue;
			t0 = now_s();
			do {
				if (ops[k](c) != 0) {
					fprintf(stderr, "bench-verify: %s %s failed "
					    "during the run\n", c->a->name,
					    kind_names[k]);
					ERR_print_errors_fp(stderr);
					exit(1);
				}
				n[k]++;
			} while ((el = now_s() - t0) < SLICE_S);
			t[k] += el;
		}
		done += SLICE_S;
	}
	for (k = 0; k < K_COUNT; k++)
		rate[k] = active[k] && t[k] > 0 ? (double)n[k] / t[k] : 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* ---- set-up --------------------------------------------------------------- */

static char *
bio_string(BIO *b, size_t *ret_len)
{
	char *data, *s;
	long n = BIO_get_mem_data(b, &data);

	if (n <= 0 || (s = malloc((size_t)n + 1)) == NULL)
		fatal("BIO", "no data");
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	*ret_len = (size_t)n;
	return s;
}

static pjwt_key *
key_from_pem(const char *pem, size_t len, pjwt_alg alg)
{
	pjwt_key *k = NULL;

	must(pjwt_key_from_pem(pem, len, alg, &k), "pjwt_key_from_pem");
	return k;
}

static pjwt_key *
hmac_key(const unsigned char *secret, size_t len, pjwt_alg alg)
{
	char *k64 = NULL, jwk[256];
	pjwt_key *k = NULL;

	must(pjwt_b64url_encode(secret, len, &k64, NULL), "b64");
	snprintf(jwk, sizeof(jwk), "{\"kty\":\"oct\",\"k\":\"%s\",\"alg\":\"%s\"}",
	    k64, pjwt_alg_name(alg));
	must(pjwt_key_from_jwk(jwk, strlen(jwk), alg, &k), "pjwt_key_from_jwk");
	pjwt_str_free(k64);
	explicit_bzero(jwk, sizeof(jwk));
	return k;
}

/* JWS R||S to the DER an OpenSSL verifier wants. */
static void
ecdsa_to_der(struct ctx *c, const unsigned char *rs, size_t len)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(rs, (int)(len / 2), NULL);
	BIGNUM *s = BN_bin2bn(rs + len / 2, (int)(len / 2), NULL);
	unsigned char *der = NULL;
	int n;

	if (es == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s))
		fatal("ECDSA_SIG", "set-up");
	if ((n = i2d_ECDSA_SIG(es, &der)) <= 0)
		fatal("i2d_ECDSA_SIG", "failed");
	ECDSA_SIG_free(es);
	c->sig = der;            /* OPENSSL_free'd */
	c->sig_len = (size_t)n;
}

static void
setup(struct ctx *c, const struct bench_alg *a)
{
	const char *dot;
	unsigned char *sig;
	size_t sig_len;

	memset(c, 0, sizeof(*c));
	c->a = a;
	if ((c->ks = pjwt_keyset_new()) == NULL)
		fatal("pjwt_keyset_new", "NULL");
	if (a->keytype != NULL) {
		EVP_PKEY *pkey;
		BIO *b;
		char *pem;
		size_t len;

		if (a->param != NULL)
			pkey = EVP_PKEY_Q_keygen(NULL, NULL, a->keytype, a->param);
		else if (strcmp(a->keytype, "RSA") == 0)
			pkey = EVP_PKEY_Q_keygen(NULL, NULL, a->keytype, (size_t)2048);
		else
			pkey = EVP_PKEY_Q_keygen(NULL, NULL, a->keytype);
		if (pkey == NULL)
			fatal("EVP_PKEY_Q_keygen", a->name);
		if ((b = BIO_new(BIO_s_mem())) == NULL ||
		    !PEM_write_bio_PrivateKey(b, pkey, NULL, NULL, 0, NULL, NULL))
			fatal("PEM_write_bio_PrivateKey", a->name);
		pem = bio_string(b, &len);
		c->sign_key = key_from_pem(pem, len, a->alg);
		pjwt_secret_free(pem, len);
		BIO_free(b);

		if ((b = BIO_new(BIO_s_mem())) == NULL ||
		    !PEM_write_bio_PUBKEY(b, pkey))
			fatal("PEM_write_bio_PUBKEY", a->name);
		pem = bio_string(b, &len);
		BIO_free(b);
		EVP_PKEY_free(pkey);
		must(pjwt_keyset_add(c->ks, key_from_pem(pem, len, a->alg)),
		    "pjwt_keyset_add");
		/* The verifier's own EVP_PKEY, parsed from the public PEM. */
		if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL ||
		    (c->pub = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL)) == NULL)
			fatal("PEM_read_bio_PUBKEY", a->name);
		BIO_free(b);
		c->jwt_key = (unsigned char *)pem;
		c->jwt_key_len = (int)len;
	} else {
		c->secret_len = 32;
		if ((c->secret = malloc(c->secret_len)) == NULL ||
		    RAND_bytes(c->secret, (int)c->secret_len) != 1)
			fatal("RAND_bytes", a->name);
		c->sign_key = hmac_key(c->secret, c->secret_len, a->alg);
		must(pjwt_keyset_add(c->ks, hmac_key(c->secret, c->secret_len,
		    a->alg)), "pjwt_keyset_add");
		c->jwt_key = c->secret;
		c->jwt_key_len = (int)c->secret_len;
	}
	if (a->md != NULL && (c->md = EVP_get_digestbyname(a->md)) == NULL)
		fatal("EVP_get_digestbyname", a->md);

	/* An RFC 9068 access token as jwt-issuerd issues it. */
	c->claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s}",
	    "iss", "https://id.example.com",
	    "sub", "alice",
	    "aud", "ssh",
	    "exp", (json_int_t)BENCH_NOW + 300,
	    "iat", (json_int_t)BENCH_NOW,
	    "jti", "2c3b6a7e-4f0d-4b8e-9a51-6d2f1e0c7b94",
	    "scope", "ssh sudo",
	    "client_id", "pam-jwt-cli");
	if (c->claims == NULL)
		fatal("json_pack", "claims");
	must(pjwt_sign(c->sign_key, "at+jwt", c->claims, &c->token), "pjwt_sign");
	c->token_len = strlen(c->token);
	/* The same claims under typ "JWT" for libjwt, which refuses "at+jwt". */
	{
		char *payload = json_dumps(c->claims, JSON_COMPACT | JSON_PRESERVE_ORDER);

		if (payload == NULL)
			fatal("json_dumps", "claims");
		must(pjwt_jws_sign(c->sign_key, "JWT", payload, strlen(payload),
		    &c->token_jwt), "pjwt_jws_sign");
		free(payload);
	}

	if ((c->pol = pjwt_policy_new()) == NULL)
		fatal("pjwt_policy_new", "NULL");
	must(pjwt_policy_set_issuer(c->pol, "https://id.example.com"), "iss");
	must(pjwt_policy_set_audience(c->pol, "ssh"), "aud");
	must(pjwt_policy_set_scopes(c->pol, "ssh"), "scope");
	must(pjwt_policy_set_now(c->pol, BENCH_NOW + 5), "now");

	/* Pre-decoded signature for the raw path. */
	if ((dot = strrchr(c->token, '.')) == NULL)
		fatal("token", "no dot");
	c->si_len = (size_t)(dot - c->token);
	must(pjwt_b64url_decode(dot + 1, strlen(dot + 1), &sig, &sig_len),
	    "signature base64url");
	if (strcmp(a->keytype ? a->keytype : "", "EC") == 0) {
		ecdsa_to_der(c, sig, sig_len);
		free(sig);
	} else {
		if ((c->sig = OPENSSL_malloc(sig_len)) == NULL)
			fatal("OPENSSL_malloc", "sig");
		memcpy(c->sig, sig, sig_len);
		c->sig_len = sig_len;
		free(sig);
	}
}

static void
teardown(struct ctx *c)
{
	pjwt_key_free(c->sign_key);
	pjwt_keyset_free(c->ks);
	pjwt_policy_free(c->pol);
	json_decref(c->claims);
	pjwt_str_free(c->token);
	pjwt_str_free(c->token_jwt);
	EVP_PKEY_free(c->pub);
	OPENSSL_free(c->sig);
	if (c->a->keytype != NULL)
		free(c->jwt_key);
	pjwt_secret_free(c->secret, c->secret_len);
}

/* ---- main ------------------------------------------------------------------ */

static void
usage(void)
{
	fprintf(stderr, "usage: bench-verify [-t SECONDS] [-a ALG[,ALG...]] "
	    "[-o ours|raw|libjwt|sign]\n");
	exit(2);
}

static int
alg_selected(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	if (list == NULL)
		return 1;
	while ((p = strstr(p, name)) != NULL) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

static void
fmt_rate(char *buf, size_t size, double r)
{
	if (r <= 0)
		snprintf(buf, size, "n/a");
	else
		snprintf(buf, size, "%.0f/s", r);
}

int
main(int argc, char **argv)
{
	double secs = 1.0, rate[K_COUNT][ROUNDS], med[K_COUNT], warm[K_COUNT];
	int active[K_COUNT];
	const char *only_algs = NULL;
	int only = -1, missed = 0, opt;
	char loadavg[64] = "?";
	char missed_lines[NALGS * 2][160];
	size_t i, nmissed_lines = 0;
	FILE *f;

	while ((opt = getopt(argc, argv, "t:a:o:h")) != -1) {
		switch (opt) {
		case 't': {
			char *end;

			errno = 0;
			secs = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' || !(secs > 0 && secs <= 60))
				usage();
			break;
		}
		case 'a':
			only_algs = optarg;
			break;
		case 'o':
			for (only = 0; only < K_COUNT; only++)
				if (strcmp(optarg, kind_names[only]) == 0)
					break;
			if (only == K_COUNT)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if ((f = fopen("/proc/loadavg", "r")) != NULL) {
		if (fgets(loadavg, sizeof(loadavg), f) != NULL)
			loadavg[strcspn(loadavg, "\n")] = '\0';
		fclose(f);
	}
	printf("# bench-verify: median of %d x %.1f s per figure; %s; libjwt %s "
	    "(decode + signature, no claim checks); loadavg %s\n", ROUNDS, secs,
	    OpenSSL_version(OPENSSL_VERSION), "1.10", loadavg);
	fflush(stdout);

	for (i = 0; i < NALGS; i++) {
		const struct bench_alg *a = &algs[i];
		char s_ours[32], s_raw[32], s_lj[32], s_sign[32], s_ratio[48];
		char s_over[32];
		double overhead = 0, ratio = 0;
		struct ctx c;
		int k, r;

		if (!alg_selected(only_algs, a->name))
			continue;
		setup(&c, a);
		/* Sanity: each path accepts the token before it is timed. */
		for (k = 0; k < K_COUNT; k++) {
			if (k == K_LIBJWT && a->jwt_alg == JWT_ALG_NONE)
				continue;
			if (ops[k](&c) != 0) {
				fprintf(stderr, "bench-verify: %s: %s rejects the token\n%s\n",
				    a->name, kind_names[k], c.token);
				ERR_print_errors_fp(stderr);
				return 1;
			}
		}
		for (k = 0; k < K_COUNT; k++)
			active[k] = (only < 0 || only == k) &&
			    (k != K_LIBJWT || a->jwt_alg != JWT_ALG_NONE);
		measure_round(&c, active, secs / 5, warm);   /* warm-up */
		for (r = 0; r < ROUNDS; r++) {
			measure_round(&c, active, secs, warm);
			for (k = 0; k < K_COUNT; k++)
				rate[k][r] = warm[k];
		}
		for (k = 0; k < K_COUNT; k++)
			med[k] = median(rate[k], ROUNDS);

		fmt_rate(s_ours, sizeof(s_ours), med[K_OURS]);
		fmt_rate(s_raw, sizeof(s_raw), med[K_RAW]);
		fmt_rate(s_lj, sizeof(s_lj), med[K_LIBJWT]);
		fmt_rate(s_sign, sizeof(s_sign), med[K_SIGN]);
		snprintf(s_over, sizeof(s_over), "n/a");
		if (med[K_OURS] > 0 && med[K_RAW] > 0) {
			overhead = (med[K_RAW] / med[K_OURS] - 1) * 100;
			snprintf(s_over, sizeof(s_over), "%.1f%%", overhead);
		}
		snprintf(s_ratio, sizeof(s_ratio), "n/a");
		if (med[K_OURS] > 0 && med[K_LIBJWT] > 0) {
			ratio = med[K_LIBJWT] / med[K_OURS];
			snprintf(s_ratio, sizeof(s_ratio), "%.2f", ratio);
		}
		printf("%-5s  verify %9s  raw %9s  overhead %6s  "
		    "libjwt %9s  ours/libjwt %-4s  sign %9s  (token %zu B)\n",
		    a->name, s_ours, s_raw, s_over, s_lj, s_ratio, s_sign,
		    c.token_len);
		fflush(stdout);

		if (only < 0 && a->overhead_target && overhead > OVERHEAD_TARGET) {
			snprintf(missed_lines[nmissed_lines++], sizeof(missed_lines[0]),
			    "TARGET MISSED: %s overhead %.1f%% > %.0f%%", a->name,
			    overhead, OVERHEAD_TARGET);
			missed++;
		}
		if (only < 0 && ratio > 1.0) {
			snprintf(missed_lines[nmissed_lines++], sizeof(missed_lines[0]),
			    "TARGET MISSED: %s slower than libjwt (%.2fx its time)",
			    a->name, ratio);
			missed++;
		}
		teardown(&c);
	}
	for (i = 0; i < nmissed_lines; i++)
		printf("%s\n", missed_lines[i]);
	if (only >= 0)
		;
	else if (missed)
		printf("bench-verify: %d target(s) missed\n", missed);
	else
		printf("bench-verify: all targets met\n");
	return 0;
}
