/* b64.c - strict base64url without padding (RFC 4648 section 5). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pjwt_b64.h"
#include "pjwt_mem.h"

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Decoding table: 0..63 for alphabet characters, 0xff for everything else. */
static int
b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

size_t
pjwt_b64url_encoded_len(size_t n)
{
	return (n / 3) * 4 + ((n % 3) == 0 ? 0 : (n % 3) + 1);
}

pjwt_err
pjwt_b64url_encode(const void *in, size_t len, char **ret_out, size_t *ret_len)
{
	const unsigned char *p = in;
	size_t olen, i, o = 0;
	char *out;

	if ((in == NULL && len != 0) || ret_out == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	if (len > (SIZE_MAX - 1) / 4 * 3)
		return PJWT_E_TOO_LARGE;
	olen = pjwt_b64url_encoded_len(len);
	if ((out = malloc(olen + 1)) == NULL)
		return PJWT_E_NOMEM;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64url_alphabet[(v >> 18) & 63];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
		out[o++] = b64url_alphabet[(v >> 6) & 63];
		out[o++] = b64url_alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		out[o++] = b64url_alphabet[(v >> 18) & 63];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = b64url_alphabet[(v >> 18) & 63];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
		out[o++] = b64url_alphabet[(v >> 6) & 63];
	}
	out[o] = '\0';
	*ret_out = out;
	if (ret_len != NULL)
		*ret_len = o;
	return PJWT_OK;
}

pjwt_err
pjwt_b64url_decode(const char *in, size_t len, unsigned char **ret_out,
    size_t *ret_len)
{
	const unsigned char *p = (const unsigned char *)in;
	unsigned char *out;
	size_t olen, i, o = 0, rem;
	uint32_t acc = 0;
	int v;

	if ((in == NULL && len != 0) || ret_out == NULL || ret_len == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	rem = len % 4;
	if (rem == 1)
		return PJWT_E_MALFORMED;   /* no byte count encodes to 4k+1 chars */
	olen = (len / 4) * 3 + (rem == 0 ? 0 : rem - 1);
	if ((out = malloc(olen + 1)) == NULL)
		return PJWT_E_NOMEM;
	for (i = 0; i < len; i++) {
		if ((v = b64url_value(p[i])) < 0)
			goto bad;
		acc = (acc << 6) | (uint32_t)v;
		if ((i & 3) == 3) {
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
		}
	}
	/* Unused trailing bits must be zero: only one encoding per input. */
	if (rem == 2) {
		if ((acc & 0x0f) != 0)
			goto bad;
		out[o++] = (unsigned char)(acc >> 4);
	} else if (rem == 3) {
		if ((acc & 0x03) != 0)
			goto bad;
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
	}
	out[o] = '\0';
	*ret_out = out;
	*ret_len = o;
	return PJWT_OK;
 bad:
	pjwt_secret_free(out, olen + 1);
	return PJWT_E_MALFORMED;
}
