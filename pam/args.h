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

#include "pjwt_jwt.h"

#define PJM_DEFAULT_PROMPT "Token: "
#define PJM_MAX_PROMPT 128
#define PJM_MAX_POLICY 16          /* > the number of policy options */

struct pjm_args {
	const char *jwks;          /* jwks=PATH */
	const char *key;           /* key=PATH */
	/*
	 * The policy options (issuer=, audience=, user_claim=, scope=,
	 * leeway=, max_age=, typ=, algorithms=, allow_machine), in the order
	 * given, already checked by pjwt_policy_set; args_apply_policy hands
	 * them to a pjwt_policy.  Their names, bounds and defaults are
	 * common/'s (pjwt_jwt.h).
	 */
	struct pjm_policy_opt {
		const char *name;
		const char *value;         /* NULL for a flag */
	} policy[PJM_MAX_POLICY];
	size_t npolicy;
	const char *revoked;       /* revoked=PATH */
	const char *revoked_owner; /* revoked_owner=USER|UID: may own it too */
	const char *prompt;        /* prompt=, default "Token: " */
	int use_first_pass;
	int try_first_pass;
	int export_claims;
	int debug;
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

/*
 * args_apply_policy: set the policy options given on p, through
 * pjwt_policy_set.  PJWT_OK, PJWT_E_NOMEM, or PJWT_E_INVALID_ARGUMENT with
 * *ret_why.
 */
pjwt_err args_apply_policy(const struct pjm_args *a, pjwt_policy *p,
    const char **ret_why);

#endif /* PJM_ARGS_H */
