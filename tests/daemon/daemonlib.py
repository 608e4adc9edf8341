# tests/daemon/daemonlib.py - TAP output and a jwt-issuerd fixture for the
# Python daemon tests (run by /usr/bin/python3: Debian's python3 with
# requests, requests-oauthlib and PyJWT).  Loopback only; every wait bounded.
import atexit
import ctypes
import grp
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOP_SRCDIR = os.environ.get("top_srcdir", ".")
TOP_BUILDDIR = os.environ.get("top_builddir", ".")
ISSUERD = os.environ.get("ISSUERD", os.path.join(TOP_BUILDDIR, "jwt-issuerd"))
JWTCTL = os.environ.get("JWTCTL", os.path.join(TOP_BUILDDIR, "jwtctl"))


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, why=""):
        self.n += 1
        if cond:
            print(f"ok {self.n} - {name}", flush=True)
        else:
            self.failed += 1
            print(f"not ok {self.n} - {name}" + (f": {why}" if why else ""), flush=True)
        return cond

    def diag(self, msg):
        for line in str(msg).splitlines():
            print(f"# {line}", flush=True)

    def skip_all(self, why):
        print(f"1..0 # SKIP {why}", flush=True)
        sys.exit(0)

    def done(self):
        print(f"1..{self.n}", flush=True)
        sys.exit(1 if self.failed else 0)


def crypt_hash(password, prefix=b"$y$"):
    lc = ctypes.CDLL("libcrypt.so.1")
    lc.crypt_gensalt.restype = ctypes.c_char_p
    lc.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
    lc.crypt.restype = ctypes.c_char_p
    lc.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    return lc.crypt(password.encode(), lc.crypt_gensalt(prefix, 0, None, 0)).decode()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


SECRET = "svc-secret-0123456789"
USERS = {"alice": "alice pw", "bob": "bob-pw"}


class Issuer:
    """A jwt-issuerd on 127.0.0.1 with a scratch directory."""

    def __init__(self, tap, extra_issuer=(), http=None, password=None):
        self.tap = tap
        if not os.access(ISSUERD, os.X_OK):
            tap.skip_all("jwt-issuerd not built")
        self.dir = tempfile.mkdtemp(prefix="pjwt-daemon.")
        atexit.register(self.cleanup)
        self.state = os.path.join(self.dir, "state")
        os.mkdir(self.state)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.run_as = None
        if os.getuid() == 0:
            self.run_as = "nobody"
            gid = pwd.getpwnam("nobody").pw_gid
            os.chmod(self.dir, 0o711)
            os.chown(self.state, pwd.getpwnam("nobody").pw_uid, gid)
        self.key = os.path.join(self.dir, "key.pem")
        self.key2 = os.path.join(self.dir, "key2.pem")
        for k in (self.key, self.key2):
            self.genkey(k)
        self.users = os.path.join(self.dir, "users")
        with open(self.users, "w") as f:
            for u, p in USERS.items():
                f.write(f"{u}:{crypt_hash(p)}\n")
        self.protect(self.users)
        self.secret_hash = crypt_hash(SECRET)
        self.rs_hash = crypt_hash("rs-secret", b"$6$")
        self.conf = os.path.join(self.dir, "conf")
        self.extra_issuer = list(extra_issuer)
        self.http = {"threads": 2, "connection_timeout": 10}
        self.http.update(http or {})
        self.password = {"backend": "file", "users_file": self.users}
        self.password.update(password or {})
        self.write_conf()

    def protect(self, path):
        if self.run_as:
            os.chown(path, 0, pwd.getpwnam(self.run_as).pw_gid)
            os.chmod(path, 0o640)
        else:
            os.chmod(path, 0o600)

    def genkey(self, path, alg="ed25519"):
        subprocess.run(["openssl", "genpkey", "-algorithm", alg, "-out", path],
                       check=True, capture_output=True)
        self.protect(path)

    def write_conf(self, signing_key=None, previous=None, raw=None):
        lines = ["[issuer]", f"issuer = {self.url}",
                 f"signing_key = {signing_key or self.key}",
                 f"state_dir = {self.state}"]
        if previous:
            lines.append(f"previous_keys = {previous}")
        if self.run_as:
            lines.append(f"user = {self.run_as}")
        lines += self.extra_issuer
        lines += ["[http]", f"listen = 127.0.0.1:{self.port}"]
        lines += [f"{k} = {v}" for k, v in self.http.items()]
        lines += ["[password]"] + [f"{k} = {v}" for k, v in self.password.items()]
        lines += ["[client:ssh-cli]", "grant_types = password refresh_token",
                  "scopes = ssh sudo", "default_scope = ssh", "audience = ssh",
                  "[client:svc]", f"secret_hash = {self.secret_hash}",
                  "grant_types = client_credentials password refresh_token",
                  "scopes = api ssh", "default_scope = api", "audience = api",
                  "[client:rs]", f"secret_hash = {self.rs_hash}",
                  "grant_types = client_credentials", "audience = rs"]
        with open(self.conf, "w") as f:
            f.write(raw if raw is not None else "\n".join(lines) + "\n")
        os.chmod(self.conf, 0o644)

    def start(self, args=(), wrapper=(), env=None, wait=True):
        self.log = open(os.path.join(self.dir, "log"), "ab")
        self.proc = subprocess.Popen(list(wrapper) + [ISSUERD, "-c", self.conf] + list(args),
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=self.log, env=env)
        if wait and not self.wait_up():
            self.tap.diag("jwt-issuerd did not come up:\n" + self.logtext()[-2000:])
            return False
        return True

    def wait_up(self, tries=150):
        import requests
        for _ in range(tries):
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return True
            except requests.RequestException:
                pass
            if self.proc is not None and self.proc.poll() is not None:
                return False
            time.sleep(0.1)
        return False

    def logtext(self):
        with open(os.path.join(self.dir, "log"), "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Signal the daemon (by PID) and wait; returns its exit status."""
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait(timeout=10)
        self.proc = None
        return rc

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def jwt_payload(tok):
    import base64
    p = tok.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))


def jwt_header(tok):
    import base64
    p = tok.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))


def raw_http(port, request, src=None, timeout=10):
    """Send request (bytes) on a fresh connection to 127.0.0.1:port, from
    source address src (e.g. another 127/8 address) when given, and return
    everything the daemon sends back until it closes or timeout (bounded)."""
    s = socket.socket()
    if src is not None:
        s.bind((src, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    s.sendall(request)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            d = s.recv(65536)
        except OSError:
            break
        if not d:
            break
        data += d
    s.close()
    return data
