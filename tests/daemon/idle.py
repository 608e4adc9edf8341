# idle.py: 1,000 concurrent idle connections: the daemon keeps serving
# others, and closes the idle ones after connection_timeout.
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "daemon"))
from daemonlib import SECRET, Issuer, Tap  # noqa: E402

t = Tap()
try:
    import requests
except ImportError as e:
    t.skip_all(f"python3 modules missing: {e}")

N = 1000
TIMEOUT = 3
iss = Issuer(t, http={"connection_timeout": TIMEOUT, "connection_limit": 1100,
                      "per_ip_connection_limit": 1050})
if not t.ok(iss.start(), "daemon starts"):
    t.done()
socks = []
try:
    for i in range(N):
        s = socket.create_connection(("127.0.0.1", iss.port), timeout=5)
        if i % 2:
            s.sendall(b"POST /token HTTP/1.1\r\nHost: x\r\n")   # half a request
        socks.append(s)
    t.ok(len(socks) == N, f"{N} idle connections open")
    t0 = time.monotonic()
    r = requests.post(iss.url + "/token", data={"grant_type": "client_credentials"},
                      auth=("svc", SECRET), timeout=5)
    t.ok(r.status_code == 200, f"another client is served meanwhile ({time.monotonic() - t0:.3f} s)")
    # Bounded wait: every idle connection must be closed by the server.
    deadline = time.monotonic() + 4 * TIMEOUT + 5
    open_ = list(socks)
    while open_ and time.monotonic() < deadline:
        still = []
        for s in open_:
            s.settimeout(0.001)
            try:
                if s.recv(4096) == b"":
                    continue
            except socket.timeout:
                still.append(s)
                continue
            except OSError:
                continue
        open_ = still
        if open_:
            time.sleep(0.2)
    t.ok(not open_, f"idle connections closed after the {TIMEOUT} s timeout ({len(open_)} left)")
    r = requests.get(iss.url + "/healthz", timeout=5)
    t.ok(r.status_code == 200, "still serving afterwards")
finally:
    for s in socks:
        s.close()
t.ok(iss.stop() == 0, "SIGTERM: exit 0")
t.done()
