/*
 * fuzz-common.h - shared set-up for the libFuzzer harnesses: the fixed keys
 * in tests/fuzz/keys/ (directory compiled in as PJWT_FUZZ_KEYDIR by run.sh,
 * overridable with the environment variable of the same name).
 *
 * Harness code, not library code: it may abort() on a broken set-up.
 */
#ifndef PJWT_FUZZ_COMMON_H
#define PJWT_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pjwt_key.h"

#ifndef PJWT_FUZZ_KEYDIR
#define PJWT_FUZZ_KEYDIR "tests/fuzz/keys"
#endif

/* The fuzz keys, in the order mode 0x02 of fuzz-verify indexes them. */
static const char *const fuzz_key_names[] = { "eddsa", "es256", "rs256", "hs256" };
#define FUZZ_NKEYS (sizeof(fuzz_key_names) / sizeof(fuzz_key_names[0]))

static void
fuzz_die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz set-up: %s: %s\n", what, detail);
	abort();
}

/* Read keydir/NAME.jwk into a new NUL-terminated buffer. */
static char *
fuzz_read_key_file(const char *name, size_t *ret_len)
{
	const char *dir = getenv("PJWT_FUZZ_KEYDIR");
	char path[4096];
	char *buf;
	size_t n;
	FILE *f;

	if (dir == NULL || *dir == '\0')
		dir = PJWT_FUZZ_KEYDIR;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.jwk", dir, name) >= sizeof(path))
		fuzz_die("path too long", dir);
	if ((f = fopen(path, "r")) == NULL)
		fuzz_die("cannot open (set PJWT_FUZZ_KEYDIR)", path);
	if ((buf = malloc(65536)) == NULL)
		fuzz_die("malloc", path);
	n = fread(buf, 1, 65535, f);
	if (ferror(f) || n == 0)
		fuzz_die("cannot read", path);
	fclose(f);
	buf[n] = '\0';
	*ret_len = n;
	return buf;
}

/* Load fuzz key i (index into fuzz_key_names). */
static pjwt_key *
fuzz_load_key(size_t i)
{
	pjwt_key *k = NULL;
	pjwt_err r;
	size_t len;
	char *buf = fuzz_read_key_file(fuzz_key_names[i], &len);

	if ((r = pjwt_key_from_jwk(buf, len, PJWT_ALG_UNKNOWN, &k)) != PJWT_OK)
		fuzz_die(fuzz_key_names[i], pjwt_strerror(r));
	free(buf);
	return k;
}

#endif /* PJWT_FUZZ_COMMON_H */
