/**
 * The key hierarchy of DESIGN 5.1, one wrap per level:
 *
 *   KEK ─wrap─► MK ─wrap─► EK (one per element)
 *                  └wrap─► FK (one per file)
 *   RK  ─wrap─► MK          (recovery.ts)
 *
 * A wrapped key is an envelope (nonce ‖ ciphertext ‖ tag, 72 bytes for a 32-byte
 * key) carried as unpadded base64url (96 characters). Each wrap's AD names what
 * the key belongs to, so a wrapped key moved to another vault or element fails.
 */
import { elementKeyAd, fileKeyAd, masterKeyAd } from './ad.js';
import { ENVELOPE_OVERHEAD, KEY_LENGTH, openText, sealToText, type SealOptions } from './aead.js';
import { base64urlLength, randomBytes, type Bytes } from './encoding.js';
import { ProtocolInputError, VaultIntegrityError } from './errors.js';
import { checkKdfParams, type KdfParams } from './kdf.js';

/** Length of a wrapped 32-byte key in its text form. */
export const WRAPPED_KEY_TEXT_LENGTH = base64urlLength(KEY_LENGTH + ENVELOPE_OVERHEAD);

/** A fresh random 32-byte key (MK, EK or FK). */
export function generateKey(): Bytes {
  return randomBytes(KEY_LENGTH);
}

/** Wraps a 32-byte key; the text form of the envelope. */
export function wrapKey(wrappingKey: Uint8Array, key: Uint8Array, ad: string, options: SealOptions = {}): string {
  if (key.length !== KEY_LENGTH) throw new ProtocolInputError(`key must be ${KEY_LENGTH} bytes`);
  return sealToText(wrappingKey, key, ad, options);
}

/** Unwraps a 32-byte key; anything else (including a wrong length inside) is an integrity failure. */
export function unwrapKey(wrappingKey: Uint8Array, wrapped: string, ad: string): Bytes {
  if (typeof wrapped !== 'string' || wrapped.length !== WRAPPED_KEY_TEXT_LENGTH) throw new VaultIntegrityError();
  const key = openText(wrappingKey, wrapped, ad);
  if (key.length !== KEY_LENGTH) throw new VaultIntegrityError();
  return key;
}

/** MK under the passphrase's KEK, bound to the vault and to the exact KDF parameters. */
export function wrapMasterKey(kek: Uint8Array, mk: Uint8Array, vaultId: string, kdf: KdfParams, options: SealOptions = {}): string {
  return wrapKey(kek, mk, masterKeyAd(vaultId, checkKdfParams(kdf)), options);
}

export function unwrapMasterKey(kek: Uint8Array, wrappedMk: string, vaultId: string, kdf: KdfParams): Bytes {
  return unwrapKey(kek, wrappedMk, masterKeyAd(vaultId, checkKdfParams(kdf)));
}

export function wrapElementKey(mk: Uint8Array, ek: Uint8Array, elementId: string, options: SealOptions = {}): string {
  return wrapKey(mk, ek, elementKeyAd(elementId), options);
}

export function unwrapElementKey(mk: Uint8Array, wrappedEk: string, elementId: string): Bytes {
  return unwrapKey(mk, wrappedEk, elementKeyAd(elementId));
}

export function wrapFileKey(mk: Uint8Array, fk: Uint8Array, fileId: string, options: SealOptions = {}): string {
  return wrapKey(mk, fk, fileKeyAd(fileId), options);
}

export function unwrapFileKey(mk: Uint8Array, wrappedFk: string, fileId: string): Bytes {
  return unwrapKey(mk, wrappedFk, fileKeyAd(fileId));
}
