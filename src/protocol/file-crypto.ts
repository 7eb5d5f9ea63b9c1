/**
 * Sealing and opening scans (DESIGN 5.1):
 *
 *   ciphertext = XChaCha20-Poly1305(FK, bytes), AD = "wathiqa/v1/file|" + id + "|" + media_type
 *   wrappedKey = XChaCha20-Poly1305(MK, FK),    AD = "wathiqa/v1/fk|" + id
 *   sha256     = SHA-256 of the plaintext bytes, unpadded base64url
 *
 * File ciphertexts stay binary (up to 10 MiB + 40 bytes): base64 would add a third.
 * An RP receives FK (not MK) in a release and uses openFileWithKey.
 *
 * A file's AD binds only its id and media type. Which scan belongs in which
 * slot of which element is bound by the element: its sealed content carries a
 * link {id, media_type, size, sha256} per scan (element-crypto.ts). Build the
 * link with fileLinkFor(sealFile(…)); open a scan an element names with
 * openLinkedFile (or check bytes with checkFileMatchesLink), so a scan the
 * server swapped in from another slot or element fails with VaultIntegrityError.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { fileAd } from './ad.js';
import { ENVELOPE_OVERHEAD, open, seal, type SealOptions } from './aead.js';
import { fileLinkSchema } from './elements/content.js';
import { isScanMediaType, MAX_FILE_CIPHERTEXT_BYTES, MAX_SCAN_BYTES, sniffScanMediaType, type ScanMediaType } from './elements/scans.js';
import { base64urlDecodedLength, base64urlEncode, constantTimeEqual, utf8Encode, type Bytes } from './encoding.js';
import type { FileLink } from './elements/table.js';
import { ProtocolInputError, ScanError, VaultIntegrityError } from './errors.js';
import { generateKey, unwrapFileKey, wrapFileKey } from './keys.js';

export interface FileRef {
  id: string;
  mediaType: ScanMediaType;
}

/** What a page or RP expects of a scan's plaintext (from the element's link, or a release). */
export interface FileExpectation {
  /** SHA-256 of the plaintext, unpadded base64url. */
  sha256?: string;
  /** Plaintext size in bytes. */
  size?: number;
}

export interface SealedFile extends FileRef {
  /** FK wrapped under MK, unpadded base64url. */
  wrappedKey: string;
  /** nonce ‖ ciphertext ‖ tag, binary. */
  ciphertext: Bytes;
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
export function encryptFile(fk: Uint8Array, ref: FileRef, bytes: Uint8Array, options: SealOptions = {}): Bytes {
  checkScan(ref.mediaType, bytes);
  return seal(fk, bytes, fileAd(ref.id, ref.mediaType), options);
}

/** Does the plaintext match what a link or release says of it? */
function matches(bytes: Uint8Array, expected: FileExpectation): boolean {
  let ok = true;
  if (expected.size !== undefined) ok = bytes.length === expected.size && ok;
  if (expected.sha256 !== undefined) {
    const digest = typeof expected.sha256 === 'string' && base64urlDecodedLength(expected.sha256) === 32;
    ok = digest && constantTimeEqual(utf8Encode(scanDigest(bytes)), utf8Encode(expected.sha256)) && ok;
  }
  return ok;
}

/**
 * Decrypts a scan with its file key. With `sha256` and/or `size` (from the
 * element's link, or a release), the plaintext must also match them.
 */
export function openFileWithKey(fk: Uint8Array, ref: FileRef & FileExpectation, ciphertext: Uint8Array): Bytes {
  const ad = fileAd(ref.id, ref.mediaType);
  if (!(ciphertext instanceof Uint8Array) || ciphertext.length > MAX_FILE_CIPHERTEXT_BYTES) throw new VaultIntegrityError();
  // A ciphertext of the wrong length cannot hold the linked scan: refuse before decrypting.
  if (ref.size !== undefined && ciphertext.length !== ref.size + ENVELOPE_OVERHEAD) throw new VaultIntegrityError();
  const bytes = open(fk, ciphertext, ad);
  if (!matches(bytes, ref)) throw new VaultIntegrityError();
  return bytes;
}

/** Checks, then seals a scan under a fresh FK wrapped by MK. */
export function sealFile(mk: Uint8Array, file: FileRef & { bytes: Uint8Array }): SealedFile {
  const ref = { id: file.id, mediaType: file.mediaType };
  checkScan(ref.mediaType, file.bytes);
  fileAd(ref.id, ref.mediaType); // checks the id before a key is drawn
  const fk = generateKey();
  try {
    const ciphertext = encryptFile(fk, ref, file.bytes);
    const wrappedKey = wrapFileKey(mk, fk, ref.id);
    return { ...ref, wrappedKey, ciphertext, sha256: scanDigest(file.bytes), size: file.bytes.length };
  } finally {
    fk.fill(0);
  }
}

/** Unwraps the FK and opens the scan; VaultIntegrityError if anything was altered or moved. */
export function openFile(
  mk: Uint8Array,
  sealed: { wrappedKey: string; ciphertext: Uint8Array },
  ref: FileRef & FileExpectation,
): Bytes {
  const fk = unwrapFileKey(mk, sealed.wrappedKey, ref.id);
  try {
    return openFileWithKey(fk, ref, sealed.ciphertext);
  } finally {
    fk.fill(0);
  }
}

/**
 * The link an element stores for a sealed scan: `fileLinkFor(sealFile(mk, …))`.
 * A stored file's metadata can be given as `ref` ({ id, mediaType }); if the
 * sealed output carries an id or media type too, they must agree.
 * ProtocolInputError if the result would not be a valid link.
 */
export function fileLinkFor(sealed: { sha256: string; size: number } & Partial<FileRef>, ref?: FileRef): FileLink {
  const id = ref?.id ?? sealed.id;
  const mediaType = ref?.mediaType ?? sealed.mediaType;
  if (ref && ((sealed.id !== undefined && sealed.id !== ref.id) || (sealed.mediaType !== undefined && sealed.mediaType !== ref.mediaType))) {
    throw new ProtocolInputError('the file reference does not match the sealed file');
  }
  const result = fileLinkSchema.safeParse({ id, media_type: mediaType, size: sealed.size, sha256: sealed.sha256 });
  if (!result.success) {
    const where = result.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw new ProtocolInputError(`not a valid file link: ${where}`);
  }
  return result.data;
}

/**
 * Checks that decrypted scan bytes are exactly the scan an element's link
 * names: same SHA-256, same size, content of the named media type. Throws
 * VaultIntegrityError otherwise (a scan the server swapped in from another slot,
 * element or vault, or an old version of the file).
 */
export function checkFileMatchesLink(link: FileLink, bytes: Uint8Array): void {
  if (
    typeof link !== 'object' ||
    link === null ||
    !(bytes instanceof Uint8Array) ||
    typeof link.size !== 'number' ||
    typeof link.sha256 !== 'string' ||
    !matches(bytes, { size: link.size, sha256: link.sha256 }) ||
    sniffScanMediaType(bytes) !== link.media_type
  ) {
    throw new VaultIntegrityError();
  }
}

/**
 * Opens the scan an element's link names: the file id and media type of the
 * link go into the AD, and the plaintext must match the link's size and
 * SHA-256. VaultIntegrityError if the server returned any other file.
 */
export function openLinkedFile(mk: Uint8Array, sealed: { wrappedKey: string; ciphertext: Uint8Array }, link: FileLink): Bytes {
  const bytes = openFile(mk, sealed, refOf(link));
  checkFileMatchesLink(link, bytes);
  return bytes;
}

/** openLinkedFile with the file key alone (an RP with a release's file entry). */
export function openLinkedFileWithKey(fk: Uint8Array, link: FileLink, ciphertext: Uint8Array): Bytes {
  const bytes = openFileWithKey(fk, refOf(link), ciphertext);
  checkFileMatchesLink(link, bytes);
  return bytes;
}

function refOf(link: FileLink): FileRef & Required<FileExpectation> {
  if (typeof link !== 'object' || link === null) throw new ProtocolInputError('a file link must be an object');
  return { id: link.id, mediaType: link.media_type, sha256: link.sha256, size: link.size };
}
