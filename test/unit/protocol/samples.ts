/** A realistic sample of every element type, and a tiny valid scan of every media type. */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Argon2idInput, ElementData, ElementType, ScanMediaType } from '../../../src/protocol/index.js';

export const SAMPLES: { [T in ElementType]: ElementData<T> } = {
  personal_details: {
    given_name: 'Omar',
    family_name: 'Al-Farsi',
    middle_name: 'Khalid',
    given_name_native: 'عمر',
    family_name_native: 'الفارسي',
    middle_name_native: 'خالد',
    birthdate: '1988-11-04',
    gender: 'male',
    nationality: 'OM',
    country_of_residence: 'BH',
    place_of_birth: 'Muscat',
  },
  passport: { document_number: 'P1234567', issuing_country: 'OM', date_of_issuance: '2019-03-12', date_of_expiry: '2029-03-11' },
  internal_passport: { document_number: '45 08 123456', issuing_country: 'RU', date_of_issuance: '2016-07-01' },
  identity_card: { document_number: '784-1988-1234567-1', issuing_country: 'AE', date_of_expiry: '2027-05-30' },
  driver_license: { document_number: 'DL-99 88 77', issuing_country: 'MA', date_of_issuance: '2021-01-15', date_of_expiry: '2031-01-14' },
  address: {
    street_address: 'Building 1042, Road 3521, Block 335',
    street_address_2: 'Flat 21',
    locality: 'Manama',
    region: 'Capital Governorate',
    postal_code: '335',
    country: 'BH',
  },
  utility_bill: {},
  bank_statement: {},
  rental_agreement: {},
  passport_registration: {},
  temporary_registration: {},
  phone_number: { phone_number: '+97336001234' },
  email: { email: 'omar.alfarsi@example.com' },
};

export const SCANS: Record<ScanMediaType, Uint8Array> = {
  'image/jpeg': Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]),
  'image/png': Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]),
  'application/pdf': new TextEncoder().encode('%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n'),
};

/** An Argon2id stand-in for tests that are not about Argon2 (0 ms instead of 400 ms). */
export async function fakeArgon2(input: Argon2idInput): Promise<Uint8Array> {
  const params = new TextEncoder().encode(`${input.memorySize}/${input.iterations}/${input.parallelism}/${input.hashLength}`);
  const all = new Uint8Array(input.password.length + input.salt.length + params.length + 2);
  all.set(input.password, 0);
  all.set(input.salt, input.password.length + 1);
  all.set(params, input.password.length + input.salt.length + 2);
  return sha256(all);
}
