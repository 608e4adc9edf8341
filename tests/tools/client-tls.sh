#!/bin/sh
# client-tls.sh - jwt-issuerd serving https (tls_cert/tls_key) with a test CA
# and server certificate made here with openssl; jwtctl login, token and
# sync over it with --cacert; the system store alone, a wrong CA and a name
# the certificate does not cover are refused (exit 3), before any password
# is sent.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib-daemon.sh"
. "$top_srcdir/tests/tools/client-lib.sh"

client_env
T=$TMPDIR_T
J=$JWTCTL
P=$T/pki
mkdir -p "$P"

# mkca NAME: a self-signed P-256 CA.  mkcert CA NAME SAN: a server
# certificate signed by it.
mkca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$P/$1.key" -out "$P/$1.pem" -days 2 -subj "/CN=pam-jwt test $1" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
mkcert() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$P/$2.key" -out "$P/$2.csr" -subj "/CN=$2" 2>/dev/null &&
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$3" >"$P/$2.ext" &&
	openssl x509 -req -in "$P/$2.csr" -CA "$P/$1.pem" -CAkey "$P/$1.key" \
	    -CAcreateserial -days 2 -extfile "$P/$2.ext" -out "$P/$2.pem" 2>/dev/null
}
mkca ca && mkca otherca && mkcert ca server IP:127.0.0.1 ||
    plan_skip "openssl cannot make the test certificates"

daemon_setup
URL=https://127.0.0.1:$PORT
daemon_write_conf
sed -i "/^\[http\]/a tls_cert = $P/server.pem\ntls_key = $P/server.key" "$D/conf"
chmod 644 "$P/server.pem"
chmod 600 "$P/server.key"
chmod 711 "$P"
if [ -n "$RUN_AS" ]; then
	chgrp "$RUN_GROUP" "$P/server.key" && chmod 640 "$P/server.key"
fi
# The readiness probe (curl) trusts the test CA; jwtctl never reads this.
export CURL_CA_BUNDLE="$P/ca.pem"
daemon_start || {
	grep -qi 'without TLS' "$D/log" && plan_skip "libmicrohttpd without TLS"
	echo "1..0 # SKIP jwt-issuerd did not start with TLS"; exit 0
}
unset CURL_CA_BUNDLE

login() {  # extra jwtctl options...
	echo 'alice pw' | "$J" login --issuer "$URL" --user alice --password-stdin "$@"
}

expect "https, system store only: exit 3" 3 login
one_line && printf '%s\n' "$err" | grep -q 'not trusted' &&
    pass "... one line: the certificate is not trusted" || { fail "... one line: not trusted"; show; }
[ -z "$(cache_file)" ] && pass "... nothing cached" || fail "... nothing cached"
expect "https, --cacert of another CA: exit 3" 3 login --cacert "$P/otherca.pem"
one_line && pass "... one line" || { fail "... one line"; show; }
expect "https, --cacert that is not a certificate: exit 2" 2 login --cacert "$D/conf"
expect "https, --cacert missing: exit 2" 2 login --cacert "$P/missing.pem"
expect "https to localhost (not in the certificate): exit 3" 3 sh -c \
    "echo 'alice pw' | '$J' login --issuer https://localhost:$PORT --user alice --password-stdin --cacert '$P/ca.pem'"
expect "http:// to the https port: not an issuer (exit 3 or 4)" 3 sh -c \
    "echo 'alice pw' | '$J' login --issuer http://127.0.0.1:$PORT --user alice --password-stdin; r=\$?; [ \$r = 4 ] && exit 3; exit \$r"

expect "https with --cacert: login exit 0" 0 login --cacert "$P/ca.pem"
[ "$(cache_get token_endpoint)" = "$URL/token" ] && [ "$(cache_get cacert)" = "$P/ca.pem" ] &&
    pass "... cache: https endpoints, the CA remembered" || fail "... cache: https endpoints, the CA remembered"
expect "token over https (cached CA): exit 0" 0 "$J" token --issuer "$URL" --user alice
AT1=$out
cache_set expires_at "$(($(date +%s) - 10))"
expect "token refresh over https with the remembered CA" 0 "$J" token --issuer "$URL" --user alice
[ -n "$out" ] && [ "$out" != "$AT1" ] && pass "... a new token" || fail "... a new token"
cache_set expires_at "$(($(date +%s) - 10))"
expect "token refresh with --cacert of another CA: exit 3" 3 "$J" token --issuer "$URL" --user alice --cacert "$P/otherca.pem"
expect "sync over https with --cacert" 0 "$J" sync --issuer "$URL" --jwks-out "$T/jwks.json" --cacert "$P/ca.pem"
[ "$(jq '.keys | length' "$T/jwks.json")" = 1 ] && pass "... the JWKS written" || fail "... the JWKS written"
expect "sync over https without the CA: exit 3" 3 "$J" sync --issuer "$URL" --jwks-out "$T/jwks2.json"
[ ! -e "$T/jwks2.json" ] && pass "... nothing written" || fail "... nothing written"
expect "logout over https" 0 "$J" logout --issuer "$URL" --user alice

done_testing
