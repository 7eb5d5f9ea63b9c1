/**
 * The 13 element types of DESIGN 5.2, written like the design's table:
 * "name?" is optional; slots "name[]" hold several files.
 */
import type { FieldKindValue, FieldName, FIELDS } from './fields.js';

const ID_DOCUMENT_FIELDS = ['document_number', 'issuing_country', 'date_of_issuance?', 'date_of_expiry?'] as const;
const ADDRESS_DOCUMENT_SLOTS = ['files[]', 'translation[]?'] as const;

export const ELEMENT_TABLE = {
  personal_details: {
    fields: [
      'given_name',
      'family_name',
      'middle_name?',
      'given_name_native?',
      'family_name_native?',
      'middle_name_native?',
      'birthdate',
      'gender',
      'nationality',
      'country_of_residence',
      'place_of_birth?',
    ],
    slots: [],
  },
  passport: { fields: ID_DOCUMENT_FIELDS, slots: ['front_side', 'selfie?', 'translation[]?'] },
  internal_passport: { fields: ID_DOCUMENT_FIELDS, slots: ['front_side', 'selfie?', 'translation[]?'] },
  identity_card: { fields: ID_DOCUMENT_FIELDS, slots: ['front_side', 'reverse_side', 'selfie?', 'translation[]?'] },
  driver_license: { fields: ID_DOCUMENT_FIELDS, slots: ['front_side', 'reverse_side', 'selfie?', 'translation[]?'] },
  address: {
    fields: ['street_address', 'street_address_2?', 'locality', 'region?', 'postal_code', 'country'],
    slots: [],
  },
  utility_bill: { fields: [], slots: ADDRESS_DOCUMENT_SLOTS },
  bank_statement: { fields: [], slots: ADDRESS_DOCUMENT_SLOTS },
  rental_agreement: { fields: [], slots: ADDRESS_DOCUMENT_SLOTS },
  passport_registration: { fields: [], slots: ADDRESS_DOCUMENT_SLOTS },
  temporary_registration: { fields: [], slots: ADDRESS_DOCUMENT_SLOTS },
  phone_number: { fields: ['phone_number'], slots: [] },
  email: { fields: ['email'], slots: [] },
} as const satisfies Record<string, { fields: readonly string[]; slots: readonly string[] }>;

export type ElementType = keyof typeof ELEMENT_TABLE;

/** In the order of DESIGN 5.2. */
export const ELEMENT_TYPES = Object.keys(ELEMENT_TABLE) as ElementType[];

/** passport_scope aliases (DESIGN 5.3, as in Telegram Passport). */
export const ELEMENT_TYPE_ALIASES = {
  id_document: ['passport', 'identity_card', 'driver_license'],
  address_document: ['utility_bill', 'bank_statement', 'rental_agreement'],
} as const satisfies Record<string, readonly ElementType[]>;

export const SLOT_NAMES = ['front_side', 'reverse_side', 'selfie', 'translation', 'files'] as const;
export type SlotName = (typeof SLOT_NAMES)[number];

type FieldTokens<T extends ElementType> = (typeof ELEMENT_TABLE)[T]['fields'][number];
type ValueOf<N> = N extends FieldName ? FieldKindValue[(typeof FIELDS)[N]['kind']] : never;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The validated data of an element of type T, derived from the table above. */
export type ElementData<T extends ElementType> = Simplify<
  { [K in FieldTokens<T> as K extends `${string}?` ? never : K]: ValueOf<K> } & {
    [K in FieldTokens<T> as K extends `${infer N}?` ? N : never]?: ValueOf<K extends `${infer N}?` ? N : never>;
  }
>;

export type AnyElementData = { [T in ElementType]: ElementData<T> }[ElementType];
