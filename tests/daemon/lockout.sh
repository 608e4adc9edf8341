#!/bin/sh
# lockout.sh: brute-force lockout per user name (max_failures) and per client
# address (max_failures_per_address, higher), persisted across restarts,
# doubling backoff; unknown vs known user timing; an attempt that cannot be
# recorded is refused without checking the password.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib-daemon.sh"

daemon_setup
sed -i 's/^max_failures = .*/max_failures = 3\nlockout_initial = 2\nlockout_max = 4/' "$D/conf"
daemon_start || { plan 1; fail "daemon start"; done_testing; }

err_of() { printf '%s' "$1" | json error; }
desc_of() { printf '%s' "$1" | json error_description; }

for i in 1 2 3; do
	r=$(tok_pw alice wrong)
	[ "$(err_of "$r")" = invalid_grant ] || fail "failure $i not invalid_grant: $r"
done
pass "three wrong passwords: invalid_grant"
r=$(tok_pw alice 'alice pw')
ok "locked: the right password is refused too" sh -c "[ '$(err_of "$r")' = invalid_grant ]"
ok "locked: the description says for how long" sh -c "printf '%s' '$(desc_of "$r")' | grep -Eq '^too many failed attempts; try again in [12] seconds$'"
r=$(tok_pw bob 'bob-pw')
ok "another user behind the same address is not locked by alice's typos" sh -c "printf '%s' '$r' | grep -q access_token"
ok "lockout logged" grep -q 'password grant refused: user=alice .*locked' "$D/log"

# Persisted: a restart does not reset the counters.
daemon_stop
daemon_start || fail "restart"
r=$(tok_pw alice 'alice pw')
ok "still locked after a restart" sh -c "printf '%s' '$(desc_of "$r")' | grep -q 'too many failed attempts'"

sleep 2.2
r=$(tok_pw alice wrong)
ok "after the lock: one more failure" sh -c "[ '$(err_of "$r")' = invalid_grant ]"
r=$(tok_pw alice 'alice pw')
ok "... locks again for twice as long (4 s)" sh -c "printf '%s' '$(desc_of "$r")' | grep -Eq 'try again in [34] seconds'"
sleep 4.2
r=$(tok_pw alice 'alice pw')
ok "after the lock expires the right password works" sh -c "printf '%s' '$r' | grep -q access_token"
r=$(tok_pw alice wrong)
r=$(tok_pw alice 'alice pw')
ok "a success resets the counters" sh -c "printf '%s' '$r' | grep -q access_token"
daemon_stop

# Timing: unknown users cost what known users with a wrong password cost,
# and get byte-identical responses.
MAX_FAILURES=1000 daemon_write_conf
daemon_start || fail "restart for timing"
curl -sS -D "$TMPDIR_T/h1" -o "$TMPDIR_T/b1" -d grant_type=password -d client_id=ssh-cli -d username=alice -d password=nope "$URL/token"
curl -sS -D "$TMPDIR_T/h2" -o "$TMPDIR_T/b2" -d grant_type=password -d client_id=ssh-cli -d username=mallory -d password=nope "$URL/token"
ok "unknown user: same body as a wrong password" cmp "$TMPDIR_T/b1" "$TMPDIR_T/b2"
ok "unknown user: same status and headers" sh -c "grep -v -i '^date:' '$TMPDIR_T/h1' >'$TMPDIR_T/h1x'; grep -v -i '^date:' '$TMPDIR_T/h2' >'$TMPDIR_T/h2x'; cmp '$TMPDIR_T/h1x' '$TMPDIR_T/h2x'"
timing() {
	curl -sS -o /dev/null -w '%{time_total}\n' -d grant_type=password -d client_id=ssh-cli \
	    -d "username=$1" -d password=nope "$URL/token"
}
for i in $(seq 1 10); do timing alice; done >"$TMPDIR_T/known"
for i in $(seq 1 10); do timing "nosuch$i"; done >"$TMPDIR_T/unknown"
read -r k u ratio <<EOT
$($PY -c '
import statistics,sys
k=statistics.median(float(x) for x in open(sys.argv[1]))
u=statistics.median(float(x) for x in open(sys.argv[2]))
print(f"{k*1000:.1f} {u*1000:.1f} {u/k:.2f}")' "$TMPDIR_T/known" "$TMPDIR_T/unknown")
EOT
diag "median wrong-password time: known user ${k} ms, unknown user ${u} ms (ratio $ratio)"
ok "unknown vs known user: same order of magnitude" $PY -c "import sys; r=float('$ratio'); sys.exit(0 if 0.33 < r < 3 else 1)"
daemon_stop

# The per-user counter does not depend on how the name is spelled: the pam
# backend hands the name to sssd, LDAP or AD, which match "CAROL" and
# " carol" to carol, so every spelling counts against carol.  Failures from
# one loopback address lock carol; spellings tried from other addresses
# (fresh per-address counters) are refused as locked too.
MAX_FAILURES=3 daemon_write_conf
daemon_start || fail "restart for name spellings"
tok_pw_from() {
	curl -sS --interface "$1" -d grant_type=password -d client_id=ssh-cli \
	    --data-urlencode "username=$2" --data-urlencode "password=$3" "$URL/token"
}
for i in 1 2 3; do tok_pw_from 127.0.0.2 carol wrong >/dev/null; done
n=3
for v in Carol CAROL ' carol' 'carol '; do
	r=$(tok_pw_from 127.0.0.$n "$v" wrong)
	ok "carol locked: \"$v\" from another address is refused as locked" \
	    sh -c "printf '%s' '$r' | grep -q 'too many failed attempts'"
	n=$((n + 1))
done
r=$(tok_pw_from 127.0.0.8 '   ' wrong)
ok "an all-blank name is an ordinary failure" sh -c "printf '%s' '$r' | grep -q 'invalid username or password'"
r=$(tok_pw_from 127.0.0.9 bob bob-pw)
ok "another user from another address is not locked" sh -c "printf '%s' '$r' | grep -q access_token"
daemon_stop

# Concurrent guesses: max_failures is a bound, not a rate.  Twelve wrong
# passwords for dave at once, from twelve addresses, with four password
# workers: exactly three are checked, the rest find dave locked.
sed -i 's/^backend = file/backend = file\nworkers = 4/' "$D/conf"
daemon_start || fail "restart for concurrent guesses"
pids=
for n in $(seq 20 31); do
	tok_pw_from 127.0.0.$n dave wrong >"$TMPDIR_T/dave.$n" &
	pids="$pids $!"
done
wait $pids
checked=$(grep -c 'password grant failed: user=dave ' "$D/log")
ok "12 concurrent guesses, max_failures 3: $checked checked" [ "$checked" = 3 ]
ok "... every one answered invalid_grant" [ "$(grep -l invalid_grant "$TMPDIR_T"/dave.* | wc -l)" = 12 ]
daemon_stop

# Per address: a separate, higher threshold.  Three typos lock alice, not
# bob behind the same address; a success takes back only its own attempt;
# five failures in all from one address lock that address for everyone.
MAX_FAILURES=3 daemon_write_conf
sed -i 's/^max_failures = .*/max_failures = 3\nmax_failures_per_address = 5/' "$D/conf"
rm -f "$D"/state/jwt-issuerd.db*
daemon_start || fail "restart for per-address threshold"
for i in 1 2 3; do tok_pw_from 127.0.0.40 alice wrong >/dev/null; done
r=$(tok_pw_from 127.0.0.40 alice 'alice pw')
ok "per address: alice locked after max_failures (3)" sh -c "printf '%s' '$r' | grep -q 'too many failed attempts'"
r=$(tok_pw_from 127.0.0.40 bob bob-pw)
ok "per address: bob behind the same address still gets in" sh -c "printf '%s' '$r' | grep -q access_token"
tok_pw_from 127.0.0.40 nosuch1 wrong >/dev/null
r=$(tok_pw_from 127.0.0.40 bob bob-pw)
ok "per address: 4 failures from the address, under 5: bob gets in" sh -c "printf '%s' '$r' | grep -q access_token"
tok_pw_from 127.0.0.40 nosuch2 wrong >/dev/null
r=$(tok_pw_from 127.0.0.40 bob bob-pw)
ok "per address: 5 failures lock the address for everyone" sh -c "printf '%s' '$r' | grep -q 'too many failed attempts'"
r=$(tok_pw_from 127.0.0.41 bob bob-pw)
ok "per address: ... and only that address" sh -c "printf '%s' '$r' | grep -q access_token"
daemon_stop

# Fail closed: a store that cannot record an attempt (disk full, read-only,
# here a trigger refusing every write to the counters) gets no password
# checked at all, and the right password gets the same answer as a wrong
# one (no oracle).  Reads still work, as they do on a full disk.
MAX_FAILURES=3 daemon_write_conf
rm -f "$D"/state/jwt-issuerd.db*
daemon_start || fail "restart for the refusing store"
$PY -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
db.execute("CREATE TRIGGER refuse_fail BEFORE INSERT ON failures BEGIN SELECT RAISE(ABORT, \"disk full\"); END")
db.commit()' "$D/state/jwt-issuerd.db" || fail "could not install the refusing trigger"
codes=
for i in 1 2 3 4 5 6; do
	codes="$codes $(curl -sS -o "$TMPDIR_T/rf.$i" -w '%{http_code}' -d grant_type=password \
	    -d client_id=ssh-cli -d username=alice -d password=wrong$i "$URL/token")"
done
right=$(curl -sS -o "$TMPDIR_T/rf.right" -w '%{http_code}' -d grant_type=password \
    -d client_id=ssh-cli -d username=alice --data-urlencode 'password=alice pw' "$URL/token")
ok "store refuses writes: 6 wrong passwords all 503 ($codes)" [ "$codes" = " 503 503 503 503 503 503" ]
ok "store refuses writes: the right password gets 503 too ($right)" [ "$right" = 503 ]
ok "... temporarily_unavailable, same body" cmp "$TMPDIR_T/rf.1" "$TMPDIR_T/rf.right"
checked=$(grep -c 'password grant failed: user=alice ' "$D/log")
ok "store refuses writes: no password checked ($checked)" [ "$checked" = 0 ]
ok "store refuses writes: logged" grep -q 'not recorded' "$D/log"
$PY -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
db.execute("DROP TRIGGER refuse_fail")
db.commit()' "$D/state/jwt-issuerd.db"
r=$(tok_pw alice 'alice pw')
ok "store writable again: the right password works" sh -c "printf '%s' '$r' | grep -q access_token"
daemon_stop
# The new key is checked like the others: bad values refused by name.
for v in 0 100001 ten; do
	MAX_FAILURES=3 daemon_write_conf
	sed -i "s/^max_failures = .*/max_failures = 3\nmax_failures_per_address = $v/" "$D/conf"
	"$ISSUERD" -c "$D/conf" -t >/dev/null 2>"$TMPDIR_T/t.err"; rc=$?
	ok "max_failures_per_address = $v refused (rc $rc)" sh -c "[ $rc = 1 ] && grep -q max_failures_per_address '$TMPDIR_T/t.err'"
done
done_testing
