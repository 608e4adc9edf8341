#!/usr/bin/env python3
"""make-corpus.py - regenerate the fuzz seed corpus (and, with --new-keys, keys).

    tests/fuzz/make-corpus.py [--new-keys]

Writes tests/fuzz/corpus/verify/* (inputs for fuzz-verify) and
tests/fuzz/corpus/jwks/* (inputs for fuzz-jwks) from the fixed keys in
tests/fuzz/keys/*.jwk.  Tokens are signed here, not with jwtctl, because many
seeds need headers no issuer would produce (crit, jku, alg none, wrong kid)
under a VALID signature, so that the fuzzer starts past the signature check.
ECDSA signatures are random: regenerating changes the ES256 seeds only.

The clock and policy must match fuzz-verify.c: now = 1700000000,
iss https://issuer.example, aud fuzz-aud, user alice, scopes "ssh sudo".
Needs python3-cryptography.
"""
import base64
import hashlib
import hmac
import json
import os
import shutil
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = os.path.join(HERE, "keys")
CORPUS_V = os.path.join(HERE, "corpus", "verify")
CORPUS_J = os.path.join(HERE, "corpus", "jwks")

NOW = 1700000000
ISS = "https://issuer.example"
AUD = "fuzz-aud"
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def b64u(b):
    if isinstance(b, str):
        b = b.encode()
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def int_b64(n, size=None):
    if size is None:
        size = (n.bit_length() + 7) // 8
    return b64u(n.to_bytes(size, "big"))


def jdump(o):
    return json.dumps(o, separators=(",", ":"))


# ---- keys ------------------------------------------------------------------

def new_keys():
    os.makedirs(KEYS, exist_ok=True)
    ed = ed25519.Ed25519PrivateKey.generate()
    raw_d = ed.private_bytes(serialization.Encoding.Raw,
                             serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())
    raw_x = ed.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)
    jwks = {
        "eddsa": {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw_x),
                  "d": b64u(raw_d)},
    }
    e = ec.generate_private_key(ec.SECP256R1())
    pn = e.private_numbers()
    jwks["es256"] = {"kty": "EC", "crv": "P-256",
                     "x": int_b64(pn.public_numbers.x, 32),
                     "y": int_b64(pn.public_numbers.y, 32),
                     "d": int_b64(pn.private_value, 32)}
    r = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rn = r.private_numbers()
    jwks["rs256"] = {"kty": "RSA", "n": int_b64(rn.public_numbers.n),
                     "e": int_b64(rn.public_numbers.e), "d": int_b64(rn.d),
                     "p": int_b64(rn.p), "q": int_b64(rn.q),
                     "dp": int_b64(rn.dmp1), "dq": int_b64(rn.dmq1),
                     "qi": int_b64(rn.iqmp)}
    jwks["hs256"] = {"kty": "oct", "k": b64u(os.urandom(32))}
    for name, alg in (("eddsa", "EdDSA"), ("es256", "ES256"),
                      ("rs256", "RS256"), ("hs256", "HS256")):
        k = jwks[name]
        k.update({"alg": alg, "kid": "fuzz-" + name, "use": "sig"})
        with open(os.path.join(KEYS, name + ".jwk"), "w") as f:
            f.write(json.dumps(k, indent=1) + "\n")


def load_keys():
    keys = {}
    for name in ("eddsa", "es256", "rs256", "hs256"):
        with open(os.path.join(KEYS, name + ".jwk")) as f:
            keys[name] = json.load(f)
    return keys


def b2i(s):
    return int.from_bytes(unb64u(s), "big")


class Signer:
    def __init__(self, jwk):
        self.jwk = jwk
        kty = jwk["kty"]
        if kty == "OKP":
            self.k = ed25519.Ed25519PrivateKey.from_private_bytes(unb64u(jwk["d"]))
        elif kty == "EC":
            self.k = ec.derive_private_key(b2i(jwk["d"]), ec.SECP256R1())
        elif kty == "RSA":
            pub = rsa.RSAPublicNumbers(b2i(jwk["e"]), b2i(jwk["n"]))
            self.k = rsa.RSAPrivateNumbers(
                b2i(jwk["p"]), b2i(jwk["q"]), b2i(jwk["d"]), b2i(jwk["dp"]),
                b2i(jwk["dq"]), b2i(jwk["qi"]), pub).private_key()
        else:
            self.k = unb64u(jwk["k"])

    def sign(self, data):
        kty = self.jwk["kty"]
        if kty == "OKP":
            return self.k.sign(data)
        if kty == "EC":
            r, s = decode_dss_signature(self.k.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        if kty == "RSA":
            return self.k.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return hmac.new(self.k, data, hashlib.sha256).digest()


def token(signer, header, payload, sig=None):
    """header/payload: dict (serialised compactly) or str (used verbatim)."""
    h = header if isinstance(header, str) else jdump(header)
    p = payload if isinstance(payload, str) else jdump(payload)
    si = b64u(h) + "." + b64u(p)
    if sig is None:
        sig = signer.sign(si.encode())
    return si + "." + b64u(sig)


def good_claims(**kw):
    c = {"iss": ISS, "sub": "alice", "aud": AUD, "exp": NOW + 300,
         "iat": NOW - 10, "jti": "0123456789abcdef", "scope": "ssh sudo",
         "client_id": "fuzz-client"}
    for k, v in kw.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def write(dirname, name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(dirname, name), "wb") as f:
        f.write(data)


def main():
    if "--new-keys" in sys.argv[1:]:
        new_keys()
    keys = load_keys()
    signers = {n: Signer(k) for n, k in keys.items()}
    algs = {n: k["alg"] for n, k in keys.items()}

    for d in (CORPUS_V, CORPUS_J):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)

    def hdr(name, **kw):
        h = {"alg": algs[name], "kid": "fuzz-" + name, "typ": "at+jwt"}
        for k, v in kw.items():
            if v is None:
                h.pop(k, None)
            else:
                h[k] = v
        return h

    v = CORPUS_V
    # Valid tokens, one per key, plus claim/header variants (valid signature).
    for n, s in signers.items():
        write(v, "valid-" + n, token(s, hdr(n), good_claims()))
        write(v, "nokid-" + n, token(s, hdr(n, kid=None), good_claims()))
        write(v, "expired-" + n, token(s, hdr(n), good_claims(exp=NOW - 3600)))
    hs = signers["hs256"]
    variants = {
        "aud-array": good_claims(aud=["other", AUD]),
        "aud-missing": good_claims(aud=None),
        "aud-number": good_claims(aud=7),
        "iss-wrong": good_claims(iss="https://evil.example"),
        "exp-missing": good_claims(exp=None),
        "exp-string": good_claims(exp="1700000300"),
        "exp-real": good_claims(exp=1700000300.75),
        "exp-int64max": good_claims(exp=9223372036854775807),
        "exp-neg": good_claims(exp=-9223372036854775808),
        "nbf-future": good_claims(nbf=NOW + 3600),
        "iat-future": good_claims(iat=NOW + 3600),
        "iat-old": good_claims(iat=NOW - 10 * 86400),
        "scope-missing": good_claims(scope="ssh"),
        "scope-array": good_claims(scope=["ssh", "sudo"]),
        "sub-wrong": good_claims(sub="bob"),
        "sub-number": good_claims(sub=1),
        "sub-missing": good_claims(sub=None),
        "nested": good_claims(x=json.loads("[" * 14 + '{"a":[1]}' + "]" * 14)),
        "unicode": good_claims(sub="al\u0000ice\u00e9\U0001f600"),
    }
    for name, claims in variants.items():
        write(v, "claims-" + name, token(hs, hdr("hs256"), claims))
    raw_payloads = {
        "exp-huge": '{"iss":"%s","sub":"alice","aud":"%s","exp":1e400,"iat":%d}' % (ISS, AUD, NOW),
        "exp-bigint": '{"iss":"%s","sub":"alice","aud":"%s","exp":123456789012345678901234567890,"iat":%d}' % (ISS, AUD, NOW),
        "exp-nan": '{"iss":"%s","sub":"alice","aud":"%s","exp":-0.0e-99999,"iat":%d}' % (ISS, AUD, NOW),
        "dup-exp": '{"iss":"%s","sub":"alice","aud":"%s","exp":%d,"exp":%d}' % (ISS, AUD, NOW + 300, NOW - 300),
        "deep": "[" * 40 + "]" * 40,
        "not-object": '"just a string"',
        "array": '[1,2,3]',
        "trailing": jdump(good_claims()) + " x",
        "ws": " \n" + jdump(good_claims()) + "\t ",
        "nul": jdump(good_claims())[:-1] + ',"z":"\u0000"}',
    }
    for name, p in raw_payloads.items():
        write(v, "payload-" + name, token(hs, hdr("hs256"), p))
    headers = {
        "alg-none": {"alg": "none", "typ": "at+jwt"},
        "alg-None": {"alg": "nOnE", "kid": "fuzz-hs256"},
        "alg-mismatch": {"alg": "HS256", "kid": "fuzz-rs256"},
        "alg-unknown": {"alg": "HS1", "kid": "fuzz-hs256"},
        "alg-number": {"alg": 256, "kid": "fuzz-hs256"},
        "kid-unknown": {"alg": "HS256", "kid": "nope"},
        "kid-number": {"alg": "HS256", "kid": 1},
        "kid-long": {"alg": "HS256", "kid": "k" * 300},
        "crit": {"alg": "HS256", "kid": "fuzz-hs256", "crit": ["exp"], "exp": 1},
        "jku": {"alg": "HS256", "kid": "fuzz-hs256", "jku": "https://evil.example/jwks"},
        "jwk": {"alg": "HS256", "kid": "fuzz-hs256", "jwk": keys["hs256"]},
        "x5c": {"alg": "HS256", "kid": "fuzz-hs256", "x5c": ["MIIB"]},
        "typ-jwt": {"alg": "HS256", "kid": "fuzz-hs256", "typ": "JWT"},
        "typ-app": {"alg": "HS256", "kid": "fuzz-hs256", "typ": "application/AT+JWT"},
        "typ-number": {"alg": "HS256", "kid": "fuzz-hs256", "typ": 1},
        "b64-false": {"alg": "HS256", "kid": "fuzz-hs256", "b64": False, "crit": ["b64"]},
    }
    for name, h in headers.items():
        write(v, "header-" + name, token(hs, h, good_claims()))
    write(v, "header-dup-alg", token(hs, '{"alg":"none","alg":"HS256","kid":"fuzz-hs256"}', good_claims()))
    write(v, "header-deep", token(hs, '{"alg":"HS256","x":' + "[" * 20 + "]" * 20 + "}", good_claims()))
    write(v, "header-array", token(hs, '["HS256"]', good_claims()))
    # Signature shapes.
    es = signers["es256"]
    good_es = token(es, hdr("es256"), good_claims())
    si = good_es.rsplit(".", 1)[0]
    sig = unb64u(good_es.rsplit(".", 1)[1])
    write(v, "sig-es-short", si + "." + b64u(sig[:63]))
    write(v, "sig-es-long", si + "." + b64u(sig + b"\0"))
    write(v, "sig-es-r0", si + "." + b64u(bytes(32) + sig[32:]))
    write(v, "sig-es-sn", si + "." + b64u(sig[:32] + P256_N.to_bytes(32, "big")))
    write(v, "sig-es-der", si + "." + b64u(es.k.sign(si.encode(), ec.ECDSA(hashes.SHA256()))))
    rs_tok = token(signers["rs256"], hdr("rs256"), good_claims())
    si_r, sig_r = rs_tok.rsplit(".", 1)
    write(v, "sig-rs-short", si_r + "." + b64u(unb64u(sig_r)[1:]))
    write(v, "sig-rs-zero", si_r + "." + b64u(bytes(256)))
    write(v, "sig-ed-flip", token(signers["eddsa"], hdr("eddsa"), good_claims())[:-2] + "AA")
    write(v, "sig-empty", si + ".")
    # Structure.
    good = token(hs, hdr("hs256"), good_claims())
    parts = good.split(".")
    write(v, "shape-2parts", parts[0] + "." + parts[1])
    write(v, "shape-4parts", good + "." + parts[2])
    write(v, "shape-1part", parts[0])
    write(v, "shape-empty-payload", parts[0] + ".." + parts[2])
    write(v, "shape-empty", "")
    write(v, "shape-dots", "..")
    write(v, "b64-pad", parts[0] + "=." + parts[1] + "." + parts[2])
    write(v, "b64-plus", parts[0].replace("-", "+").replace("_", "/") + "." + parts[1] + "." + parts[2] + "+/")
    write(v, "b64-space", parts[0] + " ." + parts[1] + "." + parts[2])
    write(v, "b64-newline", good + "\n")
    write(v, "b64-mod4", parts[0] + "." + parts[1] + "A." + parts[2])
    # Non-canonical base64url (a non-zero unused trailing bit), validly signed.
    hj = jdump(hdr("hs256"))
    while len(b64u(hj)) % 4 == 0:
        hj = hj[:-1] + " }"
    h64 = b64u(hj)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    h64 = h64[:-1] + alphabet[alphabet.index(h64[-1]) + 1]
    si_tb = h64 + "." + b64u(jdump(good_claims()))
    write(v, "b64-trailing-bits", si_tb + "." + b64u(hs.sign(si_tb.encode())))
    write(v, "jwe-5parts", "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d")
    write(v, "password", "correct horse battery staple")
    write(v, "nul-inside", good[:10] + "\0" + good[11:])
    # Structured inputs (mode 0x01: header NUL payload [NUL signature]),
    # HS256-signed by the harness when no signature part is given.
    for name, h in list(headers.items())[:8] + [("good", hdr("hs256"))]:
        write(v, "s-" + name, b"\x01" + jdump(h).encode() + b"\0" + jdump(good_claims()).encode())
    for name, p in list(raw_payloads.items()) + [(k, jdump(c)) for k, c in variants.items()]:
        write(v, "s-p-" + name, b"\x01" + jdump(hdr("hs256")).encode() + b"\0" + p.encode())
    write(v, "s-es-sig", b"\x01" + jdump(hdr("es256")).encode() + b"\0" + jdump(good_claims()).encode() + b"\0" + sig)
    write(v, "s-ed-sig", b"\x01" + jdump(hdr("eddsa")).encode() + b"\0" + jdump(good_claims()).encode() + b"\0" + bytes(64))
    # Mode 0x02: sign payload with key[byte % 4] via pjwt_jws_sign, verify.
    for i, n in enumerate(("eddsa", "es256", "rs256", "hs256")):
        write(v, "sign-" + n, bytes([2, i]) + jdump(good_claims()).encode())

    # ---- JWK / JWKS inputs (fuzz-jwks) ------------------------------------
    j = CORPUS_J
    pub = {}
    for n, k in keys.items():
        write(j, "key-" + n, jdump(k))
        if k["kty"] != "oct":
            pub[n] = {m: k[m] for m in k if m not in ("d", "p", "q", "dp", "dq", "qi")}
            write(j, "pub-" + n, jdump(pub[n]))
    write(j, "jwks-all", jdump({"keys": list(pub.values()) + [keys["hs256"]]}))
    write(j, "jwks-pub", jdump({"keys": list(pub.values())}))
    write(j, "jwks-empty", '{"keys":[]}')
    write(j, "jwks-unknown-kty", jdump({"keys": [{"kty": "XYZ"}, pub["eddsa"]]}))
    write(j, "jwks-enc", jdump({"keys": [dict(pub["es256"], use="enc")]}))
    write(j, "jwks-dup-kid", jdump({"keys": [pub["eddsa"], dict(pub["es256"], kid="fuzz-eddsa")]}))
    write(j, "jwk-x448", '{"kty":"OKP","crv":"X448","x":"AAAA"}')
    write(j, "jwk-ec-offcurve", jdump(dict(pub["es256"], y=int_b64(1, 32))))
    write(j, "jwk-ec-short", jdump(dict(pub["es256"], x=pub["es256"]["x"][:-2])))
    write(j, "jwk-ec-p384", jdump(dict(pub["es256"], crv="P-384", alg="ES384")))
    write(j, "jwk-rsa-small", '{"kty":"RSA","n":"' + int_b64((1 << 1023) + 1) + '","e":"AQAB"}')
    write(j, "jwk-rsa-e1", jdump(dict(pub["rs256"], e="AQ")))
    write(j, "jwk-rsa-ps", jdump(dict(pub["rs256"], alg="PS256", kid=None)))
    write(j, "jwk-oct-short", '{"kty":"oct","k":"AAAA","alg":"HS256"}')
    write(j, "jwk-oct-hs512", jdump(dict(keys["hs256"], alg="HS512")))
    write(j, "jwk-alg-none", jdump(dict(pub["eddsa"], alg="none")))
    write(j, "jwk-dup", '{"kty":"oct","k":"%s","k":"AA"}' % keys["hs256"]["k"])
    write(j, "jwk-rsa-partial-priv", jdump(dict(pub["rs256"], d=keys["rs256"]["d"])))
    write(j, "jwk-pem", serialization.load_der_public_key(
        ed25519.Ed25519PrivateKey.from_private_bytes(unb64u(keys["eddsa"]["d"]))
        .public_key().public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo))
        .public_bytes(serialization.Encoding.PEM,
                      serialization.PublicFormat.SubjectPublicKeyInfo))
    write(j, "jwk-deep", '{"keys":' + "[" * 30 + "]" * 30 + "}")
    write(j, "jwk-not-json", "keys")


if __name__ == "__main__":
    main()
