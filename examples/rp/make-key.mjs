#!/usr/bin/env node
/**
 * Generates the example RP's encryption key pair (P-256, for ECDH-ES+A256KW):
 *
 *   examples/rp/.keys/private.jwk.json   the private JWK (mode 0600): RP_KEY_FILE
 *   examples/rp/.keys/public.jwks.json   the public JWK Set to register with Wathiqa
 *
 * Prints the public JWK Set. Refuses to overwrite an existing key unless --force
 * (releases made for the old key could no longer be opened).
 *
 *   node examples/rp/make-key.mjs [--force] [--dir <directory>]
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';

const args = process.argv.slice(2);
const force = args.includes('--force');
const dirIndex = args.indexOf('--dir');
const dir = dirIndex >= 0 && args[dirIndex + 1] ? resolve(args[dirIndex + 1]) : fileURLToPath(new URL('./.keys/', import.meta.url));
const privatePath = join(dir, 'private.jwk.json');
const publicPath = join(dir, 'public.jwks.json');

if (existsSync(privatePath) && !force) {
  console.error(`${relative(process.cwd(), privatePath)} exists; pass --force to replace it (releases made for the old key could not be opened).`);
  process.exit(1);
}

const alg = 'ECDH-ES+A256KW';
const { publicKey, privateKey } = await generateKeyPair(alg, { crv: 'P-256', extractable: true });
const publicJwk = await exportJWK(publicKey);
const kid = await calculateJwkThumbprint(publicJwk);
const meta = { kid, use: 'enc', alg };

mkdirSync(dir, { recursive: true, mode: 0o700 });
writeFileSync(privatePath, `${JSON.stringify({ ...(await exportJWK(privateKey)), ...meta }, null, 2)}\n`, { mode: 0o600 });
const jwks = { keys: [{ ...publicJwk, ...meta }] };
writeFileSync(publicPath, `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o644 });

console.error(`private key: ${relative(process.cwd(), privatePath)} (keep it secret; RP_KEY_FILE)`);
console.error(`public JWKS: ${relative(process.cwd(), publicPath)} (register it: --jwks-file ${relative(process.cwd(), publicPath)})`);
console.log(JSON.stringify(jwks, null, 2));
