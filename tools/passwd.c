/*
 * passwd.c - `jwtctl passwd --file USERS [--password-stdin] NAME`.
 *
 * The users file is jwt-issuerd's `file` password backend: lines
 * `name:crypt-hash`, blank lines and '#' comments.  This command validates
 * the whole file as the daemon will (so it never writes a file the daemon
 * refuses to load), replaces NAME's line in place or appends one, and
 * writes the result atomically (temporary file + rename).  Contract in
 * passwd.h.
 */
#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "pjwt_err.h"
#include "pjwt_file.h"
#include "pjwt_mem.h"
#include "pjwt_user.h"
#include "pjwt_user_crypt.h"
#include "jwtctl.h"
#include "passwd.h"

#define PW_MAX 511     /* the daemon's PWAUTH_PASSWORD_MAX: libcrypt's limit */

enum { EX_OK = 0, EX_REFUSED = 1, EX_ERROR = 2 };

static const char usage[] =
    "usage: jwtctl passwd --file USERS [--password-stdin] NAME\n"
    "\n"
    "Add user NAME to jwt-issuerd's users file, or change their password.\n"
    "The password is read twice from the terminal with echo off, or once\n"
    "(one line) from standard input with --password-stdin, and stored as a\n"
    "yescrypt hash.  A new file is created with mode 0600; an existing one\n"
    "keeps its mode, owner and group.  Send jwt-issuerd SIGHUP to reload.\n"
    "\n"
    "  -f, --file USERS      the users file (required)\n"
    "      --password-stdin  read the password from standard input\n"
    "  -h, --help            this text\n"
    "\n"
    "NAME: [a-z_][a-z0-9_.-]*, at most 32 characters.\n"
    "Exit status: 0 done, 1 password refused (mismatch, empty, too long),\n"
    "2 usage, file or system error.\n";



/* ---- reading the password ---------------------------------------------- */

/* The terminal state to restore if a signal arrives while echo is off. */
static int tty_fd = -1;
static struct termios tty_saved;
static volatile sig_atomic_t tty_echo_off;

static void
tty_restore_and_reraise(int sig)
{
	if (tty_echo_off)
		(void)tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Read one line (without its newline) from fd into buf (cap bytes incl.
 * NUL).  Returns 0 and *ret_len; 1 when the line is longer than cap - 1 (the
 * rest is consumed); -1 on a read error or EOF before any byte.
 */
static int
read_line(int fd, char *buf, size_t cap, size_t *ret_len)
{
	size_t n = 0;
	int too_long = 0, any = 0;
	char c;

	for (;;) {
		ssize_t r = read(fd, &c, 1);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			if (!any)
				return -1;
			break;
		}
		any = 1;
		if (c == '\n')
			break;
		if (n + 1 < cap)
			buf[n++] = c;
		else
			too_long = 1;
	}
	c = 0;                /* the last byte read may be a secret */
	buf[n] = '\0';
	*ret_len = n;
	return too_long;
}

static int
tty_prompt(const char *prompt, char *buf, size_t cap, size_t *ret_len)
{
	struct termios t;
	int r;

	t = tty_saved;
	t.c_lflag &= (tcflag_t)~(ECHO | ECHOE | ECHOK | ECHONL);
	tty_echo_off = 1;
	/* Echo off (flushing type-ahead) before the prompt, as
	 * readpassphrase(3) does: what is typed after the prompt is kept. */
	if (tcsetattr(tty_fd, TCSAFLUSH, &t) != 0) {
		tty_echo_off = 0;
		return -1;
	}
	if (write(tty_fd, prompt, strlen(prompt)) < 0) {
		(void)tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
		tty_echo_off = 0;
		return -1;
	}
	r = read_line(tty_fd, buf, cap, ret_len);
	(void)tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	tty_echo_off = 0;
	if (write(tty_fd, "\n", 1) < 0)
		return -1;
	return r;
}

/*
 * Get the new password for user name (already checked: a valid user name)
 * into pw (PW_MAX + 2 bytes); the terminal prompts name the user, as
 * passwd(1) does.  Returns EX_OK with *ret_len, or the exit status after
 * printing why.
 */
static int
get_password(const char *name, int from_stdin, char *pw, size_t *ret_len)
{
	char p1[128], p2[128];
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa, old[4];
	char *again = NULL;
	size_t len = 0, len2 = 0;
	int r, rc = EX_ERROR;
	size_t i;

	if (from_stdin) {
		r = read_line(STDIN_FILENO, pw, PW_MAX + 2, &len);
		if (r < 0) {
			ctl_err("cannot read the password from standard input");
			return EX_ERROR;
		}
		goto check;
	}
	if ((tty_fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 ||
	    tcgetattr(tty_fd, &tty_saved) != 0) {
		ctl_err("no terminal to read the password from (use"
		    " --password-stdin)");
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_restore_and_reraise;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &old[i]);
	if ((again = malloc(PW_MAX + 2)) == NULL) {
		ctl_err("out of memory");
		goto restore;
	}
	snprintf(p1, sizeof(p1), "New password for %.64s: ", name);
	snprintf(p2, sizeof(p2), "Retype new password for %.64s: ", name);
	if ((r = tty_prompt(p1, pw, PW_MAX + 2, &len)) < 0 ||
	    tty_prompt(p2, again, PW_MAX + 2, &len2) < 0) {
		ctl_err("cannot read the password from the terminal");
		goto restore;
	}
	if (len != len2 || !pjwt_memeq(pw, again, len)) {
		ctl_err("passwords do not match; nothing changed");
		rc = EX_REFUSED;
		goto restore;
	}
	rc = EX_OK;
 restore:
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (rc != EX_OK)
		goto out;
 check:
	rc = EX_REFUSED;
	if (len == 0)
		ctl_err("empty password refused; nothing changed");
	else if (len > PW_MAX)
		ctl_err("password longer than %d bytes refused; nothing changed",
		    PW_MAX);
	else if (memchr(pw, '\0', len) != NULL)
		ctl_err("password with a NUL byte refused; nothing changed");
	else {
		*ret_len = len;
		rc = EX_OK;
	}
 out:
	if (again != NULL)
		pjwt_secret_free(again, PW_MAX + 2);
	if (tty_fd >= 0)
		close(tty_fd);
	tty_fd = -1;
	return rc;
}

/* ---- the users file ---------------------------------------------------- */

/* Report at most this many bad lines, as the daemon does. */
#define MAX_REPORTED 20
#define STR_(x) #x
#define STR(x) STR_(x)

typedef struct bad_lines {
	const char *path;
	unsigned n;
} bad_lines;

static void
report_bad(void *arg, unsigned line, const char *msg)
{
	bad_lines *b = arg;

	if (b->n++ < MAX_REPORTED)
		ctl_err("%s:%u: %s", b->path, line, msg);
}

/*
 * Check the whole file with the daemon's own parser and libcrypt check
 * (common/user.c, common/user_crypt.c), so this command never rewrites a
 * file the daemon refuses to load; report each bad line as
 * "PATH:LINE: reason", as the daemon logs it.  Returns 0 when the file is
 * acceptable.
 */
static int
validate(const char *path, const char *buf, size_t len)
{
	pjwt_user_parse_cb cb;
	bad_lines b = { path, 0 };
	pjwt_err e;

	memset(&cb, 0, sizeof(cb));
	cb.check = pjwt_user_crypt_check;
	cb.bad = report_bad;
	cb.arg = &b;
	e = pjwt_users_parse(buf, len, &cb);
	if (e == PJWT_OK)
		return 0;
	if (e == PJWT_E_MALFORMED)
		ctl_err("%s: %u bad line%s%s; fix the file first", path, b.n,
		    b.n == 1 ? "" : "s", b.n > MAX_REPORTED ?
		    " (the first " STR(MAX_REPORTED) " shown)" : "");
	else
		ctl_err("%s: %s", path, pjwt_strerror(e));
	return -1;
}

/*
 * New file content: buf with NAME's line replaced by entry (or entry
 * appended).  *ret (wipe-free with pjwt_secret_free(*ret, *ret_len + 1)).
 */
static int
rewrite(const char *buf, size_t len, const char *name, const char *entry,
    char **ret, size_t *ret_len, int *ret_replaced)
{
	size_t nlen = strlen(name), elen = strlen(entry), cap, o = 0;
	const char *p = buf, *end = buf + len;
	int replaced = 0;
	char *out;

	cap = len + elen + 3;
	if ((out = malloc(cap)) == NULL)
		return -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;
		size_t ll = (size_t)(eol - p);

		pjwt_user_line l;

		if (!replaced && pjwt_user_line_parse(p, ll, NULL, NULL, &l) ==
		    NULL && l.is_entry && l.name_len == nlen &&
		    memcmp(l.name, name, nlen) == 0) {
			memcpy(out + o, entry, elen);
			o += elen;
			replaced = 1;
		} else {
			memcpy(out + o, p, ll);
			o += ll;
		}
		out[o++] = '\n';
		p = nl != NULL ? nl + 1 : end;
	}
	if (!replaced) {
		memcpy(out + o, entry, elen);
		o += elen;
		out[o++] = '\n';
	}
	out[o] = '\0';
	*ret = out;
	*ret_len = o;
	*ret_replaced = replaced;
	return 0;
}

static int
hash_password(const char *pw, char **ret_hash)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;
	int r = -1;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return -1;
	/* NULL random bytes: libcrypt reads the OS's random source. */
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting)) != NULL &&
	    (h = crypt_rn(pw, setting, cd, sizeof(*cd))) != NULL && h[0] != '*' &&
	    (*ret_hash = strdup(h)) != NULL)
		r = 0;
	pjwt_secret_free(cd, sizeof(*cd));
	return r;
}

int
jwtctl_cmd_passwd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "password-stdin", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *name;
	char *pw = NULL, *hash = NULL, *entry = NULL, *buf = NULL, *out = NULL;
	char *dircopy = NULL;
	size_t pwlen = 0, len = 0, outlen = 0, entry_len = 0;
	int from_stdin = 0, exists = 1, replaced = 0, dfd = -1, c, rc = EX_ERROR;
	mode_t mode = 0600;
	struct stat st;
	pjwt_err e;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			path = optarg;
			break;
		case 'S':
			from_stdin = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return fflush(stdout) == 0 ? EX_OK : EX_ERROR;
		default:
			ctl_err("passwd: unknown option or missing argument: %s",
			    argv[optind - 1]);
			fputs(usage, stderr);
			return EX_ERROR;
		}
	}
	if (path == NULL || optind != argc - 1) {
		ctl_err("passwd: %s", path == NULL ? "--file USERS is required" :
		    "exactly one user NAME expected");
		fputs(usage, stderr);
		return EX_ERROR;
	}
	name = argv[optind];
	if (!pjwt_user_name_valid(name, strlen(name))) {
		ctl_err("passwd: bad user name '%.40s' (want [a-z_][a-z0-9_.-]*,"
		    " at most %d characters)", name, PJWT_USER_NAME_MAX);
		return EX_ERROR;
	}

	/* Serialise concurrent runs: lock the directory, whose entry the
	 * rename replaces (a lock on the file would stay on the old inode). */
	if ((dircopy = strdup(path)) == NULL) {
		ctl_err("out of memory");
		goto out;
	}
	if ((dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    flock(dfd, LOCK_EX) != 0) {
		ctl_err("%s: cannot lock its directory: %s", path, strerror(errno));
		goto out;
	}
	e = pjwt_file_read(path, (uid_t)-1, PJWT_USERS_FILE_MAX, &buf, &len);
	if (e == PJWT_E_IO && errno == ENOENT) {
		exists = 0;
		len = 0;
	} else if (e != PJWT_OK) {
		ctl_err("%s: %s%s%s", path, pjwt_strerror(e),
		    e == PJWT_E_IO ? ": " : "", e == PJWT_E_IO ? strerror(errno) : "");
		goto out;
	} else if (lstat(path, &st) != 0) {
		ctl_err("%s: %s", path, strerror(errno));
		goto out;
	} else
		mode = st.st_mode & 07777;
	if (exists && validate(path, buf, len) != 0)
		goto out;

	if ((pw = malloc(PW_MAX + 2)) == NULL) {
		ctl_err("out of memory");
		goto out;
	}
	if ((rc = get_password(name, from_stdin, pw, &pwlen)) != EX_OK)
		goto out;
	rc = EX_ERROR;
	if (hash_password(pw, &hash) != 0) {
		ctl_err("cannot hash the password (libcrypt: %s)", strerror(errno));
		goto out;
	}
	if ((e = pjwt_user_line_format(name, hash,
	    pjwt_user_crypt_check, NULL, &entry, &entry_len)) !=
	    PJWT_OK) {
		ctl_err("cannot write the users-file line: %s", pjwt_strerror(e));
		goto out;
	}
	if (rewrite(exists ? buf : "", len, name, entry, &out, &outlen,
	    &replaced) != 0) {
		ctl_err("out of memory");
		goto out;
	}
	if ((e = pjwt_file_write_atomic(path, out, outlen, mode)) != PJWT_OK) {
		ctl_err("%s: cannot write: %s: %s", path, pjwt_strerror(e),
		    strerror(errno));
		goto out;
	}
	/* The new inode is ours; give it back to the file's owner and group
	 * (e.g. root:jwt-issuerd 0640).  Until this chown the daemon may fail a
	 * reload and keep its old table; it never reads a wrong file. */
	if (exists && (st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    lchown(path, st.st_uid, st.st_gid) != 0) {
		ctl_err("%s: written, but cannot restore owner %ld:%ld: %s", path,
		    (long)st.st_uid, (long)st.st_gid, strerror(errno));
		goto out;
	}
	/* Success is not an error: stdout, no "jwtctl:" prefix. */
	if (printf("%s %s in %s\n", replaced ? "Changed the password of" :
	    "Added user", name, path) < 0 || fflush(stdout) != 0) {
		ctl_err("%s: written, but cannot report it: %s", path,
		    strerror(errno));
		goto out;
	}
	rc = EX_OK;
 out:
	if (pw != NULL)
		pjwt_secret_free(pw, PW_MAX + 2);
	pjwt_str_free(hash);
	if (entry != NULL)
		pjwt_secret_free(entry, entry_len + 1);
	if (out != NULL)
		pjwt_secret_free(out, outlen + 1);
	if (buf != NULL)
		pjwt_secret_free(buf, len + 1);
	if (dfd >= 0)
		close(dfd);           /* releases the lock */
	free(dircopy);
	return rc;
}
