#!/bin/sh
# syslog-isolation.sh - the sshd harness sees pam_jwt's syslog lines whatever
# other suites do with /dev/log meanwhile (issue 9 A: two e2e suites under
# `make -j2` lost each other's log lines).
#
# A "peer" (another suite, or an older copy of this harness) binds its own
# receiver at the host's /dev/log, and makes /run/sshd, and removes both
# again while our sshd runs.
# Our capture must be unaffected: pam_jwt's line for a login after the peer
# has gone still reaches $E2E_SYSLOG, the peer sees none of our lines, and
# the host's /dev/log is never created or removed by the harness itself.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/e2e/sshd-lib.sh"

e2e_init
[ -x "$JWTCTL" ] || plan_skip "$JWTCTL not built"
plan 6

K=$E2E_DIR/signing.pem
"$JWTCTL" keygen --out "$K" >/dev/null 2>&1 || fail "jwtctl keygen"
"$JWTCTL" jwks "$K" > "$E2E_DIR/jwks.json" || fail "jwtctl jwks"
chmod 0644 "$E2E_DIR/jwks.json"
e2e_user_add
e2e_pam_service <<EOP
auth     required $PAM_JWT_SO jwks=$E2E_DIR/jwks.json issuer=https://iso.e2e.test audience=ssh
account  required pam_permit.so
session  required pam_permit.so
EOP

host_devlog_before=absent
[ -e /dev/log ] || [ -L /dev/log ] && host_devlog_before=present

# The peer: a receiver at the host's /dev/log, if there is none (as a suite
# run where no syslog daemon exists does).  Started before our sshd, so an
# sshd that looks at the host's /dev/log when it starts would pick it up.
peer_pid=
PEER_LOG=$E2E_DIR/peer.log
: > "$PEER_LOG"
if [ "$host_devlog_before" = absent ]; then
	/usr/bin/python3 "$top_srcdir/tests/e2e/syslog-capture.py" /dev/log "$PEER_LOG" &
	peer_pid=$!
	at_exit 'kill $peer_pid 2>/dev/null'
	i=0
	while ! grep -q '^ready$' "$PEER_LOG" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
fi

peer_run_sshd=
if [ ! -e /run/sshd ]; then
	mkdir -m 0755 /run/sshd && peer_run_sshd=1
	at_exit '[ -z "$peer_run_sshd" ] || rmdir /run/sshd 2>/dev/null'
fi

# A JWT-shaped answer that fails verification: pam_jwt logs a refusal for
# it (a password handed on is not logged, so it would prove nothing).
FAKE=eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.AAAA
REFUSED='pam_jwt.*refused: .*reason='

e2e_syslog_start
sshd_start || { fail "sshd start"; done_testing; }

ssh_login password "$FAKE" true
if e2e_syslog_wait "$REFUSED"; then
	pass "logged while a peer receiver holds /dev/log"
else
	fail "logged while a peer receiver holds /dev/log"
	tail -5 "$E2E_SYSLOG" | sed 's/^/#   syslog: /'
fi

# The peer finishes: it removes its /dev/log (as every receiver does).
if [ -n "$peer_pid" ]; then
	kill "$peer_pid"; wait "$peer_pid" 2>/dev/null; peer_pid=
	[ ! -e /dev/log ] || diag "host /dev/log still there"
fi
if [ -n "$peer_run_sshd" ]; then
	rmdir /run/sshd && peer_run_sshd=
fi
n_before=$(grep -c "$REFUSED" "$E2E_SYSLOG")
ssh_login password "$FAKE" true
i=0
while [ "$(grep -c "$REFUSED" "$E2E_SYSLOG")" -le "$n_before" ] && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
if [ "$(grep -c "$REFUSED" "$E2E_SYSLOG")" -gt "$n_before" ]; then
	pass "logged after the peer removed /dev/log"
else
	fail "logged after the peer removed /dev/log"
	diag "sshd: $(tail -3 "$SSHD_LOG")"
fi

if [ "$host_devlog_before" = absent ]; then
	if grep -q "$E2E_SERVICE" "$PEER_LOG"; then
		fail "our lines went to the peer's receiver"
	else
		pass "none of our lines reached the peer's receiver"
	fi
else
	skip "none of our lines reached the peer's receiver" "the host has its own /dev/log"
fi

# Per-suite filtering is possible: the lines name our own PAM service.
grep -q "pjwt-e2e-$$" "$E2E_SYSLOG" && pass "lines carry our PAM service name" ||
	fail "lines carry our PAM service name"

sshd_stop
if [ "$host_devlog_before" = absent ]; then
	if [ -e /dev/log ] || [ -L /dev/log ]; then
		fail "harness left no /dev/log on the host"
	else
		pass "harness left no /dev/log on the host"
	fi
else
	ok "host /dev/log still there" test -e /dev/log
fi
ok "no mount of ours is left in the host's namespace" sh -c "! grep -q '$E2E_DIR' /proc/self/mountinfo"
done_testing
