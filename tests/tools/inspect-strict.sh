#!/bin/sh
# inspect-strict.sh - jwtctl inspect decodes through libpjwt's pjwt_peek: the
# verifier's strict base64url and depth-bounded, duplicate-refusing JSON.
# Undecodable: exit 1, one "jwtctl: inspect: cannot decode" line, no stdout.
. "$top_srcdir/tests/lib.sh"

[ -x "$JWTCTL" ] || plan_skip "jwtctl not built ($JWTCTL)"
PY=${PY:-/usr/bin/python3}
T=$TMPDIR_T

# tok HEADER PAYLOAD: HEADER.PAYLOAD.c2ln, both JSON texts base64url-encoded.
tok() {
	$PY -c 'import base64,sys
b=lambda s: base64.urlsafe_b64encode(s.encode()).rstrip(b"=").decode()
print(b(sys.argv[1]) + "." + b(sys.argv[2]) + ".c2ln")' "$1" "$2"
}
nest() { $PY -c 'import sys; n=int(sys.argv[1]); print("["*n+"1"+"]"*n)' "$1"; }

run() { "$@" >"$T/out" 2>"$T/err"; rc=$?; }
# good NAME TOKEN / bad NAME TOKEN
good() {
	run "$JWTCTL" inspect "$2"
	if [ "$rc" = 0 ] && grep -q '"verified": false' "$T/out"; then pass "$1"
	else fail "$1: exit $rc"; sed 's/^/#   /' "$T/err" | head -3; fi
}
bad() {
	run "$JWTCTL" inspect "$2"
	if [ "$rc" = 1 ] && [ ! -s "$T/out" ] &&
	    grep -q '^jwtctl: inspect: cannot decode the token: ' "$T/err"; then pass "$1"
	else fail "$1: exit $rc"; sed 's/^/#   /' "$T/out" "$T/err" | head -5; fi
}

H='{"alg":"EdDSA","typ":"at+jwt"}'
good "inspect: a flat token" "$(tok "$H" '{"sub":"alice"}')"
good "inspect: payload nested 16 deep (the bound)" "$(tok "$H" "{\"x\":$(nest 15)}")"
bad "inspect: payload nested 17 deep" "$(tok "$H" "{\"x\":$(nest 16)}")"
bad "inspect: header nested 17 deep" "$(tok "{\"x\":$(nest 16)}" '{"sub":"alice"}')"
bad "inspect: duplicate member" "$(tok "$H" '{"sub":"alice","sub":"root"}')"
bad "inspect: payload not an object" "$(tok "$H" '[1]')"
bad "inspect: header not an object" "$(tok '"x"' '{"sub":"alice"}')"
bad "inspect: four segments" "$(tok "$H" '{"sub":"alice"}').x"
bad "inspect: padded base64url" "$(tok "$H" '{"sub":"alice"}' | sed 's/\./=./')"
done_testing
