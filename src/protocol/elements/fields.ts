/**
 * The field catalog: every field name of DESIGN 5.2 once, with its kind and
 * limits. Types (types.ts) only list names, so one field validates the same way
 * in every type that has it.
 */
import * as z from 'zod';
import { COUNTRY_CODES, type CountryCode } from './countries.js';

export type FieldKind = 'text' | 'date' | 'country' | 'gender' | 'phone' | 'email';

/** The values of OpenID Connect's `gender` claim ("female", "male"; other values allowed), narrowed to three. */
export const GENDERS = ['male', 'female', 'other'] as const;
export type Gender = (typeof GENDERS)[number];

/** E.164: "+", a country code that does not start with 0, 7 to 15 digits in all. */
export const E164_PATTERN = /^\+[1-9]\d{6,14}$/;

/** What each kind holds once validated. */
export interface FieldKindValue {
  text: string;
  date: string;
  country: CountryCode;
  gender: Gender;
  phone: string;
  email: string;
}

interface FieldDef {
  kind: FieldKind;
  /** In UTF-16 code units, after trimming (what an HTML maxlength counts). */
  maxLength?: number;
}

export const FIELDS = {
  given_name: { kind: 'text', maxLength: 128 },
  family_name: { kind: 'text', maxLength: 128 },
  middle_name: { kind: 'text', maxLength: 128 },
  given_name_native: { kind: 'text', maxLength: 128 },
  family_name_native: { kind: 'text', maxLength: 128 },
  middle_name_native: { kind: 'text', maxLength: 128 },
  birthdate: { kind: 'date', maxLength: 10 },
  gender: { kind: 'gender' },
  nationality: { kind: 'country' },
  country_of_residence: { kind: 'country' },
  place_of_birth: { kind: 'text', maxLength: 256 },
  document_number: { kind: 'text', maxLength: 64 },
  issuing_country: { kind: 'country' },
  date_of_issuance: { kind: 'date', maxLength: 10 },
  date_of_expiry: { kind: 'date', maxLength: 10 },
  street_address: { kind: 'text', maxLength: 256 },
  street_address_2: { kind: 'text', maxLength: 256 },
  locality: { kind: 'text', maxLength: 128 },
  region: { kind: 'text', maxLength: 128 },
  postal_code: { kind: 'text', maxLength: 32 },
  country: { kind: 'country' },
  phone_number: { kind: 'phone', maxLength: 16 },
  email: { kind: 'email', maxLength: 254 },
} as const satisfies Record<string, FieldDef>;

export type FieldName = keyof typeof FIELDS;

/** A real Gregorian calendar date written YYYY-MM-DD (year 0001 to 9999). */
export function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days;
}

// Control characters break single-line display and logs; lone surrogates have no
// UTF-8 form (canonical JSON would escape them); bidi embeddings, overrides and
// isolates can make a value on the consent screen read differently from what it is.
const FORBIDDEN_TEXT = /[\p{Cc}\uD800-\uDFFF\u202A-\u202E\u2066-\u2069]/u;

function textSchema(maxLength: number) {
  // NFC so that the same name typed on different keyboards is the same string for RPs.
  return z
    .string()
    .trim()
    .normalize('NFC')
    .min(1)
    .max(maxLength)
    .refine((s) => !FORBIDDEN_TEXT.test(s), { message: 'contains control or bidi-override characters' });
}

const dateSchema = z
  .string()
  .trim()
  .refine(isCalendarDate, { message: 'must be a calendar date YYYY-MM-DD' });
const countrySchema = z.enum(COUNTRY_CODES, { message: 'must be an ISO 3166-1 alpha-2 code in upper case' });
const genderSchema = z.enum(GENDERS);
const phoneSchema = z.string().trim().regex(E164_PATTERN, { message: 'must be an E.164 number such as +97312345678' });
const emailSchema = z.string().trim().max(254).pipe(z.email());

/** The zod schema of one field (required form; the caller adds optional()). */
export function fieldSchema(name: FieldName): z.ZodType {
  const def: FieldDef = FIELDS[name];
  switch (def.kind) {
    case 'text':
      return textSchema(def.maxLength ?? 256);
    case 'date':
      return dateSchema;
    case 'country':
      return countrySchema;
    case 'gender':
      return genderSchema;
    case 'phone':
      return phoneSchema;
    case 'email':
      return emailSchema;
  }
}
