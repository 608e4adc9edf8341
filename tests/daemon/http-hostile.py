# http-hostile.py: a bounded soak (< 60 s) of hostile HTTP clients.  While
# 1,100 connections from many 127.x.y.z addresses hold half requests
# (slowloris: one header line every 3 s) or send half a request and close,
# a fresh client is served within 2 s; trickling connections are cut at
# the absolute request deadline however often they send; abandoned ones
# leave no CLOSE-WAIT behind; the per-address cap holds; SIGTERM is prompt.
import os
import resource
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "daemon"))
from daemonlib import Issuer, Tap  # noqa: E402

t = Tap()
try:
    import requests
except ImportError as e:
    t.skip_all(f"python3 modules missing: {e}")

N = 1100
REQUEST_TIMEOUT = 4
PER_IP = 64
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = 2 * N + 256
if soft < want:
    if hard != resource.RLIM_INFINITY and hard < want:
        t.skip_all(f"RLIMIT_NOFILE hard limit {hard} < {want}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

# Can we bind to 127.0.x.y (Linux routes all of 127/8 to lo)?
try:
    s = socket.socket()
    s.bind(("127.0.3.7", 0))
    s.close()
except OSError as e:
    t.skip_all(f"cannot bind 127.0.3.7: {e}")

iss = Issuer(t, http={"connection_timeout": 30, "connection_limit": 1024,
                      "per_ip_connection_limit": PER_IP,
                      "request_timeout": REQUEST_TIMEOUT})
if not t.ok(iss.start(), "daemon starts"):
    t.diag(iss.logtext()[-1000:])
    t.done()


def src(i, naddr):
    k = i % naddr
    return f"127.1.{k // 250}.{k % 250 + 1}"


def open_conn(addr, first=b"POST /token HTTP/1.1\r\nHost: x\r\n"):
    s = socket.socket()
    s.bind((addr, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", iss.port))
    if first:
        s.sendall(first)
    s.setblocking(False)
    return s


def fresh_client(name):
    t0 = time.monotonic()
    try:
        r = requests.get(iss.url + "/healthz", timeout=2)
        dt = time.monotonic() - t0
        return t.ok(r.status_code == 200 and dt < 2.0, f"{name}: fresh client served in {dt:.3f} s")
    except requests.RequestException as e:
        return t.ok(False, f"{name}: fresh client served within 2 s", str(e))


def closed_by_server(s):
    try:
        return s.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def close_wait_count(port):
    n = 0
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(f) as fh:
                next(fh)
                for line in fh:
                    parts = line.split()
                    lport = int(parts[1].rsplit(":", 1)[1], 16)
                    if lport == port and parts[3] == "08":
                        n += 1
        except OSError:
            pass
    return n


# ---- 1. slowloris from 19 addresses, then from 1,100 addresses ----------
for naddr in (19, N):
    socks = []
    refused = 0
    for i in range(N):
        try:
            socks.append(open_conn(src(i, naddr)))
        except OSError:
            refused += 1
    t.diag(f"slowloris from {naddr} addresses: {len(socks)} connected, {refused} refused")
    start = time.monotonic()
    served = True
    # Trickle a header line every 3 s for 2 * REQUEST_TIMEOUT + 2 s, and
    # probe with a fresh client each second.
    next_trickle = start + 3
    probes = 0
    while time.monotonic() - start < 2 * REQUEST_TIMEOUT + 2:
        if time.monotonic() >= next_trickle:
            for s in socks:
                try:
                    s.send(b"X-Slow: 1\r\n")
                except OSError:
                    pass
            next_trickle += 3
        if probes < 6:
            served = fresh_client(f"slowloris/{naddr} addresses, probe {probes}") and served
            probes += 1
        time.sleep(1)
    alive = [s for s in socks if not closed_by_server(s)]
    t.ok(not alive, f"slowloris/{naddr}: every trickling connection cut by the "
         f"{REQUEST_TIMEOUT} s request deadline ({len(alive)} of {len(socks)} left)")
    for s in socks:
        s.close()

# ---- 2. per-address cap ---------------------------------------------------
socks = [open_conn("127.2.0.1") for _ in range(PER_IP + 10)]
time.sleep(1)
cut = sum(1 for s in socks if closed_by_server(s))
t.ok(cut == 10, f"one address holds at most {PER_IP} connections ({cut} of {len(socks)} refused)")
for s in socks:
    s.close()

# ---- 2b. the other ways to hold a slot, each with an absolute bound ------
# (connection_timeout is 30 s: only request_timeout can cut these in time)
holders = {}
# a slow body: headers complete, one body byte a second
s = open_conn("127.3.0.1", b"POST /token HTTP/1.1\r\nHost: x\r\n"
              b"Content-Type: application/x-www-form-urlencoded\r\n"
              b"Content-Length: 100\r\n\r\n")
holders["slow body"] = s
# an idle keep-alive after one answered request
s = open_conn("127.3.0.2", b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
holders["idle keep-alive"] = s
# a pipelining client that never reads its (large) responses
s = socket.socket()
s.bind(("127.3.0.3", 0))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.settimeout(5)
s.connect(("127.0.0.1", iss.port))
s.setblocking(False)
req = b"GET /.well-known/openid-configuration HTTP/1.1\r\nHost: x\r\n\r\n"
for _ in range(200):
    try:
        s.send(req)
    except OSError:
        break
holders["unread responses"] = s
t0 = time.monotonic()
cut_at = {}
while len(cut_at) < len(holders) and time.monotonic() - t0 < 2 * REQUEST_TIMEOUT + 3:
    for name, s in holders.items():
        if name in cut_at:
            continue
        if name == "slow body":
            try:
                s.send(b"a")
            except OSError:
                cut_at[name] = time.monotonic() - t0
                continue
        if name == "unread responses":
            # The client's window is shut, so the server's FIN cannot
            # reach it: look at the server's end of this connection in
            # /proc/net/tcp instead (ESTABLISHED = still held).
            try:
                with open("/proc/net/tcp") as fh:
                    info = fh.read().splitlines()[1:]
            except OSError:
                info = []
            cport = "%04X" % s.getsockname()[1]
            sport = "%04X" % iss.port
            held = [ln.split()[3] for ln in info
                    if ln.split()[1].endswith(":" + sport) and
                    ln.split()[2].endswith(":" + cport)]
            if held and held[0] != "01":
                cut_at[name] = time.monotonic() - t0
            continue
        if name == "idle keep-alive":
            try:
                while True:
                    d = s.recv(65536)
                    if d == b"":
                        cut_at[name] = time.monotonic() - t0
                        break
            except BlockingIOError:
                pass
            except OSError:
                cut_at[name] = time.monotonic() - t0
            continue
        if closed_by_server(s):
            cut_at[name] = time.monotonic() - t0
    time.sleep(1)
for name in holders:
    at = cut_at.get(name)
    t.ok(at is not None and at <= 2 * REQUEST_TIMEOUT + 2,
         f"{name}: cut by the deadline" + (f" after {at:.1f} s" if at else " (still open)"))
    holders[name].close()

# ---- 3. connect-send-close --------------------------------------------------
for i in range(N):
    try:
        s = open_conn(src(i, 250))
        s.close()
    except OSError:
        pass
fresh_client("connect-send-close")
deadline = time.monotonic() + 3
while close_wait_count(iss.port) > 0 and time.monotonic() < deadline:
    time.sleep(0.2)
cw = close_wait_count(iss.port)
t.ok(cw == 0, f"connect-send-close: no CLOSE-WAIT left after 3 s ({cw})")

# ---- 4. SIGTERM with 1,100 hostile connections open ---------------------
socks = []
for i in range(N):
    try:
        socks.append(open_conn(src(i, 500)))
    except OSError:
        pass
fresh_client("before SIGTERM")
t0 = time.monotonic()
rc = iss.stop(timeout=20)
dt = time.monotonic() - t0
t.ok(rc == 0 and dt < REQUEST_TIMEOUT + 3, f"SIGTERM with hostile connections open: exit {rc} in {dt:.1f} s")
for s in socks:
    s.close()
t.done()
