#!/bin/sh
# valgrind.sh: a short run under valgrind (memcheck): every endpoint, a
# reload, SIGTERM; no invalid access, no definite or indirect leak.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib-daemon.sh"
command -v valgrind >/dev/null || plan_skip "valgrind not installed"

daemon_setup
DAEMON_WRAPPER="valgrind -q --vgdb=no --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --log-file=$D/vg.%p"
START_TRIES=600 daemon_start || { plan 1; fail "daemon start under valgrind"; done_testing; }

ok "client_credentials" sh -c "curl -fsS -u 'svc:$SECRET' -d grant_type=client_credentials '$URL/token' | grep -q access_token"
r=$(tok_pw alice 'alice pw')
ok "password grant" sh -c "printf '%s' '$r' | grep -q refresh_token"
RT=$(printf '%s' "$r" | json refresh_token)
AT=$(printf '%s' "$r" | json access_token)
r=$(curl -sS -d grant_type=refresh_token -d client_id=ssh-cli -d "refresh_token=$RT" "$URL/token")
ok "refresh grant" sh -c "printf '%s' '$r' | grep -q refresh_token"
r=$(curl -sS -d grant_type=refresh_token -d client_id=ssh-cli -d "refresh_token=$RT" "$URL/token")
ok "reuse detected" sh -c "printf '%s' '$r' | grep -q invalid_grant"
ok "introspect" sh -c "curl -fsS -u rs:rs-secret -d 'token=$AT' '$URL/introspect' | grep -q '\"active\":true'"
ok "revoke" curl -fsS -d client_id=ssh-cli -d "token=$AT" "$URL/revoke"
ok "jwks" curl -fsS -o /dev/null "$URL/.well-known/jwks.json"
ok "metadata" curl -fsS -o /dev/null "$URL/.well-known/openid-configuration"
post /token -d 'a=%zz' >/dev/null
post /nope >/dev/null
head -c 20000 /dev/zero | tr '\0' a | curl -s -o /dev/null --data-binary @- "$URL/token"
kill -HUP "$DPID"
sleep 1
printf '[bogus]\n' >>"$D/conf"
kill -HUP "$DPID"
sleep 1
ok "still serving after reloads" curl -fsS -o /dev/null "$URL/healthz"
daemon_stop; rc=$?
ok "exit 0 under valgrind (no errors, no leaks)" [ "$rc" = 0 ]
for f in "$D"/vg.*; do
	[ -s "$f" ] && { diag "valgrind report $f:"; sed 's/^/#   /' "$f" | head -60; }
done
done_testing
