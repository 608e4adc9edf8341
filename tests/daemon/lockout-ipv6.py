# lockout-ipv6.py: the per-address failure counter counts an IPv6 client by
# its /64 (one host usually holds a whole /64, so counting each address
# would let it rotate past max_failures_per_address), as the connection caps
# do.  The addresses come through X-Forwarded-For from a trusted proxy, the
# only way to present many IPv6 sources on loopback.
import os
import re
import sys

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "daemon"))
from daemonlib import Issuer, Tap, raw_http  # noqa: E402

t = Tap()
try:
    import requests  # noqa: F401  (Issuer.wait_up needs it)
except ImportError as e:
    t.skip_all(f"python3 modules missing: {e}")

iss = Issuer(t, http={"trusted_proxies": "127.0.0.1"},
             password={"max_failures": 100, "max_failures_per_address": 3})
if not t.ok(iss.start(), "daemon starts"):
    t.diag(iss.logtext()[-1000:])
    t.done()


def post(xff, user):
    form = b"grant_type=password&client_id=ssh-cli&username=%s&password=nope" % user.encode()
    return raw_http(iss.port, b"POST /token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\n"
                    b"X-Forwarded-For: " + xff.encode() + b"\r\n"
                    b"Content-Length: %d\r\n\r\n" % len(form) + form).decode(errors="replace")


# Three failures from three addresses of one /64, each for another user
# (the per-user counter stays far from its limit).
for i in range(1, 4):
    r = post(f"2001:db8:1:2::{i}", f"user{i}")
    t.ok("too many failed" not in r, f"failure {i} from 2001:db8:1:2::{i} counted, not locked yet")
r = post("2001:db8:1:2:ffff::99", "user9")
t.ok("too many failed" in r, "a fourth address of the same /64 is locked out")
t.ok(re.search(r"peer=2001:db8:1:2:ffff::99", iss.logtext()) is not None,
     "the log names the full address, not the /64")
r = post("2001:db8:1:3::1", "user10")
t.ok("too many failed" not in r, "another /64 is not locked")
r = post("192.0.2.10", "user11")
t.ok("too many failed" not in r, "an IPv4 client is not locked")
iss.stop()
t.done()
