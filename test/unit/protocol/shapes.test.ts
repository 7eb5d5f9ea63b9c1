/** What the server checks: shapes and sizes, nothing it would need a key for. */
import { describe, expect, it } from '@jest/globals';
import {
  base64urlEncode,
  createVault,
  generateKey,
  MAX_ELEMENT_CIPHERTEXT_BYTES,
  MAX_FILE_CIPHERTEXT_BYTES,
  MIN_ELEMENT_PLAINTEXT_BYTES,
  sealElement,
  utf8Encode,
  sealFile,
  VaultShapes,
} from '../../../src/protocol/index.js';
import { fakeArgon2, SAMPLE_FILES, SAMPLES, SCANS } from './samples.js';

const ID = '5a1c9e3f-7b2d-4f60-8e94-c1d3b5a7e902';
const ok = (schema: { safeParse(v: unknown): { success: boolean } }, value: unknown) => schema.safeParse(value).success;

describe('server-side shapes', () => {
  const mk = generateKey();
  const sealed = sealElement(mk, { id: ID, type: 'passport', version: 4, data: SAMPLES.passport, files: SAMPLE_FILES.passport });
  const record = { id: ID, type: 'passport', version: 4, wrapped_key: sealed.wrappedKey, ciphertext: sealed.ciphertext };

  it('accepts what the client produces', async () => {
    expect(VaultShapes.elementRecord.parse(record)).toEqual(record);
    const vault = await createVault({ passphrase: 'p', vaultId: ID, argon2: fakeArgon2 });
    expect(ok(VaultShapes.vaultKeys, { kdf: vault.kdf, wrapped_mk: vault.wrappedMk, recovery_wrapped_mk: vault.recoveryWrappedMk })).toBe(true);
    const file = sealFile(mk, { id: ID, mediaType: 'image/png', bytes: SCANS['image/png'] });
    expect(ok(VaultShapes.fileRecord, { id: ID, media_type: 'image/png', wrapped_key: file.wrappedKey })).toBe(true);
    expect(ok(VaultShapes.fileCiphertext, file.ciphertext)).toBe(true);
    expect(ok(VaultShapes.fileCiphertext, Buffer.from(file.ciphertext))).toBe(true);
  });

  it('refuses malformed element records', () => {
    const bad = [
      { ...record, id: ID.toUpperCase() },
      { ...record, id: 'not-a-uuid' },
      { ...record, type: 'visa' },
      { ...record, version: 0 },
      { ...record, version: 1.5 },
      { ...record, version: '4' },
      { ...record, wrapped_key: sealed.wrappedKey.slice(0, -1) },
      { ...record, wrapped_key: `${sealed.wrappedKey}AA` },
      { ...record, ciphertext: `${sealed.ciphertext}==` },
      { ...record, ciphertext: sealed.ciphertext.replace(/[-_]/g, '+') + '+' },
      { ...record, ciphertext: base64urlEncode(new Uint8Array(41)) },
      { ...record, ciphertext: base64urlEncode(new Uint8Array(MIN_ELEMENT_PLAINTEXT_BYTES + 39)) },
      { ...record, ciphertext: base64urlEncode(new Uint8Array(MAX_ELEMENT_CIPHERTEXT_BYTES + 1)) },
      { ...record, extra: 1 },
      { id: ID, type: 'passport', version: 4, wrapped_key: sealed.wrappedKey },
    ];
    for (const value of bad) expect(ok(VaultShapes.elementRecord, value)).toBe(false);
    // The shortest content, {"data":{},"files":{}}, sealed.
    expect(utf8Encode('{"data":{},"files":{}}')).toHaveLength(MIN_ELEMENT_PLAINTEXT_BYTES);
    expect(ok(VaultShapes.elementRecord, { ...record, ciphertext: base64urlEncode(new Uint8Array(MIN_ELEMENT_PLAINTEXT_BYTES + 40)) })).toBe(true);
    expect(ok(VaultShapes.elementRecord, { ...record, ciphertext: base64urlEncode(new Uint8Array(MAX_ELEMENT_CIPHERTEXT_BYTES)) })).toBe(true);
  });

  it('checks the structure of KDF parameters only: the floor is the client’s job', () => {
    const params = { alg: 'argon2id', m: 1024, p: 1, salt: 'AAECAwQFBgcICQoLDA0ODw', t: 1, v: 1 };
    expect(ok(VaultShapes.kdfParams, params)).toBe(true);
    for (const value of [{ ...params, alg: 'scrypt' }, { ...params, v: 2 }, { ...params, m: -1 }, { ...params, salt: 'a+b' }, { ...params, x: 1 }]) {
      expect(ok(VaultShapes.kdfParams, value)).toBe(false);
    }
  });

  it('bounds file ciphertexts at 10 MiB + 40 bytes', () => {
    expect(MAX_FILE_CIPHERTEXT_BYTES).toBe(10 * 1024 * 1024 + 40);
    expect(ok(VaultShapes.fileCiphertext, new Uint8Array(40))).toBe(false);
    expect(ok(VaultShapes.fileCiphertext, new Uint8Array(41))).toBe(true);
    expect(ok(VaultShapes.fileCiphertext, new Uint8Array(MAX_FILE_CIPHERTEXT_BYTES))).toBe(true);
    expect(ok(VaultShapes.fileCiphertext, new Uint8Array(MAX_FILE_CIPHERTEXT_BYTES + 1))).toBe(false);
    expect(ok(VaultShapes.fileCiphertext, 'AAAA')).toBe(false);
    expect(ok(VaultShapes.fileRecord, { id: ID, media_type: 'image/gif', wrapped_key: sealed.wrappedKey })).toBe(false);
  });
});
