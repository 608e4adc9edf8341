#!/bin/sh
# pam-stall.sh: backend = pam survives a PAM stack that stalls (issue 9
# item 8).  A stall longer than pam_timeout loses the helpers; the root
# supervisor forks new ones, so after the stall password grants work again
# without a restart, and /healthz says "degraded" while no helper can take a
# request.  PAM: pam_exec of a script that sleeps while a flag file exists,
# then pam_matrix (pam_wrapper: no system accounts or /etc/pam.d touched).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib-daemon.sh"

[ "$(id -u)" = 0 ] || plan_skip "the pam backend starts as root"
PWRAP=$(ldconfig -p 2>/dev/null | sed -n 's/.*libpam_wrapper\.so .*=> //p' | head -1)
MATRIX=$(dirname "${PWRAP:-/nonexistent}")/pam_wrapper/pam_matrix.so
PEXEC=$(dirname "${PWRAP:-/nonexistent}")/security/pam_exec.so
[ -n "$PWRAP" ] && [ -f "$MATRIX" ] || plan_skip "pam_wrapper (libpam-wrapper) not installed"
[ -f "$PEXEC" ] || plan_skip "pam_exec.so not found at $PEXEC"

TIMEOUT=${PAM_STALL_TIMEOUT:-3}
daemon_setup
mkdir -p "$D/pam.d"
printf 'alice:alice pam pw:jwt-issuerd\nbob:bob pam pw:jwt-issuerd\n' >"$D/passdb"
chmod 644 "$D/passdb"
# The stall: 40 s, far beyond pam_timeout.  pam_exec runs the script in
# its own session, out of reach of the helper's process group: the script
# records its pid so this test ends it (only what it started, by pid).
cat >"$D/stall.sh" <<EOS
#!/bin/sh
[ -e "$D/stall" ] || exit 0
echo \$\$ >>"$D/stall.pids"
exec sleep 40
EOS
at_exit 'for p in $(cat "$D/stall.pids" 2>/dev/null); do kill "$p" 2>/dev/null; done'

chmod 755 "$D/stall.sh"
cat >"$D/pam.d/jwt-issuerd" <<EOP
auth     requisite $PEXEC quiet $D/stall.sh
auth     required  $MATRIX passdb=$D/passdb
account  required  $MATRIX passdb=$D/passdb
EOP
sed -i "s/^backend = file/backend = pam\nworkers = 2\npam_timeout = $TIMEOUT/" "$D/conf"
export LD_PRELOAD="$PWRAP" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$D/pam.d"
daemon_start || { plan 1; fail "daemon start with the pam backend"; done_testing; }
unset LD_PRELOAD PAM_WRAPPER PAM_WRAPPER_SERVICE_DIR

health() { curl -sS -m 5 "$URL/healthz"; }
grant_ok() { tok_pw alice 'alice pam pw' | grep -q access_token; }

ok "password grant before the stall" grant_ok
ok "/healthz ok" sh -c "curl -sS -m 5 '$URL/healthz' | grep -q '\"status\":\"ok\"'"

touch "$D/stall"
# Both helpers stall (two concurrent grants of two users: the daemon runs
# one check per user at a time), each bounded by curl -m.
i=0
for u in alice bob; do
	i=$((i + 1))
	curl -sS -m $((TIMEOUT + 20)) -o "$D/stalled$i" -w '%{http_code}' -d grant_type=password \
	    -d client_id=ssh-cli -d username=$u --data-urlencode "password=$u pam pw" \
	    "$URL/token" >"$D/code$i" 2>/dev/null &
	eval "cpid$i=\$!"
done
# While no helper can answer, /healthz says so (bounded poll).
deg=
for i in $(seq 1 $((TIMEOUT * 10))); do
	if health | grep -q '"status":"degraded"'; then deg=1; break; fi
	sleep 0.1
done
ok "/healthz degraded while both helpers are stalled" [ -n "$deg" ]
ok "... naming the password backend" sh -c "curl -sS -m 5 '$URL/healthz' | grep -q 'PAM helper'"
wait "$cpid1" "$cpid2"
ok "the stalled grants end with 503 after pam_timeout" \
    sh -c "[ \"\$(cat '$D/code1')\" = 503 ] && [ \"\$(cat '$D/code2')\" = 503 ]"
rm -f "$D/stall"

# The supervisor replaces the helpers: grants work again without a restart.
back=
for i in $(seq 1 50); do
	if grant_ok; then back=1; break; fi
	sleep 0.2
done
ok "password grants work again after the stall, no restart" [ -n "$back" ]
ok "both helpers replaced (log)" sh -c "[ \$(grep -c 'pam: helper .* started' '$D/log') -ge 4 ]"
ok "/healthz ok again" sh -c "curl -sS -m 5 '$URL/healthz' | grep -q '\"status\":\"ok\"'"
stalled=$(sed -n 's/.*pam: helper \([0-9]*\) dropped: no answer in time.*/\1/p' "$D/log")
alive=
for p in $stalled; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
ok "the stalled helpers ($(echo $stalled)) were killed by the supervisor" \
    sh -c "[ -n '$stalled' ] && [ -z '$alive' ]"
for i in 1 2 3 4; do grant_ok || break; done
ok "several grants in a row" grant_ok
sup=$(ps -o pid=,user= --ppid "$DPID" | awk '$2 == "root" {print $1}')
ok "one root supervisor child ($(echo $sup | wc -w))" [ "$(echo $sup | wc -w)" = 1 ]
helpers=$(for p in $sup; do pgrep -P "$p" || true; done)
daemon_stop; rc=$?
ok "exit 0" [ "$rc" = 0 ]
sleep 0.5
left=
for p in $sup $helpers; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
ok "supervisor and helpers gone after exit" [ -z "$left" ]
done_testing
