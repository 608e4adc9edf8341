# removed-user.py: a user removed from the users file, locked, or whose
# password changed stops refreshing (issue 9 item 6): the refresh grant
# re-checks the user, a reload ends the families of users removed or changed,
# a start ends those of users missing from the file, and
# `jwt-issuerd --revoke-user NAME` ends every family of one user.  Also: a
# users file that does not load makes the reload loud (log, /healthz).
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "daemon"))
from daemonlib import ISSUERD, USERS, Issuer, Tap, crypt_hash  # noqa: E402

t = Tap()
try:
    import requests
except ImportError as e:
    t.skip_all(f"python3 modules missing: {e}")

iss = Issuer(t)
users = dict(USERS, carol="carol pw", dave="dave pw")


hashes = {}


def write_users(u, locked=()):
    """The same password keeps its hash: only real changes show."""
    with open(iss.users, "w") as f:
        for name, pw in u.items():
            h = hashes.setdefault((name, pw), crypt_hash(pw))
            f.write(f"{name}:{'!' if name in locked else ''}{h}\n")
    iss.protect(iss.users)


write_users(users)
if not t.ok(iss.start(), "daemon starts"):
    t.done()
U = iss.url
sess = requests.Session()


def login(user, pw):
    r = sess.post(U + "/token", data={"grant_type": "password", "username": user, "password": pw,
                                      "client_id": "ssh-cli"}, timeout=30)
    return r.json().get("refresh_token") if r.status_code == 200 else None


def refresh(tok):
    """(status, new refresh token or None, error)"""
    r = sess.post(U + "/token", data={"grant_type": "refresh_token", "refresh_token": tok,
                                      "client_id": "ssh-cli"}, timeout=30)
    j = r.json()
    return r.status_code, j.get("refresh_token"), j.get("error")


def wait_log(text, count=1, seconds=10):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if iss.logtext().count(text) >= count:
            return True
        time.sleep(0.05)
    return False


rt = {u: login(u, p) for u, p in users.items()}
t.ok(all(rt.values()), "every user logs in and gets a refresh token", str(rt))
bob2 = login("bob", users["bob"])
st, nb, _ = refresh(rt["bob"])
t.ok(st == 200 and nb, "bob refreshes while listed")
rt["bob"] = nb

# bob removed, alice's password changed, carol locked; dave untouched.
users2 = {"alice": "alice new pw", "carol": "carol pw", "dave": "dave pw"}
write_users(users2, locked=("carol",))
iss.proc.send_signal(signal.SIGHUP)
t.ok(wait_log("reloaded: signing key"), "SIGHUP reload logged")
for u in ("bob", "alice", "carol"):
    st, nt, err = refresh(rt[u])
    t.ok(st == 400 and err == "invalid_grant" and nt is None, f"{u}: refresh refused after the reload",
         f"{st} {err}")
st, _, err = refresh(bob2)
t.ok(st == 400 and err == "invalid_grant", "bob's second family refused too", f"{st} {err}")
log = iss.logtext()
t.ok("user=bob removed" in log and "user=alice password_changed" in log and "user=carol locked" in log,
     "the reload logs why each user's families ended", log[-1500:])
st, nd, _ = refresh(rt["dave"])
t.ok(st == 200 and nd, "dave, untouched, still refreshes", f"{st} {iss.logtext()[-1500:]}")
rt["dave"] = nd
na = login("alice", "alice new pw")
st, _, _ = refresh(na) if na else (0, None, None)
t.ok(na and st == 200, "alice logs in with her new password and refreshes")

# The refresh grant itself re-checks the user: a family the reload did not
# see (issued while the users file listed the user, then the daemon was
# restarted after the user was removed) is refused.  Stop, remove dave,
# start: the start-up sweep and the refresh check both refuse.
t.ok(iss.stop() == 0, "SIGTERM: exit 0")
write_users({"alice": "alice new pw"})
if not t.ok(iss.start(), "daemon restarts"):
    t.done()
st, _, err = refresh(rt["dave"])
t.ok(st == 400 and err == "invalid_grant", "dave, removed while the daemon was down, cannot refresh",
     f"{st} {err}")

# The admin command: every family of one user, one command, daemon running.
a1, a2 = login("alice", "alice new pw"), login("alice", "alice new pw")
p = subprocess.run([ISSUERD, "--revoke-user", "alice", "-c", iss.conf], capture_output=True,
                   text=True, timeout=30)
t.ok(p.returncode == 0 and "alice" in p.stdout and "3 refresh" in p.stdout,
     "--revoke-user alice: exit 0, says how many families", f"{p.returncode} {p.stdout} {p.stderr}")
t.ok(all(refresh(x)[0] == 400 for x in (a1, a2)), "alice's refresh tokens are all refused now")
p = subprocess.run([ISSUERD, "--revoke-user", "alice", "-c", iss.conf], capture_output=True,
                   text=True, timeout=30)
t.ok(p.returncode == 0 and "0 refresh" in p.stdout, "again: idempotent, 0 families",
     f"{p.returncode} {p.stdout} {p.stderr}")
p = subprocess.run([ISSUERD, "--revoke-user", "Not:A/Name", "-c", iss.conf], capture_output=True,
                   text=True, timeout=30)
t.ok(p.returncode == 2 and "user name" in p.stderr, "a malformed name is a usage error",
     f"{p.returncode} {p.stdout} {p.stderr}")
t.ok(login("alice", "alice new pw") is not None, "alice can still log in with her password")

# A users file that does not load: the reload is loud, and -t says the same.
write_users({"alice": "alice new pw"})
os.chmod(iss.users, 0o644)
iss.proc.send_signal(signal.SIGHUP)
t.ok(wait_log("readable by others"), "reload: the users file's problem is logged")
h = sess.get(U + "/healthz", timeout=5).json()
t.ok(h.get("status") == "degraded" and "users file" in h.get("detail", ""),
     "/healthz says the last reload failed", str(h))
p = subprocess.run([ISSUERD, "-t", "-c", iss.conf], capture_output=True, text=True, timeout=30)
t.ok(p.returncode != 0 and "readable by others" in p.stderr, "-t refuses the same users file",
     f"{p.returncode} {p.stdout} {p.stderr}")
iss.protect(iss.users)
p = subprocess.run([ISSUERD, "-t", "-c", iss.conf], capture_output=True, text=True, timeout=30)
t.ok(p.returncode == 0, "-t passes once it is fixed", f"{p.returncode} {p.stdout} {p.stderr}")
iss.proc.send_signal(signal.SIGHUP)
end = time.monotonic() + 10
while time.monotonic() < end:
    h = sess.get(U + "/healthz", timeout=5).json()
    if h.get("status") == "ok":
        break
    time.sleep(0.1)
t.ok(h.get("status") == "ok", "after a good reload /healthz is ok again", str(h))
t.ok(iss.stop() == 0, "SIGTERM: exit 0")
t.done()
