/* err.c - stable names for pjwt_err. */
#include "config.h"

#include <string.h>

#include "pjwt_err.h"

static const struct {
	pjwt_err e;
	const char *name;
} err_names[] = {
	{ PJWT_OK, "ok" },
	{ PJWT_E_NOMEM, "nomem" },
	{ PJWT_E_INVALID_ARGUMENT, "invalid_argument" },
	{ PJWT_E_INTERNAL, "internal" },
	{ PJWT_E_MALFORMED, "malformed" },
	{ PJWT_E_TOO_LARGE, "too_large" },
	{ PJWT_E_BAD_SIGNATURE, "bad_signature" },
	{ PJWT_E_EXPIRED, "expired" },
	{ PJWT_E_NOT_YET_VALID, "not_yet_valid" },
	{ PJWT_E_IAT_FUTURE, "iat_in_future" },
	{ PJWT_E_TOO_OLD, "too_old" },
	{ PJWT_E_ISS_MISMATCH, "iss_mismatch" },
	{ PJWT_E_AUD_MISMATCH, "aud_mismatch" },
	{ PJWT_E_TYP_MISMATCH, "typ_mismatch" },
	{ PJWT_E_SCOPE_MISSING, "scope_missing" },
	{ PJWT_E_USER_MISMATCH, "user_mismatch" },
	{ PJWT_E_MISSING_CLAIM, "missing_claim" },
	{ PJWT_E_ALG_NONE, "alg_none" },
	{ PJWT_E_ALG_UNSUPPORTED, "unsupported_alg" },
	{ PJWT_E_ALG_MISMATCH, "alg_mismatch" },
	{ PJWT_E_ALG_NOT_ALLOWED, "alg_not_allowed" },
	{ PJWT_E_UNKNOWN_KID, "unknown_kid" },
	{ PJWT_E_NO_KEY, "no_matching_key" },
	{ PJWT_E_CRIT, "crit_unsupported" },
	{ PJWT_E_UNTRUSTED_HEADER, "untrusted_header" },
	{ PJWT_E_BAD_KEY, "bad_key" },
	{ PJWT_E_WEAK_KEY, "weak_key" },
	{ PJWT_E_IO, "io_error" },
	{ PJWT_E_FILE_NOT_REGULAR, "not_regular_file" },
	{ PJWT_E_FILE_OWNER, "bad_owner" },
	{ PJWT_E_FILE_MODE, "bad_permissions" },
	{ PJWT_E_TRUNCATED, "truncated" },
	{ PJWT_E_REVOKED, "revoked" },
	{ PJWT_E_NOT_JWT, "not_a_jwt" },
	{ PJWT_E_DUPLICATE_KID, "duplicate_kid" },
	{ PJWT_E_MACHINE_TOKEN, "machine_token" },
};

const char *
pjwt_strerror(pjwt_err e)
{
	size_t i;

	for (i = 0; i < sizeof(err_names) / sizeof(err_names[0]); i++)
		if (err_names[i].e == e)
			return err_names[i].name;
	return "unknown_error";
}

int
pjwt_err_from_name(const char *name, pjwt_err *ret_err)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < sizeof(err_names) / sizeof(err_names[0]); i++) {
		if (strcmp(err_names[i].name, name) == 0) {
			if (ret_err != NULL)
				*ret_err = err_names[i].e;
			return 0;
		}
	}
	return -1;
}
