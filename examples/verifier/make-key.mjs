#!/usr/bin/env node
/**
 * Generates the example verifier's two key pairs:
 *
 *   examples/verifier/.keys/enc.private.jwk.json  P-256, ECDH-ES+A256KW: releases to the verifier are encrypted to it
 *   examples/verifier/.keys/sig.private.jwk.json  P-256, ES256: signs attestations and the status list
 *   examples/verifier/.keys/public.jwks.json      both public keys, to register with Wathiqa
 *
 * Private files are mode 0600. kid = the key's RFC 7638 thumbprint. Prints the
 * public JWK Set. Refuses to overwrite existing keys unless --force: releases
 * made for the old enc key could no longer be opened, and attestations signed
 * with the old sig key stop verifying once the verifier is registered again.
 *
 *   node examples/verifier/make-key.mjs [--force] [--dir <directory>]
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';

const args = process.argv.slice(2);
const force = args.includes('--force');
const dirIndex = args.indexOf('--dir');
const dir = dirIndex >= 0 && args[dirIndex + 1] ? resolve(args[dirIndex + 1]) : fileURLToPath(new URL('./.keys/', import.meta.url));
const paths = {
  enc: join(dir, 'enc.private.jwk.json'),
  sig: join(dir, 'sig.private.jwk.json'),
  public: join(dir, 'public.jwks.json'),
};

const existing = [paths.enc, paths.sig].filter((p) => existsSync(p));
if (existing.length && !force) {
  console.error(`${existing.map((p) => relative(process.cwd(), p)).join(' and ')} exist; pass --force to replace them (releases and attestations made with the old keys would stop working).`);
  process.exit(1);
}

async function keyPair(use, alg) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { crv: 'P-256', extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const meta = { kid: await calculateJwkThumbprint(publicJwk), use, alg };
  return { public: { ...publicJwk, ...meta }, private: { ...(await exportJWK(privateKey)), ...meta } };
}

const enc = await keyPair('enc', 'ECDH-ES+A256KW');
const sig = await keyPair('sig', 'ES256');

mkdirSync(dir, { recursive: true, mode: 0o700 });
writeFileSync(paths.enc, `${JSON.stringify(enc.private, null, 2)}\n`, { mode: 0o600 });
writeFileSync(paths.sig, `${JSON.stringify(sig.private, null, 2)}\n`, { mode: 0o600 });
const jwks = { keys: [enc.public, sig.public] };
writeFileSync(paths.public, `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o644 });

const rel = (p) => relative(process.cwd(), p);
console.error(`private keys: ${rel(paths.enc)}, ${rel(paths.sig)} (keep them secret)`);
console.error(`public JWKS:  ${rel(paths.public)} (register it: --verifier --jwks-file ${rel(paths.public)})`);
console.log(JSON.stringify(jwks, null, 2));
