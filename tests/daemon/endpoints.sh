#!/bin/sh
# endpoints.sh: every endpoint with curl; RFC 6749 5.2 errors; the HTTP
# errors (404, 405, 413, 400) as JSON; headers.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib-daemon.sh"

daemon_setup
daemon_start || { plan 1; fail "daemon start"; done_testing; }

# expect NAME "STATUS ERROR" PATH CURL-ARGS...: status and RFC 6749 error.
expect() {
	local name=$1 want=$2 path=$3 got st err; shift 3
	got=$(post "$path" "$@")
	st=${got%% *}
	err=$(printf '%s' "${got#* }" | json error 2>/dev/null)
	if [ "$st $err" = "$want" ]; then pass "$name"
	else fail "$name: got '$st $err', want '$want' (body ${got#* })"; fi
}

# GET endpoints
ok "healthz" sh -c "curl -fsS '$URL/healthz' | grep -q '\"status\":\"ok\"'"
curl -fsS "$URL/.well-known/jwks.json" >"$TMPDIR_T/jwks"
ok "jwks has one OKP key with a short kid" $PY -c '
import json,sys; k=json.load(open(sys.argv[1]))["keys"]
assert len(k)==1 and k[0]["kty"]=="OKP" and k[0]["alg"]=="EdDSA" and len(k[0]["kid"])==8, k
assert "d" not in k[0]' "$TMPDIR_T/jwks"
curl -fsS "$URL/.well-known/oauth-authorization-server" >"$TMPDIR_T/m1"
curl -fsS "$URL/.well-known/openid-configuration" >"$TMPDIR_T/m2"
ok "RFC 8414 metadata" $PY -c '
import json,sys; m=json.load(open(sys.argv[1])); u=sys.argv[2]
assert m["issuer"]==u and m["token_endpoint"]==u+"/token", m
assert m["jwks_uri"]==u+"/.well-known/jwks.json"
assert m["revocation_endpoint"]==u+"/revoke" and m["introspection_endpoint"]==u+"/introspect"
assert set(m["grant_types_supported"])=={"password","refresh_token","client_credentials"}
assert "client_secret_basic" in m["token_endpoint_auth_methods_supported"]
assert set(m["scopes_supported"])=={"ssh","sudo","api"}' "$TMPDIR_T/m1" "$URL"
ok "openid-configuration carries the same fields" cmp "$TMPDIR_T/m1" "$TMPDIR_T/m2"
ok "HEAD on a GET route" sh -c "curl -fsSI '$URL/healthz' | grep -qi '^content-type: application/json'"

# HTTP-level errors, all JSON
st=$(curl -s -o "$TMPDIR_T/b" -w '%{http_code}' "$URL/nope")
ok "unknown path: 404 JSON" sh -c "[ $st = 404 ] && grep -q '\"error\":\"not_found\"' '$TMPDIR_T/b'"
st=$(curl -s -D "$TMPDIR_T/h" -o "$TMPDIR_T/b" -w '%{http_code}' "$URL/token")
ok "GET /token: 405 with Allow: POST" sh -c "[ $st = 405 ] && grep -qi '^allow: POST' '$TMPDIR_T/h' && grep -q method_not_allowed '$TMPDIR_T/b'"
st=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$URL/.well-known/jwks.json")
ok "DELETE jwks: 405" [ "$st" = 405 ]
head -c 17000 /dev/zero | tr '\0' a >"$TMPDIR_T/big"
expect "body over 16 KiB: 413" "413 invalid_request" /token --data-binary "@$TMPDIR_T/big"
expect "body of exactly 16 KiB is read (then refused as a form)" "400 invalid_request" /token \
    --data-binary "@$(head -c 16384 "$TMPDIR_T/big" >"$TMPDIR_T/16k"; echo "$TMPDIR_T/16k")"
expect "JSON content type: 400" "400 invalid_request" /token -H 'Content-Type: application/json' \
    --data-binary '{"grant_type":"client_credentials"}'
expect "no content type: 400" "400 invalid_request" /token -H 'Content-Type:' -d grant_type=x
expect "multipart: 400" "400 invalid_request" /token -F grant_type=client_credentials

# Form strictness
expect "repeated parameter" "400 invalid_request" /token -u "svc:$SECRET" -d grant_type=client_credentials -d grant_type=client_credentials
expect "bad %-escape" "400 invalid_request" /token -u "svc:$SECRET" --data-binary 'grant_type=client%2_credentials'
expect "truncated %-escape" "400 invalid_request" /token -u "svc:$SECRET" --data-binary 'grant_type=client_credentials&scope=%4'
expect "invalid UTF-8" "400 invalid_request" /token -d client_id=ssh-cli --data-binary 'grant_type=password&username=%C3%28&password=x'
expect "overlong UTF-8" "400 invalid_request" /token -d client_id=ssh-cli --data-binary 'grant_type=password&username=%C0%AF&password=x'
expect "CRLF in a value" "400 invalid_request" /token -d client_id=ssh-cli --data-binary 'grant_type=password&username=alice%0D%0AX&password=x'
expect "NUL in a value" "400 invalid_request" /token -d client_id=ssh-cli --data-binary 'grant_type=password&username=alice%00&password=x'
expect "raw newline in body" "400 invalid_request" /token -d client_id=ssh-cli --data-binary "$(printf 'grant_type=password&username=a\nb&password=x')"
expect "parameter without =" "400 invalid_request" /token -u "svc:$SECRET" --data-binary 'grant_type'
got=$(curl -sS -u "svc:$SECRET" -d grant_type=client_credentials "$URL/token?grant_type=password&scope=ssh")
ok "query-string parameters are ignored" sh -c "printf '%s' '$got' | grep -q '\"scope\":\"api\"'"

# RFC 6749 5.2 errors
expect "missing grant_type" "400 invalid_request" /token -u "svc:$SECRET" -d scope=api
expect "unsupported_grant_type" "400 unsupported_grant_type" /token -u "svc:$SECRET" -d grant_type=authorization_code
expect "unknown client: invalid_client 401" "401 invalid_client" /token -u "nobody:x" -d grant_type=client_credentials
post /token -D "$TMPDIR_T/h" -u "svc:wrong" -d grant_type=client_credentials >/dev/null
ok "invalid_client carries WWW-Authenticate: Basic" grep -qi '^www-authenticate: Basic' "$TMPDIR_T/h"
expect "wrong secret: 401" "401 invalid_client" /token -u "svc:wrong" -d grant_type=client_credentials
expect "wrong secret (post): 401" "401 invalid_client" /token -d client_id=svc -d client_secret=wrong -d grant_type=client_credentials
expect "no client authentication: 401" "401 invalid_client" /token -d grant_type=client_credentials
expect "Basic and body secret together: invalid_request" "400 invalid_request" /token -u "svc:$SECRET" -d client_secret="$SECRET" -d grant_type=client_credentials
expect "Bearer scheme: invalid_client" "401 invalid_client" /token -H 'Authorization: Bearer abc' -d grant_type=client_credentials
expect "malformed Basic: invalid_client" "401 invalid_client" /token -H 'Authorization: Basic !!!' -d grant_type=client_credentials
expect "Basic halves are form-urlencoded (RFC 6749 2.3.1)" "200 " /token \
    -H "Authorization: Basic $(printf '%%73vc:%s' "$SECRET" | base64 -w0)" -d grant_type=client_credentials
expect "Basic with a bad %-escape: invalid_client" "401 invalid_client" /token \
    -H "Authorization: Basic $(printf 'svc:%%zz' | base64 -w0)" -d grant_type=client_credentials
expect "Basic without a colon: invalid_client" "401 invalid_client" /token \
    -H "Authorization: Basic $(printf 'svc' | base64 -w0)" -d grant_type=client_credentials
expect "confidential client without secret: 401" "401 invalid_client" /token -d client_id=svc -d grant_type=client_credentials
expect "public client with a secret: 401" "401 invalid_client" /token -d client_id=ssh-cli -d client_secret=x -d grant_type=password -d username=alice -d 'password=alice pw'
expect "unauthorized_client (public client, client_credentials)" "400 unauthorized_client" /token -d client_id=ssh-cli -d grant_type=client_credentials
expect "unauthorized_client (rs, password)" "400 unauthorized_client" /token -u rs:rs-secret -d grant_type=password -d username=alice -d 'password=alice pw'
expect "invalid_scope (not allowed)" "400 invalid_scope" /token -u "svc:$SECRET" -d grant_type=client_credentials -d scope=sudo
expect "invalid_scope (malformed)" "400 invalid_scope" /token -u "svc:$SECRET" -d grant_type=client_credentials --data-urlencode 'scope=api  ssh'
expect "password grant: missing password" "400 invalid_request" /token -d client_id=ssh-cli -d grant_type=password -d username=alice
expect "password grant: wrong password" "400 invalid_grant" /token -d client_id=ssh-cli -d grant_type=password -d username=alice -d password=nope
expect "password grant: unknown user" "400 invalid_grant" /token -d client_id=ssh-cli -d grant_type=password -d username=mallory -d password=nope
expect "refresh grant: missing token" "400 invalid_request" /token -d client_id=ssh-cli -d grant_type=refresh_token
expect "refresh grant: unknown token" "400 invalid_grant" /token -d client_id=ssh-cli -d grant_type=refresh_token -d refresh_token=AAAA

# Success: client_secret_basic, client_secret_post, %-encoded Basic creds
expect "client_credentials, client_secret_basic" "200 " /token -u "svc:$SECRET" -d grant_type=client_credentials
expect "client_credentials, client_secret_post" "200 " /token -d client_id=svc -d "client_secret=$SECRET" -d grant_type=client_credentials
expect "client_credentials, scope subset" "200 " /token -u "svc:$SECRET" -d grant_type=client_credentials -d 'scope=ssh api'
curl -sS -D "$TMPDIR_T/h" -o "$TMPDIR_T/b" -u "svc:$SECRET" -d grant_type=client_credentials "$URL/token"
ok "token response: Cache-Control no-store, Pragma no-cache" sh -c \
    "grep -qi '^cache-control: no-store' '$TMPDIR_T/h' && grep -qi '^pragma: no-cache' '$TMPDIR_T/h'"
ok "RFC 6749 5.1 body" $PY -c '
import json,sys; b=json.load(open(sys.argv[1]))
assert b["token_type"]=="Bearer" and b["expires_in"]==300 and b["scope"]=="api", b
assert "refresh_token" not in b' "$TMPDIR_T/b"
AT=$(json access_token <"$TMPDIR_T/b")
ok "access token verifies with jwtctl (typ at+jwt; a machine token: --allow-machine)" "$JWTCTL" verify --jwks "$TMPDIR_T/jwks" --iss "$URL" --aud api --typ at+jwt --allow-machine "$AT"
ok "default EdDSA token within the 511-character budget" [ "${#AT}" -le 511 ]
diag "client_credentials token: ${#AT} characters"

got=$(tok_pw alice 'alice pw')
ok "password grant: access and refresh token" sh -c "printf '%s' '$got' | grep -q refresh_token"
AT=$(printf '%s' "$got" | json access_token)
ok "password-grant token: RFC 9068 claims" $PY -c '
import json,sys,base64
h,p,_=sys.argv[1].split("."); d=lambda s: json.loads(base64.urlsafe_b64decode(s+"="*(-len(s)%4)))
h=d(h); p=d(p)
assert h["typ"]=="at+jwt" and h["alg"]=="EdDSA" and len(h["kid"])==8, h
for c in ("iss","sub","aud","exp","iat","jti","client_id","scope","auth_time"): assert c in p, c
assert p["sub"]=="alice" and p["aud"]=="ssh" and p["client_id"]=="ssh-cli" and p["scope"]=="ssh"
assert p["exp"]-p["iat"]==300 and len(p["jti"])<=22' "$AT"
ok "password-grant token within 511 characters" [ "${#AT}" -le 511 ]
diag "password-grant token: ${#AT} characters"

# Introspection and revocation
expect "introspect: public client refused" "401 invalid_client" /introspect -d client_id=ssh-cli -d "token=$AT"
got=$(post /introspect -u rs:rs-secret -d "token=$AT")
ok "introspect (resource server): active" sh -c "printf '%s' '$got' | grep -q '\"active\":true'"
expect "revoke: token missing" "400 invalid_request" /revoke -d client_id=ssh-cli
expect "revoke: another client's token refused" "400 invalid_request" /revoke -u "svc:$SECRET" -d "token=$AT"
got=$(post /revoke -d client_id=ssh-cli -d "token=$AT" -d token_type_hint=access_token)
ok "revoke access token: 200" [ "${got%% *}" = 200 ]
got=$(post /introspect -u rs:rs-secret -d "token=$AT")
ok "introspect after revoke: inactive" [ "$got" = '200 {"active":false}' ]
JTI=$($PY -c 'import json,sys,base64; p=sys.argv[1].split(".")[1]; print(json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4)))["jti"])' "$AT")
ok "revoked jti written to the revoked file" grep -q "^$JTI " "$D/state/revoked"
curl -fsS -D "$TMPDIR_T/h" "$URL/revoked" >"$TMPDIR_T/revoked.json"
ok "GET /revoked lists the revoked jti with its exp" $PY -c '
import json,sys; l=json.load(open(sys.argv[1]))["revoked"]
assert any(e["jti"]==sys.argv[2] and isinstance(e["exp"],int) for e in l), l' "$TMPDIR_T/revoked.json" "$JTI"
ok "GET /revoked: no-store" grep -qi '^cache-control: no-store' "$TMPDIR_T/h"
st=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/revoked")
ok "POST /revoked: 405" [ "$st" = 405 ]
got=$(post /revoke -d client_id=ssh-cli -d token=garbage)
ok "revoke unknown token: 200 (RFC 7009)" [ "${got%% *}" = 200 ]
got=$(post /introspect -u rs:rs-secret -d token=garbage)
ok "introspect garbage: inactive" [ "$got" = '200 {"active":false}' ]

ok "no token or secret in the log" sh -c "! grep -e '$SECRET' -e 'alice pw' -e '$AT' '$D/log'"
daemon_stop; rc=$?
ok "SIGTERM: exit 0" [ "$rc" = 0 ]
done_testing
