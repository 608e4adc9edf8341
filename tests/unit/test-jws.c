/*
 * test-jws.c - pjwt_jws.h: compact sign/verify, every alg, and the attack
 * and malformed-input cases, each asserting its specific pjwt_err.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/x509.h>

#include "testutil.h"

static const char *const hdr_fmt = "{\"alg\":\"%s\",\"kid\":\"%s\"}";
static const char *const body = "{\"sub\":\"alice\",\"n\":1}";

/* Verify with the default bounds and all algs; frees the jws. */
static pjwt_err
verify(const pjwt_keyset *ks, const char *tok)
{
	pjwt_jws *j = NULL;
	pjwt_err r;

	ERR_clear_error();
	r = pjwt_jws_verify(ks, tok, strlen(tok), 0, 0, &j);
	if (r == PJWT_OK)
		assert_non_null(j);
	else
		assert_null(j);
	pjwt_jws_free(j);
	/* Whatever happened, OpenSSL's error queue is left as we found it. */
	assert_int_equal(ERR_peek_error(), 0);
	return r;
}

/* A token with header {"alg":ALG,"kid":KID} (+ extra members) by k. */
static char *
tok_for(const pjwt_key *k, const char *extra_hdr, const char *payload)
{
	char *h, *t;

	h = tu_fmt("{\"alg\":\"%s\",\"kid\":\"%s\"%s}",
	    pjwt_alg_name(pjwt_key_alg(k)), pjwt_key_kid(k),
	    extra_hdr != NULL ? extra_hdr : "");
	t = tu_token(k, h, payload != NULL ? payload : body);
	free(h);
	return t;
}

/* ---- round trips ------------------------------------------------------- */

static void
test_roundtrip_all_algs(void **state)
{
	size_t i, plen = 0;
	(void)state;

	for (i = 0; i < TU_NALGS; i++) {
		const pjwt_key *k = tu_ckey(tu_all_algs[i]);
		pjwt_key *pub = NULL;
		pjwt_keyset *ks, *pks;
		pjwt_jws *j = NULL;
		char *tok = NULL, *h, *want;
		const unsigned char *pl;

		assert_pjwt(pjwt_jws_sign(k, "at+jwt", body, strlen(body),
		    &tok), PJWT_OK);
		assert_int_equal(pjwt_jws_is_compact(tok, strlen(tok), 0), 1);
		/* Header: exactly {"alg","kid","typ"} in that order. */
		h = tu_unb64(tok, (size_t)(strchr(tok, '.') - tok));
		want = tu_fmt("{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"at+jwt\"}",
		    pjwt_alg_name(tu_all_algs[i]), pjwt_key_kid(k));
		assert_string_equal(h, want);
		free(h);
		free(want);

		ks = tu_keyset(k, NULL);
		assert_pjwt(pjwt_jws_verify(ks, tok, strlen(tok), 0, 0, &j),
		    PJWT_OK);
		pl = pjwt_jws_payload(j, &plen);
		assert_int_equal(plen, strlen(body));
		assert_memory_equal(pl, body, plen);
		assert_ptr_equal(pjwt_jws_key(j), pjwt_keyset_get(ks, 0));
		assert_string_equal(json_string_value(json_object_get(
		    pjwt_jws_header(j), "typ")), "at+jwt");
		j = pjwt_jws_free(j);
		assert_null(j);

		/* Public keys verify too (asymmetric algs). */
		if (!tu_is_hmac(tu_all_algs[i])) {
			pub = tu_key_public(k);
			pks = pjwt_keyset_new();
			assert_pjwt(pjwt_keyset_add(pks, pub), PJWT_OK);
			assert_pjwt(verify(pks, tok), PJWT_OK);
			/* A public key cannot sign. */
			pjwt_str_free(tok);
			tok = NULL;
			assert_pjwt(pjwt_jws_sign(pub, NULL, "{}", 2, &tok),
			    PJWT_E_INVALID_ARGUMENT);
			assert_null(tok);
			pjwt_keyset_free(pks);
		}
		pjwt_str_free(tok);

		/* typ NULL: header {"alg","kid"} only. */
		tok = NULL;
		assert_pjwt(pjwt_jws_sign(k, NULL, body, strlen(body), &tok),
		    PJWT_OK);
		h = tu_unb64(tok, (size_t)(strchr(tok, '.') - tok));
		want = tu_fmt(hdr_fmt, pjwt_alg_name(tu_all_algs[i]),
		    pjwt_key_kid(k));
		assert_string_equal(h, want);
		assert_pjwt(verify(ks, tok), PJWT_OK);
		free(h);
		free(want);
		pjwt_str_free(tok);
		pjwt_keyset_free(ks);
	}
}

/* Tokens from the independent signer in testutil.h verify (all algs). */
static void
test_independent_signer(void **state)
{
	size_t i;
	(void)state;

	for (i = 0; i < TU_NALGS; i++) {
		const pjwt_key *k = tu_ckey(tu_all_algs[i]);
		pjwt_keyset *ks = tu_keyset(k, NULL);
		char *tok = tok_for(k, NULL, NULL);

		assert_pjwt(verify(ks, tok), PJWT_OK);
		free(tok);
		pjwt_keyset_free(ks);
	}
}

/*
 * Our signatures checked by raw OpenSSL: ECDSA R||S converted to DER here,
 * PSS with salt = digest length demanded explicitly (a PSS signature with
 * another salt length fails this check).
 */
static void
test_sign_cross_check(void **state)
{
	size_t i;
	(void)state;

	for (i = 0; i < TU_NALGS; i++) {
		pjwt_alg alg = tu_all_algs[i];
		const pjwt_key *k = tu_ckey(alg);
		const EVP_MD *md = pjwtp_alg_md(alg);
		unsigned char *sig, *der = NULL, *mac;
		const unsigned char *vs;
		size_t siglen = 0, vlen, input_len, maclen = 0;
		EVP_MD_CTX *mctx;
		EVP_PKEY_CTX *pctx = NULL;
		char *tok = NULL;

		assert_pjwt(pjwt_jws_sign(k, NULL, body, strlen(body), &tok),
		    PJWT_OK);
		sig = tu_sig_of(tok, &siglen);
		input_len = (size_t)(strrchr(tok, '.') - tok);
		vs = sig;
		vlen = siglen;
		if (tu_is_hmac(alg)) {
			mac = tu_sign_raw(k, tok, input_len, &maclen);
			assert_int_equal(maclen, siglen);
			assert_memory_equal(mac, sig, siglen);
			free(mac);
			goto next;
		}
		if (tu_is_ec(alg)) {
			size_t f = pjwtp_alg_ec_field_len(alg);
			ECDSA_SIG *es = ECDSA_SIG_new();
			unsigned char *p;
			int n;

			assert_int_equal(siglen, 2 * f);
			assert_non_null(es);
			assert_int_equal(ECDSA_SIG_set0(es,
			    BN_bin2bn(sig, (int)f, NULL),
			    BN_bin2bn(sig + f, (int)f, NULL)), 1);
			n = i2d_ECDSA_SIG(es, NULL);
			der = malloc((size_t)n);
			p = der;
			assert_int_equal(i2d_ECDSA_SIG(es, &p), n);
			ECDSA_SIG_free(es);
			vs = der;
			vlen = (size_t)n;
		}
		mctx = EVP_MD_CTX_new();
		assert_int_equal(EVP_DigestVerifyInit(mctx, &pctx,
		    alg == PJWT_ALG_EDDSA ? NULL : md, NULL, k->pkey), 1);
		if (alg >= PJWT_ALG_PS256 && alg <= PJWT_ALG_PS512) {
			assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx,
			    RSA_PKCS1_PSS_PADDING) > 0);
			assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
			    EVP_MD_get_size(md)) > 0);
			assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) > 0);
		}
		assert_int_equal(EVP_DigestVerify(mctx, vs, vlen,
		    (const unsigned char *)tok, input_len), 1);
		EVP_MD_CTX_free(mctx);
	next:
		free(der);
		free(sig);
		pjwt_str_free(tok);
	}
}

/* PS*: a PSS signature with a salt other than the digest length fails. */
static void
test_pss_salt_length_exact(void **state)
{
	const pjwt_key *k = tu_ckey(PJWT_ALG_PS256);
	const EVP_MD *md = EVP_sha256();
	pjwt_keyset *ks = tu_keyset(k, NULL);
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	char *h = tu_fmt(hdr_fmt, "PS256", pjwt_key_kid(k));
	char *h64 = tu_b64s(h), *p64 = tu_b64s(body);
	char *input = tu_strcat3(h64, ".", p64), *tok, *good;
	unsigned char sig[512];
	size_t siglen = sizeof(sig);
	(void)state;

	assert_int_equal(EVP_DigestSignInit(mctx, &pctx, md, NULL, k->pkey), 1);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 20) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) > 0);
	assert_int_equal(EVP_DigestSign(mctx, sig, &siglen,
	    (unsigned char *)input, strlen(input)), 1);
	EVP_MD_CTX_free(mctx);
	good = tu_token_segs(k, h64, p64);
	tok = tu_with_sig(good, sig, siglen);
	assert_pjwt(verify(ks, good), PJWT_OK);
	assert_pjwt(verify(ks, tok), PJWT_E_BAD_SIGNATURE);
	free(tok);
	free(good);
	free(input);
	free(h64);
	free(p64);
	free(h);
	pjwt_keyset_free(ks);
}

/* ---- argument errors --------------------------------------------------- */

static void
test_sign_arguments(void **state)
{
	const pjwt_key *k = tu_ckey(PJWT_ALG_EDDSA);
	char *tok = NULL;
	(void)state;

	assert_pjwt(pjwt_jws_sign(NULL, NULL, "{}", 2, &tok),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_jws_sign(k, NULL, NULL, 2, &tok),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_jws_sign(k, NULL, "{}", 0, &tok),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_jws_sign(k, NULL, "{}", 2, NULL),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_jws_sign(k, "", "{}", 2, &tok),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_jws_sign(k, "at+jwt\n", "{}", 2, &tok),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_jws_sign(k, "\xff", "{}", 2, &tok),
	    PJWT_E_INVALID_ARGUMENT);
	assert_null(tok);
	/* Binary payloads are fine (JWS signs bytes). */
	assert_pjwt(pjwt_jws_sign(k, "x", "\0\1\2", 3, &tok), PJWT_OK);
	pjwt_str_free(tok);
}

static void
test_verify_arguments(void **state)
{
	pjwt_keyset *ks = tu_keyset(tu_ckey(PJWT_ALG_EDDSA), NULL);
	pjwt_keyset *empty = pjwt_keyset_new();
	char *tok = tok_for(tu_ckey(PJWT_ALG_EDDSA), NULL, NULL);
	pjwt_jws *j = NULL;
	(void)state;

	assert_pjwt(pjwt_jws_verify(NULL, tok, strlen(tok), 0, 0, &j),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_jws_verify(ks, NULL, 0, 0, 0, &j),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_jws_verify(ks, tok, strlen(tok), 0, 0, NULL),
	    PJWT_E_INVALID_ARGUMENT);
	assert_null(j);
	/* An empty set has no key for any kid. */
	assert_pjwt(verify(empty, tok), PJWT_E_UNKNOWN_KID);
	/* Mask bits beyond the algs are ignored; 0 means all. */
	assert_pjwt(pjwt_jws_verify(ks, tok, strlen(tok),
	    PJWT_ALG_BIT(PJWT_ALG_EDDSA) | 0x80000000u, 0, &j), PJWT_OK);
	j = pjwt_jws_free(j);
	/* Getters and free are NULL-safe. */
	assert_null(pjwt_jws_header(NULL));
	assert_null(pjwt_jws_payload(NULL, NULL));
	assert_null(pjwt_jws_key(NULL));
	assert_null(pjwt_jws_free(NULL));
	free(tok);
	pjwt_keyset_free(ks);
	pjwt_keyset_free(empty);
}

/* ---- alg attacks ------------------------------------------------------- */

static void
test_alg_none_any_casing(void **state)
{
	static const char *const nones[] = {
		"none", "None", "NONE", "nOnE", "NoNe", "nONE",
	};
	const pjwt_key *k = tu_ckey(PJWT_ALG_HS256);
	pjwt_keyset *ks = tu_keyset(k, tu_ckey(PJWT_ALG_EDDSA), NULL);
	char *p64 = tu_b64s(body);
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(nones) / sizeof(nones[0]); i++) {
		char *h, *h64, *a, *t;

		/* With and without kid, with empty and with a signature. */
		h = tu_fmt("{\"alg\":\"%s\"}", nones[i]);
		h64 = tu_b64s(h);
		a = tu_strcat3(h64, ".", p64);
		t = tu_strcat3(a, ".", "");
		assert_pjwt(verify(ks, t), PJWT_E_ALG_NONE);
		free(t);
		t = tu_strcat3(a, ".", "AAAA");
		assert_pjwt(verify(ks, t), PJWT_E_ALG_NONE);
		free(t);
		/* Signed with a real key, still none. */
		t = tu_token_segs(k, h64, p64);
		assert_pjwt(verify(ks, t), PJWT_E_ALG_NONE);
		free(t);
		free(a);
		free(h64);
		free(h);
		h = tu_fmt("{\"alg\":\"%s\",\"kid\":\"%s\"}", nones[i],
		    pjwt_key_kid(k));
		t = tu_token(k, h, body);
		assert_pjwt(verify(ks, t), PJWT_E_ALG_NONE);
		free(t);
		free(h);
	}
	free(p64);
	pjwt_keyset_free(ks);
}

static void
test_alg_unsupported_and_malformed(void **state)
{
	static const char *const unsupported[] = {
		"HS1", "RS1", "ES256K", "Ed25519", "EDDSA", "hs256", "RSA-OAEP",
		"", "HS256 ", "none ", "PS256\\u0000",
	};
	static const char *const malformed_hdrs[] = {
		"{}", "{\"alg\":1}", "{\"alg\":null}", "{\"alg\":[\"HS256\"]}",
		"{\"alg\":{}}", "{\"alg\":true}", "{\"alg\":\"HS256\\u0000\"}",
		"{\"alg\":\"none\\u0000\"}",
		"[\"HS256\"]", "\"HS256\"", "1", "null", "{", "",
		"{\"alg\":\"HS256\",\"alg\":\"HS256\"}",
		"{\"alg\":\"HS256\",\"alg\":\"none\"}",
		"{\"alg\":\"HS256\",}", "{'alg':'HS256'}",
		"{\"alg\":\"HS256\"} x",
	};
	const pjwt_key *k = tu_ckey(PJWT_ALG_HS256);
	pjwt_keyset *ks = tu_keyset(k, NULL);
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
		char *h = tu_fmt("{\"alg\":\"%s\"}", unsupported[i]);
		char *t = tu_token(k, h, body);

		/* The JSON-escaped NUL makes "PS256\0": not an alg we know. */
		assert_pjwt(verify(ks, t), strchr(unsupported[i], '\\') ?
		    PJWT_E_MALFORMED : PJWT_E_ALG_UNSUPPORTED);
		free(t);
		free(h);
	}
	for (i = 0; i < sizeof(malformed_hdrs) / sizeof(malformed_hdrs[0]);
	    i++) {
		char *t;

		if (malformed_hdrs[i][0] == '\0')
			continue;   /* empty header: test_structure */
		t = tu_token(k, malformed_hdrs[i], body);
		assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
		free(t);
	}
	pjwt_keyset_free(ks);
}

static void
test_alg_not_allowed(void **state)
{
	const pjwt_key *k = tu_ckey(PJWT_ALG_ES256);
	pjwt_keyset *ks = tu_keyset(k, NULL);
	char *t = tok_for(k, NULL, NULL), *n;
	pjwt_jws *j = NULL;
	(void)state;

	assert_pjwt(pjwt_jws_verify(ks, t, strlen(t),
	    PJWT_ALG_BIT(PJWT_ALG_EDDSA), 0, &j), PJWT_E_ALG_NOT_ALLOWED);
	assert_pjwt(pjwt_jws_verify(ks, t, strlen(t),
	    PJWT_ALG_BIT(PJWT_ALG_EDDSA) | PJWT_ALG_BIT(PJWT_ALG_ES256), 0,
	    &j), PJWT_OK);
	j = pjwt_jws_free(j);
	/* "none" is alg_none whatever the mask says. */
	n = tu_token(k, "{\"alg\":\"none\"}", body);
	assert_pjwt(pjwt_jws_verify(ks, n, strlen(n),
	    PJWT_ALG_BIT(PJWT_ALG_EDDSA), 0, &j), PJWT_E_ALG_NONE);
	free(n);
	free(t);
	pjwt_keyset_free(ks);
}

/*
 * The classic key-confusion attack: HS256 with the RSA (or EC) public key
 * bytes, PEM or DER, as the HMAC secret.  With the RSA key's kid:
 * alg_mismatch; without kid: no key bound to HS256, no_matching_key.
 */
static void
confusion_case(const pjwt_key *victim, const unsigned char *secret,
    size_t secret_len)
{
	pjwt_keyset *ks = tu_keyset(victim, tu_ckey(PJWT_ALG_EDDSA), NULL);
	pjwt_key *hk = NULL;
	char *t = NULL;

	assert_pjwt(pjwtp_key_new(PJWT_ALG_HS256, NULL, secret, secret_len,
	    1, &hk), PJWT_OK);
	/* With the victim's kid, signed by our own code. */
	assert_pjwt(pjwt_key_set_kid(hk, pjwt_key_kid(victim)), PJWT_OK);
	assert_pjwt(pjwt_jws_sign(hk, "at+jwt", body, strlen(body), &t),
	    PJWT_OK);
	assert_pjwt(verify(ks, t), PJWT_E_ALG_MISMATCH);
	pjwt_str_free(t);
	/* Without kid. */
	t = tu_token(hk, "{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", body);
	assert_pjwt(verify(ks, t), PJWT_E_NO_KEY);
	free(t);
	/* And with the victim's alg in the header: not an HMAC any more. */
	t = tu_token(hk, "{\"alg\":\"RS256\"}", body);
	assert_pjwt(verify(ks, t), pjwt_key_alg(victim) == PJWT_ALG_RS256 ?
	    PJWT_E_BAD_SIGNATURE : PJWT_E_NO_KEY);
	free(t);
	pjwt_key_free(hk);
	pjwt_keyset_free(ks);
}

static void
test_hs256_with_public_key_bytes(void **state)
{
	static const pjwt_alg victims[] = { PJWT_ALG_RS256, PJWT_ALG_ES256 };
	size_t i;
	(void)state;

	for (i = 0; i < 2; i++) {
		const pjwt_key *v = tu_ckey(victims[i]);
		unsigned char *der = NULL;
		char *pem = NULL;
		int n;

		assert_pjwt(pjwt_key_to_pem(v, 0, &pem), PJWT_OK);
		confusion_case(v, (unsigned char *)pem, strlen(pem));
		free(pem);
		n = i2d_PUBKEY(v->pkey, &der);
		assert_true(n >= 32);
		confusion_case(v, der, (size_t)n);
		OPENSSL_free(der);
	}
}

static void
test_kid_selection(void **state)
{
	const pjwt_key *e1 = tu_ckey(PJWT_ALG_EDDSA);
	const pjwt_key *es = tu_ckey(PJWT_ALG_ES256);
	pjwt_key *e2 = tu_key(PJWT_ALG_EDDSA);
	pjwt_keyset *ks = tu_keyset(e1, es, e2, NULL);
	pjwt_keyset *only_es = tu_keyset(es, NULL);
	static const char *const bad_kids[] = {
		"../../etc/passwd", "/etc/shadow", "..\\\\..\\\\x", "a/b",
		"%2e%2e%2f", "kid\\nx", "file:///dev/null", "*",
	};
	pjwt_jws *j = NULL;
	char *h, *t, *longkid;
	size_t i;
	(void)state;

	/* No kid: only keys of the header's alg, in order until one fits. */
	h = tu_fmt("{\"alg\":\"EdDSA\"}");
	t = tu_token(e2, h, body);
	assert_pjwt(pjwt_jws_verify(ks, t, strlen(t), 0, 0, &j), PJWT_OK);
	assert_ptr_equal(pjwt_jws_key(j), pjwt_keyset_get(ks, 2));
	j = pjwt_jws_free(j);
	assert_pjwt(verify(only_es, t), PJWT_E_NO_KEY);
	free(t);
	/* No kid and no key of that alg verifies: bad_signature. */
	t = tu_token(tu_ckey(PJWT_ALG_EDDSA), h, "{\"other\":1}");
	t[strlen(t) - 2] = t[strlen(t) - 2] == 'A' ? 'B' : 'A';
	assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
	free(t);
	free(h);

	/* kid names e1 but e2 signed: only e1 is tried. */
	h = tu_fmt(hdr_fmt, "EdDSA", pjwt_key_kid(e1));
	t = tu_token(e2, h, body);
	assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
	free(t);
	free(h);

	/* kid names a key of another alg. */
	h = tu_fmt(hdr_fmt, "EdDSA", pjwt_key_kid(es));
	t = tu_token(e1, h, body);
	assert_pjwt(verify(ks, t), PJWT_E_ALG_MISMATCH);
	free(t);
	free(h);

	/* Unknown kid, and kids with path characters: only looked up. */
	t = tu_token(e1, "{\"alg\":\"EdDSA\",\"kid\":\"nope\"}", body);
	assert_pjwt(verify(ks, t), PJWT_E_UNKNOWN_KID);
	free(t);
	for (i = 0; i < sizeof(bad_kids) / sizeof(bad_kids[0]); i++) {
		h = tu_fmt(hdr_fmt, "EdDSA", bad_kids[i]);
		t = tu_token(e1, h, body);
		assert_pjwt(verify(ks, t), PJWT_E_UNKNOWN_KID);
		free(t);
		free(h);
	}

	/* kid not a string, empty, too long, with NUL: malformed. */
	t = tu_token(e1, "{\"alg\":\"EdDSA\",\"kid\":1}", body);
	assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
	free(t);
	t = tu_token(e1, "{\"alg\":\"EdDSA\",\"kid\":null}", body);
	assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
	free(t);
	t = tu_token(e1, "{\"alg\":\"EdDSA\",\"kid\":\"\"}", body);
	assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
	free(t);
	h = tu_fmt("{\"alg\":\"EdDSA\",\"kid\":\"%s\\u0000\"}",
	    pjwt_key_kid(e1));
	t = tu_token(e1, h, body);
	assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
	free(t);
	free(h);
	longkid = malloc(257);
	memset(longkid, 'k', 256);
	longkid[256] = '\0';
	h = tu_fmt(hdr_fmt, "EdDSA", longkid);
	t = tu_token(e1, h, body);
	assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
	free(t);
	free(h);
	longkid[255] = '\0';   /* 255 bytes: allowed, just unknown */
	h = tu_fmt(hdr_fmt, "EdDSA", longkid);
	t = tu_token(e1, h, body);
	assert_pjwt(verify(ks, t), PJWT_E_UNKNOWN_KID);
	free(t);
	free(h);
	free(longkid);

	pjwt_key_free(e2);
	pjwt_keyset_free(ks);
	pjwt_keyset_free(only_es);
}

static void
test_crit_and_untrusted_headers(void **state)
{
	static const char *const untrusted[] = {
		",\"jku\":\"https://evil.example/jwks.json\"",
		",\"x5u\":\"https://evil.example/cert.pem\"",
		",\"jwk\":{\"kty\":\"oct\",\"k\":\"AAAA\"}",
		",\"x5c\":[\"MIIB\"]",
		",\"jku\":null", ",\"jwk\":{}", ",\"x5c\":[]",
	};
	static const char *const crits[] = {
		",\"crit\":[\"exp\"]", ",\"crit\":[]", ",\"crit\":null",
		",\"crit\":[\"b64\"],\"b64\":false",
		/* crit wins over the key-carrying headers */
		",\"crit\":[\"x\"],\"jku\":\"https://evil.example/\"",
	};
	const pjwt_key *k = tu_ckey(PJWT_ALG_EDDSA);
	pjwt_keyset *ks = tu_keyset(k, NULL);
	size_t i;
	char *t;
	(void)state;

	for (i = 0; i < sizeof(untrusted) / sizeof(untrusted[0]); i++) {
		t = tok_for(k, untrusted[i], NULL);
		assert_pjwt(verify(ks, t), PJWT_E_UNTRUSTED_HEADER);
		free(t);
	}
	for (i = 0; i < sizeof(crits) / sizeof(crits[0]); i++) {
		t = tok_for(k, crits[i], NULL);
		assert_pjwt(verify(ks, t), PJWT_E_CRIT);
		free(t);
	}
	/* Unknown, non-critical members are ignored (RFC 7515 4). */
	t = tok_for(k, ",\"cty\":\"JWT\",\"x-foo\":[1,{\"a\":2}]", NULL);
	assert_pjwt(verify(ks, t), PJWT_OK);
	free(t);
	/* crit is refused even before alg is looked at. */
	t = tu_token(k, "{\"alg\":\"none\",\"crit\":[\"x\"]}", body);
	assert_pjwt(verify(ks, t), PJWT_E_CRIT);
	free(t);
	pjwt_keyset_free(ks);
}

/* ---- ECDSA ------------------------------------------------------------- */

static BIGNUM *
curve_order(pjwt_alg alg)
{
	int nid = alg == PJWT_ALG_ES256 ? NID_X9_62_prime256v1 :
	    alg == PJWT_ALG_ES384 ? NID_secp384r1 : NID_secp521r1;
	EC_GROUP *g = EC_GROUP_new_by_curve_name(nid);
	BIGNUM *n;

	assert_non_null(g);
	n = BN_dup(EC_GROUP_get0_order(g));
	assert_non_null(n);
	EC_GROUP_free(g);
	return n;
}

/* token with r (which = 0) or s (which = 1) replaced by v. */
static char *
with_half(const char *tok, size_t field, int which, const BIGNUM *v)
{
	size_t siglen = 0;
	unsigned char *sig = tu_sig_of(tok, &siglen);
	char *out;

	assert_int_equal(siglen, 2 * field);
	assert_int_equal(BN_bn2binpad(v, sig + (which ? field : 0),
	    (int)field), (int)field);
	out = tu_with_sig(tok, sig, siglen);
	free(sig);
	return out;
}

static void
test_ecdsa_signature_attacks(void **state)
{
	static const pjwt_alg algs[] = {
		PJWT_ALG_ES256, PJWT_ALG_ES384, PJWT_ALG_ES512,
	};
	size_t i;
	(void)state;

	for (i = 0; i < 3; i++) {
		const pjwt_key *k = tu_ckey(algs[i]);
		pjwt_keyset *ks = tu_keyset(k, NULL);
		size_t f = pjwtp_alg_ec_field_len(algs[i]), siglen = 0;
		BIGNUM *n = curve_order(algs[i]), *v = BN_new(), *s;
		unsigned char *sig, *der, *p, big[2 * 66 + 2];
		const BIGNUM *r0, *s0;
		ECDSA_SIG *es;
		char *tok = NULL, *t;
		int which, dn;

		assert_non_null(v);
		assert_pjwt(pjwt_jws_sign(k, NULL, body, strlen(body), &tok),
		    PJWT_OK);
		assert_pjwt(verify(ks, tok), PJWT_OK);

		for (which = 0; which < 2; which++) {
			/* 0 */
			BN_zero(v);
			t = with_half(tok, f, which, v);
			assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
			free(t);
			/* n */
			t = with_half(tok, f, which, n);
			assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
			free(t);
			/* n + 1, and all ones (2^(8f) - 1 > n) */
			assert_int_equal(BN_add(v, n, BN_value_one()), 1);
			t = with_half(tok, f, which, v);
			assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
			free(t);
			assert_int_equal(BN_set_word(v, 0), 1);
			assert_int_equal(BN_set_bit(v, (int)(8 * f)), 1);
			assert_int_equal(BN_sub_word(v, 1), 1);
			t = with_half(tok, f, which, v);
			assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
			free(t);
			/* n - 1: in range, just not a valid signature. */
			assert_int_equal(BN_sub(v, n, BN_value_one()), 1);
			t = with_half(tok, f, which, v);
			assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
			free(t);
		}

		/* High-S: (r, n - s) is a valid ECDSA signature too. */
		sig = tu_sig_of(tok, &siglen);
		s = BN_bin2bn(sig + f, (int)f, NULL);
		assert_non_null(s);
		assert_int_equal(BN_sub(v, n, s), 1);
		t = with_half(tok, f, 1, v);
		assert_pjwt(verify(ks, t), PJWT_OK);
		free(t);

		/* Wrong lengths: one byte short / long, field-1 halves. */
		t = tu_with_sig(tok, sig, siglen - 1);
		assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
		free(t);
		memcpy(big, sig, siglen);
		big[siglen] = 0;
		t = tu_with_sig(tok, big, siglen + 1);
		assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
		free(t);
		t = tu_with_sig(tok, sig + 1, siglen - 2);
		assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
		free(t);
		/* Left-padded to field + 1 each (leading zeros). */
		big[0] = 0;
		memcpy(big + 1, sig, f);
		big[f + 1] = 0;
		memcpy(big + f + 2, sig + f, f);
		t = tu_with_sig(tok, big, 2 * f + 2);
		assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
		free(t);

		/* The same signature DER-encoded, as OpenSSL would emit it. */
		es = ECDSA_SIG_new();
		assert_int_equal(ECDSA_SIG_set0(es,
		    BN_bin2bn(sig, (int)f, NULL), BN_bin2bn(sig + f, (int)f,
		    NULL)), 1);
		ECDSA_SIG_get0(es, &r0, &s0);
		assert_non_null(r0);
		assert_non_null(s0);
		dn = i2d_ECDSA_SIG(es, NULL);
		der = malloc((size_t)dn);
		p = der;
		assert_int_equal(i2d_ECDSA_SIG(es, &p), dn);
		assert_int_not_equal(dn, (int)(2 * f));   /* DER always longer */
		t = tu_with_sig(tok, der, (size_t)dn);
		assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
		free(t);
		/* Truncated to the JWS length, still DER: not a signature. */
		t = tu_with_sig(tok, der, 2 * f);
		assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
		free(t);
		free(der);
		ECDSA_SIG_free(es);

		/* r and s swapped. */
		memcpy(big, sig + f, f);
		memcpy(big + f, sig, f);
		t = tu_with_sig(tok, big, 2 * f);
		assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
		free(t);

		BN_free(s);
		BN_free(v);
		BN_free(n);
		free(sig);
		pjwt_str_free(tok);
		pjwt_keyset_free(ks);
	}
}

/* ---- signatures of every alg: empty, truncated, flipped ---------------- */

static void
test_signature_tampering(void **state)
{
	size_t i;
	(void)state;

	for (i = 0; i < TU_NALGS; i++) {
		const pjwt_key *k = tu_ckey(tu_all_algs[i]);
		pjwt_keyset *ks = tu_keyset(k, NULL);
		unsigned char *sig, *longer;
		size_t siglen = 0;
		char *tok = NULL, *t, *p;

		assert_pjwt(pjwt_jws_sign(k, NULL, body, strlen(body), &tok),
		    PJWT_OK);
		sig = tu_sig_of(tok, &siglen);
		/* Empty signature segment. */
		t = tu_with_sig(tok, sig, 0);
		assert_int_equal(t[strlen(t) - 1], '.');
		assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
		free(t);
		/* Truncated by one byte, and to one byte. */
		t = tu_with_sig(tok, sig, siglen - 1);
		assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
		free(t);
		t = tu_with_sig(tok, sig, 1);
		assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
		free(t);
		/* One byte longer. */
		longer = malloc(siglen + 1);
		memcpy(longer, sig, siglen);
		longer[siglen] = 0;
		t = tu_with_sig(tok, longer, siglen + 1);
		assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
		free(t);
		free(longer);
		/* One bit flipped. */
		sig[siglen / 2] ^= 0x01;
		t = tu_with_sig(tok, sig, siglen);
		assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
		free(t);
		sig[siglen / 2] ^= 0x01;
		/* Payload changed after signing. */
		t = strdup(tok);
		p = strchr(t, '.') + 2;
		*p = *p == 'A' ? 'B' : 'A';
		assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
		free(t);
		/* Signature of a different token. */
		t = tok_for(k, NULL, "{\"sub\":\"mallory\"}");
		p = tu_with_sig(t, sig, siglen);
		assert_pjwt(verify(ks, p), PJWT_E_BAD_SIGNATURE);
		free(p);
		free(t);
		free(sig);
		pjwt_str_free(tok);
		pjwt_keyset_free(ks);
	}
}

/* RSA signatures must be exactly the modulus length. */
static void
test_rsa_modulus_length(void **state)
{
	const pjwt_key *k = tu_ckey(PJWT_ALG_RS256);
	pjwt_keyset *ks = tu_keyset(k, NULL);
	unsigned char *sig, *pad;
	size_t siglen = 0;
	char *tok = tok_for(k, NULL, NULL), *t;
	(void)state;

	sig = tu_sig_of(tok, &siglen);
	assert_int_equal(siglen, 256);
	/* A leading zero byte added: same number, wrong length. */
	pad = malloc(siglen + 1);
	pad[0] = 0;
	memcpy(pad + 1, sig, siglen);
	t = tu_with_sig(tok, pad, siglen + 1);
	assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
	free(t);
	/* All 0xff: the right length, but larger than the modulus. */
	memset(pad, 0xff, siglen);
	t = tu_with_sig(tok, pad, siglen);
	assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
	free(t);
	memset(pad, 0, siglen);
	t = tu_with_sig(tok, pad, siglen);
	assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
	free(t);
	free(pad);
	free(sig);
	free(tok);
	pjwt_keyset_free(ks);
}

/* ---- structure ----------------------------------------------------------- */

static void
test_structure(void **state)
{
	const pjwt_key *k = tu_ckey(PJWT_ALG_EDDSA);
	pjwt_keyset *ks = tu_keyset(k, NULL);
	char *tok = tok_for(k, NULL, NULL);
	char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
	char *h64 = strndup(tok, (size_t)(d1 - tok));
	char *p64 = strndup(d1 + 1, (size_t)(d2 - d1 - 1));
	char *s64 = strdup(d2 + 1);
	pjwt_jws *j = NULL;
	char *t;
	size_t i;
	(void)state;

	assert_pjwt(verify(ks, tok), PJWT_OK);
	t = tu_fmt("%s.%s", h64, p64);
	assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
	free(t);
	t = tu_fmt("%s%s%s", h64, p64, s64);
	assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
	free(t);
	t = tu_fmt("%s.%s.%s.%s", h64, p64, s64, s64);
	assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
	free(t);
	t = tu_fmt("%s.%s.%s.%s.%s", h64, p64, s64, s64, s64);
	assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
	free(t);
	t = tu_fmt(".%s.%s", p64, s64);
	assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
	free(t);
	t = tu_fmt("%s..%s", h64, s64);
	assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
	free(t);
	t = tu_fmt("%s.%s..%s", h64, p64, s64);
	assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
	free(t);
	t = tu_fmt("%s.%s.%s.", h64, p64, s64);
	assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
	free(t);
	t = tu_fmt(".%s.%s.%s", h64, p64, s64);
	assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
	free(t);
	for (i = 0; i < 4; i++) {
		static const char *const dots[] = { "", ".", "..", "..." };

		assert_pjwt(verify(ks, dots[i]), PJWT_E_MALFORMED);
	}
	/* Signed, empty payload segment (the signer signs "h64."). */
	t = tu_token_segs(k, h64, "");
	assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
	free(t);
	/* len counts, not NUL: a token cut by len is a 2-part token. */
	assert_pjwt(pjwt_jws_verify(ks, tok, (size_t)(d2 - tok), 0, 0, &j),
	    PJWT_E_MALFORMED);
	/* An embedded NUL inside len is not base64url. */
	t = strdup(tok);
	t[3] = '\0';
	assert_pjwt(pjwt_jws_verify(ks, t, strlen(tok), 0, 0, &j),
	    PJWT_E_MALFORMED);
	assert_null(j);
	free(t);
	free(h64);
	free(p64);
	free(s64);
	free(tok);
	pjwt_keyset_free(ks);
}

/* Non-canonical base64url in each segment: malformed, never tolerated. */
static void
test_noncanonical_base64url(void **state)
{
	const pjwt_key *k = tu_ckey(PJWT_ALG_HS256);
	pjwt_keyset *ks = tu_keyset(k, NULL);
	/* {"alg":"HS256"} is 15 bytes: 20 chars, last carries 2 unused bits. */
	const char *hdr = "{\"alg\":\"HS256\"}";
	char *h64 = tu_b64s(hdr), *p64 = tu_b64s(body), *t, *alt, *s64;
	char *good = tu_token_segs(k, h64, p64);
	unsigned char *sig;
	size_t siglen = 0, i;
	static const char *const suffix[] = { "=", "==", " ", "\n", "\t" };
	(void)state;

	assert_int_equal(strlen(h64) % 4, 0);
	assert_pjwt(verify(ks, good), PJWT_OK);
	sig = tu_sig_of(good, &siglen);

	/* Padding, whitespace after each of the three segments, all signed. */
	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		char *hx = tu_strcat3(h64, suffix[i], "");
		char *px = tu_strcat3(p64, suffix[i], "");
		char *sx;

		s64 = tu_b64(sig, siglen);

		t = tu_token_segs(k, hx, p64);
		assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
		free(t);
		t = tu_token_segs(k, h64, px);
		assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
		free(t);
		sx = tu_fmt("%s.%s.%s%s", h64, p64, s64, suffix[i]);
		assert_pjwt(verify(ks, sx), PJWT_E_MALFORMED);
		free(sx);
		sx = tu_fmt("%s.%s.%s%s", h64, p64, suffix[i], s64);
		assert_pjwt(verify(ks, sx), PJWT_E_MALFORMED);
		free(sx);
		free(s64);
		free(hx);
		free(px);
	}

	/* '+' and '/' (standard alphabet) in place of '-' and '_'. */
	{
		/* Bytes chosen so the encoding holds '-' and '_'. */
		unsigned char raw[6] = { 0xfb, 0xff, 0xbf, 0xfb, 0xef, 0xbe };
		char *seg = tu_b64(raw, sizeof(raw)), *c;

		assert_non_null(strchr(seg, '-'));
		assert_non_null(strchr(seg, '_'));
		/* Put the std-alphabet variant into a signature segment. */
		alt = strdup(seg);
		for (c = alt; *c != '\0'; c++)
			*c = *c == '-' ? '+' : *c == '_' ? '/' : *c;
		t = tu_fmt("%s.%s.%s", h64, p64, alt);
		assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
		free(t);
		/* ... and into the header, signed. */
		t = tu_token_segs(k, alt, p64);
		assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
		free(t);
		/* ... and the payload, signed. */
		t = tu_token_segs(k, h64, alt);
		assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
		free(t);
		free(alt);
		free(seg);
	}

	/* Non-zero trailing bits: "eyJ...fQ" -> last char one higher. */
	{
		char *hb = tu_b64s("{\"alg\":\"HS256\"} ");   /* 16 bytes */
		size_t hl = strlen(hb);
		char *pb;

		assert_int_equal(hl % 4, 2);   /* 4 unused bits at the end */
		hb[hl - 1] = (char)(hb[hl - 1] + 1);
		t = tu_token_segs(k, hb, p64);
		assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
		free(t);
		/* Same for the payload and for the signature. */
		pb = tu_b64s("{\"sub\":\"alice\"}x");   /* 16 bytes */
		pb[strlen(pb) - 1] = (char)(pb[strlen(pb) - 1] + 1);
		t = tu_token_segs(k, h64, pb);
		assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
		free(t);
		free(pb);
		free(hb);
		/* HS256 signature: 32 bytes -> 43 chars, 2 unused bits. */
		t = strdup(good);
		assert_int_equal(strlen(strrchr(t, '.') + 1), 43);
		t[strlen(t) - 1] = t[strlen(t) - 1] == 'A' ? 'B' :
		    (char)(t[strlen(t) - 1] + 1);
		assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
		free(t);
		/* A length of 4k+1 characters can encode nothing. */
		s64 = tu_b64(sig, siglen);
		t = tu_fmt("%s.%s.%sAA", h64, p64, s64);   /* 43 + 2 = 4*11+1 */
		assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
		free(t);
		free(s64);
	}
	free(sig);
	free(good);
	free(h64);
	free(p64);
	pjwt_keyset_free(ks);
}

static void
test_size_limits(void **state)
{
	const pjwt_key *k = tu_ckey(PJWT_ALG_EDDSA);
	pjwt_keyset *ks = tu_keyset(k, NULL);
	size_t big = 1024 * 1024, len, pad;
	char *t = malloc(big + 1), *payload, *tok, *fill;
	pjwt_jws *j = NULL;
	(void)state;

	/* 1 MiB of a plausible token. */
	memset(t, 'A', big);
	memcpy(t, "eyJ", 3);
	t[big / 2] = '.';
	t[big / 2 + 10] = '.';
	t[big] = '\0';
	assert_pjwt(verify(ks, t), PJWT_E_TOO_LARGE);
	/* Too large even when it is garbage: nothing is decoded first. */
	memset(t, '.', big);
	assert_pjwt(verify(ks, t), PJWT_E_TOO_LARGE);
	free(t);

	/* A valid token of exactly 8192 bytes passes, 8193 does not. */
	payload = tu_fmt("{\"p\":\"\"}");
	tok = tok_for(k, NULL, payload);
	len = strlen(tok);
	free(payload);
	free(tok);
	/* Each 3 payload bytes add 4 characters. */
	pad = (PJWT_DEFAULT_MAX_TOKEN - len) / 4 * 3;
	fill = malloc(pad + 1);
	memset(fill, 'x', pad);
	fill[pad] = '\0';
	payload = tu_fmt("{\"p\":\"%s\"}", fill);
	tok = tok_for(k, NULL, payload);
	while (strlen(tok) < PJWT_DEFAULT_MAX_TOKEN) {
		free(tok);
		free(payload);
		fill = realloc(fill, ++pad + 1);
		fill[pad - 1] = 'x';
		fill[pad] = '\0';
		payload = tu_fmt("{\"p\":\"%s\"}", fill);
		tok = tok_for(k, NULL, payload);
	}
	len = strlen(tok);
	assert_true(len == PJWT_DEFAULT_MAX_TOKEN ||
	    len == PJWT_DEFAULT_MAX_TOKEN + 1);
	if (len == PJWT_DEFAULT_MAX_TOKEN) {
		assert_pjwt(verify(ks, tok), PJWT_OK);
		assert_pjwt(pjwt_jws_verify(ks, tok, len, 0, len - 1, &j),
		    PJWT_E_TOO_LARGE);
	} else {
		assert_pjwt(verify(ks, tok), PJWT_E_TOO_LARGE);
		assert_pjwt(pjwt_jws_verify(ks, tok, len, 0, len, &j),
		    PJWT_OK);
		j = pjwt_jws_free(j);
	}
	/* A caller's larger bound is honoured. */
	assert_pjwt(pjwt_jws_verify(ks, tok, len, 0, 16384, &j), PJWT_OK);
	j = pjwt_jws_free(j);
	/* and a smaller one. */
	assert_pjwt(pjwt_jws_verify(ks, tok, len, 0, 100, &j),
	    PJWT_E_TOO_LARGE);
	free(fill);
	free(payload);
	free(tok);
	pjwt_keyset_free(ks);
}

static void
test_header_json_bounds(void **state)
{
	const pjwt_key *k = tu_ckey(PJWT_ALG_EDDSA);
	pjwt_keyset *ks = tu_keyset(k, NULL);
	char *pre = tu_fmt("\"alg\":\"EdDSA\",\"kid\":\"%s\",", pjwt_key_kid(k));
	char *h, *t;
	(void)state;

	/* Depth 16 (the object + 15 arrays) is fine; 17 is not. */
	h = tu_nested(PJWT_MAX_JSON_DEPTH, pre);
	t = tu_token(k, h, body);
	assert_pjwt(verify(ks, t), PJWT_OK);
	free(t);
	free(h);
	h = tu_nested(PJWT_MAX_JSON_DEPTH + 1, pre);
	t = tu_token(k, h, body);
	assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
	free(t);
	free(h);
	h = tu_nested(1000, pre);
	t = tu_token(k, h, body);
	assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
	free(t);
	free(h);
	/* Duplicate members, anywhere in the header. */
	h = tu_fmt("{%s\"kid\":\"%s\"}", pre, pjwt_key_kid(k));
	t = tu_token(k, h, body);
	assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
	free(t);
	free(h);
	h = tu_fmt("{%s\"typ\":\"JWT\",\"typ\":\"at+jwt\"}", pre);
	t = tu_token(k, h, body);
	assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
	free(t);
	free(h);
	h = tu_fmt("{%s\"x\":{\"a\":1,\"a\":2}}", pre);
	t = tu_token(k, h, body);
	assert_pjwt(verify(ks, t), PJWT_E_MALFORMED);
	free(t);
	free(h);
	/* The payload is opaque to JWS: anything, even not JSON, verifies. */
	t = tok_for(k, NULL, "not json {{{{");
	assert_pjwt(verify(ks, t), PJWT_OK);
	free(t);
	free(pre);
	pjwt_keyset_free(ks);
}

/* The signed input is the token's own bytes, not a re-encoding. */
static void
test_signed_input_is_original(void **state)
{
	const pjwt_key *k = tu_ckey(PJWT_ALG_HS256);
	pjwt_keyset *ks = tu_keyset(k, NULL);
	/* Same JSON, different whitespace: a different signing input. */
	char *a = tu_token(k, "{\"alg\":\"HS256\"}", body);
	char *b = tu_token(k, "{ \"alg\" : \"HS256\" }", body);
	char *mix;
	(void)state;

	assert_pjwt(verify(ks, a), PJWT_OK);
	assert_pjwt(verify(ks, b), PJWT_OK);
	/* b's header with a's signature. */
	mix = tu_fmt("%.*s%s", (int)(strrchr(b, '.') - b), b,
	    strrchr(a, '.'));
	assert_pjwt(verify(ks, mix), PJWT_E_BAD_SIGNATURE);
	free(mix);
	free(a);
	free(b);
	pjwt_keyset_free(ks);
}

static void
test_is_compact(void **state)
{
	const pjwt_key *k = tu_ckey(PJWT_ALG_EDDSA);
	char *tok = tok_for(k, NULL, NULL), *big;
	size_t len = strlen(tok);
	(void)state;

	assert_int_equal(pjwt_jws_is_compact(tok, len, 0), 1);
	assert_int_equal(pjwt_jws_is_compact(tok, len, len), 1);
	assert_int_equal(pjwt_jws_is_compact(tok, len, len - 1), 0);
	assert_int_equal(pjwt_jws_is_compact(NULL, 10, 0), 0);
	assert_int_equal(pjwt_jws_is_compact("", 0, 0), 0);
	assert_int_equal(pjwt_jws_is_compact("eyJ.a.b", 7, 0), 1);
	assert_int_equal(pjwt_jws_is_compact("eyJ.a-_.b9Z", 11, 0), 1);
	assert_int_equal(pjwt_jws_is_compact("eyJ.a", 5, 0), 0);
	assert_int_equal(pjwt_jws_is_compact("eyJ.a.b.c", 9, 0), 0);
	assert_int_equal(pjwt_jws_is_compact("eyJ..b", 6, 0), 0);
	assert_int_equal(pjwt_jws_is_compact("eyJ.a.", 6, 0), 0);
	assert_int_equal(pjwt_jws_is_compact(".eyJ.a.b", 8, 0), 0);
	assert_int_equal(pjwt_jws_is_compact("abc.a.b", 7, 0), 0);
	assert_int_equal(pjwt_jws_is_compact("eYJ.a.b", 7, 0), 0);
	assert_int_equal(pjwt_jws_is_compact("ey.a.b", 6, 0), 1);
	/* '{' then '\n', '\r' or '\t' (RFC 7515 A.1's header: "{\"typ\"..."
	 * has none, but JSON allows it) starts "ew". */
	assert_int_equal(pjwt_jws_is_compact("ewoidHlwIjoiSldUIn0.a.b", 23, 0), 1);
	assert_int_equal(pjwt_jws_is_compact("ex.a.b", 6, 0), 0);
	assert_int_equal(pjwt_jws_is_compact("eyJ.a=.b", 8, 0), 0);
	assert_int_equal(pjwt_jws_is_compact("eyJ.a+.b", 8, 0), 0);
	assert_int_equal(pjwt_jws_is_compact("eyJ.a/.b", 8, 0), 0);
	assert_int_equal(pjwt_jws_is_compact("eyJ.a .b", 8, 0), 0);
	assert_int_equal(pjwt_jws_is_compact("eyJ.a.b\n", 8, 0), 0);
	assert_int_equal(pjwt_jws_is_compact("eyJ.a\0.b", 8, 0), 0);
	assert_int_equal(pjwt_jws_is_compact("e", 1, 0), 0);
	/* A password that happens to contain dots. */
	assert_int_equal(pjwt_jws_is_compact("hunter2.x.y", 11, 0), 0);
	/* len, not the NUL, decides. */
	assert_int_equal(pjwt_jws_is_compact("eyJ.a.bcd", 7, 0), 1);
	assert_int_equal(pjwt_jws_is_compact("eyJ.a.bcd", 6, 0), 0);
	/* Default bound is 8 KiB. */
	big = malloc(PJWT_DEFAULT_MAX_TOKEN + 2);
	memset(big, 'A', PJWT_DEFAULT_MAX_TOKEN + 1);
	memcpy(big, "eyJ.", 4);
	big[100] = '.';
	assert_int_equal(pjwt_jws_is_compact(big, PJWT_DEFAULT_MAX_TOKEN, 0), 1);
	assert_int_equal(pjwt_jws_is_compact(big, PJWT_DEFAULT_MAX_TOKEN + 1,
	    0), 0);
	assert_int_equal(pjwt_jws_is_compact(big, PJWT_DEFAULT_MAX_TOKEN + 1,
	    PJWT_DEFAULT_MAX_TOKEN + 1), 1);
	free(big);
	free(tok);
}

/* The HMAC compare covers every byte (constant time, but also correct). */
static void
test_hmac_every_byte(void **state)
{
	static const pjwt_alg algs[] = {
		PJWT_ALG_HS256, PJWT_ALG_HS384, PJWT_ALG_HS512,
	};
	size_t a, i;
	(void)state;

	for (a = 0; a < 3; a++) {
		const pjwt_key *k = tu_ckey(algs[a]);
		pjwt_keyset *ks = tu_keyset(k, NULL);
		char *tok = tok_for(k, NULL, NULL), *t;
		size_t siglen = 0;
		unsigned char *sig = tu_sig_of(tok, &siglen);

		assert_int_equal(siglen, pjwtp_alg_md_len(algs[a]));
		for (i = 0; i < siglen; i++) {
			sig[i] ^= 0x80;
			t = tu_with_sig(tok, sig, siglen);
			assert_pjwt(verify(ks, t), PJWT_E_BAD_SIGNATURE);
			free(t);
			sig[i] ^= 0x80;
		}
		/* An HS256 MAC truncated from HS512 is not HS256. */
		free(sig);
		free(tok);
		pjwt_keyset_free(ks);
	}
}

static int
group_teardown(void **state)
{
	(void)state;
	tu_keys_free();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_all_algs),
		cmocka_unit_test(test_independent_signer),
		cmocka_unit_test(test_sign_cross_check),
		cmocka_unit_test(test_pss_salt_length_exact),
		cmocka_unit_test(test_sign_arguments),
		cmocka_unit_test(test_verify_arguments),
		cmocka_unit_test(test_alg_none_any_casing),
		cmocka_unit_test(test_alg_unsupported_and_malformed),
		cmocka_unit_test(test_alg_not_allowed),
		cmocka_unit_test(test_hs256_with_public_key_bytes),
		cmocka_unit_test(test_kid_selection),
		cmocka_unit_test(test_crit_and_untrusted_headers),
		cmocka_unit_test(test_ecdsa_signature_attacks),
		cmocka_unit_test(test_signature_tampering),
		cmocka_unit_test(test_rsa_modulus_length),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_noncanonical_base64url),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_header_json_bounds),
		cmocka_unit_test(test_signed_input_is_original),
		cmocka_unit_test(test_is_compact),
		cmocka_unit_test(test_hmac_every_byte),
	};

	return cmocka_run_group_tests_name("jws", tests, NULL, group_teardown);
}
