#!/usr/bin/env bash
# demo-pam.sh - pam_jwt.so accepts a token and refuses a tampered one, shown
# with pamtester through libpam under pam_wrapper (no root, nothing
# installed: the service file points at the module in the build tree).
#
#   tests/demo-pam.sh BUILD_DIR
#
# Exits non-zero when the module does not behave as shown.  tests/demo.sh
# (./dev demo) calls it; it also runs on its own.
set -euo pipefail

build=${1:?usage: tests/demo-pam.sh BUILD_DIR}
build=$(cd "$build" && pwd)
JWTCTL=$build/jwtctl
MODULE=$build/.libs/pam_jwt.so
for f in "$JWTCTL" "$MODULE"; do
	[ -e "$f" ] || { echo "demo-pam: $f not built (run ./dev build)" >&2; exit 2; }
done
command -v pamtester >/dev/null || { echo "demo-pam: pamtester is required (./dev deps)" >&2; exit 2; }
PWRAP=$(pkg-config --variable=libdir pam_wrapper 2>/dev/null || true)
PWRAP=${PWRAP:+$PWRAP/}libpam_wrapper.so

work=$(mktemp -d "${TMPDIR:-/tmp}/pam-jwt-demo-pam.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

ISS=https://id.example
AUD=ssh
USER_NAME=${USER_NAME:-alice}
SERVICE=jwt-demo

if [ -t 1 ]; then B=$'\033[1m' G=$'\033[32m' R=$'\033[31m' N=$'\033[0m'; else B='' G='' R='' N=''; fi
step() { printf '\n%s== PAM: %s%s\n' "$B" "$*" "$N"; }
say() { printf '   %s\n' "$*"; }
cmd() { printf '   $ %s\n' "$*"; }
indent() { sed 's/^/     /'; }
good() { printf '   %sOK%s  %s\n' "$G" "$N" "$*"; }
die() { printf '   %sFAILED%s  %s\n' "$R" "$N" "$*" >&2; exit 1; }

# pamtester under pam_wrapper; the token is the answer to "Token: ".
# pam_syslog lines come out of pam_wrapper on stderr as "SYSLOG(n): ...".
pam_try() {
	local tok=$1 rc=0
	printf '%s\n' "$tok" |
	    LD_PRELOAD=$PWRAP PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$work/pam.d" \
	    PAM_WRAPPER_DEBUGLEVEL=2 pamtester -v "$SERVICE" "$USER_NAME" authenticate \
	    >out.txt 2>err.txt || rc=$?
	{ grep -v '^PWRAP' out.txt; grep '^pamtester' err.txt; } | indent || true
	say "pam_jwt logged (authpriv):"
	sed -n 's/.*SYSLOG([0-9]*): \(.*\(accepted\|refused\).*\)/\1/p' err.txt | indent
	return $rc
}

step "install the module in a PAM service (here: a pam_wrapper service directory)"
"$JWTCTL" keygen --out signing.pem >/dev/null
"$JWTCTL" jwks signing.pem > jwks.json
chmod 0644 jwks.json
mkdir pam.d
cat > "pam.d/$SERVICE" <<EOF
auth    required $MODULE jwks=$work/jwks.json issuer=$ISS audience=$AUD scope=ssh
account required $MODULE
account required pam_permit.so
EOF
indent < "pam.d/$SERVICE"

step "a fresh token for $USER_NAME logs in"
TOKEN=$("$JWTCTL" sign --key signing.pem --iss "$ISS" --aud "$AUD" --sub "$USER_NAME" \
    --ttl 300 --scope "ssh sudo")
cmd "echo TOKEN | pamtester -v $SERVICE $USER_NAME authenticate"
pam_try "$TOKEN" || die "pamtester refused a fresh token"
grep -q 'reason=ok' err.txt || die "no 'accepted ... reason=ok' log line"
good "authenticated; one log line with user, reason, kid, jti, iss (never the token)"

step "a tampered token (payload changed to sub=root, signature kept) is refused"
IFS=. read -r h _ s <<<"$TOKEN"
evil=$("$JWTCTL" sign --key signing.pem --iss "$ISS" --aud "$AUD" --sub root --scope ssh | cut -d. -f2)
cmd "echo TAMPERED | pamtester -v $SERVICE $USER_NAME authenticate"
if pam_try "$h.$evil.$s"; then die "pamtester accepted a tampered token"; fi
grep -q 'reason=bad_signature' err.txt || die "no 'reason=bad_signature' log line"
good "refused: bad_signature"

step "a password typed at the same prompt is not a token"
cmd "echo hunter2 | pamtester -v $SERVICE $USER_NAME authenticate"
if pam_try "hunter2"; then die "pamtester accepted a password"; fi
! grep -q 'refused: ' err.txt || die "a password was logged as a refusal"
good "not a token: handed on (not logged as a refusal); with 'auth sufficient pam_jwt.so' pam_unix checks it next"
