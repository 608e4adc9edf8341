#!/usr/bin/python3
"""syslog-capture.py SOCKET OUTFILE: a minimal syslog(3) receiver for tests.

Binds a unix datagram socket at SOCKET (mode 0666, as /dev/log is), writes
each message it receives as one line to OUTFILE (flushed at once), and
removes the socket on SIGTERM/SIGINT.  Used by tests/e2e/sshd-lib.sh to see
what pam_jwt.so logs inside sshd when no syslog daemon runs.
"""
import os
import signal
import socket
import sys


def main():
    path, out = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    os.chmod(path, 0o666)
    ino = os.stat(path).st_ino

    def stop(signum, frame):
        try:
            # Only our own socket: never a /dev/log someone else made since.
            if os.stat(path).st_ino == ino:
                os.unlink(path)
        except OSError:
            pass
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with open(out, "a", encoding="utf-8", errors="replace") as f:
        print("ready", file=f, flush=True)
        while True:
            data = sock.recv(65536)
            line = data.decode("utf-8", "replace").replace("\n", "\\n")
            print(line, file=f, flush=True)


if __name__ == "__main__":
    main()
