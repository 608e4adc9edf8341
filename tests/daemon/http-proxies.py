# http-proxies.py: trusted_proxies.  From a listed proxy, the client address
# (lockout key, logs) is the rightmost X-Forwarded-For hop that is not a
# listed proxy; from anyone else X-Forwarded-For is ignored; a malformed one
# from a proxy is 400; a listed proxy is exempt from the per-address cap.
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "daemon"))
from daemonlib import Issuer, Tap, raw_http  # noqa: E402

t = Tap()
try:
    import requests  # noqa: F401  (Issuer.wait_up needs it)
except ImportError as e:
    t.skip_all(f"python3 modules missing: {e}")
try:
    s = socket.socket()
    s.bind(("127.0.4.1", 0))
    s.close()
except OSError as e:
    t.skip_all(f"cannot bind 127.0.4.1: {e}")

# 127.0.0.1 is where the Issuer's own health checks come from: trusted too.
iss = Issuer(t, http={"trusted_proxies": "127.0.0.1 127.0.5.0/24 10.9.0.0/16",
                      "per_ip_connection_limit": 4})
if not t.ok(iss.start(), "daemon starts"):
    t.diag(iss.logtext()[-1000:])
    t.done()

FORM = b"grant_type=password&client_id=ssh-cli&username=alice&password=nope"


def post(src, xff=()):
    hdr = b"POST /token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" \
        b"Content-Type: application/x-www-form-urlencoded\r\n"
    for v in xff:
        hdr += b"X-Forwarded-For: " + v.encode() + b"\r\n"
    data = raw_http(iss.port, hdr + b"Content-Length: %d\r\n\r\n" % len(FORM) + FORM, src=src)
    post.body = data
    return data.split(b"\r\n", 1)[0].decode(errors="replace")


def last_peer():
    m = re.findall(r"password grant (?:failed|refused): user=alice .*?peer=(\S+)", iss.logtext())
    return m[-1] if m else None


cases = [
    ("127.0.5.9", ["203.0.113.7"], "203.0.113.7", "one hop from a trusted proxy"),
    ("127.0.5.9", ["198.51.100.1, 203.0.113.8"], "203.0.113.8", "rightmost hop is the client"),
    ("127.0.5.9", ["203.0.113.9, 10.9.1.1"], "203.0.113.9", "trusted hops are skipped"),
    ("127.0.5.9", ["198.51.100.2", "203.0.113.10"], "203.0.113.10", "two headers read as one list"),
    ("127.0.5.9", ["2001:db8::5"], "2001:db8::5", "IPv6 hop"),
    ("127.0.4.1", ["203.0.113.11"], "127.0.4.1", "untrusted peer: X-Forwarded-For ignored"),
    ("127.0.5.9", [], "127.0.5.9", "proxy without X-Forwarded-For: the proxy"),
]
for src, xff, want, name in cases:
    st = post(src, xff)
    got = last_peer()
    t.ok(st.startswith("HTTP/1.1 400") and got == want, f"{name}: peer={got} (want {want}; {st})")

for bad in ("not-an-ip", "203.0.113.1,,", "203.0.113.1:443"):
    st = post("127.0.5.9", [bad])
    t.ok(st.startswith("HTTP/1.1 400") and b"malformed X-Forwarded-For" in post.body,
         f"malformed X-Forwarded-For {bad!r} from a proxy: 400 ({st})")
st = post("127.0.4.1", ["not-an-ip"])
t.ok(st.startswith("HTTP/1.1 400") and last_peer() == "127.0.4.1",
     f"malformed X-Forwarded-For from a non-proxy is ignored ({st})")

# per_ip_connection_limit = 4: a trusted proxy may hold more.
socks = []
for _ in range(8):
    s = socket.socket()
    s.bind(("127.0.5.10", 0))
    s.connect(("127.0.0.1", iss.port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    socks.append(s)
time.sleep(0.5)
alive = 0
for s in socks:
    s.setblocking(False)
    try:
        alive += s.recv(1) != b""
    except BlockingIOError:
        alive += 1
    except OSError:
        pass
    s.close()
t.ok(alive == 8, f"a trusted proxy is not held to the per-address cap ({alive} of 8 kept)")

bad = Issuer(t, http={"trusted_proxies": "10.0.0.0/33"})
bad.start(wait=False)
rc = bad.proc.wait(timeout=10)
bad.proc = None
t.ok(rc != 0 and "trusted_proxies" in bad.logtext(), f"bad prefix refused at startup (exit {rc})")

t.ok(iss.stop() == 0, "SIGTERM: exit 0")
t.done()
