/*
 * jwtctl_cmd_sync.c - jwtctl sync: keep a host's offline copies of the
 * issuer's JWK Set and revoked-jti list current, for pam_jwt's jwks= and
 * revoked= (run by jwtctl-sync.timer every minute).
 *
 * Everything is fetched and checked before anything is written, so a
 * broken or unreachable issuer leaves both files as they were:
 *  - the JWKS must parse with libpjwt (the parser pam_jwt uses) and hold at
 *    least one usable public key; a set with a private or symmetric key is
 *    refused (an issuer must never publish a secret);
 *  - the revoked list (GET ISSUER/revoked, {"revoked":[{"jti","exp"}]})
 *    must be well formed, every jti a word pam_jwt accepts.
 * Files are written atomically (temporary file, fsync, rename), mode 0644,
 * owned by the running user (root under systemd), and only when their
 * content changes.  The JWKS written is libpjwt's public serialisation.
 * A missing destination directory (the first sync into /etc/pam_jwt/) is
 * created: the last component only, 0755, never through a symlink, and
 * only under a parent that nobody but root or the running user can write.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pjwt_file.h"
#include "pjwt_key.h"
#include "pjwt_mem.h"
#include "pjwt_revoked.h"
#include "jwtctl_client.h"

#define JTI_MAX 1024            /* as the issuer's store */

const char help_sync[] =
	"Usage: jwtctl sync [--config FILE] [--issuer URL] [--jwks-out FILE]\n"
	"                   [--revoked-out FILE] [--cacert FILE] [--insecure-http]\n"
	"\n"
	"Fetch the issuer's JWK Set (jwks_uri of its RFC 8414 metadata) and,\n"
	"with --revoked-out, its list of revoked access tokens (ISSUER/revoked),\n"
	"and write them for pam_jwt's jwks= and revoked= files: atomically,\n"
	"mode 0644, only when they change.  Both are checked before either is\n"
	"written: an unreachable issuer, an empty or unparsable JWKS or a\n"
	"malformed list leaves the old files untouched (and exits non-zero).\n"
	"A missing destination directory is created (the last component only,\n"
	"0755, not through a symlink, not under a group/other-writable parent).\n"
	"\n"
	"  --config FILE     read issuer, jwks_out, revoked_out, cacert and\n"
	"                    insecure_http (\"key = value\" lines) from FILE (owned\n"
	"                    by you, not group/other-writable); options override it\n"
	"  --issuer URL      the issuer (required here or in the config)\n"
	"  --jwks-out FILE   where to write the JWK Set (required)\n"
	"  --revoked-out FILE where to write the revoked list (\"JTI EXP\" lines)\n"
	"  --cacert FILE     also trust the CA certificates in FILE (PEM)\n"
	"  --insecure-http   allow http:// to a host that is not loopback\n"
	"  -h, --help        show this help\n"
	EXIT_TEXT_CLIENT;

struct sync_conf {
	char *issuer, *jwks_out, *revoked_out, *cacert;
	int insecure_http;      /* -1: unset */
};

static int
sync_key(const char *k, const char *v, void *arg)
{
	struct sync_conf *c = arg;
	char **dst;

	if (strcmp(k, "issuer") == 0)
		dst = &c->issuer;
	else if (strcmp(k, "jwks_out") == 0)
		dst = &c->jwks_out;
	else if (strcmp(k, "revoked_out") == 0)
		dst = &c->revoked_out;
	else if (strcmp(k, "cacert") == 0)
		dst = &c->cacert;
	else if (strcmp(k, "insecure_http") == 0) {
		if (c->insecure_http >= 0)
			return 0;
		if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0)
			c->insecure_http = 1;
		else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0)
			c->insecure_http = 0;
		else
			return -1;
		return 0;
	} else
		return -1;
	if (*v == '\0')
		return -1;
	if (*dst != NULL)       /* the command line wins */
		return 0;
	return ctl_set_str(dst, v);
}

/* ---- checking what the issuer sent -------------------------------------- */

static enum outcome
check_jwks(const char *cmd, const char *url, const struct ctl_resp *r,
    char **ret_json, size_t *ret_nkeys)
{
	pjwt_keyset *ks = NULL;
	char u[200];
	pjwt_err e;
	size_t i, n;

	ctl_printable(url, u, sizeof(u));
	if (r->status != 200) {
		ctl_err("%s: %s answered HTTP %ld; the JWKS is not replaced", cmd,
		    u, r->status);
		return OUT_ISSUER;
	}
	if ((e = pjwt_keyset_from_jwks(r->body, r->len, &ks)) != PJWT_OK) {
		if (e == PJWT_E_NOMEM) {
			ctl_err("%s: out of memory", cmd);
			return OUT_FAILURE;
		}
		ctl_err("%s: %s: %s (%s); the JWKS is not replaced", cmd, u,
		    e == PJWT_E_BAD_KEY ? "no usable key" : "not a usable JWK "
		    "Set", pjwt_strerror(e));
		return OUT_ISSUER;
	}
	n = pjwt_keyset_count(ks);
	for (i = 0; i < n; i++) {
		const pjwt_key *k = pjwt_keyset_get(ks, i);

		if (pjwt_key_is_symmetric(k) || pjwt_key_is_private(k)) {
			ctl_err("%s: %s publishes a private or secret key (kid "
			    "'%s'); refusing the JWKS", cmd, u, pjwt_key_kid(k));
			pjwt_keyset_free(ks);
			return OUT_ISSUER;
		}
	}
	e = pjwt_keyset_to_jwks(ks, ret_json);
	pjwt_keyset_free(ks);
	if (e != PJWT_OK) {
		ctl_err("%s: cannot serialise the JWKS (%s)", cmd,
		    pjwt_strerror(e));
		return OUT_FAILURE;
	}
	*ret_nkeys = n;
	return OUT_OK;
}

static enum outcome
check_revoked(const char *cmd, const char *url, const struct ctl_resp *r,
    char **ret_text, size_t *ret_len, size_t *ret_n)
{
	json_t *j = NULL, *list, *e;
	char *buf = NULL, u[200];
	size_t len = 0, cap = 0, i, skipped = 0;
	enum outcome o = OUT_ISSUER;

	ctl_printable(url, u, sizeof(u));
	if (r->status != 200) {
		ctl_err("%s: %s answered HTTP %ld; nothing is replaced%s", cmd, u,
		    r->status, r->status == 404 ? " (does the issuer serve "
		    "GET /revoked?)" : "");
		return OUT_ISSUER;
	}
	j = ctl_resp_json(r);
	list = json_object_get(j, "revoked");
	if (!json_is_array(list)) {
		ctl_err("%s: %s: not a revoked list ({\"revoked\":[...]}); "
		    "nothing is replaced", cmd, u);
		goto out;
	}
	json_array_foreach(list, i, e) {
		const char *jti = json_string_value(json_object_get(e, "jti"));
		json_t *exp = json_object_get(e, "exp");
		pjwt_err pe;

		if (jti == NULL || !pjwt_revoked_jti_word(jti, JTI_MAX) ||
		    !json_is_integer(exp) || json_integer_value(exp) <= 0) {
			ctl_err("%s: %s: entry %zu of the revoked list is "
			    "malformed; nothing is replaced", cmd, u, i);
			goto out;
		}
		/* The line format and the "leave out what pam_jwt cannot
		 * list" rule are common/revoked.c's. */
		pe = pjwt_revoked_append(&buf, &len, &cap, jti,
		    (int64_t)json_integer_value(exp));
		if (pe == PJWT_E_TOO_LARGE) {
			ctl_err("%s: %s: warning: entry %zu has a jti of %zu "
			    "bytes, more than pam_jwt lists; left out", cmd, u,
			    i, strlen(jti));
			skipped++;
			continue;
		}
		if (pe != PJWT_OK) {
			ctl_err("%s: %s", cmd, pe == PJWT_E_NOMEM ?
			    "out of memory" : pjwt_strerror(pe));
			o = OUT_FAILURE;
			goto out;
		}
	}
	if (buf == NULL && (buf = strdup("")) == NULL) {
		ctl_err("%s: out of memory", cmd);
		o = OUT_FAILURE;
		goto out;
	}
	*ret_text = buf;
	*ret_len = len;
	*ret_n = json_array_size(list) - skipped;
	buf = NULL;
	o = OUT_OK;
 out:
	free(buf);
	json_decref(j);
	return o;
}

/* ---- writing ------------------------------------------------------------- */

/* same_content: 1 when path holds exactly data (a regular file). */
static int
same_content(const char *path, const char *data, size_t len)
{
	char *buf = NULL;
	size_t n = 0;
	int same;

	if (pjwt_file_read(path, (uid_t)-1, RESP_MAX_SYNC * 2, &buf, &n) !=
	    PJWT_OK)
		return 0;
	same = n == len && memcmp(buf, data, len) == 0;
	free(buf);
	return same;
}

static enum outcome
write_out(const char *cmd, const char *path, const char *data, size_t len,
    int *ret_changed)
{
	pjwt_err e;

	*ret_changed = 0;
	if (same_content(path, data, len)) {
		/* Unchanged content: still repair a mode someone loosened. */
		struct stat st;

		if (stat(path, &st) == 0 && (st.st_mode & 07777) == 0644)
			return OUT_OK;
	}
	if ((e = pjwt_file_write_atomic(path, data, len, 0644)) != PJWT_OK) {
		ctl_err("%s: cannot write '%s': %s", cmd, path, e == PJWT_E_IO ?
		    strerror(errno) : pjwt_strerror(e));
		return e == PJWT_E_NOMEM ? OUT_FAILURE : OUT_CONFIG;
	}
	*ret_changed = 1;
	return OUT_OK;
}

/*
 * ensure_dir: make sure the directory that will hold path exists.  When it
 * does not, create it: only its last component (a missing grandparent is an
 * error), mode 0755 whatever the umask, owned by the running user, through
 * a descriptor of the parent (mkdirat, then O_NOFOLLOW), so a symlink in
 * its place is refused rather than followed; and only when the parent is
 * owned by root or the running user and not group/other-writable (else
 * someone else could swap the directory under us).  OUT_OK, or OUT_CONFIG
 * (OUT_FAILURE for no memory) after one "jwtctl: CMD: ..." line.
 */
static enum outcome
ensure_dir(const char *cmd, const char *path)
{
	char *c1 = strdup(path), *c2 = NULL, *dir, *parent, *base;
	enum outcome o = OUT_CONFIG;
	struct stat st;
	int pfd = -1, dfd = -1;

	if (c1 == NULL || (c2 = strdup(path)) == NULL) {
		ctl_err("%s: out of memory", cmd);
		o = OUT_FAILURE;
		goto out;
	}
	dir = dirname(c1);
	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			o = OUT_OK;
		else
			ctl_err("%s: cannot write '%s': '%s' is not a directory",
			    cmd, path, dir);
		goto out;
	}
	if (errno != ENOENT) {
		ctl_err("%s: cannot use the directory '%s': %s", cmd, dir,
		    strerror(errno));
		goto out;
	}
	if (lstat(dir, &st) == 0) {     /* a dangling symlink */
		ctl_err("%s: '%s' is a symbolic link to nowhere; not creating "
		    "a directory through it", cmd, dir);
		goto out;
	}
	/* dirname(dirname(path)) and basename(dir), on a second copy. */
	parent = dirname(strcpy(c2, dir));
	base = dir + strlen(parent);
	while (*base == '/')
		base++;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		ctl_err("%s: cannot create the directory '%s'", cmd, dir);
		goto out;
	}
	if ((pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		ctl_err("%s: cannot create '%s': its parent '%s': %s (only the "
		    "last directory is created)", cmd, dir, parent,
		    strerror(errno));
		goto out;
	}
	if (fstat(pfd, &st) != 0 ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		ctl_err("%s: not creating '%s': its parent '%s' is writable by "
		    "others or not owned by root", cmd, dir, parent);
		goto out;
	}
	if (mkdirat(pfd, base, 0755) != 0 && errno != EEXIST) {
		ctl_err("%s: cannot create the directory '%s': %s", cmd, dir,
		    strerror(errno));
		goto out;
	}
	/* Whatever is there now (ours, or a racing creator's) must be a real
	 * directory; the umask may have narrowed ours. */
	if ((dfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0 || fstat(dfd, &st) != 0) {
		ctl_err("%s: cannot use the directory '%s': %s", cmd, dir,
		    strerror(errno));
		goto out;
	}
	if (st.st_uid == geteuid() && (st.st_mode & 07777) != 0755 &&
	    fchmod(dfd, 0755) != 0) {
		ctl_err("%s: cannot chmod 0755 '%s': %s", cmd, dir,
		    strerror(errno));
		goto out;
	}
	o = OUT_OK;
 out:
	if (dfd >= 0)
		close(dfd);
	if (pfd >= 0)
		close(pfd);
	free(c1);
	free(c2);
	return o;
}

/* The revoked list lives next to the issuer: ISSUER/revoked. */
static char *
revoked_url(const char *issuer)
{
	size_t n = strlen(issuer);
	char *u = malloc(n + sizeof("/revoked"));

	if (u == NULL)
		return NULL;
	memcpy(u, issuer, n);
	if (n > 0 && issuer[n - 1] == '/')
		n--;
	memcpy(u + n, "/revoked", sizeof("/revoked"));
	return u;
}

enum outcome
cmd_sync(int argc, char **argv)
{
	enum {
		OPT_CONFIG = 256, OPT_ISSUER, OPT_JWKS_OUT, OPT_REVOKED_OUT,
		OPT_CACERT, OPT_INSECURE_HTTP,
	};
	static const struct option lo[] = {
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "issuer", required_argument, NULL, OPT_ISSUER },
		{ "jwks-out", required_argument, NULL, OPT_JWKS_OUT },
		{ "revoked-out", required_argument, NULL, OPT_REVOKED_OUT },
		{ "cacert", required_argument, NULL, OPT_CACERT },
		{ "insecure-http", no_argument, NULL, OPT_INSECURE_HTTP },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "sync", *config = NULL;
	struct sync_conf sc = { NULL, NULL, NULL, NULL, -1 };
	struct ctl_meta m = { NULL, NULL, NULL };
	struct ctl_resp rj = { 0, NULL, 0, 0 }, rr = { 0, NULL, 0, 0 };
	struct ctl_transport t;
	char *jwks = NULL, *revoked = NULL, *rurl = NULL, line[512];
	size_t nkeys = 0, rlen = 0, nrev = 0;
	enum outcome o = OUT_OK;
	int c, changed;

	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		char **dst = NULL;

		switch (c) {
		case 'h':
			o = ctl_puts(help_sync) == 0 ? OUT_OK : OUT_FAILURE;
			goto out;
		case OPT_CONFIG:
			config = optarg;
			continue;
		case OPT_ISSUER:
			dst = &sc.issuer;
			break;
		case OPT_JWKS_OUT:
			dst = &sc.jwks_out;
			break;
		case OPT_REVOKED_OUT:
			dst = &sc.revoked_out;
			break;
		case OPT_CACERT:
			dst = &sc.cacert;
			break;
		case OPT_INSECURE_HTTP:
			sc.insecure_http = 1;
			continue;
		default:
			o = ctl_opt_error(cmd, c, argv);
			goto out;
		}
		if (*optarg == '\0') {
			o = ctl_usage(cmd, "an option's value is empty");
			goto out;
		}
		if (ctl_set_str(dst, optarg) != 0) {
			ctl_err("%s: out of memory", cmd);
			o = OUT_FAILURE;
			goto out;
		}
	}
	if (optind < argc) {
		o = ctl_usage(cmd, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (config != NULL &&
	    (o = ctl_conf_parse(cmd, config, 0, sync_key, &sc)) != OUT_OK)
		goto out;
	if (sc.issuer == NULL || sc.jwks_out == NULL) {
		o = ctl_usage(cmd, "--issuer and --jwks-out are required (or "
		    "issuer and jwks_out in --config)");
		goto out;
	}
	t.cacert = sc.cacert;
	t.insecure_http = sc.insecure_http > 0;
	if (t.cacert != NULL && access(t.cacert, R_OK) != 0) {
		ctl_err("%s: cannot read --cacert '%s': %s", cmd, t.cacert,
		    strerror(errno));
		o = OUT_CONFIG;
		goto out;
	}
	/* Fetch and check everything, then write. */
	if ((o = ctl_discover(cmd, &t, sc.issuer, &m)) != OUT_OK)
		goto out;
	if (m.jwks_uri == NULL) {
		ctl_err("%s: the issuer's metadata has no jwks_uri", cmd);
		o = OUT_ISSUER;
		goto out;
	}
	if ((o = ctl_http_get(cmd, &t, m.jwks_uri, RESP_MAX_SYNC, &rj)) !=
	    OUT_OK || (o = check_jwks(cmd, m.jwks_uri, &rj, &jwks, &nkeys)) !=
	    OUT_OK)
		goto out;
	if (sc.revoked_out != NULL) {
		if ((rurl = revoked_url(sc.issuer)) == NULL) {
			ctl_err("%s: out of memory", cmd);
			o = OUT_FAILURE;
			goto out;
		}
		if ((o = ctl_http_get(cmd, &t, rurl, RESP_MAX_SYNC, &rr)) !=
		    OUT_OK || (o = check_revoked(cmd, rurl, &rr, &revoked,
		    &rlen, &nrev)) != OUT_OK)
			goto out;
	}
	if ((o = ensure_dir(cmd, sc.jwks_out)) != OUT_OK ||
	    (sc.revoked_out != NULL &&
	    (o = ensure_dir(cmd, sc.revoked_out)) != OUT_OK))
		goto out;
	if ((o = write_out(cmd, sc.jwks_out, jwks, strlen(jwks), &changed)) !=
	    OUT_OK)
		goto out;
	if (changed) {
		snprintf(line, sizeof(line), "%s: updated (%zu key%s)\n",
		    sc.jwks_out, nkeys, nkeys == 1 ? "" : "s");
		if (ctl_puts(line) != 0) {
			o = OUT_FAILURE;
			goto out;
		}
	}
	if (revoked != NULL) {
		if ((o = write_out(cmd, sc.revoked_out, revoked, rlen,
		    &changed)) != OUT_OK)
			goto out;
		if (changed) {
			snprintf(line, sizeof(line), "%s: updated (%zu revoked)\n",
			    sc.revoked_out, nrev);
			if (ctl_puts(line) != 0)
				o = OUT_FAILURE;
		}
	}
 out:
	free(jwks);
	free(revoked);
	free(rurl);
	ctl_resp_clear(&rj);
	ctl_resp_clear(&rr);
	ctl_meta_clear(&m);
	free(sc.issuer);
	free(sc.jwks_out);
	free(sc.revoked_out);
	free(sc.cacert);
	return o;
}
