#!/bin/sh
# client-auth.sh: client authentication is no client-id oracle (an unknown
# id costs what a known confidential client with a wrong secret costs, and
# gets the same answer), and wrong client secrets are throttled per client
# address (max_failures_per_address) like password failures.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib-daemon.sh"

daemon_setup
sed -i 's/^max_failures = .*/max_failures = 5\nmax_failures_per_address = 1000/' "$D/conf"
daemon_start || { plan 1; fail "daemon start"; done_testing; }

cc() {  # cc ID SECRET [curl args]: client_credentials with Basic auth
	local id=$1 sec=$2; shift 2
	curl -sS -u "$id:$sec" -d grant_type=client_credentials "$@" "$URL/token"
}
cc svc wrong-secret -D "$TMPDIR_T/h1" -o "$TMPDIR_T/b1"
cc nosuchclient wrong-secret -D "$TMPDIR_T/h2" -o "$TMPDIR_T/b2"
ok "unknown client: same body as a wrong secret" cmp "$TMPDIR_T/b1" "$TMPDIR_T/b2"
ok "unknown client: same status and headers" sh -c "grep -v -i '^date:' '$TMPDIR_T/h1' >'$TMPDIR_T/h1x'; grep -v -i '^date:' '$TMPDIR_T/h2' >'$TMPDIR_T/h2x'; cmp '$TMPDIR_T/h1x' '$TMPDIR_T/h2x'"
timing() {
	curl -sS -o /dev/null -w '%{time_total}\n' -u "$1:wrong-secret" \
	    -d grant_type=client_credentials "$URL/token"
}
# Interleaved, so that load from elsewhere on the machine hits both alike.
: >"$TMPDIR_T/known"; : >"$TMPDIR_T/unknown"
for i in $(seq 1 12); do
	timing svc >>"$TMPDIR_T/known"
	timing "nosuch$i" >>"$TMPDIR_T/unknown"
done
read -r k u ratio <<EOT
$($PY -c '
import statistics,sys
k=statistics.median(float(x) for x in open(sys.argv[1]))
u=statistics.median(float(x) for x in open(sys.argv[2]))
print(f"{k*1000:.1f} {u*1000:.1f} {u/k:.2f}")' "$TMPDIR_T/known" "$TMPDIR_T/unknown")
EOT
diag "median client-auth failure: known client, wrong secret ${k} ms; unknown client ${u} ms (ratio $ratio)"
ok "unknown vs known client: same order of cost (ratio 0.33..3; 0.01 before)" $PY -c "import sys; r=float('$ratio'); sys.exit(0 if 0.33 < r < 3 else 1)"
r=$(cc svc "$SECRET")
ok "the right secret still works" sh -c "printf '%s' '$r' | grep -q access_token"
daemon_stop

# Throttled: three wrong secrets from one address (max_failures_per_address
# 3) and that address is refused, the right secret too, without a check;
# another address is not; unknown ids count as well.
sed -i 's/^max_failures_per_address = .*/max_failures_per_address = 3/' "$D/conf"
rm -f "$D"/state/jwt-issuerd.db*
daemon_start || fail "restart for throttling"
cc_from() {
	local ip=$1; shift
	curl -sS --interface "$ip" -u "$1:$2" -d grant_type=client_credentials "$URL/token"
}
cc_from 127.0.0.50 svc wrong1 >/dev/null
cc_from 127.0.0.50 svc wrong2 >/dev/null
r=$(cc_from 127.0.0.50 svc "$SECRET")
ok "2 wrong secrets, under the threshold: the right one works" sh -c "printf '%s' '$r' | grep -q access_token"
cc_from 127.0.0.50 nosuchclient wrong3 >/dev/null
n0=$(grep -c 'wrong secret for client "svc"' "$D/log")
for i in 1 2 3 4 5; do cc_from 127.0.0.50 svc "guess$i" >/dev/null; done
n1=$(grep -c 'wrong secret for client "svc"' "$D/log")
ok "address locked: further guesses are not checked ($((n1 - n0)) checked)" [ "$n1" = "$n0" ]
r=$(cc_from 127.0.0.50 rs rs-secret)
ok "address locked: even a right secret is refused" sh -c "printf '%s' '$r' | grep -q 'too many failed attempts'"
ok "... as invalid_client" sh -c "printf '%s' '$r' | grep -q '\"invalid_client\"'"
r=$(cc_from 127.0.0.51 svc "$SECRET")
ok "another address is not locked" sh -c "printf '%s' '$r' | grep -q access_token"
ok "lockout logged" grep -q 'client authentication refused: .*peer=127.0.0.50 locked' "$D/log"
daemon_stop
done_testing
