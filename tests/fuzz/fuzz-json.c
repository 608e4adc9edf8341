/*
 * fuzz-json.c - libFuzzer harness for pjwtp_json_parse, the JSON parser for
 * token headers, payloads and JWKs, checked differentially against its
 * contract: exactly what json_loadb(JSON_REJECT_DUPLICATES) accepts, minus
 * NUL bytes and nesting deeper than PJWT_MAX_JSON_DEPTH, with an equal
 * value (json_equal).  Any disagreement aborts.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pjwt_err.h"
#include "pjwt_jws.h"
#include "pjwtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The reference: no NUL byte, brackets outside strings nest <= the bound. */
static int
ref_prescan_ok(const char *buf, size_t len)
{
	int depth = 0, in_str = 0, esc = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (c == '\0')
			return 0;
		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"')
			in_str = 1;
		else if ((c == '{' || c == '[') && ++depth > PJWT_MAX_JSON_DEPTH)
			return 0;
		else if (c == '}' || c == ']')
			depth--;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *ours = NULL, *ref = NULL;
	json_error_t jerr;
	char *buf;
	pjwt_err r;

	/* An exact-size heap copy, so ASan sees any read past the end. */
	if ((buf = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	r = pjwtp_json_parse(buf, size, &ours);
	if (ref_prescan_ok(buf, size))
		ref = json_loadb(buf, size, JSON_REJECT_DUPLICATES, &jerr);
	if (r == PJWT_E_NOMEM) {
		/* Not an answer about the input; nothing to compare. */
	} else if ((r == PJWT_OK) != (ref != NULL)) {
		fprintf(stderr, "fuzz-json: pjwtp_json_parse says %s, "
		    "json_loadb says %s\n", pjwt_strerror(r),
		    ref != NULL ? "ok" : jerr.text);
		abort();
	} else if (r == PJWT_OK && !json_equal(ours, ref)) {
		fprintf(stderr, "fuzz-json: both parse, values differ\n");
		abort();
	}
	if (r != PJWT_OK && r != PJWT_E_MALFORMED && r != PJWT_E_NOMEM) {
		fprintf(stderr, "fuzz-json: unexpected %s\n", pjwt_strerror(r));
		abort();
	}
	json_decref(ours);
	json_decref(ref);
	free(buf);
	return 0;
}
