#!/usr/bin/env bash
# demo.sh - the main flow end to end, narrated: keys, JWKS, a token, its
# verification, and the rejections an administrator should expect.
#
#   tests/demo.sh BUILD_DIR        (./dev demo calls it after building)
#
# Each step is a function that checks what it shows; the demo exits non-zero
# at the first step that does not behave as expected.  Work happens in a
# temporary directory that is removed at exit.  Later steps (the PAM module,
# the issuer daemon) add functions to STEPS.
set -euo pipefail

build=${1:?usage: tests/demo.sh BUILD_DIR}
build=$(cd "$build" && pwd)
JWTCTL=$build/jwtctl
[ -x "$JWTCTL" ] || { echo "demo: $JWTCTL not built (run ./dev build)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/pam-jwt-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

ISS=https://id.example
AUD=ssh
USER_NAME=alice

if [ -t 1 ]; then B=$'\033[1m' G=$'\033[32m' R=$'\033[31m' N=$'\033[0m'; else B='' G='' R='' N=''; fi
n=0
step() { n=$((n + 1)); printf '\n%s== Step %d: %s%s\n' "$B" "$n" "$*" "$N"; }
say() { printf '   %s\n' "$*"; }
cmd() { printf '   $ %s\n' "$*"; }           # show a command before running it
indent() { sed 's/^/     /'; }
good() { printf '   %sOK%s  %s\n' "$G" "$N" "$*"; }
die() { printf '   %sFAILED%s  %s\n' "$R" "$N" "$*" >&2; exit 1; }
short() { printf '%s...%s' "${1:0:24}" "${1: -12}"; }   # a token, abbreviated

# expect_rejected TOKEN REASON: jwtctl verify must exit 1 with "invalid: REASON".
expect_rejected() {
	local tok=$1 want=$2 rc=0 err
	cmd "jwtctl verify --jwks jwks.json --iss $ISS --aud $AUD '$(short "$tok")'"
	err=$("$JWTCTL" verify --jwks jwks.json --iss "$ISS" --aud "$AUD" "$tok" 2>&1 >/dev/null) || rc=$?
	printf '%s\n' "$err" | indent
	[ "$rc" = 1 ] || die "expected exit 1, got $rc"
	[ "$err" = "invalid: $want" ] || die "expected 'invalid: $want'"
	good "rejected: $want (exit 1)"
}

step_keygen() {
	step "generate an EdDSA (Ed25519) signing key"
	cmd "jwtctl keygen --alg EdDSA --out signing.pem"
	KID=$("$JWTCTL" keygen --alg EdDSA --out signing.pem)
	say "kid: $KID"
	ls -l signing.pem | indent
	[ "$(stat -c %a signing.pem)" = 600 ] || die "signing.pem is not mode 0600"
	good "private key written with mode 0600; only the issuer keeps it"
}

step_jwks() {
	step "publish the public JWK Set (what every host's pam_jwt.so reads)"
	cmd "jwtctl jwks signing.pem > jwks.json"
	"$JWTCTL" jwks signing.pem >jwks.json
	indent <jwks.json
	grep -q '"d"' jwks.json && die "the JWKS holds a private member"
	grep -q "\"$KID\"" jwks.json || die "the JWKS does not carry kid $KID"
	good "public key only (no \"d\"), kid $KID"
}

step_sign() {
	step "issue a 5-minute access token for $USER_NAME (RFC 9068 claims)"
	cmd "jwtctl sign --key signing.pem --iss $ISS --aud $AUD --sub $USER_NAME --ttl 300 --scope 'ssh sudo'"
	TOKEN=$("$JWTCTL" sign --key signing.pem --iss "$ISS" --aud "$AUD" \
	    --sub "$USER_NAME" --ttl 300 --scope "ssh sudo")
	say "token: $TOKEN"
	say "what it says (decoded WITHOUT verification: jwtctl inspect):"
	"$JWTCTL" inspect "$TOKEN" 2>/dev/null | indent
}

step_verify() {
	step "verify it offline against jwks.json, as pam_jwt.so does"
	local claims
	cmd "jwtctl verify --jwks jwks.json --iss $ISS --aud $AUD --sub $USER_NAME --scope ssh TOKEN"
	claims=$("$JWTCTL" verify --jwks jwks.json --iss "$ISS" --aud "$AUD" \
	    --sub "$USER_NAME" --scope ssh "$TOKEN") || die "a fresh token was rejected"
	printf '%s\n' "$claims" | indent
	printf '%s\n' "$claims" | grep -q "\"sub\": \"$USER_NAME\"" || die "claims lack sub"
	good "valid (exit 0): signature, issuer, audience, expiry, user and scope checked"
}

step_tampered() {
	step "a tampered token: the payload changed to sub=root, signature kept"
	local h s evil
	IFS=. read -r h _ s <<<"$TOKEN"
	evil=$("$JWTCTL" inspect "$TOKEN" 2>/dev/null | jq -c '.payload | .sub = "root"' |
	    tr -d '\n' | base64 -w0 | tr '+/' '-_' | tr -d '=')
	expect_rejected "$h.$evil.$s" bad_signature
}

step_expired() {
	step "an expired token (exp one hour ago; the default leeway is 60 s)"
	local old
	old=$("$JWTCTL" sign --key signing.pem --iss "$ISS" --aud "$AUD" --sub "$USER_NAME" \
	    --claims "{\"iat\":$(($(date +%s) - 3900)),\"exp\":$(($(date +%s) - 3600))}")
	expect_rejected "$old" expired
}

step_size() {
	step "token size: short enough for every PAM prompt"
	local len=${#TOKEN}
	say "$len characters (limits: pam_unix and misc_conv 511, OpenSSH and sudo 1023)"
	[ "$len" -lt 511 ] || die "the token is $len characters, not under 511"
	good "$len < 511"
}

STEPS=(step_keygen step_jwks step_sign step_verify step_tampered step_expired step_size)

command -v jq >/dev/null || { echo "demo: jq is required (./dev deps)" >&2; exit 2; }
printf '%spam-jwt demo%s: %s, working in %s\n' "$B" "$N" "$("$JWTCTL" --version)" "$work"
for s in "${STEPS[@]}"; do "$s"; done
printf '\n%sAll %d steps behaved as expected.%s\n' "$G$B" "$n" "$N"
