#!/bin/sh
# tls.sh: HTTPS with tls_cert/tls_key (libmicrohttpd's TLS): tokens over TLS,
# plain HTTP refused on the TLS port, a world-readable TLS key refused.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib-daemon.sh"

daemon_setup
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$D/tls.key" -out "$D/tls.crt" 2>/dev/null || plan_skip "openssl cannot make a certificate"
chmod 600 "$D/tls.key"; chmod 644 "$D/tls.crt"
[ -n "$RUN_AS" ] && { chgrp "$RUN_GROUP" "$D/tls.key"; chmod 640 "$D/tls.key"; }
sed -i "s|^\[http\]|[http]\ntls_cert = $D/tls.crt\ntls_key = $D/tls.key|" "$D/conf"
URL=https://127.0.0.1:$PORT
# daemon_start polls with plain curl: give it the CA.
curl() { command curl --cacert "$D/tls.crt" "$@"; }
if ! daemon_start; then
	grep -q 'without TLS' "$D/log" && plan_skip "libmicrohttpd built without TLS"
	plan 1; fail "daemon start with TLS"; done_testing
fi
ok "healthz over HTTPS" curl -fsS -o /dev/null "$URL/healthz"
r=$(tok_cc)
ok "client_credentials over HTTPS" sh -c "printf '%s' '$r' | grep -q access_token"
r=$(tok_pw alice 'alice pw')
ok "password grant over HTTPS" sh -c "printf '%s' '$r' | grep -q refresh_token"
ok "plain HTTP on the TLS port gets no token" sh -c "! command curl -fsS -m 5 -u 'svc:$SECRET' -d grant_type=client_credentials 'http://127.0.0.1:$PORT/token'"
ok "an untrusted client refuses the certificate (sanity)" sh -c "! command curl -fsS -m 5 '$URL/healthz'"
daemon_stop; rc=$?
ok "exit 0" [ "$rc" = 0 ]
chmod o+r "$D/tls.key"
"$ISSUERD" -t -c "$D/conf" >"$TMPDIR_T/out" 2>&1; rc=$?
ok "world-readable TLS key refused" sh -c "[ $rc = 1 ] && grep -q 'tls.key: bad_permissions' '$TMPDIR_T/out'"
done_testing
