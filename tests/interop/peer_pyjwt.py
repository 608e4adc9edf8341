#!/usr/bin/python3
# tests/interop/peer_pyjwt.py - PyJWT (Debian python3-jwt) as an interop peer.
#
#   peer_pyjwt.py check  ALG                      exit 0, or 77 and why not
#   peer_pyjwt.py keygen ALG PRIVFILE PUBFILE     traditional PEM (PKCS#8 for
#                                                 Ed25519); HS*: a JWK secret
#   peer_pyjwt.py sign   ALG KEYFILE CLAIMS_JSON  compact JWT on stdout
#   peer_pyjwt.py verify ALG KEYFILE TOKEN        claims JSON on stdout
#
# KEYFILE: PEM (private or SubjectPublicKeyInfo), a JWK, or (verify) a JWK Set,
# from which the key named by the token's kid is taken.  sign writes the
# header typ "at+jwt" and the JWK's kid, if any.  verify allows ALG only and
# checks exp, typ (INTEROP_TYP, default at+jwt; "any" skips), and iss / aud
# when INTEROP_ISS / INTEROP_AUD are set.
# Exit: 0 ok; 1 rejected ("invalid: ..." on stderr); 2 usage or key trouble;
# 77 this peer cannot do ALG (the reason on stderr).
# Must run with /usr/bin/python3 (Debian's packages).

import json
import os
import secrets
import sys

try:
    import jwt
    from jwt.algorithms import get_default_algorithms
except ImportError as e:
    print('unsupported: PyJWT not importable (%s)' % e, file=sys.stderr)
    sys.exit(77)

HS_LEN = {'HS256': 32, 'HS384': 48, 'HS512': 64}
CURVES = {'ES256': 'P-256', 'ES384': 'P-384', 'ES512': 'P-521'}


def die(msg, code=2):
    print(msg, file=sys.stderr)
    sys.exit(code)


def need_alg(alg):
    if alg not in get_default_algorithms():
        die('unsupported: PyJWT %s has no %s (python3-cryptography missing?)'
            % (jwt.__version__, alg), 77)


def b64e(b):
    import base64
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode('ascii')


def keygen(alg, priv, pub):
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    if alg in HS_LEN:
        jwk = json.dumps({'kty': 'oct', 'k': b64e(secrets.token_bytes(HS_LEN[alg])),
                          'alg': alg})
        for path in (priv, pub):
            with open(path, 'w') as f:
                f.write(jwk + '\n')
        return
    if alg[:2] in ('RS', 'PS'):
        k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        fmt = ser.PrivateFormat.TraditionalOpenSSL
    elif alg in CURVES:
        curve = {'ES256': ec.SECP256R1, 'ES384': ec.SECP384R1, 'ES512': ec.SECP521R1}[alg]
        k = ec.generate_private_key(curve())
        fmt = ser.PrivateFormat.TraditionalOpenSSL
    elif alg == 'EdDSA':
        k = ed25519.Ed25519PrivateKey.generate()
        fmt = ser.PrivateFormat.PKCS8      # Ed25519 has no traditional form
    else:
        die('unsupported: no key generation for %s' % alg, 77)
    with open(priv, 'wb') as f:
        f.write(k.private_bytes(ser.Encoding.PEM, fmt, ser.NoEncryption()))
    with open(pub, 'wb') as f:
        f.write(k.public_key().public_bytes(ser.Encoding.PEM,
                                            ser.PublicFormat.SubjectPublicKeyInfo))


def load_key(alg, path, private, token=None):
    """(key object for PyJWT, kid or None)"""
    with open(path, 'rb') as f:
        data = f.read()
    if data.lstrip().startswith(b'{'):
        obj = json.loads(data)
        if 'keys' in obj:
            kid = jwt.get_unverified_header(token).get('kid') if token else None
            cands = [k for k in obj['keys']
                     if (kid is None or k.get('kid') == kid)
                     and k.get('alg', alg) == alg]
            if not cands:
                raise jwt.exceptions.PyJWKSetError('no key for kid %r alg %s' % (kid, alg))
            obj = cands[0]
        return jwt.PyJWK(obj, algorithm=alg).key, obj.get('kid')
    from cryptography.hazmat.primitives import serialization as ser
    if private:
        return ser.load_pem_private_key(data, password=None), None
    return ser.load_pem_public_key(data), None


def main(argv):
    if len(argv) == 2 and argv[0] == 'check':
        need_alg(argv[1])
        return 0
    if len(argv) != 4 or argv[0] not in ('keygen', 'sign', 'verify'):
        die('usage: peer_pyjwt.py check ALG | keygen ALG PRIV PUB | sign ALG KEY CLAIMS | '
            'verify ALG KEY TOKEN')
    cmd, alg = argv[0], argv[1]
    need_alg(alg)
    if cmd == 'keygen':
        keygen(alg, argv[2], argv[3])
        return 0
    if cmd == 'sign':
        key, kid = load_key(alg, argv[2], True)
        headers = {'typ': 'at+jwt'}
        if kid:
            headers['kid'] = kid
        print(jwt.encode(json.loads(argv[3]), key, algorithm=alg, headers=headers))
        return 0
    token = argv[3]
    try:
        key, _ = load_key(alg, argv[2], False, token)
        want_typ = os.environ.get('INTEROP_TYP', 'at+jwt')
        aud = os.environ.get('INTEROP_AUD')
        claims = jwt.decode(token, key, algorithms=[alg],
                            issuer=os.environ.get('INTEROP_ISS'), audience=aud,
                            options={'require': ['exp'], 'verify_aud': aud is not None})
        typ = jwt.get_unverified_header(token).get('typ', '')
        if want_typ != 'any' and typ.lower().removeprefix('application/') != want_typ.lower():
            raise jwt.exceptions.InvalidTokenError('typ %r, want %r' % (typ, want_typ))
    except Exception as e:  # any failure to verify is a rejection
        die('invalid: %s: %s' % (type(e).__name__, e), 1)
    print(json.dumps(claims, sort_keys=True, separators=(',', ':')))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
