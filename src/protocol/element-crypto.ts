/**
 * Sealing and opening elements (DESIGN 5.1):
 *
 *   plaintext  = UTF-8(RFC 8785 canonical JSON of the validated data)
 *   ciphertext = XChaCha20-Poly1305(EK, plaintext), AD = "wathiqa/v1/element|" + id + "|" + type + "|" + version
 *   wrappedKey = XChaCha20-Poly1305(MK, EK),        AD = "wathiqa/v1/ek|" + id
 *
 * Data is validated before sealing and again after opening: the schema is the
 * contract, whoever wrote the ciphertext.
 */
import { elementAd } from './ad.js';
import { ENVELOPE_OVERHEAD, openText, sealToText, type SealOptions } from './aead.js';
import { parseElementData } from './elements/registry.js';
import type { ElementData, ElementType } from './elements/table.js';
import { utf8Decode, utf8Encode } from './encoding.js';
import { ElementDataError } from './errors.js';
import { canonicalJson } from './kdf.js';
import { generateKey, unwrapElementKey, wrapElementKey } from './keys.js';

/** Largest element envelope (decoded bytes) the server stores. */
export const MAX_ELEMENT_CIPHERTEXT_BYTES = 64 * 1024;
export const MAX_ELEMENT_PLAINTEXT_BYTES = MAX_ELEMENT_CIPHERTEXT_BYTES - ENVELOPE_OVERHEAD;

/** Where an element lives: bound into its AD, so the server cannot move it. */
export interface ElementRef<T extends ElementType = ElementType> {
  id: string;
  type: T;
  version: number;
}

export interface SealedElement {
  /** EK wrapped under MK, unpadded base64url. */
  wrappedKey: string;
  /** The element envelope, unpadded base64url. */
  ciphertext: string;
}

/** Validated data → canonical JSON bytes (what is encrypted). */
export function elementPlaintext<T extends ElementType>(type: T, data: unknown): Uint8Array {
  const bytes = utf8Encode(canonicalJson(parseElementData(type, data)));
  if (bytes.length > MAX_ELEMENT_PLAINTEXT_BYTES) throw new ElementDataError(`${type} data is too large`);
  return bytes;
}

/** Encrypts element data under its EK (low level: the vector tests pass the nonce). */
export function encryptElementData<T extends ElementType>(
  ek: Uint8Array,
  ref: ElementRef<T>,
  data: ElementData<T>,
  options: SealOptions = {},
): string {
  const ad = elementAd(ref.id, ref.type, ref.version);
  return sealToText(ek, elementPlaintext(ref.type, data), ad, options);
}

/** Decrypts and validates element data with its EK. */
export function decryptElementData<T extends ElementType>(ek: Uint8Array, ref: ElementRef<T>, ciphertext: string): ElementData<T> {
  const plaintext = openText(ek, ciphertext, elementAd(ref.id, ref.type, ref.version));
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Decode(plaintext));
  } catch {
    // Authentic but not JSON: written by a broken client, not altered in transit.
    throw new ElementDataError(`${ref.type} data is not JSON`);
  }
  return parseElementData(ref.type, parsed);
}

/** Validates, then seals an element under a fresh EK wrapped by MK. */
export function sealElement<T extends ElementType>(
  mk: Uint8Array,
  element: ElementRef<T> & { data: ElementData<T> },
): SealedElement {
  const ref = { id: element.id, type: element.type, version: element.version };
  // Validate (and check the ids) before a key is drawn.
  elementAd(ref.id, ref.type, ref.version);
  const ek = generateKey();
  const ciphertext = encryptElementData(ek, ref, element.data);
  const wrappedKey = wrapElementKey(mk, ek, ref.id);
  ek.fill(0);
  return { wrappedKey, ciphertext };
}

/** Unwraps the EK and opens the element; VaultIntegrityError if anything was altered or moved. */
export function openElement<T extends ElementType>(mk: Uint8Array, sealed: SealedElement, ref: ElementRef<T>): ElementData<T> {
  const ek = unwrapElementKey(mk, sealed.wrappedKey, ref.id);
  try {
    return decryptElementData(ek, ref, sealed.ciphertext);
  } finally {
    ek.fill(0);
  }
}
