/**
 * Sealing and opening elements (DESIGN 5.1, 5.2):
 *
 *   content    = { "data": <data>, "files": <files> }
 *   plaintext  = UTF-8(RFC 8785 canonical JSON of the validated content)
 *   ciphertext = XChaCha20-Poly1305(EK, plaintext), AD = "wathiqa/v1/element|" + id + "|" + type + "|" + version
 *   wrappedKey = XChaCha20-Poly1305(MK, EK),        AD = "wathiqa/v1/ek|" + id
 *
 * <data> is the element's fields as its type's schema validates and normalizes
 * them (text trimmed and NFC, optional fields absent rather than null; "{}" for
 * types without fields).
 *
 * <files> maps each of the type's slots (elementSpec(type).slots) to its file
 * links; "{}" for types without slots. A single slot (front_side, reverse_side,
 * selfie) holds one link; a multiple slot (translation, files) an array of 1 to
 * 20 links, in the holder's order. Required slots are present, empty optional
 * slots are left out, slots the type does not have are refused, and a file id
 * occurs at most once in an element. A link is
 *
 *   { "id": <file id, lower-case UUID>, "media_type": "image/jpeg" | "image/png" | "application/pdf",
 *     "sha256": <SHA-256 of the scan's plaintext, unpadded base64url, 43 characters>,
 *     "size": <the scan's plaintext length in bytes, 1 to 10485760, a JSON integer> }
 *
 * JCS sorts members by UTF-16 code units at every level ("data" before "files";
 * "id", "media_type", "sha256", "size" in a link), writes no whitespace, keeps
 * array order, and writes strings as ECMAScript's JSON.stringify does (non-ASCII
 * unescaped). The passport of test/vectors/protocol-v1.json ("element"), one
 * line without whitespace, wrapped here:
 *
 *   {"data":{"date_of_expiry":"2031-06-14","date_of_issuance":"2021-06-15","document_number":"N0471923",
 *   "issuing_country":"JO"},"files":{"front_side":{"id":"0b7e4d19-2c6a-4f35-9d81-e3a2c5f60b18",
 *   "media_type":"image/png","sha256":"fdIqCUfRQxKbHS73TQHdhvthapLcYNg9N27Y2TAMMEw","size":77}}}
 *
 * The links are why the content is more than the data: a file's own AD binds
 * only its id and media type, so without them a server could show the selfie as
 * the passport's front side, or one element's scan as another's. The element's
 * AEAD now authenticates which scan (id, and the digest and size of its
 * plaintext) sits in which slot; the page checks each scan it downloads against
 * its link (openLinkedFile / checkFileMatchesLink in file-crypto.ts).
 *
 * Content is validated before sealing and again after opening: the schema is the
 * contract, whoever wrote the ciphertext.
 */
import { elementAd } from './ad.js';
import { ENVELOPE_OVERHEAD, openText, sealToText, type SealOptions } from './aead.js';
import { parseElementContent } from './elements/content.js';
import type { ElementContent, ElementData, ElementFiles, ElementType } from './elements/table.js';
import { utf8Decode, utf8Encode, type Bytes } from './encoding.js';
import { ElementDataError } from './errors.js';
import { canonicalJson } from './kdf.js';
import { generateKey, unwrapElementKey, wrapElementKey } from './keys.js';

/** Largest element envelope (decoded bytes) the server stores. */
export const MAX_ELEMENT_CIPHERTEXT_BYTES = 64 * 1024;
export const MAX_ELEMENT_PLAINTEXT_BYTES = MAX_ELEMENT_CIPHERTEXT_BYTES - ENVELOPE_OVERHEAD;
/** The shortest possible content, {"data":{},"files":{}} (22 bytes): a lower bound the server can check. */
export const MIN_ELEMENT_PLAINTEXT_BYTES = 22;

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

/**
 * What sealElement takes. `files` may be left out only for types without a
 * required slot (it then means {}); otherwise it is required, by type and at
 * run time (ElementDataError).
 */
export type ElementToSeal<T extends ElementType> = ElementRef<T> & { data: ElementData<T>; attestations?: ElementContent<T>['attestations'] } & ({} extends ElementFiles<T>
    ? { files?: ElementFiles<T> }
    : { files: ElementFiles<T> });

/** Validated content {data, files} → canonical JSON bytes (what is encrypted). */
export function elementPlaintext<T extends ElementType>(type: T, content: unknown): Bytes {
  const bytes = utf8Encode(canonicalJson(parseElementContent(type, content)));
  if (bytes.length > MAX_ELEMENT_PLAINTEXT_BYTES) throw new ElementDataError(`${type} content is too large`);
  return bytes;
}

/** Encrypts element content {data, files} under its EK (low level: the vector tests pass the nonce). */
export function encryptElementData<T extends ElementType>(
  ek: Uint8Array,
  ref: ElementRef<T>,
  content: ElementContent<T>,
  options: SealOptions = {},
): string {
  const ad = elementAd(ref.id, ref.type, ref.version);
  return sealToText(ek, elementPlaintext(ref.type, content), ad, options);
}

/** Decrypts element content with its EK and validates it, data and file links alike. */
export function decryptElementData<T extends ElementType>(ek: Uint8Array, ref: ElementRef<T>, ciphertext: string): ElementContent<T> {
  const plaintext = openText(ek, ciphertext, elementAd(ref.id, ref.type, ref.version));
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Decode(plaintext));
  } catch {
    // Authentic but not JSON: written by a broken client, not altered in transit.
    throw new ElementDataError(`${ref.type} content is not JSON`);
  }
  return parseElementContent(ref.type, parsed);
}

/** Validates, then seals an element's data, file links and attestations under a fresh EK wrapped by MK. */
export function sealElement<T extends ElementType>(mk: Uint8Array, element: ElementToSeal<T>): SealedElement {
  const ref = { id: element.id, type: element.type, version: element.version };
  // Check the ids and validate the content before a key is drawn.
  elementAd(ref.id, ref.type, ref.version);
  const files = (element as { files?: unknown }).files ?? {};
  // Attestations live inside the content, so the element's AEAD covers them too (DESIGN 5.6).
  const attestations = element.attestations?.length ? { attestations: element.attestations } : {};
  const content = parseElementContent(ref.type, { data: element.data, files, ...attestations });
  const ek = generateKey();
  try {
    const ciphertext = encryptElementData(ek, ref, content);
    const wrappedKey = wrapElementKey(mk, ek, ref.id);
    return { wrappedKey, ciphertext };
  } finally {
    ek.fill(0);
  }
}

/**
 * Unwraps the EK and opens the element: its data and its file links.
 * VaultIntegrityError if anything was altered or moved; ElementDataError if the
 * authentic content does not validate (a broken or older client wrote it).
 */
export function openElement<T extends ElementType>(mk: Uint8Array, sealed: SealedElement, ref: ElementRef<T>): ElementContent<T> {
  const ek = unwrapElementKey(mk, sealed.wrappedKey, ref.id);
  try {
    return decryptElementData(ek, ref, sealed.ciphertext);
  } finally {
    ek.fill(0);
  }
}
