# sigterm.py: SIGTERM while requests are in flight: every accepted request
# completes with 200, new connections are refused, the daemon exits 0.
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "daemon"))
from daemonlib import USERS, Issuer, Tap  # noqa: E402

t = Tap()
try:
    import requests
except ImportError as e:
    t.skip_all(f"python3 modules missing: {e}")

# One worker: twelve password checks (yescrypt) queue behind each other, so
# most of them are still in flight when SIGTERM arrives.
iss = Issuer(t, password={"workers": 1})
if not t.ok(iss.start(), "daemon starts"):
    t.done()
N = 12
results = [None] * N


def grant(i):
    try:
        r = requests.post(iss.url + "/token", data={"grant_type": "password", "client_id": "ssh-cli",
                          "username": "alice", "password": USERS["alice"]}, timeout=30)
        results[i] = r.status_code
    except requests.RequestException as e:
        results[i] = repr(e)


threads = [threading.Thread(target=grant, args=(i,)) for i in range(N)]
t0 = time.monotonic()
for th in threads:
    th.start()
time.sleep(0.4)        # all connected and queued; a few hashed
iss.proc.send_signal(signal.SIGTERM)
time.sleep(0.05)
try:
    requests.get(iss.url + "/healthz", timeout=2)
    late = "served"
except requests.RequestException:
    late = "refused"
for th in threads:
    th.join(timeout=40)
rc = iss.proc.wait(timeout=30)
elapsed = time.monotonic() - t0
t.diag(f"{N} password grants, SIGTERM after 0.4 s; all done after {elapsed:.2f} s")
t.ok(results == [200] * N, "every request in flight completed with 200", repr(results))
t.ok(late == "refused", "a new connection after SIGTERM is not served", late)
t.ok(rc == 0, f"exit status 0 (got {rc})")
t.ok("finishing requests in flight" in iss.logtext(), "drain logged")
iss.proc = None
t.done()
