/*
 * pjwt_mem.h - wiping helpers for secrets (tokens, keys, passwords).
 */
#ifndef PJWT_MEM_H
#define PJWT_MEM_H

#include <stddef.h>

/* pjwt_secret_free: wipe len bytes of p, then free(p).  NULL-safe. */
void pjwt_secret_free(void *p, size_t len);

/* pjwt_str_free: wipe a NUL-terminated string (strlen bytes), then free it.
 * NULL-safe.  Use for every token, JWK or password string libpjwt returns. */
void pjwt_str_free(char *s);

/* pjwt_memeq: constant-time equality of two buffers of the same length n.
 * Returns 1 when equal, 0 otherwise. */
int pjwt_memeq(const void *a, const void *b, size_t n);

#endif /* PJWT_MEM_H */
