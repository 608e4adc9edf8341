# tests/lib.sh - TAP helpers for shell tests (sourced).
#
#   . "$top_srcdir/tests/lib.sh"
#   plan 3                   # or plan_skip "why" to skip the whole script
#   ok "name" cmd args...    # passes when cmd exits 0
#   check "name" EXPR_CMD    # same, alias
#   fail "why"               # records a failure with a reason
#   pass "name"
#   skip "name" "why"
#   done_testing             # exits 1 if anything failed
#   dpkg_wait dpkg -i X.deb  # runs a dpkg/apt command, waiting (bounded) for
#                            # dpkg's lock if another process holds it
#
# $JWTCTL points at the built jwtctl; $top_srcdir and $top_builddir are set by
# the harness.  TMPDIR_T is a per-script scratch directory removed at exit.

set -u
_tap_n=0
_tap_failed=0
_tap_planned=

TMPDIR_T=$(mktemp -d "${TMPDIR:-/tmp}/pjwt-test.XXXXXX")
_tap_cleanup_hooks=
at_exit() { _tap_cleanup_hooks="$_tap_cleanup_hooks
$*"; }
_tap_exit() {
	local rc=$?
	eval "$_tap_cleanup_hooks" 2>/dev/null || true
	rm -rf "$TMPDIR_T"
	return $rc
}
trap _tap_exit EXIT

plan() { _tap_planned=$1; echo "1..$1"; }
plan_skip() { echo "1..0 # SKIP $*"; exit 0; }
diag() { printf '# %s\n' "$*"; }
pass() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
fail() { _tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1)); echo "not ok $_tap_n - $*"; }
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1 # SKIP $2"; }
ok() {
	local name=$1; shift
	if "$@" >"$TMPDIR_T/ok.out" 2>&1; then pass "$name"
	else fail "$name"; sed 's/^/#   /' "$TMPDIR_T/ok.out" | head -20; fi
}
check() { ok "$@"; }
# expect_rc NAME RC cmd args...: cmd must exit with RC.
expect_rc() {
	local name=$1 want=$2 got; shift 2
	"$@" >"$TMPDIR_T/rc.out" 2>&1; got=$?
	if [ "$got" = "$want" ]; then pass "$name"
	else fail "$name (exit $got, want $want)"; sed 's/^/#   /' "$TMPDIR_T/rc.out" | head -20; fi
}
# dpkg_wait CMD ARGS...: runs CMD (dpkg, apt-get); while it fails only
# because another process holds dpkg's lock (apt, unattended-upgrades, another
# test), retries every 2 s, for at most $PJWT_DPKG_LOCK_WAIT s (default 300).
# dpkg's locks are fcntl locks and dpkg 1.21 cannot wait for them itself, so
# flock(1) would not see them.  Returns CMD's status; its stderr is passed on.
dpkg_wait() {
	local max=${PJWT_DPKG_LOCK_WAIT:-300} waited=0 rc err
	err=$(mktemp "${TMPDIR:-/tmp}/pjwt-dpkg.XXXXXX") || return 1
	while :; do
		"$@" 2>"$err"
		rc=$?
		if [ $rc -ne 0 ] && [ $waited -lt "$max" ] &&
		    grep -Eqi 'lock.*(by another process|held by)|could not get lock|unable to acquire the dpkg' "$err"; then
			[ $waited -gt 0 ] || printf '# waiting for dpkg lock: %s\n' "$*" >&2
			sleep 2
			waited=$((waited + 2))
			continue
		fi
		cat "$err" >&2
		rm -f "$err"
		return $rc
	done
}
done_testing() {
	if [ -z "$_tap_planned" ]; then echo "1..$_tap_n"
	elif [ "$_tap_planned" != "$_tap_n" ]; then
		echo "not ok $((_tap_n + 1)) - planned $_tap_planned tests, ran $_tap_n"
		exit 1
	fi
	[ "$_tap_failed" -eq 0 ]
	exit $?
}
