#!/usr/bin/python3
# tests/vectors/regen.py - derive the generated vector folders from the RFC ones.
#
#   /usr/bin/python3 tests/vectors/regen.py           rewrite the generated data
#   /usr/bin/python3 tests/vectors/regen.py --check   TAP: committed data == what
#                                                     this script would write
#
# The RFC folders (rfc*-*, no '.' in the name) hold values copied from the RFC
# texts and are never written by this script, except their `signed` file (see
# below).  Every other folder is named RFCCASE.VARIANT and is written here, with
# a one-line `note` saying how it was derived.  The output is deterministic:
# only deterministic signatures (HMAC, RSASSA-PKCS1-v1_5, Ed25519) are ever
# computed, so a re-run reproduces the committed bytes and --check can compare.
#
# Independent implementation: Python's hmac/hashlib plus python3-cryptography
# (Debian package); nothing here calls libpjwt.  Before deriving anything the
# script re-verifies each RFC signature, and where it holds the private key of
# a deterministic algorithm it re-creates the RFC's exact signature, so a
# mistyped RFC value stops it.
#
# Files of a folder (read by tests/vectors/test-vectors.c):
#   key.jwk     the key, a JWK with "alg"            (all folders)
#   token       compact JWS, no trailing newline      (verify cases)
#   expect      `ok` or a pjwt_strerror name          (verify cases)
#   payload     exact expected payload bytes          (optional)
#   algs        allowed algorithms, "ES256,EdDSA"     (optional; default all)
#   thumbprint  RFC 7638 SHA-256 thumbprint           (optional)
#   signed      exact expected pjwt_jws_sign(key, typ=NULL, payload) output:
#               header {"alg":ALG,"kid":KID}, kid = the JWK's "kid" or its
#               RFC 7638 thumbprint.  Written by this script for RFC folders
#               with a private key of a deterministic algorithm.
#   note        what a generated folder is (ignored by the runner)

import base64
import hashlib
import hmac
import json
import os
import shutil
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

HERE = os.path.dirname(os.path.abspath(__file__))
MAKEFILE = os.path.join(HERE, 'Makefile.inc')
MK_BEGIN = '# BEGIN vector folders (written by regen.py)\n'
MK_END = '# END vector folders\n'

HASH = {'256': hashes.SHA256, '384': hashes.SHA384, '512': hashes.SHA512}
HLIB = {'256': hashlib.sha256, '384': hashlib.sha384, '512': hashlib.sha512}
CURVE = {'P-256': (ec.SECP256R1, 32), 'P-384': (ec.SECP384R1, 48),
         'P-521': (ec.SECP521R1, 66)}
# A different algorithm the same kind of key could carry (header alg swap).
SIBLING = {'HS256': 'HS384', 'HS384': 'HS512', 'HS512': 'HS256',
           'RS256': 'PS256', 'RS384': 'PS384', 'RS512': 'PS512',
           'PS256': 'RS256', 'PS384': 'RS384', 'PS512': 'RS512',
           'ES256': 'ES384', 'ES384': 'ES512', 'ES512': 'ES256',
           'EdDSA': 'ES256'}
DETERMINISTIC = ('HS', 'RS', 'Ed')


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode('ascii')


def b64d(s):
    if isinstance(s, bytes):
        s = s.decode('ascii')
    return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))


def b2i(s):
    return int.from_bytes(b64d(s), 'big')


def thumbprint(jwk):
    req = {'RSA': ('e', 'kty', 'n'), 'EC': ('crv', 'kty', 'x', 'y'),
           'OKP': ('crv', 'kty', 'x'), 'oct': ('k', 'kty')}[jwk['kty']]
    canon = json.dumps({m: jwk[m] for m in req}, separators=(',', ':'),
                       sort_keys=True)
    return b64e(hashlib.sha256(canon.encode('utf-8')).digest())


class Key:
    """A JWK as python3-cryptography objects, bound to jwk["alg"]."""

    def __init__(self, jwk):
        self.jwk = jwk
        self.alg = jwk['alg']
        self.kid = jwk.get('kid') or thumbprint(jwk)
        self.priv = None
        kty = jwk['kty']
        if kty == 'oct':
            self.secret = b64d(jwk['k'])
            self.priv = self.secret
            self.pub = None
        elif kty == 'RSA':
            pubn = rsa.RSAPublicNumbers(b2i(jwk['e']), b2i(jwk['n']))
            self.pub = pubn.public_key()
            if 'd' in jwk:
                self.priv = rsa.RSAPrivateNumbers(
                    b2i(jwk['p']), b2i(jwk['q']), b2i(jwk['d']),
                    b2i(jwk['dp']), b2i(jwk['dq']), b2i(jwk['qi']),
                    pubn).private_key()
        elif kty == 'EC':
            curve, self.size = CURVE[jwk['crv']]
            pubn = ec.EllipticCurvePublicNumbers(b2i(jwk['x']), b2i(jwk['y']),
                                                 curve())
            self.pub = pubn.public_key()
            if 'd' in jwk:
                self.priv = ec.EllipticCurvePrivateNumbers(
                    b2i(jwk['d']), pubn).private_key()
        elif kty == 'OKP' and jwk['crv'] == 'Ed25519':
            self.pub = ed25519.Ed25519PublicKey.from_public_bytes(
                b64d(jwk['x']))
            if 'd' in jwk:
                self.priv = ed25519.Ed25519PrivateKey.from_private_bytes(
                    b64d(jwk['d']))
                raw = self.priv.public_key().public_bytes(
                    serialization.Encoding.Raw, serialization.PublicFormat.Raw)
                if raw != b64d(jwk['x']):
                    sys.exit('regen: Ed25519 d does not match x')
        else:
            sys.exit('regen: unsupported key %r' % jwk)

    def can_sign_deterministic(self):
        return self.priv is not None and self.alg.startswith(DETERMINISTIC)

    def sign(self, msg):
        a, bits = self.alg[:2], self.alg[2:]
        if a == 'HS':
            return hmac.new(self.secret, msg, HLIB[bits]).digest()
        if a == 'RS':
            return self.priv.sign(msg, padding.PKCS1v15(), HASH[bits]())
        if a == 'Ed':
            return self.priv.sign(msg)
        sys.exit('regen: refusing a randomised signature (%s)' % self.alg)

    def verify(self, msg, sig):
        a, bits = self.alg[:2], self.alg[2:]
        try:
            if a == 'HS':
                return hmac.compare_digest(self.sign(msg), sig)
            if a == 'RS':
                self.pub.verify(sig, msg, padding.PKCS1v15(), HASH[bits]())
            elif a == 'PS':
                h = HASH[bits]()
                self.pub.verify(sig, msg, padding.PSS(padding.MGF1(h),
                                                      h.digest_size), h)
            elif a == 'ES':
                if len(sig) != 2 * self.size:
                    return False
                r = int.from_bytes(sig[:self.size], 'big')
                s = int.from_bytes(sig[self.size:], 'big')
                self.pub.verify(encode_dss_signature(r, s), msg,
                                ec.ECDSA(HASH[bits]()))
            else:
                self.pub.verify(sig, msg)
            return True
        except InvalidSignature:
            return False

    def public_pem(self):
        return self.pub.public_bytes(serialization.Encoding.PEM,
                                     serialization.PublicFormat.SubjectPublicKeyInfo)


def read(path, mode='rb'):
    with open(path, mode) as f:
        return f.read()


def is_rfc_folder(name):
    # RFC folders are named rfcNNNN-SECTION-WHAT ("rfc7520-4.1-rs256");
    # generated ones append ".VARIANT" ("rfc7520-4.1-rs256.sig-bitflip").
    parts = name.split('-')
    return name.startswith('rfc') and len(parts) == 3 and '.' not in parts[2]


def hdr_set(hdr, member, value):
    """Replace the value of one string member in the original header bytes,
    keeping every other byte (RFC 7515 A.1 has CRLF and spaces)."""
    needle = ('"%s":"' % member).encode()
    i = hdr.index(needle) + len(needle)
    j = hdr.index(b'"', i)
    return hdr[:i] + value.encode() + hdr[j:]


def hdr_add(hdr, extra):
    """Add members before the closing brace of the original header bytes."""
    i = hdr.rindex(b'}')
    return hdr[:i] + b',' + extra.encode() + hdr[i:]


def variants(name, d):
    """Yield (variant, files, note) for one RFC folder."""
    key = Key(json.loads(read(os.path.join(d, 'key.jwk'))))
    tok = read(os.path.join(d, 'token')).decode('ascii').strip()
    h64, p64, s64 = tok.split('.')
    hdr, sig = b64d(h64), b64d(s64)
    alg = json.loads(hdr)['alg']
    has_kid = 'kid' in json.loads(hdr)
    if alg != key.alg:
        sys.exit('regen: %s: header alg %s, key alg %s' % (name, alg, key.alg))
    # The RFC values must be right before anything is derived from them.
    if not key.verify((h64 + '.' + p64).encode(), sig):
        sys.exit('regen: %s: the RFC signature does not verify' % name)
    if key.can_sign_deterministic() and key.sign((h64 + '.' + p64).encode()) != sig:
        sys.exit('regen: %s: re-signing does not give the RFC bytes' % name)
    if read(os.path.join(d, 'expect')).strip() != b'ok':
        sys.exit('regen: %s: expect is not ok' % name)

    def tokfiles(h, p, s, expect, algs=None):
        files = {'key.jwk': read(os.path.join(d, 'key.jwk')),
                 'token': ('%s.%s.%s' % (h, p, s)).encode(),
                 'expect': (expect + '\n').encode()}
        if algs:
            files['algs'] = (algs + '\n').encode()
        return files

    def resigned(h):
        h = b64e(h)
        return h, b64e(key.sign((h + '.' + p64).encode()))

    no_key = 'alg_mismatch' if has_kid else 'no_matching_key'

    s = bytearray(sig)
    s[len(s) // 2] ^= 0x01
    yield ('sig-bitflip', tokfiles(h64, p64, b64e(bytes(s)), 'bad_signature'),
           'one bit of the signature flipped (byte %d, bit 0)' % (len(s) // 2))

    p = bytearray(b64d(p64))
    p[0] ^= 0x01
    yield ('payload-bitflip', tokfiles(h64, b64e(bytes(p)), s64, 'bad_signature'),
           'one bit of the payload flipped (byte 0, bit 0)')

    yield ('sig-truncated', tokfiles(h64, p64, b64e(sig[:-1]), 'bad_signature'),
           'the last signature byte removed')

    yield ('sig-extended', tokfiles(h64, p64, b64e(sig + b'\x00'), 'bad_signature'),
           'a zero byte appended to the signature')

    if len(sig) % 3:
        # The last base64url character carries unused bits: set one of them.
        alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
        v = alpha.index(s64[-1]) | 1
        yield ('sig-noncanonical', tokfiles(h64, p64, s64[:-1] + alpha[v], 'malformed'),
               'a trailing unused bit of the signature base64url set')

    yield ('alg-none', tokfiles(b64e(hdr_set(hdr, 'alg', 'none')), p64, s64, 'alg_none'),
           'header alg changed to "none", signature kept')

    yield ('alg-none-upper', tokfiles(b64e(hdr_set(hdr, 'alg', 'NONE')), p64, s64, 'alg_none'),
           'header alg changed to "NONE", signature kept')

    yield ('alg-none-unsigned', tokfiles(b64e(hdr_set(hdr, 'alg', 'none')), p64, '', 'alg_none'),
           'header alg changed to "none", signature segment empty (RFC 7515 A.5 shape)')

    yield ('alg-unknown', tokfiles(b64e(hdr_set(hdr, 'alg', 'XS256')), p64, s64, 'unsupported_alg'),
           'header alg changed to "XS256", signature kept')

    yield ('alg-swap', tokfiles(b64e(hdr_set(hdr, 'alg', SIBLING[alg])), p64, s64, no_key),
           'header alg changed to %s (key bound to %s), signature kept; %s'
           % (SIBLING[alg], alg, 'kid names the key' if has_kid else 'no kid'))

    if key.pub is not None:
        # The classic confusion: HS256 keyed with the public key's PEM text.
        h = b64e(hdr_set(hdr, 'alg', 'HS256'))
        mac = hmac.new(key.public_pem(), (h + '.' + p64).encode(), hashlib.sha256).digest()
        yield ('alg-hs256-pubkey', tokfiles(h, p64, b64e(mac), no_key),
               'header alg changed to HS256, signed with HMAC keyed by the public key PEM')

    others = [a for a in ('EdDSA', 'ES256') if a != alg]
    yield ('alg-not-allowed', tokfiles(h64, p64, s64, 'alg_not_allowed', others[0]),
           'the RFC token, with only %s allowed' % others[0])

    if has_kid:
        yield ('kid-unknown', tokfiles(b64e(hdr_set(hdr, 'kid', 'no-such-key')), p64, s64, 'unknown_kid'),
               'header kid changed to "no-such-key", signature kept')

    if key.can_sign_deterministic():
        # Valid signatures over a header that must still be refused.
        for var, extra, expect, what in (
                ('crit', '"crit":["exp"],"exp":1363284000', 'crit_unsupported',
                 'a "crit" member (RFC 7515 E)'),
                ('hdr-jku', '"jku":"https://attacker.example/jwks.json"', 'untrusted_header',
                 'a "jku" member'),
                ('hdr-x5u', '"x5u":"https://attacker.example/cert.pem"', 'untrusted_header',
                 'an "x5u" member'),
                ('hdr-jwk', '"jwk":{"kty":"oct","k":"%s"}' % b64e(bytes(32)), 'untrusted_header',
                 'a "jwk" member'),
                ('hdr-x5c', '"x5c":["MIIB"]', 'untrusted_header', 'an "x5c" member'),
                ('hdr-dup-alg', '"alg":"%s"' % alg, 'malformed',
                 'a second "alg" member (duplicate)')):
            h, sg = resigned(hdr_add(hdr, extra))
            yield (var, tokfiles(h, p64, sg, expect),
                   '%s added to the header, validly re-signed with the RFC key' % what)
        h, sg = resigned(b'[' + hdr + b']')
        yield ('hdr-not-object', tokfiles(h, p64, sg, 'malformed'),
               'the header wrapped in a JSON array, validly re-signed')


def signed_file(d):
    """`signed` for an RFC folder whose key signs deterministically."""
    path = os.path.join(d, 'payload')
    key = Key(json.loads(read(os.path.join(d, 'key.jwk'))))
    if not key.can_sign_deterministic() or not os.path.exists(path):
        return None
    h = b64e(json.dumps({'alg': key.alg, 'kid': key.kid},
                        separators=(',', ':')).encode())
    p = b64e(read(path))
    return ('%s.%s.%s' % (h, p, b64e(key.sign((h + '.' + p).encode())))).encode()


def generate(out):
    """Write all generated folders under out; return {relpath: bytes}."""
    files = {}
    names = []
    for name in sorted(os.listdir(HERE)):
        d = os.path.join(HERE, name)
        if not (os.path.isdir(d) and is_rfc_folder(name)):
            continue
        names.append(name)
        if os.path.exists(os.path.join(d, 'thumbprint')):
            jwk = json.loads(read(os.path.join(d, 'key.jwk')))
            if thumbprint(jwk) != read(os.path.join(d, 'thumbprint')).decode().strip():
                sys.exit('regen: %s: thumbprint does not match the key' % name)
        s = signed_file(d)
        if s is not None:
            files[os.path.join(name, 'signed')] = s
        if not os.path.exists(os.path.join(d, 'token')):
            continue
        for var, fl, note in variants(name, d):
            sub = name + '.' + var
            names.append(sub)
            fl['note'] = ('derived from %s: %s\n' % (name, note)).encode()
            for fn, data in fl.items():
                files[os.path.join(sub, fn)] = data
    mk = MK_BEGIN + 'VECTOR_DIRS = \\\n' + ''.join(
        '\ttests/vectors/%s%s\n' % (n, ' \\' if i < len(names) - 1 else '')
        for i, n in enumerate(sorted(names))) + MK_END
    return files, mk


def splice_makefile(text, block):
    i = text.index(MK_BEGIN)
    j = text.index(MK_END) + len(MK_END)
    return text[:i] + block + text[j:]


def main():
    check = sys.argv[1:] == ['--check']
    if sys.argv[1:] and not check:
        sys.exit('usage: regen.py [--check]')
    files, mk = generate(HERE)
    mktext = read(MAKEFILE, 'r')
    if check:
        bad = []
        for rel, data in sorted(files.items()):
            p = os.path.join(HERE, rel)
            if not os.path.exists(p) or read(p) != data:
                bad.append('differs or missing: ' + rel)
        want_dirs = {rel.split(os.sep)[0] for rel in files} - set(
            n for n in os.listdir(HERE) if is_rfc_folder(n))
        for name in os.listdir(HERE):
            if os.path.isdir(os.path.join(HERE, name)) and not is_rfc_folder(name) \
                    and name not in want_dirs:
                bad.append('stale folder: ' + name)
        for name in sorted(want_dirs):
            d = os.path.join(HERE, name)
            for fn in sorted(os.listdir(d)) if os.path.isdir(d) else ():
                if os.path.join(name, fn) not in files:
                    bad.append('stale file: ' + os.path.join(name, fn))
        if splice_makefile(mktext, mk) != mktext:
            bad.append('Makefile.inc VECTOR_DIRS is out of date')
        print('1..1')
        if bad:
            print('not ok 1 - generated vectors match regen.py')
            for b in bad:
                print('#   ' + b)
            return 1
        print('ok 1 - generated vectors match regen.py (%d files)' % len(files))
        return 0
    for name in os.listdir(HERE):
        if os.path.isdir(os.path.join(HERE, name)) and not is_rfc_folder(name):
            shutil.rmtree(os.path.join(HERE, name))
    for rel, data in files.items():
        p = os.path.join(HERE, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, 'wb') as f:
            f.write(data)
    with open(MAKEFILE, 'w') as f:
        f.write(splice_makefile(mktext, mk))
    print('regen: wrote %d files' % len(files))
    return 0


if __name__ == '__main__':
    sys.exit(main())
