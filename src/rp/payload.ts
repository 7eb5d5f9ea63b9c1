/**
 * The release payload (DESIGN 5.4) and its validation against the protocol's
 * element schemas, for the released subset of each element's fields.
 *
 *   { "v": 1, "iss", "aud", "sub", "nonce", "iat", "jti", "holder"?,
 *     "elements": [ { "ref"?, "type", "data": { released fields }, "files": { slot: file | [file, …] }, "attestations": [presentation, …] } ] }
 *   file = { "id", "key", "media_type", "size", "sha256" }
 *   holder = { "enc": HE public JWK, "sig": HS public JWK } (releases to verifiers only, DESIGN 5.5)
 *   presentation = an SD-JWT VC presentation with a KB-JWT (DESIGN 5.6), 0 to 4 per element
 *   ref = 16 random bytes, unpadded base64url, unique in the release: what reportErrors names (DESIGN 5.7);
 *         absent only in releases built by consent pages older than RP feedback
 */
import * as z from 'zod';
import {
  base64urlDecodedLength,
  elementSpec,
  ELEMENT_TYPES,
  MAX_ELEMENT_ATTESTATIONS,
  MAX_SCAN_BYTES,
  ReleaseHolderSchema,
  ReleaseRefSchema,
  SCAN_MEDIA_TYPES,
  UUID_PATTERN,
  type ElementData,
  type ElementFiles,
  type ElementType,
  type FileLink,
  type ReleaseHolder,
  type ScanMediaType,
  type SlotName,
} from '../protocol/index.js';
import { fieldSchema } from '../protocol/elements/fields.js';
import { withDateOrder } from '../protocol/elements/registry.js';
import { ReleaseMalformedError, type ReleaseIssue } from './errors.js';
import { MAX_PRESENTATION_LENGTH } from './attestations.js';
import type { ElementVerification } from './verify-elements.js';

/** Presentations one element may carry (the vault keeps at most 4 attestations per element). */
export { MAX_ELEMENT_ATTESTATIONS };

/** At most this many elements in one release (passport_scope allows 20 requirements). */
export const MAX_RELEASE_ELEMENTS = 20;

/** A scan named by a release: the link of the element plus the file key (FK). */
export interface ReleasedFile {
  /** The file id (lower-case UUID); the ciphertext is at {issuer}/passport/files/{id}. */
  id: string;
  /** The 32-byte file key, unpadded base64url. Secret: do not log it. */
  key: string;
  media_type: ScanMediaType;
  /** Plaintext size in bytes. */
  size: number;
  /** SHA-256 of the plaintext, unpadded base64url. */
  sha256: string;
}

/** An element's released scans by slot: one file, or a non-empty array for translation[] and files[]. */
export type ReleasedFiles<T extends ElementType = ElementType> = {
  [K in keyof ElementFiles<T>]: NonNullable<ElementFiles<T>[K]> extends readonly FileLink[] ? ReleasedFile[] : ReleasedFile;
};

/** One released element of type T: the released fields (validated, normalized) and scans. */
export interface ReleasedElementOf<T extends ElementType> {
  /**
   * This element's name in this release (16 random bytes, base64url): pass it to
   * reportErrors to tell the holder a field or scan is wrong. Absent only in
   * releases from consent pages that predate RP feedback.
   */
  ref?: string;
  type: T;
  /** Only the fields the holder released; each one valid for the type. */
  data: Partial<ElementData<T>>;
  files: ReleasedFiles<T>;
  /**
   * Verifier attestations as sent: SD-JWT VC presentations (0 to 4). Checked only
   * when openRelease ran with `verifiers`; otherwise they are unverified strings
   * that anyone could have written, and mean nothing.
   */
  attestations: string[];
  /**
   * What the presentations prove, present only when openRelease ran with
   * `verifiers` (each presentation then verified, or the release was refused).
   */
  verification?: ElementVerification;
}

/** A released element; narrow it with `element.type`. */
export type ReleasedElement = { [T in ElementType]: ReleasedElementOf<T> }[ElementType];

/** A decrypted, checked release. */
export interface Release {
  v: 1;
  /** The issuer that the holder released from (checked against `issuer`). */
  iss: string;
  /** Your client_id (checked). */
  aud: string;
  /** The holder's subject at the issuer (checked against the ID token's `sub`). */
  sub: string;
  /** The authorization request's nonce (checked). */
  nonce: string;
  /** When the holder's browser built the release, epoch seconds. */
  iat: number;
  /** The release's unique id (UUID). */
  jti: string;
  /**
   * The holder's public keys (P-256 JWKs, kid = RFC 7638 thumbprint), present only in
   * releases to verifier clients: encrypt attestations to `enc`, bind them (SD-JWT
   * `cnf.jwk`) to `sig`. Taken from inside the release, so the server cannot swap them.
   */
  holder?: ReleaseHolder;
  elements: ReleasedElement[];
}

const SHA256_TEXT = /^[A-Za-z0-9_-]{43}$/;

const ReleasedFileSchema = z.strictObject({
  id: z.string().regex(UUID_PATTERN, { message: 'must be a lower-case UUID' }),
  key: z.string().refine((s) => s.length === 43 && base64urlDecodedLength(s) === 32, {
    message: 'must be a 32-byte key, unpadded base64url',
  }),
  media_type: z.enum(SCAN_MEDIA_TYPES),
  size: z.number().int().min(1).max(MAX_SCAN_BYTES),
  sha256: z.string().refine((s) => SHA256_TEXT.test(s) && base64urlDecodedLength(s) === 32, {
    message: 'must be an unpadded base64url SHA-256 digest',
  }),
});

const ElementEnvelope = z.strictObject({
  ref: ReleaseRefSchema.optional(),
  type: z.enum(ELEMENT_TYPES as [ElementType, ...ElementType[]], { message: 'unknown element type' }),
  data: z.record(z.string(), z.unknown()),
  files: z.record(z.string(), z.unknown()),
  attestations: z
    .array(z.string().min(1).max(MAX_PRESENTATION_LENGTH, { message: 'a presentation is at most 64 KiB' }))
    .max(MAX_ELEMENT_ATTESTATIONS, { message: `at most ${MAX_ELEMENT_ATTESTATIONS} attestations per element` }),
});

const PayloadEnvelope = z.strictObject({
  v: z.literal(1),
  iss: z.string().min(1).max(2048),
  aud: z.string().min(1).max(2048),
  sub: z.string().min(1).max(255),
  nonce: z.string().min(1).max(2048),
  iat: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  jti: z.string().regex(UUID_PATTERN, { message: 'must be a lower-case UUID' }),
  holder: ReleaseHolderSchema.optional(),
  elements: z.array(ElementEnvelope).min(1).max(MAX_RELEASE_ELEMENTS),
});

export type PayloadEnvelope = z.infer<typeof PayloadEnvelope>;

/** Every field of the type, each optional: the released subset must fit it, and nothing else. */
function buildDataSchema(type: ElementType): z.ZodType {
  const spec = elementSpec(type);
  const shape: Record<string, z.ZodType> = {};
  for (const field of spec.fields) shape[field.name] = fieldSchema(field.name).optional();
  return withDateOrder(z.strictObject(shape));
}

/** Exactly the type's slots, required ones present, single or array as the type says. */
function buildFilesSchema(type: ElementType): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const slot of elementSpec(type).slots) {
    const schema = slot.multiple ? z.array(ReleasedFileSchema).min(1).max(slot.max) : ReleasedFileSchema;
    shape[slot.name] = slot.required ? schema : schema.optional();
  }
  return z.strictObject(shape);
}

const DATA_SCHEMAS = new Map<ElementType, z.ZodType>(ELEMENT_TYPES.map((t) => [t, buildDataSchema(t)]));

/** The schema released data of `type` must fit (any subset of the fields, each valid); normalizes. */
export function releasedDataSchema(type: ElementType): z.ZodType {
  return DATA_SCHEMAS.get(type)!;
}
const FILES_SCHEMAS = new Map<ElementType, z.ZodType>(ELEMENT_TYPES.map((t) => [t, buildFilesSchema(t)]));

function issuesOf(error: z.ZodError, prefix: (string | number)[]): ReleaseIssue[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))],
    code: issue.code,
    message: issue.message,
  }));
}

function malformed(issues: ReleaseIssue[]): ReleaseMalformedError {
  const where = issues.map((i) => (i.path.length ? i.path.join('.') : '(root)')).join(', ');
  return new ReleaseMalformedError(`the release payload is invalid: ${where}`, issues);
}

/** Parses the top level of the payload (claims and element envelopes). */
export function parseEnvelope(value: unknown): PayloadEnvelope {
  const result = PayloadEnvelope.safeParse(value);
  if (!result.success) throw malformed(issuesOf(result.error, []));
  return result.data;
}

/** Every file of an element, flat, with its slot and index (for multi-file slots). */
export function releasedFiles(element: ReleasedElement): { slot: SlotName; index?: number; file: ReleasedFile }[] {
  const out: { slot: SlotName; index?: number; file: ReleasedFile }[] = [];
  const files = element.files as Partial<Record<SlotName, ReleasedFile | ReleasedFile[]>>;
  for (const slot of elementSpec(element.type).slots) {
    const value = files[slot.name];
    if (value === undefined) continue;
    if (Array.isArray(value)) value.forEach((file, index) => out.push({ slot: slot.name, index, file }));
    else out.push({ slot: slot.name, file: value });
  }
  return out;
}

/**
 * The scan disclosure values of a released element (DESIGN 5.6): slot → the
 * file's sha256, or the list of sha256 values, in order, for translation and
 * files. Pass it as `fileHashes` to issueAttestation, and as
 * `releasedFileHashes` to verifyPresentation.
 */
export function releaseFileHashes(element: ReleasedElement): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const { slot, index, file } of releasedFiles(element)) {
    if (index === undefined) out[slot] = file.sha256;
    else ((out[slot] ??= []) as string[]).push(file.sha256);
  }
  return out;
}

/**
 * Validates each element's data (a subset of its type's fields, each valid) and
 * files (the type's slots, 32-byte keys), and that no type and no file id
 * appears twice. Returns the elements with normalized data.
 */
export function parseElements(envelope: PayloadEnvelope): ReleasedElement[] {
  const issues: ReleaseIssue[] = [];
  const types = new Set<ElementType>();
  const fileIds = new Set<string>();
  const refs = new Set<string>();
  const elements: ReleasedElement[] = [];
  envelope.elements.forEach((raw, index) => {
    const at = ['elements', index];
    if (types.has(raw.type)) issues.push({ path: [...at, 'type'], code: 'custom', message: 'the same element type appears twice' });
    types.add(raw.type);
    if (raw.ref !== undefined) {
      if (refs.has(raw.ref)) issues.push({ path: [...at, 'ref'], code: 'custom', message: 'the same ref appears twice' });
      refs.add(raw.ref);
    }
    const data = DATA_SCHEMAS.get(raw.type)!.safeParse(raw.data);
    if (!data.success) issues.push(...issuesOf(data.error, [...at, 'data']));
    const files = FILES_SCHEMAS.get(raw.type)!.safeParse(raw.files);
    if (!files.success) issues.push(...issuesOf(files.error, [...at, 'files']));
    if (!data.success || !files.success) return;
    const element = { ...(raw.ref !== undefined ? { ref: raw.ref } : {}), type: raw.type, data: data.data, files: files.data, attestations: [...raw.attestations] } as ReleasedElement;
    for (const { slot, index: i, file } of releasedFiles(element)) {
      if (fileIds.has(file.id)) {
        issues.push({
          path: [...at, 'files', slot, ...(i === undefined ? [] : [i]), 'id'],
          code: 'custom',
          message: 'the same file id appears twice in the release',
        });
      }
      fileIds.add(file.id);
    }
    elements.push(element);
  });
  if (issues.length) throw malformed(issues);
  return elements;
}
