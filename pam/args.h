/*
 * args.h - pam_jwt module arguments.
 *
 * Every argument goes through one setter, args_set(); an unknown key, a flag
 * given a value, a key given none, a repeated key or a bad value is an error
 * the caller logs and turns into PAM_SERVICE_ERR.  Values are borrowed from
 * the argv PAM hands the module and live as long as that call.
 */
#ifndef PJM_ARGS_H
#define PJM_ARGS_H

#include <stddef.h>
#include <stdint.h>

#define PJM_DEFAULT_PROMPT "Token: "
#define PJM_DEFAULT_TYP "at+jwt"
#define PJM_DEFAULT_LEEWAY 60
#define PJM_MAX_LEEWAY 86400
#define PJM_MAX_MAX_AGE (10LL * 366 * 86400)
#define PJM_MAX_PROMPT 128

struct pjm_args {
	const char *jwks;          /* jwks=PATH */
	const char *key;           /* key=PATH */
	const char *issuer;        /* issuer= (mandatory for auth) */
	const char *audience;      /* audience= (mandatory for auth) */
	const char *user_claim;    /* user_claim=, default "sub" */
	const char *scope;         /* scope="a b", all required */
	int64_t leeway;            /* leeway=, default 60 */
	int64_t max_age;           /* max_age=, 0 = off */
	const char *typ;           /* typ=, NULL after typ=any */
	unsigned alg_mask;         /* algorithms=, 0 = all */
	const char *revoked;       /* revoked=PATH */
	const char *revoked_owner; /* revoked_owner=USER|UID: may own it too */
	const char *prompt;        /* prompt=, default "Token: " */
	int use_first_pass;
	int try_first_pass;
	int export_claims;
	int debug;
	int allow_machine;         /* allow_machine: client_credentials tokens */
	unsigned seen;             /* bit per key, to refuse repeats */
};

/* args_init: the defaults. */
void args_init(struct pjm_args *a);

/*
 * args_set: apply one argument.  key is the part before '=', value the part
 * after it, or NULL when the argument has no '='.  Returns 0, or -1 with
 * *ret_why set to a static explanation.
 */
int args_set(struct pjm_args *a, const char *key, const char *value,
    const char **ret_why);

/*
 * args_split: split one argv word at its first '=' into key (copied into
 * keybuf, NUL-terminated) and value (a pointer into word, or NULL).  Returns
 * -1 when the key does not fit keybuf.
 */
int args_split(const char *word, char *keybuf, size_t keybuf_len,
    const char **ret_value);

/*
 * args_check_auth: cross-argument rules for the auth phase: exactly one of
 * jwks/key; issuer and audience present; revoked_owner= only with
 * revoked=.  (use_first_pass together with
 * try_first_pass is refused by args_set already.)  Returns 0, or -1 with
 * *ret_why.
 */
int args_check_auth(const struct pjm_args *a, const char **ret_why);

#endif /* PJM_ARGS_H */
