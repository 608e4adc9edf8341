/* json.c - bounded, strict JSON parsing for untrusted input. */
#include "config.h"

#include <string.h>

#include "pjwt_jws.h"
#include "pjwtp.h"

/*
 * Refuse nesting deeper than PJWT_MAX_JSON_DEPTH and NUL bytes before jansson
 * sees the text: jansson's own depth limit is a compile-time 2048, far more
 * than a token needs.  Brackets inside strings do not count.
 */
static int
json_prescan_ok(const char *buf, size_t len)
{
	size_t i;
	int depth = 0, in_str = 0, esc = 0;

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
		switch (c) {
		case '"':
			in_str = 1;
			break;
		case '{':
		case '[':
			if (++depth > PJWT_MAX_JSON_DEPTH)
				return 0;
			break;
		case '}':
		case ']':
			depth--;
			break;
		default:
			break;
		}
	}
	return 1;
}

pjwt_err
pjwtp_json_parse(const char *buf, size_t len, json_t **ret_json)
{
	json_error_t jerr;
	json_t *j;

	if ((buf == NULL && len != 0) || ret_json == NULL)
		return PJWT_E_INVALID_ARGUMENT;
	if (!json_prescan_ok(buf, len))
		return PJWT_E_MALFORMED;
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		/*
		 * jansson 2.14's parser never sets json_error_out_of_memory:
		 * an allocation failure returns NULL without setting any
		 * error, so the text stays empty (and the code byte is left
		 * uninitialised).  Every input error sets a message.
		 */
		if (jerr.text[0] == '\0' ||
		    json_error_code(&jerr) == json_error_out_of_memory)
			return PJWT_E_NOMEM;
		return PJWT_E_MALFORMED;
	}
	*ret_json = j;
	return PJWT_OK;
}

static void
json_wipe(json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;

	if (j == NULL)
		return;
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		json_object_foreach(j, key, v)
			json_wipe(v);
		break;
	case JSON_ARRAY:
		json_array_foreach(j, i, v)
			json_wipe(v);
		break;
	case JSON_STRING:
		/* jansson owns the buffer; wiping in place keeps its length. */
		explicit_bzero((char *)json_string_value(j), json_string_length(j));
		break;
	default:
		break;
	}
}

void
pjwtp_json_wipe_decref(json_t *j)
{
	if (j == NULL)
		return;
	/* Only wipe when we hold the last reference. */
	if (j->refcount == 1)
		json_wipe(j);
	json_decref(j);
}
