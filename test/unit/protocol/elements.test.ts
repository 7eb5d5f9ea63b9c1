import { describe, expect, it } from '@jest/globals';
import {
  base64urlEncode,
  COUNTRY_CODES,
  elementContentSchema,
  elementFilesSchema,
  fileLinks,
  MAX_SCAN_BYTES,
  parseElementContent,
  parseElementFiles,
  type ElementFiles,
  type FileLink,
  ELEMENT_TYPE_ALIASES,
  ELEMENT_TYPES,
  ElementDataError,
  elementSchema,
  elementSpec,
  I18N_KEYS,
  isCalendarDate,
  parseElementData,
  ProtocolInputError,
  type ElementData,
  type ElementType,
} from '../../../src/protocol/index.js';
import { ADDRESS_WITHOUT_POSTAL_CODE, fileId, SAMPLE_FILES, sampleContent, sampleLink, SAMPLES } from './samples.js';

const valid = (type: ElementType, data: unknown) => elementSchema(type).safeParse(data).success;

describe('element registry', () => {
  it('has the 13 types of DESIGN 5.2', () => {
    expect(ELEMENT_TYPES).toEqual([
      'personal_details',
      'passport',
      'internal_passport',
      'identity_card',
      'driver_license',
      'address',
      'utility_bill',
      'bank_statement',
      'rental_agreement',
      'passport_registration',
      'temporary_registration',
      'phone_number',
      'email',
    ]);
    expect(Object.values(ELEMENT_TYPE_ALIASES).flat().every((t) => ELEMENT_TYPES.includes(t))).toBe(true);
  });

  it('describes fields with their names, kinds and optionality', () => {
    const fields = (type: ElementType) => elementSpec(type).fields.map((f) => `${f.name}${f.required ? '' : '?'}:${f.kind}`);
    expect(fields('personal_details')).toEqual([
      'given_name:text',
      'family_name:text',
      'middle_name?:text',
      'given_name_native?:text',
      'family_name_native?:text',
      'middle_name_native?:text',
      'birthdate:date',
      'gender:gender',
      'nationality:country',
      'country_of_residence:country',
      'place_of_birth?:text',
    ]);
    for (const type of ['passport', 'internal_passport', 'identity_card', 'driver_license'] as const) {
      expect(fields(type)).toEqual(['document_number:text', 'issuing_country:country', 'date_of_issuance?:date', 'date_of_expiry?:date']);
    }
    expect(fields('address')).toEqual([
      'street_address:text',
      'street_address_2?:text',
      'locality:text',
      'region?:text',
      'postal_code?:text',
      'country:country',
    ]);
    expect(fields('phone_number')).toEqual(['phone_number:phone']);
    expect(fields('email')).toEqual(['email:email']);
    expect(fields('utility_bill')).toEqual([]);
    expect(elementSpec('personal_details').fields.filter((f) => f.native).map((f) => f.name)).toEqual([
      'given_name_native',
      'family_name_native',
      'middle_name_native',
    ]);
    expect(elementSpec('address').fields[0]).toMatchObject({ labelKey: 'field.street_address', maxLength: 256 });
  });

  it('describes file slots', () => {
    const slots = (type: ElementType) =>
      elementSpec(type).slots.map((s) => `${s.name}${s.multiple ? '[]' : ''}${s.required ? '' : '?'}`);
    expect(slots('passport')).toEqual(['front_side', 'selfie?', 'translation[]?']);
    expect(slots('internal_passport')).toEqual(['front_side', 'selfie?', 'translation[]?']);
    expect(slots('identity_card')).toEqual(['front_side', 'reverse_side', 'selfie?', 'translation[]?']);
    expect(slots('driver_license')).toEqual(['front_side', 'reverse_side', 'selfie?', 'translation[]?']);
    for (const type of ['utility_bill', 'bank_statement', 'rental_agreement', 'passport_registration', 'temporary_registration'] as const) {
      expect(slots(type)).toEqual(['files[]', 'translation[]?']);
    }
    for (const type of ['personal_details', 'address', 'phone_number', 'email'] as const) expect(slots(type)).toEqual([]);
    expect(elementSpec('bank_statement').slots[0]).toEqual({
      name: 'files',
      required: true,
      multiple: true,
      min: 1,
      max: 20,
      labelKey: 'slot.files',
    });
    expect(elementSpec('passport').slots[1]).toMatchObject({ name: 'selfie', min: 0, max: 1 });
  });

  it('hands out frozen specs and refuses unknown types', () => {
    const spec = elementSpec('passport');
    expect(Object.isFrozen(spec) && Object.isFrozen(spec.fields) && Object.isFrozen(spec.fields[0])).toBe(true);
    expect(() => elementSpec('visa' as ElementType)).toThrow(ProtocolInputError);
    expect(() => elementSchema('__proto__' as ElementType)).toThrow(ProtocolInputError);
  });

  it('lists every i18n key the specs use', () => {
    expect(I18N_KEYS).toEqual([...new Set(I18N_KEYS)].sort());
    for (const type of ELEMENT_TYPES) {
      const spec = elementSpec(type);
      for (const key of [spec.labelKey, ...spec.fields.map((f) => f.labelKey), ...spec.slots.map((s) => s.labelKey)]) {
        expect(I18N_KEYS).toContain(key);
      }
    }
    for (const key of ['element.passport', 'field.document_number', 'slot.front_side', 'slot.files', 'gender.other']) {
      expect(I18N_KEYS).toContain(key);
    }
    expect(I18N_KEYS.every((k) => /^(element|field|slot|gender)\.[a-z0-9_]+$/.test(k))).toBe(true);
  });
});

describe('element schemas', () => {
  it('accept a realistic sample of every type', () => {
    for (const type of ELEMENT_TYPES) expect(parseElementData(type, SAMPLES[type])).toEqual(SAMPLES[type]);
  });

  it('take an address without a postal code (the UAE, Qatar), but not a blank one', () => {
    expect(parseElementData('address', ADDRESS_WITHOUT_POSTAL_CODE)).toEqual(ADDRESS_WITHOUT_POSTAL_CODE);
    expect(valid('address', { ...ADDRESS_WITHOUT_POSTAL_CODE, country: 'QA', locality: 'Doha', region: undefined })).toBe(true);
    expect(valid('address', { ...ADDRESS_WITHOUT_POSTAL_CODE, postal_code: '  ' })).toBe(false);
    expect(valid('address', { ...ADDRESS_WITHOUT_POSTAL_CODE, postal_code: null })).toBe(false);
    expect(elementSpec('address').fields.find((f) => f.name === 'postal_code')).toMatchObject({ required: false });
  });

  it('check real calendar dates', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2000-02-29')).toBe(true);
    for (const bad of ['2023-02-30', '2023-02-29', '1900-02-29', '2023-04-31', '2023-13-01', '2023-00-10', '2023-01-00', '0000-01-01', '2023-2-3', '20230203', '2023-02-03T00:00:00Z']) {
      expect(isCalendarDate(bad)).toBe(false);
      expect(valid('personal_details', { ...SAMPLES.personal_details, birthdate: bad })).toBe(false);
    }
    expect(valid('passport', { ...SAMPLES.passport, date_of_expiry: '2019-03-11' })).toBe(false); // before issuance
  });

  it('take ISO 3166-1 alpha-2 codes in upper case only', () => {
    expect(COUNTRY_CODES).toHaveLength(249);
    expect(new Set(COUNTRY_CODES).size).toBe(249);
    expect(COUNTRY_CODES.every((c) => /^[A-Z]{2}$/.test(c))).toBe(true);
    for (const code of ['SA', 'AE', 'PS', 'EG', 'GB', 'SS', 'AX', 'BQ']) expect(valid('address', { ...SAMPLES.address, country: code })).toBe(true);
    for (const code of ['XX', 'UK', 'EU', 'XK', 'ae', 'ARE', '', 'A']) expect(valid('address', { ...SAMPLES.address, country: code })).toBe(false);
  });

  it('take E.164 phone numbers only', () => {
    for (const phone of ['+14155552671', '+97336001234', '+201001234567']) expect(valid('phone_number', { phone_number: phone })).toBe(true);
    for (const phone of ['0097336001234', '97336001234', '+0123456789', '+12345', '+1234567890123456', '+973 3600 1234', '+973-3600-1234', '']) {
      expect(valid('phone_number', { phone_number: phone })).toBe(false);
    }
  });

  it('take email addresses and genders of the OIDC claim', () => {
    expect(valid('email', { email: 'a@example.org' })).toBe(true);
    for (const email of ['a@', 'example.org', 'a b@example.org', `${'a'.repeat(250)}@example.org`]) expect(valid('email', { email })).toBe(false);
    for (const gender of ['male', 'female', 'other']) expect(valid('personal_details', { ...SAMPLES.personal_details, gender })).toBe(true);
    for (const gender of ['m', 'Male', 'unknown', '']) expect(valid('personal_details', { ...SAMPLES.personal_details, gender })).toBe(false);
  });

  it('refuse unknown fields, missing required fields and wrong value types', () => {
    expect(valid('passport', { ...SAMPLES.passport, nationality: 'OM' })).toBe(false);
    expect(valid('utility_bill', { note: 'x' })).toBe(false);
    expect(valid('passport', { issuing_country: 'OM' })).toBe(false);
    expect(valid('personal_details', { ...SAMPLES.personal_details, given_name: undefined })).toBe(false);
    expect(valid('passport', { ...SAMPLES.passport, document_number: 1234567 })).toBe(false);
    expect(valid('email', null)).toBe(false);
    expect(valid('email', [SAMPLES.email])).toBe(false);
  });

  it('trim, normalize to NFC, and refuse blank, overlong and control or bidi-override text', () => {
    const parsed = parseElementData('address', { ...SAMPLES.address, locality: ' Montre\u0301al\t' });
    expect(parsed.locality).toBe('Montréal');
    expect(parsed.locality.length).toBe(8);
    for (const locality of ['   ', 'Man\nama', 'Man\u0000ama', '\u202Eamanam', 'x\u2066y', '\uD800', 'x'.repeat(129)]) {
      expect(valid('address', { ...SAMPLES.address, locality })).toBe(false);
    }
    expect(valid('address', { ...SAMPLES.address, locality: 'x'.repeat(128) })).toBe(true);
    // Characters outside the BMP are fine; only lone surrogates are refused.
    expect(valid('personal_details', { ...SAMPLES.personal_details, given_name_native: '\u{2000B}太郎' })).toBe(true);
    // Joiners are kept: Persian and Arabic text needs them.
    expect(valid('personal_details', { ...SAMPLES.personal_details, given_name_native: 'می\u200Cخواهم' })).toBe(true);
  });

  it('report paths and codes, never the rejected values', () => {
    const secret = 'P-SECRET-99';
    let error: unknown;
    try {
      parseElementData('passport', { document_number: secret, issuing_country: 'ZZ', surprise: secret });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ElementDataError);
    const dataError = error as ElementDataError;
    expect(dataError.issues.map((i) => i.path.join('.') || i.code).sort()).toEqual(['issuing_country', 'unrecognized_keys']);
    expect(JSON.stringify({ message: dataError.message, issues: dataError.issues })).not.toContain(secret);
  });

  it('infer the data types from the table', () => {
    const passport: ElementData<'passport'> = { document_number: 'A1', issuing_country: 'FR' };
    const pd: ElementData<'personal_details'> = { ...SAMPLES.personal_details, middle_name: undefined };
    const none: ElementData<'utility_bill'> = {};
    // @ts-expect-error issuing_country is required
    const missing: ElementData<'passport'> = { document_number: 'A1' };
    // @ts-expect-error not a country code
    const wrongCountry: ElementData<'address'> = { ...SAMPLES.address, country: 'XX' };
    expect([passport, pd, none, missing, wrongCountry]).toHaveLength(5);
  });
});

describe('element file links', () => {
  const validFiles = (type: ElementType, files: unknown) => elementFilesSchema(type).safeParse(files).success;
  const link = sampleLink(900, 'image/jpeg');
  const issuesOf = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(ElementDataError);
      return (error as ElementDataError).issues.map((i) => `${i.path.join('.')}:${i.code}`);
    }
    throw new Error('expected an ElementDataError');
  };

  it('accept the sample links of every type, and {} for types without slots', () => {
    for (const type of ELEMENT_TYPES) {
      expect(parseElementFiles(type, SAMPLE_FILES[type])).toEqual(SAMPLE_FILES[type]);
      expect(parseElementContent(type, sampleContent(type))).toEqual(sampleContent(type));
      const hasSlots = elementSpec(type).slots.length > 0;
      expect(Object.keys(SAMPLE_FILES[type]).length > 0).toBe(hasSlots);
      if (!hasSlots) expect(SAMPLE_FILES[type]).toEqual({});
    }
  });

  it('require the required slots of each type, as the spec table says', () => {
    for (const type of ELEMENT_TYPES) {
      const required = elementSpec(type).slots.filter((s) => s.required).map((s) => s.name);
      expect(validFiles(type, {})).toBe(required.length === 0);
      for (const name of required) {
        const { [name]: _dropped, ...rest } = SAMPLE_FILES[type] as Record<string, unknown>;
        expect(issuesOf(() => parseElementFiles(type, rest))).toEqual([`${name}:invalid_type`]);
      }
    }
    expect(validFiles('passport', { front_side: link })).toBe(true);
    expect(validFiles('identity_card', { front_side: link })).toBe(false);
    expect(validFiles('identity_card', { front_side: link, reverse_side: sampleLink(901, 'image/jpeg') })).toBe(true);
    expect(validFiles('utility_bill', { translation: [link] })).toBe(false);
  });

  it('refuse slots the type does not have, and anything but an object', () => {
    expect(issuesOf(() => parseElementFiles('passport', { ...SAMPLE_FILES.passport, reverse_side: sampleLink(901, 'image/png') }))).toEqual([
      ':unrecognized_keys',
    ]);
    expect(validFiles('utility_bill', { ...SAMPLE_FILES.utility_bill, front_side: link })).toBe(false);
    expect(validFiles('email', { selfie: link })).toBe(false);
    expect(validFiles('personal_details', { files: [link] })).toBe(false);
    expect(validFiles('address', { note: 'x' })).toBe(false);
    for (const files of [null, undefined, [], 'front_side', [link]]) expect(validFiles('passport', files)).toBe(false);
  });

  it('hold one link in a single slot and 1 to 20 links in a multiple slot; empty optional slots are omitted', () => {
    expect(validFiles('passport', { front_side: [link] })).toBe(false);
    expect(validFiles('passport', { ...SAMPLE_FILES.passport, translation: link })).toBe(false);
    expect(validFiles('passport', { ...SAMPLE_FILES.passport, translation: [] })).toBe(false);
    expect(validFiles('passport', { ...SAMPLE_FILES.passport, selfie: null })).toBe(false);
    expect(validFiles('utility_bill', { files: [] })).toBe(false);
    const many = (n: number) => Array.from({ length: n }, (_, i) => sampleLink(1000 + i, 'application/pdf'));
    expect(validFiles('utility_bill', { files: many(20) })).toBe(true);
    expect(validFiles('utility_bill', { files: many(21) })).toBe(false);
    expect(validFiles('bank_statement', { files: many(20), translation: [sampleLink(2000, 'application/pdf')] })).toBe(true);
    expect(validFiles('bank_statement', { files: [link], translation: many(21) })).toBe(false);
  });

  it('refuse the same file id twice in one element, within a slot or across slots', () => {
    const twin = { ...sampleLink(901, 'image/png'), id: link.id };
    expect(issuesOf(() => parseElementFiles('passport', { front_side: link, selfie: twin }))).toEqual(['selfie.id:custom']);
    expect(issuesOf(() => parseElementFiles('utility_bill', { files: [link, sampleLink(901, 'image/png'), link] }))).toEqual([
      'files.2.id:custom',
    ]);
    expect(issuesOf(() => parseElementFiles('driver_license', { front_side: link, reverse_side: sampleLink(901, 'image/png'), translation: [twin] }))).toEqual(
      ['translation.0.id:custom'],
    );
    // The same scan (same digest) under two ids is fine: two files.
    expect(validFiles('passport', { front_side: link, selfie: { ...link, id: fileId(902) } })).toBe(true);
  });

  it('check every member of a link', () => {
    const ok = (l: unknown) => validFiles('passport', { front_side: l });
    expect(ok(link)).toBe(true);
    const digest32 = base64urlEncode(new Uint8Array(32).fill(0xab));
    expect(ok({ ...link, sha256: digest32 })).toBe(true);
    const bad: Record<string, unknown>[] = [
      { ...link, id: link.id.toUpperCase() },
      { ...link, id: 'front' },
      { ...link, media_type: 'image/gif' },
      { ...link, media_type: 'IMAGE/JPEG' },
      { ...link, size: 0 },
      { ...link, size: -1 },
      { ...link, size: 1.5 },
      { ...link, size: '14' },
      { ...link, size: MAX_SCAN_BYTES + 1 },
      { ...link, sha256: `${link.sha256}=` },
      { ...link, sha256: link.sha256.slice(0, -1) },
      { ...link, sha256: base64urlEncode(new Uint8Array(33)) },
      { ...link, sha256: `${digest32.slice(0, -1)}9` }, // non-canonical: unused low bits set
      { ...link, sha256: link.sha256.replace(/[-_]/g, '+').padEnd(43, '+') },
      { ...link, key: 'AAAA' },
      { id: link.id, media_type: link.media_type, size: link.size },
      { id: link.id, mediaType: link.media_type, size: link.size, sha256: link.sha256 },
    ];
    for (const value of bad) expect(ok(value)).toBe(false);
    expect(ok({ ...link, size: MAX_SCAN_BYTES })).toBe(true);
    // Every digest has its one canonical text form, and that form is accepted.
    for (let i = 0; i < 256; i++) {
      const digest = new Uint8Array(32).fill(i);
      digest[31] = (i * 7) & 0xff;
      expect(ok({ ...link, sha256: base64urlEncode(digest) })).toBe(true);
    }
  });

  it('validate the content as a strict {data, files, attestations?} object with paths into each', () => {
    const content = sampleContent('passport');
    expect(elementContentSchema('passport').safeParse(content).success).toBe(true);
    expect(issuesOf(() => parseElementContent('passport', { data: content.data }))).toEqual(['files:invalid_type']);
    expect(issuesOf(() => parseElementContent('passport', { files: content.files }))).toEqual(['data:invalid_type']);
    // An empty list is left out, never sent as []; anything else unknown is refused.
    expect(issuesOf(() => parseElementContent('passport', { ...content, attestations: [] }))).toEqual(['attestations:too_small']);
    expect(issuesOf(() => parseElementContent('passport', { ...content, extra: [] }))).toEqual([':unrecognized_keys']);
    expect(issuesOf(() => parseElementContent('passport', content.data))).toContain(':unrecognized_keys');
    expect(
      issuesOf(() => parseElementContent('passport', { data: { ...content.data, issuing_country: 'XX' }, files: { front_side: { ...link, size: 0 } } })),
    ).toEqual(['data.issuing_country:invalid_value', 'files.front_side.size:too_small']);
  });

  it('report paths and codes, never the link values', () => {
    const secretId = '5ec2e7a1-0000-4000-8000-00000000beef';
    const secretDigest = base64urlEncode(new Uint8Array(31).fill(0x5e));
    let error: unknown;
    try {
      parseElementFiles('passport', { front_side: { ...link, id: secretId.toUpperCase(), sha256: secretDigest }, selfie: { ...link, id: secretId } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ElementDataError);
    const text = JSON.stringify({ message: (error as Error).message, issues: (error as ElementDataError).issues });
    for (const value of [secretId, secretId.toUpperCase(), secretDigest]) expect(text).not.toContain(value);
    expect(text).toContain('front_side');
  });

  it('list the links of an element, flat, in slot order', () => {
    const f = SAMPLE_FILES.driver_license;
    expect(fileLinks(f)).toEqual([f.front_side, f.reverse_side, ...f.translation!]);
    const p = SAMPLE_FILES.passport;
    expect(fileLinks({ translation: p.translation, selfie: p.selfie, front_side: p.front_side })).toEqual([p.front_side, p.selfie, ...p.translation!]);
    expect(fileLinks(SAMPLE_FILES.email)).toEqual([]);
    const all = ELEMENT_TYPES.flatMap((type) => fileLinks(SAMPLE_FILES[type]).map((l) => l.id));
    expect(new Set(all).size).toBe(all.length); // sample ids are unique across elements too
    expect(all).toHaveLength(20);
  });

  it('infer the file types from the table', () => {
    const passport: ElementFiles<'passport'> = { front_side: link };
    const id: ElementFiles<'identity_card'> = { front_side: link, reverse_side: link, translation: [link] };
    const bill: ElementFiles<'utility_bill'> = { files: [link] };
    const none: ElementFiles<'email'> = {};
    // @ts-expect-error reverse_side is required for an identity card
    const missing: ElementFiles<'identity_card'> = { front_side: link };
    // @ts-expect-error a single slot holds one link
    const array: ElementFiles<'passport'> = { front_side: [link] };
    // @ts-expect-error files[] holds an array
    const single: ElementFiles<'bank_statement'> = { files: link };
    const links: FileLink[] = fileLinks(id);
    expect([passport, id, bill, none, missing, array, single, links]).toHaveLength(8);
  });
});
