# tests/daemon/lib-daemon.sh - start and stop jwt-issuerd for a test (sourced
# after tests/lib.sh).  Loopback only; every wait is bounded.
#
#   daemon_setup               keys, users file, config in $D (a scratch dir)
#   daemon_start [ARGS...]     start $ISSUERD -c $D/conf, wait for /healthz
#   daemon_stop                SIGTERM by PID, wait (bounded), then SIGKILL
#   tok_cc / tok_pw USER PW    curl a token (JSON on stdout)
#
# Variables: PORT, URL, D, ISSUERD, PY (/usr/bin/python3: Debian's, which
# has requests, requests-oauthlib and PyJWT), SECRET (the confidential
# client's secret), DPID.

ISSUERD=${ISSUERD:-$top_builddir/jwt-issuerd}
PY=/usr/bin/python3
SECRET=svc-secret-0123456789
D=$TMPDIR_T/d
DPID=

[ -x "$ISSUERD" ] || plan_skip "jwt-issuerd not built"
command -v curl >/dev/null || plan_skip "curl not installed"
command -v openssl >/dev/null || plan_skip "openssl not installed"

# free_port: a TCP port nobody listens on (bind 0, read it back).
free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# When the tests run as root the daemon must drop to an unprivileged user;
# give that user what it needs to read keys and write state.
RUN_AS=
if [ "$(id -u)" = 0 ]; then
	RUN_AS=nobody
	RUN_GROUP=$(id -gn nobody)
fi

# daemon_setup [extra config lines for [issuer]]
daemon_setup() {
	mkdir -p "$D/state"
	chmod 711 "$TMPDIR_T" "$D"
	PORT=${PORT:-$(free_port)}
	URL=http://127.0.0.1:$PORT
	openssl genpkey -algorithm ed25519 -out "$D/key.pem" 2>/dev/null
	openssl genpkey -algorithm ed25519 -out "$D/key2.pem" 2>/dev/null
	chmod 600 "$D/key.pem" "$D/key2.pem"
	printf 'alice:%s\nbob:%s\n' "$($PY "$top_srcdir/tests/daemon/crypt-hash.py" 'alice pw')" \
	    "$($PY "$top_srcdir/tests/daemon/crypt-hash.py" 'bob-pw')" >"$D/users"
	chmod 600 "$D/users"
	SECRET_HASH=$($PY "$top_srcdir/tests/daemon/crypt-hash.py" "$SECRET")
	RS_HASH=$($PY "$top_srcdir/tests/daemon/crypt-hash.py" rs-secret '$6$')
	if [ -n "$RUN_AS" ]; then
		chgrp "$RUN_GROUP" "$D/key.pem" "$D/key2.pem" "$D/users"
		chmod 640 "$D/key.pem" "$D/key2.pem" "$D/users"
		chown "$RUN_AS" "$D/state"
	fi
	daemon_write_conf "$@"
}

daemon_write_conf() {
	{
		echo "[issuer]"
		echo "issuer = $URL"
		echo "signing_key = $D/key.pem"
		echo "state_dir = $D/state"
		echo "access_token_ttl = 300"
		[ -n "$RUN_AS" ] && echo "user = $RUN_AS"
		for l in "$@"; do echo "$l"; done
		echo "[http]"
		echo "listen = 127.0.0.1:$PORT"
		echo "threads = 2"
		echo "connection_timeout = ${CONN_TIMEOUT:-10}"
		echo "connection_limit = ${CONN_LIMIT:-1024}"
		echo "per_ip_connection_limit = ${PER_IP_LIMIT:-64}"
		echo "[password]"
		echo "backend = file"
		echo "users_file = $D/users"
		echo "max_failures = ${MAX_FAILURES:-5}"
		echo "[client:ssh-cli]"
		echo "grant_types = password refresh_token"
		echo "scopes = ssh sudo"
		echo "default_scope = ssh"
		echo "audience = ssh"
		echo "[client:svc]"
		echo "secret_hash = $SECRET_HASH"
		echo "grant_types = client_credentials password refresh_token"
		echo "scopes = api ssh"
		echo "default_scope = api"
		echo "audience = api"
		echo "[client:rs]"
		echo "secret_hash = $RS_HASH"
		echo "grant_types = client_credentials"
		echo "audience = rs"
	} >"$D/conf"
	chmod 644 "$D/conf"
}

# daemon_start [jwt-issuerd args...]: start in the background, wait for it.
daemon_start() {
	local i
	: >"$D/log"
	${DAEMON_WRAPPER:-} "$ISSUERD" -c "$D/conf" "$@" 2>>"$D/log" &
	DPID=$!
	at_exit "kill -KILL $DPID 2>/dev/null"
	for i in $(seq 1 ${START_TRIES:-100}); do
		if curl -fsS -o /dev/null "$URL/healthz" 2>/dev/null; then
			return 0
		fi
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	diag "jwt-issuerd did not come up; log:"
	sed 's/^/#   /' "$D/log" | tail -20
	return 1
}

# daemon_stop: SIGTERM, wait up to 10 s; returns the daemon's exit status.
daemon_stop() {
	local i rc
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	for i in $(seq 1 100); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$DPID" 2>/dev/null; then
		kill -KILL "$DPID"
		wait "$DPID" 2>/dev/null
		DPID=
		return 99
	fi
	wait "$DPID"; rc=$?
	DPID=
	return $rc
}

# post PATH ARGS...: curl POST; prints "STATUS BODY" to stdout.
post() {
	local path=$1; shift
	curl -sS -o "$TMPDIR_T/body" -w '%{http_code}' -X POST "$@" "$URL$path" >"$TMPDIR_T/code" 2>/dev/null
	printf '%s %s\n' "$(cat "$TMPDIR_T/code")" "$(cat "$TMPDIR_T/body")"
}

# json FIELD: read JSON on stdin, print one top-level field ("" if absent).
json() {
	$PY -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1], ""); print(v if not isinstance(v,(dict,list,bool)) else json.dumps(v))' "$1"
}

tok_cc() {
	curl -sS -u "svc:$SECRET" -d grant_type=client_credentials "$@" "$URL/token"
}

tok_pw() {
	curl -sS -d grant_type=password -d client_id=ssh-cli \
	    --data-urlencode "username=$1" --data-urlencode "password=$2" "$URL/token"
}
