import { describe, expect, it } from '@jest/globals';
import { addDays, expiredEverywhere, expiryDateOf, expiryStatus, EXPIRY_SOON_DAYS, localDate, normalizePassportScope, parsePassportScope, PassportScopeError, utcDate } from '../../src/protocol/index.js';
import { answersExpiry, expiryOf, needsExpiryConfirmation } from '../../src/web/consent/expiry.js';
import { leavingFields, describeRequirement, type Readable } from '../../src/web/consent/model.js';

/** Issue #11, point 4: expiry classification, `unexpired` in passport_scope, and what consent offers. */
describe('expiry classification', () => {
  const today = '2025-03-01';

  it('is valid through the expiry date, expired from the next day', () => {
    expect(expiryStatus('2025-03-01', today)).toBe('soon');
    expect(expiryStatus('2025-02-28', today)).toBe('expired');
    expect(expiryStatus('1999-12-31', today)).toBe('expired');
  });

  it('expires soon up to 90 days ahead, inclusive; later is fine', () => {
    expect(EXPIRY_SOON_DAYS).toBe(90);
    expect(addDays(today, 90)).toBe('2025-05-30');
    expect(expiryStatus('2025-05-30', today)).toBe('soon');
    expect(expiryStatus('2025-05-31', today)).toBe('valid');
    expect(expiryStatus('2031-06-14', today)).toBe('valid');
  });

  it('counts calendar days across month ends, leap days and years', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2023-02-28', 1)).toBe('2023-03-01');
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(addDays('2025-01-01', -1)).toBe('2024-12-31');
    expect(expiryStatus('2024-02-29', '2024-03-01')).toBe('expired');
    expect(expiryStatus(addDays('2024-12-15', 90), '2024-12-15')).toBe('soon');
  });

  it('has no status without a well-formed date', () => {
    expect(expiryStatus(undefined, today)).toBe('none');
    expect(expiryStatus('2025-02-30', today)).toBe('none');
    expect(expiryStatus('soon', today)).toBe('none');
    expect(expiryDateOf({ date_of_expiry: '2025-02-30' })).toBeUndefined();
    expect(expiryDateOf({ date_of_expiry: 20250301 })).toBeUndefined();
    expect(expiryDateOf({ date_of_expiry: '2025-03-01' })).toBe('2025-03-01');
  });

  it('takes the page\'s today from the local calendar and the RP\'s from UTC, with a day of tolerance', () => {
    const now = new Date(2025, 2, 1, 23, 30); // 23:30 local time
    expect(localDate(now)).toBe('2025-03-01');
    expect(utcDate(new Date('2025-03-01T23:30:00Z'))).toBe('2025-03-01');
    const utcNoon = new Date('2025-03-10T12:00:00Z');
    expect(expiredEverywhere('2025-03-10', utcNoon)).toBe(false);
    expect(expiredEverywhere('2025-03-09', utcNoon)).toBe(false); // still the 9th at UTC−12
    expect(expiredEverywhere('2025-03-08', utcNoon)).toBe(true);
  });
});

describe('passport_scope: unexpired', () => {
  it('parses to a normal form that carries it only when asked', () => {
    const scope = parsePassportScope(JSON.stringify({ v: 1, data: [{ type: 'passport', unexpired: true }, { one_of: ['identity_card', 'driver_license'], unexpired: false }, 'email'] }));
    expect(scope.data[0]).toEqual({ one_of: ['passport'], selfie: false, translation: false, native_names: false, unexpired: true });
    expect(scope.data[1]).toEqual({ one_of: ['identity_card', 'driver_license'], selfie: false, translation: false, native_names: false });
    expect('unexpired' in scope.data[2]!).toBe(false);
    expect(normalizePassportScope(scope)).toEqual(scope);
    const alias = parsePassportScope('{"v":1,"data":[{"type":"id_document","unexpired":true,"verified":true}]}');
    expect(alias.data[0]).toMatchObject({ one_of: ['passport', 'identity_card', 'driver_license'], unexpired: true, verified: true });
    const narrowed = parsePassportScope('{"v":1,"data":[{"type":"passport","fields":["document_number","date_of_expiry"],"unexpired":true}]}');
    expect(narrowed.data[0]).toMatchObject({ fields: ['document_number', 'date_of_expiry'], unexpired: true });
  });

  it.each([
    ['a type without an expiry date', { type: 'address', unexpired: true }, /data\[0\]\.unexpired: "address" has no date_of_expiry/],
    ['a one_of with such a type', { one_of: ['passport', 'utility_bill'], unexpired: true }, /data\[0\]\.unexpired: "utility_bill" has no date_of_expiry/],
    ['fields without the expiry date', { type: 'passport', fields: ['document_number'], unexpired: true }, /data\[0\]\.unexpired: fields must include "date_of_expiry"/],
    ['not a boolean', { type: 'passport', unexpired: 'yes' }, /data\[0\]\.unexpired: .*boolean/],
    ['null', { type: 'passport', unexpired: null }, /data\[0\]\.unexpired/],
  ])('refuses %s, naming the problem', (_what, entry, message) => {
    const text = JSON.stringify({ v: 1, data: [entry] });
    expect(() => parsePassportScope(text)).toThrow(PassportScopeError);
    expect(() => parsePassportScope(text)).toThrow(message);
  });
});

describe('consent: expiry', () => {
  const today = '2025-03-01';
  const passport = (data: Record<string, string>): Readable =>
    ({
      record: { id: crypto.randomUUID(), type: 'passport', version: 1, wrapped_key: '', ciphertext: '', updated_at: '2025-01-01T00:00:00Z', files: [] },
      content: { data: { document_number: 'N1', issuing_country: 'BH', ...data }, files: { front_side: { id: 'x', media_type: 'image/jpeg', size: 1, sha256: 'x' } }, attestations: [] },
    }) as unknown as Readable;
  const plain = parsePassportScope('{"v":1,"data":["passport"]}').data[0]!;
  const unexpired = parsePassportScope('{"v":1,"data":[{"type":"passport","unexpired":true}]}').data[0]!;

  it('offers under unexpired only documents with an expiry date today or later', () => {
    expect(answersExpiry(unexpired, passport({ date_of_expiry: '2025-03-01' }), today)).toBe(true);
    expect(answersExpiry(unexpired, passport({ date_of_expiry: '2030-01-01' }), today)).toBe(true);
    expect(answersExpiry(unexpired, passport({ date_of_expiry: '2025-02-28' }), today)).toBe(false);
    expect(answersExpiry(unexpired, passport({}), today)).toBe(false);
    // Without it, anything is offered; an expired one needs the holder's confirmation.
    expect(answersExpiry(plain, passport({ date_of_expiry: '2025-02-28' }), today)).toBe(true);
    expect(needsExpiryConfirmation(passport({ date_of_expiry: '2025-02-28' }), today)).toBe(true);
    expect(needsExpiryConfirmation(passport({ date_of_expiry: '2025-03-01' }), today)).toBe(false);
    expect(needsExpiryConfirmation(passport({}), today)).toBe(false);
    expect(expiryOf(passport({ date_of_expiry: '2025-04-01' }), today)).toEqual({ status: 'soon', date: '2025-04-01' });
  });

  it('under unexpired the expiry date always leaves (it cannot be unticked), and the ask says so', () => {
    const element = passport({ date_of_expiry: '2030-01-01', date_of_issuance: '2020-01-02' });
    const optional = (r: typeof plain) => Object.fromEntries(leavingFields(r, element).map((f) => [f.name, f.optional]));
    expect(optional(plain)).toMatchObject({ date_of_expiry: true, date_of_issuance: true });
    expect(optional(unexpired)).toMatchObject({ date_of_expiry: false, date_of_issuance: true });
    const t = (key: string) => key;
    expect(describeRequirement(t, 'en', unexpired).details).toContain('passport.ask.unexpired');
    expect(describeRequirement(t, 'en', plain).details).not.toContain('passport.ask.unexpired');
  });
});
