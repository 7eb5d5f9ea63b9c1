import { describe, expect, it } from '@jest/globals';
import { ElementDataError, ELEMENT_TYPES, elementSpec, parseElementData, type ElementType } from '../../src/protocol/index.js';
import { dataFromFormValues, fieldProblems, formValuesFromData } from '../../src/web/vault/form-model.js';
import { countryOptions, displayValue, formatBytes, formatDate, GROUPS, isLtrValue, SINGLE_TYPES } from '../../src/web/vault/groups.js';

/** A valid value of every element type, as a person would type it into the form. */
const TYPED: Record<ElementType, Record<string, string>> = {
  personal_details: {
    given_name: ' Layla ',
    family_name: 'Haddad',
    given_name_native: 'ليلى',
    birthdate: '1990-04-12',
    gender: 'female',
    nationality: 'BH',
    country_of_residence: 'OM',
  },
  passport: { document_number: 'P1234567', issuing_country: 'BH', date_of_issuance: '2021-06-01', date_of_expiry: '2031-05-31' },
  internal_passport: { document_number: '45 08 123456', issuing_country: 'RU' },
  identity_card: { document_number: '784-1988-1234567-1', issuing_country: 'AE', date_of_expiry: '2027-05-30' },
  driver_license: { document_number: 'DL-99', issuing_country: 'MA' },
  address: { street_address: 'Road 3521', locality: 'Manama', country: 'BH' },
  utility_bill: {},
  bank_statement: {},
  rental_agreement: {},
  passport_registration: {},
  temporary_registration: {},
  phone_number: { phone_number: '+97336001234' },
  email: { email: 'layla@example.com' },
};

describe('element forms', () => {
  it.each(ELEMENT_TYPES)('%s: form values → valid data → form values round-trips', (type) => {
    const spec = elementSpec(type);
    const values = { ...formValuesFromData(spec, undefined), ...TYPED[type] };
    // Every field of the spec has a form value, blank when absent.
    expect(Object.keys(formValuesFromData(spec, undefined)).sort()).toEqual(spec.fields.map((f) => f.name).sort());
    const data = parseElementData(type, dataFromFormValues(spec, values)) as Record<string, string>;
    // Blank optional fields are left out, not sent as "".
    for (const field of spec.fields) if (!field.required && !TYPED[type][field.name]) expect(data).not.toHaveProperty(field.name);
    const again = formValuesFromData(spec, data);
    for (const [name, value] of Object.entries(TYPED[type])) expect(again[name]).toBe(value.trim());
  });

  it('keeps blank required fields so the schema names them, and explains each problem', () => {
    const spec = elementSpec('personal_details');
    const values = { ...formValuesFromData(spec, undefined), given_name: 'Layla', birthdate: '1990-02-30', nationality: 'XX', middle_name: 'a\u202Eb' };
    const data = dataFromFormValues(spec, values);
    expect(data.family_name).toBe('');
    let error: unknown;
    try {
      parseElementData('personal_details', data);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ElementDataError);
    const problems = fieldProblems(spec, (error as ElementDataError).issues, values);
    expect(problems.get('family_name')).toEqual({ key: 'vault.error.required' });
    expect(problems.get('gender')).toEqual({ key: 'vault.error.required' });
    expect(problems.get('country_of_residence')).toEqual({ key: 'vault.error.required' });
    expect(problems.get('birthdate')).toEqual({ key: 'vault.error.date' });
    expect(problems.get('nationality')).toEqual({ key: 'vault.error.country' });
    expect(problems.get('middle_name')).toEqual({ key: 'vault.error.characters' });
    expect(problems.has('given_name')).toBe(false);
  });

  it('names the expiry date when it is before the date of issue, and explains phone, email and length', () => {
    const passport = elementSpec('passport');
    const values = { document_number: 'x'.repeat(65), issuing_country: 'BH', date_of_issuance: '2021-06-01', date_of_expiry: '2020-06-01' };
    const issues = (() => {
      try {
        parseElementData('passport', dataFromFormValues(passport, values));
      } catch (err) {
        return (err as ElementDataError).issues;
      }
      throw new Error('expected an error');
    })();
    const problems = fieldProblems(passport, issues, values);
    expect(problems.get('date_of_expiry')).toEqual({ key: 'vault.error.expiry_before_issue' });
    expect(problems.get('document_number')).toEqual({ key: 'vault.error.too_long', vars: { max: 64 } });

    const phone = elementSpec('phone_number');
    const issue = { path: ['phone_number'], code: 'invalid_format', message: '' };
    expect(fieldProblems(phone, [issue], { phone_number: '0097312' }).get('phone_number')).toEqual({ key: 'vault.error.phone' });
    const email = elementSpec('email');
    expect(fieldProblems(email, [{ path: ['email'], code: 'invalid_format', message: '' }], { email: 'a@' }).get('email')).toEqual({ key: 'vault.error.email' });
    // An issue that names no field still produces a message.
    expect(fieldProblems(email, [{ path: [], code: 'unrecognized_keys', message: '' }], {}).get('')).toEqual({ key: 'vault.error.invalid' });
  });
});

describe('document groups and display', () => {
  it('puts each of the 13 element types in exactly one group', () => {
    const grouped = GROUPS.flatMap((g) => g.types);
    expect([...grouped].sort()).toEqual([...ELEMENT_TYPES].sort());
    expect(new Set(grouped).size).toBe(13);
    expect(GROUPS.map((g) => g.key)).toEqual(['personal', 'identity', 'address', 'address_documents', 'contacts']);
    expect([...SINGLE_TYPES]).toEqual(['personal_details']);
  });

  it('names countries in the page language, sorted for that language', () => {
    const en = countryOptions('en');
    expect(en).toHaveLength(249);
    expect(en.find((c) => c.code === 'BH')?.name).toBe('Bahrain');
    const names = en.map((c) => c.name);
    expect(names).toEqual([...names].sort(new Intl.Collator('en').compare));
    expect(countryOptions('ar').find((c) => c.code === 'BH')?.name).toBe('البحرين');
  });

  it('formats values, dates as calendar dates in any time zone, and sizes', () => {
    expect(formatDate('en', '1990-04-12')).toBe('April 12, 1990');
    expect(formatDate('en', 'not a date')).toBe('not a date');
    expect(displayValue('en', 'country', 'OM', String)).toBe('Oman');
    expect(displayValue('en', 'gender', 'female', (g) => `<${g}>`)).toBe('<female>');
    expect(displayValue('en', 'text', 'x', String)).toBe('x');
    expect(formatBytes('en', 0)).toBe('0 bytes');
    expect(formatBytes('en', 1536)).toBe('1.5 kB');
    expect(formatBytes('en', 200 * 1024 * 1024)).toBe('200 MB');
    expect(isLtrValue('phone', 'phone_number')).toBe(true);
    expect(isLtrValue('text', 'document_number')).toBe(true);
    expect(isLtrValue('text', 'given_name')).toBe(false);
  });
});
