/**
 * What the server may accept, checked by shape and size only: it never holds a
 * key, so it cannot look inside. The KDF floor is the client's job (the server
 * is not trusted to enforce it); here the parameters are only well-formed.
 * Wire records are snake_case like the rest of the HTTP API.
 */
import * as z from 'zod';
import { ENVELOPE_OVERHEAD, KEY_LENGTH } from './aead.js';
import { MAX_ELEMENT_PLAINTEXT_BYTES, MIN_ELEMENT_PLAINTEXT_BYTES } from './element-crypto.js';
import { MAX_FILE_CIPHERTEXT_BYTES, SCAN_MEDIA_TYPES } from './elements/scans.js';
import { ELEMENT_TYPES } from './elements/table.js';
import { BASE64URL_PATTERN, base64urlDecodedLength, base64urlLength } from './encoding.js';
import { UUID_PATTERN } from './ids.js';

/** An envelope in text form whose plaintext is minPlain..maxPlain bytes. */
function envelopeText(minPlain: number, maxPlain: number) {
  const min = minPlain + ENVELOPE_OVERHEAD;
  const max = maxPlain + ENVELOPE_OVERHEAD;
  return z
    .string()
    .max(base64urlLength(max)) // before the pattern, so huge strings cost nothing
    .refine(
      (s) => {
        const n = base64urlDecodedLength(s);
        return n !== undefined && n >= min && n <= max;
      },
      { message: `must be unpadded base64url of ${min} to ${max} bytes` },
    );
}

const uuid = z.string().regex(UUID_PATTERN, { message: 'must be a lower-case UUID' });
const wrappedKey = envelopeText(KEY_LENGTH, KEY_LENGTH);
const positiveInt = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

const kdfParams = z.strictObject({
  alg: z.literal('argon2id'),
  m: positiveInt,
  p: positiveInt,
  salt: z.string().min(1).max(128).regex(BASE64URL_PATTERN),
  t: positiveInt,
  v: z.literal(1),
});

/** The smallest element plaintext is {"data":{},"files":{}} (22 bytes). */
const elementCiphertext = envelopeText(MIN_ELEMENT_PLAINTEXT_BYTES, MAX_ELEMENT_PLAINTEXT_BYTES);

export const VaultShapes = {
  uuid,
  envelopeText,
  wrappedKey,
  kdfParams,
  /** The vault's key material: the passphrase wrap and the recovery wrap of MK. */
  vaultKeys: z.strictObject({ kdf: kdfParams, wrapped_mk: wrappedKey, recovery_wrapped_mk: wrappedKey }),
  elementCiphertext,
  elementRecord: z.strictObject({
    id: uuid,
    type: z.enum(ELEMENT_TYPES),
    version: positiveInt,
    wrapped_key: wrappedKey,
    ciphertext: elementCiphertext,
  }),
  /** Metadata of an uploaded file; the ciphertext travels as the binary body. */
  fileRecord: z.strictObject({ id: uuid, media_type: z.enum(SCAN_MEDIA_TYPES), wrapped_key: wrappedKey }),
  /** A file ciphertext: at least one byte of plaintext, at most 10 MiB + 40 bytes. */
  fileCiphertext: z
    .instanceof(Uint8Array)
    .refine((b) => b.length > ENVELOPE_OVERHEAD && b.length <= MAX_FILE_CIPHERTEXT_BYTES, {
      message: `must be ${ENVELOPE_OVERHEAD + 1} to ${MAX_FILE_CIPHERTEXT_BYTES} bytes`,
    }),
};

export type VaultKeysRecord = z.infer<typeof VaultShapes.vaultKeys>;
export type ElementRecord = z.infer<typeof VaultShapes.elementRecord>;
export type FileRecord = z.infer<typeof VaultShapes.fileRecord>;
