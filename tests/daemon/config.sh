#!/bin/sh
# config.sh: strict configuration: every error stops start-up with FILE:LINE;
# key files with loose permissions are refused like sshd does.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib-daemon.sh"

daemon_setup
cp "$D/conf" "$D/good"

# bad NAME EXPECTED-MESSAGE-REGEX: jwt-issuerd -t on $D/conf must exit 1 and
# print the message; then restore the good config.
bad() {
	local name=$1 re=$2 rc
	"$ISSUERD" -t -c "$D/conf" >"$TMPDIR_T/out" 2>&1; rc=$?
	if [ $rc = 1 ] && grep -Eq -- "$re" "$TMPDIR_T/out"; then pass "$name"
	else fail "$name (exit $rc)"; sed 's/^/#   /' "$TMPDIR_T/out"; fi
	cp "$D/good" "$D/conf"; chmod 644 "$D/conf"
}
# edit SED-SCRIPT: apply to the config.
edit() { sed -i "$1" "$D/conf"; }
# line N: the line number of the first line matching RE in the config.
line() { grep -n -- "$1" "$D/conf" | head -1 | cut -d: -f1; }

ok "good config passes --check" "$ISSUERD" -t -c "$D/conf"

edit '/^access_token_ttl/a ttl = 5'
bad "unknown key names file:line" "^<3>$D/conf:$(line '^ttl'): unknown key \"ttl\" in \[issuer\]"
edit 's/^\[password\]/[passwd]/'
bad "unknown section" "conf:$(line passwd): unknown section \[passwd\]"
printf '[extra]\n' >>"$D/conf"
bad "unknown empty section" "conf:$(line extra): unknown section \[extra\]"
printf '[client:bad id]\ngrant_types = password\n' >>"$D/conf"
bad "bad client id" "unknown section \[client:bad id\]"
edit '/^access_token_ttl/a access_token_ttl = 60'
bad "key given twice" "conf:$(grep -n access_token_ttl "$D/conf" | sed -n 2p | cut -d: -f1): \"access_token_ttl\" given twice"
edit 's/^access_token_ttl = .*/access_token_ttl = 5m/'
bad "non-numeric value" "conf:$(line access_token_ttl): access_token_ttl: expected an integer"
edit 's/^connection_timeout = .*/connection_timeout = 0/'
bad "connection_timeout 0 (no timeout) refused" "connection_timeout: expected an integer from 1"
edit 's/^threads = .*/threads = -1/'
bad "negative number" "threads: expected an integer"
edit 's/^backend = file/backend = ldap/'
bad "bad enum value" "backend: expected \"file\" or \"pam\""
edit 's/^audience = ssh/audience =/'
bad "empty value" "\"audience\": empty value"
sed -i '1i stray = 1' "$D/conf"
bad "key outside any section" "conf:1: \"stray\" outside any section"
edit '/^signing_key/a this line has no equals sign'
bad "syntax error" "conf:$(line 'no equals'): syntax error"
edit "s|^issuer = .*|issuer = $URL/|"
bad "issuer with a trailing slash" "issuer: must be an https://"
edit '/^issuer = /d'
bad "issuer is required" "issuer is required"
edit "s|^signing_key = .*|signing_key = key.pem|"
bad "relative key path" "signing_key: must be an absolute path"
edit "s|^signing_key = .*|signing_key = $D/missing.pem|"
bad "missing key file" "missing.pem: No such file"
edit 's/^grant_types = client_credentials$/grant_types = client_credentials implicit/'
bad "unknown grant type" "unknown grant type \"implicit\""
edit '/^secret_hash = \$6/d'
bad "client_credentials needs a secret" "\[client:rs\] client_credentials needs secret_hash"
edit 's/^default_scope = ssh/default_scope = root/'
bad "default_scope outside scopes" "default_scope is not a subset"
edit 's/^secret_hash = \$y\$.*/secret_hash = plaintext/'
bad "secret_hash that is not a crypt hash" "secret_hash: not a usable crypt"
edit "s/^secret_hash = \\\$y\\\$.*/secret_hash = $(printf 'ab%s' 'cdefghijk')/"
bad "DES secret_hash refused (legacy)" "secret_hash: not a usable crypt"
edit "s/^scopes = ssh sudo/scopes = ssh \"sudo\"/"
bad "scope with a quote" "scopes: not a list of scope tokens"
edit "/^\[http\]/a listen_backlog = $(head -c 200 /dev/zero | tr '\0' 9)"
bad "over-long line" "conf:$(line listen_backlog): line too long"
edit 's/^key_alg.*//; /^signing_key/a key_alg = HS256'
bad "HMAC key_alg refused" "key_alg: HMAC keys cannot be published"
edit 's/^user = .*//; /^signing_key/a previous_keys = RS999:/x.pem'
bad "previous key with an unknown alg" "previous_keys: unknown algorithm \"RS999\""

# File permissions, as sshd
chmod 664 "$D/conf"
bad "group-writable config refused" "conf: bad_permissions"
chmod g+w "$D/key.pem"
bad "group-writable key refused" "key.pem: bad_permissions"
chmod 640 "$D/key.pem"
chmod o+r "$D/key.pem"
bad "world-readable private key refused" "key.pem: bad_permissions: private key is readable by others"
chmod o-r "$D/key.pem"
ln -s "$D/key.pem" "$D/link.pem"
edit "s|^signing_key = .*|signing_key = $D/link.pem|"
bad "symlinked key refused" "link.pem: (not_regular_file|Too many levels)"
if [ "$(id -u)" = 0 ]; then
	cp -p "$D/key.pem" "$D/other.pem"; chown nobody "$D/other.pem"
	edit "s|^signing_key = .*|signing_key = $D/other.pem|"
	bad "key owned by another user refused" "other.pem: bad_owner"
	edit '/^user = /d'
	"$ISSUERD" -c "$D/conf" >"$TMPDIR_T/out" 2>&1; rc=$?
	ok "root without user= refuses to serve" sh -c "[ $rc = 1 ] && grep -q 'refusing to serve as root' '$TMPDIR_T/out'"
	cp "$D/good" "$D/conf"
else
	skip "key owned by another user refused" "needs root"
	skip "root without user= refuses to serve" "needs root"
fi
openssl genpkey -algorithm ed25519 -out "$D/pub-src.pem" 2>/dev/null
openssl pkey -in "$D/pub-src.pem" -pubout -out "$D/pub.pem" 2>/dev/null
chmod 600 "$D/pub.pem"; [ -n "$RUN_AS" ] && chgrp "$RUN_GROUP" "$D/pub.pem"
edit "s|^signing_key = .*|signing_key = $D/pub.pem|"
bad "public key as signing_key refused" "signing_key must be a private key"
edit "/^signing_key/a previous_keys = $D/key.pem"
bad "signing key listed again in previous_keys" "duplicate_kid"

# The real start-up fails the same way as --check (exit 1, file:line).
edit '/^access_token_ttl/a bogus = 1'
"$ISSUERD" -c "$D/conf" >"$TMPDIR_T/out" 2>&1; rc=$?
ok "start-up with a bad config exits 1 naming file:line" sh -c \
    "[ $rc = 1 ] && grep -q 'conf:$(line bogus): unknown key' '$TMPDIR_T/out'"
cp "$D/good" "$D/conf"

# Other key types; the token size budget
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out "$D/rsa.pem" 2>/dev/null
chmod 600 "$D/rsa.pem"; [ -n "$RUN_AS" ] && { chgrp "$RUN_GROUP" "$D/rsa.pem"; chmod 640 "$D/rsa.pem"; }
edit "s|^signing_key = .*|signing_key = $D/rsa.pem|; /^signing_key/a key_alg = PS256"
"$ISSUERD" -t -c "$D/conf" >"$TMPDIR_T/out" 2>&1; rc=$?
ok "RSA-4096 PS256 key loads" sh -c "[ $rc = 0 ] && grep -q 'alg=PS256' '$TMPDIR_T/out'"
ok "RSA-4096: warning about tokens over 1023 characters" grep -q '^<4>client .*over the 1023' "$TMPDIR_T/out"
cp "$D/good" "$D/conf"
"$ISSUERD" -t -c "$D/conf" >"$TMPDIR_T/out" 2>&1
ok "EdDSA default: no size warning" sh -c "! grep -q 'over the' '$TMPDIR_T/out'"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/ec.pem" 2>/dev/null
chmod 600 "$D/ec.pem"; [ -n "$RUN_AS" ] && { chgrp "$RUN_GROUP" "$D/ec.pem"; chmod 640 "$D/ec.pem"; }
edit "s|^signing_key = .*|signing_key = $D/ec.pem|; /^signing_key/a previous_keys = $D/key.pem $D/key2.pem"
"$ISSUERD" -t -c "$D/conf" >"$TMPDIR_T/out" 2>&1; rc=$?
ok "ES256 signing key with two previous keys" sh -c "[ $rc = 0 ] && grep -q 'alg=ES256, 3 key' '$TMPDIR_T/out'"
expect_rc "usage error exits 2" 2 "$ISSUERD" --bogus

# -t checks the users file exactly as a start and a reload do (issue 9
# item 9): a file others can read, a FIFO, a missing one.
chmod o+r "$D/users"
bad "-t: users file readable by others refused" "users file $D/users: readable by others"
chmod o-r "$D/users"
mv "$D/users" "$D/users.real"
mkfifo "$D/users"
bad "-t: a FIFO as users file refused (no hang)" "cannot read users file $D/users"
rm -f "$D/users"
bad "-t: missing users file refused" "cannot read users file $D/users"
mv "$D/users.real" "$D/users"
printf 'Bad:line\n' >>"$D/users"
bad "-t: a bad users-file line names file:line" "$D/users:3: "
sed -i '$d' "$D/users"
ok "-t passes again with the good users file" "$ISSUERD" -t -c "$D/conf"

# Admin feedback: root checking files the service user owns is told how.
if [ "$(id -u)" = 0 ]; then
	cp -p "$D/conf" "$D/conf.nobody"; chown nobody "$D/conf.nobody"
	"$ISSUERD" -t -c "$D/conf.nobody" >"$TMPDIR_T/out" 2>&1; rc=$?
	ok "root -t on a config the service user owns: exit 1 naming the fix" sh -c \
	    "[ $rc = 1 ] && grep -q 'bad_owner' '$TMPDIR_T/out' && grep -q 'owned by uid [0-9]* (nobody)' '$TMPDIR_T/out' && grep -q 'runuser -u nobody -- jwt-issuerd -t -c $D/conf.nobody' '$TMPDIR_T/out'" \
	    || sed 's/^/#   /' "$TMPDIR_T/out"
	# -t refuses what a start as root refuses: no user=, an unknown user=.
	edit '/^user = /d'
	bad "root -t without user= refused like a start" "refusing to serve as root: set user="
	edit "s/^user = .*/user = no-such-user-pjwt/"
	bad "root -t with an unknown user= refused like a start" "user=no-such-user-pjwt: no such user"
else
	skip "root -t on a config the service user owns: exit 1 naming the fix" "needs root"
	skip "root -t without user= refused like a start" "needs root"
	skip "root -t with an unknown user= refused like a start" "needs root"
fi
done_testing
