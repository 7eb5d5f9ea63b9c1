/**
 * Scans (files attached to elements): what may be sealed, and how large.
 */
import { ENVELOPE_OVERHEAD } from '../aead.js';

export const SCAN_MEDIA_TYPES = ['image/jpeg', 'image/png', 'application/pdf'] as const;
export type ScanMediaType = (typeof SCAN_MEDIA_TYPES)[number];

/** 10 MiB of plaintext per scan. */
export const MAX_SCAN_BYTES = 10 * 1024 * 1024;
/** The largest file ciphertext the server accepts: a maximal scan plus nonce and tag. */
export const MAX_FILE_CIPHERTEXT_BYTES = MAX_SCAN_BYTES + ENVELOPE_OVERHEAD;
/** Files per multi-file slot (files[], translation[]), as in Telegram Passport. */
export const MAX_FILES_PER_SLOT = 20;

export function isScanMediaType(value: unknown): value is ScanMediaType {
  return typeof value === 'string' && (SCAN_MEDIA_TYPES as readonly string[]).includes(value);
}

const SIGNATURES: Record<ScanMediaType, number[]> = {
  'image/jpeg': [0xff, 0xd8, 0xff],
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  'application/pdf': [0x25, 0x50, 0x44, 0x46, 0x2d], // "%PDF-"
};

/**
 * The media type the content's leading bytes announce, if it is one we accept.
 * Sealing checks it against the declared type, so an RP that receives
 * "image/png" does get a PNG.
 */
export function sniffScanMediaType(bytes: Uint8Array): ScanMediaType | undefined {
  for (const type of SCAN_MEDIA_TYPES) {
    const signature = SIGNATURES[type];
    if (bytes.length >= signature.length && signature.every((b, i) => bytes[i] === b)) return type;
  }
  return undefined;
}
