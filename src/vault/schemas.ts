import { z } from 'zod';
import { ENVELOPE_OVERHEAD } from '../protocol/aead.js';
import { BASE64URL_PATTERN, base64urlLength } from '../protocol/encoding.js';
import { ELEMENT_TYPES, MAX_FILE_CIPHERTEXT_BYTES, SCAN_MEDIA_TYPES } from '../protocol/elements/index.js';
import { WRAPPED_KEY_TEXT_LENGTH } from '../protocol/keys.js';

/**
 * What the vault API accepts. The server sees envelopes, never contents: it checks
 * their shape and size, and binds nothing else. The client checks the rest
 * (the KDF floor, every AEAD tag).
 */

/** An element's canonical JSON is small; 64 KiB leaves room for long native names. */
export const MAX_ELEMENT_PLAINTEXT = 64 * 1024;
export const MAX_ELEMENT_CIPHERTEXT_TEXT = base64urlLength(MAX_ELEMENT_PLAINTEXT + ENVELOPE_OVERHEAD);
export const MAX_FILE_UPLOAD_BYTES = MAX_FILE_CIPHERTEXT_BYTES;

const Uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a lower-case UUID');

export const WrappedKey = z
  .string()
  .length(WRAPPED_KEY_TEXT_LENGTH, `must be a wrapped key (${WRAPPED_KEY_TEXT_LENGTH} base64url characters)`)
  .regex(BASE64URL_PATTERN, 'must be base64url');

const ElementCiphertext = z
  .string()
  .min(base64urlLength(ENVELOPE_OVERHEAD + 2), 'is too short to be an envelope')
  .max(MAX_ELEMENT_CIPHERTEXT_TEXT, `is larger than ${MAX_ELEMENT_PLAINTEXT} bytes of plaintext`)
  .regex(BASE64URL_PATTERN, 'must be base64url')
  .refine((s) => s.length % 4 !== 1, 'is not a valid base64url length');

/** Structure only: the browser enforces the KDF floor before it derives anything. */
export const KdfShape = z
  .object({
    alg: z.literal('argon2id'),
    m: z.number().int().positive().max(4 * 1024 * 1024),
    t: z.number().int().positive().max(64),
    p: z.number().int().positive().max(16),
    salt: z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'must be 16 bytes in base64url'),
    v: z.literal(1),
  })
  .strict();

export const VaultSetup = z
  .object({
    vault_id: Uuid,
    kdf: KdfShape,
    wrapped_mk: WrappedKey,
    recovery_wrapped_mk: WrappedKey,
  })
  .strict();
export type VaultSetup = z.infer<typeof VaultSetup>;

/** A new passphrase (after a change or a recovery): MK re-wrapped, nothing else touched. */
export const VaultRewrap = z
  .object({
    kdf: KdfShape,
    wrapped_mk: WrappedKey,
    recovery_wrapped_mk: WrappedKey.optional(),
    vault_version: z.number().int().positive(),
  })
  .strict();
export type VaultRewrap = z.infer<typeof VaultRewrap>;

export const ElementParams = z.object({ id: Uuid }).strict();

export const ElementPut = z
  .object({
    type: z.enum(ELEMENT_TYPES as [string, ...string[]]),
    version: z.number().int().min(1).max(2 ** 31 - 1),
    wrapped_key: WrappedKey,
    ciphertext: ElementCiphertext,
    file_ids: z.array(Uuid).max(100).default([]),
  })
  .strict();
export type ElementPut = z.infer<typeof ElementPut>;

export const ElementDelete = z.object({ version: z.coerce.number().int().min(1) }).strict();

export const FileParams = z.object({ id: Uuid }).strict();

export const FileUpload = z
  .object({
    id: Uuid,
    media_type: z.enum(SCAN_MEDIA_TYPES),
    wrapped_key: WrappedKey,
  })
  .strict();
export type FileUpload = z.infer<typeof FileUpload>;
