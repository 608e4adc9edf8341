#!/bin/sh
# tests/tools/passwd.sh - `jwtctl passwd`: yescrypt users file maintenance.
. "$top_srcdir/tests/lib.sh"

: "${JWTCTL:?JWTCTL not set}"
if ! "$JWTCTL" passwd --help >/dev/null 2>&1; then
	plan_skip "jwtctl has no passwd command yet"
fi
command -v perl >/dev/null 2>&1 || plan_skip "perl (for crypt(3) checks) not found"

U=$TMPDIR_T/users

pw() {        # pw PASSWORD NAME [FILE]: set a password through stdin
	printf '%s\n' "$1" | "$JWTCTL" passwd --file "${3:-$U}" --password-stdin "$2"
}
# verify NAME PASSWORD [FILE]: the stored hash matches (libc crypt via perl)
verify() {
	h=$(grep "^$1:" "${3:-$U}" | cut -d: -f2-)
	[ -n "$h" ] || return 1
	PW="$2" H="$h" perl -e 'exit(crypt($ENV{PW}, $ENV{H}) eq $ENV{H} ? 0 : 1)'
}
mode_of() { stat -c %a "$1"; }
owner_of() { stat -c %u:%g "$1"; }

ok "new file is created" pw 'correct horse' alice
check "mode 0600" test "$(mode_of "$U")" = 600
check "one yescrypt line" sh -c "test \$(wc -l < '$U') -eq 1 && grep -q '^alice:\\\$y\\\$' '$U'"
ok "hash verifies" verify alice 'correct horse'
expect_rc "wrong password does not verify" 1 verify alice 'Correct horse'

ok "second user appended" pw 'hunter2' bob
ok "first user kept" verify alice 'correct horse'
ok "second user verifies" verify bob 'hunter2'

# Comments, blank lines and order survive a password change.
{ echo '# managed by jwtctl'; echo; cat "$U"; echo '_svc.x-1:!'; } > "$U.new"
mv "$U.new" "$U"; chmod 640 "$U"
bob_line=$(grep '^bob:' "$U")
ok "password changed" pw 'new pass phrase' alice
check "comment kept first" test "$(sed -n 1p "$U")" = '# managed by jwtctl'
check "blank line kept" test -z "$(sed -n 2p "$U")"
check "alice stays on line 3" sh -c "sed -n 3p '$U' | grep -q '^alice:'"
check "bob's line byte-identical" test "$(grep '^bob:' "$U")" = "$bob_line"
check "locked entry kept" grep -qx '_svc.x-1:!' "$U"
ok "new password verifies" verify alice 'new pass phrase'
expect_rc "old password no longer verifies" 1 verify alice 'correct horse'
check "mode 0640 kept" test "$(mode_of "$U")" = 640
check "salt is fresh" sh -c "test \"\$(grep -c '^alice:' '$U')\" -eq 1"

# Owner and group are kept (needs root to chown the test file).
if [ "$(id -u)" = 0 ]; then
	chown 65534:65534 "$U"
	ok "change as root" pw 'x-owner' bob
	check "owner and group kept" test "$(owner_of "$U")" = 65534:65534
else
	skip "change as root" "not root"
	skip "owner and group kept" "not root"
fi

# Names.
for n in Alice 9lives -x 'a:b' 'a b' abcdefghijabcdefghijabcdefghijabc ''; do
	expect_rc "bad name '$n' refused" 2 pw secret "$n"
done
ok "32-character name accepted" pw secret abcdefghijabcdefghijabcdefghijab

# Passwords.
cp "$U" "$U.before"
expect_rc "empty password refused" 1 pw '' carol
big=$(head -c 512 /dev/zero | tr '\0' a)
expect_rc "512-byte password refused" 1 pw "$big" carol
check "nothing changed" cmp -s "$U" "$U.before"
expect_rc "no password on stdin" 2 sh -c "'$JWTCTL' passwd --file '$U' --password-stdin carol < /dev/null"
ok "511-byte password accepted" pw "$(head -c 511 /dev/zero | tr '\0' b)" carol
ok "511-byte password verifies" verify carol "$(head -c 511 /dev/zero | tr '\0' b)"

# The password and the hash never reach the output.
printf 'S3cret-Out\n' | "$JWTCTL" passwd --file "$U" --password-stdin dave >"$TMPDIR_T/out" 2>&1
check "password not printed" sh -c "! grep -q S3cret-Out '$TMPDIR_T/out'"
check "hash not printed" sh -c "! grep -q '\\\$y\\\$' '$TMPDIR_T/out'"
check "one status line" grep -q 'Added user dave' "$TMPDIR_T/out"

# A malformed file is refused with file:line and left alone.
printf 'alice:$y$j9T$abc$def\nBAD LINE\n' > "$TMPDIR_T/bad"
chmod 600 "$TMPDIR_T/bad"
cp "$TMPDIR_T/bad" "$TMPDIR_T/bad.orig"
expect_rc "malformed file refused" 2 pw secret erin "$TMPDIR_T/bad"
pw secret erin "$TMPDIR_T/bad" 2>"$TMPDIR_T/err" || true
check "error names file:line" grep -q "$TMPDIR_T/bad:2: expected name:hash" "$TMPDIR_T/err"
check "malformed file untouched" cmp -s "$TMPDIR_T/bad" "$TMPDIR_T/bad.orig"
printf 'x:h\nx:h2\n' > "$TMPDIR_T/dup"; chmod 600 "$TMPDIR_T/dup"
expect_rc "duplicate users refused" 2 pw secret erin "$TMPDIR_T/dup"
printf 'x:h\r\n' > "$TMPDIR_T/crlf"; chmod 600 "$TMPDIR_T/crlf"
expect_rc "CRLF file refused" 2 pw secret erin "$TMPDIR_T/crlf"

# Unsafe files: symlink, group/other-writable.
ln -s "$U" "$TMPDIR_T/link"
expect_rc "symlink refused" 2 pw secret erin "$TMPDIR_T/link"
check "symlink still a symlink" test -L "$TMPDIR_T/link"
cp "$U" "$TMPDIR_T/gw"; chmod 620 "$TMPDIR_T/gw"
expect_rc "group-writable file refused" 2 pw secret erin "$TMPDIR_T/gw"

# Usage.
expect_rc "missing --file" 2 sh -c "echo x | '$JWTCTL' passwd --password-stdin erin"
expect_rc "missing NAME" 2 sh -c "echo x | '$JWTCTL' passwd --file '$U' --password-stdin"
expect_rc "two names" 2 sh -c "echo x | '$JWTCTL' passwd --file '$U' --password-stdin a b"
expect_rc "unknown option" 2 "$JWTCTL" passwd --file "$U" --bogus erin
expect_rc "missing directory" 2 pw secret erin "$TMPDIR_T/nodir/users"
check "no temporary files left" sh -c "! ls '$TMPDIR_T' | grep -q '\\.tmp\\.'"

# Concurrent runs do not lose each other's updates (directory flock).
: > "$TMPDIR_T/conc"; chmod 600 "$TMPDIR_T/conc"
for i in 1 2 3 4 5 6; do pw "p$i" "u$i" "$TMPDIR_T/conc" 2>/dev/null & done
wait
check "six concurrent users all present" test "$(grep -c '^u[1-6]:' "$TMPDIR_T/conc")" -eq 6
ok "each verifies" sh -c "for i in 1 2 3 4 5 6; do H=\$(grep \"^u\$i:\" '$TMPDIR_T/conc' | cut -d: -f2-) PW=p\$i perl -e 'exit(crypt(\$ENV{PW}, \$ENV{H}) eq \$ENV{H} ? 0 : 1)' || exit 1; done"

# The terminal path: two prompts, echo off, mismatch refused.
if /usr/bin/python3 -c 'import pty' 2>/dev/null; then
	tty_run() {  # tty_run FIRST SECOND NAME: answer both prompts on a pty
		/usr/bin/python3 - "$JWTCTL" "$U" "$@" <<'EOF'
import os, pty, select, signal, sys, time
jwtctl, users, first, second, name = sys.argv[1:6]
pid, fd = pty.fork()
if pid == 0:
    os.execv(jwtctl, [jwtctl, "passwd", "--file", users, name])
out = b""
def until(marker):
    global out
    deadline = time.time() + 20
    while marker not in out and time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 1)
        if not r:
            continue
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return marker in out
# The prompts name the user, as passwd(1) does.
p1 = ("New password for %s: " % name).encode()
ok = until(p1)
os.write(fd, first.encode() + b"\n")
ok = ok and until(("Retype new password for %s: " % name).encode())
os.write(fd, second.encode() + b"\n")
until(b"\x00never")
for _ in range(200):        # up to 20 s for the child to exit
    wpid, st = os.waitpid(pid, os.WNOHANG)
    if wpid != 0:
        break
    time.sleep(0.1)
else:
    os.kill(pid, signal.SIGKILL)
    ok = False
    _, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
if not ok or first.encode() in out.split(p1, 1)[-1]:
    sys.exit(99)       # a prompt was missing, or the password was echoed
sys.exit(os.waitstatus_to_exitcode(st))
EOF
	}
	ok "terminal: matching passwords" tty_run 'tty pass' 'tty pass' frank
	ok "terminal: hash verifies" verify frank 'tty pass'
	expect_rc "terminal: mismatch refused" 1 tty_run 'one' 'two' frank
	ok "terminal: old password kept" verify frank 'tty pass'
else
	for t in 1 2 3 4; do skip "terminal test $t" "python3 pty missing"; done
fi

done_testing
