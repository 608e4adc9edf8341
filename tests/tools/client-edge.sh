#!/bin/sh
# client-edge.sh - jwtctl login and token with edge values, against a
# stand-in issuer (tests/tools/fake-issuer.py) or a hand-made cache file:
# nothing an issuer sends, or a cache holds, may make jwtctl compute with
# overflowing times (an expired token served as valid, never refreshed).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tools/client-lib.sh"
command -v python3 >/dev/null 2>&1 || plan_skip "python3 is not installed"

client_env
T=$TMPDIR_T
J=$JWTCTL
b64u() { printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
# jwt_with PAYLOAD: a compact JWT shape (jwtctl does not verify it).
jwt_with() { printf '%s.%s.%s' "$(b64u '{"alg":"EdDSA"}')" "$(b64u "$1")" "$(b64u sig)"; }

# ---- a cached expires_at at the int64 extremes -------------------------
ISS=https://id.example
U=alice
mkdir -p "$XDG_CACHE_HOME/jwtctl"
chmod 700 "$XDG_CACHE_HOME" "$XDG_CACHE_HOME/jwtctl"
CF=$XDG_CACHE_HOME/jwtctl/$(printf '%s\n%s' "$ISS" "$U" | sha256sum | cut -c1-64).json
cached() {  # EXPIRES_AT: a login without a refresh token
	printf '{"version":1,"issuer":"%s","user":"%s","access_token":"stale",' "$ISS" "$U" >"$CF"
	printf '"expires_at":%s}\n' "$1" >>"$CF"
	chmod 600 "$CF"
}
cached -9223372036854775808
run "$J" token --issuer "$ISS" --user "$U"
[ "$rc" = 1 ] && [ -z "$out" ] && grep -q 'has expired' "$TMPDIR_T/err" &&
    pass "token: expires_at INT64_MIN is expired, not printed" ||
    { fail "token: expires_at INT64_MIN is expired, not printed"; show; }
cached 9223372036854775807
expect "token: expires_at INT64_MAX is valid" 0 "$J" token --issuer "$ISS" --user "$U"
rm -f "$CF"

# ---- a token response whose JWT exp is out of range ----------------------
F=$T/fake
mkdir -p "$F"
python3 "$top_srcdir/tests/tools/fake-issuer.py" "$F" >"$T/fake.port" &
FPID=$!
at_exit "kill $FPID 2>/dev/null"
i=0; while ! grep -q '^port ' "$T/fake.port" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
FURL=http://127.0.0.1:$(sed -n 's/^port //p' "$T/fake.port")
printf '{"issuer":"%s","token_endpoint":"%s/token"}' "$FURL" "$FURL" >"$F/metadata.body"
login() { echo pw | "$J" login --issuer "$FURL" --user "$U" --password-stdin; }
# No expires_in: jwtctl falls back to the access token's exp claim.
for exp in -9223372036854775808 0 9223372036854775807; do
	rm -f "$XDG_CACHE_HOME"/jwtctl/*.json
	printf '{"access_token":"%s","token_type":"Bearer"}' \
	    "$(jwt_with "{\"sub\":\"alice\",\"exp\":$exp}")" >"$F/token.body"
	run login
	[ "$rc" = 4 ] && one_line && grep -q 'no usable expires_in' "$TMPDIR_T/err" &&
	    [ -z "$(ls "$XDG_CACHE_HOME/jwtctl/" | grep json)" ] &&
	    pass "login: JWT exp $exp without expires_in: exit 4, nothing cached" ||
	    { fail "login: JWT exp $exp without expires_in: exit 4, nothing cached"; show; }
done
now=$(date +%s)
printf '{"access_token":"%s","token_type":"Bearer"}' \
    "$(jwt_with "{\"sub\":\"alice\",\"exp\":$((now + 600))}")" >"$F/token.body"
expect "login: JWT exp in 10 minutes without expires_in: exit 0" 0 login
CF=$(cache_file)
[ "$(cache_get expires_at)" = "$((now + 600))" ] &&
    pass "... expires_at is the JWT's exp" || fail "... expires_at is the JWT's exp: $(cache_get expires_at)"

done_testing
