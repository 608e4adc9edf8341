#!/bin/sh
# token-password.sh: jwt-issuerd never hands a JWT-shaped password to a
# password backend.  With backend = pam and pam_jwt first in common-auth, a
# captured access token would otherwise buy a fresh token and refresh family
# for ever.  The users file here holds accounts whose passwords ARE such
# strings, so a backend asked would say yes: every one must be refused
# unchecked, with whitespace padding too (any string pam_jwt would try as
# a token), while near-JWT strings that pam_jwt would never take stay
# ordinary passwords.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib-daemon.sh"

daemon_setup
daemon_start || { plan 1; fail "daemon start"; done_testing; }
at=$(tok_pw alice 'alice pw' | json access_token)
[ -n "$at" ] || fail "no access token for alice"
daemon_stop

H=eyJhbGciOiJFZERTQSIsInR5cCI6ImF0K2p3dCJ9
P=eyJzdWIiOiJtYWxsb3J5In0
S=c2lnbmF0dXJl
# name|password: JWT-shaped, each would be tried as a token by pam_jwt
# (or is one after blanks around it are dropped).
cat >"$TMPDIR_T/shaped" <<EOT
realtok|$at
shaped|$H.$P.$S
ewshaped|ew0KImFsZyI6IkVkRFNBIn0.$P.$S
padded| $H.$P.$S
spaced|$H.$P.$S   
EOT
# Tabs: the form parser refuses control characters before any grant runs;
# the grant's own rule drops them too, should that ever change.
printf 'tabbed|\t\t%s.%s.%s\t\n' "$H" "$P" "$S" >"$TMPDIR_T/tabbed"
# Not JWT-shaped: ordinary passwords, still checked.
cat >"$TMPDIR_T/plain" <<EOT
twoseg|$H.$P
inner|$H.$P .$S
padb64|$H.$P.$S=
EOT
while IFS='|' read -r n p; do
	printf '%s:%s\n' "$n" "$($PY "$top_srcdir/tests/daemon/crypt-hash.py" "$p")" >>"$D/users"
done <"$TMPDIR_T/shaped"
while IFS='|' read -r n p; do
	printf '%s:%s\n' "$n" "$($PY "$top_srcdir/tests/daemon/crypt-hash.py" "$p")" >>"$D/users"
done <"$TMPDIR_T/plain"
while IFS='|' read -r n p; do
	printf '%s:%s\n' "$n" "$($PY "$top_srcdir/tests/daemon/crypt-hash.py" "$p")" >>"$D/users"
done <"$TMPDIR_T/tabbed"
daemon_start || fail "restart with token-shaped passwords"

while IFS='|' read -r n p; do
	r=$(tok_pw "$n" "$p")
	ok "$n: a JWT-shaped password is refused" sh -c "[ '$(printf '%s' "$r" | json error)' = invalid_grant ]"
	ok "$n: ... and not checked by the backend" sh -c "! grep -q 'password grant failed: user=$n ' '$D/log' && ! grep -q 'issued access token: grant=password client=ssh-cli user=$n ' '$D/log'"
	ok "$n: ... logged" grep -q "password grant refused: user=$n .*JWT" "$D/log"
done <"$TMPDIR_T/shaped"
while IFS='|' read -r n p; do
	r=$(tok_pw "$n" "$p")
	ok "$n: a near-JWT string is an ordinary password" sh -c "printf '%s' '$r' | grep -q access_token"
done <"$TMPDIR_T/plain"
while IFS='|' read -r n p; do
	r=$(tok_pw "$n" "$p")
	ok "$n: a tab-padded token is refused" sh -c "printf '%s' '$r' | grep -q error && ! printf '%s' '$r' | grep -q access_token"
	ok "$n: ... and not checked by the backend" sh -c "! grep -q 'user=$n ' '$D/log'"
done <"$TMPDIR_T/tabbed"
# Refused before the lockout: a user pasting a token does not lock himself out.
for i in 1 2 3 4 5 6; do tok_pw alice "$H.$P.$S" >/dev/null; done
r=$(tok_pw alice 'alice pw')
ok "token-shaped attempts do not count as password failures" sh -c "printf '%s' '$r' | grep -q access_token"
ok "no token or password in the log" sh -c "! grep -qF '$S' '$D/log' && ! grep -qF 'alice pw' '$D/log'"
daemon_stop
done_testing
