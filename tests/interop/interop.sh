#!/bin/sh
# tests/interop/interop.sh - jwtctl against three independent JOSE
# implementations, both ways, for every algorithm:
#   PyJWT (python3-jwt), jwcrypto (python3-jwcrypto), npm jose (package-lock.json).
#
# Per algorithm:
#   B  jwtctl keygen + jwks + sign; each peer verifies with the printed JWKS
#      (HS*: with the secret JWK jwtctl keygen wrote); a tampered payload
#      must be refused by each peer and by jwtctl (bad_signature).
#   A  each peer generates its own key (PyJWT: traditional PEM, jwcrypto: JWK,
#      jose: PKCS#8/SPKI PEM) and signs; jwtctl verify --key PUB accepts.
#      Each peer also signs with jwtctl's key; jwtctl verify --jwks accepts.
#      The peer's token with one signature bit flipped: invalid: bad_signature.
# A peer that cannot do an algorithm (its helper exits 77) is a TAP skip
# with the helper's reason.  Peers run with /usr/bin/python3 (Debian's
# packages; the python3 on PATH may be another build without them).
#
# Env (set by the harness): JWTCTL, top_srcdir.  INTEROP_ALGS limits the
# algorithms (space-separated), e.g. INTEROP_ALGS="EdDSA ES256".
. "$top_srcdir/tests/lib.sh"

here="$top_srcdir/tests/interop"
PY=/usr/bin/python3
ALGS=${INTEROP_ALGS:-"HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA"}
PEERS="pyjwt jwcrypto jose"
ISS=https://id.example.test
AUD=ssh
# The peers enforce these (see the helpers).
INTEROP_ISS=$ISS INTEROP_AUD=$AUD INTEROP_TYP=at+jwt
export INTEROP_ISS INTEROP_AUD INTEROP_TYP

if [ ! -x "${JWTCTL:-}" ]; then
	echo "Bail out! JWTCTL ('${JWTCTL:-}') is not an executable jwtctl"
	exit 1
fi
[ -x "$PY" ] || plan_skip "$PY not found (the peers need Debian's python3-jwt and python3-jwcrypto)"

node_reason=
if ! command -v node >/dev/null 2>&1; then
	node_reason="node not found (Debian package nodejs)"
elif [ ! -d "$here/node_modules/jose" ]; then
	node_reason="npm package jose not installed: run 'npm ci' in tests/interop (./dev does)"
fi

# peer NAME ARGS...: run one helper.
peer() {
	_p=$1; shift
	case $_p in
	jose) node "$here/peer_jose.mjs" "$@" ;;
	*) "$PY" "$here/peer_$_p.py" "$@" ;;
	esac
}

# unavailable PEER ALG: print why PEER cannot do ALG (exit status 77 of its
# helper), or nothing.  Cached per peer and algorithm.
unavailable() {
	if [ "$1" = jose ] && [ -n "$node_reason" ]; then
		echo "$node_reason"; return
	fi
	_f="$TMPDIR_T/unavail-$1-$2"
	if [ ! -f "$_f" ]; then
		: >"$_f"
		peer "$1" check "$2" >/dev/null 2>"$TMPDIR_T/probe.err"
		[ $? -eq 77 ] && sed -n 's/^unsupported: //p' "$TMPDIR_T/probe.err" | head -1 >"$_f"
	fi
	cat "$_f"
}

# claims_ok FILE: the claims JSON printed by a verifier is the one we signed.
claims_ok() {
	"$PY" - "$1" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
want = {'iss': 'https://id.example.test', 'aud': 'ssh', 'sub': 'alice', 'scope': 'ssh'}
bad = {k: c.get(k) for k in want if c.get(k) != want[k]}
if bad or not isinstance(c.get('exp'), int):
    sys.exit('claims differ: %r (exp %r)' % (bad, c.get('exp')))
EOF
}

# ctl_verify OUTFILE TOKEN ARGS...: jwtctl verify, token on stdin.
ctl_verify() {
	_o=$1 _t=$2; shift 2
	printf '%s\n' "$_t" | "$JWTCTL" verify --iss "$ISS" --aud "$AUD" --sub alice \
	    --scope ssh "$@" - >"$_o" 2>"$_o.err"
}

# expect_ok NAME CMD...: CMD exits 0 (its stderr shown on failure).
expect_ok() {
	_n=$1; shift
	if "$@" >"$TMPDIR_T/out" 2>"$TMPDIR_T/err"; then pass "$_n"
	else fail "$_n (exit $?)"; sed 's/^/#   /' "$TMPDIR_T/err" | head -10; fi
}

now=$(date +%s)
claims=$(printf '{"iss":"%s","aud":"%s","sub":"alice","scope":"ssh","iat":%s,"nbf":%s,"exp":%s,"jti":"interop-%s"}' \
    "$ISS" "$AUD" "$now" "$now" "$((now + 600))" "$$")

nalgs=$(echo $ALGS | wc -w)
npeers=$(echo $PEERS | wc -w)
plan $((nalgs * (2 + npeers * 2 + 1 + npeers * 3)))
diag "PyJWT $("$PY" -c 'import jwt; print(jwt.__version__)' 2>&1), jwcrypto $("$PY" -c 'import importlib.metadata as m; print(m.version("jwcrypto"))' 2>&1), jose $(sed -n 's/.*"version": "\(.*\)".*/\1/p' "$here/node_modules/jose/package.json" 2>/dev/null | head -1) on node $(node --version 2>/dev/null)"

d=$TMPDIR_T
for alg in $ALGS; do
	key=$d/ctl-$alg.key
	case $alg in
	RS*|PS*) bits="--bits 2048" ;;
	*) bits= ;;
	esac
	# shellcheck disable=SC2086
	expect_ok "$alg: jwtctl keygen" "$JWTCTL" keygen --alg "$alg" $bits --out "$key"
	case $alg in
	HS*) # A shared secret has no public JWK: the peers get the secret JWK.
	     jwks=$key; ctlkey="--key $key"
	     expect_rc "$alg: jwtctl jwks refuses an HMAC key" 2 "$JWTCTL" jwks "$key" ;;
	*) jwks=$d/ctl-$alg.jwks; ctlkey="--jwks $jwks"
	   "$JWTCTL" jwks --alg "$alg" "$key" >"$jwks" 2>"$d/err"
	   if [ $? -eq 0 ] && grep -q '"keys"' "$jwks"; then pass "$alg: jwtctl jwks"
	   else fail "$alg: jwtctl jwks"; sed 's/^/#   /' "$d/err" | head -5; fi ;;
	esac

	# ---- B: jwtctl signs, the peers verify --------------------------------
	tok=$("$JWTCTL" sign --key "$key" --alg "$alg" --iss "$ISS" --aud "$AUD" \
	    --sub alice --scope ssh 2>"$d/err")
	[ -n "$tok" ] || { diag "$alg: jwtctl sign failed: $(head -3 "$d/err")"; tok=x.y.z; }
	bad=$("$PY" "$here/tamper.py" payload "$tok" 2>/dev/null || echo x.y.z)
	for p in $PEERS; do
		why=$(unavailable "$p" "$alg")
		if [ -n "$why" ]; then
			skip "$alg: jwtctl sign -> $p verify" "$why"
			skip "$alg: $p rejects a tampered jwtctl token" "$why"
			continue
		fi
		if peer "$p" verify "$alg" "$jwks" "$tok" >"$d/claims" 2>"$d/err" &&
		    claims_ok "$d/claims" 2>>"$d/err"; then
			pass "$alg: jwtctl sign -> $p verify"
		else
			fail "$alg: jwtctl sign -> $p verify"
			sed 's/^/#   /' "$d/err" | head -10
		fi
		peer "$p" verify "$alg" "$jwks" "$bad" >/dev/null 2>"$d/err"
		rc=$?
		if [ $rc -eq 1 ]; then pass "$alg: $p rejects a tampered jwtctl token"
		else fail "$alg: $p rejects a tampered jwtctl token (exit $rc, want 1)"
		     sed 's/^/#   /' "$d/err" | head -5; fi
	done
	# shellcheck disable=SC2086
	ctl_verify "$d/ctl.out" "$bad" $ctlkey --alg "$alg"
	rc=$?
	if [ $rc -eq 1 ] && grep -qx 'invalid: bad_signature' "$d/ctl.out.err"; then
		pass "$alg: jwtctl rejects its tampered token: bad_signature"
	else
		fail "$alg: jwtctl rejects its tampered token (exit $rc, want 1 + invalid: bad_signature)"
		sed 's/^/#   /' "$d/ctl.out.err" | head -5
	fi

	# ---- A: the peers sign, jwtctl verifies -------------------------------
	for p in $PEERS; do
		why=$(unavailable "$p" "$alg")
		if [ -n "$why" ]; then
			skip "$alg: $p key + sign -> jwtctl verify --key" "$why"
			skip "$alg: $p signs with jwtctl's key -> jwtctl verify" "$why"
			skip "$alg: jwtctl rejects a $p token with a flipped signature bit" "$why"
			continue
		fi
		# A1: the peer's own key.
		ptok=
		if peer "$p" keygen "$alg" "$d/$p-$alg.priv" "$d/$p-$alg.pub" 2>"$d/err" &&
		    ptok=$(peer "$p" sign "$alg" "$d/$p-$alg.priv" "$claims" 2>>"$d/err"); then
			if ctl_verify "$d/ctl.out" "$ptok" --key "$d/$p-$alg.pub" --alg "$alg" &&
			    claims_ok "$d/ctl.out" 2>"$d/ctl.out.err"; then
				pass "$alg: $p key + sign -> jwtctl verify --key"
			else
				fail "$alg: $p key + sign -> jwtctl verify --key"
				sed 's/^/#   /' "$d/ctl.out.err" | head -5
			fi
		else
			fail "$alg: $p key + sign -> jwtctl verify --key (the peer failed)"
			sed 's/^/#   /' "$d/err" | head -10
		fi
		# A2: jwtctl's key (PKCS#8 PEM, or the HS* JWK).
		if qtok=$(peer "$p" sign "$alg" "$key" "$claims" 2>"$d/err"); then
			# shellcheck disable=SC2086
			if ctl_verify "$d/ctl.out" "$qtok" $ctlkey --alg "$alg" &&
			    claims_ok "$d/ctl.out" 2>"$d/ctl.out.err"; then
				pass "$alg: $p signs with jwtctl's key -> jwtctl verify"
			else
				fail "$alg: $p signs with jwtctl's key -> jwtctl verify"
				sed 's/^/#   /' "$d/ctl.out.err" | head -5
			fi
		else
			fail "$alg: $p signs with jwtctl's key (the peer failed)"
			sed 's/^/#   /' "$d/err" | head -10
			qtok=x.y.z
		fi
		# Negative: one signature bit flipped.
		ntok=$("$PY" "$here/tamper.py" sig "${ptok:-$qtok}" 2>/dev/null || echo x.y.z)
		if [ -n "$ptok" ]; then vkey="--key $d/$p-$alg.pub"; else vkey=$ctlkey; fi
		# shellcheck disable=SC2086
		ctl_verify "$d/ctl.out" "$ntok" $vkey --alg "$alg"
		rc=$?
		if [ $rc -eq 1 ] && grep -qx 'invalid: bad_signature' "$d/ctl.out.err"; then
			pass "$alg: jwtctl rejects a $p token with a flipped signature bit"
		else
			fail "$alg: jwtctl rejects a $p token with a flipped signature bit (exit $rc, want 1 + invalid: bad_signature)"
			sed 's/^/#   /' "$d/ctl.out.err" | head -5
		fi
	done
done
done_testing
