#!/bin/sh
# client-ssh.sh - `jwtctl ssh` logs in to a real sshd (tests/e2e/sshd-lib.sh)
# through pam_jwt.so, with a token from a real jwt-issuerd: no sshpass, no
# terminal, no typed input; password and keyboard-interactive.  After
# `jwtctl logout` (and the next `jwtctl sync`) it fails, and so does the
# old token typed by hand.  Needs root (skips otherwise, with the reason).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/e2e/sshd-lib.sh"
e2e_init
. "$top_srcdir/tests/daemon/lib-daemon.sh"
. "$top_srcdir/tests/tools/client-lib.sh"
command -v setsid >/dev/null 2>&1 || plan_skip "setsid not installed"

client_env
J=$JWTCTL
e2e_user_add
PW="pw of $E2E_USER"
daemon_setup
printf '%s:%s\n' "$E2E_USER" "$($PY "$top_srcdir/tests/daemon/crypt-hash.py" "$PW")" >>"$D/users"
daemon_start || plan_skip "jwt-issuerd did not start"

# The host side: JWKS and revoked list from jwtctl sync, pam_jwt reading them.
host_sync() {
	"$J" sync --issuer "$URL" --jwks-out "$E2E_DIR/jwks.json" --revoked-out "$E2E_DIR/revoked" >/dev/null
}
host_sync || fail "jwtctl sync"
e2e_pam_service <<EOF
auth     required $PAM_JWT_SO jwks=$E2E_DIR/jwks.json issuer=$URL audience=ssh scope=ssh revoked=$E2E_DIR/revoked
account  required $PAM_JWT_SO
account  required pam_permit.so
session  required pam_permit.so
password required pam_deny.so
EOF
e2e_syslog_start
sshd_start || { fail "sshd start"; done_testing; }
diag "sshd pid $SSHD_PID on 127.0.0.1:$SSHD_PORT, issuer $URL, user $E2E_USER"

# jwtctl_ssh METHOD: `jwtctl ssh` with no terminal (setsid) and no input.
jwtctl_ssh() {
	timeout 60 setsid -w "$J" ssh --issuer "$URL" --user "$E2E_USER" -- \
	    -F /dev/null -p "$SSHD_PORT" \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o GlobalKnownHostsFile=/dev/null \
	    -o PreferredAuthentications="$1" -o PubkeyAuthentication=no \
	    -o NumberOfPasswordPrompts=1 -o ConnectTimeout=10 -o LogLevel=ERROR \
	    "$E2E_USER@127.0.0.1" 'echo "pjwt-client-ran-as-$(id -un)"' \
	    </dev/null >"$E2E_DIR/jssh.out" 2>&1
}

expect "login as $E2E_USER" 0 sh -c "echo '$PW' | '$J' login --issuer '$URL' --user '$E2E_USER' --password-stdin"
for m in keyboard-interactive password; do
	if jwtctl_ssh "$m" && grep -q "^pjwt-client-ran-as-$E2E_USER\$" "$E2E_DIR/jssh.out"; then
		pass "jwtctl ssh ($m): logged in, the command ran, nothing typed"
	else
		fail "jwtctl ssh ($m): logged in, the command ran, nothing typed"
		sed 's/^/#   /' "$E2E_DIR/jssh.out" | head -10
		tail -5 "$SSHD_LOG" | sed 's/^/#   sshd: /'
	fi
done
e2e_syslog_wait "pam_jwt.*$E2E_USER" && pass "... pam_jwt logged the logins" ||
    fail "... pam_jwt logged the logins"
! grep -q 'eyJ' "$E2E_SYSLOG" "$SSHD_LOG" && pass "... and no token in the logs" ||
    fail "... and no token in the logs"

# A refresh on the way: the askpass run refreshes, ssh still logs in.
CF=$(cache_file)
cache_set expires_at "$(($(date +%s) - 10))"
RT=$(cache_get refresh_token)
jwtctl_ssh keyboard-interactive && grep -q "^pjwt-client-ran-as-$E2E_USER\$" "$E2E_DIR/jssh.out" &&
    [ "$(cache_get refresh_token)" != "$RT" ] &&
    pass "jwtctl ssh with an expired cached token: refreshed, logged in" ||
    { fail "jwtctl ssh with an expired cached token: refreshed, logged in"; sed 's/^/#   /' "$E2E_DIR/jssh.out" | head; }

OLD=$(cache_get access_token)
expect "jwtctl logout" 0 "$J" logout --issuer "$URL" --user "$E2E_USER"
run jwtctl_ssh keyboard-interactive
[ "$rc" = 1 ] && grep -q 'run jwtctl login' "$E2E_DIR/jssh.out" &&
    ! grep -q pjwt-client-ran "$E2E_DIR/jssh.out" &&
    pass "jwtctl ssh after logout: exit 1, \"run jwtctl login\", no login" ||
    { fail "jwtctl ssh after logout: exit 1, \"run jwtctl login\", no login (exit $rc)"; sed 's/^/#   /' "$E2E_DIR/jssh.out" | head; }
host_sync || fail "jwtctl sync"
if ssh_login keyboard-interactive "$OLD" 'echo pjwt-SHOULD-NOT-RUN'; then
	fail "the logged-out token, typed by hand after sync: refused"
else
	! grep -q pjwt-SHOULD-NOT-RUN "$E2E_OUT" &&
	    pass "the logged-out token, typed by hand after sync: refused" ||
	    fail "the logged-out token, typed by hand after sync: refused"
fi
e2e_syslog_wait "reason=revoked" && pass "... pam_jwt: reason=revoked" ||
    { fail "... pam_jwt: reason=revoked"; tail -3 "$E2E_SYSLOG" | sed 's/^/#   /'; }

done_testing
