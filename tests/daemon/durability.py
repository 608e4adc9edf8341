# durability.py: refresh tokens issued under load survive kill -9: after a
# restart every refresh token a client received can be used.
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "daemon"))
from daemonlib import SECRET, USERS, Issuer, Tap  # noqa: E402

t = Tap()
try:
    import requests
except ImportError as e:
    t.skip_all(f"python3 modules missing: {e}")

iss = Issuer(t)
if not t.ok(iss.start(), "daemon starts"):
    t.done()
U = iss.url
received = []          # refresh tokens whose response arrived
lock = threading.Lock()
stop = threading.Event()
errors = []


def load(user):
    s = requests.Session()
    for _ in range(200):           # bounded; stopped by the kill anyway
        if stop.is_set():
            return
        try:
            r = s.post(U + "/token", data={"grant_type": "password", "username": user,
                       "password": USERS[user]}, auth=("svc", SECRET), timeout=10)
        except requests.RequestException:
            return                 # the daemon died under us
        if r.status_code == 200:
            with lock:
                received.append(r.json()["refresh_token"])
        else:
            errors.append(r.status_code)


threads = [threading.Thread(target=load, args=(u,)) for u in ("alice", "bob", "alice", "bob")]
for th in threads:
    th.start()
deadline = time.monotonic() + 20
while len(received) < 40 and time.monotonic() < deadline:
    time.sleep(0.05)
iss.proc.send_signal(signal.SIGKILL)       # mid-load, no clean shutdown
iss.proc.wait(timeout=10)
iss.proc = None
stop.set()
for th in threads:
    th.join(timeout=20)
t.diag(f"{len(received)} refresh tokens received before kill -9")
t.ok(len(received) >= 20 and not errors, "refresh tokens issued under load", f"{len(received)} {errors}")

t.ok(iss.start(), "restart after kill -9")
bad = 0
for rt in received:
    r = requests.post(U + "/token", data={"grant_type": "refresh_token", "refresh_token": rt},
                      auth=("svc", SECRET), timeout=10)
    if r.status_code != 200:
        bad += 1
t.ok(bad == 0, f"every received refresh token works after the restart ({len(received) - bad}/{len(received)})")
t.ok(iss.stop() == 0, "SIGTERM: exit 0")
t.done()
