/**
 * Writes test/vectors/protocol-v1.json: known-answer vectors for protocol v1
 * (DESIGN 5.1), computed with src/protocol and cross-checked here against
 * independent implementations (Node's HKDF, SHA-256 and ChaCha20-Poly1305 with a
 * hand-written HChaCha20; @noble/hashes' Argon2id), so a bug in our code cannot
 * quietly become the reference.
 *
 * Node 20 cannot run TypeScript directly; from the repository root:
 *   npx esbuild scripts/make-vectors.ts --bundle --platform=node --format=esm \
 *     --outfile=/tmp/make-vectors.mjs && node /tmp/make-vectors.mjs
 * Takes a few seconds (pure-JS Argon2id at 64 MiB). Inputs are fixed, so the
 * output only changes when the protocol does.
 */
import { createCipheriv, createECDH, createHash, createHmac, createPrivateKey, createPublicKey, hkdfSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { deflateSync } from 'node:zlib';
import { argon2id as nobleArgon2id } from '@noble/hashes/argon2.js';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import {
  attestationVct,
  base64urlDecode,
  base64urlEncode,
  canonicalJson,
  checkIssuedAttestation,
  jwsSignatureVerifier,
  presentAttestation,
  scanDisclosureValue,
  sdJwtHasher,
  canonicalKdfParams,
  deriveKek,
  deriveRecoveryKey,
  deriveRoot,
  elementAd,
  elementKeyAd,
  elementPlaintext,
  encryptElementData,
  encryptFile,
  fileAd,
  fileKeyAd,
  fileLinkFor,
  formatRecoveryCode,
  holderKeyAd,
  holderKeyPlaintext,
  holderKeyThumbprint,
  masterKeyAd,
  openHolderKey,
  parseRecoveryCode,
  passphraseBytes,
  recoveryAd,
  scanDigest,
  sealHolderKey,
  signState,
  stateKeysDigest,
  stateRecord,
  wrapElementKey,
  wrapFileKey,
  wrapMasterKey,
  wrapMasterKeyForRecovery,
  type ElementContent,
  type ElementType,
  type HolderKeyUse,
  type HolderPrivateJwk,
  type KdfParams,
} from '../src/protocol/index.js';

const b64 = base64urlEncode;

/** start, start+1, … (mod 256): recognizable in a debugger. */
function pattern(length: number, start: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);
}

function assertEqual(what: string, a: Uint8Array | string, b: Uint8Array | string): void {
  const x = typeof a === 'string' ? a : b64(a);
  const y = typeof b === 'string' ? b : b64(b);
  if (x !== y) throw new Error(`cross-check failed: ${what}\n  ours:  ${x}\n  other: ${y}`);
}

// ---- independent XChaCha20-Poly1305: HChaCha20 by hand + Node's IETF ChaCha20-Poly1305
function hchacha20(key: Uint8Array, nonce16: Uint8Array): Uint8Array {
  const s = new Uint32Array(16);
  s.set([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
  const k = new DataView(key.buffer, key.byteOffset, 32);
  const n = new DataView(nonce16.buffer, nonce16.byteOffset, 16);
  for (let i = 0; i < 8; i++) s[4 + i] = k.getUint32(4 * i, true);
  for (let i = 0; i < 4; i++) s[12 + i] = n.getUint32(4 * i, true);
  const rotl = (v: number, c: number) => ((v << c) | (v >>> (32 - c))) >>> 0;
  const qr = (a: number, b: number, c: number, d: number) => {
    s[a] = (s[a]! + s[b]!) >>> 0; s[d] = rotl(s[d]! ^ s[a]!, 16);
    s[c] = (s[c]! + s[d]!) >>> 0; s[b] = rotl(s[b]! ^ s[c]!, 12);
    s[a] = (s[a]! + s[b]!) >>> 0; s[d] = rotl(s[d]! ^ s[a]!, 8);
    s[c] = (s[c]! + s[d]!) >>> 0; s[b] = rotl(s[b]! ^ s[c]!, 7);
  };
  for (let r = 0; r < 10; r++) {
    qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15);
    qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14);
  }
  const out = new Uint8Array(32);
  const o = new DataView(out.buffer);
  [0, 1, 2, 3, 12, 13, 14, 15].forEach((w, i) => o.setUint32(4 * i, s[w]!, true));
  return out;
}

function referenceSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: string): Uint8Array {
  const subkey = hchacha20(key, nonce.subarray(0, 16));
  const iv = Buffer.concat([Buffer.alloc(4), Buffer.from(nonce.subarray(16, 24))]);
  const cipher = createCipheriv('chacha20-poly1305', subkey, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(ad, 'utf8'), { plaintextLength: plaintext.length });
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return new Uint8Array(Buffer.concat([Buffer.from(nonce), body, cipher.getAuthTag()]));
}

const referenceHkdf = (ikm: Uint8Array, info: string) =>
  new Uint8Array(hkdfSync('sha256', ikm, new Uint8Array(0), Buffer.from(info, 'utf8'), 32));

/**
 * RFC 8785 for the values element content holds (objects, arrays, strings,
 * safe integers), written independently of the canonicalize package: members
 * sorted by UTF-16 code units, no whitespace, strings and numbers as
 * ECMAScript's JSON.stringify writes them.
 */
function referenceJcs(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error('referenceJcs: integers only');
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(referenceJcs).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${referenceJcs(v)}`).join(',')}}`;
  }
  throw new Error(`referenceJcs: unexpected ${typeof value}`);
}

// ---- a real 2x2 PNG, built here so the vector carries valid image bytes
function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
function pngChunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function tinyPng(): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(2, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = Buffer.from([0, 0x00, 0x7a, 0x3d, 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0xff, 0x00, 0x7a, 0x3d]);
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      pngChunk('IHDR', ihdr),
      pngChunk('IDAT', deflateSync(rows, { level: 9 })),
      pngChunk('IEND', new Uint8Array(0)),
    ]),
  );
}

const description = {
  overview:
    'Known-answer vectors for Wathiqa protocol v1 (docs: DESIGN 5.1). Every binary value is unpadded base64url (RFC 4648 §5). Text is UTF-8. Recompute each value from the inputs above it and compare byte for byte. Fixed keys and nonces are counting patterns so that byte-order mistakes are visible; real clients draw them from a CSPRNG.',
  kdf:
    'passphrase_utf8 = UTF-8(NFKC(passphrase)); the Arabic case is typed in presentation forms (U+FEDB …), which NFKC maps to the ordinary letters. root = Argon2id version 0x13 (password = passphrase_utf8, salt = base64url-decoded params.salt, memory params.m KiB, params.t passes, params.p lanes, tag length 32, no secret, no associated data). kek = HKDF-SHA256(ikm = root, salt = empty, info = UTF-8("wathiqa/v1/kek"), L = 32). params_canonical = RFC 8785 (JCS) serialization of params. The params are the floor (the defaults): m = 65536, t = 3, p = 1.',
  envelope:
    'seal(key, plaintext, ad) = nonce (24 bytes) ‖ XChaCha20-Poly1305 ciphertext ‖ tag (16 bytes), associated data = UTF-8(ad). XChaCha20-Poly1305 as in draft-irtf-cfrg-xchacha: subkey = HChaCha20(key, nonce[0..16]), then RFC 8439 ChaCha20-Poly1305 with nonce = 4 zero bytes ‖ nonce[16..24]. A wrapped key is seal(wrapping key, 32-byte key, ad): 72 bytes, 96 base64url characters.',
  vault:
    'wrapped_mk = seal(kek of kdf[kdf_case], mk, wrap_ad) with wrap_ad = "wathiqa/v1/mk|" + vault_id + "|" + params_canonical. vault_id is a lower-case UUID.',
  recovery:
    'code_bytes = 16 random bytes. code_value = code_bytes as one big-endian unsigned integer. code_text = code_value as 26 Crockford base32 digits (alphabet 0123456789ABCDEFGHJKMNPQRSTVWXYZ, most significant first) followed by one check symbol = code_value mod 37 in the alphabet 0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U, split into groups of 5,5,5,4,4,4 joined by "-". Parsing: NFKC, Arabic-Indic digits to ASCII, drop whitespace and dashes, upper-case, I and L read as 1, O as 0; accepted_forms all parse to code_bytes; rejected_forms (one typo each) must be refused before any derivation. rk = HKDF-SHA256(ikm = code_bytes, salt = empty, info = UTF-8("wathiqa/v1/recovery"), L = 32). recovery_wrapped_mk = seal(rk, mk, wrap_ad) with wrap_ad = "wathiqa/v1/mk-recovery|" + vault_id (DESIGN 5.1 leaves this AD open; v1 fixes it here).',
  file:
    'bytes = the scan (here a 2x2 PNG). sha256 = SHA-256(bytes), size = its length in bytes; link = {id, media_type, size, sha256}, what an element stores for it. wrapped_fk = seal(mk, fk, "wathiqa/v1/fk|" + id). ciphertext = seal(fk, bytes, "wathiqa/v1/file|" + id + "|" + media_type); files travel as binary, shown here in base64url.',
  element:
    'content = {"data": data, "files": files}. data = the element\'s fields, validated by its type\'s schema (text trimmed and NFC; optional fields left out). files = the file links by slot, exactly the slots of the type (DESIGN 5.2 table): a required slot is present; a single slot (front_side, reverse_side, selfie) holds one link, a multiple slot (translation, files) an array of 1 to 20 links in the holder\'s order; an empty optional slot is left out; no other members; a file id appears at most once per element; {} for types without slots. link = {"id": file id (lower-case UUID), "media_type": "image/jpeg" | "image/png" | "application/pdf", "sha256": SHA-256 of the scan\'s plaintext (unpadded base64url, 43 characters), "size": the scan\'s plaintext length in bytes (integer, 1 to 10485760)}; here element.files.front_side is file.link, the file vector above. canonical_json = RFC 8785 (JCS) of content: members sorted by UTF-16 code units at every level ("data" before "files"; "id", "media_type", "sha256", "size" in a link), no whitespace, array order kept, strings as ECMAScript JSON.stringify writes them (non-ASCII unescaped). plaintext = UTF-8(canonical_json). wrapped_ek = seal(mk, ek, "wathiqa/v1/ek|" + id). ciphertext = seal(ek, plaintext, "wathiqa/v1/element|" + id + "|" + type + "|" + version), version in decimal. After opening, a client validates the content again (strict objects, exactly the type\'s slots, required slots present, no file id twice) and checks every scan it downloads against its link: the link\'s id and media type in the file AD, the link\'s SHA-256 and size for the plaintext. element_without_files is built the same way for a type without slots (files = {}) and non-ASCII data.',
  state:
    'The vault state record (DESIGN 5.8). keys = SHA-256(UTF-8(canonical({"kdf": the vault\'s KDF params, "recovery_wrapped_mk", "wrapped_mk"}))). record = RFC 8785 (JCS) of {"v": 1, "vault_id", "vault_version": the vault version once the write carrying the record is stored, "keys", "elements": [{"id", "version", "files": [the element\'s file ids, sorted, no duplicates]}, … sorted by id], "holder_keys": [holder key ids (RFC 7638 thumbprints of the HE and HS public JWKs), sorted; empty for a vault without holder keys]}. sk = HKDF-SHA256(ikm = mk, salt = empty, info = UTF-8("wathiqa/v1/state"), L = 32). mac = HMAC-SHA256(sk, UTF-8(record)). Here: the vault and recovery vectors above (mk, kdf[kdf_case].params, wrapped_mk, recovery_wrapped_mk), with the element and element_without_files vectors in it and the kids of the two holder_keys vectors.',
  holder_keys:
    'Holder keys (DESIGN 5.5): two P-256 key pairs, use "enc" (HE, alg "ECDH-ES+A256KW") and use "sig" (HS, alg "ES256"). private_jwk = {"crv": "P-256", "d", "kty": "EC", "x", "y"}, exactly these members, d, x and y 32 bytes big-endian each as unpadded base64url (43 characters). plaintext = UTF-8(RFC 8785 (JCS) of private_jwk), always 176 bytes. ad = "wathiqa/v1/holder-key|" + vault_id + "|" + use. sealed_private = seal(mk, plaintext, ad): 216 bytes, 288 base64url characters. kid = unpadded base64url of SHA-256(UTF-8(the JCS text of {"crv", "kty", "x", "y"})), the RFC 7638 thumbprint. public_jwk = {"alg", "crv", "kid", "kty", "use", "x", "y"}; the server stores {"use", "public_jwk", "sealed_private"} and never holds d. After opening, a client checks that the plaintext is exactly that canonical text and that its x and y are those of public_jwk. mk and vault_id are the vault vector\'s; x and y are computed from d.',
  attestation:
    'An SD-JWT VC attestation of the element vector (DESIGN 5.6; RFC 9901 and SD-JWT VC) and one presentation of it. issuer = the verifier: client_id (the JWT\'s iss) and its ES256 key (private_jwk only to reproduce the vector; public_jwk as GET /verifiers lists it, kid = its registered key id). holder_sig = the public_jwk of the sig key of holder_keys: cnf.jwk is exactly it, and that vector\'s private_jwk signs the KB-JWT. element = the element vector\'s type, data and files. disclosures, in issuance order: one per field of the element\'s data (value = that value) and one per scan slot (value = the link\'s sha256; for the multiple slots translation and files, the array of the links\' sha256 in their order). disclosure = base64url(UTF-8(the JSON array [salt, key, value] as JSON.stringify writes it)); salt = 16 bytes as base64url (counting patterns here, random in real use); digest = base64url(SHA-256(ASCII(disclosure))). issuer_jwt = compact JWS (ES256) of issuer_jwt_header and issuer_jwt_payload, each the base64url of exactly the JSON text recorded: the payload holds the claims in clear (iss, iat, exp, vct = "urn:wathiqa:element:" + type + ":1", cnf, verification), _sd = the digests sorted, _sd_alg = "sha-256"; no element value is in clear. sd_jwt = issuer_jwt + "~" + each disclosure + "~": all disclosures, no KB-JWT; the verifier encrypts it to the holder\'s HE key and the vault seals it in the element\'s content as attestations[].sd_jwt. expected.holder_check = the holder page\'s check at expected.holder_check.now (issuer and kid in the verifier list, signature, typ "dc+sd-jwt", vct = the element\'s type, exp, cnf.jwk = the vault\'s HS key by RFC 7638 thumbprint, every digest in _sd, every value equal to the element\'s current value) and the summary it yields. presentation = the attestation in a release to kb.aud of presentation.released (fields and scans): issuer_jwt + "~" + the disclosures of exactly the released keys the attestation covers, in issuance order, each followed by "~", then kb_jwt; unreleased keys stay hidden behind their digests. sd_hash = base64url(SHA-256(ASCII of the presentation up to and including its last "~")). kb_jwt = ES256 JWS with the HS private key of kb_jwt_header {typ: "kb+jwt", alg: "ES256"} and kb_jwt_payload {aud: the RP\'s client_id, nonce: the authorization nonce, iat, sd_hash}. expected.rp_check = what an RP verifying it concludes (after issuer signature, typ, vct, exp, digests in _sd, disclosed = released values, and the KB-JWT: signature by cnf.jwk, aud, nonce, iat, sd_hash). ES256 signatures are randomized: recompute everything else byte for byte, and verify the recorded signatures with the public keys.',
  rejected_kdf_params:
    'Parameters a client must refuse before deriving anything: below the floor (m < 65536, t < 3), above the ceilings that keep a server from exhausting the page (m > 1048576 KiB, t > 16), p outside 1..4, non-integers, another algorithm or version, a salt that is not 16 bytes, extra or missing members.',
};

async function kdfCase(label: string, passphrase: string, salt: Uint8Array) {
  const params: KdfParams = { alg: 'argon2id', m: 65536, p: 1, salt: b64(salt), t: 3, v: 1 };
  const bytes = passphraseBytes(passphrase);
  const root = await deriveRoot(passphrase, params);
  assertEqual(`argon2id ${label}`, root, nobleArgon2id(bytes, salt, { t: params.t, m: params.m, p: params.p, dkLen: 32 }));
  const kek = deriveKek(root);
  assertEqual(`kek ${label}`, kek, referenceHkdf(root, 'wathiqa/v1/kek'));
  return {
    label,
    passphrase,
    passphrase_nfkc: passphrase.normalize('NFKC'),
    passphrase_utf8: b64(bytes),
    params,
    params_canonical: canonicalKdfParams(params),
    root: b64(root),
    kek: b64(kek),
    _kek: kek,
  };
}

const arabic = await kdfCase(
  'arabic-presentation-forms',
  // "كلمة السر ١٢٣" typed with presentation forms: NFKC changes it.
  '\uFEDB\uFEE0\uFEE4\uFE94 \uFE8D\uFEDF\uFEB4\uFEAE \u0661\u0662\u0663',
  pattern(16, 0xa0),
);
if (arabic.passphrase === arabic.passphrase_nfkc) throw new Error('the Arabic passphrase must need NFKC');
const ascii = await kdfCase('ascii', 'correct horse battery staple', pattern(16, 0xb0));

const vaultId = '3f2c9a7e-5b1d-4e8f-a6c0-9d7b2e4f1a53';
const mk = pattern(32, 0x40);
const kek = arabic._kek;
const mkNonce = pattern(24, 0x10);
const mkAd = masterKeyAd(vaultId, arabic.params);
const wrappedMk = wrapMasterKey(kek, mk, vaultId, arabic.params, { nonce: mkNonce });
assertEqual('wrapped mk', base64urlDecode(wrappedMk), referenceSeal(kek, mkNonce, mk, mkAd));

const codeBytes = Uint8Array.from([
  0x9c, 0x41, 0x07, 0xe2, 0x5a, 0xd3, 0x18, 0x6f, 0xb0, 0x2e, 0x77, 0xc5, 0x0d, 0x93, 0x4a, 0xf1,
]);
const codeText = formatRecoveryCode(codeBytes);
const compact = codeText.replaceAll('-', '');
const acceptedForms = [
  codeText.toLowerCase().replaceAll('-', ' '),
  compact.replace(/1/g, 'l').replace(/0/g, 'O'),
  codeText.replace(/[0-9]/g, (d) => String.fromCharCode(0x0660 + Number(d))),
];
const rejectedForms = [
  // one substituted character, and two adjacent characters swapped
  compact.slice(0, 3) + (compact[3] === 'A' ? 'B' : 'A') + compact.slice(4),
  compact.slice(0, 10) + compact[11] + compact[10] + compact.slice(12),
];
for (const form of acceptedForms) assertEqual(`parse ${form}`, parseRecoveryCode(form), codeBytes);
const rk = deriveRecoveryKey(codeBytes);
assertEqual('rk', rk, referenceHkdf(codeBytes, 'wathiqa/v1/recovery'));
const recoveryNonce = pattern(24, 0x28);
const recoveryWrappedMk = wrapMasterKeyForRecovery(rk, mk, vaultId, { nonce: recoveryNonce });
assertEqual('recovery wrap', base64urlDecode(recoveryWrappedMk), referenceSeal(rk, recoveryNonce, mk, recoveryAd(vaultId)));
const codeValue = BigInt(`0x${Buffer.from(codeBytes).toString('hex')}`);

const file = { id: '0b7e4d19-2c6a-4f35-9d81-e3a2c5f60b18', mediaType: 'image/png' as const };
const png = tinyPng();
const fk = pattern(32, 0xc0);
const fkNonce = pattern(24, 0xd0);
const fileNonce = pattern(24, 0xe8);
const wrappedFk = wrapFileKey(mk, fk, file.id, { nonce: fkNonce });
assertEqual('wrapped fk', base64urlDecode(wrappedFk), referenceSeal(mk, fkNonce, fk, fileKeyAd(file.id)));
const fileCiphertext = encryptFile(fk, file, png, { nonce: fileNonce });
assertEqual('file ciphertext', fileCiphertext, referenceSeal(fk, fileNonce, png, fileAd(file.id, file.mediaType)));
const pngDigest = b64(new Uint8Array(createHash('sha256').update(png).digest()));
assertEqual('sha256', scanDigest(png), pngDigest);
assertEqual('base64url', b64(png), Buffer.from(png).toString('base64url'));
const fileLink = fileLinkFor({ ...file, sha256: scanDigest(png), size: png.length });
assertEqual(
  'file link',
  referenceJcs(fileLink),
  referenceJcs({ id: file.id, media_type: 'image/png', size: png.length, sha256: pngDigest }),
);

/** Seals one element with fixed keys and nonces, cross-checked; returns its vector. */
function elementVector<T extends ElementType>(
  element: { id: string; type: T; version: number } & ElementContent<T>,
  ek: Uint8Array,
  ekNonce: Uint8Array,
  elNonce: Uint8Array,
) {
  const content = { data: element.data, files: element.files } as ElementContent<T>;
  const plaintext = elementPlaintext(element.type, content);
  const canonical = canonicalJson(content);
  assertEqual(`canonical json ${element.type}`, canonical, referenceJcs(content));
  assertEqual(`plaintext ${element.type}`, plaintext, new Uint8Array(Buffer.from(referenceJcs(content), 'utf8')));
  const wrappedEk = wrapElementKey(mk, ek, element.id, { nonce: ekNonce });
  assertEqual(`wrapped ek ${element.type}`, base64urlDecode(wrappedEk), referenceSeal(mk, ekNonce, ek, elementKeyAd(element.id)));
  const ad = elementAd(element.id, element.type, element.version);
  const ciphertext = encryptElementData(ek, element, content, { nonce: elNonce });
  assertEqual(`element ciphertext ${element.type}`, base64urlDecode(ciphertext), referenceSeal(ek, elNonce, plaintext, ad));
  return {
    id: element.id,
    type: element.type,
    version: element.version,
    data: element.data,
    files: element.files,
    canonical_json: canonical,
    plaintext: b64(plaintext),
    ek: b64(ek),
    wrap_nonce: b64(ekNonce),
    wrap_ad: elementKeyAd(element.id),
    wrapped_ek: wrappedEk,
    nonce: b64(elNonce),
    ad,
    ciphertext,
  };
}

const passportVector = elementVector(
  {
    id: 'a8d5e1c2-7f34-4b9a-8e16-0c5d3b2f9e74',
    type: 'passport',
    version: 3,
    data: { document_number: 'N0471923', issuing_country: 'JO', date_of_issuance: '2021-06-15', date_of_expiry: '2031-06-14' },
    files: { front_side: fileLink },
  },
  pattern(32, 0x60),
  pattern(24, 0x70),
  pattern(24, 0x88),
);
if (passportVector.files.front_side.id !== file.id) throw new Error('the element vector must link the file vector');

const personalVector = elementVector(
  {
    id: 'e41b7c9a-3d52-4f86-b0a7-6c2e9d1f8b35',
    type: 'personal_details',
    version: 1,
    data: {
      given_name: 'Layla',
      family_name: 'Haddad',
      given_name_native: 'ليلى',
      family_name_native: 'حداد',
      birthdate: '1990-02-28',
      gender: 'female',
      nationality: 'JO',
      country_of_residence: 'AE',
      place_of_birth: 'Irbid',
    },
    files: {},
  },
  pattern(32, 0x20),
  pattern(24, 0x30),
  pattern(24, 0x48),
);

const floor = { alg: 'argon2id', m: 65536, p: 1, salt: b64(pattern(16, 0xa0)), t: 3, v: 1 };
const rejectedKdf = [
  { ...floor, m: 65535 },
  { ...floor, m: 19456 },
  { ...floor, t: 2 },
  { ...floor, t: 1 },
  { ...floor, p: 0 },
  { ...floor, p: 5 },
  { ...floor, alg: 'argon2i' },
  { ...floor, alg: 'pbkdf2' },
  { ...floor, v: 2 },
  { ...floor, salt: b64(pattern(8, 0xa0)) },
  { ...floor, salt: b64(pattern(32, 0xa0)) },
  { ...floor, m: 65536.5 },
  { ...floor, m: 2097152 },
  { ...floor, t: 17 },
  { ...floor, extra: true },
  { alg: 'argon2id', m: 65536, p: 1, t: 3, v: 1 },
];

// ---- holder keys (DESIGN 5.5): d fixed, x and y computed by Node's ECDH, not by jose
function holderKeyVector(use: HolderKeyUse, d: Uint8Array, nonce: Uint8Array) {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey(); // 0x04 ‖ x ‖ y
  const privateJwk = { kty: 'EC' as const, crv: 'P-256' as const, x: b64(point.subarray(1, 33)), y: b64(point.subarray(33, 65)), d: b64(d) };
  // Node takes the JWK as the same public key (the point is on the curve).
  const exported = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: privateJwk.x, y: privateJwk.y }, format: 'jwk' }).export({ format: 'jwk' });
  assertEqual(`holder ${use} public point`, `${exported.x}.${exported.y}`, `${privateJwk.x}.${privateJwk.y}`);
  const plaintextText = referenceJcs({ crv: 'P-256', d: privateJwk.d, kty: 'EC', x: privateJwk.x, y: privateJwk.y });
  assertEqual(`holder ${use} plaintext`, holderKeyPlaintext(privateJwk), new Uint8Array(Buffer.from(plaintextText, 'utf8')));
  const ad = holderKeyAd(vaultId, use);
  assertEqual(`holder ${use} ad`, ad, `wathiqa/v1/holder-key|${vaultId}|${use}`);
  const stored = sealHolderKey(mk, vaultId, use, privateJwk, { nonce });
  assertEqual(`holder ${use} sealed`, base64urlDecode(stored.sealed_private), referenceSeal(mk, nonce, Buffer.from(plaintextText, 'utf8'), ad));
  const kid = b64(new Uint8Array(createHash('sha256').update(`{"crv":"P-256","kty":"EC","x":"${privateJwk.x}","y":"${privateJwk.y}"}`, 'utf8').digest()));
  assertEqual(`holder ${use} kid`, holderKeyThumbprint(privateJwk), kid);
  assertEqual(`holder ${use} kid in the public jwk`, stored.public_jwk.kid, kid);
  assertEqual(`holder ${use} opens`, canonicalJson(openHolderKey(mk, vaultId, stored)), canonicalJson(privateJwk));
  return {
    use,
    vault_id: vaultId,
    private_jwk: privateJwk,
    plaintext: b64(Buffer.from(plaintextText, 'utf8')),
    nonce: b64(nonce),
    ad,
    sealed_private: stored.sealed_private,
    kid,
    public_jwk: stored.public_jwk,
  };
}
const holderEnc = holderKeyVector('enc', pattern(32, 0x50), pattern(24, 0x90));
const holderSig = holderKeyVector('sig', pattern(32, 0x70), pattern(24, 0xb8));
const holderKids = [holderEnc.kid, holderSig.kid];

// ---- an attestation of the passport element and one presentation (DESIGN 5.6)
// ES256 is randomized: signatures recorded in the current file are reused when
// their signing input is unchanged and they verify, so regenerating changes
// nothing unless the protocol does.
const vectorsFile = resolve(process.cwd(), 'test/vectors/protocol-v1.json');
const recordedSignatures = new Map<string, string>();
if (existsSync(vectorsFile)) {
  const previous = JSON.parse(readFileSync(vectorsFile, 'utf8')) as { attestation?: { issuer_jwt?: string; presentation?: { kb_jwt?: string } } };
  for (const jws of [previous.attestation?.issuer_jwt, previous.attestation?.presentation?.kb_jwt]) {
    if (!jws) continue;
    const dot = jws.lastIndexOf('.');
    recordedSignatures.set(jws.slice(0, dot), jws.slice(dot + 1));
  }
}

/** P-256 public point of d, by Node's ECDH (independent of jose). */
function p256Jwk(d: Uint8Array) {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey();
  return { kty: 'EC' as const, crv: 'P-256' as const, x: b64(point.subarray(1, 33)), y: b64(point.subarray(33, 65)), d: b64(d) };
}

/** ES256 with Node's crypto (JWS's r ‖ s form), reusing a recorded signature that still verifies. */
function es256Signer(privateJwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string; d: string }) {
  const privateKey = createPrivateKey({ key: privateJwk, format: 'jwk' });
  const publicKey = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: privateJwk.x, y: privateJwk.y }, format: 'jwk' });
  return (data: string): string => {
    const recorded = recordedSignatures.get(data);
    if (recorded && nodeVerify('sha256', Buffer.from(data, 'ascii'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(recorded, 'base64url'))) {
      return recorded;
    }
    return b64(nodeSign('sha256', Buffer.from(data, 'ascii'), { key: privateKey, dsaEncoding: 'ieee-p1363' }));
  };
}

function es256Verifies(jws: string, jwk: { x: string; y: string }): boolean {
  const dot = jws.lastIndexOf('.');
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, format: 'jwk' });
  return nodeVerify('sha256', Buffer.from(jws.slice(0, dot), 'ascii'), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(jws.slice(dot + 1), 'base64url'));
}

const jsonOfSegment = (segment: string) => Buffer.from(segment, 'base64url').toString('utf8');
const sha256Text = (text: string) => b64(new Uint8Array(createHash('sha256').update(text, 'ascii').digest()));

const issuerPrivate = p256Jwk(pattern(32, 0x08));
const issuerKid = 'sig-2025-06';
const issuer = {
  client_id: 'example-verifier',
  private_jwk: issuerPrivate,
  public_jwk: { kty: 'EC', crv: 'P-256', x: issuerPrivate.x, y: issuerPrivate.y, kid: issuerKid, use: 'sig', alg: 'ES256' },
};
const attestedContent = { data: passportVector.data, files: passportVector.files } as ElementContent<'passport'>;
const attestationClaims: Record<string, unknown> = { ...attestedContent.data };
for (const slot of Object.keys(attestedContent.files)) attestationClaims[slot] = scanDisclosureValue(attestedContent.files as Record<string, unknown>, slot);
const clearClaims = {
  iss: issuer.client_id,
  iat: 1748779200, // 2025-06-01T12:00:00Z
  exp: 1811808000, // 2027-06-01T00:00:00Z
  vct: attestationVct(passportVector.type),
  cnf: { jwk: holderSig.public_jwk },
  verification: {
    trust_framework: 'example_kyc',
    time: '2025-06-01T11:58:00Z',
    evidence: [{ type: 'document', document_details: { type: 'passport' } }],
  },
};
const salts = Object.keys(attestationClaims).map((_, i) => b64(pattern(16, 0x10 * (i + 1))));
let saltIndex = 0;
const issuedSdJwt = await new SDJwtVcInstance({
  hasher: sdJwtHasher,
  hashAlg: 'sha-256',
  saltGenerator: () => salts[saltIndex++]!,
  signer: es256Signer(issuerPrivate),
  signAlg: 'ES256',
}).issue({ ...clearClaims, ...attestationClaims }, { _sd: Object.keys(attestationClaims) } as never, { header: { typ: 'dc+sd-jwt', kid: issuerKid } });
if (saltIndex !== salts.length) throw new Error('one salt per disclosure');

const [issuerJwt, ...issuedRest] = issuedSdJwt.split('~');
if (issuedRest.pop() !== '') throw new Error('an issued SD-JWT ends with "~"');
const disclosureVectors = Object.entries(attestationClaims).map(([key, value], i) => {
  const disclosure = b64(Buffer.from(JSON.stringify([salts[i], key, value]), 'utf8'));
  assertEqual(`disclosure ${key}`, issuedRest[i]!, disclosure);
  return { salt: salts[i]!, key, value, disclosure, digest: sha256Text(disclosure) };
});
const [issuerHeaderSegment, issuerPayloadSegment] = issuerJwt!.split('.');
const issuerHeader = jsonOfSegment(issuerHeaderSegment!);
const issuerPayload = jsonOfSegment(issuerPayloadSegment!);
assertEqual('issuer header', issuerHeader, JSON.stringify({ typ: 'dc+sd-jwt', kid: issuerKid, alg: 'ES256' }));
assertEqual(
  'issuer payload',
  issuerPayload,
  JSON.stringify({ ...clearClaims, _sd: disclosureVectors.map((d) => d.digest).sort(), _sd_alg: 'sha-256' }),
);
if (!es256Verifies(issuerJwt!, issuerPrivate)) throw new Error('the issuer signature does not verify');
const checkedAt = new Date(1748856600 * 1000); // 2025-06-02T09:30:00Z
const holderCheck = await checkIssuedAttestation(issuedSdJwt, {
  elementType: passportVector.type,
  content: attestedContent,
  holderSig: holderSig.public_jwk,
  issuers: [{ client_id: issuer.client_id, jwks: { keys: [issuer.public_jwk] } }],
  now: checkedAt,
});

const released = { fields: ['document_number', 'date_of_expiry'], scans: ['front_side'] };
const kbInput = { aud: 'example-rp', nonce: 'n-4f7TqL2xVb9', iat: 1748860200 }; // 2025-06-02T10:30:00Z
// presentAttestation signs with jose; the recorded KB-JWT is kept when its signing input is unchanged.
let presentation = await presentAttestation(issuedSdJwt, released, holderSig.private_jwk as HolderPrivateJwk, kbInput);
const withoutKb = presentation.slice(0, presentation.lastIndexOf('~') + 1);
const kbUnsigned = presentation.slice(withoutKb.length, presentation.lastIndexOf('.'));
const recordedKb = recordedSignatures.get(kbUnsigned);
if (recordedKb && es256Verifies(`${kbUnsigned}.${recordedKb}`, holderSig.private_jwk)) presentation = `${withoutKb}${kbUnsigned}.${recordedKb}`;
const kbJwt = presentation.slice(withoutKb.length);
const presentedDisclosures = disclosureVectors.filter((d) => released.fields.includes(d.key) || released.scans.includes(d.key));
assertEqual('presentation without KB-JWT', withoutKb, `${issuerJwt}~${presentedDisclosures.map((d) => `${d.disclosure}~`).join('')}`);
const sdHash = sha256Text(withoutKb);
const [kbHeaderSegment, kbPayloadSegment] = kbJwt.split('.');
const kbHeader = jsonOfSegment(kbHeaderSegment!);
const kbPayload = jsonOfSegment(kbPayloadSegment!);
assertEqual('kb header', kbHeader, JSON.stringify({ typ: 'kb+jwt', alg: 'ES256' }));
assertEqual('kb payload', kbPayload, JSON.stringify({ ...kbInput, sd_hash: sdHash }));
if (!es256Verifies(kbJwt, holderSig.private_jwk)) throw new Error('the KB-JWT signature does not verify');
// The @sd-jwt library's verifier accepts the presentation with the issuer's and the holder's keys.
const libraryCheck = await new SDJwtVcInstance({
  hasher: sdJwtHasher,
  verifier: jwsSignatureVerifier(await importEs256(issuer.public_jwk), ['ES256']),
  kbVerifier: jwsSignatureVerifier(await importEs256(holderSig.public_jwk), ['ES256']),
}).verify(presentation, { keyBindingNonce: kbInput.nonce, currentDate: kbInput.iat });
assertEqual('library verify', JSON.stringify(libraryCheck.kb?.payload), kbPayload);

async function importEs256(jwk: { x: string; y: string }): Promise<CryptoKey> {
  return crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
}

const attestationVector = {
  element: { type: passportVector.type, data: passportVector.data, files: passportVector.files },
  issuer,
  holder_sig: holderSig.public_jwk,
  disclosures: disclosureVectors,
  issuer_jwt_header: issuerHeader,
  issuer_jwt_payload: issuerPayload,
  issuer_jwt: issuerJwt,
  sd_jwt: issuedSdJwt,
  presentation: {
    released,
    kb: kbInput,
    disclosures: presentedDisclosures.map((d) => d.key),
    sd_hash: sdHash,
    kb_jwt_header: kbHeader,
    kb_jwt_payload: kbPayload,
    kb_jwt: kbJwt,
    presentation,
  },
  expected: {
    holder_check: { now: Math.floor(checkedAt.getTime() / 1000), accepted: true, summary: holderCheck },
    rp_check: {
      valid: true,
      issuer: issuer.client_id,
      attested: Object.fromEntries(presentedDisclosures.map((d) => [d.key, d.value])),
      hidden: disclosureVectors.filter((d) => !presentedDisclosures.includes(d)).map((d) => d.key),
      holder_kid: holderSig.kid,
    },
  },
};

// ---- the state record (DESIGN 5.8): computed here by hand from its definition, then compared
const stateVaultVersion = 7;
const stateElements = [
  { id: passportVector.id, version: passportVector.version, files: [file.id] },
  { id: personalVector.id, version: personalVector.version, files: [] as string[] },
];
const keysDigest = b64(new Uint8Array(createHash('sha256').update(referenceJcs({ kdf: arabic.params, recovery_wrapped_mk: recoveryWrappedMk, wrapped_mk: wrappedMk }), 'utf8').digest()));
assertEqual('state keys digest', stateKeysDigest({ kdf: arabic.params, wrappedMk, recoveryWrappedMk }), keysDigest);
const referenceRecord = referenceJcs({
  v: 1,
  vault_id: vaultId,
  vault_version: stateVaultVersion,
  keys: keysDigest,
  elements: [...stateElements].sort((a, b) => (a.id < b.id ? -1 : 1)),
  holder_keys: [...holderKids].sort(),
});
const sk = referenceHkdf(mk, 'wathiqa/v1/state');
const referenceMac = b64(new Uint8Array(createHmac('sha256', sk).update(referenceRecord, 'utf8').digest()));
const signedState = signState(mk, stateRecord({ vaultId, vaultVersion: stateVaultVersion, keys: { kdf: arabic.params, wrappedMk, recoveryWrappedMk }, elements: stateElements, holderKeys: holderKids }));
assertEqual('state record', signedState.state, referenceRecord);
assertEqual('state mac', signedState.state_mac, referenceMac);

const strip = ({ _kek, ...rest }: Awaited<ReturnType<typeof kdfCase>>) => rest;
const vectors = {
  name: 'wathiqa protocol v1 known-answer vectors',
  description,
  kdf: [strip(arabic), strip(ascii)],
  vault: { vault_id: vaultId, kdf_case: 0, mk: b64(mk), wrap_nonce: b64(mkNonce), wrap_ad: mkAd, wrapped_mk: wrappedMk },
  recovery: {
    vault_id: vaultId,
    code_bytes: b64(codeBytes),
    code_value: codeValue.toString(10),
    check_value: Number(codeValue % 37n),
    code_text: codeText,
    accepted_forms: acceptedForms,
    rejected_forms: rejectedForms,
    rk: b64(rk),
    wrap_nonce: b64(recoveryNonce),
    wrap_ad: recoveryAd(vaultId),
    recovery_wrapped_mk: recoveryWrappedMk,
  },
  file: {
    id: file.id,
    media_type: file.mediaType,
    bytes: b64(png),
    size: png.length,
    sha256: scanDigest(png),
    link: fileLink,
    fk: b64(fk),
    wrap_nonce: b64(fkNonce),
    wrap_ad: fileKeyAd(file.id),
    wrapped_fk: wrappedFk,
    nonce: b64(fileNonce),
    ad: fileAd(file.id, file.mediaType),
    ciphertext: b64(fileCiphertext),
  },
  element: passportVector,
  element_without_files: personalVector,
  state: {
    vault_id: vaultId,
    vault_version: stateVaultVersion,
    kdf_case: 0,
    wrapped_mk: wrappedMk,
    recovery_wrapped_mk: recoveryWrappedMk,
    elements: stateElements,
    holder_keys: holderKids,
    keys: keysDigest,
    record: signedState.state,
    sk: b64(sk),
    mac: signedState.state_mac,
  },
  holder_keys: [holderEnc, holderSig],
  attestation: attestationVector,
  rejected_kdf_params: rejectedKdf,
};

const out = vectorsFile;
writeFileSync(out, `${JSON.stringify(vectors, null, 2)}\n`);
console.log(`wrote ${out} (all values cross-checked)`);
