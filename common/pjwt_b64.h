/*
 * pjwt_b64.h - strict base64url (RFC 4648 section 5, RFC 7515 section 2).
 *
 * Encoding never pads.  Decoding accepts only the canonical form: alphabet
 * A-Z a-z 0-9 - _, no '=', no '+' or '/', no whitespace, a length that is not
 * 1 mod 4, and zero unused trailing bits.  Anything else is PJWT_E_MALFORMED.
 */
#ifndef PJWT_B64_H
#define PJWT_B64_H

#include <stddef.h>
#include "pjwt_err.h"

/* Length of the encoding of n bytes (no padding, no NUL). */
size_t pjwt_b64url_encoded_len(size_t n);

/*
 * pjwt_b64url_encode: encode len bytes of in.  On success *ret_out is a new
 * NUL-terminated string (free with pjwt_str_free when it may hold a secret,
 * else free) and *ret_len (may be NULL) its length.
 * Errors: PJWT_E_INVALID_ARGUMENT, PJWT_E_NOMEM.
 */
pjwt_err pjwt_b64url_encode(const void *in, size_t len, char **ret_out,
    size_t *ret_len);

/*
 * pjwt_b64url_decode: strictly decode len characters of in.  On success
 * *ret_out is a new buffer of *ret_len bytes, followed by one extra NUL byte
 * (not counted) so text can be used as a C string.  Free with
 * pjwt_secret_free(out, len + 1) when it may hold a secret.
 * An empty input decodes to an empty (non-NULL) buffer.
 * Errors: PJWT_E_MALFORMED, PJWT_E_INVALID_ARGUMENT, PJWT_E_NOMEM.
 */
pjwt_err pjwt_b64url_decode(const char *in, size_t len,
    unsigned char **ret_out, size_t *ret_len);

#endif /* PJWT_B64_H */
