#!/usr/bin/env node
// tests/interop/peer_jose.mjs - npm "jose" (pinned in package-lock.json) as an
// interop peer.
//
//   node peer_jose.mjs check  ALG                      exit 0, or 77 and why not
//   node peer_jose.mjs keygen ALG PRIVFILE PUBFILE     PKCS#8 / SPKI PEM;
//                                                      HS*: a JWK secret
//   node peer_jose.mjs sign   ALG KEYFILE CLAIMS_JSON  compact JWT on stdout
//   node peer_jose.mjs verify ALG KEYFILE TOKEN        claims JSON on stdout
//
// KEYFILE: PEM (PKCS#8, SPKI; other PEM forms through node:crypto), a JWK,
// or (verify) a JWK Set (createLocalJWKSet: chosen by kid and alg).  sign
// writes the header typ "at+jwt" and the JWK's kid, if any.  verify allows
// ALG only and checks exp, typ (INTEROP_TYP, default at+jwt; "any" skips),
// and iss / aud when INTEROP_ISS / INTEROP_AUD are set.
// Exit: 0 ok; 1 rejected ("invalid: ..." on stderr); 2 usage or key trouble;
// 77 this peer cannot do ALG (the reason on stderr).
import { readFileSync, writeFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey } from 'node:crypto';

let jose;
try {
  jose = await import('jose');
} catch (e) {
  console.error(`unsupported: npm package jose not installed in tests/interop (npm ci): ${e.message}`);
  process.exit(77);
}

const ALGS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384',
  'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

function die(msg, code = 2) {
  console.error(msg);
  process.exit(code);
}

async function keygen(alg, priv, pub) {
  if (alg.startsWith('HS')) {
    const k = await jose.generateSecret(alg, { extractable: true });
    const jwk = { ...(await jose.exportJWK(k)), alg };
    writeFileSync(priv, JSON.stringify(jwk) + '\n');
    writeFileSync(pub, JSON.stringify(jwk) + '\n');
    return;
  }
  const opts = { extractable: true };
  if (alg.startsWith('RS') || alg.startsWith('PS')) opts.modulusLength = 2048;
  if (alg === 'EdDSA') opts.crv = 'Ed25519';
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, opts);
  writeFileSync(priv, await jose.exportPKCS8(privateKey));
  writeFileSync(pub, await jose.exportSPKI(publicKey));
}

// Returns [key or JWKS getter, kid or undefined].
async function loadKey(alg, path, priv) {
  const text = readFileSync(path, 'utf8');
  if (text.trimStart().startsWith('{')) {
    const obj = JSON.parse(text);
    if (Array.isArray(obj.keys)) return [jose.createLocalJWKSet(obj), undefined];
    return [await jose.importJWK(obj, alg), obj.kid];
  }
  if (priv) {
    const pem = text.includes('-----BEGIN PRIVATE KEY-----') ? text
      : createPrivateKey(text).export({ type: 'pkcs8', format: 'pem' });
    return [await jose.importPKCS8(pem, alg), undefined];
  }
  const pem = text.includes('-----BEGIN PUBLIC KEY-----') ? text
    : createPublicKey(text).export({ type: 'spki', format: 'pem' });
  return [await jose.importSPKI(pem, alg), undefined];
}

async function main(argv) {
  if (argv.length === 2 && argv[0] === 'check') {
    if (!ALGS.includes(argv[1])) die(`unsupported: jose peer has no ${argv[1]}`, 77);
    return;
  }
  if (argv.length !== 4 || !['keygen', 'sign', 'verify'].includes(argv[0])) {
    die('usage: peer_jose.mjs check ALG | keygen ALG PRIV PUB | sign ALG KEY CLAIMS | verify ALG KEY TOKEN');
  }
  const [cmd, alg] = argv;
  if (!ALGS.includes(alg)) die(`unsupported: jose peer has no ${alg}`, 77);
  if (cmd === 'keygen') return keygen(alg, argv[2], argv[3]);
  if (cmd === 'sign') {
    const [key, kid] = await loadKey(alg, argv[2], true);
    const header = { alg, typ: 'at+jwt' };
    if (kid) header.kid = kid;
    const claims = JSON.parse(argv[3]);
    process.stdout.write(await new jose.SignJWT(claims).setProtectedHeader(header).sign(key) + '\n');
    return;
  }
  const env = process.env;
  let res;
  try {
    const [key] = await loadKey(alg, argv[2], false);
    const opts = { algorithms: [alg], requiredClaims: ['exp'] };
    const typ = env.INTEROP_TYP ?? 'at+jwt';
    if (typ !== 'any') opts.typ = typ;
    if (env.INTEROP_ISS !== undefined) opts.issuer = env.INTEROP_ISS;
    if (env.INTEROP_AUD !== undefined) opts.audience = env.INTEROP_AUD;
    res = await jose.jwtVerify(argv[3], key, opts);
  } catch (e) {
    // Any failure to verify, key import included, is a rejection.
    die(`invalid: ${e.code ?? e.name}: ${e.message}`, 1);
  }
  const sorted = Object.fromEntries(Object.entries(res.payload).sort(([a], [b]) => (a < b ? -1 : 1)));
  process.stdout.write(JSON.stringify(sorted) + '\n');
}

main(process.argv.slice(2)).catch((e) => die(`error: ${e.stack || e}`, 2));
