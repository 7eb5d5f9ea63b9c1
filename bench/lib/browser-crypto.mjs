// The in-page half of bench/browser.mjs. esbuild bundles this file (IIFE, global
// `WathiqaBench`) from the protocol module's own source (src/protocol, the code
// the vault bundle runs) and jose; the runner injects it into a blank page
// of the same headless Chromium and times each step there with performance.now().
// The vault bundle exposes nothing to call, so the pure crypto rows are measured
// here, next to the UI rows measured on the real pages.
import { CompactEncrypt, compactDecrypt, exportJWK, generateKeyPair, importJWK } from 'jose';
import {
  base64urlEncode,
  deriveKekFromPassphrase,
  elementSpec,
  fileLinkFor,
  generateKey,
  newKdfParams,
  openElement,
  seal,
  sealElement,
  sealFile,
  unwrapFileKey,
} from '../../src/protocol/index.js';

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const summary = (times) => ({ median: median(times), min: Math.min(...times), max: Math.max(...times), runs: times.length });

/** A JPEG-headed random file (what the vault accepts as image/jpeg). */
function jpegLike(size) {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(size, i + 65536)));
  bytes.set([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]);
  return bytes;
}

/** Argon2id → HKDF → KEK with the protocol's defaults (the floor: m=64 MiB, t=3, p=1), hash-wasm as in the vault. */
async function argon2(passphrase, runs) {
  await deriveKekFromPassphrase(passphrase, newKdfParams()); // warm-up: compiles the WebAssembly module once
  const times = [];
  let params;
  for (let i = 0; i < runs; i++) {
    params = newKdfParams(); // a fresh salt each time
    const t0 = performance.now();
    await deriveKekFromPassphrase(passphrase, params);
    times.push(performance.now() - t0);
  }
  return { ...summary(times), params: { m: params.m, t: params.t, p: params.p } };
}

/** XChaCha20-Poly1305 over `size` bytes: the bare AEAD (seal) and the vault's sealFile (+ SHA-256, checks, key wrap). */
async function encryptScan(size, runs) {
  const bytes = jpegLike(size);
  const key = generateKey();
  const mk = generateKey();
  const id = crypto.randomUUID();
  seal(key, bytes.subarray(0, 1024), 'warm-up');
  const aead = [];
  const full = [];
  for (let i = 0; i < runs; i++) {
    let t0 = performance.now();
    seal(key, bytes, `wathiqa/v1/file|${id}|image/jpeg`);
    aead.push(performance.now() - t0);
    t0 = performance.now();
    sealFile(mk, { id, mediaType: 'image/jpeg', bytes });
    full.push(performance.now() - t0);
  }
  return { aead: summary(aead), sealFile: summary(full), size };
}

/**
 * A three-element release as the consent page builds it (DESIGN 5.4): open the
 * elements with MK, pick the fields, unwrap the scan's file key, and encrypt the
 * payload to the RP's P-256 key with jose CompactEncrypt, ECDH-ES+A256KW / A256GCM.
 * Timed per release: opening, building, importing the RP's JWK, encrypting.
 */
async function release(runs) {
  const mk = generateKey();
  const scan = sealFile(mk, { id: crypto.randomUUID(), mediaType: 'image/jpeg', bytes: jpegLike(300_000) });
  const stored = [
    { type: 'personal_details', data: { given_name: 'Layla', family_name: 'Haddad', given_name_native: 'ليلى', birthdate: '1990-04-12', gender: 'female', nationality: 'BH', country_of_residence: 'OM' } },
    { type: 'passport', data: { document_number: 'P1234567', issuing_country: 'BH', date_of_issuance: '2021-06-01', date_of_expiry: '2031-05-31' }, files: { front_side: fileLinkFor(scan) } },
    { type: 'address', data: { street_address: '12 Palm Road', locality: 'Manama', postal_code: '317', country: 'BH' } },
  ].map((element) => {
    const ref = { id: crypto.randomUUID(), type: element.type, version: 1 };
    return { ref, sealed: sealElement(mk, { ...ref, data: element.data, ...(element.files ? { files: element.files } : {}) }) };
  });
  const files = new Map([[scan.id, scan.wrappedKey]]);
  const rp = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true });
  const rpJwk = { ...(await exportJWK(rp.publicKey)), kid: 'rp-enc-1', use: 'enc', alg: 'ECDH-ES+A256KW' };
  const wanted = { personal_details: ['given_name', 'family_name', 'given_name_native', 'birthdate'], passport: null, address: null };

  const once = async () => {
    const elements = stored.map(({ ref, sealed }) => {
      const content = openElement(mk, sealed, ref);
      const names = wanted[ref.type] ?? elementSpec(ref.type).fields.map((f) => f.name);
      const data = Object.fromEntries(names.filter((n) => content.data[n] !== undefined).map((n) => [n, content.data[n]]));
      const out = {};
      for (const [slot, link] of Object.entries(content.files)) {
        const fk = unwrapFileKey(mk, files.get(link.id), link.id);
        out[slot] = { id: link.id, key: base64urlEncode(fk), media_type: link.media_type, size: link.size, sha256: link.sha256 };
        fk.fill(0);
      }
      return { type: ref.type, data, ...(Object.keys(out).length ? { files: out } : {}), attestations: [] };
    });
    const now = Math.floor(Date.now() / 1000);
    const payload = { v: 1, iss: 'https://wathiqa.example', aud: 'rp-client-id', sub: crypto.randomUUID(), nonce: base64urlEncode(crypto.getRandomValues(new Uint8Array(16))), iat: now, jti: crypto.randomUUID(), elements };
    const key = await importJWK(rpJwk, 'ECDH-ES+A256KW');
    return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: rpJwk.kid, cty: 'wathiqa-release+json' })
      .encrypt(key);
  };

  const first = await once(); // warm-up, and a check that the RP can read it
  const { plaintext, protectedHeader } = await compactDecrypt(first, rp.privateKey);
  const decoded = JSON.parse(new TextDecoder().decode(plaintext));
  if (decoded.elements.length !== 3 || protectedHeader.alg !== 'ECDH-ES+A256KW') throw new Error('the release does not decrypt as expected');
  const times = [];
  let jwe = first;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    jwe = await once();
    times.push(performance.now() - t0);
  }
  return { ...summary(times), jweBytes: jwe.length, payloadBytes: plaintext.length };
}

globalThis.WathiqaBench = { argon2, encryptScan, release, jpegLike };
