# oauth-clients.py: real OAuth 2.0 clients (requests-oauthlib) against
# jwt-issuerd; tokens verified with PyJWT against the served JWKS and with
# jwtctl; refresh rotation and reuse detection; revocation of both token
# kinds; introspection.
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "daemon"))
from daemonlib import JWTCTL, SECRET, Issuer, Tap, jwt_header, jwt_payload  # noqa: E402

t = Tap()
try:
    import jwt
    import requests
    from oauthlib.oauth2 import BackendApplicationClient, LegacyApplicationClient
    from requests.auth import HTTPBasicAuth
    from requests_oauthlib import OAuth2Session
except ImportError as e:
    t.skip_all(f"python3 modules missing: {e}")

os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"   # loopback http only

iss = Issuer(t)
if not iss.start():
    t.ok(False, "daemon starts")
    t.done()
U = iss.url
meta = requests.get(U + "/.well-known/oauth-authorization-server", timeout=5).json()
jwks = jwt.PyJWKClient(meta["jwks_uri"])


def verify(tok, aud):
    key = jwks.get_signing_key_from_jwt(tok)
    return jwt.decode(tok, key.key, algorithms=["EdDSA"], audience=aud, issuer=U,
                      options={"require": ["exp", "iat", "jti", "sub"]})


def jwtctl_verify(tok, aud):
    with open(os.path.join(iss.dir, "jwks.json"), "w") as f:
        f.write(requests.get(meta["jwks_uri"], timeout=5).text)
    r = subprocess.run([JWTCTL, "verify", "--jwks", os.path.join(iss.dir, "jwks.json"),
                        "--iss", U, "--aud", aud, "--typ", "at+jwt", tok],
                       capture_output=True, text=True)
    return r.returncode == 0, r.stderr.strip()


# Password grant: LegacyApplicationClient (public client, client_id in body)
s = OAuth2Session(client=LegacyApplicationClient(client_id="ssh-cli"))
tok = s.fetch_token(meta["token_endpoint"], username="alice", password="alice pw",
                    include_client_id=True)
t.ok("access_token" in tok and "refresh_token" in tok, "password grant (LegacyApplicationClient)")
claims = verify(tok["access_token"], "ssh")
t.ok(claims["sub"] == "alice" and claims["scope"] == "ssh" and claims["client_id"] == "ssh-cli",
     "PyJWT verifies the access token against the served JWKS", str(claims))
h = jwt_header(tok["access_token"])
t.ok(h.get("typ") == "at+jwt" and h.get("kid") == jwks.get_signing_keys()[0].key_id,
     "header typ at+jwt and the JWKS kid", str(h))
ok, err = jwtctl_verify(tok["access_token"], "ssh")
t.ok(ok, "jwtctl verify accepts it", err)
t.ok(len(tok["access_token"]) <= 511, f"token length {len(tok['access_token'])} <= 511")

# Scope: subset asked for, and more than allowed
tok2 = s.fetch_token(meta["token_endpoint"], username="alice", password="alice pw",
                     include_client_id=True, scope=["ssh", "sudo"])
t.ok(verify(tok2["access_token"], "ssh")["scope"] == "ssh sudo", "scope subset granted")
r = requests.post(meta["token_endpoint"], data={"grant_type": "password", "client_id": "ssh-cli",
                  "username": "alice", "password": "alice pw", "scope": "ssh root"}, timeout=10)
t.ok(r.status_code == 400 and r.json()["error"] == "invalid_scope", "scope beyond the client: invalid_scope")

# Refresh via OAuth2Session (rotation)
old_rt = tok["refresh_token"]
new = s.refresh_token(meta["token_endpoint"], refresh_token=old_rt, client_id="ssh-cli",
                      include_client_id=True)
t.ok(new["refresh_token"] != old_rt, "refresh rotates the refresh token")
c2 = verify(new["access_token"], "ssh")
t.ok(c2["sub"] == "alice" and c2["auth_time"] == claims["auth_time"], "refreshed token keeps sub and auth_time")

# Narrower scope on refresh; wider refused
r = requests.post(U + "/token", data={"grant_type": "refresh_token", "client_id": "ssh-cli",
                  "refresh_token": tok2["refresh_token"], "scope": "ssh sudo root"}, timeout=10)
t.ok(r.status_code == 400 and r.json()["error"] == "invalid_scope", "refresh with a wider scope: invalid_scope")
r = requests.post(U + "/token", data={"grant_type": "refresh_token", "client_id": "ssh-cli",
                  "refresh_token": tok2["refresh_token"], "scope": "sudo"}, timeout=10)
t.ok(r.status_code == 200 and verify(r.json()["access_token"], "ssh")["scope"] == "sudo",
     "refresh with a narrower scope (token not burnt by the refused one)", r.text)
rt2 = r.json().get("refresh_token")

# Reuse detection: the rotated token again revokes the whole family
r = requests.post(U + "/token", data={"grant_type": "refresh_token", "client_id": "ssh-cli",
                  "refresh_token": old_rt}, timeout=10)
t.ok(r.status_code == 400 and r.json()["error"] == "invalid_grant", "reuse of a rotated refresh token: invalid_grant")
r = requests.post(U + "/token", data={"grant_type": "refresh_token", "client_id": "ssh-cli",
                  "refresh_token": new["refresh_token"]}, timeout=10)
t.ok(r.status_code == 400 and r.json()["error"] == "invalid_grant", "after reuse the whole family is revoked")
t.ok("reuse" in iss.logtext(), "reuse is logged")

# Refresh token bound to its client
r = requests.post(U + "/token", data={"grant_type": "refresh_token", "refresh_token": rt2},
                  auth=HTTPBasicAuth("svc", SECRET), timeout=10)
t.ok(r.status_code == 400 and r.json()["error"] == "invalid_grant", "refresh token of another client: invalid_grant")

# Client credentials: BackendApplicationClient, secret via Basic and via body
cc = OAuth2Session(client=BackendApplicationClient(client_id="svc"))
ctok = cc.fetch_token(U + "/token", auth=HTTPBasicAuth("svc", SECRET))
t.ok(verify(ctok["access_token"], "api")["sub"] == "svc", "client_credentials (BackendApplicationClient, Basic)")
t.ok("refresh_token" not in ctok, "client_credentials: no refresh token")
ctok = cc.fetch_token(U + "/token", client_id="svc", client_secret=SECRET, include_client_id=True)
t.ok("access_token" in ctok, "client_credentials with client_secret_post")

# Introspection (RFC 7662), confidential clients only
intro = lambda tk, auth=("rs", "rs-secret"): requests.post(U + "/introspect", data={"token": tk},
                                                            auth=HTTPBasicAuth(*auth), timeout=10)
r = intro(tok2["access_token"])
j = r.json()
t.ok(r.status_code == 200 and j["active"] is True and j["sub"] == "alice" and j["client_id"] == "ssh-cli",
     "introspect an access token: active with claims", r.text)
r = requests.post(U + "/introspect", data={"token": tok2["access_token"], "client_id": "ssh-cli"}, timeout=10)
t.ok(r.status_code == 401 and r.json()["error"] == "invalid_client", "public client may not introspect")
# A refresh token is introspectable by its own (confidential) client only
stok = requests.post(U + "/token", data={"grant_type": "password", "username": "bob", "password": "bob-pw"},
                     auth=HTTPBasicAuth("svc", SECRET), timeout=10).json()
r = intro(stok["refresh_token"], ("svc", SECRET))
t.ok(r.json().get("active") is True and r.json().get("username") == "bob", "introspect own refresh token", r.text)
r = intro(stok["refresh_token"])
t.ok(r.json() == {"active": False}, "another client's refresh token: inactive")

# Revocation (RFC 7009): refresh token revokes its family
r = requests.post(U + "/revoke", data={"token": stok["refresh_token"], "token_type_hint": "refresh_token"},
                  auth=HTTPBasicAuth("svc", SECRET), timeout=10)
t.ok(r.status_code == 200, "revoke a refresh token")
r = requests.post(U + "/token", data={"grant_type": "refresh_token", "refresh_token": stok["refresh_token"]},
                  auth=HTTPBasicAuth("svc", SECRET), timeout=10)
t.ok(r.status_code == 400 and r.json()["error"] == "invalid_grant", "revoked refresh token is refused")
t.ok(intro(stok["refresh_token"], ("svc", SECRET)).json() == {"active": False}, "revoked refresh token: inactive")
# Access token revocation
r = requests.post(U + "/revoke", data={"token": stok["access_token"]}, auth=HTTPBasicAuth("svc", SECRET), timeout=10)
t.ok(r.status_code == 200 and intro(stok["access_token"]).json() == {"active": False},
     "revoked access token: inactive")
jti = jwt_payload(stok["access_token"])["jti"]
with open(os.path.join(iss.state, "revoked")) as f:
    t.ok(any(line.split()[0] == jti for line in f if line.strip()), "jti in the revoked file")

# RFC 7009 2.1: a client revokes only its own tokens.  ssh-cli (public)
# may not revoke svc's tokens; they stay live.
stok = requests.post(U + "/token", data={"grant_type": "password", "username": "bob", "password": "bob-pw"},
                     auth=HTTPBasicAuth("svc", SECRET), timeout=10).json()
for kind in ("access_token", "refresh_token"):
    r = requests.post(U + "/revoke", data={"token": stok[kind], "client_id": "ssh-cli"}, timeout=10)
    t.ok(r.status_code == 400, f"another client's {kind}: revocation refused", r.text)
t.ok(intro(stok["access_token"]).json().get("active") is True, "... the access token stays active")
t.ok(intro(stok["refresh_token"], ("svc", SECRET)).json().get("active") is True,
     "... the refresh token stays active")

# Two uses of one refresh token at the same moment: at most one wins, and
# the loser's reuse revokes the family (the winner's new token included).
import threading  # noqa: E402
ptok = requests.post(U + "/token", data={"grant_type": "password", "client_id": "ssh-cli",
                     "username": "alice", "password": "alice pw"}, timeout=10).json()
results = []
go = threading.Event()


def use_refresh():
    go.wait(5)
    r = requests.post(U + "/token", data={"grant_type": "refresh_token", "client_id": "ssh-cli",
                      "refresh_token": ptok["refresh_token"]}, timeout=20)
    results.append(r)


ths = [threading.Thread(target=use_refresh) for _ in range(8)]
for th in ths:
    th.start()
go.set()
for th in ths:
    th.join(30)
wins = [r for r in results if r.status_code == 200]
t.ok(len(results) == 8 and len(wins) == 1, "8 concurrent uses of one refresh token: exactly one succeeds",
     str([r.status_code for r in results]))
if wins:
    r = requests.post(U + "/token", data={"grant_type": "refresh_token", "client_id": "ssh-cli",
                      "refresh_token": wins[0].json()["refresh_token"]}, timeout=10)
    t.ok(r.status_code == 400, "... and the winner's new refresh token died with the family")

log = iss.logtext()
t.ok(SECRET not in log and "alice pw" not in log and tok["access_token"] not in log
     and old_rt not in log, "no secret, password or token in the log")
t.ok(iss.stop() == 0, "SIGTERM: exit 0")
t.done()
