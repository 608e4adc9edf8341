#!/usr/bin/python3
# tests/interop/peer_jwcrypto.py - jwcrypto (Debian python3-jwcrypto) as an
# interop peer.
#
#   peer_jwcrypto.py check  ALG                      exit 0, or 77 and why not
#   peer_jwcrypto.py keygen ALG PRIVFILE PUBFILE     private / public JWK with
#                                                    "alg" and kid = thumbprint
#   peer_jwcrypto.py sign   ALG KEYFILE CLAIMS_JSON  compact JWT on stdout
#   peer_jwcrypto.py verify ALG KEYFILE TOKEN        claims JSON on stdout
#
# KEYFILE: PEM, a JWK, or (verify) a JWK Set (jwcrypto picks the key by kid).
# sign writes the header typ "at+jwt" and the key's kid, if any.  verify
# allows ALG only and checks exp, typ (INTEROP_TYP, default at+jwt; "any"
# skips), and iss / aud when INTEROP_ISS / INTEROP_AUD are set.
# Exit: 0 ok; 1 rejected ("invalid: ..." on stderr); 2 usage or key trouble;
# 77 this peer cannot do ALG (the reason on stderr).
# Must run with /usr/bin/python3 (Debian's packages).

import json
import os
import sys

try:
    from jwcrypto import jwk, jws, jwt
    from jwcrypto.common import JWException
except ImportError as e:
    print('unsupported: jwcrypto not importable (%s)' % e, file=sys.stderr)
    sys.exit(77)

GEN = {'HS256': dict(kty='oct', size=256), 'HS384': dict(kty='oct', size=384),
       'HS512': dict(kty='oct', size=512),
       'ES256': dict(kty='EC', crv='P-256'), 'ES384': dict(kty='EC', crv='P-384'),
       'ES512': dict(kty='EC', crv='P-521'), 'EdDSA': dict(kty='OKP', crv='Ed25519')}
for _a in ('RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'):
    GEN[_a] = dict(kty='RSA', size=2048)


def die(msg, code=2):
    print(msg, file=sys.stderr)
    sys.exit(code)


def need_alg(alg):
    if alg not in jws.default_allowed_algs or alg not in GEN:
        die('unsupported: jwcrypto has no %s' % alg, 77)


def keygen(alg, priv, pub):
    k = jwk.JWK.generate(alg=alg, **GEN[alg])
    d = k.export(private_key=True, as_dict=True)
    d['kid'] = k.thumbprint()
    d['use'] = 'sig'
    k = jwk.JWK(**d)
    with open(priv, 'w') as f:
        f.write(k.export(private_key=True) + '\n')
    with open(pub, 'w') as f:
        # An oct key has no public half: the verifier needs the secret.
        f.write((k.export(private_key=True) if d['kty'] == 'oct'
                 else k.export_public()) + '\n')


def load_key(path):
    with open(path, 'rb') as f:
        data = f.read()
    if data.lstrip().startswith(b'{'):
        obj = json.loads(data)
        if 'keys' in obj:
            return jwk.JWKSet.from_json(data)
        return jwk.JWK(**obj)
    return jwk.JWK.from_pem(data)


def main(argv):
    if len(argv) == 2 and argv[0] == 'check':
        need_alg(argv[1])
        return 0
    if len(argv) != 4 or argv[0] not in ('keygen', 'sign', 'verify'):
        die('usage: peer_jwcrypto.py check ALG | keygen ALG PRIV PUB | sign ALG KEY CLAIMS | '
            'verify ALG KEY TOKEN')
    cmd, alg = argv[0], argv[1]
    need_alg(alg)
    if cmd == 'keygen':
        keygen(alg, argv[2], argv[3])
        return 0
    if cmd == 'sign':
        key = load_key(argv[2])
        header = {'alg': alg, 'typ': 'at+jwt'}
        if key.get('kid'):
            header['kid'] = key.get('kid')
        t = jwt.JWT(header=header, claims=json.loads(argv[3]), algs=[alg])
        t.make_signed_token(key)
        print(t.serialize())
        return 0
    token = argv[3]
    check = {'exp': None}
    for claim, env in (('iss', 'INTEROP_ISS'), ('aud', 'INTEROP_AUD')):
        if os.environ.get(env) is not None:
            check[claim] = os.environ[env]
    try:
        key = load_key(argv[2])
        t = jwt.JWT(jwt=token, key=key, algs=[alg], check_claims=check)
        want_typ = os.environ.get('INTEROP_TYP', 'at+jwt')
        typ = json.loads(t.header).get('typ', '')
        if want_typ != 'any' and t.norm_typ(typ) != t.norm_typ(want_typ):
            raise JWException('typ %r, want %r' % (typ, want_typ))
    except Exception as e:  # any failure to verify is a rejection
        die('invalid: %s: %s' % (type(e).__name__, e), 1)
    print(json.dumps(json.loads(t.claims), sort_keys=True, separators=(',', ':')))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
