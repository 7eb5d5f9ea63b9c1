/**
 * The 13 element types of DESIGN 5.2, written like the design's table:
 * "name?" is optional; slots "name[]" hold several files.
 */
import type { FieldKindValue, FieldName, FIELDS } from './fields.js';
import type { ScanMediaType } from './scans.js';

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
    // postal_code is optional: several countries (the UAE, Qatar, and others)
    // have no postal codes, and DESIGN 5.2's table is amended accordingly.
    fields: ['street_address', 'street_address_2?', 'locality', 'region?', 'postal_code?', 'country'],
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

/**
 * A link from an element to one of its scans, sealed inside the element so the
 * server cannot move scans between slots or elements (DESIGN 5.4's release
 * carries the same members plus the file key).
 */
export interface FileLink {
  /** The file's id (lower-case UUID), as bound into the file's AD. */
  id: string;
  media_type: ScanMediaType;
  /** Plaintext size in bytes, 1 to 10 MiB. */
  size: number;
  /** SHA-256 of the plaintext, unpadded base64url (43 characters). */
  sha256: string;
}

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

type SlotTokens<T extends ElementType> = (typeof ELEMENT_TABLE)[T]['slots'][number];
type BareSlot<K> = K extends `${infer N}[]?` ? N : K extends `${infer N}?` ? N : K extends `${infer N}[]` ? N : K;
type SlotValue<K> = K extends `${string}[]` | `${string}[]?` ? FileLink[] : FileLink;

/**
 * The file links of an element of type T, by slot, derived from the table above:
 * a single slot holds one link, a multiple slot ("name[]") a non-empty array;
 * optional slots ("name?") are omitted when empty. Types without slots: {}.
 */
export type ElementFiles<T extends ElementType> = Simplify<
  { [K in SlotTokens<T> as K extends `${string}?` ? never : BareSlot<K>]: SlotValue<K> } & {
    [K in SlotTokens<T> as K extends `${string}?` ? BareSlot<K> : never]?: SlotValue<K>;
  }
>;

/**
 * A verifier's attestation of an element, as sealed in it (DESIGN 5.6): the
 * issued SD-JWT VC with all its disclosures and no KB-JWT (ends with "~"), the
 * verifier's display name when the holder's page checked it, and when (ISO 8601 UTC).
 * Sealed inside the element so that its AEAD binds the attestation to the element.
 */
export interface SealedAttestation {
  sd_jwt: string;
  verifier_name: string;
  checked_at: string;
}

/**
 * What an element's ciphertext holds: its data, the links to its scans and the
 * attestations of verifiers (omitted when there are none, never []).
 */
export interface ElementContent<T extends ElementType = ElementType> {
  data: ElementData<T>;
  files: ElementFiles<T>;
  attestations?: SealedAttestation[];
}
