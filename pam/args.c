/* args.c - pam_jwt module arguments: one setter, strict values. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "pjwt_key.h"
#include "args.h"

/*
 * How a value must look in a PAM argv word (a policy option's value is then
 * parsed and bounded by pjwt_policy_set).
 */
enum arg_kind { ARG_FLAG, ARG_PATH, ARG_TEXT, ARG_WORD, ARG_NUM, ARG_SPECIAL };

enum arg_id {
	A_JWKS, A_KEY, A_ISSUER, A_AUDIENCE, A_USER_CLAIM, A_SCOPE, A_LEEWAY,
	A_MAX_AGE, A_TYP, A_ALGORITHMS, A_REVOKED, A_REVOKED_OWNER,
	A_USE_FIRST_PASS,
	A_TRY_FIRST_PASS, A_PROMPT, A_EXPORT_CLAIMS, A_DEBUG, A_ALLOW_MACHINE,
};

static const struct {
	const char *name;
	enum arg_id id;
	enum arg_kind kind;
	size_t max;              /* longest value accepted */
	int policy;              /* a pjwt_policy_set option */
} arg_table[] = {
	{ "jwks", A_JWKS, ARG_PATH, PATH_MAX - 1, 0 },
	{ "key", A_KEY, ARG_PATH, PATH_MAX - 1, 0 },
	{ "issuer", A_ISSUER, ARG_WORD, 1024, 1 },
	{ "audience", A_AUDIENCE, ARG_WORD, 1024, 1 },
	{ "user_claim", A_USER_CLAIM, ARG_WORD, 64, 1 },
	{ "scope", A_SCOPE, ARG_TEXT, 1024, 1 },
	{ "leeway", A_LEEWAY, ARG_NUM, 16, 1 },
	{ "max_age", A_MAX_AGE, ARG_NUM, 16, 1 },
	{ "typ", A_TYP, ARG_WORD, 64, 1 },
	{ "algorithms", A_ALGORITHMS, ARG_SPECIAL, 256, 1 },
	{ "revoked", A_REVOKED, ARG_PATH, PATH_MAX - 1, 0 },
	{ "revoked_owner", A_REVOKED_OWNER, ARG_WORD, 64, 0 },
	{ "use_first_pass", A_USE_FIRST_PASS, ARG_FLAG, 0, 0 },
	{ "try_first_pass", A_TRY_FIRST_PASS, ARG_FLAG, 0, 0 },
	{ "prompt", A_PROMPT, ARG_TEXT, PJM_MAX_PROMPT, 0 },
	{ "export_claims", A_EXPORT_CLAIMS, ARG_FLAG, 0, 0 },
	{ "debug", A_DEBUG, ARG_FLAG, 0, 0 },
	{ "allow_machine", A_ALLOW_MACHINE, ARG_FLAG, 0, 1 },
};

void
args_init(struct pjm_args *a)
{
	memset(a, 0, sizeof(*a));
	a->prompt = PJM_DEFAULT_PROMPT;
}

/* Printable ASCII; spaces allowed only when `spaces`. */
static int
printable(const char *s, int spaces)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c > 0x7e || (c == ' ' && !spaces))
			return 0;
	}
	return 1;
}

/*
 * check_value: how the value of arg_table[i] must look in a PAM argv word:
 * none for a flag; else non-empty, bounded, printable (blanks only in text
 * and paths), paths absolute.  0, or -1 with *ret_why.
 */
static int
check_value(size_t i, const char *value, const char **ret_why)
{
	if (arg_table[i].kind == ARG_FLAG) {
		if (value != NULL) {
			*ret_why = "takes no value";
			return -1;
		}
	} else {
		if (value == NULL || *value == '\0') {
			*ret_why = "needs a value (key=value)";
			return -1;
		}
		if (strlen(value) > arg_table[i].max) {
			*ret_why = "value too long";
			return -1;
		}
		if (!printable(value, arg_table[i].kind == ARG_TEXT ||
		    arg_table[i].kind == ARG_PATH)) {
			*ret_why = "value has blanks or non-printable bytes";
			return -1;
		}
		if (arg_table[i].kind == ARG_PATH && value[0] != '/') {
			*ret_why = "path must be absolute";
			return -1;
		}
	}
	return 0;
}

int
args_set(struct pjm_args *a, const char *key, const char *value,
    const char **ret_why)
{
	size_t i, n = sizeof(arg_table) / sizeof(arg_table[0]);
	unsigned bit;

	for (i = 0; i < n; i++)
		if (strcmp(arg_table[i].name, key) == 0)
			break;
	if (i == n) {
		*ret_why = "unknown argument";
		return -1;
	}
	bit = 1u << (unsigned)arg_table[i].id;
	if ((a->seen & bit) != 0) {
		*ret_why = "given more than once";
		return -1;
	}
	a->seen |= bit;

	if (check_value(i, value, ret_why) != 0)
		return -1;

	if (arg_table[i].policy) {
		/* Checked now (p NULL), applied at authentication. */
		if (pjwt_policy_set(NULL, key, value, ret_why) != PJWT_OK)
			return -1;
		if (a->npolicy >= PJM_MAX_POLICY) {
			*ret_why = "too many policy options";
			return -1;
		}
		a->policy[a->npolicy].name = arg_table[i].name;
		a->policy[a->npolicy].value = value;
		a->npolicy++;
		return 0;
	}

	switch (arg_table[i].id) {
	case A_JWKS:
		a->jwks = value;
		break;
	case A_KEY:
		a->key = value;
		break;
	case A_REVOKED:
		a->revoked = value;
		break;
	case A_REVOKED_OWNER:
		a->revoked_owner = value;
		break;
	case A_USE_FIRST_PASS:
	case A_TRY_FIRST_PASS:
		if (a->use_first_pass || a->try_first_pass) {
			*ret_why = "use_first_pass and try_first_pass exclude each other";
			return -1;
		}
		if (arg_table[i].id == A_USE_FIRST_PASS)
			a->use_first_pass = 1;
		else
			a->try_first_pass = 1;
		break;
	case A_PROMPT:
		a->prompt = value;
		break;
	case A_EXPORT_CLAIMS:
		a->export_claims = 1;
		break;
	case A_DEBUG:
		a->debug = 1;
		break;
	default:
		/* The policy options returned above. */
		break;
	}
	return 0;
}

int
args_split(const char *word, char *keybuf, size_t keybuf_len,
    const char **ret_value)
{
	const char *eq = strchr(word, '=');
	size_t klen = eq != NULL ? (size_t)(eq - word) : strlen(word);

	if (klen >= keybuf_len)
		return -1;
	memcpy(keybuf, word, klen);
	keybuf[klen] = '\0';
	*ret_value = eq != NULL ? eq + 1 : NULL;
	return 0;
}

static int
has_policy(const struct pjm_args *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->npolicy; i++)
		if (strcmp(a->policy[i].name, name) == 0)
			return 1;
	return 0;
}

int
args_check_auth(const struct pjm_args *a, const char **ret_why)
{
	if (a->jwks != NULL && a->key != NULL) {
		*ret_why = "jwks= and key= exclude each other";
		return -1;
	}
	if (a->jwks == NULL && a->key == NULL) {
		*ret_why = "jwks= or key= is required";
		return -1;
	}
	if (!has_policy(a, "issuer")) {
		*ret_why = "issuer= is required";
		return -1;
	}
	if (!has_policy(a, "audience")) {
		*ret_why = "audience= is required";
		return -1;
	}
	if (a->revoked_owner != NULL && a->revoked == NULL) {
		*ret_why = "revoked_owner= without revoked=";
		return -1;
	}
	return 0;
}

pjwt_err
args_apply_policy(const struct pjm_args *a, pjwt_policy *p,
    const char **ret_why)
{
	size_t i;
	pjwt_err e;

	for (i = 0; i < a->npolicy; i++)
		if ((e = pjwt_policy_set(p, a->policy[i].name,
		    a->policy[i].value, ret_why)) != PJWT_OK)
			return e;
	return PJWT_OK;
}
