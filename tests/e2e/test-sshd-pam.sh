#!/bin/sh
# test-sshd-pam.sh - ssh logins with JWTs through a real sshd and pam_jwt.so.
#
# For both password and keyboard-interactive authentication: a token from
# `jwtctl sign` logs in and the remote command runs; a 1,000-character token
# too; a 1,100-character token is cut to 1023 by the ssh client and refused
# with reason `truncated`; wrong-user, expired, revoked and tampered tokens
# are refused.  Then the shipped token-or-password shape (sufficient pam_jwt,
# pam_unix try_first_pass): a refused token ends the attempt at the one
# prompt (no second "Password:"), and the password at that prompt logs in
# without a refusal being logged.  Needs root (skips otherwise); see
# sshd-lib.sh.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/e2e/sshd-lib.sh"

e2e_init
[ -x "$JWTCTL" ] || plan_skip "$JWTCTL not built"
plan 36

ISS=https://issuer.e2e.test
AUD=ssh
K=$E2E_DIR/signing.pem

e2e_user_add
"$JWTCTL" keygen --out "$K" >/dev/null 2>&1 || fail "jwtctl keygen"
"$JWTCTL" jwks "$K" > "$E2E_DIR/jwks.json" || fail "jwtctl jwks"
chmod 0644 "$E2E_DIR/jwks.json"
printf '# revoked jtis\ne2e-revoked-jti 4102444800\n' > "$E2E_DIR/revoked"
chmod 0644 "$E2E_DIR/revoked"

ARGS="jwks=$E2E_DIR/jwks.json issuer=$ISS audience=$AUD revoked=$E2E_DIR/revoked"
e2e_pam_service <<EOF
auth     required $PAM_JWT_SO $ARGS
account  required $PAM_JWT_SO
account  required pam_permit.so
session  required pam_permit.so
password required pam_deny.so
EOF
e2e_syslog_start
sshd_start || { fail "sshd start"; done_testing; }
diag "sshd pid $SSHD_PID on 127.0.0.1:$SSHD_PORT, PAM service $E2E_SERVICE, user $E2E_USER"

sign() {  # sign [jwtctl sign options...]
	"$JWTCTL" sign --key "$K" --iss "$ISS" --aud "$AUD" --sub "$E2E_USER" "$@"
}

# A token padded with a "pad" claim to $1 characters (or the nearest below).
sized_token() {
	want=$1
	base=$(sign)
	pad=$(( (want - ${#base}) * 3 / 4 ))
	best=
	while [ "$pad" -gt 0 ]; do
		t=$(sign --claims "{\"pad\":\"$(printf "%${pad}s" | tr ' ' x)\"}")
		if [ ${#t} -le "$want" ]; then best=$t; break; fi
		pad=$((pad - 1))
	done
	while :; do
		pad=$((pad + 1))
		t=$(sign --claims "{\"pad\":\"$(printf "%${pad}s" | tr ' ' x)\"}")
		[ ${#t} -le "$want" ] || break
		best=$t
	done
	printf '%s' "$best"
}

good=$(sign --scope ssh)
t1000=$(sized_token 1000)
t1100=$(sized_token 1100)
other_user=$("$JWTCTL" sign --key "$K" --iss "$ISS" --aud "$AUD" --sub root)
expired=$(sign --claims "{\"iat\":$(( $(date +%s) - 7200 )),\"exp\":$(( $(date +%s) - 3600 ))}")
revoked=$(sign --jti e2e-revoked-jti)
# Tampered: the payload of another token (sub root) under good's signature.
tampered=$(printf '%s' "$good" | cut -d. -f1).$(printf '%s' "$other_user" | cut -d. -f2).$(printf '%s' "$good" | cut -d. -f3)
diag "token lengths: good ${#good}, t1000 ${#t1000}, t1100 ${#t1100}"
[ ${#t1000} -ge 990 ] && [ ${#t1000} -le 1000 ] || fail "1000-character token is ${#t1000}"
[ ${#t1100} -ge 1090 ] && [ ${#t1100} -le 1100 ] || fail "1100-character token is ${#t1100}"

n_log() { grep -c "$1" "$E2E_SYSLOG"; }

# login_ok METHOD NAME TOKEN: logs in, the remote command runs.
login_ok() {
	if ssh_login "$1" "$3" 'echo "pjwt-e2e-ran-as-$(id -un)"' &&
	    grep -q "pjwt-e2e-ran-as-$E2E_USER" "$E2E_OUT"; then
		pass "$1: $2 logs in and runs the command"
	else
		fail "$1: $2 logs in and runs the command"
		sed 's/^/#   /' "$E2E_OUT"; tail -20 "$SSHD_LOG" | sed 's/^/#   sshd: /'
		tail -5 "$E2E_SYSLOG" | sed 's/^/#   syslog: /'
	fi
}

# login_refused METHOD NAME TOKEN REASON: refused, and pam_jwt logged REASON.
login_refused() {
	before=$(n_log "reason=$4")
	if ssh_login "$1" "$3" 'echo pjwt-e2e-SHOULD-NOT-RUN' ||
	    grep -q pjwt-e2e-SHOULD-NOT-RUN "$E2E_OUT"; then
		fail "$1: $2 refused"
		sed 's/^/#   /' "$E2E_OUT"
	else
		pass "$1: $2 refused"
	fi
	if e2e_syslog_wait "refused: .* reason=$4" &&
	    [ "$(n_log "reason=$4")" -gt "$before" ]; then
		pass "$1: $2 logged as reason=$4"
	else
		fail "$1: $2 logged as reason=$4"
		tail -5 "$E2E_SYSLOG" | sed 's/^/#   syslog: /'
	fi
}

for m in password keyboard-interactive; do
	login_ok "$m" "a fresh token" "$good"
	login_ok "$m" "a ${#t1000}-character token" "$t1000"
	login_refused "$m" "a ${#t1100}-character token (cut to 1023 by ssh)" "$t1100" truncated
	if grep "reason=truncated" "$E2E_SYSLOG" | tail -1 | grep -q ' len=1023 '; then
		pass "$m: the cut token reached PAM with 1023 characters"
	else
		fail "$m: the cut token reached PAM with 1023 characters"
		grep "reason=truncated" "$E2E_SYSLOG" | tail -1 | sed 's/^/#   /'
	fi
	login_refused "$m" "another user's token" "$other_user" user_mismatch
	login_refused "$m" "an expired token" "$expired" expired
	login_refused "$m" "a revoked token" "$revoked" revoked
	login_refused "$m" "a tampered token" "$tampered" bad_signature
done

# ---- token or password, asked once (packaging/pam.d/sshd's shape) --------
# A refused token must end the attempt: before, pam_unix asked "Password:"
# a second time (sshpass, matching "assword" in both prompts, exits 5 when
# it sees a second one) and whoever knew the password got in after a
# failed token.
E2E_PW="pjwt-e2e-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s:%s\n' "$E2E_USER" "$E2E_PW" | chpasswd || fail "chpasswd"
e2e_pam_service <<EOF
auth     sufficient $PAM_JWT_SO $ARGS [prompt=Token or password: ]
auth     required pam_unix.so try_first_pass
account  required $PAM_JWT_SO
account  required pam_permit.so
session  required pam_permit.so
password required pam_deny.so
EOF
saved_prompt=$E2E_PROMPT
E2E_PROMPT=assword
for bad in expired revoked; do
	eval "tok=\$$bad"
	before=$(n_log "reason=$bad")
	ssh_login keyboard-interactive "$tok" 'echo pjwt-e2e-SHOULD-NOT-RUN'
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 5 ] &&
	    ! grep -q pjwt-e2e-SHOULD-NOT-RUN "$E2E_OUT"; then
		pass "token or password: $bad token refused at the one prompt (no second prompt)"
	else
		fail "token or password: $bad token refused at the one prompt (sshpass exit $rc; 5 = asked again)"
		sed 's/^/#   /' "$E2E_OUT"
	fi
	if e2e_syslog_wait "refused: .* reason=$bad" &&
	    [ "$(n_log "reason=$bad")" -gt "$before" ]; then
		pass "token or password: $bad token logged as reason=$bad"
	else
		fail "token or password: $bad token logged as reason=$bad"
	fi
done
E2E_PROMPT=$saved_prompt
refusals=$(n_log "refused: ")
for m in keyboard-interactive password; do
	[ $m = keyboard-interactive ] && E2E_PROMPT=assword
	login_ok "$m" "the password at the token-or-password prompt" "$E2E_PW"
	E2E_PROMPT=$saved_prompt
done
if [ "$(n_log "refused: ")" -eq "$refusals" ] && ! grep -q not_a_jwt "$E2E_SYSLOG"; then
	pass "a password handed on to pam_unix is not logged as a refusal"
else
	fail "a password handed on to pam_unix is not logged as a refusal"
	grep 'not_a_jwt' "$E2E_SYSLOG" | tail -3 | sed 's/^/#   /'
fi
if grep -qF -- "$E2E_PW" "$E2E_SYSLOG" "$SSHD_LOG"; then
	fail "the password is in a log"
else
	pass "the password is in no log"
fi

# One line per attempt, and never a token in any log.
accepted=$(n_log "accepted: service=$E2E_SERVICE user=$E2E_USER rhost=127.0.0.1 reason=ok")
if [ "$accepted" -eq 4 ]; then pass "4 accepted attempts logged with service, user, rhost"
else fail "4 accepted attempts logged (got $accepted)"; fi
leaked=
for t in "$good" "$t1000" "$t1100" "$expired" "$revoked" "$tampered"; do
	sig=${t##*.}
	if grep -qF -- "$sig" "$E2E_SYSLOG" "$SSHD_LOG"; then leaked=1; fi
done
if [ -z "$leaked" ]; then pass "no token signature in syslog or sshd's log"
else fail "a token signature is in a log"; fi

done_testing
