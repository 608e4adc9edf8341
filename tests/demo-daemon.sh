#!/usr/bin/env bash
# demo-daemon.sh - the issuer flow end to end on loopback, narrated:
# jwt-issuerd with the file backend and a demo user, a password grant, the
# token verified offline (jwtctl, and pam_jwt through PAM when pamtester and
# pam_wrapper are installed), refresh rotation and reuse detection,
# revocation reaching PAM through the revoked file.
#
#   tests/demo-daemon.sh BUILD_DIR
#
# Each step checks what it shows and the demo stops at the first surprise.
# Work happens in a temporary directory that is removed at exit; the daemon
# is stopped by PID.
set -euo pipefail

build=${1:?usage: tests/demo-daemon.sh BUILD_DIR}
build=$(cd "$build" && pwd)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JWTCTL=$build/jwtctl
ISSUERD=$build/jwt-issuerd
PAM_MODULE=$build/.libs/pam_jwt.so
for b in "$JWTCTL" "$ISSUERD"; do
	[ -x "$b" ] || { echo "demo: $b not built (run ./dev build)" >&2; exit 2; }
done
PY=/usr/bin/python3

work=$(mktemp -d "${TMPDIR:-/tmp}/jwt-issuerd-demo.XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

if [ -t 1 ]; then B=$'\033[1m' G=$'\033[32m' R=$'\033[31m' N=$'\033[0m'; else B='' G='' R='' N=''; fi
n=0
step() { n=$((n + 1)); printf '\n%s== Issuer step %d: %s%s\n' "$B" "$n" "$*" "$N"; }
say() { printf '   %s\n' "$*"; }
cmd() { printf '   $ %s\n' "$*"; }
indent() { sed 's/^/     /'; }
good() { printf '   %sOK%s  %s\n' "$G" "$N" "$*"; }
die() {
	printf '   %sFAILED%s  %s\n' "$R" "$N" "$*" >&2
	[ -f log ] && { echo "   daemon log:" >&2; sed 's/^/     /' log >&2; }
	exit 1
}
short() { printf '%s...%s' "${1:0:24}" "${1: -12}"; }
field() { $PY -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"; }

port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$port
DEMO_USER=alice
DEMO_PW='correct horse battery staple'

step "An Ed25519 signing key and a users file with a demo user"
cmd "jwtctl keygen --out signing.pem"
"$JWTCTL" keygen --out signing.pem >/dev/null
cmd "jwtctl passwd --file users --password-stdin $DEMO_USER"
: >users; chmod 600 users
if ! printf '%s\n' "$DEMO_PW" | "$JWTCTL" passwd --file users --password-stdin "$DEMO_USER" >/dev/null 2>&1; then
	say "(jwtctl passwd unavailable: hashing with libcrypt directly)"
	printf '%s:%s\n' "$DEMO_USER" "$($PY "$src/tests/daemon/crypt-hash.py" "$DEMO_PW")" >users
fi
grep -q "^$DEMO_USER:[$]y[$]" users || die "users file has no yescrypt line for $DEMO_USER"
good "users: $(cut -c1-24 users)... (yescrypt)"
mkdir state
user_line=
if [ "$(id -u)" = 0 ]; then
	# Started as root, the daemon drops to user=; let that user read and write.
	chmod 711 "$work"
	chgrp "$(id -gn nobody)" signing.pem users; chmod 640 signing.pem users
	chown nobody state
	user_line="user = nobody"
fi

step "A configuration: one public client allowed the password grant"
cat >jwt-issuerd.conf <<EOC
[issuer]
issuer = $URL
signing_key = $work/signing.pem
state_dir = $work/state
access_token_ttl = 300
$user_line
[http]
listen = 127.0.0.1:$port
[password]
backend = file
users_file = $work/users
[client:ssh-cli]
grant_types = password refresh_token
scopes = ssh sudo
default_scope = ssh
audience = ssh
EOC
sed -n '/^\[client/,$p' jwt-issuerd.conf | indent
cmd "jwt-issuerd -t -c jwt-issuerd.conf"
"$ISSUERD" -t -c jwt-issuerd.conf 2>&1 | indent
good "configuration and key load"

step "Start jwt-issuerd on loopback"
cmd "jwt-issuerd -c jwt-issuerd.conf &"
"$ISSUERD" -c jwt-issuerd.conf 2>log &
pid=$!
for _ in $(seq 1 100); do curl -fsS -o /dev/null "$URL/healthz" 2>/dev/null && break; sleep 0.1; done
curl -fsS -o /dev/null "$URL/healthz" || die "jwt-issuerd did not start"
sed 's/^<[0-9]>/log: /' log | indent
cmd "curl $URL/.well-known/oauth-authorization-server"
curl -fsS "$URL/.well-known/oauth-authorization-server" | $PY -m json.tool | sed -n '1,8p' | indent
curl -fsS "$URL/.well-known/jwks.json" >jwks.json
good "metadata and JWKS served ($(field keys <jwks.json | grep -o "'kid': '[^']*'"))"

step "Password grant (RFC 6749 4.3) for $DEMO_USER"
cmd "curl -d grant_type=password -d client_id=ssh-cli -d username=$DEMO_USER --data-urlencode password=... $URL/token"
curl -fsS -d grant_type=password -d client_id=ssh-cli -d "username=$DEMO_USER" \
    --data-urlencode "password=$DEMO_PW" "$URL/token" >grant.json || die "password grant failed"
AT=$(field access_token <grant.json)
RT=$(field refresh_token <grant.json)
say "access_token  $(short "$AT") (${#AT} characters: fits the 511 of pam_unix/misc_conv)"
say "refresh_token $(short "$RT") (opaque; stored only as a SHA-256 hash)"
[ "${#AT}" -le 511 ] || die "token over 511 characters"
cmd "jwtctl inspect TOKEN"
"$JWTCTL" inspect "$AT" 2>&1 | indent
code=$(curl -s -o wrong.json -w '%{http_code}' -d grant_type=password -d client_id=ssh-cli \
    -d "username=$DEMO_USER" -d password=wrong "$URL/token")
[ "$code" = 400 ] && [ "$(field error <wrong.json)" = invalid_grant ] || die "wrong password not refused"
good "a wrong password gets 400 $(cat wrong.json)"

step "Verify the access token offline against the published JWKS"
cmd "jwtctl verify --jwks jwks.json --iss $URL --aud ssh --scope ssh '$(short "$AT")'"
"$JWTCTL" verify --jwks jwks.json --iss "$URL" --aud ssh --scope ssh "$AT" >/dev/null || die "jwtctl verify refused it"
good "signature, iss, aud, exp, typ at+jwt and scope check out"

pam_ok=
if [ -f "$PAM_MODULE" ] && command -v pamtester >/dev/null && \
    ldconfig -p 2>/dev/null | grep -q 'libpam_wrapper\.so '; then
	pam_ok=1
else
	say "(pamtester, pam_wrapper or pam_jwt.so missing: the PAM steps are left out)"
fi
# pam_jwt trusts a revoked file owned by root, by the PAM application's
# user, or by the account named in revoked_owner= (the issuer's: run as
# root, the demo's daemon writes the list as nobody).
owner_arg=
[ "$(id -u)" = 0 ] && owner_arg=" revoked_owner=nobody"
pam_login() {  # TOKEN: authenticate $DEMO_USER through pam_jwt.so
	printf '%s\n' "$1" | LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 \
	    PAM_WRAPPER_SERVICE_DIR="$work/pam.d" pamtester jwt-demo "$DEMO_USER" authenticate >/dev/null 2>&1
}
if [ -n "$pam_ok" ]; then
	step "Log in through PAM: pam_jwt.so with the token as the password"
	mkdir -p pam.d
	echo "auth required $PAM_MODULE jwks=$work/jwks.json issuer=$URL audience=ssh scope=ssh revoked=$work/state/revoked$owner_arg" >pam.d/jwt-demo
	echo "account required pam_permit.so" >>pam.d/jwt-demo
	chmod 644 jwks.json
	cat pam.d/jwt-demo | indent
	cmd "pamtester jwt-demo $DEMO_USER authenticate   (under pam_wrapper; token typed at the prompt)"
	pam_login "$AT" || die "pam_jwt refused a valid token"
	good "pam_jwt accepted the token: $DEMO_USER is logged in"
fi

step "Refresh (RFC 6749 6): every use rotates; reuse revokes the family"
cmd "curl -d grant_type=refresh_token -d client_id=ssh-cli -d refresh_token=... $URL/token"
curl -fsS -d grant_type=refresh_token -d client_id=ssh-cli -d "refresh_token=$RT" "$URL/token" >r1.json \
    || die "refresh failed"
RT2=$(field refresh_token <r1.json)
[ -n "$RT2" ] && [ "$RT2" != "$RT" ] || die "refresh token not rotated"
good "new access token and a new refresh token $(short "$RT2")"
say "Presenting the OLD refresh token again (as a thief would):"
code=$(curl -s -o reuse.json -w '%{http_code}' -d grant_type=refresh_token -d client_id=ssh-cli \
    -d "refresh_token=$RT" "$URL/token")
[ "$code" = 400 ] || die "reuse not refused"
good "refused: $(cat reuse.json)"
code=$(curl -s -o /dev/null -w '%{http_code}' -d grant_type=refresh_token -d client_id=ssh-cli \
    -d "refresh_token=$RT2" "$URL/token")
[ "$code" = 400 ] || die "family not revoked after reuse"
good "and the whole family is revoked: the new refresh token is refused too"
grep 'reuse' log | sed 's/^<[0-9]>/log: /' | indent

step "Revoke the access token (RFC 7009); the revoked file reaches PAM at once"
JTI=$("$JWTCTL" inspect "$AT" 2>/dev/null | $PY -c 'import json,sys,re; t=sys.stdin.read(); print(re.search(r"\"jti\"\s*:\s*\"([^\"]+)\"", t).group(1))')
cmd "curl -d client_id=ssh-cli -d token=... $URL/revoke"
curl -fsS -o /dev/null -d client_id=ssh-cli -d "token=$AT" "$URL/revoke" || die "revoke failed"
grep -q "^$JTI " state/revoked || die "jti $JTI not in state/revoked"
good "state/revoked now lists: $(grep "^$JTI " state/revoked)"
if [ -n "$pam_ok" ]; then
	if pam_login "$AT"; then die "pam_jwt still accepts the revoked token"; fi
	good "pam_jwt (revoked=...) refuses the same token now"
fi

step "Stop: SIGTERM drains and exits 0"
kill -TERM "$pid"; rc=0; wait "$pid" || rc=$?; pid=
[ "$rc" = 0 ] || die "exit status $rc"
good "jwt-issuerd exited 0"
if grep -q -e "$DEMO_PW" -e "$AT" -e "$RT" log; then die "a secret reached the log"; fi
good "no password or token in its log"
printf '\n%sIssuer demo complete.%s\n' "$B" "$N"
