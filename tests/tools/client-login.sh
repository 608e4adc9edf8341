#!/bin/sh
# client-login.sh - jwtctl login, token, ssh (askpass, with a stand-in ssh),
# logout and passwd against a real jwt-issuerd on loopback: the cache
# (modes, content), refresh near expiry with rotation, concurrent `token`
# runs, logout revoking at the issuer, settings, and every exit status.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib-daemon.sh"
. "$top_srcdir/tests/tools/client-lib.sh"

client_env
# TTL 40 s: a fresh token is outside jwtctl's 30 s refresh margin (with room
# for a slow machine), and inside it 11 s later.
MAX_FAILURES=100 daemon_setup "revoked_file = $D/state/revoked"
sed -i 's/^access_token_ttl = .*/access_token_ttl = 40/' "$D/conf"
daemon_start || { echo "1..0 # SKIP jwt-issuerd did not start"; exit 0; }
curl -fsS "$URL/.well-known/jwks.json" >"$TMPDIR_T/jwks.json"
T=$TMPDIR_T
J=$JWTCTL

verify() {  # TOKEN: valid for alice at this issuer
	printf '%s\n' "$1" | "$J" verify --jwks "$T/jwks.json" --iss "$URL" \
	    --aud ssh --sub "${2:-alice}" >/dev/null 2>&1
}
now() { date +%s; }

# ---- help ---------------------------------------------------------------
run "$J" --help
for c in passwd login token ssh logout sync; do
	printf '%s\n' "$out" | grep -q "^  $c " || fail "--help lists $c"
done
printf '%s\n' "$out" | grep -q '3 the issuer cannot be reached' &&
    printf '%s\n' "$out" | grep -q '4 the issuer answered with an error' &&
    pass "--help lists every command and exit statuses 3 and 4" ||
    fail "--help lists every command and exit statuses 3 and 4"
opts_login="--issuer --user --client-id --scope --password-stdin --cacert --insecure-http --help"
opts_token="--issuer --user --cacert --insecure-http --help"
opts_ssh="--issuer --user --help"
opts_logout="--issuer --user --cacert --insecure-http --help"
opts_sync="--config --issuer --jwks-out --revoked-out --cacert --insecure-http --help"
for c in login token ssh logout sync; do
	run "$J" help "$c"; h1=$out
	run "$J" "$c" --help
	missing=
	eval "opts=\$opts_$c"
	for o in $opts; do
		printf '%s\n' "$out" | grep -q -- "$o" || missing="$missing $o"
	done
	if [ "$rc" = 0 ] && [ "$h1" = "$out" ] && [ -z "$missing" ] &&
	    printf '%s\n' "$out" | grep -q '^Exit status: 0 success; 1 the issuer refused'; then
		pass "$c --help: every option, the exit statuses"
	else
		fail "$c --help: every option, the exit statuses (missing:$missing)"
	fi
done
run "$J" help passwd
[ "$rc" = 0 ] && printf '%s\n' "$out" | grep -q -- '--password-stdin' &&
    pass "help passwd" || fail "help passwd"

# ---- login --------------------------------------------------------------
expect "login: no issuer anywhere: exit 2" 2 sh -c "echo x | '$J' login --password-stdin"
expect "login: empty password on stdin: exit 2" 2 sh -c ": | '$J' login --issuer '$URL' --user alice --password-stdin"
if command -v setsid >/dev/null 2>&1; then
	expect "login: no terminal and no --password-stdin: exit 2" 2 \
	    setsid -w "$J" login --issuer "$URL" --user alice </dev/null
	printf '%s\n' "$err" | grep -q 'password-stdin' &&
	    pass "... and says to use --password-stdin" || fail "... and says to use --password-stdin"
else
	skip "login: no terminal" "setsid missing"; skip "... message" "setsid missing"
fi
expect "login: wrong password: exit 1" 1 sh -c "echo wrong | '$J' login --issuer '$URL' --user alice --password-stdin"
one_line && printf '%s\n' "$err" | grep -q invalid_grant &&
    pass "... one line naming invalid_grant" || { fail "... one line naming invalid_grant"; show; }
[ -z "$(cache_file)" ] && pass "... and nothing is cached" || fail "... and nothing is cached"
expect "login: unknown client: exit 4" 4 sh -c "echo 'alice pw' | '$J' login --issuer '$URL' --user alice --client-id nosuch --password-stdin"
expect "login: unknown scope: exit 4" 4 sh -c "echo 'alice pw' | '$J' login --issuer '$URL' --user alice --scope nosuch --password-stdin"

expect "login --password-stdin: exit 0" 0 sh -c "printf 'alice pw\n' | '$J' login --issuer '$URL' --user alice --password-stdin"
printf '%s\n' "$out" | grep -q '^Logged in as alice at ' && pass "... says so" || fail "... says so"
CF=$(cache_file)
[ -n "$CF" ] && [ "$(mode_of "$XDG_CACHE_HOME/jwtctl")" = 700 ] &&
    [ "$(mode_of "$CF")" = 600 ] && pass "cache: directory 0700, file 0600" ||
    fail "cache: directory 0700, file 0600 ($(ls -la "$XDG_CACHE_HOME/jwtctl" 2>&1 | tr '\n' ' '))"
want=$(printf '%s\n%s' "$URL" alice | sha256sum | cut -d' ' -f1)
[ "$(basename "$CF")" = "$want.json" ] && pass "cache: file named by SHA-256(issuer, user)" ||
    fail "cache: file named by SHA-256(issuer, user): $(basename "$CF")"
[ "$(cache_get issuer)" = "$URL" ] && [ "$(cache_get user)" = alice ] &&
    [ "$(cache_get token_endpoint)" = "$URL/token" ] &&
    [ "$(cache_get revocation_endpoint)" = "$URL/revoke" ] &&
    pass "cache: issuer, user and endpoints" || fail "cache: issuer, user and endpoints"
AT1=$(cache_get access_token) RT1=$(cache_get refresh_token)
verify "$AT1" && [ -n "$RT1" ] && pass "cache: a valid access token and a refresh token" ||
    fail "cache: a valid access token and a refresh token"
exp=$(cache_get expires_at)
[ "$exp" -ge $(($(now) + 25)) ] && [ "$exp" -le $(($(now) + 41)) ] &&
    pass "cache: expires_at = now + expires_in" || fail "cache: expires_at $exp"
! grep -q 'alice pw' "$CF" && pass "cache: no password" || fail "cache: no password"

# ---- token --------------------------------------------------------------
expect "token: exit 0" 0 "$J" token --issuer "$URL" --user alice
[ "$out" = "$AT1" ] && [ -z "$err" ] && pass "... prints the cached token, nothing else" ||
    fail "... prints the cached token, nothing else"
[ "$(cache_get refresh_token)" = "$RT1" ] && pass "... without refreshing (40 s left)" ||
    fail "... without refreshing (40 s left)"
expect "token: the one cached login, no --issuer" 0 "$J" token
[ "$out" = "$AT1" ] && pass "... same token" || fail "... same token"
sleep 11
expect "token inside the 30 s margin: exit 0" 0 "$J" token --issuer "$URL" --user alice
AT2=$out RT2=$(cache_get refresh_token)
[ "$AT2" != "$AT1" ] && verify "$AT2" && pass "... a new, valid access token" ||
    fail "... a new, valid access token"
[ -n "$RT2" ] && [ "$RT2" != "$RT1" ] && pass "... the refresh token rotated and stored" ||
    fail "... the refresh token rotated and stored"
[ "$(cache_get access_token)" = "$AT2" ] && [ "$(mode_of "$CF")" = 600 ] &&
    pass "... cache rewritten, still 0600" || fail "... cache rewritten, still 0600"
cache_set expires_at "$(($(now) - 10))"
expect "token after expiry: refreshed" 0 "$J" token --issuer "$URL" --user alice
AT3=$out RT3=$(cache_get refresh_token)
[ "$AT3" != "$AT2" ] && [ "$RT3" != "$RT2" ] && verify "$AT3" &&
    pass "... new access and refresh tokens" || fail "... new access and refresh tokens"

# Concurrent runs: one refreshes, the others wait for the lock and find the
# new token.  A second refresh with the same refresh token would be reuse,
# and the issuer would revoke the family.
cache_set expires_at "$(($(now) - 10))"
pids=
for i in 1 2 3 4; do
	"$J" token --issuer "$URL" --user alice >"$T/c$i.out" 2>"$T/c$i.err" &
	pids="$pids $!"
done
allok=1
for p in $pids; do wait "$p" || allok=0; done
[ "$allok" = 1 ] && pass "4 concurrent token runs: all exit 0" ||
    { fail "4 concurrent token runs: all exit 0"; cat "$T"/c?.err | sed 's/^/#   /'; }
[ "$(cat "$T"/c?.out | sort -u | wc -l)" = 1 ] && verify "$(cat "$T/c1.out")" &&
    pass "... all print the same valid token (one refresh)" ||
    fail "... all print the same valid token (one refresh)"
RT4=$(cache_get refresh_token)
[ "$RT4" != "$RT3" ] && pass "... one new refresh token stored" || fail "... one new refresh token stored"
cache_set expires_at "$(($(now) - 10))"
expect "... and it still works (no reuse detected)" 0 "$J" token --issuer "$URL" --user alice
RT5=$(cache_get refresh_token)

# Reuse of a rotated refresh token revokes the family: token must say so.
[ "$(refresh_with "$RT1")" = 400 ] && pass "the first (rotated) refresh token is refused" ||
    fail "the first (rotated) refresh token is refused"
cache_set expires_at "$(($(now) - 10))"
expect "token after the family was revoked: exit 1" 1 "$J" token --issuer "$URL" --user alice
printf '%s\n' "$err" | grep -q 'run jwtctl login' && pass '... "run jwtctl login"' ||
    { fail '... "run jwtctl login"'; show; }

# ---- settings -----------------------------------------------------------
echo 'alice pw' | "$J" login --issuer "$URL" --user alice --password-stdin >/dev/null 2>&1
mkdir -p "$XDG_CONFIG_HOME/jwtctl"
printf '# jwtctl\nissuer = %s\nuser = alice\n' "$URL" >"$XDG_CONFIG_HOME/jwtctl/config"
expect "token: issuer and user from ~/.config/jwtctl/config" 0 "$J" token
verify "$out" && pass "... a valid token" || fail "... a valid token"
printf 'issuer = %s\nfrobnicate = 1\n' "$URL" >"$XDG_CONFIG_HOME/jwtctl/config"
expect "config: unknown key: exit 2" 2 "$J" token
one_line && printf '%s\n' "$err" | grep -q 'config:2:' && pass "... naming file:line" ||
    { fail "... naming file:line"; show; }
rm -f "$XDG_CONFIG_HOME/jwtctl/config"
expect "token: issuer from JWTCTL_ISSUER" 0 env JWTCTL_ISSUER="$URL" JWTCTL_USER=alice "$J" token
expect "token: another user: exit 1" 1 "$J" token --issuer "$URL" --user bob
printf '%s\n' "$err" | grep -q 'run jwtctl login' && pass '... "run jwtctl login"' || fail '... "run jwtctl login"'
chmod 750 "$XDG_CACHE_HOME/jwtctl"
expect "token: cache directory open to the group: exit 2" 2 "$J" token --issuer "$URL" --user alice
one_line && pass "... one line" || fail "... one line"
chmod 700 "$XDG_CACHE_HOME/jwtctl"
chmod 640 "$CF"
expect "token: cache file readable by the group: exit 2" 2 "$J" token --issuer "$URL" --user alice
chmod 600 "$CF"

# ---- transport errors ---------------------------------------------------
start=$(now)
expect "http:// to a non-loopback address: exit 2" 2 sh -c "echo x | '$J' login --issuer http://192.0.2.1 --user alice --password-stdin"
[ $(($(now) - start)) -le 2 ] && one_line &&
    printf '%s\n' "$err" | grep -q 'refusing plain http:// to 192.0.2.1.*--insecure-http' &&
    pass "... at once, before connecting, one line" || { fail "... at once, before connecting, one line"; show; }
expect "sync: http:// to a non-loopback address: exit 2" 2 "$J" sync --issuer http://10.0.0.1:8080 --jwks-out "$T/x.json"
expect "an ftp:// issuer: exit 2" 2 sh -c "echo x | '$J' login --issuer ftp://127.0.0.1/ --user alice --password-stdin"
expect "a URL with user@: exit 2" 2 sh -c "echo x | '$J' login --issuer http://u:p@127.0.0.1:$PORT --user alice --password-stdin"
DEAD=$(free_port)
expect "nothing listening: exit 3" 3 sh -c "echo x | '$J' login --issuer http://127.0.0.1:$DEAD --user alice --password-stdin"
one_line && printf '%s\n' "$err" | grep -q 'cannot connect' && pass "... one line: cannot connect" ||
    { fail "... one line: cannot connect"; show; }
expect "metadata names another issuer: exit 4" 4 sh -c "echo x | '$J' login --issuer http://localhost:$PORT --user alice --password-stdin"
one_line && printf '%s\n' "$err" | grep -q 'metadata names issuer' && pass "... one line" || fail "... one line"
# --insecure-http: this host's own non-loopback address (traffic stays on
# the host; nothing listens there, so the connection is refused).
OWN=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.[0-9.]+$' | grep -v '^127\.' | head -1)
if [ -n "$OWN" ]; then
	expect "--insecure-http to $OWN: allowed (refused by the host: exit 3)" 3 \
	    sh -c "echo x | '$J' login --issuer http://$OWN:$DEAD --user alice --password-stdin --insecure-http"
	head -1 "$T/err" | grep -q 'warning: --insecure-http' && pass "... with a warning" ||
	    { fail "... with a warning"; show; }
else
	skip "--insecure-http to a local non-loopback address" "this host has none"
	skip "... with a warning" "this host has none"
fi

# ---- passwd (tools/passwd.c) through jwtctl ------------------------------
nlog=$(grep -c 'reloaded: signing key' "$D/log")
expect "passwd: add carol" 0 sh -c "echo 'carol pw' | '$J' passwd --file '$D/users' --password-stdin carol"
kill -HUP "$DPID"
i=0; while [ "$(grep -c 'reloaded: signing key' "$D/log")" -le "$nlog" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
expect "login as carol after SIGHUP" 0 sh -c "echo 'carol pw' | '$J' login --issuer '$URL' --user carol --password-stdin"

# ---- ssh (askpass) with a stand-in ssh ----------------------------------
mkdir -p "$T/bin"
cat >"$T/bin/ssh" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >"$T/ssh.args"
printf '%s %s %s\n' "\$SSH_ASKPASS_REQUIRE" "\$SSH_ASKPASS" "\${DISPLAY:-}" >"$T/ssh.env"
"\$SSH_ASKPASS" "alice@127.0.0.1's password: " >"$T/ssh.answer" 2>"$T/ssh.err"; echo \$? >"$T/ssh.rc"
"\$SSH_ASKPASS" "Are you sure you want to continue connecting (yes/no/[fingerprint])? " >"$T/ssh.hostkey" 2>/dev/null; echo \$? >"$T/ssh.hostkey.rc"
SSH_ASKPASS_PROMPT=confirm "\$SSH_ASKPASS" "Allow use of key?" >/dev/null 2>&1; echo \$? >"$T/ssh.confirm.rc"
exit 7
EOF
chmod +x "$T/bin/ssh"
rm -f "$T/ssh.args"
expect "ssh: execs ssh (its exit status)" 7 env PATH="$T/bin:$PATH" "$J" ssh --issuer "$URL" --user alice -p 2222 -o "X=y z" alice@127.0.0.1 true
[ "$(cat "$T/ssh.args")" = "-p 2222 -o X=y z alice@127.0.0.1 true" ] &&
    pass "... ssh gets the other arguments unchanged" || fail "... ssh gets the other arguments: $(cat "$T/ssh.args")"
set -- $(cat "$T/ssh.env")
[ "$1" = force ] && [ "$2" = "$(readlink -f "$J")" ] && [ -n "${3:-}" ] &&
    pass "... SSH_ASKPASS=jwtctl, SSH_ASKPASS_REQUIRE=force, DISPLAY set" ||
    fail "... SSH_ASKPASS=jwtctl, SSH_ASKPASS_REQUIRE=force, DISPLAY set: $(cat "$T/ssh.env")"
[ "$(cat "$T/ssh.rc")" = 0 ] && verify "$(cat "$T/ssh.answer")" &&
    [ "$(wc -l <"$T/ssh.answer")" = 1 ] &&
    pass "... askpass answers the password prompt with a valid token" ||
    { fail "... askpass answers the password prompt with a valid token"; sed 's/^/#   /' "$T/ssh.err"; }
[ "$(cat "$T/ssh.hostkey.rc")" = 1 ] && [ ! -s "$T/ssh.hostkey" ] &&
    pass "... but not a host key question" || fail "... but not a host key question"
[ "$(cat "$T/ssh.confirm.rc")" = 1 ] && pass "... nor a confirmation (SSH_ASKPASS_PROMPT=confirm)" ||
    fail "... nor a confirmation (SSH_ASKPASS_PROMPT=confirm)"
expect "ssh --help" 0 "$J" ssh --help
expect "JWTCTL_ASKPASS=1 does not hijack commands" 0 env JWTCTL_ASKPASS=1 "$J" token --issuer "$URL" --user alice

# ---- logout -------------------------------------------------------------
ATL=$(cache_get access_token) RTL=$(cache_get refresh_token)
JTI=$("$J" inspect "$ATL" 2>/dev/null | jq -r .payload.jti)
expect "logout: exit 0" 0 "$J" logout --issuer "$URL" --user alice
[ ! -e "$CF" ] && pass "... the cache file is gone" || fail "... the cache file is gone"
[ "$(refresh_with "$RTL")" = 400 ] && pass "... the issuer refuses the refresh token" ||
    fail "... the issuer refuses the refresh token"
grep -q "^$JTI " "$D/state/revoked" && pass "... and lists the access token's jti as revoked" ||
    fail "... and lists the access token's jti as revoked"
expect "token after logout: exit 1" 1 "$J" token --issuer "$URL" --user alice
one_line && printf '%s\n' "$err" | grep -q 'run jwtctl login' && pass '... one line: "run jwtctl login"' ||
    { fail '... one line: "run jwtctl login"'; show; }
rm -f "$T/ssh.args"
expect "ssh after logout: exit 1" 1 env PATH="$T/bin:$PATH" "$J" ssh --issuer "$URL" --user alice alice@127.0.0.1
[ ! -e "$T/ssh.args" ] && pass "... without running ssh" || fail "... without running ssh"
expect "logout again: exit 0 (not logged in)" 0 "$J" logout --issuer "$URL" --user alice
printf '%s\n' "$err" | grep -q 'not logged in' && pass "... says so" || fail "... says so"
# logout with the issuer gone: the cache still goes, exit 3.
echo 'carol pw' | "$J" login --issuer "$URL" --user carol --password-stdin >/dev/null 2>&1
daemon_stop
expect "logout with the issuer down: exit 3" 3 "$J" logout --issuer "$URL" --user carol
[ -z "$(cache_file)" ] && pass "... the cache file is deleted anyway" || fail "... the cache file is deleted anyway"

done_testing
