# reload.py: SIGHUP key rotation (old tokens still verify, new ones carry the
# new kid), a bad new config refused with the old one kept, connections kept
# across reloads.
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "daemon"))
from daemonlib import SECRET, Issuer, Tap, jwt_header  # noqa: E402

t = Tap()
try:
    import jwt
    import requests
except ImportError as e:
    t.skip_all(f"python3 modules missing: {e}")

iss = Issuer(t)
if not t.ok(iss.start(), "daemon starts"):
    t.done()
U = iss.url
sess = requests.Session()          # one keep-alive connection throughout


def token():
    r = sess.post(U + "/token", data={"grant_type": "client_credentials"}, auth=("svc", SECRET), timeout=10)
    return r.json()["access_token"]


def verify_all(tok):
    ks = jwt.PyJWKSet.from_dict(sess.get(U + "/.well-known/jwks.json", timeout=10).json())
    kid = jwt_header(tok)["kid"]
    key = next((k for k in ks.keys if k.key_id == kid), None)
    if key is None:
        return False
    jwt.decode(tok, key.key, algorithms=["EdDSA"], audience="api", issuer=U)
    return True


def wait_log(text, count, seconds=10):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if iss.logtext().count(text) >= count:
            return True
        time.sleep(0.05)
    return False


old = token()
kid1 = jwt_header(old)["kid"]
t.ok(verify_all(old), "token verifies before the rotation")

# Rotate: key2 signs, key stays published.
iss.write_conf(signing_key=iss.key2, previous=iss.key)
iss.proc.send_signal(signal.SIGHUP)
t.ok(wait_log("reloaded: signing key", 1), "SIGHUP reload logged")
jwks = sess.get(U + "/.well-known/jwks.json", timeout=10).json()
t.ok(len(jwks["keys"]) == 2 and jwks["keys"][1]["kid"] == kid1, "JWKS: new key first, old key still published")
new = token()
t.ok(jwt_header(new)["kid"] != kid1 and jwt_header(new)["kid"] == jwks["keys"][0]["kid"], "new tokens carry the new kid")
t.ok(verify_all(old), "old token still verifies against the new JWKS")
t.ok(verify_all(new), "new token verifies")

# A bad new config is refused; the running one stays.
with open(iss.conf, "a") as f:
    f.write("[issuer2]\n")
iss.proc.send_signal(signal.SIGHUP)
t.ok(wait_log("reload failed, keeping the running configuration", 1), "bad config: reload refused, logged")
t.ok("unknown section [issuer2]" in iss.logtext(), "the refusal names the problem with file:line")
t.ok(jwt_header(token())["kid"] == jwt_header(new)["kid"], "still signing with the running key")
iss.write_conf(signing_key=os.path.join(iss.dir, "missing.pem"))
iss.proc.send_signal(signal.SIGHUP)
t.ok(wait_log("reload failed, keeping the running configuration", 2), "missing key: reload refused")
t.ok(iss.proc.poll() is None and sess.get(U + "/healthz", timeout=5).status_code == 200,
     "daemon still serving on the same keep-alive connection")

# Drop the old key: old tokens no longer verify against the JWKS.
iss.write_conf(signing_key=iss.key2)
iss.proc.send_signal(signal.SIGHUP)
t.ok(wait_log("reloaded: signing key", 2), "second rotation step reloaded")
a, b = verify_all(old), verify_all(new)
t.ok(not a and b, "after dropping the old key only new tokens verify", f"old {a} new {b}")
t.ok(iss.stop() == 0, "SIGTERM: exit 0")
t.done()
