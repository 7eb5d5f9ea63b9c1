import { describe, expect, it } from '@jest/globals';
import { elementSpec, generateKey, sealElement, openElement, VaultIntegrityError, type FileLink, type SlotName } from '../../src/protocol/index.js';
import { buildFiles, classifyScan, fileIds, mediaTypeName, missingSlots, openScan, sealScan, sizeProblem, slotLinks } from '../../src/web/vault/scans.js';

const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]);
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]);
const PDF = new TextEncoder().encode('%PDF-1.7\n%%EOF\n');
const id = (n: number) => `f11e0000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('choosing a scan', () => {
  it('goes by content, not by the file name or the browser’s guess', () => {
    expect(classifyScan(JPEG)).toEqual({ mediaType: 'image/jpeg' });
    expect(classifyScan(PNG)).toEqual({ mediaType: 'image/png' });
    expect(classifyScan(PDF)).toEqual({ mediaType: 'application/pdf' });
    expect(classifyScan(new TextEncoder().encode('GIF89a...'))).toEqual({ problem: 'vault.scan.bad_type' });
    expect(classifyScan(new Uint8Array(0))).toEqual({ problem: 'vault.scan.empty' });
    expect(sizeProblem(10 * 1024 * 1024)).toBeUndefined();
    expect(sizeProblem(10 * 1024 * 1024 + 1)).toBe('vault.scan.too_large');
    expect(mediaTypeName('application/pdf')).toBe('PDF');
    expect(mediaTypeName('image/png')).toBe('PNG');
    expect(mediaTypeName('image/jpeg')).toBe('JPEG');
  });
});

describe('slots ↔ file links', () => {
  const mk = generateKey();
  const link = (n: number, bytes = JPEG): FileLink => sealScan(mk, id(n), 'image/jpeg', bytes).link;

  it('builds the element’s files: one link per single slot, arrays for multiple slots, empty slots left out', () => {
    const spec = elementSpec('identity_card');
    const slots = new Map<SlotName, FileLink[]>([
      ['front_side', [link(1)]],
      ['reverse_side', [link(2)]],
      ['selfie', []],
      ['translation', [link(3), link(4)]],
    ]);
    const files = buildFiles(spec, slots);
    expect(Object.keys(files).sort()).toEqual(['front_side', 'reverse_side', 'translation']);
    expect(files.front_side).toEqual(slots.get('front_side')![0]);
    expect(files.translation).toEqual(slots.get('translation'));
    expect(fileIds(files)).toEqual([id(1), id(2), id(3), id(4)]);
    expect(slotLinks(files, 'translation')).toHaveLength(2);
    expect(slotLinks(files, 'front_side')).toEqual([files.front_side]);
    expect(slotLinks(files, 'selfie')).toEqual([]);
    expect(slotLinks(undefined, 'selfie')).toEqual([]);
    expect(missingSlots(spec, slots)).toEqual([]);
    expect(missingSlots(spec, new Map([['front_side', [link(5)]]]))).toEqual(['reverse_side']);
    expect(missingSlots(elementSpec('utility_bill'), new Map())).toEqual(['files']);

    // What the page builds is what the protocol seals and opens again.
    const sealed = sealElement(mk, {
      id: id(9),
      type: 'identity_card',
      version: 1,
      data: { document_number: 'X1', issuing_country: 'AE' },
      files: files as never,
    });
    const opened = openElement(mk, sealed, { id: id(9), type: 'identity_card', version: 1 });
    expect(opened.files).toEqual(files);
  });

  it('opens a scan only if it is exactly the one the link names', () => {
    const first = sealScan(mk, id(1), 'image/jpeg', JPEG);
    const second = sealScan(mk, id(2), 'image/png', PNG);
    expect(first.link).toEqual({ id: id(1), media_type: 'image/jpeg', size: JPEG.length, sha256: first.sealed.sha256 });
    expect(first.sealed.ciphertext.length).toBe(JPEG.length + 40);
    const download = (s: typeof first) => ({ wrappedKey: s.sealed.wrappedKey, ciphertext: s.sealed.ciphertext });
    expect(openScan(mk, first.link, download(first))).toEqual(JPEG);
    // The server answers the front side's request with another scan: refused.
    expect(() => openScan(mk, first.link, download(second))).toThrow(VaultIntegrityError);
    // A flipped byte: refused.
    const flipped = download(first);
    flipped.ciphertext = Uint8Array.from(flipped.ciphertext);
    flipped.ciphertext[30]! ^= 1;
    expect(() => openScan(mk, first.link, flipped)).toThrow(VaultIntegrityError);
    // Another vault's key: refused.
    expect(() => openScan(generateKey(), first.link, download(first))).toThrow(VaultIntegrityError);
  });
});
