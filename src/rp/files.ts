/**
 * Fetching and decrypting the scans a release names (DESIGN 5.4):
 *
 *   GET {issuer}/passport/files/{id}   Authorization: Bearer <the grant's access token>
 *   → nonce ‖ ciphertext ‖ tag, AD "wathiqa/v1/file|" + id + "|" + media_type, under the release's file key
 *
 * The plaintext must match the release's size, sha256 and media type.
 */
import { readLimitedBody } from './http.js';
import {
  base64urlDecode,
  ENVELOPE_OVERHEAD,
  openLinkedFileWithKey,
  VaultIntegrityError,
  type Bytes,
  type ScanMediaType,
  type SlotName,
} from '../protocol/index.js';
import { ScanFetchError, ScanIntegrityError, ScanNotFoundError } from './errors.js';
import { releasedFiles, type Release, type ReleasedElement, type ReleasedFile } from './payload.js';

/** A decrypted, checked scan. */
export interface Scan {
  id: string;
  bytes: Bytes;
  mediaType: ScanMediaType;
  /** SHA-256 of `bytes`, unpadded base64url (equal to the release's). */
  sha256: string;
  size: number;
}

export interface FetchScanOptions {
  /** The access token of the grant the release came with. */
  accessToken: string;
  /** Defaults to the release's (checked) `iss`. */
  issuer?: string;
  /** A fetch implementation (defaults to the global fetch). */
  fetch?: typeof globalThis.fetch;
  signal?: AbortSignal;
}

/** The URL a file's ciphertext is served at. */
export function scanUrl(issuer: string, fileId: string): string {
  return `${issuer.replace(/\/+$/, '')}/passport/files/${encodeURIComponent(fileId)}`;
}

/** Reads at most `limit` bytes of a body; more is an integrity failure (the file cannot be the released one). */
async function readLimited(response: Response, limit: number): Promise<Uint8Array> {
  const body = await readLimitedBody(response, limit);
  if (!body) throw new ScanIntegrityError();
  return body;
}

function belongsTo(release: Release, file: ReleasedFile): boolean {
  return release.elements.some((element) => releasedFiles(element).some((entry) => entry.file.id === file.id && entry.file.key === file.key));
}

/**
 * Fetches one scan of a release and decrypts it with the file key the release
 * carries. `file` is an entry of the release (e.g. `element.files.front_side`,
 * or `scansOf(element)[i].file`).
 *
 * Throws ScanNotFoundError (404), ScanFetchError (network, other statuses),
 * ScanIntegrityError (not the released file: swapped, altered, truncated).
 */
export async function fetchScan(release: Release, file: ReleasedFile, options: FetchScanOptions): Promise<Scan> {
  if (typeof options !== 'object' || options === null || typeof options.accessToken !== 'string' || options.accessToken === '') {
    throw new TypeError('fetchScan: accessToken is required');
  }
  if (typeof file !== 'object' || file === null || !belongsTo(release, file)) {
    throw new TypeError('fetchScan: the file is not part of this release');
  }
  const doFetch = options.fetch ?? globalThis.fetch;
  const url = scanUrl(options.issuer ?? release.iss, file.id);
  let response: Response;
  try {
    response = await doFetch(url, {
      method: 'GET',
      headers: { authorization: `Bearer ${options.accessToken}`, accept: 'application/octet-stream' },
      redirect: 'error',
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch {
    throw new ScanFetchError('the scan could not be fetched (network error)');
  }
  if (response.status === 404) {
    await response.body?.cancel().catch(() => {});
    throw new ScanNotFoundError();
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new ScanFetchError(`the scan could not be fetched (HTTP ${response.status})`, response.status);
  }
  const ciphertext = await readLimited(response, file.size + ENVELOPE_OVERHEAD);

  const fk = base64urlDecode(file.key);
  try {
    const bytes = openLinkedFileWithKey(fk, { id: file.id, media_type: file.media_type, size: file.size, sha256: file.sha256 }, ciphertext);
    return { id: file.id, bytes, mediaType: file.media_type, sha256: file.sha256, size: bytes.length };
  } catch (error) {
    if (error instanceof VaultIntegrityError) throw new ScanIntegrityError();
    throw error;
  } finally {
    fk.fill(0);
  }
}

/** Every scan of an element, flat, in slot order (front_side, reverse_side, selfie, translation, files). */
export function scansOf(element: ReleasedElement): { slot: SlotName; index?: number; file: ReleasedFile }[] {
  return releasedFiles(element);
}
