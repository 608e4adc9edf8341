#!/bin/sh
# jwtctl-cli.sh - the jwtctl command line: every subcommand and option, the
# exit statuses 0/1/2 and the exact "invalid: REASON" lines of verify.
. "$top_srcdir/tests/lib.sh"

command -v jq >/dev/null 2>&1 || plan_skip "jq is not installed"
[ -x "$JWTCTL" ] || plan_skip "jwtctl not built ($JWTCTL)"

T=$TMPDIR_T
ISS=https://id.example
AUD=ssh

# run CMD...: stdout in $out, stderr in $err, exit status in $rc.
run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
show() { printf '#   exit %s\n' "$rc"; sed 's/^/#   stderr: /' "$T/err" | head -5; }
# expect_ok NAME CMD...: exit 0.
expect_ok() {
	_n=$1; shift
	run "$@"
	if [ "$rc" = 0 ]; then pass "$_n"; else fail "$_n"; show; fi
}
# expect_invalid NAME REASON CMD...: exit 1, stderr exactly "invalid: REASON",
# nothing on stdout.
expect_invalid() {
	_n=$1 _why=$2; shift 2
	run "$@"
	if [ "$rc" = 1 ] && [ "$err" = "invalid: $_why" ] && [ -z "$out" ]; then
		pass "$_n"
	else
		fail "$_n (want exit 1 and 'invalid: $_why')"; show
	fi
}
# expect_usage NAME CMD...: exit 2 and exactly one stderr line "jwtctl: ...".
expect_usage() {
	_n=$1; shift
	run "$@"
	if [ "$rc" = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] &&
	    grep -q '^jwtctl: ' "$T/err"; then
		pass "$_n"
	else
		fail "$_n (want exit 2 and one 'jwtctl: ' line)"; show
	fi
}
b64u() { printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
payload_of() { "$JWTCTL" inspect "$1" 2>/dev/null | jq -c .payload; }
header_of() { "$JWTCTL" inspect "$1" 2>/dev/null | jq -c .header; }
now() { date +%s; }

# ---- help, version, dispatch ------------------------------------------------
expect_ok "--help" "$JWTCTL" --help
for c in keygen jwks sign verify inspect; do
	printf '%s\n' "$out" | grep -q "^  $c " || fail "--help lists $c"
done
printf '%s\n' "$out" | grep -q '^Exit status: 0 success; 1 token rejected' &&
    pass "--help states the exit statuses" || fail "--help states the exit statuses"
expect_ok "-h" "$JWTCTL" -h
expect_ok "help" "$JWTCTL" help
expect_ok "--version" "$JWTCTL" --version
printf '%s\n' "$out" | grep -Eq '^jwtctl \(pam-jwt\) [0-9]' &&
    pass "--version prints the version" || fail "--version prints the version"
expect_usage "no command: exit 2" "$JWTCTL"
expect_usage "unknown command: exit 2" "$JWTCTL" frobnicate
expect_usage "help for an unknown command: exit 2" "$JWTCTL" help frobnicate
run "$JWTCTL" passwd
[ "$rc" = 2 ] && grep -q '^jwtctl: passwd: ' "$T/err" &&
    pass "passwd without --file: exit 2" || { fail "passwd without --file: exit 2"; show; }

# Every option of every command appears in both help forms, and each help
# states the exit statuses.
opts_keygen="--alg --bits --kid --format --out --force --help"
opts_jwks="--alg --help"
opts_sign="--key --iss --aud --sub --ttl --scope --typ --alg --claims --jti --help"
opts_verify="--jwks --key --iss --aud --sub --scope --leeway --max-age --typ --alg --allow-machine --help"
opts_inspect="--help"
for c in keygen jwks sign verify inspect; do
	eval "opts=\$opts_$c"
	run "$JWTCTL" help "$c"
	h1=$out r1=$rc
	run "$JWTCTL" "$c" --help
	if [ "$r1" = 0 ] && [ "$rc" = 0 ] && [ "$h1" = "$out" ]; then
		pass "help $c == $c --help"
	else
		fail "help $c == $c --help"
	fi
	missing=
	for o in $opts; do
		printf '%s\n' "$out" | grep -q -e "$o" || missing="$missing $o"
	done
	[ -z "$missing" ] && pass "$c --help names every option" ||
	    fail "$c --help misses:$missing"
	printf '%s\n' "$out" | grep -q '^Exit status: 0 success' &&
	    pass "$c --help states the exit statuses" ||
	    fail "$c --help states the exit statuses"
	expect_usage "$c: unknown option exits 2" "$JWTCTL" "$c" --no-such-option
done
run "$JWTCTL" sign --claimz='{"secret":"s3cr3t"}'
[ "$rc" = 2 ] && ! grep -q s3cr3t "$T/err" &&
    pass "unknown option: its value is not echoed" ||
    { fail "unknown option: its value is not echoed"; show; }

# ---- keygen -----------------------------------------------------------------
ALGS_ASYM="EdDSA ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512"
ALGS_HMAC="HS256 HS384 HS512"
for a in $ALGS_ASYM $ALGS_HMAC; do
	case $a in RS*|PS*) bits="--bits 2048" ;; *) bits= ;; esac
	# shellcheck disable=SC2086
	run "$JWTCTL" keygen --alg "$a" $bits --out "$T/$a.key"
	kid=$out
	if [ "$rc" = 0 ] && [ -n "$kid" ] && [ -f "$T/$a.key" ]; then
		pass "keygen $a"
	else
		fail "keygen $a"; show; continue
	fi
	printf '%s\n' "$kid" >"$T/$a.kid"
	[ "$(stat -c %a "$T/$a.key")" = 600 ] && pass "keygen $a: mode 0600" ||
	    fail "keygen $a: mode $(stat -c %a "$T/$a.key")"
	case $a in
	HS*)
		jq -e --arg a "$a" --arg kid "$kid" \
		    '.kty == "oct" and .alg == $a and .kid == $kid and (.k|length) > 40' \
		    "$T/$a.key" >/dev/null &&
		    pass "keygen $a: private oct JWK" || fail "keygen $a: private oct JWK"
		;;
	*)
		head -1 "$T/$a.key" | grep -qx -- '-----BEGIN PRIVATE KEY-----' &&
		    pass "keygen $a: PKCS#8 PEM" || fail "keygen $a: PKCS#8 PEM"
		;;
	esac
	grep -q -e "$kid" "$T/err" && fail "keygen $a: kid on stderr" || true
done
[ "$(wc -c <"$T/EdDSA.kid")" = 44 ] &&
    pass "keygen: default kid is a thumbprint (43 chars)" ||
    fail "keygen: default kid is a thumbprint (43 chars)"
# The private key is written, never printed.
run "$JWTCTL" keygen --out "$T/k2.pem"
[ "$rc" = 0 ] && ! grep -q 'PRIVATE' "$T/out" && [ "$(wc -l <"$T/out")" = 1 ] &&
    pass "keygen prints only the kid" || { fail "keygen prints only the kid"; show; }
grep -q 'BEGIN PRIVATE KEY' "$T/k2.pem" && pass "keygen: default EdDSA PEM" ||
    fail "keygen: default EdDSA PEM"
cp "$T/k2.pem" "$T/k2.orig"
expect_usage "keygen refuses to overwrite" "$JWTCTL" keygen --out "$T/k2.pem"
grep -q 'exists' "$T/err" && grep -q -- '--force' "$T/err" &&
    pass "keygen: the refusal says why and names --force" ||
    fail "keygen: the refusal says why and names --force"
cmp -s "$T/k2.pem" "$T/k2.orig" && pass "keygen: refused file untouched" ||
    fail "keygen: refused file untouched"
ln -s "$T/nowhere" "$T/dangling"
expect_usage "keygen refuses a dangling symlink" "$JWTCTL" keygen --out "$T/dangling"
[ ! -e "$T/nowhere" ] && pass "keygen: nothing created through the symlink" ||
    fail "keygen: nothing created through the symlink"
expect_ok "keygen --force replaces" "$JWTCTL" keygen --force --out "$T/k2.pem"
! cmp -s "$T/k2.pem" "$T/k2.orig" && [ "$(stat -c %a "$T/k2.pem")" = 600 ] &&
    pass "keygen --force: new key, mode 0600" || fail "keygen --force: new key, mode 0600"
ls "$T" | grep -q '\.tmp\.' && fail "keygen left a temporary file" ||
    pass "keygen leaves no temporary file"
run "$JWTCTL" keygen --alg ES256 --kid my-key-1 --format jwk --out "$T/kid.jwk"
[ "$rc" = 0 ] && [ "$out" = my-key-1 ] &&
    jq -e '.kid == "my-key-1" and .alg == "ES256" and .kty == "EC" and (.d|length) > 0' \
    "$T/kid.jwk" >/dev/null && pass "keygen --kid --format jwk" ||
    { fail "keygen --kid --format jwk"; show; }
expect_usage "keygen --kid with PEM: exit 2" "$JWTCTL" keygen --kid x --out "$T/x1"
expect_usage "keygen --format pem for HMAC: exit 2" "$JWTCTL" keygen --alg HS256 --format pem --out "$T/x2"
expect_usage "keygen --format bogus: exit 2" "$JWTCTL" keygen --format der --out "$T/x3"
expect_usage "keygen --bits for EdDSA: exit 2" "$JWTCTL" keygen --bits 2048 --out "$T/x4"
expect_usage "keygen --bits 1024: exit 2" "$JWTCTL" keygen --alg RS256 --bits 1024 --out "$T/x5"
expect_usage "keygen --bits 2048x: exit 2" "$JWTCTL" keygen --alg RS256 --bits 2048x --out "$T/x6"
expect_usage "keygen --alg none: exit 2" "$JWTCTL" keygen --alg none --out "$T/x7"
expect_usage "keygen --alg eddsa (case matters): exit 2" "$JWTCTL" keygen --alg eddsa --out "$T/x8"
expect_usage "keygen without --out: exit 2" "$JWTCTL" keygen
expect_usage "keygen --out without value: exit 2" "$JWTCTL" keygen --out
expect_usage "keygen extra argument: exit 2" "$JWTCTL" keygen --out "$T/x9" extra
expect_usage "keygen --kid too long: exit 2" "$JWTCTL" keygen --format jwk \
    --kid "$(printf '%0300d' 0)" --out "$T/x10"
expect_usage "keygen into a missing directory: exit 2" "$JWTCTL" keygen --out "$T/no/such/dir/k.pem"
for f in x1 x2 x3 x4 x5 x6 x7 x8 x9 x10; do [ -e "$T/$f" ] && fail "usage error created $f"; done
run "$JWTCTL" keygen --alg PS256 --bits 2048 --out "$T/ps.pem"
[ "$rc" = 0 ] && grep -q -- '--alg PS256' "$T/err" &&
    pass "keygen PS256 PEM: note about --alg" || fail "keygen PS256 PEM: note about --alg"

# ---- jwks -------------------------------------------------------------------
for a in $ALGS_ASYM; do
	run "$JWTCTL" jwks --alg "$a" "$T/$a.key"
	kid=$(cat "$T/$a.kid")
	if [ "$rc" = 0 ] && printf '%s' "$out" | jq -e --arg a "$a" --arg kid "$kid" '
	    (.keys | length) == 1 and .keys[0].alg == $a and .keys[0].kid == $kid
	    and .keys[0].use == "sig"
	    and ([.keys[0] | keys[] | select(. == "d" or . == "p" or . == "q" or
	         . == "dp" or . == "dq" or . == "qi" or . == "oth" or . == "k")]
	         | length) == 0' >/dev/null; then
		pass "jwks $a: public members only, alg and kid"
	else
		fail "jwks $a: public members only, alg and kid"; show
	fi
	printf '%s' "$out" >"$T/$a.jwks"
done
run "$JWTCTL" jwks "$T/PS256.key"
printf '%s' "$out" | jq -e '.keys[0].alg == "RS256"' >/dev/null &&
    pass "jwks: RSA PEM without --alg is RS256" || fail "jwks: RSA PEM without --alg is RS256"
run "$JWTCTL" jwks "$T/EdDSA.key" "$T/ES256.key" "$T/kid.jwk"
printf '%s' "$out" | jq -e '[.keys[].alg] == ["EdDSA","ES256","ES256"] and .keys[2].kid == "my-key-1"' \
    >/dev/null && pass "jwks: several keys, PEM and JWK" || { fail "jwks: several keys, PEM and JWK"; show; }
expect_usage "jwks: the same key twice (duplicate kid): exit 2" "$JWTCTL" jwks "$T/EdDSA.key" "$T/EdDSA.key"
grep -q duplicate_kid "$T/err" && pass "jwks: duplicate kid named" || fail "jwks: duplicate kid named"
expect_usage "jwks: an HMAC key is refused" "$JWTCTL" jwks "$T/HS256.key"
# The ROCA key of Wycheproof (json_web_key_test.json tcId 7): weak_key, and
# the message says why (not "needs 2048 bits": it has 2048).
printf '{"kty":"RSA","alg":"RS256","e":"AQAB","n":"%s"}' \
    'AanFpofbj7KjD4Lf-N2hVMKR7yewSyXhhbirIMTGpfYEhZ_lnt5UoK98DnKIgArXGTu3MaW_HhFw16HGaTDUHqPrId7fe4r11CqRw09yBFuW79V8sYIwHdzCaWflUI6auImYbVfoN9_nD5n8N8SY9DwXw7mwZM9wREPXoDPgOoIWl6q_MPsp7n0zs3Z5ZaiQWOOzl1S9OhwAfSiiOwz6efnXEaxuTEtPd7BjSx7NaFka8Dx9U7YqXy2RFj1O9PjyaDGuRh7YXsX3iMUSP_wSyHQg_c_qHRtKUsNSGCT7OZg0hzm2KphtjnayKJvC64vAbROBR4Ubg6Bxg9IQVZ-QYyE' >"$T/roca.jwk"
expect_usage "jwks: a ROCA-fingerprinted RSA key is refused" "$JWTCTL" jwks "$T/roca.jwk"
grep -q 'weak_key' "$T/err" && grep -q 'ROCA' "$T/err" &&
    pass "jwks: ROCA refusal named (weak_key, ROCA)" || { fail "jwks: ROCA refusal named"; show; }
grep -q '"k"' "$T/err" "$T/out" && fail "jwks: HMAC secret leaked" || pass "jwks: HMAC secret not printed"
expect_usage "jwks --alg HS256: exit 2" "$JWTCTL" jwks --alg HS256 "$T/EdDSA.key"
expect_usage "jwks: no KEY: exit 2" "$JWTCTL" jwks
expect_usage "jwks: missing file: exit 2" "$JWTCTL" jwks "$T/missing.pem"
grep -q "'$T/missing.pem'" "$T/err" && grep -q 'No such file' "$T/err" &&
    pass "jwks: the error names the file and why" || fail "jwks: the error names the file and why"
echo 'not a key' >"$T/junk.pem"
expect_usage "jwks: a file with no key: exit 2" "$JWTCTL" jwks "$T/junk.pem"
expect_usage "jwks: --alg that does not fit the key: exit 2" "$JWTCTL" jwks --alg ES256 "$T/EdDSA.key"
grep -q alg_mismatch "$T/err" && pass "jwks: alg_mismatch named" || fail "jwks: alg_mismatch named"
expect_usage "jwks: a directory: exit 2" "$JWTCTL" jwks "$T"
cp "$T/EdDSA.key" "$T/gw.pem"; chmod 620 "$T/gw.pem"
expect_usage "jwks: a group-writable key file: exit 2" "$JWTCTL" jwks "$T/gw.pem"
"$JWTCTL" jwks "$T/EdDSA.key" "$T/ES256.key" "$T/RS256.key" >"$T/jwks.json"
"$JWTCTL" keygen --out "$T/pub-src.pem" >/dev/null
openssl pkey -in "$T/pub-src.pem" -pubout -out "$T/pub.pem" 2>/dev/null
expect_ok "jwks of a public PEM key" "$JWTCTL" jwks "$T/pub.pem"

# ---- sign + verify round trips ------------------------------------------------
for a in $ALGS_ASYM $ALGS_HMAC; do
	case $a in
	HS*) ks="--key $T/$a.key" ;;
	*) ks="--jwks $T/$a.jwks" ;;
	esac
	run "$JWTCTL" sign --key "$T/$a.key" --alg "$a" --iss "$ISS" --aud "$AUD" --sub alice
	tok=$out
	# shellcheck disable=SC2086
	run "$JWTCTL" verify $ks --iss "$ISS" --aud "$AUD" --sub alice "$tok"
	if [ "$rc" = 0 ] && printf '%s' "$out" | jq -e '.sub == "alice"' >/dev/null &&
	    [ "$(header_of "$tok" | jq -r .alg)" = "$a" ]; then
		pass "sign + verify $a"
	else
		fail "sign + verify $a"; show
	fi
done
# A PS256 PEM key is bound by --alg at sign and verify time.
tok=$("$JWTCTL" sign --key "$T/ps.pem" --alg PS256 --iss "$ISS" --aud "$AUD" --sub alice)
expect_ok "verify --key RSA PEM --alg PS256" "$JWTCTL" verify --key "$T/ps.pem" --alg PS256 \
    --iss "$ISS" --aud "$AUD" "$tok"
expect_invalid "RSA PEM read as RS256 refuses a PS256 token" alg_mismatch \
    "$JWTCTL" verify --key "$T/ps.pem" --iss "$ISS" --aud "$AUD" "$tok"
expect_ok "verify with a public PEM key" "$JWTCTL" verify --key "$T/pub.pem" --iss "$ISS" --aud "$AUD" \
    "$("$JWTCTL" sign --key "$T/pub-src.pem" --iss "$ISS" --aud "$AUD" --sub bob)"
expect_usage "sign with a public key: exit 2" "$JWTCTL" sign --key "$T/pub.pem" --iss "$ISS" --aud "$AUD" --sub bob
grep -q 'public key' "$T/err" && pass "sign: says the key is public" || fail "sign: says the key is public"

K=$T/EdDSA.key
J=$T/jwks.json
sign() { "$JWTCTL" sign --key "$K" --iss "$ISS" --aud "$AUD" --sub alice "$@"; }
verify() { "$JWTCTL" verify --jwks "$J" --iss "$ISS" --aud "$AUD" "$@"; }

# ---- the token and its claims -----------------------------------------------------
t0=$(now)
tok=$(sign --scope "ssh sudo")
p=$(payload_of "$tok")
h=$(header_of "$tok")
[ "$(printf '%s' "$p" | jq -c 'keys_unsorted')" = '["iss","sub","aud","exp","iat","jti","scope"]' ] &&
    pass "sign: claims iss sub aud exp iat jti scope, in order" || fail "sign: claim order: $p"
printf '%s' "$p" | jq -e --argjson t0 "$t0" '.exp - .iat == 300 and .iat >= $t0 and .iat <= $t0 + 5
    and .scope == "ssh sudo" and (.jti | test("^[A-Za-z0-9_-]{22}$"))' >/dev/null &&
    pass "sign: ttl 300, iat now, 16-byte base64url jti" || fail "sign: claim values: $p"
printf '%s' "$h" | jq -e --arg kid "$(cat "$T/EdDSA.kid")" \
    '. == {"alg":"EdDSA","kid":$kid,"typ":"at+jwt"}' >/dev/null &&
    pass "sign: header alg, kid, typ at+jwt" || fail "sign: header: $h"
[ ${#tok} -lt 511 ] && pass "default EdDSA token is ${#tok} < 511 chars" ||
    fail "default EdDSA token is ${#tok} chars"
[ "$(payload_of "$(sign)" | jq -r .jti)" != "$(payload_of "$(sign)" | jq -r .jti)" ] &&
    pass "sign: jti differs per token" || fail "sign: jti differs per token"
printf '%s' "$(payload_of "$(sign)")" | jq -e 'has("scope") | not' >/dev/null &&
    pass "sign: no --scope, no scope claim" || fail "sign: no --scope, no scope claim"
p=$(payload_of "$(sign --ttl 60 --jti my-id --claims '{"client_id":"cli","sub":"bob","iss":null}')")
printf '%s' "$p" | jq -e '.exp - .iat == 60 and .jti == "my-id" and .client_id == "cli"
    and .sub == "bob" and (has("iss") | not)' >/dev/null &&
    pass "sign --ttl --jti --claims (add, override, null removes)" || fail "sign --claims: $p"
printf '%s' "$(header_of "$(sign --typ '')")" | jq -e 'has("typ") | not' >/dev/null &&
    pass "sign --typ '' omits typ" || fail "sign --typ '' omits typ"
printf '%s' "$(header_of "$(sign --typ JWT)")" | jq -e '.typ == "JWT"' >/dev/null &&
    pass "sign --typ JWT" || fail "sign --typ JWT"
expect_usage "sign: no --key" "$JWTCTL" sign --iss "$ISS" --aud "$AUD" --sub a
expect_usage "sign: no --sub" "$JWTCTL" sign --key "$K" --iss "$ISS" --aud "$AUD"
expect_usage "sign: no --iss" "$JWTCTL" sign --key "$K" --aud "$AUD" --sub a
expect_usage "sign: no --aud" "$JWTCTL" sign --key "$K" --iss "$ISS" --sub a
expect_usage "sign --ttl 0" sign --ttl 0
expect_usage "sign --ttl -5" sign --ttl -5
expect_usage "sign --ttl 5s" sign --ttl 5s
expect_usage "sign --ttl ' 5'" sign --ttl ' 5'
expect_usage "sign --ttl huge" sign --ttl 99999999999999999999
expect_usage "sign --claims not JSON" sign --claims '{"a":'
expect_usage "sign --claims an array" sign --claims '[1]'
expect_usage "sign --claims duplicate members" sign --claims '{"a":1,"a":2}'
expect_usage "sign --jti ''" sign --jti ''
expect_usage "sign --alg none" sign --alg none
expect_usage "sign --alg that does not fit the key" sign --alg ES256
expect_usage "sign: extra argument" sign extra
expect_usage "sign: missing key file" "$JWTCTL" sign --key "$T/nope" --iss "$ISS" --aud "$AUD" --sub a
if [ -w /dev/full ]; then
	sign >/dev/full 2>"$T/err"; rc=$?
	[ "$rc" = 2 ] && grep -q 'cannot write' "$T/err" &&
	    pass "sign to a full device: exit 2" || fail "sign to a full device: exit $rc"
else
	skip "sign to a full device" "no /dev/full"
fi

# ---- verify: accepted -------------------------------------------------------------
tok=$(sign --scope "ssh sudo")
run verify "$tok"
[ "$rc" = 0 ] && [ -z "$err" ] && printf '%s' "$out" | jq -e '.sub == "alice" and .iss == "'"$ISS"'"' >/dev/null &&
    pass "verify: exit 0, claims JSON on stdout, nothing on stderr" || { fail "verify accepted"; show; }
run sh -c 'printf "%s\n\n  \n" "$1" | "$2" verify --jwks "$3" --iss "$4" --aud "$5"' sh "$tok" "$JWTCTL" "$J" "$ISS" "$AUD"
[ "$rc" = 0 ] && pass "verify: token from stdin, trailing whitespace stripped" || { fail "verify from stdin"; show; }
run sh -c 'printf "%s" "$1" | "$2" verify --jwks "$3" --iss "$4" --aud "$5" -' sh "$tok" "$JWTCTL" "$J" "$ISS" "$AUD"
[ "$rc" = 0 ] && pass "verify -: token from stdin" || { fail "verify -"; show; }
expect_invalid "verify: whitespace in an argument is not stripped" malformed verify "$tok "
expect_ok "verify --sub --scope (subset) --leeway --max-age --typ --alg" verify --sub alice \
    --scope sudo --leeway 0 --max-age 60 --typ at+jwt --alg EdDSA,ES256 "$tok"
expect_ok "verify --typ application/at+jwt" verify --typ application/at+jwt "$tok"
expect_ok "verify --key PEM" "$JWTCTL" verify --key "$K" --iss "$ISS" --aud "$AUD" "$tok"
expect_ok "verify: exp 30 s ago is within the default leeway" \
    verify "$(sign --claims "{\"exp\":$(($(now) - 30))}")"
expect_ok "verify --typ any, token without typ" verify --typ any "$(sign --typ '')"
expect_ok "verify --typ any, token with typ JWT" verify --typ any "$(sign --typ JWT)"

# ---- verify: rejected, one exact reason each --------------------------------------
t=$(now)
expect_invalid "expired (exp in the past)" expired verify "$(sign --claims "{\"exp\":$((t - 3600))}")"
expect_invalid "expired: exp 30 s ago with --leeway 0" expired \
    verify --leeway 0 "$(sign --claims "{\"exp\":$((t - 30))}")"
tok1=$(sign --ttl 1)
sleep 2
expect_invalid "expired: --ttl 1 then 2 s later, --leeway 0" expired verify --leeway 0 "$tok1"
expect_invalid "wrong aud" aud_mismatch "$JWTCTL" verify --jwks "$J" --iss "$ISS" --aud sudo "$tok"
expect_invalid "wrong iss" iss_mismatch "$JWTCTL" verify --jwks "$J" --iss https://evil.example --aud "$AUD" "$tok"
expect_invalid "wrong sub" user_mismatch verify --sub root "$tok"
expect_invalid "missing scope" scope_missing verify --scope admin "$tok"
expect_invalid "no scope claim at all" scope_missing verify --scope ssh "$(sign)"
expect_invalid "typ JWT where at+jwt is required" typ_mismatch verify "$(sign --typ JWT)"
# Machine tokens (gty client_credentials) only with --allow-machine.
mtok=$(sign --claims '{"gty":"client_credentials"}')
expect_invalid "machine token refused by default" machine_token verify "$mtok"
expect_ok "machine token with --allow-machine" verify --allow-machine "$mtok"
expect_invalid "no typ where at+jwt is required" typ_mismatch verify "$(sign --typ '')"
expect_invalid "typ at+jwt where JWT is required" typ_mismatch verify --typ JWT "$tok"
expect_invalid "not yet valid (nbf in the future)" not_yet_valid verify "$(sign --claims "{\"nbf\":$((t + 3600))}")"
expect_invalid "iat in the future" iat_in_future verify "$(sign --claims "{\"iat\":$((t + 3600))}")"
expect_invalid "too old (--max-age)" too_old verify --max-age 60 "$(sign --claims "{\"iat\":$((t - 600))}")"
expect_invalid "no exp" missing_claim verify "$(sign --claims '{"exp":null}')"
expect_invalid "exp as a string" malformed verify "$(sign --claims '{"exp":"9999999999"}')"
expect_invalid "aud in an array without ours" aud_mismatch verify "$(sign --claims '{"aud":["a","b"]}')"
expect_ok "aud in an array with ours" verify "$(sign --claims '{"aud":["a","ssh"]}')"
expect_invalid "alg outside --alg" alg_not_allowed verify --alg ES256 "$tok"

# Tampering: a changed payload, a changed signature byte.
IFS=. read -r th tp ts <<EOF
$tok
EOF
evil=$(b64u "$(printf '%s' "$(payload_of "$tok")" | jq -c '.sub = "root"')")
expect_invalid "tampered payload" bad_signature verify "$th.$evil.$ts"
c=$(printf '%s' "$ts" | cut -c10)
[ "$c" = A ] && d=B || d=A
ts2=$(printf '%s' "$ts" | sed "s/^\(.........\)./\1$d/")
expect_invalid "tampered signature" bad_signature verify "$th.$tp.$ts2"
expect_invalid "signature cut off" bad_signature verify "$th.$tp.$(printf '%s' "$ts" | cut -c1-40)"

# Wrong key: another kid, and another key under the same kid.
"$JWTCTL" keygen --out "$T/other.pem" >/dev/null
"$JWTCTL" jwks "$T/other.pem" >"$T/other.jwks"
expect_invalid "wrong key (kid not in the set)" unknown_kid \
    "$JWTCTL" verify --jwks "$T/other.jwks" --iss "$ISS" --aud "$AUD" "$tok"
expect_invalid "wrong key with --key" unknown_kid \
    "$JWTCTL" verify --key "$T/other.pem" --iss "$ISS" --aud "$AUD" "$tok"
"$JWTCTL" keygen --format jwk --kid same --out "$T/same1.jwk" >/dev/null
"$JWTCTL" keygen --format jwk --kid same --out "$T/same2.jwk" >/dev/null
"$JWTCTL" jwks "$T/same2.jwk" >"$T/same2.jwks"
expect_invalid "wrong key under the same kid" bad_signature "$JWTCTL" verify --jwks "$T/same2.jwks" \
    --iss "$ISS" --aud "$AUD" "$("$JWTCTL" sign --key "$T/same1.jwk" --iss "$ISS" --aud "$AUD" --sub a)"
"$JWTCTL" keygen --alg HS256 --kid hk --out "$T/hk1.jwk" >/dev/null
"$JWTCTL" keygen --alg HS256 --kid hk --out "$T/hk2.jwk" >/dev/null
expect_invalid "HMAC token against another secret under the same kid" bad_signature \
    "$JWTCTL" verify --key "$T/hk2.jwk" --iss "$ISS" --aud "$AUD" \
    "$("$JWTCTL" sign --key "$T/hk1.jwk" --iss "$ISS" --aud "$AUD" --sub a)"

# alg none, made by hand.
pl=$(b64u "{\"iss\":\"$ISS\",\"sub\":\"alice\",\"aud\":\"$AUD\",\"exp\":$((t + 300)),\"iat\":$t}")
kid=$(cat "$T/EdDSA.kid")
expect_invalid "alg none, empty signature" alg_none verify "$(b64u '{"alg":"none","typ":"at+jwt"}').$pl."
expect_invalid "alg None with kid and a signature" alg_none \
    verify "$(b64u "{\"alg\":\"None\",\"kid\":\"$kid\",\"typ\":\"at+jwt\"}").$pl.$ts"
expect_invalid "crit header" crit_unsupported \
    verify "$(b64u "{\"alg\":\"EdDSA\",\"kid\":\"$kid\",\"typ\":\"at+jwt\",\"crit\":[\"exp\"],\"exp\":1}").$tp.$ts"
expect_invalid "jku header" untrusted_header \
    verify "$(b64u "{\"alg\":\"EdDSA\",\"kid\":\"$kid\",\"typ\":\"at+jwt\",\"jku\":\"https://evil.example/k\"}").$tp.$ts"
expect_invalid "garbage" malformed verify "not-a-token"
expect_invalid "empty stdin" malformed sh -c '"$1" verify --jwks "$2" --iss "$3" --aud "$4" </dev/null' sh "$JWTCTL" "$J" "$ISS" "$AUD"
expect_invalid "padded base64" malformed verify "$th=.$tp.$ts"
big=$(head -c 9000 /dev/zero | tr '\0' A)
expect_invalid "token over 8 KiB" too_large verify "$th.$big.$ts"
head -c 70000 /dev/zero | tr '\0' A >"$T/huge"
expect_invalid "stdin over 64 KiB" too_large sh -c '"$1" verify --jwks "$2" --iss "$3" --aud "$4" <"$5"' \
    sh "$JWTCTL" "$J" "$ISS" "$AUD" "$T/huge"

# ---- verify: usage and configuration errors (exit 2) -------------------------------
expect_usage "verify: no --iss" "$JWTCTL" verify --jwks "$J" --aud "$AUD" "$tok"
expect_usage "verify: no --aud" "$JWTCTL" verify --jwks "$J" --iss "$ISS" "$tok"
expect_usage "verify: neither --jwks nor --key" "$JWTCTL" verify --iss "$ISS" --aud "$AUD" "$tok"
expect_usage "verify: both --jwks and --key" verify --key "$K" "$tok"
expect_usage "verify --leeway abc" verify --leeway abc "$tok"
expect_usage "verify --leeway -1" verify --leeway -1 "$tok"
expect_usage "verify --leeway 86401" verify --leeway 86401 "$tok"
expect_usage "verify --max-age x" verify --max-age x "$tok"
expect_usage "verify --alg none" verify --alg none "$tok"
expect_usage "verify --alg NONE" verify --alg NONE "$tok"
expect_usage "verify --alg bogus" verify --alg HS1 "$tok"
expect_usage "verify --alg with a blank" verify --alg 'EdDSA, ES256' "$tok"
expect_usage "verify --typ ''" verify --typ '' "$tok"
expect_usage "verify: two tokens" verify "$tok" "$tok"
expect_usage "verify: missing JWKS file" "$JWTCTL" verify --jwks "$T/none.json" --iss "$ISS" --aud "$AUD" "$tok"
grep -q "'$T/none.json'" "$T/err" && pass "verify: the error names the file" || fail "verify: the error names the file"
chmod 000 "$T/EdDSA.jwks"
if ! cat "$T/EdDSA.jwks" >/dev/null 2>&1; then
	expect_usage "verify: unreadable JWKS" "$JWTCTL" verify --jwks "$T/EdDSA.jwks" --iss "$ISS" --aud "$AUD" "$tok"
	grep -q 'Permission denied' "$T/err" && pass "verify: says permission denied" || fail "verify: says permission denied"
elif [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
    setpriv --reuid=65534 --regid=65534 --clear-groups "$JWTCTL" --version >/dev/null 2>&1; then
	# Root reads everything: check the refusal as nobody instead.
	chmod 711 "$T"
	mkdir -m 755 "$T/pub"
	cp "$T/EdDSA.jwks" "$T/pub/unreadable.jwks"
	chmod 600 "$T/pub/unreadable.jwks"
	expect_usage "verify: unreadable JWKS (as nobody)" setpriv --reuid=65534 \
	    --regid=65534 --clear-groups "$JWTCTL" verify \
	    --jwks "$T/pub/unreadable.jwks" --iss "$ISS" --aud "$AUD" "$tok"
	grep -q 'Permission denied' "$T/err" && pass "verify: says permission denied" || fail "verify: says permission denied"
	chmod 700 "$T"
else
	skip "verify: unreadable JWKS" "root, and cannot run jwtctl as nobody (setpriv missing or binary not reachable)"
	skip "verify: says permission denied" "root, and cannot run jwtctl as nobody"
fi
chmod 600 "$T/EdDSA.jwks"
echo '{"keys":' >"$T/bad.json"
expect_usage "verify: malformed JWKS" "$JWTCTL" verify --jwks "$T/bad.json" --iss "$ISS" --aud "$AUD" "$tok"
echo '{"keys":[]}' >"$T/empty.json"
expect_usage "verify: JWKS without keys" "$JWTCTL" verify --jwks "$T/empty.json" --iss "$ISS" --aud "$AUD" "$tok"

# ---- inspect --------------------------------------------------------------------
old=$(sign --claims "{\"exp\":$((t - 3600))}")
run "$JWTCTL" inspect "$old"
[ "$rc" = 0 ] && printf '%s' "$out" | jq -e '.verified == false and .header.alg == "EdDSA"
    and .payload.sub == "alice"' >/dev/null && pass "inspect: header, payload, verified false (expired token)" ||
    { fail "inspect"; show; }
grep -q 'UNVERIFIED' "$T/err" && pass "inspect: UNVERIFIED banner on stderr" || fail "inspect: UNVERIFIED banner"
run sh -c 'printf "%s\n" "$1" | "$2" inspect -' sh "$tok" "$JWTCTL"
[ "$rc" = 0 ] && printf '%s' "$out" | jq -e '.payload.scope == "ssh sudo"' >/dev/null &&
    pass "inspect -: from stdin" || { fail "inspect -"; show; }
run sh -c 'printf "%s" "$1" | "$2" inspect' sh "$tok" "$JWTCTL"
[ "$rc" = 0 ] && pass "inspect: stdin when no TOKEN" || { fail "inspect: stdin when no TOKEN"; show; }
expect_ok "inspect: a tampered token is still shown" "$JWTCTL" inspect "$th.$evil.$ts2"
run "$JWTCTL" inspect "not.a.jwt"
[ "$rc" = 1 ] && [ -z "$out" ] && pass "inspect: undecodable token: exit 1" || { fail "inspect: undecodable"; show; }
expect_usage "inspect: two tokens" "$JWTCTL" inspect "$tok" "$tok"

done_testing
