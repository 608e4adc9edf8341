#!/bin/sh
# e2e-sshd.sh: the whole flow with a real sshd: password grant at
# jwt-issuerd -> access token -> ssh login through pam_jwt.so ->
# revoke -> the same token is refused.  Needs root (tests/e2e/sshd-lib.sh).
. "$top_srcdir/tests/lib.sh"
[ -f "$top_srcdir/tests/e2e/sshd-lib.sh" ] || plan_skip "tests/e2e/sshd-lib.sh not there yet"
. "$top_srcdir/tests/e2e/sshd-lib.sh"
. "$top_srcdir/tests/daemon/lib-daemon.sh"

e2e_init
e2e_user_add
daemon_setup
E2E_PW='e2e pass word'
printf '%s:%s\n' "$E2E_USER" "$($PY "$top_srcdir/tests/daemon/crypt-hash.py" "$E2E_PW")" >>"$D/users"
daemon_start || { plan 1; fail "jwt-issuerd start"; done_testing; }

# What the ssh host's pam_jwt reads: the served JWKS (root-owned copy), and
# the revoked list the daemon writes as $RUN_AS, which pam_jwt trusts with
# revoked_owner= (the issuer's account).
curl -fsS "$URL/.well-known/jwks.json" >"$E2E_DIR/jwks.json"
chmod 644 "$E2E_DIR/jwks.json"
owner_arg=
[ -n "$RUN_AS" ] && owner_arg="revoked_owner=$RUN_AS"

e2e_pam_service <<EOP
auth     required $PAM_JWT_SO jwks=$E2E_DIR/jwks.json issuer=$URL audience=ssh scope=ssh revoked=$D/state/revoked $owner_arg
auth     optional pam_permit.so
account  required pam_permit.so
session  required pam_permit.so
EOP
e2e_syslog_start
sshd_start || { fail "sshd start"; done_testing; }

r=$(tok_pw "$E2E_USER" "$E2E_PW")
AT=$(printf '%s' "$r" | json access_token)
ok "password grant at jwt-issuerd" [ -n "$AT" ]
diag "access token: ${#AT} characters"
ssh_login keyboard-interactive "$AT" id -un; rc=$?
[ $rc = 0 ] || { diag "ssh: $(cat "$E2E_OUT")"; diag "syslog: $(tail -5 "$E2E_SYSLOG")"; diag "sshd: $(tail -5 "$SSHD_LOG")"; }
ok "ssh login with the token through pam_jwt" sh -c "[ $rc = 0 ] && grep -qx '$E2E_USER' '$E2E_OUT'"
ssh_login keyboard-interactive "$E2E_PW" true; rc=$?
ok "the password itself does not log in over ssh" [ "$rc" != 0 ]

got=$(post /revoke -d client_id=ssh-cli -d "token=$AT")
ok "revoke the access token at jwt-issuerd" [ "${got%% *}" = 200 ]
ssh_login keyboard-interactive "$AT" true; rc=$?
ok "the revoked token is refused by sshd" [ "$rc" != 0 ]
ok "pam_jwt logged the revocation" e2e_syslog_wait 'revoked'

r=$(tok_pw "$E2E_USER" "$E2E_PW")
AT2=$(printf '%s' "$r" | json access_token)
ssh_login keyboard-interactive "$AT2" true; rc=$?
ok "a fresh token logs in again" [ "$rc" = 0 ]
sshd_stop
daemon_stop; rc=$?
ok "jwt-issuerd exits 0" [ "$rc" = 0 ]
done_testing
