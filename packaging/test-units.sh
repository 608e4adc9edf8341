#!/bin/sh
# packaging/test-units.sh - the systemd unit files, checked without root and
# without systemd as PID 1:
#   - systemd-analyze verify --man=no on the built units (ExecStart= must
#     name an existing executable: it is pointed at the built binaries in a
#     scratch copy), with and without the pam-backend drop-in;
#   - systemd-analyze security --offline=true: jwt-issuerd.service must rate
#     SAFE or OK (the score is printed), with the drop-in at most MEDIUM.
# tests/e2e/installed.sh checks the installed copies the same way.
. "$top_srcdir/tests/lib.sh"

command -v systemd-analyze >/dev/null 2>&1 || plan_skip "systemd-analyze not installed"
systemd-analyze security --help 2>/dev/null | grep -q -- '--offline' ||
	plan_skip "systemd-analyze has no security --offline (systemd < 250)"
S=$top_srcdir/packaging/systemd
B=$top_builddir/packaging/systemd
[ -f "$B/jwt-issuerd.service" ] || plan_skip "$B/jwt-issuerd.service not built"
plan 8

U=$TMPDIR_T/units
mkdir -p "$U"
# Point ExecStart= at the built programs, the only change.
sed "s|^ExecStart=[^ ]*/jwt-issuerd |ExecStart=$top_builddir/jwt-issuerd |" \
	"$B/jwt-issuerd.service" >"$U/jwt-issuerd.service"
cp "$S/jwt-issuerd.socket" "$U/"
for u in jwtctl-sync.service jwtctl-sync.timer; do
	[ -f "$S/$u" ] && sed "s|^ExecStart=[^ ]*/jwtctl |ExecStart=$top_builddir/jwtctl |" "$S/$u" >"$U/$u"
done

ok "ExecStart= names the configured sbindir and sysconfdir" \
	grep -q '^ExecStart=/.*/jwt-issuerd --config /.*/jwt-issuerd/jwt-issuerd\.conf$' "$B/jwt-issuerd.service"
ok "systemd-analyze verify jwt-issuerd.socket jwt-issuerd.service" \
	systemd-analyze verify --man=no "$U/jwt-issuerd.socket" "$U/jwt-issuerd.service"
if [ -f "$U/jwtctl-sync.service" ]; then
	ok "systemd-analyze verify jwtctl-sync.service jwtctl-sync.timer" \
		systemd-analyze verify --man=no "$U/jwtctl-sync.service" "$U/jwtctl-sync.timer"
else
	skip "systemd-analyze verify jwtctl-sync units" "not there"
fi

level() {  # UNIT-FILE -> "SCORE LEVEL"
	systemd-analyze security --offline=true "$1" 2>/dev/null |
	    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p'
}
l=$(level "$U/jwt-issuerd.service")
diag "jwt-issuerd.service exposure: ${l:-?}"
ok "jwt-issuerd.service exposure is SAFE or OK" sh -c "case '${l#* }' in SAFE|OK) ;; *) exit 1 ;; esac"
ok "no capability, no root, private network" sh -c "
	grep -qx 'CapabilityBoundingSet=' '$U/jwt-issuerd.service' &&
	grep -qx 'User=jwt-issuerd' '$U/jwt-issuerd.service' &&
	grep -qx 'PrivateNetwork=yes' '$U/jwt-issuerd.service'"
if [ -f "$U/jwtctl-sync.service" ]; then
	l=$(level "$U/jwtctl-sync.service")
	diag "jwtctl-sync.service exposure: ${l:-?}"
fi

# The drop-in next to the unit, where systemd-analyze finds it.
mkdir -p "$U/jwt-issuerd.service.d"
cp "$S/jwt-issuerd-pam-backend.conf" "$U/jwt-issuerd.service.d/pam-backend.conf"
ok "systemd-analyze verify with the pam-backend drop-in" \
	systemd-analyze verify --man=no "$U/jwt-issuerd.socket" "$U/jwt-issuerd.service"
l=$(level "$U/jwt-issuerd.service")
diag "jwt-issuerd.service + pam-backend drop-in exposure: ${l:-?}"
ok "with the drop-in: SAFE, OK or MEDIUM" sh -c "case '${l#* }' in SAFE|OK|MEDIUM) ;; *) exit 1 ;; esac"
ok "the drop-in starts as root and keeps the state directory's owner" sh -c "
	grep -qx 'User=' '$U/jwt-issuerd.service.d/pam-backend.conf' &&
	grep -qx 'StateDirectory=' '$U/jwt-issuerd.service.d/pam-backend.conf'"
done_testing
