/**
 * A realistic sample of every element type, with file links for every type
 * that has slots, and a tiny valid scan of every media type.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  scanDigest,
  type Argon2idInput,
  type ElementContent,
  type ElementData,
  type ElementFiles,
  type ElementType,
  type FileLink,
  type ScanMediaType,
} from '../../../src/protocol/index.js';

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

/** The UAE (like Qatar) has no postal codes: postal_code is optional. */
export const ADDRESS_WITHOUT_POSTAL_CODE: ElementData<'address'> = {
  street_address: 'Villa 14, Street 23, Al Wasl',
  locality: 'Dubai',
  region: 'Dubai',
  country: 'AE',
};

export const SCANS: Record<ScanMediaType, Uint8Array> = {
  'image/jpeg': Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]),
  'image/png': Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]),
  'application/pdf': new TextEncoder().encode('%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n'),
};

/** File id number n (distinct for every sample link, so links never collide across elements). */
export const fileId = (n: number) => `f11e0000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** A link to SCANS[mediaType] under file id n. */
export function sampleLink(n: number, mediaType: ScanMediaType): FileLink {
  const bytes = SCANS[mediaType];
  return { id: fileId(n), media_type: mediaType, size: bytes.length, sha256: scanDigest(bytes) };
}

const jpeg = (n: number) => sampleLink(n, 'image/jpeg');
const png = (n: number) => sampleLink(n, 'image/png');
const pdf = (n: number) => sampleLink(n, 'application/pdf');

/** File links of every type: every slot kind, required and optional, single and multiple, appears somewhere. */
export const SAMPLE_FILES: { [T in ElementType]: ElementFiles<T> } = {
  personal_details: {},
  passport: { front_side: jpeg(1), selfie: jpeg(2), translation: [pdf(3)] },
  internal_passport: { front_side: png(4) },
  identity_card: { front_side: jpeg(5), reverse_side: jpeg(6), selfie: png(7) },
  driver_license: { front_side: png(8), reverse_side: png(9), translation: [pdf(10), pdf(11)] },
  address: {},
  utility_bill: { files: [pdf(12)] },
  bank_statement: { files: [pdf(13), pdf(14)], translation: [pdf(15)] },
  rental_agreement: { files: [jpeg(16), png(17)] },
  passport_registration: { files: [jpeg(18)] },
  temporary_registration: { files: [png(19)], translation: [pdf(20)] },
  phone_number: {},
  email: {},
};

/** The sealed content of each sample element. */
export function sampleContent<T extends ElementType>(type: T): ElementContent<T> {
  return { data: SAMPLES[type], files: SAMPLE_FILES[type] } as ElementContent<T>;
}

/** An Argon2id stand-in for tests that are not about Argon2 (0 ms instead of 400 ms). */
export async function fakeArgon2(input: Argon2idInput): Promise<Uint8Array> {
  const params = new TextEncoder().encode(`${input.memorySize}/${input.iterations}/${input.parallelism}/${input.hashLength}`);
  const all = new Uint8Array(input.password.length + input.salt.length + params.length + 2);
  all.set(input.password, 0);
  all.set(input.salt, input.password.length + 1);
  all.set(params, input.password.length + input.salt.length + 2);
  return sha256(all);
}
