#!/bin/sh
# installed.sh - the Debian packages, proven by installing them: build the
# .debs (packaging/build-deb.sh), install them, then run the whole flow
# against the INSTALLED files only:
#   - systemd-analyze verify and security on the installed units;
#   - what postinst made (account, key, users file, ownership, state);
#   - jwt-issuerd started from the installed unit's ExecStart= and User=
#     under systemd-socket-activate (PID 1 is not systemd here), with a
#     notify socket that must receive READY=1 (Type=notify);
#   - password grant with curl; ssh login through the installed pam_jwt.so
#     (by name) with the installed sshd example's auth lines: a token, the
#     password, a wrong password; revoke; the revoked token refused;
#   - reinstall: an edited configuration and the key are kept;
#   - purge: nothing left but the jwt-issuerd account (Debian keeps system
#     accounts), which this test then removes as it created it.
# Root and Debian only; skips (with the reason) otherwise, and when any of
# the packages is already installed (it could not restore the machine).
. "$top_srcdir/tests/lib.sh"

PKGS="libpam-jwt jwt-issuerd jwtctl"
[ "$(id -u)" = 0 ] || plan_skip "needs root (installs and purges the .deb packages)"
[ -r /etc/debian_version ] && command -v dpkg >/dev/null 2>&1 ||
	plan_skip "not a Debian system"
missing=
for c in dpkg-buildpackage dh fakeroot systemd-socket-activate systemd-analyze \
    curl setpriv /usr/bin/python3 sshd; do
	command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || missing="$missing $c"
done
[ -z "$missing" ] || plan_skip "missing:$missing"
for p in $PKGS; do
	if dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qv '^not-installed$'; then
		plan_skip "package $p is already on this machine (installed or config-files): not touching it"
	fi
done
[ ! -e /etc/jwt-issuerd ] || plan_skip "/etc/jwt-issuerd exists: not touching it"
[ ! -e /var/lib/jwt-issuerd ] || plan_skip "/var/lib/jwt-issuerd exists: not touching it"

user_existed=
getent passwd jwt-issuerd >/dev/null && user_existed=1
D=$TMPDIR_T
installed=
daemon_pid=
notify_pid=

restore() {
	[ -n "$daemon_pid" ] && { kill "$daemon_pid" 2>/dev/null; wait "$daemon_pid" 2>/dev/null; }
	[ -n "$notify_pid" ] && { kill "$notify_pid" 2>/dev/null; wait "$notify_pid" 2>/dev/null; }
	if [ -n "$installed" ]; then
		dpkg_wait dpkg --purge $PKGS >/dev/null 2>&1 || diag "dpkg --purge failed"
	fi
	if [ -z "$user_existed" ] && getent passwd jwt-issuerd >/dev/null; then
		userdel jwt-issuerd 2>/dev/null
		getent group jwt-issuerd >/dev/null && groupdel jwt-issuerd 2>/dev/null
	fi
	return 0
}
at_exit restore

# ---- build and install --------------------------------------------------
debs=$D/debs
if ! DEB_BUILD_OPTIONS="nocheck${DEB_BUILD_OPTIONS:+ $DEB_BUILD_OPTIONS}" \
    PJWT_JOBS=${PJWT_JOBS:-2} PJWT_LINTIAN=0 \
    "$top_srcdir/packaging/build-deb.sh" "$debs" >"$D/build.out" 2>&1; then
	plan 1
	fail "packaging/build-deb.sh"
	sed 's/^/#   /' "$D/build.out" | tail -40
	done_testing
fi
arch=$(dpkg --print-architecture)
md5sum /etc/pam.d/common-* >"$D/pam.md5" 2>/dev/null
cp /var/lib/dpkg/statoverride "$D/statoverride.before"
installed=1
if ! dpkg_wait dpkg -i "$debs/jwtctl_"*"_$arch.deb" "$debs/libpam-jwt_"*"_$arch.deb" \
    "$debs/jwt-issuerd_"*"_$arch.deb" >"$D/install.out" 2>&1; then
	plan 1
	fail "dpkg -i"
	sed 's/^/#   /' "$D/install.out" | tail -30
	done_testing
fi
for p in $PKGS; do dpkg -L "$p"; done | sort -u >"$D/files"

# The harness (tests/e2e/sshd-lib.sh) checks the module it is given exists;
# the PAM service below names it the way administrators do: pam_jwt.so.
PAM_JWT_SO=$(grep '/security/pam_jwt\.so$' "$D/files" | head -1)
E2E_PROMPT="Token or password"
. "$top_srcdir/tests/e2e/sshd-lib.sh"
e2e_init
plan 31

UNITDIR=/lib/systemd/system
ok "installed: pam_jwt.so, jwt-issuerd, jwtctl, units, man pages, /etc/pam_jwt" sh -c "
	[ -n '$PAM_JWT_SO' ] && [ -x /usr/sbin/jwt-issuerd ] && [ -x /usr/bin/jwtctl ] &&
	grep -qx /etc/pam_jwt '$D/files' && [ -d /etc/pam_jwt ] &&
	[ -f $UNITDIR/jwt-issuerd.service ] && [ -f $UNITDIR/jwt-issuerd.socket ] &&
	[ -f /usr/share/man/man8/pam_jwt.8.gz ] && [ -f /usr/share/man/man8/jwt-issuerd.8.gz ]"

# ---- the installed units --------------------------------------------------
ok "systemd-analyze verify: installed jwt-issuerd.socket and .service" \
	systemd-analyze verify --man=no $UNITDIR/jwt-issuerd.socket $UNITDIR/jwt-issuerd.service
ok "systemd-analyze verify: installed jwtctl-sync.service and .timer (not enabled)" sh -c "
	systemd-analyze verify --man=no $UNITDIR/jwtctl-sync.service $UNITDIR/jwtctl-sync.timer &&
	! [ -e /etc/systemd/system/timers.target.wants/jwtctl-sync.timer ]"
systemd-analyze security --offline=true $UNITDIR/jwt-issuerd.service >"$D/security.out" 2>&1
level=$(sed -n 's/.*Overall exposure level for jwt-issuerd.service: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' "$D/security.out")
diag "exposure (systemd-analyze security --offline=true): ${level:-?}"
ok "exposure level is SAFE or OK" sh -c "case '${level#* }' in SAFE|OK) ;; *) exit 1 ;; esac"

# ---- what the maintainer scripts made ----------------------------------
owner() { stat -c '%U:%G %a' "$1"; }
ok "the jwt-issuerd system account" sh -c 'getent passwd jwt-issuerd | grep -q ":/usr/sbin/nologin$"'
ok "signing key generated: jwt-issuerd:jwt-issuerd 600" \
	[ "$(owner /etc/jwt-issuerd/signing.pem)" = "jwt-issuerd:jwt-issuerd 600" ]
ok "config owned by the daemon's user (statoverride), 640; directory root:jwt-issuerd 750" sh -c "
	[ \"\$(stat -c '%U:%G %a' /etc/jwt-issuerd/jwt-issuerd.conf)\" = 'jwt-issuerd:jwt-issuerd 640' ] &&
	[ \"\$(stat -c '%U:%G %a' /etc/jwt-issuerd)\" = 'root:jwt-issuerd 750' ] &&
	dpkg-statoverride --list /etc/jwt-issuerd/jwt-issuerd.conf >/dev/null"
ok "users file and revoked list exist (tmpfiles.d)" sh -c "
	[ \"\$(stat -c '%U %a' /etc/jwt-issuerd/users)\" = 'jwt-issuerd 600' ] &&
	[ \"\$(stat -c '%U %a' /var/lib/jwt-issuerd/revoked)\" = 'jwt-issuerd 644' ]"
ok "conffiles: jwt-issuerd.conf and pam.d/jwt-issuerd" sh -c "
	dpkg-query -W -f='\${Conffiles}' jwt-issuerd | grep -q ' /etc/jwt-issuerd/jwt-issuerd.conf ' &&
	dpkg-query -W -f='\${Conffiles}' jwt-issuerd | grep -q ' /etc/pam.d/jwt-issuerd '"
ok "no pam-auth-update profile (per-service examples only), common-* unchanged" sh -c "
	[ ! -e /usr/share/pam-configs/pam-jwt ] &&
	! grep -q pam_jwt /etc/pam.d/common-auth && md5sum -c --quiet '$D/pam.md5'"
ok "installed jwt-issuerd --check accepts the default configuration as its user" \
	setpriv --reuid=jwt-issuerd --regid=jwt-issuerd --clear-groups \
	/usr/sbin/jwt-issuerd --check --config /etc/jwt-issuerd/jwt-issuerd.conf

# ---- the daemon, from the installed unit ---------------------------------
e2e_user_add
E2E_PW="e2e pass $(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
printf '%s\n' "$E2E_PW" |
	/usr/bin/jwtctl passwd --file /etc/jwt-issuerd/users --password-stdin "$E2E_USER" >"$D/passwd.out" 2>&1 ||
	sed 's/^/#   /' "$D/passwd.out"
ok "jwtctl passwd adds the user (file keeps its owner)" sh -c "
	grep -q '^$E2E_USER:\\\$y\\\$' /etc/jwt-issuerd/users &&
	[ \"\$(stat -c '%U %a' /etc/jwt-issuerd/users)\" = 'jwt-issuerd 600' ]"

exec_start=$(sed -n 's/^ExecStart=//p' $UNITDIR/jwt-issuerd.service)
unit_user=$(sed -n 's/^User=//p' $UNITDIR/jwt-issuerd.service)
unit_group=$(sed -n 's/^Group=//p' $UNITDIR/jwt-issuerd.service)
diag "ExecStart=$exec_start (User=$unit_user)"
PORT=$(_e2e_free_port)
URL=http://127.0.0.1:$PORT
# A notify socket the daemon's user can write to, like systemd's.
chmod 0711 "$D"
mkdir -m 0711 "$D/notify"
/usr/bin/python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777)
open(sys.argv[2], "a").close()
while True:
    m = s.recv(4096).decode(errors="replace")
    with open(sys.argv[2], "a") as f:
        f.write(m.replace("\n", " ") + "\n")
' "$D/notify/sock" "$D/notify.log" &
notify_pid=$!
i=0; while [ ! -S "$D/notify/sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
# shellcheck disable=SC2086
NOTIFY_SOCKET=$D/notify/sock systemd-socket-activate -l "127.0.0.1:$PORT" \
	-E NOTIFY_SOCKET \
	setpriv --reuid="$unit_user" --regid="$unit_group" --clear-groups \
	$exec_start >"$D/daemon.log" 2>&1 &
daemon_pid=$!
i=0
until curl -fsS -o /dev/null "$URL/healthz" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] && kill -0 "$daemon_pid" 2>/dev/null || break
	sleep 0.1
done
ok "installed daemon answers on the activated socket" curl -fsS -o /dev/null "$URL/healthz"
i=0; while ! grep -q 'READY=1' "$D/notify.log" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
ok "Type=notify: READY=1 on NOTIFY_SOCKET" grep -q 'READY=1' "$D/notify.log"

json() { /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"; }
( umask 077; printf '%s' "$E2E_PW" >"$D/pw" )
AT=$(curl -sS -d grant_type=password -d client_id=ssh-cli -d "username=$E2E_USER" \
	--data-urlencode "password@$D/pw" "$URL/token" | json access_token)
ok "password grant (curl) returns an access token" [ -n "$AT" ]
diag "access token: ${#AT} characters"
curl -fsS "$URL/.well-known/jwks.json" >"$E2E_DIR/jwks.json"
chmod 0644 "$E2E_DIR/jwks.json"
ok "served JWKS has the installed signing key (same public key)" sh -c "
	/usr/bin/jwtctl jwks /etc/jwt-issuerd/signing.pem | /usr/bin/python3 -c '
import json, sys
a = {k[\"x\"] for k in json.load(sys.stdin)[\"keys\"]}
b = {k.get(\"x\") for k in json.load(open(sys.argv[1]))[\"keys\"]}
sys.exit(0 if a and a <= b else 1)' '$E2E_DIR/jwks.json'"

# ---- sshd through the installed module ------------------------------------
# The shipped example's auth and pam_jwt account lines (token or password),
# with this test's JWKS; its session lines need a full login environment.
EX=/usr/share/doc/libpam-jwt/examples/sshd
sed -n '/^auth /p; /^account .*pam_jwt\.so/p' "$EX" |
	sed "s|jwks=/etc/pam_jwt/jwks.json|jwks=$E2E_DIR/jwks.json|" >"$D/pam.auth"
ok "the installed sshd example names the module pam_jwt.so" \
	grep -q '^auth .* pam_jwt\.so .*revoked_owner=jwt-issuerd' "$D/pam.auth"
{
	cat "$D/pam.auth"
	echo "account  required pam_permit.so"
	echo "session  required pam_permit.so"
} | e2e_pam_service
echo "$E2E_USER:$E2E_PW" | chpasswd
e2e_syslog_start
sshd_start || { fail "sshd start"; done_testing; }

ssh_login keyboard-interactive "$AT" id -un; rc=$?
[ $rc = 0 ] || { diag "ssh: $(cat "$E2E_OUT")"; diag "syslog: $(tail -5 "$E2E_SYSLOG")"; }
ok "ssh login with the token through the installed pam_jwt.so" \
	sh -c "[ $rc = 0 ] && grep -qx '$E2E_USER' '$E2E_OUT'"
ssh_login keyboard-interactive "$E2E_PW" id -un; rc=$?
ok "the same prompt takes the password (pam_unix try_first_pass)" \
	sh -c "[ $rc = 0 ] && grep -qx '$E2E_USER' '$E2E_OUT'"
ssh_login keyboard-interactive "wrong $E2E_PW" true; rc=$?
ok "a wrong password is refused" [ "$rc" != 0 ]

code=$(curl -sS -o /dev/null -w '%{http_code}' -d client_id=ssh-cli --data-urlencode "token=$AT" "$URL/revoke")
ok "revoke the access token (RFC 7009)" [ "$code" = 200 ]
ok "the daemon wrote the jti to /var/lib/jwt-issuerd/revoked" sh -c "
	[ -s /var/lib/jwt-issuerd/revoked ] &&
	[ \"\$(stat -c %U /var/lib/jwt-issuerd/revoked)\" = jwt-issuerd ]"
ssh_login keyboard-interactive "$AT" true; rc=$?
ok "the revoked token is refused at once (revoked_owner=jwt-issuerd)" [ "$rc" != 0 ]
ok "pam_jwt logged the revocation" e2e_syslog_wait 'reason=revoked'
sshd_stop

kill -TERM "$daemon_pid"
wait "$daemon_pid"; rc=$?
daemon_pid=
ok "jwt-issuerd exits 0 on SIGTERM" [ "$rc" = 0 ]
[ $rc = 0 ] || sed 's/^/#   /' "$D/daemon.log" | tail -10

# ---- reinstall keeps what the administrator has ----------------------------
echo "# edited by the administrator" >>/etc/jwt-issuerd/jwt-issuerd.conf
key_sum=$(md5sum </etc/jwt-issuerd/signing.pem)
conf_sum=$(md5sum </etc/jwt-issuerd/jwt-issuerd.conf)
dpkg-statoverride --remove /etc/jwt-issuerd/jwt-issuerd.conf >/dev/null
dpkg-statoverride --update --add root jwt-issuerd 0640 /etc/jwt-issuerd/jwt-issuerd.conf
ok "reinstall (dpkg -i again)" dpkg_wait dpkg -i --force-confold "$debs/jwt-issuerd_"*"_$arch.deb"
ok "reinstall keeps the edited configuration, the key and the admin's owner" sh -c "
	[ \"\$(md5sum </etc/jwt-issuerd/signing.pem)\" = '$key_sum' ] &&
	[ \"\$(md5sum </etc/jwt-issuerd/jwt-issuerd.conf)\" = '$conf_sum' ] &&
	[ \"\$(stat -c '%U:%G %a' /etc/jwt-issuerd/jwt-issuerd.conf)\" = 'root:jwt-issuerd 640' ] &&
	grep -q '^$E2E_USER:' /etc/jwt-issuerd/users"

# ---- purge -------------------------------------------------------------------
e2e_cleanup
ok "dpkg --purge $PKGS" dpkg_wait dpkg --purge $PKGS
installed=
left=
while IFS= read -r f; do
	[ -d "$f" ] && continue          # shared directories (/etc, /usr/share/doc ...)
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done <"$D/files"
for f in /etc/jwt-issuerd /var/lib/jwt-issuerd /usr/share/doc/jwt-issuerd \
    /usr/share/doc/libpam-jwt /usr/share/doc/jwtctl; do
	[ -e "$f" ] && left="$left $f"
done
for f in /etc/systemd/system/*/jwt-issuerd.* /etc/systemd/system/jwt-issuerd.* \
    /var/lib/systemd/deb-systemd-helper-enabled/*jwt-issuerd* \
    /var/lib/systemd/deb-systemd-helper-enabled/*/jwt-issuerd*; do
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done
[ -z "$left" ] || diag "left behind:$left"
ok "purge leaves no file behind" [ -z "$left" ]
ok "purge removes the statoverrides, pam-auth-update keeps common-* as they were" sh -c "
	cmp -s '$D/statoverride.before' /var/lib/dpkg/statoverride &&
	md5sum -c --quiet '$D/pam.md5' && ! grep -qx pam-jwt /var/lib/pam/seen"
if [ -z "$user_existed" ]; then
	ok "the jwt-issuerd account stays after purge (Debian keeps system users)" \
		getent passwd jwt-issuerd
else
	skip "the jwt-issuerd account stays after purge" "it existed before"
fi
done_testing
