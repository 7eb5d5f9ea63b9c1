/**
 * Sealing and opening scans (DESIGN 5.1):
 *
 *   ciphertext = XChaCha20-Poly1305(FK, bytes), AD = "wathiqa/v1/file|" + id + "|" + media_type
 *   wrappedKey = XChaCha20-Poly1305(MK, FK),    AD = "wathiqa/v1/fk|" + id
 *   sha256     = SHA-256 of the plaintext bytes, unpadded base64url
 *
 * File ciphertexts stay binary (up to 10 MiB + 40 bytes): base64 would add a third.
 * An RP receives FK (not MK) in a release and uses openFileWithKey.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { fileAd } from './ad.js';
import { open, seal, type SealOptions } from './aead.js';
import { isScanMediaType, MAX_FILE_CIPHERTEXT_BYTES, MAX_SCAN_BYTES, sniffScanMediaType, type ScanMediaType } from './elements/scans.js';
import { base64urlDecodedLength, base64urlEncode, constantTimeEqual, utf8Encode } from './encoding.js';
import { ScanError, VaultIntegrityError } from './errors.js';
import { generateKey, unwrapFileKey, wrapFileKey } from './keys.js';

export interface FileRef {
  id: string;
  mediaType: ScanMediaType;
}

export interface SealedFile {
  /** FK wrapped under MK, unpadded base64url. */
  wrappedKey: string;
  /** nonce ‖ ciphertext ‖ tag, binary. */
  ciphertext: Uint8Array;
  /** SHA-256 of the plaintext, unpadded base64url (the release's "sha256"). */
  sha256: string;
  /** Plaintext size in bytes (the release's "size"). */
  size: number;
}

/** SHA-256 of a scan, unpadded base64url. */
export function scanDigest(bytes: Uint8Array): string {
  return base64urlEncode(sha256(bytes));
}

/** Refuses what we will not seal: other media types, empty or oversized scans, content of another type. */
export function checkScan(mediaType: string, bytes: Uint8Array): asserts mediaType is ScanMediaType {
  if (!isScanMediaType(mediaType)) throw new ScanError('scans must be JPEG, PNG or PDF');
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new ScanError('the scan is empty');
  if (bytes.length > MAX_SCAN_BYTES) throw new ScanError('the scan is larger than 10 MB');
  if (sniffScanMediaType(bytes) !== mediaType) throw new ScanError(`the content is not ${mediaType}`);
}

/** Encrypts a scan under its FK (low level: the vector tests pass the nonce). */
export function encryptFile(fk: Uint8Array, ref: FileRef, bytes: Uint8Array, options: SealOptions = {}): Uint8Array {
  checkScan(ref.mediaType, bytes);
  return seal(fk, bytes, fileAd(ref.id, ref.mediaType), options);
}

/**
 * Decrypts a scan with its file key. With `sha256` (from a release), the
 * plaintext must also match that digest.
 */
export function openFileWithKey(fk: Uint8Array, ref: FileRef & { sha256?: string }, ciphertext: Uint8Array): Uint8Array {
  const ad = fileAd(ref.id, ref.mediaType);
  if (!(ciphertext instanceof Uint8Array) || ciphertext.length > MAX_FILE_CIPHERTEXT_BYTES) throw new VaultIntegrityError();
  const bytes = open(fk, ciphertext, ad);
  if (ref.sha256 !== undefined) {
    if (base64urlDecodedLength(ref.sha256) !== 32 || !constantTimeEqual(utf8Encode(scanDigest(bytes)), utf8Encode(ref.sha256))) {
      throw new VaultIntegrityError();
    }
  }
  return bytes;
}

/** Checks, then seals a scan under a fresh FK wrapped by MK. */
export function sealFile(mk: Uint8Array, file: FileRef & { bytes: Uint8Array }): SealedFile {
  const ref = { id: file.id, mediaType: file.mediaType };
  checkScan(ref.mediaType, file.bytes);
  fileAd(ref.id, ref.mediaType); // checks the id before a key is drawn
  const fk = generateKey();
  const ciphertext = encryptFile(fk, ref, file.bytes);
  const wrappedKey = wrapFileKey(mk, fk, ref.id);
  fk.fill(0);
  return { wrappedKey, ciphertext, sha256: scanDigest(file.bytes), size: file.bytes.length };
}

/** Unwraps the FK and opens the scan; VaultIntegrityError if anything was altered or moved. */
export function openFile(
  mk: Uint8Array,
  sealed: { wrappedKey: string; ciphertext: Uint8Array },
  ref: FileRef & { sha256?: string },
): Uint8Array {
  const fk = unwrapFileKey(mk, sealed.wrappedKey, ref.id);
  try {
    return openFileWithKey(fk, ref, sealed.ciphertext);
  } finally {
    fk.fill(0);
  }
}
