# http-framing.py: request framing that a proxy and the daemon could read
# differently (RFC 9112 6.3) is refused with 400 and the connection closed;
# a chunked body over the 16 KiB cap gets the 413 the man page promises.
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "daemon"))
from daemonlib import Issuer, Tap  # noqa: E402

t = Tap()
try:
    import requests  # noqa: F401  (Issuer.wait_up needs it)
except ImportError as e:
    t.skip_all(f"python3 modules missing: {e}")

iss = Issuer(t)
if not t.ok(iss.start(), "daemon starts"):
    t.done()


def exchange(raw, limit=5.0):
    """Send raw bytes, read until the server closes (bounded); returns
    (status line, full reply bytes, closed_by_server)."""
    s = socket.create_connection(("127.0.0.1", iss.port), timeout=limit)
    data = b""
    closed = False
    try:
        s.sendall(raw)

        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if chunk == b"":
                closed = True
                break
            data += chunk
    finally:
        s.close()
    status = data.split(b"\r\n", 1)[0].decode(errors="replace")
    return status, data, closed


FORM = b"grant_type=client_credentials"
BASE = (b"POST /token HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n")

# Two different Content-Length headers: the first-wins reading lets a
# second request hide in the body.
smuggled = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
raw = (BASE + b"Content-Length: %d\r\nContent-Length: %d\r\n\r\n"
       % (len(FORM), len(FORM) + len(smuggled)) + FORM + smuggled)
st, data, closed = exchange(raw)
t.ok(st.startswith("HTTP/1.1 400"), f"two different Content-Length: 400 ({st!r})")
t.ok(closed, "... and the connection is closed")
t.ok(data.count(b"HTTP/1.1 ") == 1, "... and no smuggled second request is answered")

# The same length twice is still two headers: refused as well.
raw = BASE + b"Content-Length: %d\r\nContent-Length: %d\r\n\r\n" % (len(FORM), len(FORM)) + FORM
st, data, closed = exchange(raw)
t.ok(st.startswith("HTTP/1.1 400") and closed, f"repeated Content-Length: 400 and close ({st!r})")

# Content-Length with Transfer-Encoding.
chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(FORM), FORM)
raw = BASE + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked
st, data, closed = exchange(raw)
t.ok(st.startswith("HTTP/1.1 400"), f"Content-Length with Transfer-Encoding: 400 ({st!r})")
t.ok(closed, "... and the connection is closed")

# A chunked body over 16 KiB: 413, not a dropped connection.
big = b"a=" + b"x" * (20 * 1024)
body = b""
for i in range(0, len(big), 4096):
    piece = big[i:i + 4096]
    body += b"%x\r\n%s\r\n" % (len(piece), piece)
body += b"0\r\n\r\n"
raw = BASE + b"Transfer-Encoding: chunked\r\n\r\n" + body
st, data, closed = exchange(raw)
t.ok(st.startswith("HTTP/1.1 413"), f"chunked body over 16 KiB: 413 ({st!r})")
t.ok(b"invalid_request" in data, "... with an RFC 6749 error body")

# A chunked body under the cap still works.
raw = BASE + b"Authorization: Basic c3ZjOnN2Yy1zZWNyZXQtMDEyMzQ1Njc4OQ==\r\n" \
    b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked
st, data, closed = exchange(raw)
t.ok(st.startswith("HTTP/1.1 200"), f"small chunked body: 200 ({st!r})")

# A Content-Length body over the cap: 413 as before.
raw = BASE + b"Content-Length: 20000\r\n\r\n"
st, data, closed = exchange(raw)
t.ok(st.startswith("HTTP/1.1 413"), f"Content-Length over 16 KiB: 413 ({st!r})")

t.ok(iss.stop() == 0, "SIGTERM: exit 0")
t.done()
