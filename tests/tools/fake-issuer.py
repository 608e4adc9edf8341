#!/usr/bin/python3
# fake-issuer.py DIR - a stand-in issuer on 127.0.0.1 for jwtctl sync tests:
# it answers what the test put in DIR, so the test can break it at will.
#
#   GET /.well-known/oauth-authorization-server -> DIR/metadata.*
#   GET /jwks                                   -> DIR/jwks.*
#   GET /revoked                                -> DIR/revoked.*
#   POST /token                                 -> DIR/token.* (body ignored)
#
# NAME.body is the body (absent: 404), NAME.status an HTTP status (default
# 200), NAME.location a Location header.  Prints "port N" on stdout once it
# listens, then serves until killed.
import http.server
import os
import sys

DIR = sys.argv[1]
ROUTES = {
    "/.well-known/oauth-authorization-server": "metadata",
    "/jwks": "jwks",
    "/revoked": "revoked",
    "/token": "token",
}


def read(name, default=None):
    try:
        with open(os.path.join(DIR, name), "rb") as f:
            return f.read()
    except FileNotFoundError:
        return default


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        name = ROUTES.get(self.path)
        body = read(name + ".body") if name else None
        if body is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status = int((read(name + ".status") or b"200").strip())
        self.send_response(status)
        loc = read(name + ".location")
        if loc:
            self.send_header("Location", loc.decode().strip())
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.do_GET()

    def log_message(self, fmt, *args):
        pass


srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print("port", srv.server_address[1], flush=True)
srv.serve_forever()
