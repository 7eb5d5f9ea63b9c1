/**
 * DESIGN 2, "every row is a test": a server that lowers the KDF parameters,
 * flips bytes, truncates, or moves ciphertexts between elements, types,
 * versions, files and vaults gets one uniform failure; a server that swaps scans
 * between slots or elements is caught by the links sealed inside each element.
 */
import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  base64urlDecode,
  base64urlEncode,
  checkFileMatchesLink,
  createVault,
  decryptElementData,
  elementAd,
  ElementDataError,
  fileLinkFor,
  fileLinks,
  deriveRoot,
  KdfPolicyError,
  openElement,
  openFile,
  openFileWithKey,
  openLinkedFile,
  openLinkedFileWithKey,
  recoverVault,
  rewrapMasterKey,
  sealElement,
  sealFile,
  sealToText,
  unlockVault,
  unwrapElementKey,
  unwrapFileKey,
  utf8Encode,
  VaultIntegrityError,
  wrapElementKey,
  type Argon2idFunction,
  type CreatedVault,
  type ElementContent,
  type FileLink,
  type KdfParams,
  type SealedFile,
} from '../../../src/protocol/index.js';
import { fakeArgon2, SAMPLE_FILES, SAMPLES, SCANS } from './samples.js';

const VAULT = '6b0f3c2e-8a47-4d19-b5e2-7c91f0a3d846';
const OTHER_VAULT = '1d9e7a52-3c08-4f6b-a2d4-58e0c7b91f3a';
const A = 'c3a1f7e2-9b4d-4a68-8f25-1e6d0b7c9a34';
const B = 'f28b6d0e-4c71-4e9a-b3f5-a07d2c85e169';
const F1 = '7e5a9c14-2b83-4d6f-9a01-c4e8f2b3d570';
const F2 = '93c4e1b7-0d5a-4f82-8e6c-2b7f1a9d4e03';
const PASS = 'correct horse battery staple';

/** Every failure must be this, exactly: same class, same message, no cause, nothing attached. */
function expectUniformFailure(run: () => unknown): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(VaultIntegrityError);
  const error = caught as Error;
  expect(error.message).toBe('decryption failed');
  expect(error.name).toBe('VaultIntegrityError');
  expect(error.cause).toBeUndefined();
  expect(Object.keys(error)).toEqual([]);
}

async function expectUniformRejection(promise: Promise<unknown>): Promise<void> {
  let caught: unknown;
  await promise.catch((error: unknown) => {
    caught = error;
  });
  expectUniformFailure(() => {
    if (caught !== undefined) throw caught;
  });
}

/** The envelope with byte i flipped (all bits). */
function flip(text: string, i: number): string {
  const bytes = base64urlDecode(text);
  bytes[i]! ^= 0xff;
  return base64urlEncode(bytes);
}
function flipBytes(bytes: Uint8Array, i: number): Uint8Array {
  const copy = bytes.slice();
  copy[i]! ^= 0x01;
  return copy;
}

describe('KDF parameters below the floor', () => {
  const floor: KdfParams = { alg: 'argon2id', m: 65536, p: 1, salt: 'AAECAwQFBgcICQoLDA0ODw', t: 3, v: 1 };
  const weak: [string, unknown][] = [
    ['m one below the floor', { ...floor, m: 65535 }],
    ['m at the server-side OWASP value', { ...floor, m: 19456 }],
    ['m above the ceiling', { ...floor, m: 4194304 }],
    ['m not an integer', { ...floor, m: 65536.5 }],
    ['m as a string', { ...floor, m: '65536' }],
    ['t = 2', { ...floor, t: 2 }],
    ['t = 0', { ...floor, t: 0 }],
    ['p = 0', { ...floor, p: 0 }],
    ['p = 5', { ...floor, p: 5 }],
    ['salt of 8 bytes', { ...floor, salt: 'AAECAwQFBgc' }],
    ['salt of 17 bytes', { ...floor, salt: 'AAECAwQFBgcICQoLDA0ODxA' }],
    ['salt empty', { ...floor, salt: '' }],
    ['salt padded', { ...floor, salt: 'AAECAwQFBgcICQoLDA0ODw==' }],
    ['salt in standard base64', { ...floor, salt: 'AAECAwQFBgcICQoLDA0O+/' }],
    ['alg argon2i', { ...floor, alg: 'argon2i' }],
    ['alg argon2d', { ...floor, alg: 'argon2d' }],
    ['alg pbkdf2', { ...floor, alg: 'pbkdf2' }],
    ['v = 2', { ...floor, v: 2 }],
    ['an extra member', { ...floor, secret: '' }],
    ['salt missing', { alg: 'argon2id', m: 65536, p: 1, t: 3, v: 1 }],
    ['null', null],
    ['an array', [floor]],
  ];

  it.each(weak)('refuses %s in unlockVault before Argon2 runs', async (_label, kdf) => {
    const argon2 = jest.fn<Argon2idFunction>(fakeArgon2);
    await expect(unlockVault({ passphrase: PASS, vaultId: VAULT, kdf, wrappedMk: 'x'.repeat(96), argon2 })).rejects.toThrow(
      KdfPolicyError,
    );
    // Refused before Argon2 runs: proven by the call count, not by a clock (a loaded machine makes clocks lie).
    expect(argon2).not.toHaveBeenCalled();
  });

  it('refuses them in deriveRoot as well, also with the default (real) Argon2id', async () => {
    for (const [, kdf] of weak) {
      const argon2 = jest.fn<Argon2idFunction>(fakeArgon2);
      await expect(deriveRoot(PASS, kdf, argon2)).rejects.toThrow(KdfPolicyError);
      expect(argon2).not.toHaveBeenCalled();
    }
    await expect(deriveRoot(PASS, { ...floor, m: 8 })).rejects.toThrow(KdfPolicyError);
  });

  it('refuses a weak cost when creating a vault or changing the passphrase', async () => {
    const argon2 = jest.fn<Argon2idFunction>(fakeArgon2);
    await expect(createVault({ passphrase: PASS, vaultId: VAULT, kdf: { m: 32768 }, argon2 })).rejects.toThrow(KdfPolicyError);
    await expect(createVault({ passphrase: PASS, vaultId: VAULT, kdf: { t: 1 }, argon2 })).rejects.toThrow(KdfPolicyError);
    await expect(rewrapMasterKey(new Uint8Array(32), PASS, VAULT, { kdf: { p: 8 }, argon2 })).rejects.toThrow(KdfPolicyError);
    expect(argon2).not.toHaveBeenCalled();
  });

  it('accepts the floor and stronger settings', async () => {
    const argon2 = jest.fn<Argon2idFunction>(fakeArgon2);
    const vault = await createVault({ passphrase: PASS, vaultId: VAULT, kdf: { m: 131072, t: 4, p: 4 }, argon2 });
    expect(vault.kdf).toMatchObject({ m: 131072, t: 4, p: 4 });
    expect(argon2.mock.calls[0]![0]).toMatchObject({ memorySize: 131072, iterations: 4, parallelism: 4, hashLength: 32 });
  });
});

describe('a server that alters or moves ciphertext', () => {
  let vault: CreatedVault;
  let otherVault: CreatedVault;
  let elementA: { wrappedKey: string; ciphertext: string };
  let elementB: { wrappedKey: string; ciphertext: string };
  let file1: { wrappedKey: string; ciphertext: Uint8Array; sha256: string };
  let file2: { wrappedKey: string; ciphertext: Uint8Array; sha256: string };
  const refA = { id: A, type: 'passport' as const, version: 2 };
  const refB = { id: B, type: 'passport' as const, version: 2 };
  const ref1 = { id: F1, mediaType: 'image/jpeg' as const };
  const ref2 = { id: F2, mediaType: 'image/jpeg' as const };

  beforeAll(async () => {
    vault = await createVault({ passphrase: PASS, vaultId: VAULT, argon2: fakeArgon2 });
    otherVault = await createVault({ passphrase: PASS, vaultId: OTHER_VAULT, argon2: fakeArgon2 });
    elementA = sealElement(vault.mk, { ...refA, data: SAMPLES.passport, files: SAMPLE_FILES.passport });
    elementB = sealElement(vault.mk, { ...refB, data: { ...SAMPLES.passport, document_number: 'P7654321' }, files: SAMPLE_FILES.passport });
    file1 = sealFile(vault.mk, { ...ref1, bytes: SCANS['image/jpeg'] });
    file2 = sealFile(vault.mk, { ...ref2, bytes: SCANS['image/jpeg'] });
  });

  const unlock = (over: Partial<Parameters<typeof unlockVault>[0]>) =>
    unlockVault({ passphrase: PASS, vaultId: VAULT, kdf: vault.kdf, wrappedMk: vault.wrappedMk, argon2: fakeArgon2, ...over });

  it('controls: untouched data opens', async () => {
    expect(await unlock({})).toEqual(vault.mk);
    expect(openElement(vault.mk, elementA, refA)).toEqual({ data: SAMPLES.passport, files: SAMPLE_FILES.passport });
    expect(openFile(vault.mk, file1, ref1)).toEqual(SCANS['image/jpeg']);
  });

  it('a wrong passphrase (the same failure)', async () => {
    await expectUniformRejection(unlock({ passphrase: 'correct horse battery stapler' }));
  });

  it('any flipped byte in the wrapped MK', async () => {
    for (let i = 0; i < 72; i++) await expectUniformRejection(unlock({ wrappedMk: flip(vault.wrappedMk, i) }));
  });

  it('any flipped byte in the recovery wrap of MK', () => {
    for (let i = 0; i < 72; i++) {
      expectUniformFailure(() =>
        recoverVault({ recoveryCode: vault.recoveryCode, vaultId: VAULT, recoveryWrappedMk: flip(vault.recoveryWrappedMk, i) }),
      );
    }
  });

  it('a truncated, extended or garbled wrapped MK', async () => {
    const text = vault.wrappedMk;
    await expectUniformRejection(unlock({ wrappedMk: text.slice(0, -1) }));
    await expectUniformRejection(unlock({ wrappedMk: text.slice(0, -4) }));
    await expectUniformRejection(unlock({ wrappedMk: `${text}AAAA` }));
    await expectUniformRejection(unlock({ wrappedMk: '' }));
    await expectUniformRejection(unlock({ wrappedMk: `${text.slice(0, -1)}=` }));
    await expectUniformRejection(unlock({ wrappedMk: `${text.slice(0, -2)}+/` }));
  });

  it('other (valid) KDF parameters than MK was wrapped with, even if the KEK came out the same', async () => {
    const sameRoot: Argon2idFunction = async () => new Uint8Array(32).fill(7);
    const created = await createVault({ passphrase: PASS, vaultId: VAULT, argon2: sameRoot });
    const ok = { passphrase: PASS, vaultId: VAULT, kdf: created.kdf, wrappedMk: created.wrappedMk, argon2: sameRoot };
    expect(await unlockVault(ok)).toEqual(created.mk);
    await expectUniformRejection(unlockVault({ ...ok, kdf: { ...created.kdf, m: created.kdf.m * 2 } }));
    await expectUniformRejection(unlockVault({ ...ok, kdf: { ...created.kdf, t: 4 } }));
    await expectUniformRejection(unlockVault({ ...ok, kdf: { ...created.kdf, salt: otherVault.kdf.salt } }));
  });

  it("one vault's wrapped MK served for another vault", async () => {
    await expectUniformRejection(unlock({ vaultId: OTHER_VAULT }));
    await expectUniformRejection(unlock({ wrappedMk: otherVault.wrappedMk, kdf: otherVault.kdf }));
    expectUniformFailure(() =>
      recoverVault({ recoveryCode: vault.recoveryCode, vaultId: OTHER_VAULT, recoveryWrappedMk: vault.recoveryWrappedMk }),
    );
    expectUniformFailure(() =>
      recoverVault({ recoveryCode: vault.recoveryCode, vaultId: VAULT, recoveryWrappedMk: otherVault.recoveryWrappedMk }),
    );
  });

  it('any flipped byte in a wrapped EK', () => {
    for (let i = 0; i < 72; i++) {
      expectUniformFailure(() => openElement(vault.mk, { ...elementA, wrappedKey: flip(elementA.wrappedKey, i) }, refA));
    }
  });

  it('any flipped byte in an element ciphertext, and any truncation', () => {
    const length = base64urlDecode(elementA.ciphertext).length;
    for (let i = 0; i < length; i++) {
      expectUniformFailure(() => openElement(vault.mk, { ...elementA, ciphertext: flip(elementA.ciphertext, i) }, refA));
    }
    const bytes = base64urlDecode(elementA.ciphertext);
    for (let n = 0; n < length; n++) {
      expectUniformFailure(() => openElement(vault.mk, { ...elementA, ciphertext: base64urlEncode(bytes.subarray(0, n)) }, refA));
    }
    expectUniformFailure(() => openElement(vault.mk, { ...elementA, ciphertext: `${elementA.ciphertext}AA` }, refA));
  });

  it('an element moved to another id, type or version', () => {
    expectUniformFailure(() => openElement(vault.mk, elementA, { ...refA, id: B }));
    // The same fields validate as internal_passport: only the AD tells them apart.
    expectUniformFailure(() => openElement(vault.mk, elementA, { ...refA, type: 'internal_passport' }));
    expectUniformFailure(() => openElement(vault.mk, elementA, { ...refA, type: 'identity_card' }));
    expectUniformFailure(() => openElement(vault.mk, elementA, { ...refA, version: 1 }));
    expectUniformFailure(() => openElement(vault.mk, elementA, { ...refA, version: 3 }));
    // Moved with its wrapped key, or only the ciphertext into B's record.
    expectUniformFailure(() => openElement(vault.mk, elementA, refB));
    expectUniformFailure(() => openElement(vault.mk, { wrappedKey: elementB.wrappedKey, ciphertext: elementA.ciphertext }, refB));
  });

  it("element A's wrapped key, or its EK, used for element B", () => {
    expectUniformFailure(() => openElement(vault.mk, { wrappedKey: elementA.wrappedKey, ciphertext: elementB.ciphertext }, refB));
    expectUniformFailure(() => unwrapElementKey(vault.mk, elementA.wrappedKey, B));
    const ekA = unwrapElementKey(vault.mk, elementA.wrappedKey, A);
    expectUniformFailure(() => decryptElementData(ekA, refB, elementB.ciphertext));
  });

  it("an element of one vault served to another vault's holder", () => {
    expectUniformFailure(() => openElement(otherVault.mk, elementA, refA));
  });

  it('any flipped byte in a wrapped FK', () => {
    for (let i = 0; i < 72; i++) {
      expectUniformFailure(() => openFile(vault.mk, { ...file1, wrappedKey: flip(file1.wrappedKey, i) }, ref1));
    }
  });

  it('any flipped byte in a file ciphertext, and any truncation', () => {
    for (let i = 0; i < file1.ciphertext.length; i++) {
      expectUniformFailure(() => openFile(vault.mk, { ...file1, ciphertext: flipBytes(file1.ciphertext, i) }, ref1));
    }
    for (let n = 0; n < file1.ciphertext.length; n++) {
      expectUniformFailure(() => openFile(vault.mk, { ...file1, ciphertext: file1.ciphertext.subarray(0, n) }, ref1));
    }
  });

  it('a file moved to another id or media type', () => {
    expectUniformFailure(() => openFile(vault.mk, file1, { ...ref1, id: F2 }));
    expectUniformFailure(() => openFile(vault.mk, file1, { ...ref1, mediaType: 'image/png' }));
    expectUniformFailure(() => openFile(vault.mk, { wrappedKey: file2.wrappedKey, ciphertext: file1.ciphertext }, ref2));
    expectUniformFailure(() => openFile(vault.mk, { wrappedKey: file1.wrappedKey, ciphertext: file2.ciphertext }, ref2));
    const fk1 = unwrapFileKey(vault.mk, file1.wrappedKey, F1);
    expectUniformFailure(() => openFileWithKey(fk1, { ...ref1, mediaType: 'application/pdf' }, file1.ciphertext));
    expectUniformFailure(() => openFileWithKey(fk1, ref2, file2.ciphertext));
    expectUniformFailure(() => openFileWithKey(fk1, ref1, file2.ciphertext));
  });

  it('a file whose digest does not match the release', () => {
    const fk1 = unwrapFileKey(vault.mk, file1.wrappedKey, F1);
    expect(openFileWithKey(fk1, { ...ref1, sha256: file1.sha256 }, file1.ciphertext)).toEqual(SCANS['image/jpeg']);
    expectUniformFailure(() => openFileWithKey(fk1, { ...ref1, sha256: flip(file1.sha256, 0) }, file1.ciphertext));
    expectUniformFailure(() => openFileWithKey(fk1, { ...ref1, sha256: 'not-a-digest' }, file1.ciphertext));
  });

  it('a file whose size does not match the link (refused before decrypting)', () => {
    const fk1 = unwrapFileKey(vault.mk, file1.wrappedKey, F1);
    const size = SCANS['image/jpeg'].length;
    expect(openFileWithKey(fk1, { ...ref1, size }, file1.ciphertext)).toEqual(SCANS['image/jpeg']);
    for (const wrong of [size - 1, size + 1, 0, -40]) expectUniformFailure(() => openFileWithKey(fk1, { ...ref1, size: wrong }, file1.ciphertext));
    expectUniformFailure(() => openFile(vault.mk, file1, { ...ref1, sha256: file1.sha256, size: size + 1 }));
  });
});

/** A JPEG whose bytes say what it is, so every scan below has its own digest. */
function jpeg(label: string): Uint8Array {
  return Uint8Array.from([0xff, 0xd8, 0xff, 0xfe, ...new TextEncoder().encode(label), 0xff, 0xd9]);
}

describe('a server that swaps scans between slots and elements', () => {
  // Element A: a passport with a front side and a selfie. Element B: an identity card.
  const mk = new Uint8Array(32).fill(0x33);
  const otherMk = new Uint8Array(32).fill(0x44);
  const ids = (n: number) => `5ca40000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
  const refA = { id: A, type: 'passport' as const, version: 1 };
  const refB = { id: B, type: 'identity_card' as const, version: 1 };
  const bytes = {
    aFront: jpeg('passport page'),
    aSelfie: jpeg('selfie'),
    bFront: jpeg('id card front'),
    bReverse: jpeg('id card back'),
  };
  let store: Map<string, SealedFile>;
  let a: ElementContent<'passport'>;
  let b: ElementContent<'identity_card'>;
  let sealedA: { wrappedKey: string; ciphertext: string };

  beforeAll(() => {
    const seal = (n: number, data: Uint8Array) => sealFile(mk, { id: ids(n), mediaType: 'image/jpeg', bytes: data });
    const files = { aFront: seal(1, bytes.aFront), aSelfie: seal(2, bytes.aSelfie), bFront: seal(3, bytes.bFront), bReverse: seal(4, bytes.bReverse) };
    store = new Map(Object.values(files).map((f) => [f.id, f]));
    sealedA = sealElement(mk, { ...refA, data: SAMPLES.passport, files: { front_side: fileLinkFor(files.aFront), selfie: fileLinkFor(files.aSelfie) } });
    const sealedB = sealElement(mk, {
      ...refB,
      data: SAMPLES.identity_card,
      files: { front_side: fileLinkFor(files.bFront), reverse_side: fileLinkFor(files.bReverse) },
    });
    // The page opens the elements first: the links it then trusts come from inside them.
    a = openElement(mk, sealedA, refA);
    b = openElement(mk, sealedB, refB);
  });

  /** The page's two ways to fetch a slot: by the link's id, or by whatever metadata the server attached. */
  const openByLink = (link: FileLink, served: SealedFile) => openLinkedFile(mk, served, link);
  const openByServerMetadata = (link: FileLink, served: SealedFile) => {
    const bytes = openFile(mk, served, { id: served.id, mediaType: served.mediaType }); // authentic, but which scan?
    checkFileMatchesLink(link, bytes);
    return bytes;
  };

  it('controls: every slot opens to its own scan both ways', () => {
    const expected = new Map([
      [a.files.front_side.id, bytes.aFront],
      [a.files.selfie!.id, bytes.aSelfie],
      [b.files.front_side.id, bytes.bFront],
      [b.files.reverse_side.id, bytes.bReverse],
    ]);
    for (const link of [...fileLinks(a.files), ...fileLinks(b.files)]) {
      const served = store.get(link.id)!;
      expect(openByLink(link, served)).toEqual(expected.get(link.id));
      expect(openByServerMetadata(link, served)).toEqual(expected.get(link.id));
    }
  });

  it("the selfie served as the passport's front side (another slot of the same element)", () => {
    const selfie = store.get(a.files.selfie!.id)!;
    expectUniformFailure(() => openByLink(a.files.front_side, selfie));
    expectUniformFailure(() => openByServerMetadata(a.files.front_side, selfie));
    // and the other way round
    const front = store.get(a.files.front_side.id)!;
    expectUniformFailure(() => openByLink(a.files.selfie!, front));
    expectUniformFailure(() => openByServerMetadata(a.files.selfie!, front));
  });

  it("another element's scan served for a slot (the ID card's front as the passport's front)", () => {
    const idFront = store.get(b.files.front_side.id)!;
    expectUniformFailure(() => openByLink(a.files.front_side, idFront));
    expectUniformFailure(() => openByServerMetadata(a.files.front_side, idFront));
    // Even relabelled with the passport front's id and media type by the server.
    expectUniformFailure(() => openByLink(a.files.front_side, { ...idFront, id: a.files.front_side.id }));
    const reverse = store.get(b.files.reverse_side.id)!;
    expectUniformFailure(() => openByLink(b.files.front_side, reverse));
    expectUniformFailure(() => openByServerMetadata(b.files.front_side, reverse));
  });

  it("another vault's scan, or an RP's file key used on the wrong scan", () => {
    const foreign = sealFile(otherMk, { id: a.files.front_side.id, mediaType: 'image/jpeg', bytes: bytes.aFront });
    expectUniformFailure(() => openByLink(a.files.front_side, foreign));
    const fkSelfie = unwrapFileKey(mk, store.get(a.files.selfie!.id)!.wrappedKey, a.files.selfie!.id);
    expectUniformFailure(() => openLinkedFileWithKey(fkSelfie, a.files.front_side, store.get(a.files.front_side.id)!.ciphertext));
    expectUniformFailure(() => openLinkedFileWithKey(fkSelfie, a.files.front_side, store.get(a.files.selfie!.id)!.ciphertext));
  });

  it('a scan replaced under the same id (an older upload, or another scan sealed under a reused id)', () => {
    const link = a.files.front_side;
    const older = sealFile(mk, { id: link.id, mediaType: 'image/jpeg', bytes: jpeg('passport page, old photo') });
    // Its own AD is intact, so only the link tells it apart.
    expect(openFile(mk, older, { id: link.id, mediaType: 'image/jpeg' })).toEqual(jpeg('passport page, old photo'));
    expectUniformFailure(() => openByLink(link, older));
    expectUniformFailure(() => openByServerMetadata(link, older));
    const sameSize = sealFile(mk, { id: link.id, mediaType: 'image/jpeg', bytes: jpeg('passport pagE') });
    expect(sameSize.size).toBe(link.size);
    expectUniformFailure(() => openByLink(link, sameSize));
  });

  it("a link whose sha256 or size does not match the decrypted bytes", () => {
    const front = store.get(a.files.front_side.id)!;
    const link = a.files.front_side;
    const otherDigest = b.files.front_side.sha256;
    for (const wrong of [
      { ...link, sha256: otherDigest },
      { ...link, sha256: `${link.sha256.slice(0, -1)}${link.sha256.endsWith('A') ? 'E' : 'A'}` },
      { ...link, size: link.size + 1 },
      { ...link, size: link.size - 1 },
      { ...link, media_type: 'image/png' as const },
    ]) {
      expectUniformFailure(() => openByLink(wrong, front));
      expectUniformFailure(() => checkFileMatchesLink(wrong, bytes.aFront));
    }
    expect(() => checkFileMatchesLink(link, bytes.aFront)).not.toThrow();
    expectUniformFailure(() => checkFileMatchesLink(link, bytes.aSelfie));
    expectUniformFailure(() => checkFileMatchesLink(link, new Uint8Array(0)));
    expectUniformFailure(() => checkFileMatchesLink(null as never, bytes.aFront));
  });

  it('the links of one element are bound to it: moving them means moving the element, which its AD refuses', () => {
    expectUniformFailure(() => openElement(mk, sealedA, { ...refA, id: B }));
    expectUniformFailure(() => openElement(mk, sealedA, { ...refB, type: 'passport' }));
    expectUniformFailure(() => openElement(mk, sealedA, { ...refA, type: 'internal_passport' }));
  });

  describe('element content that does not name its scans properly is refused on open', () => {
    const ek = new Uint8Array(32).fill(0x55);
    /** What a broken (or older) client could have sealed: authentic, so only validation can catch it. */
    const sealedBy = (ref: typeof refA | typeof refB, files: unknown) => ({
      wrappedKey: wrapElementKey(mk, ek, ref.id),
      ciphertext: sealToText(
        ek,
        utf8Encode(JSON.stringify({ data: ref.type === 'passport' ? SAMPLES.passport : SAMPLES.identity_card, files })),
        elementAd(ref.id, ref.type, ref.version),
      ),
    });
    const refused = (ref: typeof refA | typeof refB, files: unknown) => {
      let caught: unknown;
      try {
        openElement(mk, sealedBy(ref, files), ref);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ElementDataError);
      return (caught as ElementDataError).issues.map((i) => `${i.path.join('.')}:${i.code}`);
    };

    it('controls', () => {
      expect(openElement(mk, sealedBy(refA, a.files), refA)).toEqual(a);
      expect(openElement(mk, sealedBy(refB, b.files), refB)).toEqual(b);
    });

    it('a slot the type does not have', () => {
      expect(refused(refA, { ...a.files, reverse_side: b.files.reverse_side })).toEqual(['files:unrecognized_keys']);
      expect(refused(refA, { ...a.files, files: [b.files.reverse_side] })).toEqual(['files:unrecognized_keys']);
      expect(refused(refA, { ...a.files, back: b.files.reverse_side })).toEqual(['files:unrecognized_keys']);
    });

    it('a missing required slot', () => {
      expect(refused(refA, {})).toEqual(['files.front_side:invalid_type']);
      expect(refused(refA, { selfie: a.files.selfie })).toEqual(['files.front_side:invalid_type']);
      expect(refused(refB, { front_side: b.files.front_side })).toEqual(['files.reverse_side:invalid_type']);
      expect(refused(refB, { front_side: b.files.front_side, reverse_side: null })).toEqual(['files.reverse_side:invalid_type']);
    });

    it('the same file id twice', () => {
      expect(refused(refA, { front_side: a.files.front_side, selfie: a.files.front_side })).toEqual(['files.selfie.id:custom']);
      expect(refused(refB, { front_side: b.files.front_side, reverse_side: { ...b.files.reverse_side, id: b.files.front_side.id } })).toEqual([
        'files.reverse_side.id:custom',
      ]);
      expect(refused(refA, { front_side: a.files.front_side, translation: [a.files.selfie, a.files.selfie] })).toEqual([
        'files.translation.1.id:custom',
      ]);
    });

    it('a malformed link, or no files member at all', () => {
      expect(refused(refA, { front_side: { ...a.files.front_side, sha256: 'x' } })).toEqual(['files.front_side.sha256:invalid_format']);
      expect(refused(refA, { front_side: { ...a.files.front_side, key: 'AAAA' } })).toEqual(['files.front_side:unrecognized_keys']);
      expect(refused(refA, { front_side: [a.files.front_side] })).toEqual(['files.front_side:invalid_type']);
      expect(refused(refA, undefined)).toEqual(['files:invalid_type']);
    });
  });
});
