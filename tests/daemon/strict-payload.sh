#!/bin/sh
# strict-payload.sh: /introspect and /revoke read the payload of a token we
# signed with common's strict parser (nesting at most 16, duplicates
# refused), the one pjwt_verify uses; not jansson's own 2048 levels.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib-daemon.sh"

daemon_setup
daemon_start || { plan 1; fail "daemon start"; done_testing; }
KID=$(curl -fsS "$URL/.well-known/jwks.json" |
    $PY -c 'import json,sys; print(json.load(sys.stdin)["keys"][0]["kid"])')

# signed DEPTH TAG: an at+jwt signed with the daemon's own key and kid whose
# payload has a member "x" nested DEPTH-1 arrays deep (DEPTH levels in all,
# counting the payload object), with our iss, an exp and a jti.
signed() {
	$PY - "$D/key.pem" "$KID" "$URL" "$1" "$2" <<'PYEOF'
import base64, json, sys, time
from cryptography.hazmat.primitives.serialization import load_pem_private_key
key, kid, iss, depth, tag = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
k = load_pem_private_key(open(key, "rb").read(), None)
now = int(time.time())
h = b64(json.dumps({"alg": "EdDSA", "kid": kid, "typ": "at+jwt"}).encode())
x = "[" * (depth - 1) + "1" + "]" * (depth - 1)
p = '{"iss":%s,"sub":"alice","aud":"ssh","iat":%d,"exp":%d,"jti":%s,"x":%s}' % (
    json.dumps(iss), now, now + 300, json.dumps("j-" + tag), x)
s = h + "." + b64(p.encode())
print(s + "." + b64(k.sign(s.encode())))
PYEOF
}

introspect() { post /introspect -u rs:rs-secret -d "token=$1"; }

# The control: our own key and kid, a flat payload: active.
got=$(introspect "$(signed 1 flat)")
diag "got: $got"
ok "introspect: our token, flat payload: active" sh -c "printf '%s' '$got' | grep -q '\"active\":true'"
# 16 levels in all, the bound pjwt_verify allows: still active.
got=$(introspect "$(signed 16 d16)")
diag "got: $got"
ok "introspect: payload nested 16 deep: active" sh -c "printf '%s' '$got' | grep -q '\"active\":true'"
# 17 and 200: pjwt_verify refuses them, so introspection must too.
got=$(introspect "$(signed 17 d17)")
diag "got: $got"
ok "introspect: payload nested 17 deep: inactive" [ "$got" = '200 {"active":false}' ]
got=$(introspect "$(signed 200 d200)")
diag "got: $got"
ok "introspect: payload nested 200 deep: inactive" [ "$got" = '200 {"active":false}' ]
daemon_stop; rc=$?
ok "SIGTERM: exit 0" [ "$rc" = 0 ]
done_testing
