/*
 * pam_jwt.c - JWTs as PAM credentials.
 *
 * auth: read a token (PAM_AUTHTOK with use_first_pass/try_first_pass, else a
 * prompt with echo off), verify it offline against a local key or JWKS file
 * with libpjwt, require its user claim to equal PAM_USER, and check the
 * revoked list.  Only that full path returns PAM_SUCCESS; the return value
 * starts as PAM_AUTH_ERR and every early exit keeps a failure code.
 * account: refuse a token this module accepted on the handle that has since
 * expired or been revoked; PAM_IGNORE when there is none.
 * setcred: PAM_SUCCESS (no credentials to establish; see there).
 * session: PAM_IGNORE.
 *
 * No static mutable state; nothing process-global is touched (OpenSSL and
 * jansson belong to the host process: sshd, sudo).  Every copy of a token is
 * wiped before it is freed; tokens, signatures and passwords are never
 * logged.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#define PAM_SM_AUTH
#define PAM_SM_ACCOUNT
#define PAM_SM_SESSION
#include <security/pam_modules.h>
#include <security/pam_ext.h>

#include "pjwt_err.h"
#include "pjwt_jws.h"
#include "pjwt_jwt.h"
#include "pjwt_key.h"
#include "pjwt_mem.h"
#include "pjwt_revoked.h"
#include "args.h"
#include "files.h"

/* Only the pam_sm_* entry points leave the module (see pam/Makefile.inc). */
#define PJM_EXPORT __attribute__((visibility("default")))

#define PJM_DATA "pam_jwt_state"
#define PJM_MAX_TOKEN PJWT_DEFAULT_MAX_TOKEN  /* from PAM_AUTHTOK: 8 KiB */
#define PJM_MAX_EXPORT 1024

/*
 * What PAM_AUTHTOK becomes when a JWT-shaped answer is refused: a value no
 * password can be (a line break: passwd and every login prompt read one
 * line; the same trick as sshd's junk password for unknown users).  A
 * password module stacked after pam_jwt with try_first_pass or
 * use_first_pass (pam_unix, pam_sss, pam_ldap) takes it instead of asking
 * "Password:" again and fails: a refused token ends the attempt with its
 * reason, and the token itself never reaches another module.
 */
static const char refused_authtok[] = "\b\n\r\177pam_jwt:token-refused";

/*
 * Lengths at which the paths a token travels cut it: the OpenSSH client
 * sends at most 1023 characters (password and keyboard-interactive), sshd's
 * password method refuses more than 1024, sudo reads 1023, Linux-PAM's
 * misc_conv and pam_unix 511.  A token of exactly one of these lengths that
 * fails to verify was most likely cut short on its way.
 */
static const size_t transport_limits[] = { 511, 1023, 1024 };

/* What pam_set_data keeps of an accepted token: copies, never the token. */
struct pjm_state {
	int64_t deadline;        /* exp + leeway: expired when now >= this */
	char *jti;               /* NULL when the token has none */
	char *user;              /* PAM_USER it was accepted for */
	char *revoked;           /* revoked= of the auth line, or NULL */
	uid_t revoked_owner;     /* its revoked_owner=, or (uid_t)-1 */
};

/* Everything the attempt's single log line says. */
struct attempt {
	char service[65];
	char user[65];
	char rhost[65];
	char detail[PATH_MAX + 96];
	pjwt_info info;
	size_t len;
	/* the outcome, filled as the attempt goes */
	int retval;              /* PAM code; PAM_AUTH_ERR until decided */
	int prio;                /* of the log line; LOG_NOTICE unless said */
	const char *reason;      /* stable reason name */
	const char *cause;       /* the reason under "truncated", or NULL */
	int jwt_shaped;          /* a JWT (or one cut short) was given */
	int passed_on;           /* not a JWT: left to the next module */
};

static void
state_free(struct pjm_state *st)
{
	if (st == NULL)
		return;
	free(st->jti);
	free(st->user);
	free(st->revoked);
	free(st);
}

static void
state_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
	(void)pamh;
	(void)error_status;
	state_free(data);
}

/* Copy s into dst for a log line: printable ASCII only, '?' elsewhere,
 * "..." when cut, "-" when empty or NULL. */
static void
sanitize(char *dst, size_t size, const char *s)
{
	size_t i = 0;

	if (s == NULL || *s == '\0') {
		snprintf(dst, size, "-");
		return;
	}
	for (; s[i] != '\0' && i + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		dst[i] = (c >= 0x21 && c <= 0x7e) ? (char)c : '?';
	}
	dst[i] = '\0';
	if (s[i] != '\0' && size >= 4)
		memcpy(dst + size - 4, "...", 4);
}

static const char *
or_dash(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

static void
attempt_init(pam_handle_t *pamh, struct attempt *at, const char *user)
{
	const void *item;

	memset(at, 0, sizeof(*at));
	item = NULL;
	(void)pam_get_item(pamh, PAM_SERVICE, &item);
	sanitize(at->service, sizeof(at->service), item);
	item = NULL;
	(void)pam_get_item(pamh, PAM_RHOST, &item);
	sanitize(at->rhost, sizeof(at->rhost), item);
	sanitize(at->user, sizeof(at->user), user);
	at->retval = PAM_AUTH_ERR;
	at->prio = LOG_NOTICE;
	at->reason = "internal";
}

/*
 * The one line per attempt: outcome, where from, why, and what the token
 * claimed to be (kid, jti, iss from pjwt_info: already printable ASCII and
 * bounded; unverified unless the outcome is "accepted").
 */
static void
log_attempt(pam_handle_t *pamh, int prio, const char *outcome,
    const char *reason, const char *cause, const struct attempt *at)
{
	pam_syslog(pamh, prio,
	    "%s: service=%s user=%s rhost=%s reason=%s%s%s%s%s len=%zu "
	    "kid=%s jti=%s iss=%s",
	    outcome, at->service, at->user, at->rhost, reason,
	    cause != NULL ? " cause=" : "", cause != NULL ? cause : "",
	    at->detail[0] != '\0' ? " " : "", at->detail, at->len,
	    or_dash(at->info.kid), or_dash(at->info.jti),
	    or_dash(at->info.iss));
}

/*
 * Parse argv through args_set.  Logs the first problem (LOG_ERR) and
 * returns -1; the caller answers PAM_SERVICE_ERR.
 */
static int
parse_args(pam_handle_t *pamh, int argc, const char **argv,
    struct pjm_args *a)
{
	char key[32];
	const char *value, *why = NULL;
	int i;

	args_init(a);
	for (i = 0; i < argc; i++) {
		if (argv[i] == NULL)
			continue;
		if (args_split(argv[i], key, sizeof(key), &value) != 0) {
			why = "unknown argument";
			snprintf(key, sizeof(key), "%.28s...", argv[i]);
		} else if (args_set(a, key, value, &why) == 0) {
			continue;
		}
		sanitize(key, sizeof(key), key);
		pam_syslog(pamh, LOG_ERR, "configuration error: argument "
		    "'%s': %s", key, why);
		return -1;
	}
	return 0;
}

/*
 * "file=PATH" for a log line, with the line number of a malformed revoked
 * list or the errno text of an I/O error (err: errno saved at the failure).
 */
static void
file_detail(char *dst, size_t size, const char *file, pjwt_err e, int err,
    size_t line)
{
	char ebuf[128];

	if (e == PJWT_E_MALFORMED && line > 0)
		snprintf(dst, size, "file=%s:%zu", file, line);
	else if (e == PJWT_E_IO)
		snprintf(dst, size, "file=%s (%s)", file,
		    strerror_r(err, ebuf, sizeof(ebuf)));
	else
		snprintf(dst, size, "file=%s", file);
}

static int
is_transport_limit(size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(transport_limits) / sizeof(transport_limits[0]);
	    i++)
		if (len == transport_limits[i])
			return 1;
	return 0;
}

/*
 * The start of a compact JWS cut short: a base64url header starting "ey",
 * then only base64url characters and at most two dots.  Such input is never
 * handed on as a password.
 */
static int
looks_like_cut_jwt(const char *s, size_t len)
{
	size_t i, dots = 0;

	if (len < 3 || s[0] != 'e' || s[1] != 'y')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.')
			dots++;
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return dots <= 2;
}

/* export_claims: claim and variable; JWT_EXP besides. */
static const char *const export_names[][2] = {
	{ "sub", "JWT_SUB" }, { "jti", "JWT_JTI" }, { "scope", "JWT_SCOPE" },
};

/* Remove what export_claims may have set on this handle before. */
static void
unexport_claims(pam_handle_t *pamh)
{
	size_t i;

	/* Only names that are set: deleting an absent one is an error. */
	for (i = 0; i < sizeof(export_names) / sizeof(export_names[0]); i++)
		if (pam_getenv(pamh, export_names[i][1]) != NULL)
			(void)pam_putenv(pamh, export_names[i][1]);
	if (pam_getenv(pamh, "JWT_EXP") != NULL)
		(void)pam_putenv(pamh, "JWT_EXP");
}

/* A claim as an environment value: printable ASCII, bounded. */
static int
exportable(const char *v)
{
	size_t n = 0;

	for (; v[n] != '\0'; n++)
		if ((unsigned char)v[n] < 0x20 || (unsigned char)v[n] > 0x7e)
			return 0;
	return n <= PJM_MAX_EXPORT;
}

/*
 * export_claims: JWT_SUB, JWT_JTI, JWT_SCOPE (string claims, when present)
 * and JWT_EXP into the PAM environment.  All values are checked before any
 * is set.  Returns PAM_SUCCESS, PAM_AUTH_ERR (a claim is not exportable,
 * *ret_name names it) or a pam_putenv error.
 */
static int
export_claims(pam_handle_t *pamh, const pjwt_claims *c, int64_t exp,
    const char **ret_name)
{
	char buf[PJM_MAX_EXPORT + 16];
	size_t i;
	int r;

	for (i = 0; i < sizeof(export_names) / sizeof(export_names[0]); i++) {
		const char *v = pjwt_claims_get_string(c, export_names[i][0]);

		if (v != NULL && !exportable(v)) {
			*ret_name = export_names[i][0];
			return PAM_AUTH_ERR;
		}
	}
	for (i = 0; i < sizeof(export_names) / sizeof(export_names[0]); i++) {
		const char *v = pjwt_claims_get_string(c, export_names[i][0]);

		if (v == NULL)
			continue;
		snprintf(buf, sizeof(buf), "%s=%s", export_names[i][1], v);
		if ((r = pam_putenv(pamh, buf)) != PAM_SUCCESS)
			return r;
	}
	snprintf(buf, sizeof(buf), "JWT_EXP=%" PRId64, exp);
	return pam_putenv(pamh, buf);
}

static struct pjm_state *
state_new(int64_t deadline, const char *jti, const char *user,
    const char *revoked, uid_t revoked_owner)
{
	struct pjm_state *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	st->deadline = deadline;
	st->revoked_owner = revoked_owner;
	if ((jti != NULL && (st->jti = strdup(jti)) == NULL) ||
	    (st->user = strdup(user)) == NULL ||
	    (revoked != NULL && (st->revoked = strdup(revoked)) == NULL)) {
		state_free(st);
		return NULL;
	}
	return st;
}

/* Map a pam_prompt/pam_get_user failure to what we return: never
 * PAM_SUCCESS or PAM_IGNORE, PAM_INCOMPLETE for a conversation to resume. */
static int
conv_failure(int r)
{
	switch (r) {
	case PAM_CONV_AGAIN:
		return PAM_INCOMPLETE;
	case PAM_BUF_ERR:
	case PAM_SYSTEM_ERR:
	case PAM_ABORT:
	case PAM_USER_UNKNOWN:
		return r;
	default:
		return PAM_CONV_ERR;
	}
}

/* Where a pjwt_err came from: that decides what PAM hears. */
enum err_src {
	SRC_TOKEN,       /* the token (or our own bookkeeping of it) */
	SRC_FILE,        /* a file we trust: keys, revoked list */
	SRC_CONFIG,      /* the module's configuration */
};

/*
 * attempt_fail: the one map from a pjwt_err to the PAM code, log priority
 * and reason of the attempt.  Out of memory is PAM_BUF_ERR wherever it
 * happens; otherwise a token's fault is PAM_AUTH_ERR (LOG_NOTICE), an
 * unusable trusted file PAM_AUTHINFO_UNAVAIL and a configuration PAM_SERVICE_ERR
 * (both LOG_ERR: the administrator's to fix).
 */
static void
attempt_fail(struct attempt *at, enum err_src src, pjwt_err e)
{
	at->reason = pjwt_strerror(e);
	switch (src) {
	case SRC_TOKEN:
		at->retval = e == PJWT_E_NOMEM ? PAM_BUF_ERR : PAM_AUTH_ERR;
		break;
	case SRC_FILE:
		at->retval = e == PJWT_E_NOMEM ? PAM_BUF_ERR :
		    PAM_AUTHINFO_UNAVAIL;
		at->prio = LOG_ERR;
		break;
	case SRC_CONFIG:
		at->retval = e == PJWT_E_NOMEM ? PAM_BUF_ERR : PAM_SERVICE_ERR;
		at->prio = LOG_ERR;
		break;
	}
}

/*
 * read_token: the token of this attempt, from PAM_AUTHTOK
 * (use_first_pass, try_first_pass) or a prompt (*answer, the caller's to
 * free).  0 with *ret_tok a compact JWT of at most PJM_MAX_TOKEN bytes;
 * -1 when the attempt ends here (at says why; a password is passed on).
 */
static int
read_token(pam_handle_t *pamh, const struct pjm_args *a, struct attempt *at,
    const char **ret_tok, char **answer)
{
	const char *tok = NULL;
	size_t len;
	int r;

	if (a->use_first_pass || a->try_first_pass) {
		const void *item = NULL;

		if (pam_get_item(pamh, PAM_AUTHTOK, &item) == PAM_SUCCESS &&
		    item != NULL && *(const char *)item != '\0')
			tok = item;
		if (tok == NULL && a->use_first_pass) {
			at->reason = "no_token";
			return -1;
		}
		/* try_first_pass: a password for another module is not ours
		 * to try; ask for a token instead. */
		if (tok != NULL && a->try_first_pass &&
		    !pjwt_jws_is_compact(tok, strnlen(tok, PJM_MAX_TOKEN + 1),
		    PJM_MAX_TOKEN))
			tok = NULL;
	}
	if (tok == NULL) {
		/* pam_prompt, not pam_get_authtok: a token must not become
		 * PAM_AUTHTOK, where every later module would see it. */
		r = pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, answer, "%s",
		    a->prompt);
		if (r != PAM_SUCCESS) {
			at->reason = "conversation_failed";
			at->retval = conv_failure(r);
			return -1;
		}
		if (*answer == NULL || **answer == '\0') {
			at->reason = "no_token";
			return -1;
		}
		tok = *answer;
	}
	len = at->len = strnlen(tok, PJM_MAX_TOKEN + 1);
	if (len > PJM_MAX_TOKEN) {
		at->reason = pjwt_strerror(PJWT_E_TOO_LARGE);
		return -1;
	}
	if (!pjwt_jws_is_compact(tok, len, PJM_MAX_TOKEN)) {
		if (is_transport_limit(len) && looks_like_cut_jwt(tok, len)) {
			at->reason = pjwt_strerror(PJWT_E_TRUNCATED);
			at->cause = pjwt_strerror(PJWT_E_NOT_JWT);
			at->jwt_shaped = 1;
			return -1;
		}
		/* A password (or sshd's junk password for an unknown user):
		 * not ours.  PAM_AUTH_ERR (never PAM_IGNORE: under a required
		 * pam_jwt that could turn into success); when we asked for
		 * it, hand it to the next module (pam_unix try_first_pass)
		 * as PAM_AUTHTOK.  Not a refusal: a debug line at most. */
		at->reason = pjwt_strerror(PJWT_E_NOT_JWT);
		at->passed_on = 1;
		if (*answer != NULL &&
		    (r = pam_set_item(pamh, PAM_AUTHTOK, *answer)) !=
		    PAM_SUCCESS)
			at->retval = r == PAM_BUF_ERR ? PAM_BUF_ERR :
			    PAM_AUTH_ERR;
		return -1;
	}
	at->jwt_shaped = 1;
	*ret_tok = tok;
	return 0;
}

/*
 * check_policy: the verification policy of this module line for user, at
 * the current time.  *ret_pol on success (the caller frees it).
 */
static pjwt_err
check_policy(const struct pjm_args *a, const char *user,
    pjwt_policy **ret_pol)
{
	pjwt_policy *pol;
	const char *why = NULL;
	pjwt_err e;

	if ((pol = pjwt_policy_new()) == NULL)
		return PJWT_E_NOMEM;
	if ((e = args_apply_policy(a, pol, &why)) != PJWT_OK ||
	    (e = pjwt_policy_set_user(pol, user)) != PJWT_OK ||
	    (e = pjwt_policy_set_max_len(pol, PJM_MAX_TOKEN)) != PJWT_OK ||
	    (e = pjwt_policy_set_now(pol, (int64_t)time(NULL))) != PJWT_OK) {
		pjwt_policy_free(pol);
		return e;
	}
	*ret_pol = pol;
	return PJWT_OK;
}

/*
 * check_revoked: with revoked=, the token's jti must be listable and not in
 * the list.  0 when it passes; -1 with at filled.
 */
static int
check_revoked(const struct pjm_args *a, struct attempt *at, const char *jti,
    uid_t revoked_owner)
{
	char bad[PATH_MAX] = "";
	size_t line = 0;
	int revoked = 0;
	pjwt_err e;

	if (a->revoked == NULL)
		return 0;
	if (!pjwt_revoked_jti_listable(jti)) {
		/* A token that cannot be listed cannot be revoked. */
		at->reason = pjwt_strerror(PJWT_E_MISSING_CLAIM);
		snprintf(at->detail, sizeof(at->detail),
		    "claim=jti (required by revoked=)");
		return -1;
	}
	e = pjm_revoked_check(a->revoked, revoked_owner, jti, &revoked,
	    &line, bad, sizeof(bad));
	if (e != PJWT_OK) {
		file_detail(at->detail, sizeof(at->detail), bad, e, errno,
		    line);
		attempt_fail(at, SRC_FILE, e);
		return -1;
	}
	if (revoked) {
		at->reason = pjwt_strerror(PJWT_E_REVOKED);
		return -1;
	}
	return 0;
}

/*
 * check_token: signature and claims of tok against this line's keys and
 * policy for user, then the revoked list.  0 with *ret_claims (the caller
 * frees them) and *ret_deadline (exp + leeway); -1 with at filled.
 */
static int
check_token(pam_handle_t *pamh, const struct pjm_args *a, struct attempt *at,
    const char *user, const char *tok, uid_t revoked_owner,
    pjwt_claims **ret_claims, int64_t *ret_deadline)
{
	char bad[PATH_MAX] = "";
	pjwt_keyset *ks = NULL;
	pjwt_policy *pol = NULL;
	pjwt_claims *claims = NULL;
	const char *cu;
	int64_t exp = 0, lw;
	int ret = -1;
	pjwt_err e;

	if ((e = pjm_load_keyset(a->jwks, a->key, &ks, bad,
	    sizeof(bad))) != PJWT_OK) {
		file_detail(at->detail, sizeof(at->detail), bad, e, errno, 0);
		attempt_fail(at, SRC_FILE, e);
		goto out;
	}
	if (a->debug)
		pam_syslog(pamh, LOG_DEBUG, "%zu key(s) from %s",
		    pjwt_keyset_count(ks), a->jwks != NULL ? a->jwks : a->key);
	if ((e = check_policy(a, user, &pol)) != PJWT_OK) {
		attempt_fail(at, SRC_CONFIG, e);
		goto out;
	}
	e = pjwt_verify_ex(ks, tok, at->len, pol, &at->info, &claims);
	if (e != PJWT_OK) {
		attempt_fail(at, SRC_TOKEN, e);
		if (is_transport_limit(at->len)) {
			at->cause = at->reason;
			at->reason = pjwt_strerror(PJWT_E_TRUNCATED);
		}
		goto out;
	}
	/* pjwt_verify compared the user claim already; a second, local
	 * comparison costs nothing and guards the one thing that matters. */
	cu = pjwt_claims_user(claims);
	if (cu == NULL || strcmp(cu, user) != 0) {
		attempt_fail(at, SRC_TOKEN, PJWT_E_USER_MISMATCH);
		goto out;
	}
	if ((e = pjwt_claims_get_int(claims, "exp", &exp)) != PJWT_OK) {
		attempt_fail(at, SRC_TOKEN, e);
		goto out;
	}
	if (check_revoked(a, at, pjwt_claims_get_string(claims, "jti"),
	    revoked_owner) != 0)
		goto out;
	lw = pjwt_policy_leeway(pol);
	*ret_deadline = exp > INT64_MAX - lw ? INT64_MAX : exp + lw;
	*ret_claims = claims;
	claims = NULL;
	ret = 0;
 out:
	pjwt_claims_free(claims);
	pjwt_policy_free(pol);
	pjwt_keyset_free(ks);
	return ret;
}

/*
 * keep_token: export the claims (export_claims) and keep what
 * pam_sm_acct_mgmt needs on the handle.  0, or -1 with at filled.
 */
static int
keep_token(pam_handle_t *pamh, const struct pjm_args *a, struct attempt *at,
    const pjwt_claims *claims, int64_t deadline, const char *user,
    uid_t revoked_owner)
{
	struct pjm_state *st;
	int64_t exp = 0;
	int r;

	(void)pjwt_claims_get_int(claims, "exp", &exp);  /* checked already */
	if (a->export_claims) {
		const char *claim = NULL;

		if ((r = export_claims(pamh, claims, exp, &claim)) !=
		    PAM_SUCCESS) {
			if (claim != NULL) {
				at->reason = pjwt_strerror(PJWT_E_MALFORMED);
				snprintf(at->detail, sizeof(at->detail),
				    "claim=%s (not exportable)", claim);
			} else {
				at->reason = "putenv_failed";
				at->retval = r == PAM_BUF_ERR ? r :
				    PAM_SYSTEM_ERR;
			}
			return -1;
		}
	}
	if ((st = state_new(deadline, pjwt_claims_get_string(claims, "jti"),
	    user, a->revoked, revoked_owner)) == NULL) {
		attempt_fail(at, SRC_TOKEN, PJWT_E_NOMEM);
		return -1;
	}
	if ((r = pam_set_data(pamh, PJM_DATA, st, state_cleanup)) !=
	    PAM_SUCCESS) {
		state_free(st);
		at->reason = "set_data_failed";
		at->retval = r == PAM_BUF_ERR ? r : PAM_SYSTEM_ERR;
		return -1;
	}
	at->reason = "ok";
	at->prio = LOG_INFO;
	at->retval = PAM_SUCCESS;
	return 0;
}

/*
 * end_attempt: log the attempt's one line and, for a refused token, make
 * sure it ends here (see refused_authtok).  Returns the PAM code.
 */
static int
end_attempt(pam_handle_t *pamh, const struct pjm_args *a, struct attempt *at)
{
	int retval = at->retval, r;

	/* Claims exported before a later step failed do not stay. */
	if (retval != PAM_SUCCESS && a->export_claims)
		unexport_claims(pamh);
	if (at->passed_on && retval == PAM_AUTH_ERR) {
		if (a->debug)
			log_attempt(pamh, LOG_DEBUG, "passed on", at->reason,
			    NULL, at);
	} else {
		log_attempt(pamh, at->prio, retval == PAM_SUCCESS ?
		    "accepted" : "refused", at->reason, at->cause, at);
	}
	if (at->jwt_shaped && retval != PAM_SUCCESS) {
		if ((r = pam_set_item(pamh, PAM_AUTHTOK, refused_authtok)) !=
		    PAM_SUCCESS && retval != PAM_BUF_ERR)
			retval = PAM_AUTH_ERR;
	}
	return retval;
}

/*
 * Read the token, check it, keep it; every step fills the attempt's
 * outcome, logged once by end_attempt.
 */
PJM_EXPORT int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
    const char **argv)
{
	struct pjm_args a;
	struct attempt at;
	const char *user = NULL, *tok = NULL, *why;
	char *answer = NULL;
	pjwt_claims *claims = NULL;
	int64_t deadline = 0;
	uid_t revoked_owner = (uid_t)-1;
	int r, retval;

	(void)flags;
	/* An earlier accepted attempt on this handle no longer counts, nor
	 * do the claims it exported. */
	(void)pam_set_data(pamh, PJM_DATA, NULL, NULL);
	unexport_claims(pamh);

	if (parse_args(pamh, argc, argv, &a) != 0)
		return PAM_SERVICE_ERR;
	if (args_check_auth(&a, &why) != 0) {
		pam_syslog(pamh, LOG_ERR, "configuration error: %s", why);
		return PAM_SERVICE_ERR;
	}
	if (a.revoked_owner != NULL &&
	    pjm_user_uid(a.revoked_owner, &revoked_owner) != 0) {
		pam_syslog(pamh, LOG_ERR, "configuration error: argument "
		    "'revoked_owner': no such user");
		return PAM_SERVICE_ERR;
	}

	r = pam_get_user(pamh, &user, NULL);
	if (r != PAM_SUCCESS || user == NULL || *user == '\0') {
		attempt_init(pamh, &at, NULL);
		at.reason = "no_user";
		at.retval = r != PAM_SUCCESS ? conv_failure(r) :
		    PAM_USER_UNKNOWN;
	} else {
		attempt_init(pamh, &at, user);
		if (read_token(pamh, &a, &at, &tok, &answer) == 0 &&
		    check_token(pamh, &a, &at, user, tok, revoked_owner,
		    &claims, &deadline) == 0)
			(void)keep_token(pamh, &a, &at, claims, deadline,
			    user, revoked_owner);
	}
	/* tok may point at the old PAM_AUTHTOK, which end_attempt may
	 * replace (and so free): not used after. */
	tok = NULL;
	retval = end_attempt(pamh, &a, &at);
	pjwt_claims_free(claims);
	pjwt_str_free(answer);
	explicit_bzero(&at, sizeof(at));
	return retval;
}

/*
 * pam_jwt establishes no credentials: PAM_SUCCESS, as pam_unix does.  Not
 * PAM_IGNORE when this handle holds no accepted token: under sshd's
 * keyboard-interactive authentication PAM authentication runs in a child
 * process, so the handle pam_setcred runs on never saw our module data, and
 * a stack of pam_jwt alone would turn PAM_IGNORE into PAM_PERM_DENIED and
 * refuse the login pam_authenticate granted.  pam_setcred grants nothing by
 * itself: applications call it only after pam_authenticate succeeded, and
 * Linux-PAM replays the path the auth stack took.
 */
PJM_EXPORT int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}

/*
 * acct_revoked: the account step's revoked-list check for the accepted
 * token st: the account line's revoked= (owner root), else the auth line's
 * (with its revoked_owner=).  PAM_SUCCESS when not listed; PAM_SERVICE_ERR
 * (logged) for a bad revoked_owner=; PAM_PERM_DENIED with *reason, *prio
 * and detail (" ..." or "") when refused.
 */
static int
acct_revoked(pam_handle_t *pamh, const struct pjm_args *a,
    const struct pjm_state *st, char *detail, size_t detail_size,
    const char **reason, int *prio)
{
	const char *revoked_path;
	char bad[PATH_MAX] = "";
	uid_t revoked_owner;
	size_t line = 0;
	int revoked = 0;
	pjwt_err e;

	/* The owner allowed for a list goes with that list: a revoked= of
	 * the account line does not inherit auth's revoked_owner=. */
	revoked_path = a->revoked != NULL ? a->revoked : st->revoked;
	revoked_owner = a->revoked != NULL ? (uid_t)-1 : st->revoked_owner;
	if (a->revoked_owner != NULL &&
	    pjm_user_uid(a->revoked_owner, &revoked_owner) != 0) {
		pam_syslog(pamh, LOG_ERR, "configuration error: argument "
		    "'revoked_owner': no such user");
		return PAM_SERVICE_ERR;
	}
	if (revoked_path != NULL) {
		if (!pjwt_revoked_jti_listable(st->jti)) {
			*reason = pjwt_strerror(PJWT_E_MISSING_CLAIM);
			snprintf(detail, detail_size, " claim=jti");
			return PAM_PERM_DENIED;
		}
		e = pjm_revoked_check(revoked_path, revoked_owner, st->jti,
		    &revoked, &line, bad, sizeof(bad));
		if (e != PJWT_OK) {
			detail[0] = ' ';
			file_detail(detail + 1, detail_size - 1, bad, e,
			    errno, line);
			*reason = pjwt_strerror(e);
			*prio = LOG_ERR;
			return PAM_PERM_DENIED;
		}
		if (revoked) {
			*reason = pjwt_strerror(PJWT_E_REVOKED);
			return PAM_PERM_DENIED;
		}
	}
	return PAM_SUCCESS;
}

PJM_EXPORT int
pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pjm_args a;
	const struct pjm_state *st;
	const void *data = NULL, *item = NULL;
	const char *reason;
	char detail[PATH_MAX + 160] = "";
	char user_s[65], jti_s[65];
	int retval = PAM_PERM_DENIED, prio = LOG_NOTICE, r;

	(void)flags;
	if (parse_args(pamh, argc, argv, &a) != 0)
		return PAM_SERVICE_ERR;
	/*
	 * No token accepted on this handle: not ours to decide.  This is also
	 * the case under sshd's keyboard-interactive authentication, where
	 * PAM authentication runs in a separate process (or thread) whose
	 * module data never reaches the handle pam_acct_mgmt runs on.
	 */
	if (pam_get_data(pamh, PJM_DATA, &data) != PAM_SUCCESS || data == NULL) {
		if (a.debug)
			pam_syslog(pamh, LOG_DEBUG, "account: no token "
			    "accepted on this handle");
		return PAM_IGNORE;
	}
	st = data;
	(void)pam_get_item(pamh, PAM_USER, &item);
	sanitize(user_s, sizeof(user_s), item);
	sanitize(jti_s, sizeof(jti_s), st->jti);
	if (item == NULL || strcmp(item, st->user) != 0) {
		/* PAM_USER was changed after authentication: the token
		 * vouched for someone else. */
		reason = pjwt_strerror(PJWT_E_USER_MISMATCH);
		goto out;
	}
	if ((int64_t)time(NULL) >= st->deadline) {
		reason = pjwt_strerror(PJWT_E_EXPIRED);
		retval = PAM_ACCT_EXPIRED;
		goto out;
	}
	if ((r = acct_revoked(pamh, &a, st, detail, sizeof(detail), &reason,
	    &prio)) != PAM_SUCCESS) {
		if (r == PAM_SERVICE_ERR)
			return r;
		goto out;
	}
	if (a.debug)
		pam_syslog(pamh, LOG_DEBUG, "account: token for %s still valid",
		    user_s);
	return PAM_SUCCESS;
 out:
	pam_syslog(pamh, prio, "account refused: user=%s reason=%s%s jti=%s",
	    user_s, reason, detail, jti_s);
	return retval;
}

PJM_EXPORT int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc,
    const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_IGNORE;
}

PJM_EXPORT int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc,
    const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_IGNORE;
}
