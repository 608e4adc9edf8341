#!/usr/bin/python3
# tests/interop/tamper.py - print a tampered copy of a compact JWS.
#
#   tamper.py sig TOKEN       flip one bit in the middle of the signature
#   tamper.py payload TOKEN   set the JSON payload's "sub" to "mallory",
#                             keeping header and signature
import base64
import json
import sys


def b64d(s):
    return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode('ascii')


def main(argv):
    if len(argv) != 2 or argv[0] not in ('sig', 'payload'):
        sys.exit('usage: tamper.py sig|payload TOKEN')
    h, p, s = argv[1].strip().split('.')
    if argv[0] == 'sig':
        sig = bytearray(b64d(s))
        sig[len(sig) // 2] ^= 0x01
        s = b64e(bytes(sig))
    else:
        claims = json.loads(b64d(p))
        claims['sub'] = 'mallory'
        p = b64e(json.dumps(claims, separators=(',', ':')).encode())
    print('%s.%s.%s' % (h, p, s))


if __name__ == '__main__':
    main(sys.argv[1:])
