#!/bin/sh
# client-papercuts.sh - jwtctl's first-use papercuts (issue 9 C), against a
# real jwt-issuerd on loopback:
#   - sync creates a missing destination directory (0755, only the last
#     component, never through a symlink, refused under an insecure parent);
#   - logout without any issuer or login is not an error (exit 0);
#   - logout leaves no stray .lock file behind;
#   - a trailing slash on --issuer is explained (which --issuer to use);
#   - https:// to a plain-http port gets a hint ("is it http://?");
#   - passwd names the user in its prompt and reports success on stdout.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib-daemon.sh"
. "$top_srcdir/tests/tools/client-lib.sh"

client_env
MAX_FAILURES=100 daemon_setup
daemon_start || { echo "1..0 # SKIP jwt-issuerd did not start"; exit 0; }
T=$TMPDIR_T
J=$JWTCTL
plan 21

# ---- sync: the destination directory ------------------------------------
mkdir -m 0755 "$T/etc"
expect "sync into a missing directory: exit 0" 0 \
    "$J" sync --issuer "$URL" --jwks-out "$T/etc/pam_jwt/jwks.json" --revoked-out "$T/etc/pam_jwt/revoked"
[ -d "$T/etc/pam_jwt" ] && [ ! -L "$T/etc/pam_jwt" ] && [ "$(mode_of "$T/etc/pam_jwt")" = 755 ] &&
    [ "$(stat -c %u "$T/etc/pam_jwt")" = "$(id -u)" ] &&
    pass "... created it: a directory, 0755, ours" || fail "... created it: a directory, 0755, ours"
[ -s "$T/etc/pam_jwt/jwks.json" ] && [ -f "$T/etc/pam_jwt/revoked" ] &&
    pass "... and wrote both files into it" || fail "... and wrote both files into it"
( umask 077; "$J" sync --issuer "$URL" --jwks-out "$T/etc/umask/jwks.json" >/dev/null 2>&1 )
[ "$(mode_of "$T/etc/umask" 2>/dev/null)" = 755 ] && pass "... 0755 whatever the umask" ||
	fail "... 0755 whatever the umask ($(mode_of "$T/etc/umask" 2>/dev/null))"
expect "sync: a second run into it: exit 0" 0 \
    "$J" sync --issuer "$URL" --jwks-out "$T/etc/pam_jwt/jwks.json"

run "$J" sync --issuer "$URL" --jwks-out "$T/nosuch/deeper/jwks.json"
[ "$rc" = 2 ] && [ ! -e "$T/nosuch" ] && one_line &&
    printf '%s\n' "$err" | grep -q "$T/nosuch" &&
    pass "sync: only the last component is created (exit 2, names the parent)" ||
    { fail "sync: only the last component is created (exit 2, names the parent)"; show; }

mkdir -m 0755 "$T/victim"
ln -s "$T/victim" "$T/etc/link"
ln -s "$T/victim/made" "$T/etc/dangling"
run "$J" sync --issuer "$URL" --jwks-out "$T/etc/dangling/jwks.json"
[ "$rc" = 2 ] && [ ! -e "$T/victim/made" ] && one_line &&
    pass "sync: a dangling symlink as the directory is refused, nothing made through it" ||
    { fail "sync: a dangling symlink as the directory is refused, nothing made through it"; show; }

mkdir -m 0777 "$T/open"
run "$J" sync --issuer "$URL" --jwks-out "$T/open/pam_jwt/jwks.json"
[ "$rc" = 2 ] && [ ! -e "$T/open/pam_jwt" ] && one_line &&
    printf '%s\n' "$err" | grep -q 'writable' &&
    pass "sync: not created under a group/other-writable parent (exit 2, says why)" ||
    { fail "sync: not created under a group/other-writable parent (exit 2, says why)"; show; }
printf 'x' > "$T/etc/file"
run "$J" sync --issuer "$URL" --jwks-out "$T/etc/file/jwks.json"
[ "$rc" = 2 ] && one_line && pass "sync: a file where the directory should be: exit 2, one line" ||
	{ fail "sync: a file where the directory should be: exit 2, one line"; show; }

# ---- logout ---------------------------------------------------------------
expect "logout: no issuer, no login: exit 0" 0 "$J" logout
printf '%s\n' "$err" | grep -q 'not logged in' && [ -z "$out" ] &&
    pass "... with a note that nobody is logged in" || { fail "... with a note that nobody is logged in"; show; }
expect "logout --issuer: not logged in there: exit 0" 0 "$J" logout --issuer "$URL" --user alice
[ -z "$(ls -A "$XDG_CACHE_HOME/jwtctl" 2>/dev/null)" ] &&
    pass "... and leaves no file behind" || fail "... and leaves no file behind: $(ls -A "$XDG_CACHE_HOME/jwtctl")"
expect "login: exit 0" 0 sh -c "printf 'alice pw\n' | '$J' login --issuer '$URL' --user alice --password-stdin"
expect "token: exit 0" 0 "$J" token
expect "logout: exit 0" 0 "$J" logout
left=$(ls -A "$XDG_CACHE_HOME/jwtctl" 2>/dev/null)
[ -z "$left" ] && pass "logout leaves no file (no .lock) behind" ||
	fail "logout leaves no file (no .lock) behind: $left"

# ---- --issuer with a trailing slash ----------------------------------------
run sh -c "printf 'alice pw\n' | '$J' login --issuer '$URL/' --user alice --password-stdin"
if [ "$rc" = 0 ]; then
	pass "login --issuer URL/: works (normalised)"
	"$J" logout >/dev/null 2>&1
else
	printf '%s\n' "$err" | grep -q "trailing slash" &&
	    printf '%s\n' "$err" | grep -qF -- "--issuer $URL" && one_line &&
	    pass "login --issuer URL/: refused with the --issuer to use" ||
	    { fail "login --issuer URL/: refused with the --issuer to use"; show; }
fi

# ---- https:// to a plain-http port -----------------------------------------
HTTPS_URL=$(printf '%s' "$URL" | sed 's|^http://|https://|')
run sh -c "printf 'alice pw\n' | '$J' login --issuer '$HTTPS_URL' --user alice --password-stdin"
[ "$rc" = 3 ] && one_line && printf '%s\n' "$err" | grep -q 'does not speak TLS' &&
    printf '%s\n' "$err" | grep -qF "http://" &&
    pass "https:// to an http port: exit 3, hint 'is it http://?'" ||
    { fail "https:// to an http port: exit 3, hint 'is it http://?'"; show; }

# ---- passwd: prompt and success message -------------------------------------
U=$T/users
run sh -c "printf 'pw1\n' | '$J' passwd --file '$U' --password-stdin carol"
[ "$rc" = 0 ] && [ -z "$err" ] && printf '%s\n' "$out" | grep -q 'carol' &&
    ! printf '%s\n' "$out" | grep -q '^jwtctl:' &&
    pass "passwd: success on stdout, no error prefix, nothing on stderr" ||
    { fail "passwd: success on stdout, no error prefix, nothing on stderr"; show; printf '#   stdout: %s\n' "$out"; }
if [ -x /usr/bin/python3 ]; then
	/usr/bin/python3 - "$J" "$U" dave >"$T/pty.out" 2>&1 <<'PY'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "passwd", "--file", sys.argv[2], sys.argv[3]])
buf = b""
deadline = time.time() + 20
answered = 0
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if not r:
        continue
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk:
        break
    buf += chunk
    if buf.count(b"assword") > answered and buf.rstrip().endswith(b":"):
        answered += 1
        os.write(fd, b"pw2\n")
_, status = os.waitpid(pid, 0)
sys.stdout.write(buf.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status))
PY
	prc=$?
	grep -q 'New password for dave:' "$T/pty.out" && grep -q 'Retype new password for dave:' "$T/pty.out" &&
	    [ "$prc" = 0 ] && grep -q '^dave:' "$U" &&
	    pass "passwd on a terminal: the prompts name the user" ||
	    { fail "passwd on a terminal: the prompts name the user (exit $prc)"; sed 's/^/#   /' "$T/pty.out"; }
else
	skip "passwd on a terminal: the prompts name the user" "no /usr/bin/python3 for a pty"
fi
done_testing
