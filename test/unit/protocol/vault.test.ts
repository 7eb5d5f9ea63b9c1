/**
 * The vault's life cycle and round trips of every element type and media type.
 * Real Argon2id (64 MiB) runs only a few times here; elsewhere a stand-in does.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  checkKdfParams,
  createVault,
  ELEMENT_TYPES,
  ElementDataError,
  elementAd,
  fileLinkFor,
  fileLinks,
  generateKey,
  KDF_FLOOR,
  MAX_SCAN_BYTES,
  newRecoveryCode,
  openElement,
  openFile,
  openFileWithKey,
  openLinkedFile,
  openLinkedFileWithKey,
  parseRecoveryCode,
  recoverVault,
  RecoveryCodeError,
  rewrapMasterKey,
  SCAN_MEDIA_TYPES,
  ScanError,
  sealElement,
  sealFile,
  sealToText,
  unlockVault,
  unwrapElementKey,
  unwrapFileKey,
  utf8Encode,
  VaultIntegrityError,
  wrapElementKey,
  ProtocolInputError,
  type CreatedVault,
} from '../../../src/protocol/index.js';
import { ADDRESS_WITHOUT_POSTAL_CODE, fakeArgon2, SAMPLE_FILES, sampleContent, SAMPLES, SCANS } from './samples.js';

const VAULT = '0e4f8b21-6d3a-4c97-a1b5-93f2d7e08c46';
const ids = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

describe('vault life cycle with the real Argon2id', () => {
  // "كلمة السر" typed once with ordinary letters, once with presentation forms.
  const passphrase = 'كلمة السر الطويلة';
  const presentationForms = '\uFEDB\uFEE0\uFEE4\uFE94 \uFE8D\uFEDF\uFEB4\uFEAE \uFE8D\uFEDF\uFEC4\uFEEE\uFEF3\uFEE0\uFE94';
  let vault: CreatedVault;

  beforeAll(async () => {
    vault = await createVault({ passphrase, vaultId: VAULT });
  });

  it('creates a vault at the floor parameters with a fresh salt', () => {
    expect(checkKdfParams(vault.kdf)).toEqual(vault.kdf);
    expect(vault.kdf).toMatchObject({ alg: 'argon2id', v: 1, ...KDF_FLOOR });
    expect(vault.mk).toHaveLength(32);
    expect(vault.wrappedMk).toHaveLength(96);
    expect(vault.recoveryWrappedMk).toHaveLength(96);
    expect(parseRecoveryCode(vault.recoveryCode)).toHaveLength(16);
  });

  it('unlocks with the passphrase, however the keyboard encoded it', async () => {
    expect(presentationForms.normalize('NFKC')).toBe(passphrase);
    expect(presentationForms).not.toBe(passphrase);
    const unlock = (p: string) => unlockVault({ passphrase: p, vaultId: VAULT, kdf: vault.kdf, wrappedMk: vault.wrappedMk });
    expect(await unlock(passphrase)).toEqual(vault.mk);
    expect(await unlock(presentationForms)).toEqual(vault.mk);
    await expect(unlock('كلمة السر الطويله')).rejects.toThrow(VaultIntegrityError);
  });
});

describe('vault life cycle (Argon2 stand-in)', () => {
  let vault: CreatedVault;
  const argon2 = fakeArgon2;

  beforeAll(async () => {
    vault = await createVault({ passphrase: 'first passphrase', vaultId: VAULT, argon2 });
  });

  it('recovers MK with the recovery code as typed, and refuses a typo before deriving', () => {
    const base = { vaultId: VAULT, recoveryWrappedMk: vault.recoveryWrappedMk };
    expect(recoverVault({ ...base, recoveryCode: vault.recoveryCode })).toEqual(vault.mk);
    expect(recoverVault({ ...base, recoveryCode: ` ${vault.recoveryCode.toLowerCase().replaceAll('-', ' ')} ` })).toEqual(vault.mk);
    const chars = [...vault.recoveryCode];
    const i = chars.findIndex((c) => c !== '-');
    chars[i] = chars[i] === '7' ? '6' : '7';
    expect(() => recoverVault({ ...base, recoveryCode: chars.join('') })).toThrow(RecoveryCodeError);
    // A well-formed code of someone else: derivation happens and decryption fails.
    const other = newRecoveryCode(generateKey(), VAULT).recoveryCode;
    expect(() => recoverVault({ ...base, recoveryCode: other })).toThrow(VaultIntegrityError);
  });

  it('changes the passphrase by re-wrapping MK only: elements stay readable', async () => {
    const ref = { id: ids(1), type: 'email' as const, version: 1 };
    const sealed = sealElement(vault.mk, { ...ref, data: SAMPLES.email });
    const next = await rewrapMasterKey(vault.mk, 'second passphrase', VAULT, { argon2 });
    expect(next.kdf.salt).not.toBe(vault.kdf.salt);
    const mk = await unlockVault({ passphrase: 'second passphrase', vaultId: VAULT, kdf: next.kdf, wrappedMk: next.wrappedMk, argon2 });
    expect(mk).toEqual(vault.mk);
    expect(openElement(mk, sealed, ref)).toEqual({ data: SAMPLES.email, files: {} });
    await expect(
      unlockVault({ passphrase: 'first passphrase', vaultId: VAULT, kdf: next.kdf, wrappedMk: next.wrappedMk, argon2 }),
    ).rejects.toThrow(VaultIntegrityError);
  });

  it('replaces the recovery code: the old one no longer opens the new wrap', () => {
    const next = newRecoveryCode(vault.mk, VAULT);
    expect(next.recoveryCode).not.toBe(vault.recoveryCode);
    expect(recoverVault({ recoveryCode: next.recoveryCode, vaultId: VAULT, recoveryWrappedMk: next.recoveryWrappedMk })).toEqual(vault.mk);
    expect(() => recoverVault({ recoveryCode: vault.recoveryCode, vaultId: VAULT, recoveryWrappedMk: next.recoveryWrappedMk })).toThrow(
      VaultIntegrityError,
    );
  });

  it('refuses an empty passphrase and ids that are not lower-case UUIDs', async () => {
    await expect(createVault({ passphrase: '', vaultId: VAULT, argon2 })).rejects.toThrow(ProtocolInputError);
    await expect(createVault({ passphrase: 'x', vaultId: VAULT.toUpperCase(), argon2 })).rejects.toThrow(ProtocolInputError);
    expect(() => sealElement(vault.mk, { id: 'element-1', type: 'email', version: 1, data: SAMPLES.email })).toThrow(ProtocolInputError);
    expect(() => sealElement(vault.mk, { id: ids(1), type: 'email', version: 0, data: SAMPLES.email })).toThrow(ProtocolInputError);
    expect(() => sealElement(vault.mk, { id: ids(1), type: 'visa' as never, version: 1, data: {} })).toThrow(ProtocolInputError);
  });
});

describe('round trips', () => {
  const mk = generateKey();

  it.each(ELEMENT_TYPES)('%s, with its file links', (type) => {
    const ref = { id: ids(10 + ELEMENT_TYPES.indexOf(type)), type, version: 1 + ELEMENT_TYPES.indexOf(type) };
    const element = { ...ref, data: SAMPLES[type] as never, files: SAMPLE_FILES[type] as never };
    const sealed = sealElement(mk, element);
    expect(sealed.wrappedKey).toMatch(/^[A-Za-z0-9_-]{96}$/);
    expect(sealed.ciphertext).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(openElement(mk, sealed, ref)).toEqual(sampleContent(type));
    // Fresh EK and nonce each time.
    expect(sealElement(mk, element).ciphertext).not.toBe(sealed.ciphertext);
  });

  it('takes files = {} by default for types without required slots', () => {
    const ref = { id: ids(5), type: 'address' as const, version: 1 };
    const sealed = sealElement(mk, { ...ref, data: ADDRESS_WITHOUT_POSTAL_CODE });
    expect(openElement(mk, sealed, ref)).toEqual({ data: ADDRESS_WITHOUT_POSTAL_CODE, files: {} });
  });

  it('seals the normalized data (trimmed, NFC)', () => {
    const ref = { id: ids(2), type: 'address' as const, version: 1 };
    const sealed = sealElement(mk, { ...ref, data: { ...SAMPLES.address, locality: '  Montre\u0301al ', country: 'CA' } });
    expect(openElement(mk, sealed, ref).data).toMatchObject({ locality: 'Montréal', country: 'CA' });
  });

  it('refuses invalid data, invalid links and missing required slots before sealing', () => {
    const base = { id: ids(3), type: 'passport' as const, version: 1, data: SAMPLES.passport, files: SAMPLE_FILES.passport };
    expect(() => sealElement(mk, { ...base, data: { ...SAMPLES.passport, issuing_country: 'XX' } as never })).toThrow(ElementDataError);
    expect(() => sealElement(mk, { ...base, files: { front_side: { ...SAMPLE_FILES.passport.front_side, size: 0 } } })).toThrow(ElementDataError);
    expect(() => sealElement(mk, { ...base, files: {} as never })).toThrow(ElementDataError);
    const { files: _files, ...withoutFiles } = base;
    expect(() => sealElement(mk, withoutFiles as never)).toThrow(ElementDataError);
    expect(() => sealElement(mk, { ...base, type: 'identity_card' } as never)).toThrow(ElementDataError); // no reverse_side
    expect(() => sealElement(mk, { id: ids(3), type: 'utility_bill', version: 1, data: {} } as never)).toThrow(ElementDataError);
    expect(() => sealElement(mk, { id: ids(3), type: 'email', version: 1, data: SAMPLES.email, files: SAMPLE_FILES.passport } as never)).toThrow(
      ElementDataError,
    );
  });

  it('validates again after opening (content an older or broken client sealed)', () => {
    const ref = { id: ids(4), type: 'phone_number' as const, version: 1 };
    const ek = generateKey();
    const sealedBy = (plaintext: string) => ({
      wrappedKey: wrapElementKey(mk, ek, ref.id),
      ciphertext: sealToText(ek, utf8Encode(plaintext), elementAd(ref.id, ref.type, ref.version)),
    });
    expect(openElement(mk, sealedBy('{"data":{"phone_number":"+97336001234"},"files":{}}'), ref)).toEqual({
      data: SAMPLES.phone_number,
      files: {},
    });
    expect(() => openElement(mk, sealedBy('{"data":{"phone_number":"36001234"},"files":{}}'), ref)).toThrow(ElementDataError);
    expect(() => openElement(mk, sealedBy('{"data":{"phone_number":"+97336001234","x":1},"files":{}}'), ref)).toThrow(ElementDataError);
    // The bare data (no links) is not element content.
    expect(() => openElement(mk, sealedBy('{"phone_number":"+97336001234"}'), ref)).toThrow(ElementDataError);
    expect(() => openElement(mk, sealedBy('{"data":{"phone_number":"+97336001234"}}'), ref)).toThrow(ElementDataError);
    expect(() => openElement(mk, sealedBy('{"data":{"phone_number":"+97336001234"},"files":{},"v":1}'), ref)).toThrow(ElementDataError);
    expect(() => openElement(mk, sealedBy('not json'), ref)).toThrow(ElementDataError);
  });

  it('an element with its scans, end to end: seal the scans, link them, seal the element, open and verify each scan', () => {
    const scans = [
      sealFile(mk, { id: ids(50), mediaType: 'image/jpeg', bytes: SCANS['image/jpeg'] }),
      sealFile(mk, { id: ids(51), mediaType: 'image/png', bytes: SCANS['image/png'] }),
      sealFile(mk, { id: ids(52), mediaType: 'application/pdf', bytes: SCANS['application/pdf'] }),
    ] as const;
    const files = { front_side: fileLinkFor(scans[0]), reverse_side: fileLinkFor(scans[1]), translation: [fileLinkFor(scans[2])] };
    expect(files.front_side).toEqual({
      id: ids(50),
      media_type: 'image/jpeg',
      size: SCANS['image/jpeg'].length,
      sha256: scans[0].sha256,
    });
    const ref = { id: ids(53), type: 'identity_card' as const, version: 1 };
    const sealed = sealElement(mk, { ...ref, data: SAMPLES.identity_card, files });
    const opened = openElement(mk, sealed, ref);
    expect(opened.files).toEqual(files);
    const byId = new Map(scans.map((s) => [s.id, s]));
    for (const link of fileLinks(opened.files)) {
      const stored = byId.get(link.id)!;
      expect(openLinkedFile(mk, stored, link)).toEqual(SCANS[link.media_type]);
      const fk = unwrapFileKey(mk, stored.wrappedKey, link.id);
      expect(openLinkedFileWithKey(fk, link, stored.ciphertext)).toEqual(SCANS[link.media_type]);
    }
  });

  it('builds a link from a sealed scan, or from its stored metadata, and refuses a mismatch', () => {
    const sealed = sealFile(mk, { id: ids(54), mediaType: 'image/png', bytes: SCANS['image/png'] });
    const link = fileLinkFor(sealed);
    const { id: _id, mediaType: _mediaType, ...bare } = sealed;
    expect(fileLinkFor(bare, { id: ids(54), mediaType: 'image/png' })).toEqual(link);
    expect(fileLinkFor(sealed, { id: ids(54), mediaType: 'image/png' })).toEqual(link);
    expect(() => fileLinkFor(sealed, { id: ids(55), mediaType: 'image/png' })).toThrow(ProtocolInputError);
    expect(() => fileLinkFor(sealed, { id: ids(54), mediaType: 'image/jpeg' })).toThrow(ProtocolInputError);
    expect(() => fileLinkFor(bare as never)).toThrow(ProtocolInputError);
    expect(() => fileLinkFor({ ...sealed, size: 0 })).toThrow(ProtocolInputError);
    expect(() => fileLinkFor({ ...sealed, sha256: 'x' })).toThrow(ProtocolInputError);
  });

  it.each(SCAN_MEDIA_TYPES)('a %s scan, with MK and with the file key alone (as an RP)', (mediaType) => {
    const ref = { id: ids(20 + SCAN_MEDIA_TYPES.indexOf(mediaType)), mediaType };
    const bytes = SCANS[mediaType];
    const sealed = sealFile(mk, { ...ref, bytes });
    expect(sealed).toMatchObject(ref);
    expect(sealed.ciphertext).toHaveLength(bytes.length + 40);
    expect(sealed.size).toBe(bytes.length);
    expect(sealed.sha256).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(openFile(mk, sealed, ref)).toEqual(bytes);
    const fk = unwrapFileKey(mk, sealed.wrappedKey, ref.id);
    expect(openFileWithKey(fk, { ...ref, sha256: sealed.sha256 }, sealed.ciphertext)).toEqual(bytes);
    expect(openFileWithKey(fk, { ...ref, sha256: sealed.sha256, size: sealed.size }, sealed.ciphertext)).toEqual(bytes);
    expect(openLinkedFile(mk, sealed, fileLinkFor(sealed))).toEqual(bytes);
  });

  it('takes a scan of exactly 10 MiB and refuses one byte more', () => {
    const big = new Uint8Array(MAX_SCAN_BYTES);
    big.set(SCANS['application/pdf']);
    const ref = { id: ids(30), mediaType: 'application/pdf' as const };
    const sealed = sealFile(mk, { ...ref, bytes: big });
    expect(sealed.ciphertext).toHaveLength(MAX_SCAN_BYTES + 40);
    expect(openFile(mk, sealed, ref)).toHaveLength(MAX_SCAN_BYTES);
    const tooBig = new Uint8Array(MAX_SCAN_BYTES + 1);
    tooBig.set(SCANS['application/pdf']);
    expect(() => sealFile(mk, { ...ref, bytes: tooBig })).toThrow(ScanError);
  });

  it('refuses scans of other types, empty ones, and content that is not what it claims', () => {
    const id = ids(31);
    expect(() => sealFile(mk, { id, mediaType: 'image/gif' as never, bytes: new TextEncoder().encode('GIF89a') })).toThrow(ScanError);
    expect(() => sealFile(mk, { id, mediaType: 'image/png', bytes: new Uint8Array(0) })).toThrow(ScanError);
    expect(() => sealFile(mk, { id, mediaType: 'image/png', bytes: SCANS['image/jpeg'] })).toThrow(ScanError);
    expect(() => sealFile(mk, { id, mediaType: 'application/pdf', bytes: new TextEncoder().encode('<html>') })).toThrow(ScanError);
  });

  it('unwraps EK only for its own element id', () => {
    const ref = { id: ids(40), type: 'email' as const, version: 1 };
    const sealed = sealElement(mk, { ...ref, data: SAMPLES.email });
    expect(unwrapElementKey(mk, sealed.wrappedKey, ref.id)).toHaveLength(32);
    expect(() => unwrapElementKey(mk, sealed.wrappedKey, ids(41))).toThrow(VaultIntegrityError);
  });
});
