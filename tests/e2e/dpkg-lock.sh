#!/bin/sh
# dpkg-lock.sh - dpkg calls in the tests wait for dpkg's lock instead of
# failing (issue 9 A: a fresh-clone `./dev test` failed where another process
# held the dpkg lock).  Another process holds /var/lib/dpkg/lock-frontend
# (an fcntl lock, as apt and dpkg take it) for a few seconds; `dpkg --purge`
# of a package that is not installed takes the lock and changes nothing.
# Root and Debian only (skips otherwise).
. "$top_srcdir/tests/lib.sh"

[ "$(id -u)" = 0 ] || plan_skip "needs root (takes dpkg's lock)"
command -v dpkg >/dev/null 2>&1 && [ -d /var/lib/dpkg ] || plan_skip "not a Debian system"
plan 4

HOLD=${PJWT_DPKG_HOLD:-4}
NOPKG=pjwt-no-such-package-$$
# hold SECONDS: holds dpkg's frontend lock from another process; prints
# "held" on stdout once it has it.
hold() {
	/usr/bin/python3 - "$1" <<'PY' &
import fcntl, os, sys, time
fd = os.open("/var/lib/dpkg/lock-frontend", os.O_RDWR | os.O_CREAT, 0o640)
deadline = time.time() + 60
while True:
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        break
    except OSError:
        if time.time() > deadline:
            sys.exit(1)
        time.sleep(0.2)
print("held", flush=True)
time.sleep(float(sys.argv[1]))
PY
	holder=$!
	at_exit 'kill $holder 2>/dev/null'
}
wait_held() {
	i=0
	while ! grep -q held "$TMPDIR_T/hold.out" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
	grep -q held "$TMPDIR_T/hold.out"
}

# Without waiting, dpkg fails while the lock is held: the test can see it.
hold 3 > "$TMPDIR_T/hold.out"
ok "lock taken by another process" wait_held
if dpkg --purge "$NOPKG" >/dev/null 2>"$TMPDIR_T/plain.err"; then
	skip "plain dpkg fails on the held lock" "dpkg did not take the lock"
else
	ok "plain dpkg fails on the held lock" grep -qi 'lock' "$TMPDIR_T/plain.err"
fi
wait "$holder" 2>/dev/null

# dpkg_wait waits for it and then succeeds.
hold "$HOLD" > "$TMPDIR_T/hold.out"
wait_held || diag "holder did not get the lock"
t0=$(date +%s)
ok "dpkg_wait dpkg --purge succeeds once the lock is free" \
    dpkg_wait dpkg --purge "$NOPKG"
t1=$(date +%s)
wait "$holder" 2>/dev/null
diag "dpkg_wait waited $((t1 - t0)) s for a ${HOLD} s hold"
if [ $((t1 - t0)) -ge $((HOLD - 1)) ]; then pass "it waited for the holder"
else fail "it waited for the holder ($((t1 - t0)) s < $HOLD s)"; fi
done_testing
