/**
 * The one AEAD of protocol v1: XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha).
 * Envelope = nonce (24) ‖ ciphertext ‖ tag (16). The 24-byte nonce is random, so
 * any number of messages under one key is safe without a counter.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { base64urlDecode, base64urlEncode, concatBytes, randomBytes, utf8Encode, type Bytes } from './encoding.js';
import { ProtocolInputError, VaultIntegrityError } from './errors.js';

export const KEY_LENGTH = 32;
export const NONCE_LENGTH = 24;
export const TAG_LENGTH = 16;
/** Bytes an envelope adds to its plaintext. */
export const ENVELOPE_OVERHEAD = NONCE_LENGTH + TAG_LENGTH;

/** Only known-answer tests pass a nonce; everything else draws a fresh random one. */
export interface SealOptions {
  nonce?: Uint8Array;
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_LENGTH) {
    throw new ProtocolInputError(`key must be ${KEY_LENGTH} bytes`);
  }
}

/** Associated data is always a text string; its UTF-8 bytes are authenticated. */
export function seal(key: Uint8Array, plaintext: Uint8Array, ad: string, options: SealOptions = {}): Bytes {
  checkKey(key);
  const nonce = options.nonce ?? randomBytes(NONCE_LENGTH);
  if (nonce.length !== NONCE_LENGTH) throw new ProtocolInputError(`nonce must be ${NONCE_LENGTH} bytes`);
  const sealed = xchacha20poly1305(key, nonce, utf8Encode(ad)).encrypt(plaintext);
  return concatBytes(nonce, sealed);
}

/** Opens an envelope or throws VaultIntegrityError, whatever went wrong. */
export function open(key: Uint8Array, envelope: Uint8Array, ad: string): Bytes {
  checkKey(key);
  if (!(envelope instanceof Uint8Array) || envelope.length < ENVELOPE_OVERHEAD) throw new VaultIntegrityError();
  try {
    return xchacha20poly1305(key, envelope.subarray(0, NONCE_LENGTH), utf8Encode(ad)).decrypt(
      envelope.subarray(NONCE_LENGTH),
    );
  } catch {
    // No cause: the reason (tag, length) must not leak.
    throw new VaultIntegrityError();
  }
}

/** seal, carried as unpadded base64url. */
export function sealToText(key: Uint8Array, plaintext: Uint8Array, ad: string, options: SealOptions = {}): string {
  return base64urlEncode(seal(key, plaintext, ad, options));
}

/** open for an envelope carried as text; malformed text is an integrity failure too. */
export function openText(key: Uint8Array, envelope: string, ad: string): Bytes {
  let bytes: Uint8Array;
  try {
    bytes = base64urlDecode(envelope);
  } catch {
    throw new VaultIntegrityError();
  }
  return open(key, bytes, ad);
}
