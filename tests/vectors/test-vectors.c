/*
 * test-vectors.c - run every folder of tests/vectors through libpjwt.
 *
 * One cmocka test per folder (the test array is built at run time), in one
 * group.  The folder layout is described in tests/vectors/README.md:
 *   key.jwk     loaded with pjwt_key_from_jwk into a one-key keyset
 *   token       verified with pjwt_jws_verify (raw JWS: the RFC 7520
 *               payloads are not JWTs); the result must be `expect`
 *   payload     on success, the exact payload bytes
 *   algs        the allowed algorithms (pjwt_alg_list_parse); default all
 *   thumbprint  pjwt_key_thumbprint must give it
 *   signed      pjwt_jws_sign(key, NULL, payload) must give it byte for byte
 *
 *   PJWT_VECTORS=/abs/tests/vectors ./test-vectors [FILTER]
 * FILTER is a cmocka test-name pattern ("rfc7520*").
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <jansson.h>

#include "pjwt_err.h"
#include "pjwt_jws.h"
#include "pjwt_key.h"
#include "pjwt_mem.h"

#define MAX_FILE (64u * 1024u)

struct vcase {
	char *name;
	char *dir;
};

/* read_opt: whole file dir/name into a NUL-terminated buffer; NULL with
 * *ret_len 0 when it does not exist.  Any other error fails the test. */
static char *
read_opt(const char *dir, const char *name, size_t *ret_len)
{
	char path[4096];
	FILE *f;
	char *buf;
	size_t n;

	*ret_len = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		fail_msg("path too long: %s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL) {
		if (errno == ENOENT)
			return NULL;
		fail_msg("%s: %s", path, strerror(errno));
	}
	buf = malloc(MAX_FILE + 1);
	assert_non_null(buf);
	n = fread(buf, 1, MAX_FILE + 1, f);
	if (ferror(f) || n > MAX_FILE)
		fail_msg("%s: read error or larger than %u bytes", path, MAX_FILE);
	fclose(f);
	buf[n] = '\0';
	*ret_len = n;
	return buf;
}

/* One-line files (expect, algs, thumbprint, token): drop trailing newlines. */
static char *
read_line(const char *dir, const char *name, size_t *ret_len)
{
	char *s = read_opt(dir, name, ret_len);

	while (s != NULL && *ret_len > 0 &&
	    (s[*ret_len - 1] == '\n' || s[*ret_len - 1] == '\r'))
		s[--*ret_len] = '\0';
	return s;
}

static void
check_thumbprint(const struct vcase *vc, const pjwt_key *k, const char *jwk,
    size_t jwk_len)
{
	char *want, *got = NULL;
	size_t len;
	pjwt_err r;
	json_t *j;

	if ((want = read_line(vc->dir, "thumbprint", &len)) == NULL)
		return;
	r = pjwt_key_thumbprint(k, &got);
	if (r != PJWT_OK)
		fail_msg("%s: pjwt_key_thumbprint: %s", vc->name, pjwt_strerror(r));
	if (strcmp(got, want) != 0)
		fail_msg("%s: thumbprint %s, want %s", vc->name, got, want);
	/* Without a "kid" member the kid is the thumbprint (pjwt_key.h). */
	j = json_loadb(jwk, jwk_len, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(j);
	if (json_object_get(j, "kid") == NULL &&
	    strcmp(pjwt_key_kid(k), want) != 0)
		fail_msg("%s: kid %s, want the thumbprint %s", vc->name,
		    pjwt_key_kid(k), want);
	json_decref(j);
	free(got);
	free(want);
}

static void
check_verify(const struct vcase *vc, const pjwt_keyset *ks, const pjwt_key *k)
{
	char *token, *expect, *algs, *payload;
	size_t token_len, len, payload_len, got_len;
	const unsigned char *got_payload;
	const json_t *alg;
	unsigned mask = 0;
	pjwt_err want = PJWT_OK, r;
	pjwt_jws *jws = NULL;

	if ((token = read_line(vc->dir, "token", &token_len)) == NULL)
		return;
	if ((expect = read_line(vc->dir, "expect", &len)) == NULL)
		fail_msg("%s: token without expect", vc->name);
	if (strcmp(expect, "ok") == 0)
		want = PJWT_OK;
	else if (pjwt_err_from_name(expect, &want) != 0)
		fail_msg("%s: expect: unknown reason \"%s\"", vc->name, expect);
	if ((algs = read_line(vc->dir, "algs", &len)) != NULL &&
	    (r = pjwt_alg_list_parse(algs, &mask)) != PJWT_OK)
		fail_msg("%s: algs \"%s\": %s", vc->name, algs, pjwt_strerror(r));

	r = pjwt_jws_verify(ks, token, token_len, mask, 0, &jws);
	if (r != want)
		fail_msg("%s: pjwt_jws_verify: got %s, want %s", vc->name,
		    r == PJWT_OK ? "ok" : pjwt_strerror(r), expect);
	if (r == PJWT_OK) {
		assert_non_null(jws);
		if (pjwt_jws_key(jws) != k)
			fail_msg("%s: verified with another key", vc->name);
		alg = json_object_get(pjwt_jws_header(jws), "alg");
		if (!json_is_string(alg) || strcmp(json_string_value(alg),
		    pjwt_alg_name(pjwt_key_alg(k))) != 0)
			fail_msg("%s: header alg is not the key's", vc->name);
		payload = read_opt(vc->dir, "payload", &payload_len);
		if (payload != NULL) {
			got_payload = pjwt_jws_payload(jws, &got_len);
			if (got_len != payload_len ||
			    memcmp(got_payload, payload, payload_len) != 0)
				fail_msg("%s: payload differs (%zu bytes, want %zu)",
				    vc->name, got_len, payload_len);
		}
		free(payload);
	} else if (jws != NULL) {
		fail_msg("%s: *ret_jws set on failure", vc->name);
	}
	pjwt_jws_free(jws);
	free(algs);
	free(expect);
	free(token);
}

static void
check_sign(const struct vcase *vc, const pjwt_keyset *ks, const pjwt_key *k)
{
	char *want, *payload, *got = NULL;
	size_t want_len, payload_len;
	pjwt_jws *jws = NULL;
	pjwt_err r;

	if ((want = read_line(vc->dir, "signed", &want_len)) == NULL)
		return;
	if ((payload = read_opt(vc->dir, "payload", &payload_len)) == NULL)
		fail_msg("%s: signed without payload", vc->name);
	r = pjwt_jws_sign(k, NULL, payload, payload_len, &got);
	if (r != PJWT_OK)
		fail_msg("%s: pjwt_jws_sign: %s", vc->name, pjwt_strerror(r));
	if (strcmp(got, want) != 0)
		fail_msg("%s: pjwt_jws_sign output differs:\n  got  %s\n  want %s",
		    vc->name, got, want);
	/* And what we sign, we verify. */
	r = pjwt_jws_verify(ks, got, strlen(got), 0, 0, &jws);
	if (r != PJWT_OK)
		fail_msg("%s: own signature: %s", vc->name, pjwt_strerror(r));
	pjwt_jws_free(jws);
	pjwt_str_free(got);
	free(payload);
	free(want);
}

static void
run_case(void **state)
{
	const struct vcase *vc = *state;
	char *jwk;
	size_t jwk_len;
	pjwt_key *k = NULL;
	const pjwt_key *kb;
	pjwt_keyset *ks;
	pjwt_err r;

	if ((jwk = read_opt(vc->dir, "key.jwk", &jwk_len)) == NULL)
		fail_msg("%s: no key.jwk", vc->name);
	r = pjwt_key_from_jwk(jwk, jwk_len, PJWT_ALG_UNKNOWN, &k);
	if (r != PJWT_OK)
		fail_msg("%s: pjwt_key_from_jwk: %s", vc->name, pjwt_strerror(r));
	assert_non_null(ks = pjwt_keyset_new());
	r = pjwt_keyset_add(ks, k);
	if (r != PJWT_OK)
		fail_msg("%s: pjwt_keyset_add: %s", vc->name, pjwt_strerror(r));
	kb = pjwt_keyset_get(ks, 0);

	check_thumbprint(vc, kb, jwk, jwk_len);
	check_verify(vc, ks, kb);
	check_sign(vc, ks, kb);

	pjwt_keyset_free(ks);
	pjwt_secret_free(jwk, jwk_len);
}

static int
cmp_case(const void *a, const void *b)
{
	return strcmp(((const struct vcase *)a)->name,
	    ((const struct vcase *)b)->name);
}

int
main(int argc, char **argv)
{
	const char *root = getenv("PJWT_VECTORS");
	struct CMUnitTest *tests;
	struct vcase *cases = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	struct stat st;
	char path[4096];
	DIR *d;
	int rc;

	if (root == NULL || *root == '\0') {
		fprintf(stderr, "test-vectors: set PJWT_VECTORS to the tests/vectors "
		    "directory\n");
		return 1;
	}
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	if ((d = opendir(root)) == NULL) {
		fprintf(stderr, "test-vectors: %s: %s\n", root, strerror(errno));
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", root,
		    de->d_name) >= sizeof(path) || stat(path, &st) != 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			cases = realloc(cases, cap * sizeof(*cases));
			if (cases == NULL)
				abort();
		}
		cases[n].name = strdup(de->d_name);
		cases[n].dir = strdup(path);
		if (cases[n].name == NULL || cases[n].dir == NULL)
			abort();
		n++;
	}
	closedir(d);
	if (n == 0) {
		fprintf(stderr, "test-vectors: no vector folders in %s\n", root);
		return 1;
	}
	qsort(cases, n, sizeof(*cases), cmp_case);
	if ((tests = calloc(n, sizeof(*tests))) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = run_case;
		tests[i].initial_state = &cases[i];
	}
	rc = _cmocka_run_group_tests("vectors", tests, n, NULL, NULL);
	for (i = 0; i < n; i++) {
		free(cases[i].name);
		free(cases[i].dir);
	}
	free(cases);
	free(tests);
	return rc;
}
