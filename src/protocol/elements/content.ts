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
  ELEMENT_TYPES.map((type) => [type, z.strictObject({ data: elementSchema(type), files: FILES_SCHEMAS.get(type)! })]),
);

/** The zod schema of an element type's file links by slot (strict object). */
export function elementFilesSchema<T extends ElementType>(type: T): z.ZodType<ElementFiles<T>> {
  elementSpec(type); // ProtocolInputError for an unknown type
  return FILES_SCHEMAS.get(type) as z.ZodType<ElementFiles<T>>;
}

/** The zod schema of an element's sealed content, `{ data, files }` (strict object). */
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
 * Validates an element's content `{ data, files }` and returns the normalized
 * form (what gets sealed). Issue paths start with "data" or "files".
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
