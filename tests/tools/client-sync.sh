#!/bin/sh
# client-sync.sh - jwtctl sync against a real jwt-issuerd (GET /revoked, key
# rotation by SIGHUP, a revoked token refused by pam_jwt.so after the next
# sync) and against a stand-in issuer that breaks in every way (the old
# files must stay untouched); --config; the systemd units (systemd-analyze
# verify).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib-daemon.sh"
. "$top_srcdir/tests/tools/client-lib.sh"

client_env
T=$TMPDIR_T
J=$JWTCTL
H=$T/host                       # the host's /etc/pam_jwt
mkdir -p "$H"
daemon_setup
daemon_start || { echo "1..0 # SKIP jwt-issuerd did not start"; exit 0; }

sync_real() { "$J" sync --issuer "$URL" --jwks-out "$H/jwks.json" --revoked-out "$H/revoked" "$@"; }
ino() { stat -c %i "$1"; }
token_for() {  # USER PASSWORD: an access token from the issuer
	tok_pw "$1" "$2" | jq -r .access_token
}

# ---- a good sync --------------------------------------------------------
expect "sync: exit 0" 0 sync_real
printf '%s\n' "$out" | grep -q "jwks.json: updated (1 key)" &&
    printf '%s\n' "$out" | grep -q "revoked: updated (0 revoked)" &&
    pass "... reports both files" || fail "... reports both files: $out"
[ "$(mode_of "$H/jwks.json")" = 644 ] && [ "$(mode_of "$H/revoked")" = 644 ] &&
    [ "$(stat -c %u "$H/jwks.json")" = "$(id -u)" ] &&
    pass "... both 0644, owned by the running user" || fail "... both 0644, owned by the running user"
[ ! -s "$H/revoked" ] && pass "... the revoked list is empty" || fail "... the revoked list is empty"
[ "$(ls -A "$H" | wc -l)" = 2 ] && pass "... no temporary files left" || fail "... no temporary files left: $(ls -A "$H")"
AT=$(token_for alice 'alice pw')
printf '%s\n' "$AT" | "$J" verify --jwks "$H/jwks.json" --iss "$URL" --aud ssh >/dev/null 2>&1 &&
    pass "a token verifies against the synced JWKS" || fail "a token verifies against the synced JWKS"
jq -e '.keys[0] | has("d") | not' "$H/jwks.json" >/dev/null &&
    pass "... which holds public keys only" || fail "... which holds public keys only"
i1=$(ino "$H/jwks.json")
expect "sync again: exit 0" 0 sync_real
[ -z "$out" ] && [ "$(ino "$H/jwks.json")" = "$i1" ] &&
    pass "... nothing changed, nothing rewritten" || fail "... nothing changed, nothing rewritten"

# ---- key rotation (SIGHUP) reaches the host ------------------------------
kid1=$(jq -r '.keys[0].kid' "$H/jwks.json")
nlog=$(grep -c 'reloaded: signing key' "$D/log")
sed -i "s|^signing_key = .*|signing_key = $D/key2.pem\nprevious_keys = $D/key.pem|" "$D/conf"
kill -HUP "$DPID"
i=0; while [ "$(grep -c 'reloaded: signing key' "$D/log")" -le "$nlog" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
expect "sync after a key rotation: exit 0" 0 sync_real
printf '%s\n' "$out" | grep -q "jwks.json: updated (2 keys)" && pass "... 2 keys" || fail "... 2 keys: $out"
[ "$(ino "$H/jwks.json")" != "$i1" ] && pass "... the file was replaced (rename), not rewritten in place" ||
    fail "... the file was replaced (rename), not rewritten in place"
AT2=$(token_for alice 'alice pw')
kid2=$("$J" inspect "$AT2" 2>/dev/null | jq -r .header.kid)
[ "$kid2" != "$kid1" ] && jq -e --arg k "$kid2" '.keys[] | select(.kid == $k)' "$H/jwks.json" >/dev/null &&
    printf '%s\n' "$AT2" | "$J" verify --jwks "$H/jwks.json" --iss "$URL" --aud ssh >/dev/null 2>&1 &&
    printf '%s\n' "$AT" | "$J" verify --jwks "$H/jwks.json" --iss "$URL" --aud ssh >/dev/null 2>&1 &&
    pass "... tokens of the new and the old key verify" || fail "... tokens of the new and the old key verify"

# ---- a revoked token is refused by pam_jwt after the next sync ------------
PAM_SO=$top_builddir/.libs/pam_jwt.so
pam_why=
[ -f "$PAM_SO" ] || pam_why="pam_jwt.so not built"
command -v pamtester >/dev/null 2>&1 || pam_why="pamtester not installed"
ldconfig -p 2>/dev/null | grep -q 'libpam_wrapper\.so ' || pam_why="pam_wrapper not installed"
pam_login() {  # TOKEN
	printf '%s\n' "$1" | LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 \
	    PAM_WRAPPER_SERVICE_DIR="$T/pam.d" pamtester jwt-sync alice authenticate >/dev/null 2>&1
}
if [ -z "$pam_why" ]; then
	mkdir -p "$T/pam.d"
	echo "auth required $PAM_SO jwks=$H/jwks.json issuer=$URL audience=ssh revoked=$H/revoked" >"$T/pam.d/jwt-sync"
	echo "account required pam_permit.so" >>"$T/pam.d/jwt-sync"
	pam_login "$AT2" && pass "pam_jwt accepts the token (synced JWKS, empty revoked list)" ||
	    fail "pam_jwt accepts the token (synced JWKS, empty revoked list)"
fi
JTI=$("$J" inspect "$AT2" 2>/dev/null | jq -r .payload.jti)
curl -fsS -o /dev/null -d client_id=ssh-cli --data-urlencode "token=$AT2" "$URL/revoke" ||
    fail "revoking the access token at the issuer"
expect "sync after a revocation: exit 0" 0 sync_real
printf '%s\n' "$out" | grep -q "revoked: updated (1 revoked)" && grep -q "^$JTI [0-9][0-9]*\$" "$H/revoked" &&
    pass "... the revoked file lists the jti and its exp" || fail "... the revoked file lists the jti: $(cat "$H/revoked")"
if [ -z "$pam_why" ]; then
	pam_login "$AT2" && fail "pam_jwt refuses the revoked token after sync" ||
	    pass "pam_jwt refuses the revoked token after sync"
	pam_login "$AT" && pass "... and still accepts another token" || fail "... and still accepts another token"
else
	skip "pam_jwt accepts the token" "$pam_why"
	skip "pam_jwt refuses the revoked token after sync" "$pam_why"
	skip "... and still accepts another token" "$pam_why"
fi

# ---- --config -----------------------------------------------------------
sed -e "s|^issuer = .*|issuer = $URL|" -e "s|/etc/pam_jwt/|$T/cfg-|" \
    "$top_srcdir/packaging/jwtctl-sync.conf.example" >"$T/sync.conf"
chmod 600 "$T/sync.conf"
expect "sync --config (the shipped example, pointed here): exit 0" 0 "$J" sync --config "$T/sync.conf"
[ -s "$T/cfg-jwks.json" ] && [ -e "$T/cfg-revoked" ] && pass "... both files written" || fail "... both files written"
echo "frobnicate = 1" >>"$T/sync.conf"
expect "sync --config with an unknown key: exit 2" 2 "$J" sync --config "$T/sync.conf"
one_line && printf '%s\n' "$err" | grep -q 'sync.conf:[0-9]*:' && pass "... naming file:line" ||
    { fail "... naming file:line"; show; }
sed -i '$d' "$T/sync.conf"
chmod 620 "$T/sync.conf"
expect "sync --config writable by the group: exit 2" 2 "$J" sync --config "$T/sync.conf"
expect "sync without --jwks-out: exit 2" 2 "$J" sync --issuer "$URL"
expect "sync with an argument: exit 2" 2 "$J" sync --issuer "$URL" --jwks-out "$H/x" extra

# ---- a broken issuer leaves the files untouched ---------------------------
F=$T/fake
mkdir -p "$F"
/usr/bin/python3 "$top_srcdir/tests/tools/fake-issuer.py" "$F" >"$T/fake.port" &
FPID=$!
at_exit "kill $FPID 2>/dev/null"
i=0; while ! grep -q '^port ' "$T/fake.port" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
FURL=http://127.0.0.1:$(sed -n 's/^port //p' "$T/fake.port")
printf '{"issuer":"%s","token_endpoint":"%s/token","jwks_uri":"%s/jwks"}' "$FURL" "$FURL" "$FURL" >"$F/metadata.body"
"$J" keygen --out "$T/other.pem" >/dev/null
"$J" jwks "$T/other.pem" >"$F/jwks.body"           # a valid, different JWKS
echo '{"revoked":[]}' >"$F/revoked.body"
cp -p "$H/jwks.json" "$T/jwks.before"; cp -p "$H/revoked" "$T/revoked.before"
ij=$(ino "$H/jwks.json") ir=$(ino "$H/revoked")
sync_fake() { "$J" sync --issuer "$FURL" --jwks-out "$H/jwks.json" --revoked-out "$H/revoked"; }
untouched() {
	cmp -s "$H/jwks.json" "$T/jwks.before" && cmp -s "$H/revoked" "$T/revoked.before" &&
	    [ "$(ino "$H/jwks.json")" = "$ij" ] && [ "$(ino "$H/revoked")" = "$ir" ] &&
	    [ "$(ls -A "$H" | wc -l)" = 2 ]
}
broken() {  # NAME RC: sync_fake must exit RC with one line and touch nothing
	run sync_fake
	if [ "$rc" = "$2" ] && one_line && untouched; then pass "broken issuer: $1: exit $2, files untouched"
	else fail "broken issuer: $1: exit $2, files untouched"; show; fi
}
printf '{"keys":[]}' >"$F/jwks.body";                                       broken "empty JWKS" 4
printf '{"keys":[' >"$F/jwks.body";                                         broken "JWKS not JSON" 4
printf '<html>oops</html>' >"$F/jwks.body";                                 broken "JWKS is HTML" 4
"$J" keygen --format jwk --out "$T/priv.jwk" >/dev/null
printf '{"keys":[%s]}' "$(cat "$T/priv.jwk")" >"$F/jwks.body";              broken "JWKS with a private key" 4
"$J" keygen --alg HS256 --out "$T/hs.jwk" >/dev/null
printf '{"keys":[%s]}' "$(cat "$T/hs.jwk")" >"$F/jwks.body";                broken "JWKS with an HMAC secret" 4
"$J" jwks "$T/other.pem" >"$F/jwks.body"
echo 500 >"$F/jwks.status";                                                 broken "JWKS HTTP 500" 4
echo 302 >"$F/jwks.status"; echo "http://127.0.0.1:1/x" >"$F/jwks.location"; broken "JWKS redirect" 4
rm -f "$F/jwks.status" "$F/jwks.location"
head -c 1100000 /dev/zero | tr '\0' ' ' >"$F/jwks.big"
{ printf '{"keys":['; cat "$F/jwks.big"; printf ']}'; } >"$F/jwks.body";    broken "JWKS over 1 MiB" 4
"$J" jwks "$T/other.pem" >"$F/jwks.body"
printf '{"revoked":[{"jti":"a b","exp":1}]}' >"$F/revoked.body";            broken "revoked: a jti with a space" 4
printf '{"revoked":[{"jti":"abc","exp":"soon"}]}' >"$F/revoked.body";       broken "revoked: exp not a number" 4
printf '{"revoked":{}}' >"$F/revoked.body";                                 broken "revoked: not a list" 4
rm -f "$F/revoked.body";                                                    broken "no GET /revoked (404)" 4
echo '{"revoked":[]}' >"$F/revoked.body"
printf '{"issuer":"http://127.0.0.1:1","jwks_uri":"%s/jwks","token_endpoint":"x"}' "$FURL" >"$F/metadata.body"
                                                                            broken "metadata of another issuer" 4
printf '{"issuer":"%s","token_endpoint":"%s/token","jwks_uri":"http://192.0.2.1/jwks"}' "$FURL" "$FURL" >"$F/metadata.body"
                                                                            broken "jwks_uri http:// off-host" 4
printf '{"issuer":"%s","token_endpoint":"%s/token","jwks_uri":"%s/jwks"}' "$FURL" "$FURL" "$FURL" >"$F/metadata.body"
# A jti longer than pam_jwt lists (255) is left out with a warning, not
# written (pam_jwt would refuse the whole file) and not fatal (the rest of
# the revocations must still arrive).
LJ=$(head -c 300 /dev/zero | tr '\0' 'L')
FUT=$(( $(date +%s) + 600 ))
printf '{"revoked":[{"jti":"keep-me-1","exp":%s},{"jti":"%s","exp":%s}]}' "$FUT" "$LJ" "$FUT" >"$F/revoked.body"
run sync_fake
if [ "$rc" = 0 ] && grep -q "^keep-me-1 $FUT\$" "$H/revoked" && ! grep -q LLLL "$H/revoked" &&
    grep -q 'left out' "$TMPDIR_T/err"; then
	pass "revoked: a jti over 255 bytes is left out with a warning, the rest written"
else
	fail "revoked: a jti over 255 bytes is left out with a warning, the rest written"; show
fi
echo '{"revoked":[]}' >"$F/revoked.body"
kill "$FPID"; wait "$FPID" 2>/dev/null
# The files now hold the fake issuer's answer: compare "down" against that.
cp -p "$H/jwks.json" "$T/jwks.before"; cp -p "$H/revoked" "$T/revoked.before"
ij=$(ino "$H/jwks.json") ir=$(ino "$H/revoked")
broken "issuer down" 3
# And the real issuer still works: the files move again.
expect "sync from the real issuer again: exit 0" 0 sync_real

# ---- systemd units --------------------------------------------------------
U=$T/units
mkdir -p "$U"
cp "$top_srcdir/packaging/systemd/jwtctl-sync.service" "$top_srcdir/packaging/systemd/jwtctl-sync.timer" "$U/"
# ExecStart must name an executable that exists here: the built jwtctl.
sed -i "s|/usr/bin/jwtctl |$(readlink -f "$J") |" "$U/jwtctl-sync.service"
grep -q '^ExecStart=/usr/bin/jwtctl sync --config /etc/jwtctl/sync.conf$' \
    "$top_srcdir/packaging/systemd/jwtctl-sync.service" &&
    grep -q '^OnUnitActiveSec=1min$' "$top_srcdir/packaging/systemd/jwtctl-sync.timer" &&
    pass "units: jwtctl sync --config every minute" || fail "units: jwtctl sync --config every minute"
sa_why=
if ! command -v systemd-analyze >/dev/null 2>&1; then
	sa_why="systemd-analyze not installed"
else
	printf '[Service]\nType=oneshot\nExecStart=/bin/true\n' >"$U/pjwt-probe.service"
	systemd-analyze verify --man=no "$U/pjwt-probe.service" >"$T/sa.out" 2>&1 ||
	    sa_why="systemd-analyze verify cannot run here: $(head -1 "$T/sa.out")"
	rm -f "$U/pjwt-probe.service"
fi
if [ -z "$sa_why" ]; then
	(cd "$U" && systemd-analyze verify --man=no jwtctl-sync.service jwtctl-sync.timer) >"$T/sa.out" 2>&1 &&
	    [ ! -s "$T/sa.out" ] && pass "systemd-analyze verify: both units clean" ||
	    { fail "systemd-analyze verify: both units clean"; sed 's/^/#   /' "$T/sa.out"; }
else
	diag "$sa_why"
	skip "systemd-analyze verify: both units clean" "$sa_why"
fi

done_testing
