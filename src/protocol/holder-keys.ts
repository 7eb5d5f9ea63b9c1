/**
 * Holder keys (DESIGN 5.5): two P-256 key pairs the browser makes for the holder.
 *   HE, use "enc", alg "ECDH-ES+A256KW": verifiers encrypt attestations to it;
 *   HS, use "sig", alg "ES256": SD-JWT cnf.jwk, and it signs key-binding JWTs.
 *
 * Exact encodings (docs/protocol.md, "Holder keys"):
 *   private JWK  = {"crv":"P-256","d","kty":"EC","x","y"}: exactly these members,
 *                  each coordinate 32 bytes as unpadded base64url (43 characters);
 *   plaintext    = UTF-8(RFC 8785 text of the private JWK), always 176 bytes;
 *   sealed       = seal(MK, plaintext, "wathiqa/v1/holder-key|" + vault_id + "|" + use),
 *                  216 bytes, 288 base64url characters;
 *   kid          = RFC 7638 thumbprint (SHA-256 of {"crv","kty","x","y"}), base64url;
 *   public JWK   = {"alg","crv","kid","kty","use","x","y"}, stored by the server.
 * The use is in the AD and the kid is derived, so neither is in the plaintext.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { exportJWK, generateKeyPair, importJWK } from 'jose';
import * as z from 'zod';
import { ENVELOPE_OVERHEAD, openText, sealToText, type SealOptions } from './aead.js';
import { base64urlDecodedLength, base64urlEncode, base64urlLength, utf8Decode, utf8Encode } from './encoding.js';
import { ProtocolInputError, VaultIntegrityError } from './errors.js';
import { assertUuid } from './ids.js';
import { canonicalJson } from './kdf.js';

export const HOLDER_KEY_USES = ['enc', 'sig'] as const;
export type HolderKeyUse = (typeof HOLDER_KEY_USES)[number];
export const HOLDER_KEY_ALGS = { enc: 'ECDH-ES+A256KW', sig: 'ES256' } as const;

/** Length of the private JWK's canonical text, and of its sealed form as text. */
export const HOLDER_KEY_PLAINTEXT_BYTES = 176;
export const SEALED_HOLDER_KEY_TEXT_LENGTH = base64urlLength(HOLDER_KEY_PLAINTEXT_BYTES + ENVELOPE_OVERHEAD);

export interface HolderPrivateJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  d: string;
}

export interface HolderPublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  use: HolderKeyUse;
  alg: (typeof HOLDER_KEY_ALGS)[HolderKeyUse];
}

/** A holder key as the vault API carries and stores it. */
export interface StoredHolderKey {
  use: HolderKeyUse;
  public_jwk: HolderPublicJwk;
  sealed_private: string;
}

const COORDINATE_TEXT_LENGTH = base64urlLength(32);
/** 32 bytes, unpadded and canonical base64url: one text per value, so one thumbprint per key. */
const coordinate = z
  .string()
  .length(COORDINATE_TEXT_LENGTH)
  .refine((s) => base64urlDecodedLength(s) === 32, { message: 'must be 32 bytes in base64url' });

export function holderKeyAd(vaultId: string, use: HolderKeyUse): string {
  assertUuid(vaultId, 'vault id');
  if (!HOLDER_KEY_USES.includes(use)) throw new ProtocolInputError('holder key use must be enc or sig');
  return `wathiqa/v1/holder-key|${vaultId}|${use}`;
}

/**
 * RFC 7638 thumbprint of a P-256 key: the required members in lexicographic
 * order without whitespace is exactly their RFC 8785 text. Computed here
 * synchronously (zod refinements and the state check are synchronous); the
 * unit tests check it against jose's calculateJwkThumbprint.
 */
export function holderKeyThumbprint(jwk: { crv: string; kty: string; x: string; y: string }): string {
  return base64urlEncode(sha256(utf8Encode(canonicalJson({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }))));
}

/** A public JWK as stored: P-256 public only (`d` or any other member is refused), kid = its thumbprint, use and alg paired. */
const publicJwk = z
  .strictObject({
    kty: z.literal('EC'),
    crv: z.literal('P-256'),
    x: coordinate,
    y: coordinate,
    kid: coordinate, // a SHA-256 thumbprint is 32 bytes too
    use: z.enum(HOLDER_KEY_USES),
    alg: z.enum([HOLDER_KEY_ALGS.enc, HOLDER_KEY_ALGS.sig]),
  })
  .refine((k) => k.alg === HOLDER_KEY_ALGS[k.use], { message: 'alg must be ECDH-ES+A256KW for enc, ES256 for sig', path: ['alg'] })
  .refine((k) => k.kid === holderKeyThumbprint(k), { message: 'kid must be the RFC 7638 thumbprint of the key', path: ['kid'] });

const storedKey = z
  .strictObject({
    use: z.enum(HOLDER_KEY_USES),
    public_jwk: publicJwk,
    sealed_private: z
      .string()
      .length(SEALED_HOLDER_KEY_TEXT_LENGTH)
      .refine((s) => base64urlDecodedLength(s) !== undefined, { message: 'must be unpadded base64url' }),
  })
  .refine((k) => k.public_jwk.use === k.use, { message: 'must equal use', path: ['public_jwk', 'use'] });

/** Exactly one key per use, in any order. */
const storedKeys = z
  .array(storedKey)
  .length(HOLDER_KEY_USES.length)
  .refine((keys) => new Set(keys.map((k) => k.use)).size === HOLDER_KEY_USES.length, { message: 'must hold one enc and one sig key' })
  .refine((keys) => new Set(keys.map((k) => k.public_jwk.kid)).size === keys.length, { message: 'must be two different keys' });

const privateJwk = z.strictObject({ kty: z.literal('EC'), crv: z.literal('P-256'), x: coordinate, y: coordinate, d: coordinate });

/**
 * Shapes only: nobody without MK can tell whether a sealed private key opens, or
 * belongs to the public one next to it; the page checks that (openHolderKey).
 */
export const HolderKeyShapes = { publicJwk, storedKey, storedKeys, privateJwk };

/** A new key pair in WebCrypto (browser or Node 20+); the private part exported once, to be sealed. */
export async function generateHolderKey(use: HolderKeyUse): Promise<HolderPrivateJwk> {
  const { privateKey } = await generateKeyPair(HOLDER_KEY_ALGS[use], { crv: 'P-256', extractable: true });
  const jwk = await exportJWK(privateKey);
  return privateJwk.parse({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d }) as HolderPrivateJwk;
}

export function holderPublicJwk(key: { x: string; y: string }, use: HolderKeyUse): HolderPublicJwk {
  const base = { kty: 'EC' as const, crv: 'P-256' as const, x: key.x, y: key.y };
  return { ...base, kid: holderKeyThumbprint(base), use, alg: HOLDER_KEY_ALGS[use] };
}

/** UTF-8 of the private JWK's RFC 8785 text. */
export function holderKeyPlaintext(key: HolderPrivateJwk): Uint8Array {
  const jwk = privateJwk.safeParse(key);
  if (!jwk.success) throw new ProtocolInputError('not a P-256 private JWK');
  const { kty, crv, x, y, d } = jwk.data;
  return utf8Encode(canonicalJson({ crv, d, kty, x, y }));
}

export function sealHolderKey(mk: Uint8Array, vaultId: string, use: HolderKeyUse, key: HolderPrivateJwk, options: SealOptions = {}): StoredHolderKey {
  const plaintext = holderKeyPlaintext(key);
  try {
    return { use, public_jwk: holderPublicJwk(key, use), sealed_private: sealToText(mk, plaintext, holderKeyAd(vaultId, use), options) };
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Opens a stored key and checks it against its public JWK: a sealed key moved to
 * another vault or use, altered, or paired with another public key fails with
 * VaultIntegrityError, whatever went wrong.
 */
export function openHolderKey(mk: Uint8Array, vaultId: string, stored: StoredHolderKey): HolderPrivateJwk {
  const shape = storedKey.safeParse(stored);
  if (!shape.success) throw new VaultIntegrityError();
  const { use, public_jwk: pub, sealed_private: sealed } = shape.data;
  const plaintext = openText(mk, sealed, holderKeyAd(vaultId, use));
  try {
    const text = utf8Decode(plaintext);
    const key = privateJwk.safeParse(JSON.parse(text));
    if (!key.success || canonicalJson(key.data) !== text) throw new VaultIntegrityError();
    if (key.data.x !== pub.x || key.data.y !== pub.y) throw new VaultIntegrityError();
    return key.data as HolderPrivateJwk;
  } catch {
    throw new VaultIntegrityError();
  } finally {
    plaintext.fill(0);
  }
}

/** Both key pairs, in HOLDER_KEY_USES order (enc, sig), not yet sealed. */
export function generateHolderKeys(): Promise<HolderPrivateJwk[]> {
  return Promise.all(HOLDER_KEY_USES.map((use) => generateHolderKey(use)));
}

/** Seals keys made by generateHolderKeys; synchronous, so a caller can take MK right before. */
export function sealHolderKeys(mk: Uint8Array, vaultId: string, keys: readonly HolderPrivateJwk[]): StoredHolderKey[] {
  if (keys.length !== HOLDER_KEY_USES.length) throw new ProtocolInputError('one key per use');
  return HOLDER_KEY_USES.map((use, i) => sealHolderKey(mk, vaultId, use, keys[i]!));
}

/** Both key pairs of a new vault (or of one that has none), sealed under MK (which must stay valid meanwhile). */
export async function createHolderKeys(mk: Uint8Array, vaultId: string): Promise<StoredHolderKey[]> {
  return sealHolderKeys(mk, vaultId, await generateHolderKeys());
}

/** The key ids a state record holds (DESIGN 5.8). */
export function holderKeyIds(keys: readonly { public_jwk: { kid: string } }[]): string[] {
  return keys.map((k) => k.public_jwk.kid);
}

/** A non-extractable WebCrypto key for signing (sig) or ECDH (enc), for the release steps. */
export function holderCryptoKey(key: HolderPrivateJwk, use: HolderKeyUse): Promise<CryptoKey> {
  return importJWK({ ...key }, HOLDER_KEY_ALGS[use], { extractable: false }) as Promise<CryptoKey>;
}
