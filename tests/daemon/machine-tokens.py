# machine-tokens.py: client_credentials tokens are marked as machine tokens
# (gty = client_credentials, RFC 9068 section 5) so pam_jwt can refuse them
# as a user's login; a client_credentials client named like a user is
# refused at start, by -t and by a SIGHUP reload (which keeps the running
# configuration).
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "daemon"))
from daemonlib import ISSUERD, SECRET, USERS, Issuer, Tap, crypt_hash, jwt_payload  # noqa: E402

t = Tap()
try:
    import requests
except ImportError as e:
    t.skip_all(f"python3 modules missing: {e}")

iss = Issuer(t)
if not t.ok(iss.start(), "daemon starts"):
    t.done()
U = iss.url
GTY = "gty"


def post(path, data, auth=None):
    return requests.post(U + path, data=data, auth=auth, timeout=10)


r = post("/token", {"grant_type": "client_credentials"}, auth=("svc", SECRET))
mt = r.json().get("access_token", "")
t.ok(r.status_code == 200 and mt, "client_credentials token issued", r.text)
claims = jwt_payload(mt) if mt else {}
t.ok(claims.get(GTY) == "client_credentials", "machine token carries gty=client_credentials", str(claims))
t.ok(claims.get("sub") == "svc" and claims.get("client_id") == "svc", "machine token: sub and client_id are the client")
r = post("/token", {"grant_type": "password", "client_id": "ssh-cli",
                    "username": "alice", "password": USERS["alice"]})
ut = r.json().get("access_token", "")
t.ok(r.status_code == 200 and GTY not in jwt_payload(ut), "a user's token has no gty", r.text)
r = post("/token", {"grant_type": "password", "username": "alice",
                    "password": USERS["alice"]}, auth=("svc", SECRET))
t.ok(r.status_code == 200 and GTY not in jwt_payload(r.json()["access_token"]),
     "a password token of a client that also has client_credentials has no gty")
r = post("/introspect", {"token": mt}, auth=("svc", SECRET))
t.ok(r.status_code == 200 and r.json().get("active") is True and r.json().get(GTY) == "client_credentials",
     "introspection: a machine token is active and says gty", r.text)

# A client_credentials client named like a user (file backend: the users
# file), in any case, is refused.
base = open(iss.conf).read()
collide = base + "\n".join(["[client:Alice]", f"secret_hash = {crypt_hash('x-secret')}",
                            "grant_types = client_credentials", "audience = ssh"]) + "\n"
with open(iss.conf, "w") as f:
    f.write(collide)
p = subprocess.run([ISSUERD, "-c", iss.conf, "-t"], capture_output=True, timeout=30)
err = p.stderr.decode(errors="replace")
t.ok(p.returncode != 0 and "Alice" in err and "user" in err,
     "-t: a client_credentials client named like a user is refused", f"rc {p.returncode}: {err}")

iss.proc.send_signal(signal.SIGHUP)
end = time.monotonic() + 10
while time.monotonic() < end and "reload failed" not in iss.logtext():
    time.sleep(0.05)
t.ok("reload failed, keeping the running configuration" in iss.logtext() and "Alice" in iss.logtext(),
     "SIGHUP: the colliding client is refused, loudly, the old config kept")
r = post("/token", {"grant_type": "client_credentials"}, auth=("Alice", "x-secret"))
t.ok(r.status_code == 401, "... the colliding client is not served", f"{r.status_code} {r.text}")
r = post("/token", {"grant_type": "client_credentials"}, auth=("svc", SECRET))
t.ok(r.status_code == 200, "... the running configuration still serves")
t.ok(iss.stop() == 0, "SIGTERM: exit 0")
t.ok(not iss.start(), "start: the colliding client is refused")
t.ok("Alice" in iss.logtext(), "... naming it")
iss.stop()

# A user name for a client that has no client_credentials grant is fine:
# it never gets a token of its own.
with open(iss.conf, "w") as f:
    f.write(base + "[client:bob]\ngrant_types = password\naudience = ssh\n")
p = subprocess.run([ISSUERD, "-c", iss.conf, "-t"], capture_output=True, timeout=30)
t.ok(p.returncode == 0, "-t: a password-only client may share a user's name", p.stderr.decode(errors="replace"))

# Only client_credentials clients and no users file: no users to collide.
cut = base.index("[client:ssh-cli]")
with open(iss.conf, "w") as f:
    f.write(base[:cut].replace(iss.users, os.path.join(iss.dir, "no-such-users")) +
            "[client:rs]\n" + f"secret_hash = {crypt_hash('x-secret')}\n" +
            "grant_types = client_credentials\naudience = rs\n")
p = subprocess.run([ISSUERD, "-c", iss.conf, "-t"], capture_output=True, timeout=30)
t.ok(p.returncode == 0, "-t: client_credentials only, no users file: fine", p.stderr.decode(errors="replace"))

# The pam backend asks NSS: root always exists.
with open(iss.conf, "w") as f:
    f.write(base.replace("backend = file", "backend = pam") +
            "[client:root]\n" + f"secret_hash = {crypt_hash('x-secret')}\n" +
            "grant_types = client_credentials\naudience = ssh\n")
p = subprocess.run([ISSUERD, "-c", iss.conf, "-t"], capture_output=True, timeout=30)
err = p.stderr.decode(errors="replace")
t.ok(p.returncode != 0 and "root" in err, "pam backend, -t: a client named like an NSS user (root) is refused",
     f"rc {p.returncode}: {err}")
t.done()
