/*
 * test-common.c - the small helpers of libpjwt: error names, base64url,
 * wiping and comparing memory, trusted-file reads, atomic writes, bounded
 * JSON parsing.
 *
 * free() is wrapped by the linker (-Wl,--wrap=free) so the tests can see that
 * a buffer was wiped before it was released; jansson's free goes through the
 * same check (json_set_alloc_funcs, test binary only).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <jansson.h>

#include "pjwt_b64.h"
#include "pjwt_err.h"
#include "pjwt_file.h"
#include "pjwt_jws.h"
#include "pjwt_mem.h"
#include "pjwt_user.h"
#include "pjwtp.h"

#define assert_pjwt(got, want) do { \
	pjwt_err g_ = (got), w_ = (want); \
	if (g_ != w_) \
		fail_msg("%s:%d: got %s (%d), want %s (%d)", __FILE__, \
		    __LINE__, pjwt_strerror(g_), (int)g_, pjwt_strerror(w_), \
		    (int)w_); \
} while (0)

/* ---- watching free() ---------------------------------------------------- */

void __real_free(void *p);
void __wrap_free(void *p);

static const void *watch_ptr;   /* the buffer to inspect when freed */
static size_t watch_len;
static int watch_freed;         /* 1: freed and all zero; -1: freed, not */

static void
watch_check(void *p)
{
	size_t i;

	if (p == NULL || p != watch_ptr)
		return;
	watch_freed = 1;
	for (i = 0; i < watch_len; i++)
		if (((const unsigned char *)p)[i] != 0)
			watch_freed = -1;
	watch_ptr = NULL;
}

void
__wrap_free(void *p)
{
	watch_check(p);
	__real_free(p);
}

static void
json_free_hook(void *p)
{
	watch_check(p);
	__real_free(p);
}

static void
watch(const void *p, size_t len)
{
	watch_ptr = p;
	watch_len = len;
	watch_freed = 0;
}

/* ---- errors ------------------------------------------------------------ */

static void
test_err_names(void **state)
{
	const char *names[64];
	int e, i, n = 0;

	(void)state;
	for (e = 0; e >= (int)PJWT_E_MACHINE_TOKEN; e--) {
		const char *s = pjwt_strerror((pjwt_err)e);
		pjwt_err back = PJWT_OK;
		const char *c;

		assert_non_null(s);
		assert_string_not_equal(s, "unknown_error");
		for (c = s; *c != '\0'; c++)
			assert_true((*c >= 'a' && *c <= 'z') || *c == '_');
		for (i = 0; i < n; i++)
			assert_string_not_equal(names[i], s);
		names[n++] = s;
		assert_int_equal(pjwt_err_from_name(s, &back), 0);
		assert_int_equal(back, e);
		assert_int_equal(pjwt_err_from_name(s, NULL), 0);
	}
	assert_int_equal(n, 36);
	/* names the front ends, logs and docs rely on */
	assert_string_equal(pjwt_strerror(PJWT_OK), "ok");
	assert_string_equal(pjwt_strerror(PJWT_E_NOMEM), "nomem");
	assert_string_equal(pjwt_strerror(PJWT_E_MALFORMED), "malformed");
	assert_string_equal(pjwt_strerror(PJWT_E_EXPIRED), "expired");
	assert_string_equal(pjwt_strerror(PJWT_E_BAD_SIGNATURE),
	    "bad_signature");
	assert_string_equal(pjwt_strerror(PJWT_E_ALG_MISMATCH), "alg_mismatch");
	assert_string_equal(pjwt_strerror(PJWT_E_AUD_MISMATCH), "aud_mismatch");
	assert_string_equal(pjwt_strerror(PJWT_E_ALG_NONE), "alg_none");
	assert_string_equal(pjwt_strerror(PJWT_E_ALG_UNSUPPORTED),
	    "unsupported_alg");
	assert_string_equal(pjwt_strerror(PJWT_E_NO_KEY), "no_matching_key");
	assert_string_equal(pjwt_strerror(PJWT_E_IO), "io_error");
	assert_string_equal(pjwt_strerror(PJWT_E_DUPLICATE_KID),
	    "duplicate_kid");
	assert_string_equal(pjwt_strerror(PJWT_E_MACHINE_TOKEN),
	    "machine_token");
	/* unknown values */
	assert_string_equal(pjwt_strerror((pjwt_err)1), "unknown_error");
	assert_string_equal(pjwt_strerror((pjwt_err)-36), "unknown_error");
	assert_string_equal(pjwt_strerror((pjwt_err)INT_MIN), "unknown_error");
	{
		pjwt_err back = PJWT_E_IO;

		assert_int_equal(pjwt_err_from_name("unknown_error", &back), -1);
		assert_int_equal(pjwt_err_from_name("", &back), -1);
		assert_int_equal(pjwt_err_from_name("Expired", &back), -1);
		assert_int_equal(pjwt_err_from_name("expired ", &back), -1);
		assert_int_equal(pjwt_err_from_name(NULL, &back), -1);
		assert_int_equal(back, PJWT_E_IO);
	}
}

/* ---- base64url --------------------------------------------------------- */

static void
b64_check(const char *raw, size_t rawlen, const char *enc)
{
	unsigned char *dec = NULL;
	char *out = NULL;
	size_t len = 99;

	assert_int_equal(pjwt_b64url_encoded_len(rawlen), strlen(enc));
	assert_pjwt(pjwt_b64url_encode(raw, rawlen, &out, &len), PJWT_OK);
	assert_string_equal(out, enc);
	assert_int_equal(len, strlen(enc));
	free(out);
	assert_pjwt(pjwt_b64url_decode(enc, strlen(enc), &dec, &len), PJWT_OK);
	assert_int_equal(len, rawlen);
	assert_memory_equal(dec, raw, rawlen);
	assert_int_equal(dec[len], 0);
	free(dec);
}

static void
test_b64_vectors(void **state)
{
	(void)state;
	/* RFC 4648 section 10, without padding */
	b64_check("", 0, "");
	b64_check("f", 1, "Zg");
	b64_check("fo", 2, "Zm8");
	b64_check("foo", 3, "Zm9v");
	b64_check("foob", 4, "Zm9vYg");
	b64_check("fooba", 5, "Zm9vYmE");
	b64_check("foobar", 6, "Zm9vYmFy");
	/* the URL-safe alphabet (RFC 4648 section 5) */
	b64_check("\xfb\xef\xbe", 3, "----");
	b64_check("\xff\xff\xff", 3, "____");
	b64_check("\xfb\xff", 2, "-_8");
	b64_check("\x00\x00\x00", 3, "AAAA");
	b64_check("\x00", 1, "AA");
	/* RFC 7515 A.1 header */
	b64_check("{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}", 30,
	    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9");
	/* NULL with length 0 is the empty string */
	{
		unsigned char *dec = NULL;
		char *out = NULL;
		size_t len = 1;

		assert_pjwt(pjwt_b64url_encode(NULL, 0, &out, NULL), PJWT_OK);
		assert_string_equal(out, "");
		free(out);
		assert_pjwt(pjwt_b64url_decode(NULL, 0, &dec, &len), PJWT_OK);
		assert_non_null(dec);
		assert_int_equal(len, 0);
		free(dec);
	}
}

static void
b64_bad(const char *in, size_t len, pjwt_err want, int line)
{
	unsigned char *dec = NULL;
	size_t dlen = 12345;
	pjwt_err r = pjwt_b64url_decode(in, len, &dec, &dlen);

	if (r != want)
		fail_msg("line %d: \"%.*s\": got %s, want %s", line, (int)len,
		    in != NULL ? in : "", pjwt_strerror(r), pjwt_strerror(want));
	assert_null(dec);
	assert_int_equal(dlen, 12345);
}
#define B64_BAD(s, want) b64_bad((s), strlen(s), (want), __LINE__)

static int
in_alphabet(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static void
test_b64_strict(void **state)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char *dec;
	char buf[8];
	size_t len;
	int c, i, accepted;

	(void)state;
	B64_BAD("Zg==", PJWT_E_MALFORMED);
	B64_BAD("Zm8=", PJWT_E_MALFORMED);
	B64_BAD("Zg=", PJWT_E_MALFORMED);
	B64_BAD("=", PJWT_E_MALFORMED);
	B64_BAD("+/8A", PJWT_E_MALFORMED);
	B64_BAD("ab+c", PJWT_E_MALFORMED);
	B64_BAD("ab/c", PJWT_E_MALFORMED);
	B64_BAD("Zm9v Yg", PJWT_E_MALFORMED);
	B64_BAD("Zm9v\nYg", PJWT_E_MALFORMED);
	B64_BAD("Zm9v\r\nYmFy", PJWT_E_MALFORMED);
	B64_BAD(" Zm9v", PJWT_E_MALFORMED);
	B64_BAD("Zm9v\t", PJWT_E_MALFORMED);
	B64_BAD("Zm9v.", PJWT_E_MALFORMED);
	/* 4k+1 characters never encode anything */
	B64_BAD("Z", PJWT_E_MALFORMED);
	B64_BAD("Zm9vY", PJWT_E_MALFORMED);
	B64_BAD("Zm9vYmFyZ", PJWT_E_MALFORMED);
	/* non-zero unused bits: a second spelling of "f" and "fo" */
	B64_BAD("Zh", PJWT_E_MALFORMED);
	B64_BAD("Zm9", PJWT_E_MALFORMED);
	B64_BAD("Zm9vYh", PJWT_E_MALFORMED);
	/* embedded NUL, high bytes */
	b64_bad("Zm\0v", 4, PJWT_E_MALFORMED, __LINE__);
	B64_BAD("Zm\xc3\xa9", PJWT_E_MALFORMED);
	B64_BAD("\xff\xff\xff\xff", PJWT_E_MALFORMED);
	/* arguments */
	b64_bad(NULL, 4, PJWT_E_INVALID_ARGUMENT, __LINE__);
	assert_pjwt(pjwt_b64url_decode("Zg", 2, NULL, &len),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_b64url_decode("Zg", 2, &dec, NULL),
	    PJWT_E_INVALID_ARGUMENT);
	{
		char *out = NULL;

		assert_pjwt(pjwt_b64url_encode(NULL, 1, &out, NULL),
		    PJWT_E_INVALID_ARGUMENT);
		assert_pjwt(pjwt_b64url_encode("x", 1, NULL, NULL),
		    PJWT_E_INVALID_ARGUMENT);
		assert_null(out);
	}

	/* Every byte value in every position of a 4-character group. */
	for (i = 0; i < 4; i++) {
		for (c = 0; c < 256; c++) {
			pjwt_err r;

			memcpy(buf, "QUJD", 5);
			buf[i] = (char)c;
			dec = NULL;
			r = pjwt_b64url_decode(buf, 4, &dec, &len);
			if (in_alphabet(c)) {
				assert_pjwt(r, PJWT_OK);
				assert_int_equal(len, 3);
			} else
				assert_pjwt(r, PJWT_E_MALFORMED);
			free(dec);
		}
	}
	/* Exactly the canonical final characters: 4 of 64 after one full
	 * sextet-pair (8 bits used of 12), 16 of 64 after two (16 of 18). */
	accepted = 0;
	for (i = 0; i < 64; i++) {
		buf[0] = 'Q';
		buf[1] = alphabet[i];
		dec = NULL;
		if (pjwt_b64url_decode(buf, 2, &dec, &len) == PJWT_OK) {
			accepted++;
			assert_int_equal(i & 0x0f, 0);
		}
		free(dec);
	}
	assert_int_equal(accepted, 4);
	accepted = 0;
	for (i = 0; i < 64; i++) {
		buf[0] = 'Q';
		buf[1] = 'U';
		buf[2] = alphabet[i];
		dec = NULL;
		if (pjwt_b64url_decode(buf, 3, &dec, &len) == PJWT_OK) {
			accepted++;
			assert_int_equal(i & 0x03, 0);
		}
		free(dec);
	}
	assert_int_equal(accepted, 16);
}

static void
test_b64_roundtrip(void **state)
{
	unsigned char all[256 * 3], *dec = NULL;
	char *enc = NULL;
	size_t i, n, len, elen;

	(void)state;
	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)(i * 7 + i / 256);
	/* every byte value, at every offset mod 3, every length */
	for (n = 0; n <= sizeof(all); n++) {
		assert_pjwt(pjwt_b64url_encode(all + (sizeof(all) - n), n, &enc,
		    &elen), PJWT_OK);
		assert_int_equal(elen, pjwt_b64url_encoded_len(n));
		assert_int_equal(strlen(enc), elen);
		assert_null(strpbrk(enc, "=+/"));
		assert_pjwt(pjwt_b64url_decode(enc, elen, &dec, &len), PJWT_OK);
		assert_int_equal(len, n);
		assert_memory_equal(dec, all + (sizeof(all) - n), n);
		free(dec);
		free(enc);
	}
	for (i = 0; i < 256; i++) {
		unsigned char b[3] = { (unsigned char)i, (unsigned char)(255 - i),
		    (unsigned char)i };

		for (n = 1; n <= 3; n++) {
			assert_pjwt(pjwt_b64url_encode(b, n, &enc, &elen), PJWT_OK);
			assert_pjwt(pjwt_b64url_decode(enc, elen, &dec, &len),
			    PJWT_OK);
			assert_int_equal(len, n);
			assert_memory_equal(dec, b, n);
			free(dec);
			free(enc);
		}
	}
}

/* ---- memory ------------------------------------------------------------ */

static void
test_mem(void **state)
{
	unsigned char *p;
	char *s;

	(void)state;
	pjwt_secret_free(NULL, 10);
	pjwt_str_free(NULL);

	p = malloc(32);
	assert_non_null(p);
	memset(p, 0xa5, 32);
	watch(p, 32);
	pjwt_secret_free(p, 32);
	assert_int_equal(watch_freed, 1);

	s = malloc(16);
	assert_non_null(s);
	memcpy(s, "hunter2-secret!", 16);
	watch(s, 15);
	pjwt_str_free(s);
	assert_int_equal(watch_freed, 1);

	/* the watcher does notice an unwiped free */
	{
		/* Through a pointer: the compiler may not assume that free
		 * leaves watch_freed alone. */
		void (*volatile free_fn)(void *) = free;

		p = malloc(8);
		assert_non_null(p);
		memset(p, 1, 8);
		watch(p, 8);
		free_fn(p);
		assert_int_equal(watch_freed, -1);
	}

	assert_int_equal(pjwt_memeq("abcd", "abcd", 4), 1);
	assert_int_equal(pjwt_memeq("abcd", "abce", 4), 0);
	assert_int_equal(pjwt_memeq("\x80", "\x00", 1), 0);
	assert_int_equal(pjwt_memeq("xbcd", "abcd", 4), 0);
	assert_int_equal(pjwt_memeq("abcd", "abce", 3), 1);
	assert_int_equal(pjwt_memeq("a", "b", 0), 1);
}

/* ---- files ------------------------------------------------------------- */

static char tmpdir[PATH_MAX];

static int
setup_tmpdir(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/pjwt-test-common.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_tmpdir(void **state)
{
	DIR *d;
	struct dirent *e;
	char p[PATH_MAX + 300];

	(void)state;
	if ((d = opendir(tmpdir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
		if (unlink(p) != 0)
			rmdir(p);
	}
	closedir(d);
	return rmdir(tmpdir);
}

static const char *
tpath(const char *name)
{
	static char p[PATH_MAX + 300];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return p;
}

static void
write_file(const char *name, const char *content, mode_t mode)
{
	const char *p = tpath(name);
	int fd;

	unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)),
	    (ssize_t)strlen(content));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
read_fails(const char *name, uid_t owner, size_t max, pjwt_err want,
    int line)
{
	char *buf = NULL;
	size_t len = 777;
	pjwt_err r = pjwt_file_read(tpath(name), owner, max, &buf, &len);

	if (r != want)
		fail_msg("line %d: %s: got %s, want %s", line, name,
		    pjwt_strerror(r), pjwt_strerror(want));
	assert_null(buf);
	assert_int_equal(len, 777);
}
#define READ_FAILS(n, o, m, w) read_fails((n), (o), (m), (w), __LINE__)

static void
test_file_read(void **state)
{
	static const char content[] = "{\"keys\":[]}\n";
	uid_t me = getuid(), other = getuid() + 1;
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	write_file("ok", content, 0644);
	assert_pjwt(pjwt_file_read(tpath("ok"), me, 4096, &buf, &len), PJWT_OK);
	assert_int_equal(len, strlen(content));
	assert_string_equal(buf, content);
	pjwt_secret_free(buf, len + 1);
	buf = NULL;
	/* exactly max bytes is fine, one fewer is not */
	assert_pjwt(pjwt_file_read(tpath("ok"), me, strlen(content), &buf, &len),
	    PJWT_OK);
	pjwt_secret_free(buf, len + 1);
	buf = NULL;
	READ_FAILS("ok", me, strlen(content) - 1, PJWT_E_TOO_LARGE);
	/* owner */
	READ_FAILS("ok", other, 4096, PJWT_E_FILE_OWNER);
	assert_pjwt(pjwt_file_read(tpath("ok"), (uid_t)-1, 4096, &buf, &len),
	    PJWT_OK);
	pjwt_secret_free(buf, len + 1);
	buf = NULL;
	/* permissions: group or other writable */
	write_file("g+w", content, 0664);
	READ_FAILS("g+w", me, 4096, PJWT_E_FILE_MODE);
	write_file("o+w", content, 0646);
	READ_FAILS("o+w", me, 4096, PJWT_E_FILE_MODE);
	READ_FAILS("o+w", (uid_t)-1, 4096, PJWT_E_FILE_MODE);
	write_file("private", content, 0400);
	assert_pjwt(pjwt_file_read(tpath("private"), me, 4096, &buf, &len),
	    PJWT_OK);
	pjwt_secret_free(buf, len + 1);
	buf = NULL;
	/* empty */
	write_file("empty", "", 0600);
	assert_pjwt(pjwt_file_read(tpath("empty"), me, 4096, &buf, &len),
	    PJWT_OK);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	pjwt_secret_free(buf, 1);
	buf = NULL;
	/* a symlink to a good file */
	{
		char target[PATH_MAX + 300];

		snprintf(target, sizeof(target), "%s", tpath("ok"));
		assert_int_equal(symlink(target, tpath("link")), 0);
	}
	READ_FAILS("link", me, 4096, PJWT_E_FILE_NOT_REGULAR);
	READ_FAILS("link", (uid_t)-1, 4096, PJWT_E_FILE_NOT_REGULAR);
	/* a FIFO: refused, and opening it does not block */
	assert_int_equal(mkfifo(tpath("fifo"), 0600), 0);
	READ_FAILS("fifo", me, 4096, PJWT_E_FILE_NOT_REGULAR);
	/* a directory */
	assert_int_equal(mkdir(tpath("dir"), 0700), 0);
	READ_FAILS("dir", me, 4096, PJWT_E_FILE_NOT_REGULAR);
	/* missing: io_error with errno kept */
	errno = 0;
	READ_FAILS("missing", me, 4096, PJWT_E_IO);
	assert_int_equal(errno, ENOENT);
	/* a missing directory component */
	errno = 0;
	READ_FAILS("nodir/x", me, 4096, PJWT_E_IO);
	assert_int_equal(errno, ENOENT);
	/* arguments */
	assert_pjwt(pjwt_file_read(NULL, me, 4096, &buf, &len),
	    PJWT_E_INVALID_ARGUMENT);
	READ_FAILS("ok", me, 0, PJWT_E_INVALID_ARGUMENT);
	READ_FAILS("ok", me, SIZE_MAX, PJWT_E_INVALID_ARGUMENT);
	/* size + 2 (the buffer) must not wrap for any size <= max */
	READ_FAILS("ok", me, SIZE_MAX - 1, PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_file_read(tpath("ok"), me, 4096, NULL, &len),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_file_read(tpath("ok"), me, 4096, &buf, NULL),
	    PJWT_E_INVALID_ARGUMENT);
}

/* Entries of tmpdir other than . and .. */
static int
tmpdir_entries(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_file_write_atomic(void **state)
{
	static const mode_t modes[] = { 0600, 0640, 0644, 0400, 0666 };
	const char *p;
	struct stat st;
	char *buf = NULL;
	size_t len, i;
	int base;
	mode_t old;

	(void)state;
	teardown_tmpdir(NULL);
	assert_int_equal(setup_tmpdir(NULL), 0);
	base = tmpdir_entries();
	assert_int_equal(base, 0);
	/* the mode is honoured exactly, whatever the umask */
	old = umask(077);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		p = tpath("out");
		assert_pjwt(pjwt_file_write_atomic(p, "hello", 5, modes[i]),
		    PJWT_OK);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 07777, modes[i]);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal(st.st_size, 5);
		assert_int_equal(tmpdir_entries(), 1);
	}
	umask(old);
	/* content, replacing a longer file */
	p = tpath("out");
	assert_pjwt(pjwt_file_write_atomic(p, "a longer first version", 22,
	    0600), PJWT_OK);
	assert_pjwt(pjwt_file_write_atomic(p, "v2", 2, 0600), PJWT_OK);
	assert_pjwt(pjwt_file_read(p, getuid(), 100, &buf, &len), PJWT_OK);
	assert_int_equal(len, 2);
	assert_string_equal(buf, "v2");
	free(buf);
	/* empty content */
	assert_pjwt(pjwt_file_write_atomic(p, NULL, 0, 0600), PJWT_OK);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 0);
	/* binary content with NUL bytes */
	assert_pjwt(pjwt_file_write_atomic(p, "a\0b\0", 4, 0600), PJWT_OK);
	assert_pjwt(pjwt_file_read(p, getuid(), 100, &buf, &len), PJWT_OK);
	assert_int_equal(len, 4);
	assert_memory_equal(buf, "a\0b\0", 4);
	free(buf);
	/* no temporary file is left behind */
	assert_int_equal(tmpdir_entries(), 1);
	/* a missing directory: io_error, errno kept, nothing created */
	errno = 0;
	assert_pjwt(pjwt_file_write_atomic(tpath("nodir/out"), "x", 1, 0600),
	    PJWT_E_IO);
	assert_int_equal(errno, ENOENT);
	/* renaming over a directory fails and cleans up its temp file */
	assert_int_equal(mkdir(tpath("adir"), 0700), 0);
	assert_pjwt(pjwt_file_write_atomic(tpath("adir"), "x", 1, 0600),
	    PJWT_E_IO);
	assert_int_equal(tmpdir_entries(), 2);
	assert_int_equal(rmdir(tpath("adir")), 0);
	/* arguments */
	assert_pjwt(pjwt_file_write_atomic(NULL, "x", 1, 0600),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_file_write_atomic("", "x", 1, 0600),
	    PJWT_E_INVALID_ARGUMENT);
	assert_pjwt(pjwt_file_write_atomic(p, NULL, 1, 0600),
	    PJWT_E_INVALID_ARGUMENT);
	assert_int_equal(tmpdir_entries(), 1);
}

/* ---- JSON -------------------------------------------------------------- */

static void
json_fails(const char *s, size_t len, pjwt_err want, int line)
{
	json_t *j = NULL;
	pjwt_err r = pjwtp_json_parse(s, len, &j);

	if (r != want)
		fail_msg("line %d: got %s, want %s", line, pjwt_strerror(r),
		    pjwt_strerror(want));
	assert_null(j);
}
#define JSON_FAILS(s, want) json_fails((s), strlen(s), (want), __LINE__)

static json_t *
json_ok(const char *s, size_t len, int line)
{
	json_t *j = NULL;
	pjwt_err r = pjwtp_json_parse(s, len, &j);

	if (r != PJWT_OK)
		fail_msg("line %d: got %s", line, pjwt_strerror(r));
	assert_non_null(j);
	return j;
}
#define JSON_OK(s) json_ok((s), strlen(s), __LINE__)

/* depth nested arrays, or objects {"a":...} when obj */
static char *
nested(int depth, int obj)
{
	char *s = malloc((size_t)depth * 6 + 8);
	size_t o = 0;
	int i;

	assert_non_null(s);
	for (i = 0; i < depth; i++) {
		if (obj) {
			memcpy(s + o, "{\"a\":", 5);
			o += 5;
		} else
			s[o++] = '[';
	}
	if (obj)
		s[o++] = '1';
	for (i = 0; i < depth; i++)
		s[o++] = obj ? '}' : ']';
	s[o] = '\0';
	if (obj && depth == 0) {
		strcpy(s, "{}");
	}
	return s;
}

static void
test_json_parse(void **state)
{
	json_t *j;
	char *s;
	int obj;

	(void)state;
	/* duplicates, at any level */
	JSON_FAILS("{\"a\":1,\"a\":2}", PJWT_E_MALFORMED);
	JSON_FAILS("{\"a\":1,\"b\":{\"c\":1,\"c\":1}}", PJWT_E_MALFORMED);
	JSON_FAILS("[{\"x\":true,\"x\":false}]", PJWT_E_MALFORMED);
	/* the same name in different objects is fine */
	j = JSON_OK("{\"a\":{\"a\":{\"a\":1}},\"b\":[{\"a\":1},{\"a\":2}]}");
	json_decref(j);
	/* depth: 16 levels accepted, 17 refused, arrays and objects */
	for (obj = 0; obj <= 1; obj++) {
		s = nested(PJWT_MAX_JSON_DEPTH, obj);
		j = json_ok(s, strlen(s), __LINE__);
		json_decref(j);
		free(s);
		s = nested(PJWT_MAX_JSON_DEPTH + 1, obj);
		json_fails(s, strlen(s), PJWT_E_MALFORMED, __LINE__);
		free(s);
		s = nested(3000, obj);
		json_fails(s, strlen(s), PJWT_E_MALFORMED, __LINE__);
		free(s);
	}
	/* depth counts nesting, not brackets: many siblings are fine */
	j = JSON_OK("[[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[]]");
	json_decref(j);
	/* brackets inside strings do not count, escaped quotes included */
	j = JSON_OK("{\"a\":\"[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{{{\"}");
	json_decref(j);
	j = JSON_OK("{\"[[[[[[[[[[[[[[[[[[[[\":\"\\\"[[[[[[[[[[[[[[[[[[[[\\\\\"}");
	json_decref(j);
	j = JSON_OK("[\"\\\\\",[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]");
	json_decref(j);
	/* closing brackets inside strings do not lower the depth either */
	s = nested(PJWT_MAX_JSON_DEPTH, 0);
	{
		char *t = malloc(strlen(s) + 32);

		assert_non_null(t);
		sprintf(t, "[\"]]]]]]]]\",%s]", s);
		json_fails(t, strlen(t), PJWT_E_MALFORMED, __LINE__);
		free(t);
	}
	free(s);
	/* NUL bytes: raw anywhere, or escaped in a string */
	json_fails("{\"a\":1}\0", 8, PJWT_E_MALFORMED, __LINE__);
	json_fails("{\"a\":\"x\0y\"}", 11, PJWT_E_MALFORMED, __LINE__);
	json_fails("\0{\"a\":1}", 8, PJWT_E_MALFORMED, __LINE__);
	JSON_FAILS("{\"a\":\"x\\u0000y\"}", PJWT_E_MALFORMED);
	JSON_FAILS("{\"a\\u0000\":1}", PJWT_E_MALFORMED);
	/* other malformations */
	JSON_FAILS("", PJWT_E_MALFORMED);
	JSON_FAILS(" ", PJWT_E_MALFORMED);
	JSON_FAILS("{", PJWT_E_MALFORMED);
	JSON_FAILS("{\"a\":1}}", PJWT_E_MALFORMED);
	JSON_FAILS("{\"a\":1} {\"b\":2}", PJWT_E_MALFORMED);
	JSON_FAILS("{\"a\":1,}", PJWT_E_MALFORMED);
	JSON_FAILS("{'a':1}", PJWT_E_MALFORMED);
	JSON_FAILS("{\"a\":\"\xff\"}", PJWT_E_MALFORMED);
	JSON_FAILS("{\"a\":1e999}", PJWT_E_MALFORMED);
	JSON_FAILS("{\"a\":99999999999999999999}", PJWT_E_MALFORMED);
	JSON_FAILS("]]]][[[[", PJWT_E_MALFORMED);
	/* the length is honoured */
	json_fails("{\"a\":1}", 6, PJWT_E_MALFORMED, __LINE__);
	j = json_ok("{\"a\":1}garbage", 7, __LINE__);
	assert_int_equal(json_integer_value(json_object_get(j, "a")), 1);
	json_decref(j);
	/* arguments */
	json_fails(NULL, 1, PJWT_E_INVALID_ARGUMENT, __LINE__);
	assert_pjwt(pjwtp_json_parse("{}", 2, NULL), PJWT_E_INVALID_ARGUMENT);
	/* whitespace around is fine */
	j = JSON_OK(" \r\n\t{ \"a\" : [ 1 , 2 ] }\n");
	assert_true(json_is_object(j));
	json_decref(j);
}

static void
test_json_wipe(void **state)
{
	json_t *j, *v;
	const char *p;

	(void)state;
	j = JSON_OK("{\"d\":\"c2VjcmV0LWtleS1tYXRlcmlhbA\",\"n\":[\"abc\"]}");
	/* a second reference: not wiped, still readable */
	v = json_object_get(j, "d");
	json_incref(j);
	pjwtp_json_wipe_decref(j);
	assert_string_equal(json_string_value(v),
	    "c2VjcmV0LWtleS1tYXRlcmlhbA");
	/* the last reference: wiped, then freed */
	p = json_string_value(v);
	watch(p, strlen(p));
	pjwtp_json_wipe_decref(j);
	assert_int_equal(watch_freed, 1);
	/* nested array strings too */
	j = JSON_OK("{\"a\":[[\"secret\"]]}");
	p = json_string_value(json_array_get(json_array_get(json_object_get(j,
	    "a"), 0), 0));
	watch(p, strlen(p));
	pjwtp_json_wipe_decref(j);
	assert_int_equal(watch_freed, 1);
	/* plain decref does not wipe: the watcher is meaningful */
	j = JSON_OK("[\"secret\"]");
	p = json_string_value(json_array_get(j, 0));
	watch(p, strlen(p));
	json_decref(j);
	assert_int_equal(watch_freed, -1);
	pjwtp_json_wipe_decref(NULL);
}

/* ---- users-file name rule ---------------------------------------------- */

#define UN(s) (s), strlen(s)

static void
test_user_name_valid(void **state)
{
	char longest[PJWT_USER_NAME_MAX + 2];

	(void)state;
	assert_int_equal(pjwt_user_name_valid(UN("alice")), 1);
	assert_int_equal(pjwt_user_name_valid(UN("_svc")), 1);
	assert_int_equal(pjwt_user_name_valid(UN("a.b-c_9")), 1);
	memset(longest, 'a', sizeof(longest));
	assert_int_equal(pjwt_user_name_valid(longest, PJWT_USER_NAME_MAX), 1);
	assert_int_equal(pjwt_user_name_valid(longest, PJWT_USER_NAME_MAX + 1), 0);
	assert_int_equal(pjwt_user_name_valid(NULL, 3), 0);
	assert_int_equal(pjwt_user_name_valid(UN("")), 0);
	assert_int_equal(pjwt_user_name_valid(UN("Alice")), 0);
	assert_int_equal(pjwt_user_name_valid(UN("9lives")), 0);
	assert_int_equal(pjwt_user_name_valid(UN("-x")), 0);
	assert_int_equal(pjwt_user_name_valid(UN(".x")), 0);
	assert_int_equal(pjwt_user_name_valid(UN("a b")), 0);
	assert_int_equal(pjwt_user_name_valid(UN("a:b")), 0);
	assert_int_equal(pjwt_user_name_valid(UN("a\nb")), 0);
	assert_int_equal(pjwt_user_name_valid(UN("al\xc3\xaf" "ce")), 0);
	/* len, not the NUL, decides. */
	assert_int_equal(pjwt_user_name_valid("ab\0c", 4), 0);
	assert_int_equal(pjwt_user_name_valid("abc:", 3), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_names),
		cmocka_unit_test(test_b64_vectors),
		cmocka_unit_test(test_b64_strict),
		cmocka_unit_test(test_b64_roundtrip),
		cmocka_unit_test(test_mem),
		cmocka_unit_test(test_file_read),
		cmocka_unit_test(test_file_write_atomic),
		cmocka_unit_test(test_json_parse),
		cmocka_unit_test(test_json_wipe),
		cmocka_unit_test(test_user_name_valid),
	};

	json_set_alloc_funcs(malloc, json_free_hook);
	return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}
