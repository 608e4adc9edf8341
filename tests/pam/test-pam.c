/*
 * test-pam.c - pam_jwt.so through libpam, under pam_wrapper (no root needed).
 *
 * The program runs twice.  First without PJWT_PAM_FIXTURE: it creates a
 * scratch directory with keys, a JWKS, key-file variants, revoked lists, a
 * pam_matrix password file and one PAM service file per configuration and
 * stack, then runs itself again with LD_PRELOAD=libpam_wrapper.so (service
 * files must exist before pam_wrapper initialises), waits, and removes the
 * directory.  The second run holds the cmocka tests; tokens are made on the
 * spot with libpjwt (and OpenSSL for forged ones) so claims and times fit.
 *
 * Every configuration is installed as four stacks:
 *   NAME       auth required  pam_jwt + optional pam_permit: the module's own
 *              code reaches the application (PAM_IGNORE would turn into
 *              success: the CVE-2025-23013 class)
 *   NAME-suff  auth sufficient pam_jwt + required pam_matrix: token or password
 *   NAME-skip  auth [success=1 default=ignore] pam_jwt + requisite pam_deny
 *              + required pam_permit (Debian's common-auth shape)
 *   NAME-unix  auth sufficient pam_jwt + required pam_unix try_first_pass
 *   NAME-items auth optional pam_jwt + optional pam_get_items (PAM_AUTHTOK and
 *              the PAM environment become visible); account: pam_jwt alone
 * Every failure case runs under NAME, NAME-suff and NAME-skip.
 *
 * pam_wrapper writes pam_syslog lines to stderr ("SYSLOG(prio): msg") at
 * PAM_WRAPPER_DEBUGLEVEL=2; each run captures them to check the one log line
 * per attempt, its reason, and that no token or password is in it.
 *
 *   test-pam              all tests (TAP with CMOCKA_MESSAGE_OUTPUT=TAP)
 *   test-pam --valgrind   a subset under valgrind, leaks are errors
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <libpamtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <security/pam_appl.h>

#include "pjwt_b64.h"
#include "pjwt_jwt.h"
#include "pjwt_key.h"
#include "pjwt_mem.h"

#ifndef PJWT_PAM_MODULE
#error "PJWT_PAM_MODULE (absolute path of the built pam_jwt.so) must be defined"
#endif

#define ISS "https://issuer.test"
#define AUD "ssh"
#define USER "alice"
#define PASSWORD "correct horse battery"
#define JUNK "\b\n\r\177INCORRECT"   /* sshd's password for invalid users */
#define ANY_FAILURE (-2)     /* struct run.auth: any code but PAM_SUCCESS */

static char fixture[PATH_MAX];     /* the scratch directory */
static int quick;                  /* under valgrind: one stack per case */

/* ------------------------------------------------------------------ */
/* configurations                                                      */

#define BASE "jwks=@D/jwks.json issuer=" ISS " audience=" AUD

static const struct cfg {
	const char *name;
	const char *args;
} cfgs[] = {
	{ "base", BASE },
	{ "keyed", "key=@D/ed-pub.pem issuer=" ISS " audience=" AUD },
	{ "keyjwk", "key=@D/ed-pub.jwk issuer=" ISS " audience=" AUD },
	{ "hs", "key=@D/hs.jwk issuer=" ISS " audience=" AUD },
	{ "ufp", BASE " use_first_pass" },
	{ "tfp", BASE " try_first_pass" },
	{ "export", BASE " export_claims" },
	{ "revoked", BASE " revoked=@D/revoked.txt" },
	{ "revbad", BASE " revoked=@D/revoked-bad.txt" },
	{ "revgw", BASE " revoked=@D/revoked-gw.txt" },
	{ "revmiss", BASE " revoked=@D/no-such-revoked.txt" },
	{ "revnobody", BASE " revoked=@D/revoked-nobody.txt" },
	{ "revowner", BASE " revoked=@D/revoked-nobody.txt revoked_owner=65534" },
	{ "revownername", BASE " revoked=@D/revoked-nobody.txt revoked_owner=root" },
	{ "scope", BASE " scope=ssh" },
	{ "scope2", BASE " [scope=ssh sudo]" },
	{ "leeway0", BASE " leeway=0" },
	{ "maxage", BASE " max_age=60" },
	{ "typany", BASE " typ=any" },
	{ "typjwt", BASE " typ=JWT" },
	{ "algs", BASE " algorithms=ES256,RS256" },
	{ "uclaim", BASE " user_claim=preferred_username" },
	{ "prompt", BASE " [prompt=JWT please: ]" },
	{ "debug", BASE " debug" },
	{ "machine", BASE " allow_machine" },
	{ "kgw", "jwks=@D/jwks-gw.json issuer=" ISS " audience=" AUD },
	{ "klink", "jwks=@D/jwks-link.json issuer=" ISS " audience=" AUD },
	{ "kmiss", "jwks=@D/no-such-jwks.json issuer=" ISS " audience=" AUD },
	{ "kdir", "jwks=@D/adir issuer=" ISS " audience=" AUD },
	{ "kgarbage", "jwks=@D/jwks-garbage.json issuer=" ISS " audience=" AUD },
	{ "kempty", "jwks=@D/jwks-empty.json issuer=" ISS " audience=" AUD },
	{ "kopendir", "jwks=@D/open/jwks.json issuer=" ISS " audience=" AUD },
	{ "klinkopen", "jwks=@D/open/link/jwks.json issuer=" ISS " audience=" AUD },
	{ "klinksafe", "jwks=@D/link/jwks.json issuer=" ISS " audience=" AUD },
	{ "kowner", "jwks=@D/jwks-nobody.json issuer=" ISS " audience=" AUD },
	{ "kpriv", "key=@D/ed.pem issuer=" ISS " audience=" AUD },
	/* Secrets (HMAC, private keys) that group or others may read. */
	{ "khsread", "key=@D/hs-read.jwk issuer=" ISS " audience=" AUD },
	{ "kprivread", "key=@D/ed-read.pem issuer=" ISS " audience=" AUD },
	{ "jhs", "jwks=@D/jwks-hs.json issuer=" ISS " audience=" AUD },
	{ "jhsread", "jwks=@D/jwks-hs-read.json issuer=" ISS " audience=" AUD },
	/* configuration errors: PAM_SERVICE_ERR */
	{ "c-unknown", BASE " frobnicate" },
	{ "c-unknownval", BASE " nullok=1" },
	{ "c-noiss", "jwks=@D/jwks.json audience=" AUD },
	{ "c-noaud", "jwks=@D/jwks.json issuer=" ISS },
	{ "c-nokey", "issuer=" ISS " audience=" AUD },
	{ "c-both", BASE " key=@D/ed-pub.pem" },
	{ "c-leeway-abc", BASE " leeway=abc" },
	{ "c-leeway-neg", BASE " leeway=-1" },
	{ "c-leeway-big", BASE " leeway=86401" },
	{ "c-leeway-hex", BASE " leeway=0x10" },
	{ "c-maxage", BASE " max_age=60s" },
	{ "c-algnone", BASE " algorithms=none" },
	{ "c-algNone", BASE " algorithms=EdDSA,NONE" },
	{ "c-algbad", BASE " algorithms=HS999" },
	{ "c-typempty", BASE " typ=" },
	{ "c-flagval", BASE " debug=yes" },
	{ "c-novalue", "jwks=@D/jwks.json issuer audience=" AUD },
	{ "c-relpath", "jwks=jwks.json issuer=" ISS " audience=" AUD },
	{ "c-ufptfp", BASE " use_first_pass try_first_pass" },
	{ "c-dup", BASE " issuer=https://evil.test" },
	{ "c-scope", BASE " [scope=ssh  sudo]" },
	{ "c-issspace", "jwks=@D/jwks.json [issuer=a b] audience=" AUD },
	{ "c-revowner", BASE " revoked_owner=root" },
	{ "c-machineval", BASE " allow_machine=1" },
	{ "c-revowner-unknown", BASE " revoked=@D/revoked.txt "
	    "revoked_owner=no-such-user-pjwt" },
};

/* ------------------------------------------------------------------ */
/* small helpers                                                       */

static char *xasprintf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	return s;
}

static char *
path_of(const char *name)
{
	return xasprintf("%s/%s", fixture, name);
}

static void
write_file(const char *name, const char *data, size_t len, mode_t mode)
{
	char *p = path_of(name);
	int fd;

	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len ||
	    fchmod(fd, mode) != 0 || close(fd) != 0) {
		fprintf(stderr, "write %s: %s\n", p, strerror(errno));
		exit(99);
	}
	free(p);
}

static void
write_str(const char *name, const char *s, mode_t mode)
{
	write_file(name, s, strlen(s), mode);
}

static char *
read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	return buf;
}

/* Replace every @D by the fixture directory, @P by the pam_wrapper modules. */
static char *
expand(const char *s, const char *pwmods)
{
	size_t cap = strlen(s) * 4 + PATH_MAX * 4, n = 0;
	char *out = malloc(cap);

	if (out == NULL)
		abort();
	while (*s != '\0') {
		const char *rep = NULL;

		if (s[0] == '@' && s[1] == 'D')
			rep = fixture;
		else if (s[0] == '@' && s[1] == 'P')
			rep = pwmods;
		if (rep != NULL) {
			size_t l = strlen(rep);

			if (n + l + 1 >= cap)
				abort();
			memcpy(out + n, rep, l);
			n += l;
			s += 2;
		} else {
			if (n + 2 >= cap)
				abort();
			out[n++] = *s++;
		}
	}
	out[n] = '\0';
	return out;
}

/* ------------------------------------------------------------------ */
/* fixture (first run, before pam_wrapper)                             */

static void
save_key(const pjwt_key *k, const char *name, int priv, int jwk)
{
	char *s = NULL;
	pjwt_err e;

	e = jwk ? pjwt_key_to_jwk(k, priv, &s) : pjwt_key_to_pem(k, priv, &s);
	if (e != PJWT_OK) {
		fprintf(stderr, "serialise %s: %s\n", name, pjwt_strerror(e));
		exit(99);
	}
	write_str(name, s, 0600);
	pjwt_str_free(s);
}

static pjwt_key *
gen(pjwt_alg alg)
{
	pjwt_key *k = NULL;
	pjwt_err e = pjwt_key_generate(alg, alg == PJWT_ALG_RS256 ? 2048 : 0, &k);

	if (e != PJWT_OK) {
		fprintf(stderr, "keygen %s: %s\n", pjwt_alg_name(alg),
		    pjwt_strerror(e));
		exit(99);
	}
	return k;
}

static const char *
find_pwmods(void)
{
	static char buf[PATH_MAX];
	static const char *const cands[] = {
		"/usr/lib/x86_64-linux-gnu/pam_wrapper", "/usr/lib64/pam_wrapper",
		"/usr/lib/pam_wrapper", "/usr/local/lib/pam_wrapper",
	};
	FILE *p = popen("pkg-config --variable=modules pam_wrapper 2>/dev/null",
	    "r");
	size_t i;

	if (p != NULL) {
		if (fgets(buf, sizeof(buf), p) != NULL) {
			buf[strcspn(buf, "\n")] = '\0';
			if (buf[0] == '/')
				strcat(buf, "/pam_matrix.so");
		}
		pclose(p);
		if (buf[0] == '/' && access(buf, R_OK) == 0) {
			*strrchr(buf, '/') = '\0';
			return buf;
		}
	}
	for (i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		snprintf(buf, sizeof(buf), "%s/pam_matrix.so", cands[i]);
		if (access(buf, R_OK) == 0)
			return cands[i];
	}
	return NULL;
}

static void
write_services(const char *pwmods)
{
	char *dir = path_of("services");
	size_t i;

	if (mkdir(dir, 0700) != 0)
		exit(99);
	free(dir);
	write_str("services/other", "auth required pam_deny.so\n"
	    "account required pam_deny.so\n", 0644);
	for (i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		char *args = expand(cfgs[i].args, pwmods), *name, *body;
		const char *mod = PJWT_PAM_MODULE;

		name = xasprintf("services/%s", cfgs[i].name);
		body = xasprintf(
		    "auth required %s/pam_set_items.so\n"
		    "auth required %s %s\n"
		    "auth optional pam_permit.so\n"
		    "account required %s %s\n"
		    "account optional pam_permit.so\n"
		    "session optional %s %s\n",
		    pwmods, mod, args, mod, args, mod, args);
		write_str(name, body, 0644);
		free(name);
		free(body);

		name = xasprintf("services/%s-suff", cfgs[i].name);
		body = xasprintf(
		    "auth required %s/pam_set_items.so\n"
		    "auth sufficient %s %s\n"
		    "auth required %s/pam_matrix.so passdb=%s/passdb\n"
		    "account required %s %s\n"
		    "account optional pam_permit.so\n",
		    pwmods, mod, args, pwmods, fixture, mod, args);
		write_str(name, body, 0644);
		free(name);
		free(body);

		name = xasprintf("services/%s-skip", cfgs[i].name);
		body = xasprintf(
		    "auth required %s/pam_set_items.so\n"
		    "auth [success=1 default=ignore] %s %s\n"
		    "auth requisite pam_deny.so\n"
		    "auth required pam_permit.so\n"
		    "account required %s %s\n"
		    "account optional pam_permit.so\n",
		    pwmods, mod, args, mod, args);
		write_str(name, body, 0644);
		free(name);
		free(body);

		/* pam_unix as the stacks we ship use it: it takes
		 * PAM_AUTHTOK when set and prompts only otherwise (alice has
		 * no account here, so it never succeeds). */
		name = xasprintf("services/%s-unix", cfgs[i].name);
		body = xasprintf(
		    "auth required %s/pam_set_items.so\n"
		    "auth sufficient %s %s\n"
		    "auth required pam_unix.so try_first_pass\n"
		    "account required %s %s\n",
		    pwmods, mod, args, mod, args);
		write_str(name, body, 0644);
		free(name);
		free(body);

		name = xasprintf("services/%s-items", cfgs[i].name);
		body = xasprintf(
		    "auth required %s/pam_set_items.so\n"
		    "auth optional %s %s\n"
		    "auth optional %s/pam_get_items.so\n"
		    "account required %s %s\n",
		    pwmods, mod, args, pwmods, mod, args);
		write_str(name, body, 0644);
		free(name);
		free(body);
		free(args);
	}
}

static void
make_fixture(const char *pwmods)
{
	pjwt_key *ed, *ed2, *es, *rs, *hs, *other;
	pjwt_keyset *ks;
	char *json = NULL, *p, *q;
	const char *tmp = getenv("TMPDIR");

	snprintf(fixture, sizeof(fixture), "%s/pjwt-pam.XXXXXX",
	    tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	if (mkdtemp(fixture) == NULL) {
		perror("mkdtemp");
		exit(99);
	}
	ed = gen(PJWT_ALG_EDDSA);
	ed2 = gen(PJWT_ALG_EDDSA);
	es = gen(PJWT_ALG_ES256);
	rs = gen(PJWT_ALG_RS256);
	hs = gen(PJWT_ALG_HS256);
	other = gen(PJWT_ALG_EDDSA);
	save_key(ed, "ed.pem", 1, 0);
	save_key(ed2, "ed2.pem", 1, 0);
	save_key(es, "es.pem", 1, 0);
	save_key(rs, "rs.pem", 1, 0);
	save_key(hs, "hs.jwk", 1, 1);
	save_key(other, "other.pem", 1, 0);
	save_key(ed, "ed-pub.pem", 0, 0);
	save_key(ed, "ed-pub.jwk", 0, 1);
	save_key(rs, "rs-pub.pem", 0, 0);
	if (pjwt_key_to_jwk(hs, 1, &json) != PJWT_OK ||
	    pjwt_key_to_pem(ed, 1, &p) != PJWT_OK)
		exit(99);
	write_str("hs-read.jwk", json, 0644);
	write_str("ed-read.pem", p, 0640);
	q = xasprintf("{\"keys\":[%s]}", json);
	write_str("jwks-hs.json", q, 0600);
	write_str("jwks-hs-read.json", q, 0604);
	free(q);
	pjwt_str_free(p);
	pjwt_str_free(json);
	json = NULL;
	if ((ks = pjwt_keyset_new()) == NULL ||
	    pjwt_keyset_add(ks, ed) != PJWT_OK ||
	    pjwt_keyset_add(ks, ed2) != PJWT_OK ||
	    pjwt_keyset_add(ks, es) != PJWT_OK ||
	    pjwt_keyset_add(ks, rs) != PJWT_OK ||
	    pjwt_keyset_to_jwks(ks, &json) != PJWT_OK) {
		fprintf(stderr, "jwks\n");
		exit(99);
	}
	write_str("jwks.json", json, 0644);
	write_str("jwks-gw.json", json, 0664);
	write_str("jwks-garbage.json", "{\"keys\":[{\"kty\":", 0644);
	write_str("jwks-empty.json", "{\"keys\":[]}", 0644);
	write_str("jwks-nobody.json", json, 0644);
	p = path_of("jwks-nobody.json");
	if (geteuid() == 0 && chown(p, 65534, 65534) != 0)
		exit(99);
	free(p);
	p = path_of("jwks.json");
	q = path_of("jwks-link.json");
	if (symlink(p, q) != 0)
		exit(99);
	free(p);
	free(q);
	p = path_of("adir");
	if (mkdir(p, 0755) != 0)
		exit(99);
	free(p);
	p = path_of("open");
	if (mkdir(p, 0755) != 0 || chmod(p, 0777) != 0)
		exit(99);
	free(p);
	write_str("open/jwks.json", json, 0644);
	/* Directory links: one where anyone could re-point it, one safe. */
	p = path_of("open/link");
	q = path_of("link");
	if (symlink(fixture, p) != 0 || symlink(fixture, q) != 0)
		exit(99);
	free(p);
	free(q);
	free(json);
	pjwt_keyset_free(ks);
	pjwt_key_free(hs);
	pjwt_key_free(other);

	write_str("revoked.txt", "# revoked access tokens\n\n"
	    "jti-revoked-1 4102444800\n"
	    "jti-revoked-2\n", 0644);
	write_str("revoked-bad.txt", "jti-fine 4102444800\n"
	    "jti-broken 12:00\n", 0644);
	write_str("revoked-gw.txt", "jti-revoked-1\n", 0666);
	write_str("revoked-nobody.txt", "jti-revoked-1\n", 0644);
	p = path_of("revoked-nobody.txt");
	if (geteuid() == 0 && chown(p, 65534, 65534) != 0)
		exit(99);
	free(p);
	write_str("passdb", USER ":" PASSWORD ":base-suff\n", 0600);
	write_services(pwmods);
	/* Account checks a list other than the one auth read. */
	p = xasprintf("auth required %s jwks=%s/jwks.json issuer=" ISS
	    " audience=" AUD " revoked=%s/revoked.txt revoked_owner=65534\n"
	    "account required %s revoked=%s/revoked-nobody.txt\n",
	    PJWT_PAM_MODULE, fixture, fixture, PJWT_PAM_MODULE, fixture);
	write_str("services/revpair", p, 0644);
	free(p);
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* ------------------------------------------------------------------ */
/* tokens (second run)                                                 */

static long long now_s;
static unsigned jti_counter;

static pjwt_key *
load_key(const char *name)
{
	char *p = path_of(name), *buf = read_text(p);
	pjwt_key *k = NULL;

	assert_non_null(buf);
	assert_int_equal(pjwt_key_load(buf, strlen(buf), PJWT_ALG_UNKNOWN, &k),
	    PJWT_OK);
	pjwt_str_free(buf);
	free(p);
	return k;
}

/*
 * A token signed by the key in file keyname: the standard claims (iss, aud,
 * sub alice, iat now, exp now+300, a fresh jti, scope "ssh"), then the
 * members of the JSON object `over` (a null value removes the claim).
 */
static char *
token_ex(const char *keyname, const char *typ, const char *over)
{
	pjwt_key *k = load_key(keyname);
	json_t *c, *o;
	char *tok = NULL, jti[32];

	snprintf(jti, sizeof(jti), "jti-%u-%ld", ++jti_counter, (long)getpid());
	c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s}", "iss", ISS,
	    "aud", AUD, "sub", USER, "iat", (json_int_t)now_s,
	    "exp", (json_int_t)(now_s + 300), "jti", jti, "scope", "ssh");
	assert_non_null(c);
	if (over != NULL) {
		const char *key;
		json_t *v;

		o = json_loads(over, 0, NULL);
		assert_non_null(o);
		json_object_foreach(o, key, v) {
			if (json_is_null(v))
				json_object_del(c, key);
			else
				json_object_set(c, key, v);
		}
		json_decref(o);
	}
	assert_int_equal(pjwt_sign(k, typ, c, &tok), PJWT_OK);
	json_decref(c);
	pjwt_key_free(k);
	return tok;
}

static char *
token(const char *over)
{
	return token_ex("ed.pem", "at+jwt", over);
}

static char *
b64(const void *p, size_t n)
{
	char *out = NULL;
	size_t len;

	assert_int_equal(pjwt_b64url_encode(p, n, &out, &len), PJWT_OK);
	return out;
}

static const char *
kid_of(const char *keyname)
{
	static char kid[256];
	pjwt_key *k = load_key(keyname);

	snprintf(kid, sizeof(kid), "%s", pjwt_key_kid(k));
	pjwt_key_free(k);
	return kid;
}

/*
 * A hand-made token: base64url(header).base64url(payload).SIG where SIG is
 * an Ed25519 signature with key file `signer` ("ed.pem", ...), an HMAC-SHA256
 * with the bytes of file `hmac_file` as the secret, or the literal
 * base64url `raw_sig` (may be "").
 */
static char *
forge(const char *header, const char *payload, const char *signer,
    const char *hmac_file, const char *raw_sig)
{
	char *h = b64(header, strlen(header)), *p = b64(payload, strlen(payload));
	char *input = xasprintf("%s.%s", h, p), *sig, *tok;
	unsigned char sigbuf[512];
	size_t siglen = sizeof(sigbuf);

	if (signer != NULL) {
		char *path = path_of(signer);
		FILE *f = fopen(path, "r");
		EVP_PKEY *pk;
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		assert_non_null(f);
		pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		assert_non_null(pk);
		assert_int_equal(EVP_DigestSignInit(md, NULL,
		    EVP_PKEY_get_id(pk) == EVP_PKEY_ED25519 ? NULL : EVP_sha256(),
		    NULL, pk), 1);
		assert_int_equal(EVP_DigestSign(md, sigbuf, &siglen,
		    (const unsigned char *)input, strlen(input)), 1);
		EVP_MD_CTX_free(md);
		EVP_PKEY_free(pk);
		free(path);
		sig = b64(sigbuf, siglen);
	} else if (hmac_file != NULL) {
		char *path = path_of(hmac_file), *secret = read_text(path);
		unsigned int mdlen = 0;

		assert_non_null(secret);
		assert_non_null(HMAC(EVP_sha256(), secret, (int)strlen(secret),
		    (const unsigned char *)input, strlen(input), sigbuf, &mdlen));
		sig = b64(sigbuf, mdlen);
		free(secret);
		free(path);
	} else {
		sig = strdup(raw_sig);
	}
	tok = xasprintf("%s.%s", input, sig);
	free(h);
	free(p);
	free(input);
	free(sig);
	return tok;
}

static char *
std_payload(const char *extra)
{
	return xasprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\","
	    "\"sub\":\"" USER "\",\"iat\":%lld,\"exp\":%lld,"
	    "\"jti\":\"forged-%u\",\"scope\":\"ssh\"%s%s}", now_s, now_s + 300,
	    ++jti_counter, extra != NULL ? "," : "", extra != NULL ? extra : "");
}

/* ------------------------------------------------------------------ */
/* running PAM                                                         */

struct conv_state {
	const char *const *answers;    /* NULL-terminated */
	size_t next;
	size_t prompts;
	char last_prompt[256];
};

static int
test_conv(int n, const struct pam_message **msg, struct pam_response **resp,
    void *data)
{
	struct conv_state *cs = data;
	struct pam_response *r;
	int i;

	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	if ((r = calloc((size_t)n, sizeof(*r))) == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF &&
		    msg[i]->msg_style != PAM_PROMPT_ECHO_ON)
			continue;
		cs->prompts++;
		snprintf(cs->last_prompt, sizeof(cs->last_prompt), "%s",
		    msg[i]->msg);
		/* No answer left: the conversation fails, as a client
		 * that hangs up would. */
		if (cs->answers == NULL || cs->answers[cs->next] == NULL) {
			int j;

			for (j = 0; j < i; j++)
				free(r[j].resp);
			free(r);
			return PAM_CONV_ERR;
		}
		r[i].resp = strdup(cs->answers[cs->next++]);
	}
	*resp = r;
	return PAM_SUCCESS;
}

struct run {
	const char *service;
	const char *user;              /* NULL: alice */
	const char *answers[4];
	int auth;                      /* expected pam_authenticate */
	int acct;                      /* expected pam_acct_mgmt, or -1: skip */
	int env;                       /* fetch the PAM environment */
	/* results */
	struct conv_state cs;
	char *log;
	char **envlist;
	int auth_rv, acct_rv;
};

static FILE *cap_file;
static int cap_saved = -1;

static void
capture_start(void)
{
	fflush(stderr);
	cap_file = tmpfile();
	assert_non_null(cap_file);
	cap_saved = dup(STDERR_FILENO);
	dup2(fileno(cap_file), STDERR_FILENO);
}

static char *
capture_stop(void)
{
	char *buf;
	long n;

	fflush(stderr);
	dup2(cap_saved, STDERR_FILENO);
	close(cap_saved);
	fseek(cap_file, 0, SEEK_END);
	n = ftell(cap_file);
	fseek(cap_file, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	if (n > 0 && fread(buf, 1, (size_t)n, cap_file) != (size_t)n)
		abort();
	fclose(cap_file);
	return buf;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t c = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		c++;
	return c;
}

/* Secrets never reach the log: no answer, no signature segment. */
static void
assert_no_secrets(const struct run *r)
{
	size_t i;

	for (i = 0; r->answers[i] != NULL; i++) {
		const char *a = r->answers[i], *dot = strrchr(a, '.');

		if (strlen(a) >= 8 && strstr(r->log, a) != NULL)
			fail_msg("log holds a credential: %s", r->log);
		if (dot != NULL && strlen(dot + 1) >= 8 &&
		    strstr(r->log, dot + 1) != NULL)
			fail_msg("log holds a signature: %s", r->log);
	}
}

static void
run_free(struct run *r)
{
	free(r->log);
	r->log = NULL;
	pamtest_free_env(r->envlist);
	r->envlist = NULL;
}

/*
 * Run pam_authenticate (and pam_acct_mgmt, and pam_getenvlist) on one
 * handle; assert the expected codes, exactly one auth log line for each
 * pam_jwt line that ran, and no secrets in the log.
 */
static void
run_pam(struct run *r)
{
	struct pam_testcase tc[3];
	size_t n = 0;
	enum pamtest_err perr;

	memset(tc, 0, sizeof(tc));
	memset(&r->cs, 0, sizeof(r->cs));
	r->cs.answers = r->answers;
	tc[n].pam_operation = PAMTEST_AUTHENTICATE;
	tc[n++].expected_rv = r->auth == ANY_FAILURE ? PAM_AUTH_ERR : r->auth;
	if (r->acct >= 0) {
		tc[n].pam_operation = PAMTEST_ACCOUNT;
		tc[n++].expected_rv = r->acct;
	}
	if (r->env) {
		tc[n].pam_operation = PAMTEST_GETENVLIST;
		tc[n++].expected_rv = 0;
	}
	capture_start();
	perr = _pamtest_conv(r->service, r->user != NULL ? r->user : USER,
	    test_conv, &r->cs, tc, n, NULL);
	r->log = capture_stop();
	r->auth_rv = tc[0].op_rv;
	r->acct_rv = r->acct >= 0 ? tc[1].op_rv : -1;
	if (r->env)
		r->envlist = tc[n - 1].case_out.envlist;
	if (perr == PAMTEST_ERR_CASE && r->auth == ANY_FAILURE &&
	    r->auth_rv != PAM_SUCCESS && r->acct < 0 && !r->env)
		perr = PAMTEST_ERR_OK;
	if (perr != PAMTEST_ERR_OK)
		fail_msg("%s: %s: auth %d (want %d: %s), acct %d (want %d)\n"
		    "log:\n%s", r->service, pamtest_strerror(perr), r->auth_rv,
		    r->auth, pam_strerror(NULL, r->auth), r->acct_rv, r->acct,
		    r->log);
	assert_no_secrets(r);
	/* pam_jwt's attempt lines carry "service=": at most one per auth. */
	if (count(r->log, " service=") > 1)
		fail_msg("more than one log line for one attempt:\n%s", r->log);
}

static void
assert_log(const struct run *r, const char *needle)
{
	if (strstr(r->log, needle) == NULL)
		fail_msg("%s: log lacks \"%s\":\n%s", r->service, needle, r->log);
}

static const char *
env_get(char **env, const char *name)
{
	size_t l = strlen(name);

	for (; env != NULL && *env != NULL; env++)
		if (strncmp(*env, name, l) == 0 && (*env)[l] == '=')
			return *env + l + 1;
	return NULL;
}

/*
 * A credential that must not log in: under the required stack pam_jwt's
 * own code `code` must reach the application and the log must say
 * `reason` (when not NULL); under the sufficient stack (a wrong password
 * follows for pam_matrix) and the [success=1 default=ignore] stack the
 * result must not be PAM_SUCCESS either.
 */
static void
refuse3(const char *cfg, const char *answer, int code, const char *reason)
{
	struct run r;
	char *svc;

	memset(&r, 0, sizeof(r));
	r.service = cfg;
	r.answers[0] = answer;
	r.auth = code;
	r.acct = -1;
	run_pam(&r);
	if (reason != NULL && strcmp(reason, "not_a_jwt") == 0) {
		/* A password handed on is not a refusal: no line unless
		 * debug (the stacks here have none). */
		if (strstr(r.log, "refused: service=") != NULL ||
		    strstr(r.log, "not_a_jwt") != NULL)
			fail_msg("%s: a password was logged as refused:\n%s",
			    cfg, r.log);
	} else if (reason != NULL) {
		char *want = xasprintf("reason=%s", reason);

		assert_log(&r, want);
		free(want);
	}
	if (code != PAM_SERVICE_ERR &&
	    (reason == NULL || strcmp(reason, "not_a_jwt") != 0))
		assert_log(&r, "refused: service=");
	run_free(&r);
	if (quick)
		return;

	svc = xasprintf("%s-suff", cfg);
	memset(&r, 0, sizeof(r));
	r.service = svc;
	r.answers[0] = answer;
	r.answers[1] = "wrong password";
	r.answers[2] = "wrong password";
	r.auth = ANY_FAILURE;
	r.acct = -1;
	run_pam(&r);
	assert_int_not_equal(r.auth_rv, PAM_SUCCESS);
	run_free(&r);
	free(svc);

	svc = xasprintf("%s-skip", cfg);
	memset(&r, 0, sizeof(r));
	r.service = svc;
	r.answers[0] = answer;
	r.auth = ANY_FAILURE;
	r.acct = -1;
	run_pam(&r);
	assert_int_not_equal(r.auth_rv, PAM_SUCCESS);
	run_free(&r);
	free(svc);
}

/* A token that must log in under all three stacks. */
static void
accept3(const char *cfg, const char *answer)
{
	static const char *const suffix[] = { "", "-suff", "-skip" };
	size_t i;

	for (i = 0; i < (quick ? 1u : 3u); i++) {
		struct run r;
		char *svc = xasprintf("%s%s", cfg, suffix[i]);

		memset(&r, 0, sizeof(r));
		r.service = svc;
		r.answers[0] = answer;
		r.auth = PAM_SUCCESS;
		r.acct = PAM_SUCCESS;
		run_pam(&r);
		assert_log(&r, "accepted: service=");
		assert_log(&r, " reason=ok ");
		assert_int_equal(r.cs.prompts, 1);
		run_free(&r);
		free(svc);
	}
}

/* A run with default fields: service, one answer, expected auth code. */
static struct run
run1(const char *service, const char *answer, int auth)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	r.service = service;
	r.answers[0] = answer;
	r.auth = auth;
	r.acct = -1;
	return r;
}

/* Keep the handle after authentication, for calls made by hand. */
static pam_handle_t *
auth_keep(const char *service, const char *answer, struct conv_state *cs)
{
	static const char *ans[2];
	struct pam_testcase tc[2];
	enum pamtest_err perr;
	char *log;

	memset(tc, 0, sizeof(tc));
	memset(cs, 0, sizeof(*cs));
	ans[0] = answer;
	ans[1] = NULL;
	cs->answers = ans;
	tc[0].pam_operation = PAMTEST_AUTHENTICATE;
	tc[0].expected_rv = PAM_SUCCESS;
	tc[1].pam_operation = PAMTEST_KEEPHANDLE;
	capture_start();
	perr = _pamtest_conv(service, USER, test_conv, cs, tc, 2, NULL);
	log = capture_stop();
	if (perr != PAMTEST_ERR_OK)
		fail_msg("%s: %s (%d)\n%s", service, pamtest_strerror(perr),
		    tc[0].op_rv, log);
	free(log);
	return tc[1].case_out.ph;
}

static int
set_now(void **state)
{
	(void)state;
	now_s = (long long)time(NULL);
	return 0;
}

/* ------------------------------------------------------------------ */
/* the tests                                                           */

static void
vg_accept_eddsa(void **state)
{
	char *tok = token(NULL), *want;
	struct run r;

	(void)state;
	accept3("base", tok);
	/* The log line names kid, jti and iss, at LOG_INFO. */
	r = run1("base", tok, PAM_SUCCESS);
	setenv("PAM_RHOST", "192.0.2.7", 1);
	run_pam(&r);
	unsetenv("PAM_RHOST");
	want = xasprintf("kid=%s ", kid_of("ed.pem"));
	assert_log(&r, want);
	assert_log(&r, "SYSLOG(6): accepted: service=base user=alice "
	    "rhost=192.0.2.7 reason=ok");
	assert_log(&r, " jti=jti-");
	assert_log(&r, " iss=" ISS);
	free(want);
	run_free(&r);
	pjwt_str_free(tok);
}

static void
vg_accept_es256_rs256(void **state)
{
	char *es = token_ex("es.pem", "at+jwt", NULL);
	char *rs = token_ex("rs.pem", "at+jwt", NULL);
	char *ed2 = token_ex("ed2.pem", "at+jwt", NULL);

	(void)state;
	accept3("base", es);
	accept3("base", rs);
	accept3("base", ed2);
	pjwt_str_free(es);
	pjwt_str_free(rs);
	pjwt_str_free(ed2);
}

static void
accept_key_files(void **state)
{
	char *ed = token(NULL), *es = token_ex("es.pem", "at+jwt", NULL);
	char *hs = token_ex("hs.jwk", "at+jwt", NULL);

	(void)state;
	accept3("keyed", ed);
	accept3("keyjwk", ed);
	accept3("hs", hs);
	/* A private key file works as the verification key too. */
	accept3("kpriv", ed);
	/* key= holds one key: an ES256 token finds none there. */
	refuse3("keyed", es, PAM_AUTH_ERR, NULL);
	/* The HS256 key is not in the JWKS. */
	refuse3("base", hs, PAM_AUTH_ERR, NULL);
	pjwt_str_free(ed);
	pjwt_str_free(es);
	pjwt_str_free(hs);
}

static void
vg_setcred_after_success(void **state)
{
	char *tok = token(NULL);
	struct conv_state cs;
	pam_handle_t *ph = auth_keep("base", tok, &cs);

	(void)state;
	assert_int_equal(pam_setcred(ph, PAM_ESTABLISH_CRED), PAM_SUCCESS);
	/* The session stack is pam_jwt alone: PAM_IGNORE from the only
	 * module is what libpam reports as PAM_PERM_DENIED. */
	assert_int_equal(pam_open_session(ph, 0), PAM_PERM_DENIED);
	assert_int_equal(pam_close_session(ph, 0), PAM_PERM_DENIED);
	pam_end(ph, PAM_SUCCESS);
	pjwt_str_free(tok);
}

static void
vg_password_goes_to_next_module(void **state)
{
	struct run r;

	(void)state;
	/* Token-or-password: sufficient pam_jwt, then pam_matrix. */
	memset(&r, 0, sizeof(r));
	r.service = "base-suff";
	r.answers[0] = PASSWORD;
	r.answers[1] = PASSWORD;
	r.auth = PAM_SUCCESS;
	r.acct = -1;
	run_pam(&r);
	/* Handed on, not refused: no line without debug. */
	assert_null(strstr(r.log, "refused: service="));
	assert_null(strstr(r.log, "not_a_jwt"));
	run_free(&r);
	r = run1("debug-suff", PASSWORD, PAM_SUCCESS);
	r.answers[1] = PASSWORD;
	run_pam(&r);
	assert_null(strstr(r.log, "refused: service="));
	assert_log(&r, "SYSLOG(7): passed on: service=debug-suff user=alice "
	    "rhost=- reason=not_a_jwt");
	run_free(&r);

	/* pam_unix try_first_pass takes it without asking again. */
	r = run1("base-unix", PASSWORD, ANY_FAILURE);
	r.answers[1] = PASSWORD;
	run_pam(&r);
	assert_int_equal(r.cs.prompts, 1);
	run_free(&r);

	r = run1("base-suff", "wrong password", PAM_AUTH_ERR);
	r.answers[1] = "wrong password";
	run_pam(&r);
	run_free(&r);

	/* The password we prompted for becomes PAM_AUTHTOK. */
	r = run1("base-items", PASSWORD, PAM_SUCCESS);
	r.env = 1;
	run_pam(&r);
	assert_non_null(env_get(r.envlist, "PAM_AUTHTOK"));
	assert_string_equal(env_get(r.envlist, "PAM_AUTHTOK"), PASSWORD);
	run_free(&r);
}

static void
vg_token_never_stored(void **state)
{
	char *tok = token(NULL), *bad = token("{\"sub\":\"bob\"}");
	struct run r;

	(void)state;
	r = run1("base-items", tok, PAM_SUCCESS);
	r.env = 1;
	run_pam(&r);
	assert_null(env_get(r.envlist, "PAM_AUTHTOK"));
	run_free(&r);
	r = run1("base-items", bad, PAM_SUCCESS);
	r.env = 1;
	run_pam(&r);
	/* A refused token is replaced by a value no password can be. */
	assert_non_null(env_get(r.envlist, "PAM_AUTHTOK"));
	assert_null(strstr(env_get(r.envlist, "PAM_AUTHTOK"), bad));
	assert_null(strstr(env_get(r.envlist, "PAM_AUTHTOK"), "eyJ"));
	run_free(&r);
	pjwt_str_free(tok);
	pjwt_str_free(bad);
}

static void
vg_junk_and_empty(void **state)
{
	(void)state;
	refuse3("base", JUNK, PAM_AUTH_ERR, "not_a_jwt");
	refuse3("base", "", PAM_AUTH_ERR, "no_token");
	refuse3("base", "hunter2", PAM_AUTH_ERR, "not_a_jwt");
	/* The conversation fails (client gone): no answer at all. */
	refuse3("base", NULL, PAM_CONV_ERR, "conversation_failed");
}

static void
use_first_pass(void **state)
{
	char *tok = token(NULL);
	struct run r;

	(void)state;
	setenv("PAM_AUTHTOK", tok, 1);
	r = run1("ufp", NULL, PAM_SUCCESS);
	run_pam(&r);
	assert_int_equal(r.cs.prompts, 0);
	assert_log(&r, "reason=ok");
	run_free(&r);
	r = run1("ufp-skip", NULL, PAM_SUCCESS);
	run_pam(&r);
	run_free(&r);

	setenv("PAM_AUTHTOK", PASSWORD, 1);
	r = run1("ufp", NULL, PAM_AUTH_ERR);
	run_pam(&r);
	assert_int_equal(r.cs.prompts, 0);
	assert_null(strstr(r.log, "refused: service="));
	run_free(&r);

	unsetenv("PAM_AUTHTOK");
	r = run1("ufp", "never asked", PAM_AUTH_ERR);
	run_pam(&r);
	assert_int_equal(r.cs.prompts, 0);
	assert_log(&r, "reason=no_token");
	run_free(&r);
	refuse3("ufp", NULL, PAM_AUTH_ERR, "no_token");
	pjwt_str_free(tok);
}

static void
try_first_pass(void **state)
{
	char *tok = token(NULL), *bad = token("{\"aud\":\"other\"}");
	struct run r;

	(void)state;
	setenv("PAM_AUTHTOK", tok, 1);
	r = run1("tfp", NULL, PAM_SUCCESS);
	run_pam(&r);
	assert_int_equal(r.cs.prompts, 0);
	run_free(&r);

	/* A stored password is not a token: ask for one. */
	setenv("PAM_AUTHTOK", PASSWORD, 1);
	r = run1("tfp", tok, PAM_SUCCESS);
	run_pam(&r);
	assert_int_equal(r.cs.prompts, 1);
	run_free(&r);

	/* A stored token that fails is final: no second prompt. */
	setenv("PAM_AUTHTOK", bad, 1);
	r = run1("tfp", tok, PAM_AUTH_ERR);
	run_pam(&r);
	assert_int_equal(r.cs.prompts, 0);
	assert_log(&r, "reason=aud_mismatch");
	run_free(&r);

	unsetenv("PAM_AUTHTOK");
	r = run1("tfp", tok, PAM_SUCCESS);
	run_pam(&r);
	assert_int_equal(r.cs.prompts, 1);
	run_free(&r);
	pjwt_str_free(tok);
	pjwt_str_free(bad);
}

static void
vg_export_claims(void **state)
{
	char *tok = token(NULL), *want, *evil;
	struct run r;

	(void)state;
	r = run1("export-items", tok, PAM_SUCCESS);
	r.env = 1;
	run_pam(&r);
	assert_string_equal(env_get(r.envlist, "JWT_SUB"), USER);
	assert_string_equal(env_get(r.envlist, "JWT_SCOPE"), "ssh");
	assert_non_null(env_get(r.envlist, "JWT_JTI"));
	assert_int_equal(strncmp(env_get(r.envlist, "JWT_JTI"), "jti-", 4), 0);
	want = xasprintf("%lld", now_s + 300);
	assert_string_equal(env_get(r.envlist, "JWT_EXP"), want);
	free(want);
	run_free(&r);

	r = run1("base-items", tok, PAM_SUCCESS);
	r.env = 1;
	run_pam(&r);
	assert_null(env_get(r.envlist, "JWT_SUB"));
	run_free(&r);

	/* A claim that cannot be an environment value refuses the login. */
	evil = token("{\"scope\":\"ssh\\nLD_PRELOAD=/tmp/x.so\"}");
	refuse3("export", evil, PAM_AUTH_ERR, "malformed");
	pjwt_str_free(evil);
	pjwt_str_free(tok);
}

static void
vg_revoked(void **state)
{
	char *r1 = token("{\"jti\":\"jti-revoked-1\"}");
	char *r2 = token("{\"jti\":\"jti-revoked-2\"}");
	char *fine = token(NULL), *nojti = token("{\"jti\":null}");
	struct run r;

	(void)state;
	refuse3("revoked", r1, PAM_AUTH_ERR, "revoked");
	refuse3("revoked", r2, PAM_AUTH_ERR, "revoked");
	refuse3("revoked", nojti, PAM_AUTH_ERR, "missing_claim");
	accept3("revoked", fine);
	/* Without revoked=, a jti-less token is fine. */
	accept3("base", nojti);

	refuse3("revbad", fine, PAM_AUTHINFO_UNAVAIL, "malformed");
	r = run1("revbad", fine, PAM_AUTHINFO_UNAVAIL);
	run_pam(&r);
	assert_log(&r, "revoked-bad.txt:2");
	assert_log(&r, "SYSLOG(3)");
	run_free(&r);
	refuse3("revgw", fine, PAM_AUTHINFO_UNAVAIL, "bad_permissions");
	/* The issuer's account may own the list when revoked_owner= says so
	 * (root in any case); without it that file is refused. */
	if (geteuid() == 0) {
		refuse3("revnobody", fine, PAM_AUTHINFO_UNAVAIL, "bad_owner");
		refuse3("revownername", fine, PAM_AUTHINFO_UNAVAIL, "bad_owner");
		accept3("revowner", fine);
		refuse3("revowner", r1, PAM_AUTH_ERR, "revoked");
	}
	refuse3("revmiss", fine, PAM_AUTHINFO_UNAVAIL, "io_error");
	pjwt_str_free(r1);
	pjwt_str_free(r2);
	pjwt_str_free(fine);
	pjwt_str_free(nojti);
}

static void
acct_expired(void **state)
{
	char *tok, over[64];
	struct conv_state cs;
	pam_handle_t *ph;

	(void)state;
	/* exp two seconds ahead, no leeway: accepted, then expired. */
	snprintf(over, sizeof(over), "{\"exp\":%lld}", now_s + 2);
	tok = token(over);
	ph = auth_keep("leeway0", tok, &cs);
	assert_int_equal(pam_acct_mgmt(ph, 0), PAM_SUCCESS);
	while ((long long)time(NULL) < now_s + 2)
		sleep(1);
	capture_start();
	assert_int_equal(pam_acct_mgmt(ph, 0), PAM_ACCT_EXPIRED);
	free(capture_stop());
	pam_end(ph, PAM_SUCCESS);
	pjwt_str_free(tok);
}

static void
vg_acct_revoked_later(void **state)
{
	char *tok = token("{\"jti\":\"jti-late\"}"), *path = path_of("revoked.txt");
	char *saved = read_text(path), *log;
	struct conv_state cs;
	pam_handle_t *ph;

	(void)state;
	ph = auth_keep("revoked", tok, &cs);
	assert_int_equal(pam_acct_mgmt(ph, 0), PAM_SUCCESS);
	write_str("revoked.txt", "jti-late 4102444800\n", 0644);
	capture_start();
	assert_int_equal(pam_acct_mgmt(ph, 0), PAM_PERM_DENIED);
	log = capture_stop();
	assert_non_null(strstr(log, "account refused: user=alice reason=revoked"));
	free(log);
	write_str("revoked.txt", saved, 0644);
	pam_end(ph, PAM_SUCCESS);
	free(saved);
	free(path);
	pjwt_str_free(tok);
}

static void
vg_acct_without_token(void **state)
{
	struct run r;

	(void)state;
	/* A password login (pam_matrix): pam_jwt's account is PAM_IGNORE:
	 * with an optional pam_permit the stack succeeds ... */
	memset(&r, 0, sizeof(r));
	r.service = "base-suff";
	r.answers[0] = PASSWORD;
	r.answers[1] = PASSWORD;
	r.auth = PAM_SUCCESS;
	r.acct = PAM_SUCCESS;
	run_pam(&r);
	run_free(&r);
	/* ... and alone it decides nothing, so libpam refuses. */
	r = run1("base-items", PASSWORD, PAM_SUCCESS);
	r.acct = PAM_PERM_DENIED;
	run_pam(&r);
	run_free(&r);
}

static void
acct_user_changed(void **state)
{
	char *tok = token(NULL), *log;
	struct conv_state cs;
	pam_handle_t *ph = auth_keep("base", tok, &cs);

	(void)state;
	assert_int_equal(pam_set_item(ph, PAM_USER, "root"), PAM_SUCCESS);
	capture_start();
	assert_int_equal(pam_acct_mgmt(ph, 0), PAM_PERM_DENIED);
	log = capture_stop();
	assert_non_null(strstr(log, "reason=user_mismatch"));
	free(log);
	pam_end(ph, PAM_SUCCESS);
	pjwt_str_free(tok);
}

static void
a_failed_attempt_clears_the_accepted_one(void **state)
{
	char *tok = token(NULL);
	struct conv_state cs;
	pam_handle_t *ph = auth_keep("base", tok, &cs);
	static const char *ans[] = { "not a token", NULL };

	(void)state;
	cs.answers = ans;
	cs.next = 0;
	capture_start();
	assert_int_equal(pam_authenticate(ph, 0), PAM_AUTH_ERR);
	free(capture_stop());
	/* Nothing accepted any more: account ignores, setcred too. */
	assert_int_equal(pam_acct_mgmt(ph, 0), PAM_SUCCESS);
	pam_end(ph, PAM_SUCCESS);
	pjwt_str_free(tok);
}

static void
vg_secret_key_files(void **state)
{
	char *hs = token_ex("hs.jwk", "at+jwt", NULL), *ed = token(NULL);

	(void)state;
	/* Whoever may read an HMAC secret or a private key can sign tokens
	 * for any user: such a file must be readable by its owner only. */
	accept3("jhs", hs);
	refuse3("khsread", hs, PAM_AUTHINFO_UNAVAIL, "bad_permissions");
	refuse3("jhsread", hs, PAM_AUTHINFO_UNAVAIL, "bad_permissions");
	refuse3("kprivread", ed, PAM_AUTHINFO_UNAVAIL, "bad_permissions");
	pjwt_str_free(hs);
	pjwt_str_free(ed);
}

static void
revoked_unlistable_jti(void **state)
{
	/* The revoked file lists jtis of '!'..'~' only: a token whose jti
	 * could never be listed could never be revoked. */
	static const char *const overs[] = {
		"{\"jti\":\"two words\"}", "{\"jti\":\"tab\\tbed\"}",
		"{\"jti\":\"caf\\u00e9\"}",
		"{\"jti\":\"jti-revoked-1\\n\"}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(overs) / sizeof(overs[0]); i++) {
		char *t = token(overs[i]);

		refuse3("revoked", t, PAM_AUTH_ERR, "missing_claim");
		accept3("base", t);
		pjwt_str_free(t);
	}
}

static void
acct_revoked_owner_goes_with_its_list(void **state)
{
	char *tok = token(NULL), *log;
	struct conv_state cs;
	pam_handle_t *ph;
	int rv;

	(void)state;
	if (geteuid() != 0) {
		pjwt_str_free(tok);
		skip();
	}
	/* auth's revoked_owner=65534 is for auth's list; the account line
	 * names another list, which nobody but root may own. */
	ph = auth_keep("revpair", tok, &cs);
	capture_start();
	rv = pam_acct_mgmt(ph, 0);
	log = capture_stop();
	if (rv != PAM_PERM_DENIED || strstr(log, "reason=bad_owner") == NULL)
		fail_msg("account: %d (want %d)\n%s", rv, PAM_PERM_DENIED, log);
	free(log);
	pam_end(ph, PAM_SUCCESS);
	pjwt_str_free(tok);
}

static void
reauth_clears_exported_claims(void **state)
{
	char *t1 = token("{\"scope\":\"ssh admin\"}");
	char *t2 = token("{\"scope\":null,\"jti\":null}");
	static const char *ans[2];
	struct conv_state cs;
	pam_handle_t *ph = auth_keep("export", t1, &cs);
	int rv;

	(void)state;
	assert_string_equal(pam_getenv(ph, "JWT_SCOPE"), "ssh admin");
	/* A second token on the same handle: nothing of the first stays. */
	ans[0] = t2;
	cs.answers = ans;
	cs.next = 0;
	capture_start();
	rv = pam_authenticate(ph, 0);
	free(capture_stop());
	assert_int_equal(rv, PAM_SUCCESS);
	assert_string_equal(pam_getenv(ph, "JWT_SUB"), USER);
	assert_null(pam_getenv(ph, "JWT_SCOPE"));
	assert_null(pam_getenv(ph, "JWT_JTI"));
	/* A failed attempt leaves no claims behind. */
	ans[0] = "not a token";
	cs.next = 0;
	capture_start();
	rv = pam_authenticate(ph, 0);
	free(capture_stop());
	assert_int_equal(rv, PAM_AUTH_ERR);
	assert_null(pam_getenv(ph, "JWT_SUB"));
	assert_null(pam_getenv(ph, "JWT_EXP"));
	pam_end(ph, PAM_SUCCESS);
	pjwt_str_free(t1);
	pjwt_str_free(t2);
}

/* Conversations that misbehave: each mode answers every prompt one way. */
enum odd { ODD_IGNORE, ODD_SUCCESS_NO_RESP, ODD_NULL_RESP, ODD_ERR_WITH_RESP,
	ODD_AGAIN, ODD_TWO_LINES };

struct odd_state {
	enum odd mode;
	const char *tok;
};

static int
odd_conv(int n, const struct pam_message **msg, struct pam_response **resp,
    void *data)
{
	struct odd_state *os = data;
	struct pam_response *r;

	(void)msg;
	switch (os->mode) {
	case ODD_IGNORE:
		return PAM_IGNORE;
	case ODD_SUCCESS_NO_RESP:
		*resp = NULL;
		return PAM_SUCCESS;
	case ODD_AGAIN:
		return PAM_CONV_AGAIN;
	default:
		break;
	}
	if ((r = calloc((size_t)n, sizeof(*r))) == NULL)
		return PAM_BUF_ERR;
	if (os->mode == ODD_ERR_WITH_RESP) {
		/* A valid token, but the conversation says it failed. */
		r[0].resp = strdup(os->tok);
		*resp = r;
		return PAM_CONV_ERR;
	}
	if (os->mode == ODD_TWO_LINES)
		r[0].resp = xasprintf("%s\n%s", os->tok, os->tok);
	*resp = r;                      /* ODD_NULL_RESP: resp[0].resp NULL */
	return PAM_SUCCESS;
}

static int
odd_run(const char *service, const char *user, enum odd mode, const char *tok,
    char **ret_log)
{
	struct odd_state os = { mode, tok };
	struct pam_conv conv = { odd_conv, &os };
	pam_handle_t *ph = NULL;
	int rv;

	capture_start();
	if (pam_start(service, user, &conv, &ph) != PAM_SUCCESS)
		abort();
	rv = pam_authenticate(ph, 0);
	pam_end(ph, rv);
	*ret_log = capture_stop();
	return rv;
}

static void
vg_conversation_oddities(void **state)
{
	static const struct {
		enum odd mode;
		const char *user;
		int code;
		const char *reason;
	} cases[] = {
		{ ODD_IGNORE, USER, PAM_CONV_ERR, "conversation_failed" },
		{ ODD_SUCCESS_NO_RESP, USER, PAM_AUTH_ERR, "no_token" },
		{ ODD_NULL_RESP, USER, PAM_AUTH_ERR, "no_token" },
		{ ODD_ERR_WITH_RESP, USER, PAM_CONV_ERR, "conversation_failed" },
		{ ODD_AGAIN, USER, PAM_INCOMPLETE, "conversation_failed" },
		{ ODD_TWO_LINES, USER, PAM_AUTH_ERR, "not_a_jwt" },
		/* No user name: pam_get_user asks the same conversation. */
		{ ODD_IGNORE, NULL, PAM_CONV_ERR, "no_user" },
		{ ODD_SUCCESS_NO_RESP, NULL, ANY_FAILURE, "no_user" },
		{ ODD_NULL_RESP, NULL, ANY_FAILURE, "no_user" },
		{ ODD_AGAIN, NULL, PAM_INCOMPLETE, "no_user" },
		{ ODD_ERR_WITH_RESP, "", PAM_USER_UNKNOWN, "no_user" },
	};
	static const char *const suffix[] = { "", "-suff", "-skip" };
	char *tok = token(NULL), *log, *want;
	size_t i, j;
	int rv;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (j = 0; j < (quick ? 1u : 3u); j++) {
			char *svc = xasprintf("base%s", suffix[j]);

			rv = odd_run(svc, cases[i].user, cases[i].mode, tok,
			    &log);
			if (rv == PAM_SUCCESS || rv == PAM_IGNORE ||
			    (j == 0 && cases[i].code != ANY_FAILURE &&
			    rv != cases[i].code))
				fail_msg("case %zu %s: %d (want %d)\n%s", i,
				    svc, rv, cases[i].code, log);
			want = xasprintf("reason=%s ", cases[i].reason);
			if (strcmp(cases[i].reason, "not_a_jwt") == 0) {
				if (strstr(log, "refused: service=") != NULL)
					fail_msg("case %zu: a password logged "
					    "as refused\n%s", i, log);
			} else if (j == 0 && strstr(log, want) == NULL)
				fail_msg("case %zu: log lacks %s\n%s", i, want,
				    log);
			if (strstr(log, strrchr(tok, '.') + 1) != NULL)
				fail_msg("case %zu: signature in log\n%s", i,
				    log);
			free(want);
			free(log);
			free(svc);
		}
	}
	pjwt_str_free(tok);
}

/*
 * A token that fails verification ends the attempt: no second prompt for
 * the password module behind a sufficient pam_jwt (or the Debian
 * [success=1 default=ignore] shape), whose answer would log in.  The token
 * is not handed on as PAM_AUTHTOK either.
 */
static void
vg_failed_token_ends_attempt(void **state)
{
	char *bob = token("{\"sub\":\"bob\"}");
	char *old = token_ex("ed.pem", "at+jwt", NULL), *cut;
	static const char *const svcs[] = { "base-unix", "debug-unix" };
	struct run r;
	size_t i;

	(void)state;
	cut = strdup(old);
	assert_non_null(cut);
	/* One signature character changed: a bad signature. */
	cut[strlen(cut) - 10] = cut[strlen(cut) - 10] == 'A' ? 'B' : 'A';
	for (i = 0; i < sizeof(svcs) / sizeof(svcs[0]); i++) {
		r = run1(svcs[i], bob, ANY_FAILURE);
		r.answers[1] = PASSWORD;
		r.answers[2] = PASSWORD;
		run_pam(&r);
		assert_int_not_equal(r.auth_rv, PAM_SUCCESS);
		assert_int_equal(r.cs.prompts, 1);
		assert_log(&r, "refused: service=");
		assert_log(&r, "reason=user_mismatch");
		run_free(&r);

		r = run1(svcs[i], cut, ANY_FAILURE);
		r.answers[1] = PASSWORD;
		run_pam(&r);
		assert_int_not_equal(r.auth_rv, PAM_SUCCESS);
		assert_int_equal(r.cs.prompts, 1);
		assert_log(&r, "reason=bad_signature");
		run_free(&r);
	}
	/* use_first_pass: a refused token in PAM_AUTHTOK is replaced. */
	setenv("PAM_AUTHTOK", bob, 1);
	r = run1("ufp-items", NULL, PAM_SUCCESS);
	r.env = 1;
	run_pam(&r);
	unsetenv("PAM_AUTHTOK");
	assert_non_null(env_get(r.envlist, "PAM_AUTHTOK"));
	assert_null(strstr(env_get(r.envlist, "PAM_AUTHTOK"), "eyJ"));
	run_free(&r);
	pjwt_str_free(bob);
	pjwt_str_free(old);
	free(cut);
}

/*
 * Machine tokens (gty client_credentials, minted for a client without a
 * user's login) are refused unless allow_machine is given.
 */
static void
vg_machine_token(void **state)
{
	char *m = token("{\"gty\":\"client_credentials\"}");
	char *u = token("{\"gty\":\"password\"}");

	(void)state;
	refuse3("base", m, PAM_AUTH_ERR, "machine_token");
	refuse3("scope", m, PAM_AUTH_ERR, "machine_token");
	accept3("base", u);
	accept3("machine", m);
	accept3("machine", u);
	refuse3("c-machineval", m, PAM_SERVICE_ERR, NULL);
	pjwt_str_free(m);
	pjwt_str_free(u);
}

static void
vg_config_errors(void **state)
{
	char *tok = token(NULL);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		struct run r;

		if (strncmp(cfgs[i].name, "c-", 2) != 0)
			continue;
		refuse3(cfgs[i].name, tok, PAM_SERVICE_ERR, NULL);
		r = run1(cfgs[i].name, tok, PAM_SERVICE_ERR);
		run_pam(&r);
		assert_log(&r, "SYSLOG(3): configuration error: ");
		assert_int_equal(r.cs.prompts, 0);
		run_free(&r);
	}
	pjwt_str_free(tok);
}

static void
vg_key_file_errors(void **state)
{
	char *tok = token(NULL);
	struct run r;

	(void)state;
	refuse3("kgw", tok, PAM_AUTHINFO_UNAVAIL, "bad_permissions");
	refuse3("klink", tok, PAM_AUTHINFO_UNAVAIL, "not_regular_file");
	refuse3("kmiss", tok, PAM_AUTHINFO_UNAVAIL, "io_error");
	refuse3("kdir", tok, PAM_AUTHINFO_UNAVAIL, "not_regular_file");
	refuse3("kgarbage", tok, PAM_AUTHINFO_UNAVAIL, NULL);
	refuse3("kempty", tok, PAM_AUTHINFO_UNAVAIL, NULL);
	refuse3("kopendir", tok, PAM_AUTHINFO_UNAVAIL, "bad_permissions");
	/* The link resolves to a safe place, but sits where anyone may
	 * re-point it. */
	refuse3("klinkopen", tok, PAM_AUTHINFO_UNAVAIL, "bad_permissions");
	accept3("klinksafe", tok);
	r = run1("kopendir", tok, PAM_AUTHINFO_UNAVAIL);
	run_pam(&r);
	assert_log(&r, "/open ");
	assert_log(&r, "SYSLOG(3): refused:");
	run_free(&r);
	r = run1("kmiss", tok, PAM_AUTHINFO_UNAVAIL);
	run_pam(&r);
	assert_log(&r, "no-such-jwks.json (No such file or directory)");
	run_free(&r);
	if (geteuid() == 0)
		refuse3("kowner", tok, PAM_AUTHINFO_UNAVAIL, "bad_owner");
	else
		accept3("kowner", tok);  /* our own file when not root */
	pjwt_str_free(tok);
}

static void
arg_scope(void **state)
{
	char *both = token("{\"scope\":\"ssh sudo\"}");
	char *sudo = token("{\"scope\":\"sudo\"}");
	char *ssh = token(NULL), *none = token("{\"scope\":null}");
	char *prefix = token("{\"scope\":\"sshd sudo\"}");

	(void)state;
	accept3("scope", both);
	accept3("scope", ssh);
	refuse3("scope", sudo, PAM_AUTH_ERR, "scope_missing");
	refuse3("scope", none, PAM_AUTH_ERR, "scope_missing");
	refuse3("scope", prefix, PAM_AUTH_ERR, "scope_missing");
	accept3("scope2", both);
	refuse3("scope2", ssh, PAM_AUTH_ERR, "scope_missing");
	accept3("base", none);
	pjwt_str_free(both);
	pjwt_str_free(sudo);
	pjwt_str_free(ssh);
	pjwt_str_free(none);
	pjwt_str_free(prefix);
}

static void
arg_leeway_max_age(void **state)
{
	char over[128], *late, *old, *young;

	(void)state;
	snprintf(over, sizeof(over), "{\"iat\":%lld,\"exp\":%lld}",
	    now_s - 400, now_s - 30);
	late = token(over);
	accept3("base", late);              /* within the default 60 s */
	refuse3("leeway0", late, PAM_AUTH_ERR, "expired");
	snprintf(over, sizeof(over), "{\"iat\":%lld}", now_s - 200);
	old = token(over);
	snprintf(over, sizeof(over), "{\"iat\":%lld}", now_s - 10);
	young = token(over);
	refuse3("maxage", old, PAM_AUTH_ERR, "too_old");
	accept3("maxage", young);
	accept3("base", old);
	pjwt_str_free(late);
	pjwt_str_free(old);
	pjwt_str_free(young);
}

static void
arg_typ(void **state)
{
	char *jwt = token_ex("ed.pem", "JWT", NULL);
	char *none = token_ex("ed.pem", NULL, NULL);
	char *at = token(NULL);
	char *app = token_ex("ed.pem", "application/at+jwt", NULL);

	(void)state;
	refuse3("base", jwt, PAM_AUTH_ERR, "typ_mismatch");
	refuse3("base", none, PAM_AUTH_ERR, "typ_mismatch");
	accept3("base", app);
	accept3("typany", jwt);
	accept3("typany", none);
	accept3("typjwt", jwt);
	refuse3("typjwt", at, PAM_AUTH_ERR, "typ_mismatch");
	pjwt_str_free(jwt);
	pjwt_str_free(none);
	pjwt_str_free(at);
	pjwt_str_free(app);
}

static void
arg_algorithms(void **state)
{
	char *ed = token(NULL), *es = token_ex("es.pem", "at+jwt", NULL);

	(void)state;
	refuse3("algs", ed, PAM_AUTH_ERR, "alg_not_allowed");
	accept3("algs", es);
	pjwt_str_free(ed);
	pjwt_str_free(es);
}

static void
arg_user_claim(void **state)
{
	char *t = token("{\"sub\":\"u-1234\",\"preferred_username\":\"alice\"}");
	char *t2 = token(NULL);

	(void)state;
	accept3("uclaim", t);
	refuse3("base", t, PAM_AUTH_ERR, "user_mismatch");
	refuse3("uclaim", t2, PAM_AUTH_ERR, NULL);
	pjwt_str_free(t);
	pjwt_str_free(t2);
}

static void
arg_prompt_and_debug(void **state)
{
	char *tok = token(NULL);
	struct run r;

	(void)state;
	r = run1("prompt", tok, PAM_SUCCESS);
	run_pam(&r);
	assert_string_equal(r.cs.last_prompt, "JWT please: ");
	run_free(&r);
	r = run1("base", tok, PAM_SUCCESS);
	run_pam(&r);
	assert_string_equal(r.cs.last_prompt, "Token: ");
	assert_null(strstr(r.log, "SYSLOG(7)"));
	run_free(&r);
	r = run1("debug", tok, PAM_SUCCESS);
	run_pam(&r);
	assert_log(&r, "SYSLOG(7): 4 key(s) from ");
	run_free(&r);
	pjwt_str_free(tok);
}

static void
vg_wrong_user(void **state)
{
	char *bob = token("{\"sub\":\"bob\"}"), *alice = token(NULL);
	struct run r;

	(void)state;
	refuse3("base", bob, PAM_AUTH_ERR, "user_mismatch");
	r = run1("base", alice, PAM_AUTH_ERR);
	r.user = "bob";
	run_pam(&r);
	assert_log(&r, "reason=user_mismatch");
	run_free(&r);
	/* The user name is the client's: sanitised in the log. */
	r = run1("base", alice, PAM_AUTH_ERR);
	r.user = "ali\nce x";
	run_pam(&r);
	assert_log(&r, "user=ali?ce?x ");
	run_free(&r);
	/* Case matters. */
	r = run1("base", alice, PAM_AUTH_ERR);
	r.user = "Alice";
	run_pam(&r);
	run_free(&r);
	pjwt_str_free(bob);
	pjwt_str_free(alice);
}

/* Attack classes of the foundation issue, as they reach the module. */
static void
vg_attacks(void **state)
{
	char hdr[512], *p = std_payload(NULL), *t, *good = token(NULL), *q;
	char ed_kid[256], es_kid[256];
	static const char *const nones[] = { "none", "None", "NONE", "nOnE" };
	size_t i;
	unsigned char zero[64] = { 0 };
	char *z;

	(void)state;
	/* kid_of returns a static buffer: copy. */
	snprintf(ed_kid, sizeof(ed_kid), "%s", kid_of("ed.pem"));
	snprintf(es_kid, sizeof(es_kid), "%s", kid_of("es.pem"));

	/* alg none, any casing; with and without a signature. */
	for (i = 0; i < 4; i++) {
		snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"at+jwt\"}",
		    nones[i]);
		t = forge(hdr, p, NULL, NULL, "");
		refuse3("base", t, PAM_AUTH_ERR, "not_a_jwt");
		free(t);
		t = forge(hdr, p, NULL, NULL, "c2ln");
		refuse3("base", t, PAM_AUTH_ERR, "alg_none");
		free(t);
	}
	/* HS256 keyed with the public key file's bytes (alg confusion). */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"kid\":\"%s\","
	    "\"typ\":\"at+jwt\"}", ed_kid);
	t = forge(hdr, p, NULL, "ed-pub.pem", NULL);
	refuse3("base", t, PAM_AUTH_ERR, "alg_mismatch");
	free(t);
	t = forge("{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", p, NULL,
	    "rs-pub.pem", NULL);
	refuse3("base", t, PAM_AUTH_ERR, NULL);
	free(t);
	t = forge("{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", p, NULL,
	    "ed-pub.pem", NULL);
	refuse3("keyed", t, PAM_AUTH_ERR, NULL);
	free(t);
	/* Signed by a key we do not trust, with and without a kid. */
	t = forge("{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\"}", p, "other.pem",
	    NULL, NULL);
	refuse3("base", t, PAM_AUTH_ERR, "bad_signature");
	free(t);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"EdDSA\",\"kid\":\"%s\","
	    "\"typ\":\"at+jwt\"}", ed_kid);
	t = forge(hdr, p, "other.pem", NULL, NULL);
	refuse3("base", t, PAM_AUTH_ERR, "bad_signature");
	free(t);
	/* The same header signed by the right key is fine (control). */
	t = forge(hdr, p, "ed.pem", NULL, NULL);
	accept3("base", t);
	free(t);
	/* Unknown kid, kid with path characters. */
	t = forge("{\"alg\":\"EdDSA\",\"kid\":\"nope\",\"typ\":\"at+jwt\"}", p,
	    "ed.pem", NULL, NULL);
	refuse3("base", t, PAM_AUTH_ERR, "unknown_kid");
	free(t);
	t = forge("{\"alg\":\"EdDSA\",\"kid\":\"../../../etc/passwd\","
	    "\"typ\":\"at+jwt\"}", p, "ed.pem", NULL, NULL);
	refuse3("base", t, PAM_AUTH_ERR, "unknown_kid");
	free(t);
	/* Headers that would fetch or carry keys; crit. */
	t = forge("{\"alg\":\"EdDSA\",\"jku\":\"https://evil.test/jwks\","
	    "\"typ\":\"at+jwt\"}", p, "other.pem", NULL, NULL);
	refuse3("base", t, PAM_AUTH_ERR, "untrusted_header");
	free(t);
	t = forge("{\"alg\":\"EdDSA\",\"x5u\":\"https://evil.test/c\","
	    "\"typ\":\"at+jwt\"}", p, "other.pem", NULL, NULL);
	refuse3("base", t, PAM_AUTH_ERR, "untrusted_header");
	free(t);
	t = forge("{\"alg\":\"EdDSA\",\"jwk\":{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	    "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"},"
	    "\"typ\":\"at+jwt\"}", p, "other.pem", NULL, NULL);
	refuse3("base", t, PAM_AUTH_ERR, "untrusted_header");
	free(t);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"EdDSA\",\"kid\":\"%s\","
	    "\"crit\":[\"exp\"],\"typ\":\"at+jwt\"}", ed_kid);
	t = forge(hdr, p, "ed.pem", NULL, NULL);
	refuse3("base", t, PAM_AUTH_ERR, "crit_unsupported");
	free(t);
	/* ECDSA: r = s = 0, wrong length, DER instead of R||S. */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\","
	    "\"typ\":\"at+jwt\"}", es_kid);
	z = b64(zero, 64);
	t = forge(hdr, p, NULL, NULL, z);
	refuse3("base", t, PAM_AUTH_ERR, "bad_signature");
	free(t);
	free(z);
	z = b64(zero, 63);
	t = forge(hdr, p, NULL, NULL, z);
	refuse3("base", t, PAM_AUTH_ERR, "bad_signature");
	free(t);
	free(z);
	t = forge(hdr, p, "es.pem", NULL, NULL);   /* OpenSSL's DER */
	refuse3("base", t, PAM_AUTH_ERR, "bad_signature");
	free(t);
	/* Tampered payload under a good signature; cut signature. */
	q = std_payload("\"admin\":true");
	z = b64(q, strlen(q));
	t = xasprintf("%.*s.%s%s", (int)strcspn(good, "."), good, z,
	    strrchr(good, '.'));
	refuse3("base", t, PAM_AUTH_ERR, "bad_signature");
	free(t);
	free(z);
	free(q);
	t = strdup(good);
	t[strlen(t) - 4] = '\0';
	refuse3("base", t, PAM_AUTH_ERR, NULL);
	free(t);
	/* Non-canonical base64url: trailing bits, '+', '=', blanks. */
	t = strdup(good);
	t[strlen(t) - 1] = t[strlen(t) - 1] == 'A' ? 'B' : 'A';
	refuse3("base", t, PAM_AUTH_ERR, NULL);
	free(t);
	t = xasprintf("%s=", good);
	refuse3("base", t, PAM_AUTH_ERR, "not_a_jwt");
	free(t);
	t = strdup(good);
	t[10] = '+';
	refuse3("base", t, PAM_AUTH_ERR, "not_a_jwt");
	free(t);
	t = xasprintf(" %s", good);
	refuse3("base", t, PAM_AUTH_ERR, "not_a_jwt");
	free(t);
	/* Two parts, four parts, empty segments. */
	t = xasprintf("%.*s", (int)(strrchr(good, '.') - good), good);
	refuse3("base", t, PAM_AUTH_ERR, "not_a_jwt");
	free(t);
	t = xasprintf("%s.%s", good, "AAAA");
	refuse3("base", t, PAM_AUTH_ERR, "not_a_jwt");
	free(t);
	t = xasprintf("%.*s..%s", (int)strcspn(good, "."), good,
	    strrchr(good, '.') + 1);
	refuse3("base", t, PAM_AUTH_ERR, "not_a_jwt");
	free(t);
	pjwt_str_free(good);
	free(p);
}

static void
vg_claim_attacks(void **state)
{
	char over[256], *t, *p, hdr[512];
	const char *kid = kid_of("ed.pem");
	static const char *const outs[][2] = {
		{ "{\"aud\":null}", "aud_mismatch" },
		{ "{\"aud\":\"other\"}", "aud_mismatch" },
		{ "{\"aud\":[\"a\",\"b\"]}", "aud_mismatch" },
		{ "{\"aud\":\"SSH\"}", "aud_mismatch" },
		{ "{\"iss\":\"https://evil.test\"}", "iss_mismatch" },
		{ "{\"iss\":null}", "iss_mismatch" },
		{ "{\"exp\":null}", "missing_claim" },
		{ "{\"sub\":null}", "missing_claim" },
		{ "{\"sub\":7}", NULL },
		{ "{\"exp\":\"9999999999\"}", "malformed" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
		t = token(outs[i][0]);
		refuse3("base", t, PAM_AUTH_ERR, outs[i][1]);
		pjwt_str_free(t);
	}
	t = token("{\"aud\":[\"x\",\"ssh\"]}");
	accept3("base", t);
	pjwt_str_free(t);
	snprintf(over, sizeof(over), "{\"exp\":%lld}", now_s - 3600);
	t = token(over);
	refuse3("base", t, PAM_AUTH_ERR, "expired");
	pjwt_str_free(t);
	snprintf(over, sizeof(over), "{\"nbf\":%lld}", now_s + 3600);
	t = token(over);
	refuse3("base", t, PAM_AUTH_ERR, "not_yet_valid");
	pjwt_str_free(t);
	snprintf(over, sizeof(over), "{\"iat\":%lld}", now_s + 3600);
	t = token(over);
	refuse3("base", t, PAM_AUTH_ERR, "iat_in_future");
	pjwt_str_free(t);

	/* Raw JSON the signer would never write. */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"EdDSA\",\"kid\":\"%s\","
	    "\"typ\":\"at+jwt\"}", kid);
	p = xasprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"bob\","
	    "\"sub\":\"alice\",\"exp\":%lld}", now_s + 300);
	t = forge(hdr, p, "ed.pem", NULL, NULL);
	refuse3("base", t, PAM_AUTH_ERR, "malformed");
	free(t);
	free(p);
	p = xasprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\","
	    "\"sub\":\"alice\",\"exp\":1e400}");
	t = forge(hdr, p, "ed.pem", NULL, NULL);
	refuse3("base", t, PAM_AUTH_ERR, "malformed");
	free(t);
	free(p);
	p = xasprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\","
	    "\"sub\":\"alice\",\"exp\":NaN}");
	t = forge(hdr, p, "ed.pem", NULL, NULL);
	refuse3("base", t, PAM_AUTH_ERR, "malformed");
	free(t);
	free(p);
	p = xasprintf("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\","
	    "\"sub\":\"alice\",\"exp\":%lld,\"x\":"
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
	    now_s + 300);
	t = forge(hdr, p, "ed.pem", NULL, NULL);
	refuse3("base", t, PAM_AUTH_ERR, "malformed");
	free(t);
	free(p);
}

/* A token padded (claim "pad") to exactly len characters, or NULL. */
static char *
token_of_len(size_t len)
{
	size_t pad;

	for (pad = 0; pad < len; pad++) {
		char *over = xasprintf("{\"pad\":\"%*s\"}", (int)pad, "");
		char *t;

		memset(strchr(over, '"') + 7, 'x', pad);
		t = token(over);
		free(over);
		if (strlen(t) == len)
			return t;
		if (strlen(t) > len) {
			pjwt_str_free(t);
			return NULL;
		}
		pjwt_str_free(t);
	}
	return NULL;
}

static void
vg_truncated(void **state)
{
	static const size_t cuts[] = { 511, 1023, 1024 };
	char *long_tok = token_of_len(1100), *t, *exact;
	struct run r;
	size_t i;

	(void)state;
	assert_non_null(long_tok);
	accept3("base", long_tok);
	for (i = 0; i < 3; i++) {
		t = strndup(long_tok, cuts[i]);
		refuse3("base", t, PAM_AUTH_ERR, "truncated");
		r = run1("base", t, PAM_AUTH_ERR);
		run_pam(&r);
		assert_log(&r, " cause=");
		run_free(&r);
		free(t);
	}
	/* Cut elsewhere: the plain reason. */
	t = strndup(long_tok, 1000);
	r = run1("base", t, PAM_AUTH_ERR);
	run_pam(&r);
	assert_null(strstr(r.log, "truncated"));
	run_free(&r);
	free(t);
	/* A good token of exactly a limit's length is simply accepted. */
	exact = token_of_len(1023);
	if (exact != NULL) {
		accept3("base", exact);
		pjwt_str_free(exact);
	} else {
		exact = token_of_len(1024);
		assert_non_null(exact);
		accept3("base", exact);
		pjwt_str_free(exact);
	}
	pjwt_str_free(long_tok);
}

static void
sizes(void **state)
{
	char *big = token_of_len(8000), *huge;
	struct run r;

	(void)state;
	/* Up to 8 KiB through PAM_AUTHTOK. */
	assert_non_null(big);
	setenv("PAM_AUTHTOK", big, 1);
	r = run1("ufp", NULL, PAM_SUCCESS);
	run_pam(&r);
	run_free(&r);
	/* 1 MiB: refused before anything is decoded. */
	huge = malloc(1024 * 1024 + 1);
	assert_non_null(huge);
	memset(huge, 'A', 1024 * 1024);
	memcpy(huge, "eyJ", 3);
	huge[1024 * 1024] = '\0';
	setenv("PAM_AUTHTOK", huge, 1);
	r = run1("ufp", NULL, PAM_AUTH_ERR);
	run_pam(&r);
	assert_log(&r, "reason=too_large");
	run_free(&r);
	unsetenv("PAM_AUTHTOK");
	refuse3("base", huge, PAM_AUTH_ERR, "too_large");
	free(huge);
	pjwt_str_free(big);
}

/* Several threads, each with its own handle: no shared mutable state. */
struct thr {
	const char *tok;
	int ok;
};

static void *
thr_main(void *arg)
{
	struct thr *t = arg;
	int i;

	for (i = 0; i < 25; i++) {
		const char *ans[] = { t->tok, NULL };
		struct conv_state cs = { .answers = ans };
		struct pam_conv conv = { test_conv, &cs };
		pam_handle_t *ph = NULL;

		if (pam_start("base", USER, &conv, &ph) != PAM_SUCCESS)
			return NULL;
		if (pam_authenticate(ph, 0) == PAM_SUCCESS &&
		    pam_acct_mgmt(ph, 0) == PAM_SUCCESS)
			t->ok++;
		pam_end(ph, PAM_SUCCESS);
	}
	return NULL;
}

static void
threads(void **state)
{
	char *tok[4];
	pthread_t th[4];
	struct thr t[4];
	int i;

	(void)state;
	tok[0] = token(NULL);
	tok[1] = token_ex("es.pem", "at+jwt", NULL);
	tok[2] = token_ex("rs.pem", "at+jwt", NULL);
	tok[3] = token_ex("ed2.pem", "at+jwt", NULL);
	capture_start();
	for (i = 0; i < 4; i++) {
		t[i].tok = tok[i];
		t[i].ok = 0;
		assert_int_equal(pthread_create(&th[i], NULL, thr_main, &t[i]), 0);
	}
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	free(capture_stop());
	for (i = 0; i < 4; i++) {
		assert_int_equal(t[i].ok, 25);
		pjwt_str_free(tok[i]);
	}
}

/* ------------------------------------------------------------------ */

#define T(f) cmocka_unit_test_setup(f, set_now)

static int
run_all(void)
{
	const struct CMUnitTest tests[] = {
		T(vg_accept_eddsa),
		T(vg_accept_es256_rs256),
		T(accept_key_files),
		T(vg_setcred_after_success),
		T(vg_password_goes_to_next_module),
		T(vg_token_never_stored),
		T(vg_junk_and_empty),
		T(vg_failed_token_ends_attempt),
		T(vg_machine_token),
		T(use_first_pass),
		T(try_first_pass),
		T(vg_export_claims),
		T(vg_revoked),
		T(acct_expired),
		T(vg_acct_revoked_later),
		T(vg_acct_without_token),
		T(acct_user_changed),
		T(a_failed_attempt_clears_the_accepted_one),
		T(vg_config_errors),
		T(vg_key_file_errors),
		T(vg_secret_key_files),
		T(revoked_unlistable_jti),
		T(acct_revoked_owner_goes_with_its_list),
		T(reauth_clears_exported_claims),
		T(vg_conversation_oddities),
		T(arg_scope),
		T(arg_leeway_max_age),
		T(arg_typ),
		T(arg_algorithms),
		T(arg_user_claim),
		T(arg_prompt_and_debug),
		T(vg_wrong_user),
		T(vg_attacks),
		T(vg_claim_attacks),
		T(vg_truncated),
		T(sizes),
		T(threads),
	};
	const char *filter = getenv("PJWT_PAM_TEST_FILTER");

	if (filter != NULL && *filter != '\0')
		cmocka_set_test_filter(filter);
	return cmocka_run_group_tests_name("pam_jwt", tests, NULL, NULL);
}

int
main(int argc, char **argv)
{
	const char *fx = getenv("PJWT_PAM_FIXTURE"), *pwmods;
	char self[PATH_MAX];
	ssize_t n;
	pid_t pid;
	int status, valgrind = argc > 1 && strcmp(argv[1], "--valgrind") == 0;

	if (fx != NULL) {
		snprintf(fixture, sizeof(fixture), "%s", fx);
		quick = getenv("PJWT_PAM_QUICK") != NULL;
		return run_all();
	}

	if (access(PJWT_PAM_MODULE, R_OK) != 0) {
		printf("1..0 # SKIP %s not built\n", PJWT_PAM_MODULE);
		return 0;
	}
	if ((pwmods = find_pwmods()) == NULL) {
		printf("1..0 # SKIP pam_wrapper modules (libpam-wrapper) not found\n");
		return 0;
	}
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
		return 99;
	self[n] = '\0';
	make_fixture(pwmods);
	fflush(NULL);
	if ((pid = fork()) < 0)
		return 99;
	if (pid == 0) {
		char *vg[] = { (char *)"valgrind", (char *)"--quiet",
			(char *)"--leak-check=full",
			(char *)"--show-leak-kinds=definite",
			(char *)"--errors-for-leak-kinds=definite",
			(char *)"--error-exitcode=1", (char *)"--num-callers=30",
			self, NULL };
		char *plain[] = { self, NULL };

		setenv("PJWT_PAM_FIXTURE", fixture, 1);
		setenv("LD_PRELOAD", "libpam_wrapper.so", 1);
		setenv("PAM_WRAPPER", "1", 1);
		setenv("PAM_WRAPPER_SERVICE_DIR", path_of("services"), 1);
		setenv("PAM_WRAPPER_DEBUGLEVEL", "2", 1);
		unsetenv("PAM_AUTHTOK");
		unsetenv("PAM_RHOST");
		unsetenv("PAM_USER");
		unsetenv("PAM_SERVICE");
		if (valgrind) {
			setenv("PAM_WRAPPER_DISABLE_DEEPBIND", "1", 1);
			setenv("PJWT_PAM_QUICK", "1", 1);
			if (getenv("PJWT_PAM_TEST_FILTER") == NULL)
				setenv("PJWT_PAM_TEST_FILTER", "vg_*", 1);
			execvp(vg[0], vg);
			_exit(127);
		}
		execv(self, plain);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (getenv("PJWT_PAM_KEEP") == NULL)
		nftw(fixture, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	else
		fprintf(stderr, "fixture kept in %s\n", fixture);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	fprintf(stderr, "test child killed by signal %d\n", WTERMSIG(status));
	return 99;
}
