import { describe, expect, it } from '@jest/globals';
import {
  base64urlDecode,
  base64urlEncode,
  ElementDataError,
  ErrorReportSchema,
  generateKey,
  isReleaseRef,
  MAX_REPORTED_ERRORS,
  newReleaseRef,
  openSharingRecord,
  sealSharingRecord,
  sharingRecordAd,
  VaultIntegrityError,
  type SharingRecord,
} from '../../../src/protocol/index.js';
import { namesPartOf } from '../../../src/protocol/feedback.js';

const VAULT = '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const JTI = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const ELEMENT = 'e1e1e1e1-2222-4333-8444-555566667777';
const FILE = 'f1f1f1f1-2222-4333-8444-555566667777';

function record(overrides: Partial<SharingRecord> = {}): SharingRecord {
  return {
    v: 1,
    jti: JTI,
    client_id: 'bank-x',
    client_name: 'Bank X',
    sent_at: '2030-06-01T12:00:00.000Z',
    elements: [
      {
        ref: newReleaseRef(),
        element_id: ELEMENT,
        element_version: 3,
        type: 'passport',
        fields: { document_number: 'P1234567', date_of_expiry: '2029-03-11' },
        scans: [{ slot: 'front_side', file_id: FILE, sha256: 'A'.repeat(43), media_type: 'image/png' }],
      },
    ],
    ...overrides,
  };
}

describe('refs', () => {
  it('are 16 random bytes as 22 characters of unpadded base64url', () => {
    const refs = new Set(Array.from({ length: 200 }, newReleaseRef));
    expect(refs.size).toBe(200);
    for (const ref of refs) {
      expect(isReleaseRef(ref)).toBe(true);
      expect(base64urlDecode(ref)).toHaveLength(16);
    }
    for (const bad of ['', 'A'.repeat(21), 'A'.repeat(23), `${'A'.repeat(21)}=`, `${'A'.repeat(21)}+`, base64urlEncode(new Uint8Array(17)), 42, null]) {
      expect(isReleaseRef(bad)).toBe(false);
    }
  });
});

describe('the sharing record', () => {
  it('seals under MK and opens only with the same vault id and record id', () => {
    const mk = generateKey();
    const original = record();
    const sealed = sealSharingRecord(mk, VAULT, original);
    expect(sharingRecordAd(VAULT, JTI)).toBe(`wathiqa/v1/sharing-record|${VAULT}|${JTI}`);
    expect(openSharingRecord(mk, VAULT, JTI, sealed)).toEqual(original);
    // Nothing of the values in the envelope.
    expect(sealed).not.toContain('P1234567');
    expect(Buffer.from(base64urlDecode(sealed)).includes(Buffer.from('P1234567'))).toBe(false);
    // Another vault, another release's id, another key, one flipped character: refused alike.
    expect(() => openSharingRecord(mk, '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5c', JTI, sealed)).toThrow(VaultIntegrityError);
    expect(() => openSharingRecord(mk, VAULT, '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6e', sealed)).toThrow(VaultIntegrityError);
    expect(() => openSharingRecord(generateKey(), VAULT, JTI, sealed)).toThrow(VaultIntegrityError);
    const flipped = sealed.slice(0, 40) + (sealed[40] === 'A' ? 'B' : 'A') + sealed.slice(41);
    expect(() => openSharingRecord(mk, VAULT, JTI, flipped)).toThrow(VaultIntegrityError);
    expect(() => openSharingRecord(mk, VAULT, JTI, 'not base64url!')).toThrow(VaultIntegrityError);
  });

  it('refuses to seal what is not a valid record: unknown fields and slots, refs twice, bad ids, no elements', () => {
    const mk = generateKey();
    const one = record().elements[0]!;
    const bad: SharingRecord[] = [
      record({ elements: [{ ...one, fields: { given_name: 'Omar' } }] }),
      record({ elements: [{ ...one, scans: [{ ...one.scans[0]!, slot: 'files' }] }] }),
      record({ elements: [one, { ...one, type: 'email', fields: { email: 'a@example.com' }, scans: [] }] }),
      record({ elements: [{ ...one, ref: 'short' }] }),
      record({ elements: [{ ...one, element_id: 'E1E1E1E1-2222-4333-8444-555566667777' }] }),
      record({ elements: [] }),
      record({ jti: 'not-a-uuid' }),
      { ...record(), extra: 1 } as SharingRecord,
    ];
    for (const r of bad) expect(() => sealSharingRecord(mk, VAULT, r)).toThrow(ElementDataError);
  });
});

describe('an RP error report', () => {
  const ref = newReleaseRef();
  const ok = (errors: unknown[]) => ErrorReportSchema.safeParse({ errors }).success;

  it('names one field or one scan slot per error, with a bounded plain-text message', () => {
    expect(ok([])).toBe(true);
    expect(ok([{ ref, field: 'date_of_expiry', message: 'does not match the scan' }, { ref, file: 'front_side', message: 'too blurry' }])).toBe(true);
    expect(ok([{ ref, field: 'date_of_expiry', file: 'front_side', message: 'both' }])).toBe(false);
    expect(ok([{ ref, message: 'neither' }])).toBe(false);
    expect(ok([{ ref, file: 'back', message: 'not a slot' }])).toBe(false);
    expect(ok([{ ref, field: 'Date Of Expiry', message: 'not a field name' }])).toBe(false);
    expect(ok([{ ref: 'x', field: 'email', message: 'bad ref' }])).toBe(false);
    expect(ok([{ ref, field: 'email', message: '   ' }])).toBe(false);
    expect(ok([{ ref, field: 'email', message: 'x'.repeat(301) }])).toBe(false);
    expect(ok([{ ref, field: 'email', message: 'x'.repeat(300) }])).toBe(true);
    expect(ok([{ ref, field: 'email', message: 'a\u0000b' }])).toBe(false);
    expect(ok([{ ref, field: 'email', message: 'line\nbreak' }])).toBe(false);
    expect(ok([{ ref, field: 'email', message: 'evil \u202e override' }])).toBe(false);
    expect(ok([{ ref, field: 'email', message: 'تاريخ الانتهاء لا يطابق الصورة' }])).toBe(true);
    expect(ok([{ ref, field: 'email', message: 'x', extra: 1 }])).toBe(false);
    expect(ok([{ ref, field: 'email', message: 'one' }, { ref, field: 'email', message: 'two' }])).toBe(false);
    expect(ok(Array.from({ length: MAX_REPORTED_ERRORS + 1 }, () => ({ ref: newReleaseRef(), field: 'email', message: 'x' })))).toBe(false);
    expect(ErrorReportSchema.parse({ errors: [{ ref, field: 'email', message: '  e\u0301  ' }] }).errors[0]!.message).toBe('\u00e9');
  });

  it('checks field and slot names against the released element types', () => {
    expect(namesPartOf(['passport', 'email'], { field: 'date_of_expiry' })).toBe(true);
    expect(namesPartOf(['passport', 'email'], { file: 'selfie' })).toBe(true);
    expect(namesPartOf(['email'], { field: 'date_of_expiry' })).toBe(false);
    expect(namesPartOf(['address'], { file: 'front_side' })).toBe(false);
    expect(namesPartOf(['not_a_type'], { field: 'email' })).toBe(false);
  });
});
