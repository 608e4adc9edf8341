# socket-activation.py: systemd socket activation (systemd-socket-activate
# hands jwt-issuerd the listening socket), sd_notify READY=1 / RELOADING=1 /
# STOPPING=1 / WATCHDOG=1 observed on a NOTIFY_SOCKET this test listens on;
# --listen on IPv6 loopback.
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "daemon"))
from daemonlib import ISSUERD, Issuer, Tap, free_port  # noqa: E402

t = Tap()
try:
    import requests
except ImportError as e:
    t.skip_all(f"python3 modules missing: {e}")
sa = shutil.which("systemd-socket-activate")
if sa is None:
    t.skip_all("systemd-socket-activate not installed")

iss = Issuer(t)
notify_path = os.path.join(iss.dir, "notify")
ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
ns.bind(notify_path)
os.chmod(iss.dir, 0o755)
os.chmod(notify_path, 0o777)    # the daemon may run as nobody
ns.settimeout(0.2)


def wait_notify(word, seconds=10):
    """Collect notifications until one has the line `word`; bounded."""
    seen = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            msg = ns.recv(4096).decode()
        except socket.timeout:
            continue
        seen.append(msg)
        if word in msg.split("\n"):
            return True, seen
    return False, seen


env = dict(os.environ)
env["NOTIFY_SOCKET"] = notify_path
env["WATCHDOG_USEC"] = "1000000"          # 1 s: pings every 0.5 s
port = iss.port
log = open(os.path.join(iss.dir, "log"), "ab")
proc = subprocess.Popen([sa, "-l", f"127.0.0.1:{port}", "-E", "NOTIFY_SOCKET", "-E", "WATCHDOG_USEC",
                         ISSUERD, "-c", iss.conf, "--listen", "127.0.0.1:1"],
                        env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
try:
    # The first connection starts the daemon (systemd-socket-activate execs it
    # with the socket); it is served from the backlog.
    time.sleep(0.3)
    r = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
    t.ok(r.status_code == 200, "served on the socket passed by systemd (--listen ignored)")
    got, seen = wait_notify("READY=1")
    t.ok(got, "READY=1 on NOTIFY_SOCKET", repr(seen))
    t.ok(any("STATUS=" in m for m in seen), "STATUS= line sent")
    got, seen = wait_notify("WATCHDOG=1", 5)
    t.ok(got, "WATCHDOG=1 when WATCHDOG_USEC is set", repr(seen))
    proc.send_signal(signal.SIGHUP)
    got, seen = wait_notify("RELOADING=1")
    t.ok(got, "RELOADING=1 on SIGHUP", repr(seen))
    got, seen = wait_notify("READY=1")
    t.ok(got, "READY=1 again after the reload", repr(seen))
    proc.send_signal(signal.SIGTERM)
    got, seen = wait_notify("STOPPING=1")
    t.ok(got, "STOPPING=1 on SIGTERM", repr(seen))
    rc = proc.wait(timeout=15)
    t.ok(rc == 0, f"exit 0 (got {rc})")
finally:
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)
t.ok("using the socket passed by systemd" in iss.logtext(), "log says the socket came from systemd")

# IPv6 loopback with --listen (skip when the host has no ::1)
try:
    s6 = socket.socket(socket.AF_INET6)
    s6.bind(("::1", 0))
    s6.close()
    have_v6 = True
except OSError:
    have_v6 = False
if have_v6:
    p6 = free_port()
    iss.url = f"http://[::1]:{p6}"
    ok = iss.start(args=["--listen", f"[::1]:{p6}"])
    t.ok(ok, "--listen [::1]:PORT serves on IPv6")
    if ok:
        try:
            socket.create_connection(("127.0.0.1", p6), timeout=2).close()
            v4 = True
        except OSError:
            v4 = False
        t.ok(not v4, "an explicit IPv6 address does not serve IPv4")
    t.ok(iss.stop() == 0, "IPv6 instance exits 0")
else:
    t.n += 1
    print(f"ok {t.n} - IPv6 # SKIP no ::1 on this host")
t.done()
