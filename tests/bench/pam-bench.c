/*
 * pam-bench.c - logins per second through libpam (pam_wrapper) and
 * pam_jwt.so: the cost of one authentication including reading and parsing
 * the JWKS file, which pam_jwt does on every attempt.
 *
 *   pam-bench [-t SECONDS] [-a ALG[,ALG...]] MODULE
 *
 * For each alg (EdDSA ES256 RS256) and JWKS size (1 key, 10 keys of that
 * alg with the signing key last), one token is signed and then, for about
 * SECONDS each (default 1, after a warm-up), measured:
 *   auth   pam_authenticate() on one kept handle: the module's whole path
 *          (argument parsing, JWKS read + parse, verification, claims,
 *          logging call) plus libpam's dispatch
 *   login  pam_start + pam_authenticate + pam_acct_mgmt + pam_end: what a
 *          login costs, module load (dlopen) and service file parse included
 * The median of three rounds is printed, one line per alg and size.
 * Target (reported, never asserted): auth under 0.5 ms for EdDSA.
 *
 * Like tests/pam/test-pam, the program writes its keys, JWKS files and PAM
 * service files into a scratch directory, then runs itself again under
 * LD_PRELOAD=libpam_wrapper.so (which reads service files at start-up).
 * pam_wrapper drops pam_syslog lines below its debug level, so the syslog
 * round trip a real login pays (a few microseconds) is not measured.
 * Exit status: 0 (also when the target is missed); 1 when a login fails or
 * the set-up fails; 2 for usage errors.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <security/pam_appl.h>

#include "pjwt_err.h"
#include "pjwt_jwt.h"
#include "pjwt_key.h"
#include "pjwt_mem.h"

#define ISS "https://issuer.bench"
#define AUD "ssh"
#define USER "alice"
#define ROUNDS 3
#define NKEYS_MAX 10

static const struct {
	const char *name;
	pjwt_alg alg;
} algs[] = {
	{ "EdDSA", PJWT_ALG_EDDSA },
	{ "ES256", PJWT_ALG_ES256 },
	{ "RS256", PJWT_ALG_RS256 },
};
static const size_t sizes[] = { 1, NKEYS_MAX };

static char dir[PATH_MAX];

static void
die(const char *what)
{
	fprintf(stderr, "pam-bench: %s\n", what);
	exit(1);
}

static void
write_file(const char *path, const char *s, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t len = strlen(s);

	if (fd < 0 || write(fd, s, len) != (ssize_t)len || fchmod(fd, mode) != 0 ||
	    close(fd) != 0)
		die(path);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- set-up (first run) ------------------------------------------- */

static void
setup(const char *module, const char *only)
{
	char path[PATH_MAX + 64], svc[PATH_MAX * 2 + 256];
	const char *tmp = getenv("TMPDIR");
	size_t a, s, i;

	snprintf(dir, sizeof(dir), "%s/pjwt-pam-bench.XXXXXX",
	    tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	snprintf(path, sizeof(path), "%s/services", dir);
	if (mkdir(path, 0700) != 0)
		die(path);
	snprintf(path, sizeof(path), "%s/services/other", dir);
	write_file(path, "auth required pam_deny.so\n", 0644);

	for (a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		pjwt_key *keys[NKEYS_MAX];
		char *json = NULL, *pem = NULL;

		if (only != NULL && strstr(only, algs[a].name) == NULL)
			continue;
		for (i = 0; i < NKEYS_MAX; i++)
			if (pjwt_key_generate(algs[a].alg,
			    algs[a].alg == PJWT_ALG_RS256 ? 2048 : 0,
			    &keys[i]) != PJWT_OK)
				die("keygen");
		/* The signing key is the last one of the set. */
		if (pjwt_key_to_pem(keys[NKEYS_MAX - 1], 1, &pem) != PJWT_OK)
			die("pem");
		snprintf(path, sizeof(path), "%s/%s.pem", dir, algs[a].name);
		write_file(path, pem, 0600);
		pjwt_str_free(pem);
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			pjwt_keyset *ks = pjwt_keyset_new();

			if (ks == NULL)
				die("keyset");
			for (i = NKEYS_MAX - sizes[s]; i < NKEYS_MAX; i++) {
				pjwt_key *copy = NULL;
				char *jwk = NULL;

				/* The set owns its keys: add public copies. */
				if (pjwt_key_to_jwk(keys[i], 0, &jwk) != PJWT_OK ||
				    pjwt_key_from_jwk(jwk, strlen(jwk),
				    PJWT_ALG_UNKNOWN, &copy) != PJWT_OK ||
				    pjwt_keyset_add(ks, copy) != PJWT_OK)
					die("keyset add");
				pjwt_str_free(jwk);
			}
			if (pjwt_keyset_to_jwks(ks, &json) != PJWT_OK)
				die("jwks");
			snprintf(path, sizeof(path), "%s/%s-%zu.json", dir,
			    algs[a].name, sizes[s]);
			write_file(path, json, 0644);
			free(json);
			pjwt_keyset_free(ks);

			/* libpam lower-cases service names. */
			snprintf(path, sizeof(path), "%s/services/bench%zu-%zu",
			    dir, a, sizes[s]);
			snprintf(svc, sizeof(svc),
			    "auth required %s jwks=%s/%s-%zu.json issuer=" ISS
			    " audience=" AUD "\n"
			    "account required %s\n",
			    module, dir, algs[a].name, sizes[s], module);
			write_file(path, svc, 0644);
		}
		for (i = 0; i < NKEYS_MAX; i++)
			pjwt_key_free(keys[i]);
	}
}

static int
rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

/* ---- measuring (second run) --------------------------------------- */

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp,
    void *data)
{
	struct pam_response *r;
	int i;

	if (n <= 0 || n > PAM_MAX_NUM_MSG ||
	    (r = calloc((size_t)n, sizeof(*r))) == NULL)
		return PAM_CONV_ERR;
	for (i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF &&
		    (r[i].resp = strdup(data)) == NULL)
			return PAM_BUF_ERR;
	*resp = r;
	return PAM_SUCCESS;
}

static char *
make_token(const char *alg)
{
	char path[PATH_MAX + 64], buf[16384], *tok = NULL;
	pjwt_key *k = NULL;
	json_t *c;
	FILE *f;
	size_t n;
	long long t = (long long)time(NULL);

	snprintf(path, sizeof(path), "%s/%s.pem", dir, alg);
	if ((f = fopen(path, "r")) == NULL)
		die(path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (pjwt_key_load(buf, n, PJWT_ALG_UNKNOWN, &k) != PJWT_OK)
		die("key load");
	c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s}",
	    "iss", ISS, "aud", AUD, "sub", USER, "iat", (json_int_t)t,
	    "exp", (json_int_t)(t + 3600), "jti", "bench-0123456789abcdef",
	    "scope", "ssh", "client_id", "jwtctl");
	if (c == NULL || pjwt_sign(k, "at+jwt", c, &tok) != PJWT_OK)
		die("sign");
	json_decref(c);
	pjwt_key_free(k);
	explicit_bzero(buf, sizeof(buf));
	return tok;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Seconds per operation: median of ROUNDS loops of about secs each. */
static double
measure_auth(const char *svc, char *tok, double secs)
{
	struct pam_conv pc = { conv, tok };
	pam_handle_t *ph = NULL;
	double r[ROUNDS], t0, t;
	long n;
	int i;

	if (pam_start(svc, USER, &pc, &ph) != PAM_SUCCESS)
		die("pam_start");
	for (i = 0; i < 20; i++)                   /* warm-up */
		if (pam_authenticate(ph, 0) != PAM_SUCCESS)
			die("pam_authenticate failed (warm-up)");
	for (i = 0; i < ROUNDS; i++) {
		n = 0;
		t0 = now_s();
		do {
			if (pam_authenticate(ph, 0) != PAM_SUCCESS)
				die("pam_authenticate failed");
			n++;
		} while ((t = now_s()) - t0 < secs);
		r[i] = (t - t0) / (double)n;
	}
	pam_end(ph, PAM_SUCCESS);
	qsort(r, ROUNDS, sizeof(r[0]), cmp_double);
	return r[ROUNDS / 2];
}

static double
measure_login(const char *svc, char *tok, double secs)
{
	struct pam_conv pc = { conv, tok };
	double r[ROUNDS], t0, t;
	long n;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		n = 0;
		t0 = now_s();
		do {
			pam_handle_t *ph = NULL;

			if (pam_start(svc, USER, &pc, &ph) != PAM_SUCCESS ||
			    pam_authenticate(ph, 0) != PAM_SUCCESS ||
			    pam_acct_mgmt(ph, 0) != PAM_SUCCESS)
				die("login failed");
			pam_end(ph, PAM_SUCCESS);
			n++;
		} while ((t = now_s()) - t0 < secs);
		r[i] = (t - t0) / (double)n;
	}
	qsort(r, ROUNDS, sizeof(r[0]), cmp_double);
	return r[ROUNDS / 2];
}

static int
run(double secs, const char *only)
{
	size_t a, s;
	int missed = 0;

	for (a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		char *tok;

		if (only != NULL && strstr(only, algs[a].name) == NULL)
			continue;
		tok = make_token(algs[a].name);
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			char svc[64];
			double au, lo;

			snprintf(svc, sizeof(svc), "bench%zu-%zu", a, sizes[s]);
			au = measure_auth(svc, tok, secs);
			lo = measure_login(svc, tok, secs);
			printf("pam %-5s jwks=%-2zu  auth %8.0f/s %7.3f ms   "
			    "login %8.0f/s %7.3f ms%s\n", algs[a].name, sizes[s],
			    1.0 / au, au * 1e3, 1.0 / lo, lo * 1e3,
			    algs[a].alg == PJWT_ALG_EDDSA ?
			    (au < 0.5e-3 ? "   target <0.5 ms: met" :
			    "   target <0.5 ms: MISSED") : "");
			fflush(stdout);
			if (algs[a].alg == PJWT_ALG_EDDSA && au >= 0.5e-3)
				missed = 1;
		}
		pjwt_str_free(tok);
	}
	(void)missed;
	return 0;
}

int
main(int argc, char **argv)
{
	const char *only = NULL, *env = getenv("PJWT_PAM_BENCH_DIR");
	double secs = 1.0;
	char self[PATH_MAX], tbuf[32], *end;
	ssize_t n;
	pid_t pid;
	int c, status;

	while ((c = getopt(argc, argv, "t:a:")) != -1) {
		switch (c) {
		case 't':
			errno = 0;
			secs = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' || secs <= 0 || secs > 60) {
				fprintf(stderr, "pam-bench: -t wants 0..60 seconds\n");
				return 2;
			}
			break;
		case 'a':
			only = optarg;
			break;
		default:
			fprintf(stderr, "usage: pam-bench [-t SECONDS] "
			    "[-a ALG,...] MODULE\n");
			return 2;
		}
	}
	if (env != NULL) {
		snprintf(dir, sizeof(dir), "%s", env);
		return run(secs, only);
	}
	if (optind + 1 != argc || argv[optind][0] != '/') {
		fprintf(stderr, "usage: pam-bench [-t SECONDS] [-a ALG,...] "
		    "MODULE (absolute path of pam_jwt.so)\n");
		return 2;
	}
	if (access(argv[optind], R_OK) != 0)
		die(argv[optind]);
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
		die("readlink /proc/self/exe");
	self[n] = '\0';
	setup(argv[optind], only);
	fflush(NULL);
	if ((pid = fork()) < 0)
		die("fork");
	if (pid == 0) {
		char svcdir[PATH_MAX + 16];
		char *args[] = { self, (char *)"-t", tbuf, NULL, NULL, NULL };

		snprintf(tbuf, sizeof(tbuf), "%g", secs);
		if (only != NULL) {
			args[3] = (char *)"-a";
			args[4] = (char *)only;
		}
		snprintf(svcdir, sizeof(svcdir), "%s/services", dir);
		setenv("PJWT_PAM_BENCH_DIR", dir, 1);
		setenv("LD_PRELOAD", "libpam_wrapper.so", 1);
		setenv("PAM_WRAPPER", "1", 1);
		setenv("PAM_WRAPPER_SERVICE_DIR", svcdir, 1);
		if (getenv("PJWT_PAM_BENCH_DEBUG") == NULL)
			unsetenv("PAM_WRAPPER_DEBUGLEVEL");
		execv(self, args);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
