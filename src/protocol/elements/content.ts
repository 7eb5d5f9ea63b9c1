/**
 * What an element's ciphertext holds (DESIGN 5.2, 5.4): its data and the links
 * to its scans, so that which scan sits in which slot of which element is
 * authenticated by the element's AEAD, not by the server's say-so.
 *
 *   content = { "data": <element data>, "files": { <slot>: <link> | [<link>, …], … } }
 *   link    = { "id": <lower-case UUID>, "media_type": "image/jpeg" | "image/png" | "application/pdf",
 *               "size": <plaintext bytes, 1..10485760>, "sha256": <unpadded base64url SHA-256, 43 chars> }
 *
 * Every object is strict (unknown members are refused). `files` has exactly the
 * type's slots: a required slot must be present; a single slot holds one link,
 * a multiple slot (translation, files) an array of 1..20 links, an empty
 * optional slot is omitted (never null, never []). A file id appears at most
 * once per element. Types without slots have `"files": {}`.
 *
 * Attested elements (DESIGN 5.6) also hold `"attestations": [<attestation>, …]`,
 * 1..4 of them, omitted when there are none (so content without attestations
 * is byte for byte what it was before they existed):
 *   attestation = { "sd_jwt": <issued SD-JWT VC, compact, all disclosures, no KB-JWT: ends with "~">,
 *                   "verifier_name": <1..200 characters>, "checked_at": <ISO 8601 UTC, "Z"> }
 * Only the shape is checked here; what the SD-JWT says is checked by
 * checkIssuedAttestation (attestation.ts) before the page seals it.
 */
import * as z from 'zod';
import { ElementDataError } from '../errors.js';
import { UUID_PATTERN } from '../ids.js';
import { elementDataError, elementSchema, elementSpec } from './registry.js';
import { MAX_SCAN_BYTES, SCAN_MEDIA_TYPES } from './scans.js';
import {
  ELEMENT_TYPES,
  SLOT_NAMES,
  type ElementContent,
  type ElementFiles,
  type ElementType,
  type FileLink,
  type SealedAttestation,
} from './table.js';

/**
 * Unpadded base64url of a SHA-256 digest, canonical: 43 characters, the last of
 * which carries 4 bits of the digest and 2 zero bits (A, E, I, …, 0, 4, 8).
 */
const SHA256_TEXT_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const sha256Text = z.string().regex(SHA256_TEXT_PATTERN, { message: 'must be an unpadded base64url SHA-256 digest' });

/** One link from an element to a scan (strict object). */
export const fileLinkSchema: z.ZodType<FileLink> = z.strictObject({
  id: z.string().regex(UUID_PATTERN, { message: 'must be a lower-case UUID' }),
  media_type: z.enum(SCAN_MEDIA_TYPES),
  size: z.number().int().min(1).max(MAX_SCAN_BYTES),
  sha256: sha256Text,
});

/** Attestations per element: one per verifier is the norm; a bound keeps the element small. */
export const MAX_ELEMENT_ATTESTATIONS = 4;
/** Longest issued SD-JWT kept in an element (characters; the whole element is capped at 64 KiB anyway). */
export const MAX_ATTESTATION_LENGTH = 64 * 1024;
export const MAX_VERIFIER_NAME_LENGTH = 200;

/**
 * An issued SD-JWT VC without key binding: header.payload.signature, then at
 * least one disclosure, each followed by "~" (RFC 9901 section 4). Unambiguous
 * (each part ends at its separator), so matching is linear in the length.
 */
const ISSUED_SD_JWT_PATTERN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+~(?:[A-Za-z0-9_-]+~)+$/;

/** One sealed attestation (strict object). */
export const sealedAttestationSchema: z.ZodType<SealedAttestation> = z.strictObject({
  sd_jwt: z
    .string()
    .max(MAX_ATTESTATION_LENGTH)
    .regex(ISSUED_SD_JWT_PATTERN, { message: 'must be an issued SD-JWT without key binding (ending with "~")' }),
  verifier_name: z.string().min(1).max(MAX_VERIFIER_NAME_LENGTH),
  checked_at: z.iso.datetime({ message: 'must be an ISO 8601 UTC time' }),
});

/** 1..4 attestations, no SD-JWT twice; the member is omitted rather than empty. */
const attestationsSchema = z
  .array(sealedAttestationSchema)
  .min(1)
  .max(MAX_ELEMENT_ATTESTATIONS)
  .refine((list) => new Set(list.map((a) => a.sd_jwt)).size === list.length, { message: 'the same attestation appears twice' });

function buildFilesSchema(type: ElementType): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const slot of elementSpec(type).slots) {
    const schema = slot.multiple ? z.array(fileLinkSchema).min(1).max(slot.max) : fileLinkSchema;
    shape[slot.name] = slot.required ? schema : schema.optional();
  }
  return z.strictObject(shape).superRefine((files: Record<string, unknown>, ctx) => {
    const seen = new Set<string>();
    for (const name of SLOT_NAMES) {
      const value = files[name];
      if (value === undefined) continue;
      const links = Array.isArray(value) ? (value as FileLink[]) : [value as FileLink];
      links.forEach((link, index) => {
        if (seen.has(link.id)) {
          ctx.addIssue({
            code: 'custom',
            message: 'the same file id appears twice in the element',
            path: Array.isArray(value) ? [name, index, 'id'] : [name, 'id'],
          });
        }
        seen.add(link.id);
      });
    }
  });
}

const FILES_SCHEMAS = new Map<ElementType, z.ZodType>(ELEMENT_TYPES.map((type) => [type, buildFilesSchema(type)]));
const CONTENT_SCHEMAS = new Map<ElementType, z.ZodType>(
  ELEMENT_TYPES.map((type) => [
    type,
    z.strictObject({ data: elementSchema(type), files: FILES_SCHEMAS.get(type)!, attestations: attestationsSchema.optional() }),
  ]),
);

/** The zod schema of an element type's file links by slot (strict object). */
export function elementFilesSchema<T extends ElementType>(type: T): z.ZodType<ElementFiles<T>> {
  elementSpec(type); // ProtocolInputError for an unknown type
  return FILES_SCHEMAS.get(type) as z.ZodType<ElementFiles<T>>;
}

/** The zod schema of an element's sealed content, `{ data, files, attestations? }` (strict object). */
export function elementContentSchema<T extends ElementType>(type: T): z.ZodType<ElementContent<T>> {
  elementSpec(type);
  return CONTENT_SCHEMAS.get(type) as z.ZodType<ElementContent<T>>;
}

/**
 * Validates an element's file links. Throws ElementDataError with paths
 * (slot, index, member) and issue codes, never the values.
 */
export function parseElementFiles<T extends ElementType>(type: T, files: unknown): ElementFiles<T> {
  const result = elementFilesSchema(type).safeParse(files);
  if (result.success) return result.data;
  throw elementDataError(`invalid ${type} files`, result.error);
}

/**
 * Validates an element's content `{ data, files, attestations? }` and returns the
 * normalized form (what gets sealed). Issue paths start with "data", "files" or "attestations".
 */
export function parseElementContent<T extends ElementType>(type: T, content: unknown): ElementContent<T> {
  const result = elementContentSchema(type).safeParse(content);
  if (result.success) return result.data;
  throw elementDataError(`invalid ${type} content`, result.error);
}

/**
 * Every link of an element, flat, in slot order (front_side, reverse_side,
 * selfie, translation, files) and array order within a slot: the ids an
 * element refers to, for listing, fetching or deleting its scans.
 */
export function fileLinks(files: Partial<Record<string, FileLink | readonly FileLink[]>>): FileLink[] {
  if (typeof files !== 'object' || files === null) throw new ElementDataError('files must be an object');
  const out: FileLink[] = [];
  for (const name of SLOT_NAMES) {
    if (!Object.prototype.hasOwnProperty.call(files, name)) continue;
    const value = files[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) out.push(...(value as readonly FileLink[]));
    else out.push(value as FileLink);
  }
  return out;
}
