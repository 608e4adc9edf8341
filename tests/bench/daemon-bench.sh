#!/usr/bin/env bash
# tests/bench/daemon-bench.sh BUILD_DIR - wrk against jwt-issuerd on loopback:
# POST /token with client_credentials, refresh_token and password (file
# backend) grants, and GET /.well-known/jwks.json.  Prints requests/s,
# p50/p99 latency and the daemon's peak RSS for each.
#
# Environment: PJWT_BENCH_SECONDS (seconds per run, default 5; at least 2),
# PJWT_BENCH_CONNECTIONS (default 32).  wrk runs on the same machine as the
# daemon, so the numbers are a floor; the load average is printed with them.
# Targets (2 cores): client_credentials >= 10,000 tokens/s with EdDSA;
# password limited by the hash cost times the cores.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
issuerd="$build/jwt-issuerd"
[ -x "$issuerd" ] || { echo "bench: $issuerd missing: run make in $build" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench: wrk not installed (apt-get install wrk)" >&2; exit 1; }
py=/usr/bin/python3
secs=${PJWT_BENCH_SECONDS:-5}
[ "$secs" -ge 2 ] 2>/dev/null || secs=2
conns=${PJWT_BENCH_CONNECTIONS:-32}

dir=$(mktemp -d /tmp/pjwt-daemon-bench.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
chmod 711 "$dir"
mkdir "$dir/state"
port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
openssl genpkey -algorithm ed25519 -out "$dir/key.pem" 2>/dev/null
secret=bench-secret-0123456789
printf 'bench:%s\n' "$($py "$src/tests/daemon/crypt-hash.py" 'bench pw')" >"$dir/users"
chmod 600 "$dir/key.pem" "$dir/users"
user_line=
if [ "$(id -u)" = 0 ]; then
	grp=$(id -gn nobody)
	chgrp "$grp" "$dir/key.pem" "$dir/users"; chmod 640 "$dir/key.pem" "$dir/users"
	chown nobody "$dir/state"
	user_line="user = nobody"
fi
cat >"$dir/conf" <<EOC
[issuer]
issuer = $url
signing_key = $dir/key.pem
state_dir = $dir/state
$user_line
[http]
listen = 127.0.0.1:$port
connection_limit = 4096
per_ip_connection_limit = 4096
[password]
users_file = $dir/users
max_failures = 1000
[client:bench]
secret_hash = $($py "$src/tests/daemon/crypt-hash.py" "$secret")
grant_types = client_credentials password refresh_token
scopes = ssh api
default_scope = ssh
audience = ssh
EOC
"$issuerd" -c "$dir/conf" 2>"$dir/log" &
pid=$!
for _ in $(seq 1 100); do
	curl -fsS -o /dev/null "$url/healthz" 2>/dev/null && break
	sleep 0.1
done
curl -fsS -o /dev/null "$url/healthz" || { echo "bench: jwt-issuerd did not start:" >&2; cat "$dir/log" >&2; exit 1; }

basic=$(printf 'bench:%s' "$secret" | base64 -w0)
cat >"$dir/cc.lua" <<EOL
wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $basic"
done = function(summary, latency, requests)
  io.write(string.format("errors: %d non-2xx, %d socket\n", summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
EOL
sed 's/grant_type=client_credentials/grant_type=password\&username=bench\&password=bench+pw/' \
    "$dir/cc.lua" >"$dir/pw.lua"
# refresh_token: every use rotates, so each wrk thread (one connection each)
# carries its own chain and sends the token the last response returned.
n_chains=8
for i in $(seq 1 $n_chains); do
	curl -fsS -u "bench:$secret" -d grant_type=password -d username=bench \
	    -d 'password=bench pw' "$url/token" | $py -c 'import json,sys; print(json.load(sys.stdin)["refresh_token"])'
done >"$dir/rts"
cat >"$dir/rt.lua" <<EOL
local tokens, n = {}, 0
for line in io.lines("$dir/rts") do tokens[#tokens + 1] = line end
setup = function(thread)
  n = n + 1
  thread:set("rt", tokens[n])
end
request = function()
  return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = "Basic $basic"}, "grant_type=refresh_token&refresh_token=" .. rt)
end
response = function(status, headers, body)
  local t = body:match('"refresh_token":"([^"]+)"')
  if t then rt = t end
end
done = function(summary, latency, requests)
  io.write(string.format("errors: %d non-2xx, %d socket\n", summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
EOL
cat >"$dir/get.lua" <<'EOL'
done = function(summary, latency, requests)
  io.write(string.format("errors: %d non-2xx, %d socket\n", summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
EOL

# run NAME LUA PATH THREADS CONNECTIONS
run() {
	local name=$1 lua=$2 path=$3 t=$4 c=$5 out rss
	out=$(wrk -t"$t" -c"$c" -d"${secs}s" --latency -s "$lua" "$url$path" 2>&1)
	rss=$(awk '/^VmHWM/ {print $2 " " $3}' "/proc/$pid/status")
	printf '%s\n' "$out" | awk -v name="$name" -v rss="$rss" -v c="$c" '
	    /Requests\/sec/ {rps=$2}
	    $1=="50%" {p50=$2} $1=="99%" {p99=$2}
	    /^errors:/ {err=$2 " non-2xx, " $4 " socket errors"}
	    END {printf "%-22s %9.0f req/s  p50 %-8s p99 %-8s peak RSS %s  (%d conns, %s)\n",
	        name, rps, p50, p99, rss, c, err}'
}

echo "==> jwt-issuerd under wrk, ${secs}s each, EdDSA (nproc $(nproc), $(uptime | sed 's/.*load/load/'))"
run "client_credentials" "$dir/cc.lua" /token 2 "$conns"
run "jwks.json" "$dir/get.lua" /.well-known/jwks.json 2 "$conns"
run "refresh_token" "$dir/rt.lua" /token $n_chains $n_chains
run "password (yescrypt)" "$dir/pw.lua" /token 2 "$conns"
one=$($py - "$src" <<'EOP'
import ctypes, time
lc = ctypes.CDLL("libcrypt.so.1")
lc.crypt_gensalt.restype = ctypes.c_char_p
lc.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
lc.crypt.restype = ctypes.c_char_p
lc.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
s = lc.crypt_gensalt(b"$y$", 0, None, 0)
t = time.perf_counter(); n = 5
for _ in range(n): lc.crypt(b"x", s)
print(f"{(time.perf_counter() - t) / n * 1000:.1f}")
EOP
)
echo "   one yescrypt hash (default cost) takes ${one} ms here: ceiling $(nproc) cores / ${one} ms = $($py -c "print(round($(nproc) * 1000 / $one))") password grants/s"
