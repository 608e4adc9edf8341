#!/bin/sh
# pam-backend.sh: backend = pam end to end: the daemon forks its PAM helpers
# while root, drops the HTTP side to an unprivileged user, and password
# grants are checked by PAM (pam_matrix from pam_wrapper, so no system
# accounts or /etc/pam.d files are touched).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib-daemon.sh"

[ "$(id -u)" = 0 ] || plan_skip "the pam backend starts as root"
PWRAP=$(ldconfig -p 2>/dev/null | sed -n 's/.*libpam_wrapper\.so .*=> //p' | head -1)
MATRIX=$(dirname "${PWRAP:-/nonexistent}")/pam_wrapper/pam_matrix.so
[ -n "$PWRAP" ] && [ -f "$MATRIX" ] || plan_skip "pam_wrapper (libpam-wrapper) not installed"

daemon_setup
mkdir -p "$D/pam.d"
printf 'alice:alice pam pw:jwt-issuerd\n' >"$D/passdb"
chmod 644 "$D/passdb"
cat >"$D/pam.d/jwt-issuerd" <<EOP
auth     required $MATRIX passdb=$D/passdb
account  required $MATRIX passdb=$D/passdb
EOP
sed -i 's/^backend = file/backend = pam\nworkers = 2/' "$D/conf"
export LD_PRELOAD="$PWRAP" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$D/pam.d"
daemon_start || { plan 1; fail "daemon start with the pam backend"; done_testing; }
unset LD_PRELOAD PAM_WRAPPER PAM_WRAPPER_SERVICE_DIR

r=$(tok_pw alice 'alice pam pw')
ok "password grant checked by PAM" sh -c "printf '%s' '$r' | grep -q access_token"
r=$(tok_pw alice 'wrong')
ok "wrong password: invalid_grant" sh -c "printf '%s' '$r' | grep -q invalid_grant"
r=$(tok_pw nobody-here 'x')
ok "unknown user: invalid_grant" sh -c "printf '%s' '$r' | grep -q invalid_grant"
# Issue 9 item 6: the refresh grant re-checks the account (pam_acct_mgmt
# in the root helper), so a user removed from PAM stops refreshing.
refresh() {
	curl -sS -d grant_type=refresh_token -d client_id=ssh-cli \
	    --data-urlencode "refresh_token=$1" "$URL/token"
}
rt=$(tok_pw alice 'alice pam pw' | json refresh_token)
r=$(refresh "$rt")
rt2=$(printf '%s' "$r" | json refresh_token)
ok "refresh while the account exists" [ -n "$rt2" ]
: >"$D/passdb"
r=$(refresh "$rt2")
ok "account gone from PAM: refresh refused" sh -c "printf '%s' '$r' | grep -q invalid_grant"
ok "the refusal is logged with the account result" \
    grep -q "refresh grant refused: user=alice .*reason=user_" "$D/log"
printf 'alice:alice pam pw:jwt-issuerd\n' >"$D/passdb"
r=$(refresh "$rt2")
ok "the family stays revoked when the account comes back" \
    sh -c "printf '%s' '$r' | grep -q invalid_grant"
ok "the HTTP side runs as $RUN_AS" sh -c "[ \"\$(ps -o user= -p $DPID | tr -d ' ')\" = '$RUN_AS' ]"
hpids=$(ps -o pid=,user= --ppid "$DPID" | awk '$2 == "root" {print $1}')
ok "PAM helper processes keep root ($(echo $hpids | wc -w))" [ -n "$hpids" ]
daemon_stop; rc=$?
ok "exit 0" [ "$rc" = 0 ]
left=
for p in $hpids; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
ok "no helper left behind" [ -z "$left" ]
done_testing
