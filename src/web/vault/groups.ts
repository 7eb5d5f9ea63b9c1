/** How the documents page groups and presents the 13 element types. */
import { COUNTRY_CODES, type ElementType, type FieldKind } from '../../protocol/index.js';

export interface ElementGroup {
  /** i18n: vault.group.<key> */
  key: string;
  types: readonly ElementType[];
}

export const GROUPS: readonly ElementGroup[] = [
  { key: 'personal', types: ['personal_details'] },
  { key: 'identity', types: ['passport', 'internal_passport', 'identity_card', 'driver_license'] },
  { key: 'address', types: ['address'] },
  { key: 'address_documents', types: ['utility_bill', 'bank_statement', 'rental_agreement', 'passport_registration', 'temporary_registration'] },
  { key: 'contacts', types: ['phone_number', 'email'] },
];

/** Types a person has at most one of: the "add" button disappears once it exists. */
export const SINGLE_TYPES: ReadonlySet<ElementType> = new Set<ElementType>(['personal_details']);

export function formatBytes(locale: string, bytes: number): string {
  const units: [string, number][] = [
    ['gigabyte', 1024 ** 3],
    ['megabyte', 1024 ** 2],
    ['kilobyte', 1024],
  ];
  for (const [unit, size] of units) {
    if (bytes >= size) {
      return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1 }).format(bytes / size);
    }
  }
  return new Intl.NumberFormat(locale, { style: 'unit', unit: 'byte', unitDisplay: 'long' }).format(bytes);
}

/** "a, b and c" in the locale's words. */
export function formatList(locale: string, items: readonly string[], type: 'conjunction' | 'disjunction' = 'conjunction'): string {
  try {
    return new Intl.ListFormat(locale, { style: 'long', type }).format(items);
  } catch {
    return items.join(', ');
  }
}

/** An ISO date (YYYY-MM-DD) in the locale's words, read as a calendar date (no time zone shift). */
export function formatDate(locale: string, iso: string): string {
  const date = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(date);
}

export interface CountryOption {
  code: string;
  name: string;
}

/** Every ISO 3166-1 code with its name in the locale, sorted by name. */
export function countryOptions(locale: string): CountryOption[] {
  let names: Intl.DisplayNames | undefined;
  try {
    names = new Intl.DisplayNames([locale], { type: 'region' });
  } catch {
    names = undefined;
  }
  const collator = new Intl.Collator(locale);
  return COUNTRY_CODES.map((code) => ({ code, name: names?.of(code) ?? code })).sort((a, b) => collator.compare(a.name, b.name));
}

export function countryName(locale: string, code: string): string {
  try {
    return new Intl.DisplayNames([locale], { type: 'region' }).of(code) ?? code;
  } catch {
    return code;
  }
}

/** How a stored value reads on the documents page. */
export function displayValue(locale: string, kind: FieldKind, value: string, genderLabel: (g: string) => string): string {
  switch (kind) {
    case 'date':
      return formatDate(locale, value);
    case 'country':
      return countryName(locale, value);
    case 'gender':
      return genderLabel(value);
    default:
      return value;
  }
}

/** Fields written in Latin characters whatever the page's direction. */
export function isLtrValue(kind: FieldKind, name: string): boolean {
  return kind === 'phone' || kind === 'email' || name === 'document_number' || name === 'postal_code';
}
