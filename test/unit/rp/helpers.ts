/**
 * Builds releases the way the consent page does: a JSON payload encrypted with
 * jose's CompactEncrypt to the RP's public key.
 */
import { CompactEncrypt, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { base64urlEncode, randomBytes, scanDigest } from '../../../src/protocol/index.js';

export const ISSUER = 'http://localhost:3000';
export const CLIENT_ID = 'example-rp';
export const SUBJECT = '7b0a3f1e-2c4d-4e5f-8a9b-0c1d2e3f4a5b';
export const NONCE = 'n-0S6_WzA2Mj';
export const NOW = new Date('2030-06-01T12:00:00Z');
export const NOW_S = Math.floor(NOW.getTime() / 1000);

export const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 1, 2, 3]);
export const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]);

export const fileId = (n: number) => `f11e0000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** A release file entry for `bytes` under file id n, with a random (or given) file key. */
export function fileEntry(n: number, bytes: Uint8Array, mediaType: 'image/png' | 'image/jpeg', key?: Uint8Array) {
  return { id: fileId(n), key: base64urlEncode(key ?? randomBytes(32)), media_type: mediaType, size: bytes.length, sha256: scanDigest(bytes) };
}

export interface RpKeyPair {
  kid: string;
  alg: 'ECDH-ES+A256KW' | 'RSA-OAEP-256';
  publicKey: CryptoKey;
  privateKey: CryptoKey;
  publicJwk: JWK;
  privateJwk: JWK;
}

export async function rpKeyPair(alg: RpKeyPair['alg'], kid: string): Promise<RpKeyPair> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RSA-OAEP-256' ? { modulusLength: 2048 } : {}) });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, use: 'enc', alg };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, use: 'enc', alg };
  return { kid, alg, publicKey, privateKey, publicJwk, privateJwk };
}

/** The scope the example RP sends. */
export const REQUESTED = {
  v: 1,
  data: [
    { type: 'personal_details', fields: ['given_name', 'family_name', 'birthdate'] },
    { one_of: ['passport', 'identity_card'], selfie: true },
    'address',
    'email',
  ],
};

export interface SampleElement {
  type: string;
  data: Record<string, unknown>;
  files: Record<string, unknown>;
  attestations: unknown[];
  [extra: string]: unknown;
}

/** Elements that answer REQUESTED. */
export function sampleElements(): SampleElement[] {
  return [
    { type: 'personal_details', data: { given_name: 'Omar', family_name: 'Al-Farsi', birthdate: '1988-11-04' }, files: {}, attestations: [] },
    {
      type: 'passport',
      data: { document_number: 'P1234567', issuing_country: 'OM', date_of_issuance: '2019-03-12', date_of_expiry: '2029-03-11' },
      files: { front_side: fileEntry(1, PNG, 'image/png'), selfie: fileEntry(2, JPEG, 'image/jpeg') },
      attestations: [],
    },
    {
      type: 'address',
      data: { street_address: 'Building 1042, Road 3521', street_address_2: 'Flat 21', locality: 'Manama', postal_code: '335', country: 'BH' },
      files: {},
      attestations: [],
    },
    { type: 'email', data: { email: 'omar@example.com' }, files: {}, attestations: [] },
  ];
}

export function samplePayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    v: 1,
    iss: ISSUER,
    aud: CLIENT_ID,
    sub: SUBJECT,
    nonce: NONCE,
    iat: NOW_S - 5,
    jti: crypto.randomUUID(),
    elements: sampleElements(),
    ...overrides,
  };
}

export interface SealOptions {
  header?: Record<string, unknown>;
  /** Encrypt to this key instead of pair.publicKey. */
  key?: CryptoKey | Uint8Array;
  raw?: string;
}

/** The browser's job: JSON → JWE compact to the RP's key. */
export async function sealRelease(pair: RpKeyPair, payload: unknown, options: SealOptions = {}): Promise<string> {
  const header = { alg: pair.alg, enc: 'A256GCM', kid: pair.kid, cty: 'wathiqa-release+json', ...options.header };
  for (const [k, v] of Object.entries(header)) if (v === undefined) delete (header as Record<string, unknown>)[k];
  const text = options.raw ?? JSON.stringify(payload);
  return new CompactEncrypt(new TextEncoder().encode(text))
    .setProtectedHeader(header as never)
    .encrypt(options.key ?? pair.publicKey);
}

/** Replaces the protected header of a JWE (its decryption then fails, but header checks come first). */
export function withHeader(jwe: string, header: Record<string, unknown>): string {
  const parts = jwe.split('.');
  parts[0] = base64urlEncode(new TextEncoder().encode(JSON.stringify(header)));
  return parts.join('.');
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Flips one bit of the 6-bit value of a character in the middle of part `part`. */
export function tamper(jwe: string, part: number): string {
  const parts = jwe.split('.');
  const text = parts[part]!;
  const i = Math.floor(text.length / 2);
  const flipped = ALPHABET[ALPHABET.indexOf(text[i]!) ^ 0b100000]!;
  parts[part] = text.slice(0, i) + flipped + text.slice(i + 1);
  return parts.join('.');
}
