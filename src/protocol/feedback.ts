/**
 * RP feedback (DESIGN 5.7), the parts written once for the browser, the server and
 * the RP SDK:
 *
 * - `ref`: every released element carries 16 random bytes, unpadded base64url
 *   (22 characters). It names the element in that one release and nothing else,
 *   so the server may keep the list of refs in clear.
 * - the sharing record: what exactly went to whom, sealed by the consent page
 *   under MK and stored by the server with the release, which cannot open it:
 *
 *     plaintext = UTF-8(RFC 8785 canonical JSON of the validated record)
 *     envelope  = XChaCha20-Poly1305(MK, plaintext), AD = "wathiqa/v1/sharing-record|" + vault_id + "|" + jti
 *
 *   The record id is the release's `jti` (a UUID the browser draws), so the AD
 *   binds a record to its vault and its release; the page also checks the
 *   opened record's client against the row it came with.
 * - the error report an RP posts to POST /passport/errors.
 */
import * as z from 'zod';
import { openText, sealToText, ENVELOPE_OVERHEAD } from './aead.js';
import { elementSpec, isElementType } from './elements/registry.js';
import { ELEMENT_TYPES, SLOT_NAMES, type ElementType } from './elements/table.js';
import { SCAN_MEDIA_TYPES } from './elements/scans.js';
import { base64urlDecodedLength, base64urlEncode, base64urlLength, randomBytes, utf8Decode, utf8Encode } from './encoding.js';
import { ElementDataError, VaultIntegrityError } from './errors.js';
import { assertUuid, UUID_PATTERN } from './ids.js';
import { canonicalJson } from './kdf.js';

export const RELEASE_REF_BYTES = 16;
const REF_TEXT = /^[A-Za-z0-9_-]{22}$/;

export function isReleaseRef(value: unknown): value is string {
  return typeof value === 'string' && REF_TEXT.test(value) && base64urlDecodedLength(value) === RELEASE_REF_BYTES;
}

export const ReleaseRefSchema = z.string().refine(isReleaseRef, { message: 'must be 16 bytes, unpadded base64url' });

/** A fresh ref for one released element. */
export function newReleaseRef(): string {
  return base64urlEncode(randomBytes(RELEASE_REF_BYTES));
}

/** Largest sealed record the server keeps (plaintext: a few kB in practice). */
export const MAX_SHARING_RECORD_PLAINTEXT_BYTES = 48 * 1024;
export const MAX_SHARING_RECORD_TEXT_LENGTH = base64urlLength(MAX_SHARING_RECORD_PLAINTEXT_BYTES + ENVELOPE_OVERHEAD);
/** Elements per release (the RP SDK's bound too). */
export const MAX_RECORD_ELEMENTS = 20;

const SHA256_TEXT = /^[A-Za-z0-9_-]{43}$/;

const RecordScan = z.strictObject({
  slot: z.enum(SLOT_NAMES),
  file_id: z.string().regex(UUID_PATTERN),
  sha256: z.string().regex(SHA256_TEXT),
  media_type: z.enum(SCAN_MEDIA_TYPES),
});

const RecordElement = z.strictObject({
  ref: ReleaseRefSchema,
  element_id: z.string().regex(UUID_PATTERN),
  element_version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  type: z.enum(ELEMENT_TYPES as [ElementType, ...ElementType[]]),
  fields: z.record(z.string().max(64), z.string().max(4096)),
  scans: z.array(RecordScan).max(60),
});

const SharingRecordSchema = z
  .strictObject({
    v: z.literal(1),
    jti: z.string().regex(UUID_PATTERN),
    client_id: z.string().min(1).max(2048),
    client_name: z.string().max(256),
    sent_at: z.iso.datetime(),
    elements: z.array(RecordElement).min(1).max(MAX_RECORD_ELEMENTS),
  })
  .superRefine((record, ctx) => {
    const refs = new Set<string>();
    record.elements.forEach((element, index) => {
      if (refs.has(element.ref)) ctx.addIssue({ code: 'custom', path: ['elements', index, 'ref'], message: 'the same ref appears twice' });
      refs.add(element.ref);
      const spec = elementSpec(element.type);
      for (const name of Object.keys(element.fields)) {
        if (!spec.fields.some((f) => f.name === name)) ctx.addIssue({ code: 'custom', path: ['elements', index, 'fields', name], message: 'not a field of the type' });
      }
      element.scans.forEach((scan, i) => {
        if (!spec.slots.some((s) => s.name === scan.slot)) ctx.addIssue({ code: 'custom', path: ['elements', index, 'scans', i, 'slot'], message: 'not a slot of the type' });
      });
    });
  });

export type SharingRecord = z.infer<typeof SharingRecordSchema>;
export type SharingRecordElement = SharingRecord['elements'][number];

export function sharingRecordAd(vaultId: string, jti: string): string {
  assertUuid(vaultId, 'vault id');
  assertUuid(jti, 'record id');
  return `wathiqa/v1/sharing-record|${vaultId}|${jti}`;
}

/** Validates and seals a record under MK; the record id in the AD is its jti. */
export function sealSharingRecord(mk: Uint8Array, vaultId: string, record: SharingRecord): string {
  const parsed = SharingRecordSchema.safeParse(record);
  if (!parsed.success) throw new ElementDataError('the sharing record is invalid');
  const bytes = utf8Encode(canonicalJson(parsed.data));
  if (bytes.length > MAX_SHARING_RECORD_PLAINTEXT_BYTES) throw new ElementDataError('the sharing record is too large');
  return sealToText(mk, bytes, sharingRecordAd(vaultId, parsed.data.jti));
}

/**
 * Opens a record stored as `recordId` (the release's jti) of this vault.
 * VaultIntegrityError if it was altered, moved, or is not a valid record.
 */
export function openSharingRecord(mk: Uint8Array, vaultId: string, recordId: string, sealed: string): SharingRecord {
  const plaintext = openText(mk, sealed, sharingRecordAd(vaultId, recordId));
  let value: unknown;
  try {
    value = JSON.parse(utf8Decode(plaintext));
  } catch {
    throw new VaultIntegrityError();
  }
  const parsed = SharingRecordSchema.safeParse(value);
  if (!parsed.success || parsed.data.jti !== recordId) throw new VaultIntegrityError();
  return parsed.data;
}

/** Bounds of an RP's error report. */
export const MAX_REPORTED_ERRORS = 50;
export const MAX_ERROR_MESSAGE_LENGTH = 300;

/** No control characters (C0, DEL, C1) and no bidi overrides that would reorder the page around the text. */
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

const FieldName = z.string().min(1).max(64).regex(/^[a-z0-9_]+$/, { message: 'must be a field name' });

export const ReportedErrorSchema = z
  .strictObject({
    ref: ReleaseRefSchema,
    field: FieldName.optional(),
    file: z.enum(SLOT_NAMES, { message: `must be a slot name (${SLOT_NAMES.join(', ')})` }).optional(),
    message: z
      .string()
      .transform((s) => s.normalize('NFC').trim())
      .pipe(
        z
          .string()
          .min(1, { message: 'must not be empty' })
          .max(MAX_ERROR_MESSAGE_LENGTH, { message: `must be at most ${MAX_ERROR_MESSAGE_LENGTH} characters` })
          .refine((s) => !UNSAFE_TEXT.test(s), { message: 'must not contain control or bidi override characters' }),
      ),
  })
  .refine((e) => (e.field === undefined) !== (e.file === undefined), { message: 'give exactly one of "field" and "file"' });

export type ReportedError = z.infer<typeof ReportedErrorSchema>;

export const ErrorReportSchema = z
  .strictObject({ errors: z.array(ReportedErrorSchema).max(MAX_REPORTED_ERRORS, { message: `at most ${MAX_REPORTED_ERRORS} errors` }) })
  .superRefine((report, ctx) => {
    const seen = new Set<string>();
    report.errors.forEach((e, index) => {
      const key = `${e.ref}|${e.field ?? ''}|${e.file ?? ''}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['errors', index], message: 'the same ref and field or file is given twice' });
      seen.add(key);
    });
  });

/** Is `name` a field (or, with `file`, a slot) of one of these element types? */
export function namesPartOf(types: readonly string[], error: { field?: string; file?: string }): boolean {
  return types.some((type) => {
    if (!isElementType(type)) return false;
    const spec = elementSpec(type);
    return error.field !== undefined ? spec.fields.some((f) => f.name === error.field) : spec.slots.some((s) => s.name === error.file);
  });
}
