/**
 * The registry forms, the consent screen and the RP SDK are generated from:
 * one zod schema and one spec per element type, and the i18n keys they use.
 */
import * as z from 'zod';
import { ElementDataError, ProtocolInputError } from '../errors.js';
import { FIELDS, fieldSchema, GENDERS, type FieldKind, type FieldName } from './fields.js';
import { MAX_FILES_PER_SLOT } from './scans.js';
import { ELEMENT_TABLE, ELEMENT_TYPES, SLOT_NAMES, type ElementData, type ElementType, type SlotName } from './table.js';

export interface FieldSpec {
  name: FieldName;
  required: boolean;
  kind: FieldKind;
  /** i18n key of the label, "field.<name>". */
  labelKey: string;
  /** For text-like kinds: the longest accepted value (UTF-16 code units, after trimming). */
  maxLength?: number;
  /** A name in the holder's own script (passport_scope's native_names). */
  native: boolean;
}

export interface SlotSpec {
  name: SlotName;
  required: boolean;
  /** Several files (files[], translation[]) rather than one. */
  multiple: boolean;
  /** At least this many files (1 for a required slot, else 0). */
  min: number;
  max: number;
  /** i18n key of the label, "slot.<name>". */
  labelKey: string;
}

export interface ElementSpec {
  type: ElementType;
  /** i18n key of the type's name, "element.<type>". */
  labelKey: string;
  fields: readonly FieldSpec[];
  slots: readonly SlotSpec[];
}

export function isElementType(value: unknown): value is ElementType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ELEMENT_TABLE, value);
}

function assertElementType(value: unknown): asserts value is ElementType {
  if (!isElementType(value)) throw new ProtocolInputError('unknown element type');
}

function buildSpec(type: ElementType): ElementSpec {
  const entry = ELEMENT_TABLE[type];
  const fields = entry.fields.map((token: string): FieldSpec => {
    const required = !token.endsWith('?');
    const name = (required ? token : token.slice(0, -1)) as FieldName;
    const def: { kind: FieldKind; maxLength?: number } = FIELDS[name];
    return {
      name,
      required,
      kind: def.kind,
      labelKey: `field.${name}`,
      ...(def.maxLength === undefined ? {} : { maxLength: def.maxLength }),
      native: name.endsWith('_native'),
    };
  });
  const slots = entry.slots.map((token: string): SlotSpec => {
    const required = !token.endsWith('?');
    const bare = required ? token : token.slice(0, -1);
    const multiple = bare.endsWith('[]');
    const name = (multiple ? bare.slice(0, -2) : bare) as SlotName;
    return {
      name,
      required,
      multiple,
      min: required ? 1 : 0,
      max: multiple ? MAX_FILES_PER_SLOT : 1,
      labelKey: `slot.${name}`,
    };
  });
  return deepFreeze({ type, labelKey: `element.${type}`, fields, slots });
}

function buildSchema(spec: ElementSpec): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const field of spec.fields) {
    const schema = fieldSchema(field.name);
    shape[field.name] = field.required ? schema : schema.optional();
  }
  // Strict: an unknown field is refused, not silently dropped, so a typo or a
  // newer client's field never disappears on a round trip.
  return withDateOrder(z.strictObject(shape));
}

/** Documents with both dates: expiry may not come before issuance. */
export function withDateOrder(object: z.ZodObject): z.ZodType {
  if (!('date_of_issuance' in object.shape && 'date_of_expiry' in object.shape)) return object;
  return object.refine(
    (data: Record<string, unknown>) =>
      typeof data.date_of_issuance !== 'string' ||
      typeof data.date_of_expiry !== 'string' ||
      data.date_of_issuance <= data.date_of_expiry,
    { message: 'date_of_expiry is before date_of_issuance', path: ['date_of_expiry'] },
  );
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

const SPECS = new Map<ElementType, ElementSpec>(ELEMENT_TYPES.map((type) => [type, buildSpec(type)]));
const SCHEMAS = new Map<ElementType, z.ZodType>(ELEMENT_TYPES.map((type) => [type, buildSchema(SPECS.get(type)!)]));

/** The zod schema of an element type's data (strict object; parse output is what gets sealed). */
export function elementSchema<T extends ElementType>(type: T): z.ZodType<ElementData<T>> {
  assertElementType(type);
  return SCHEMAS.get(type) as z.ZodType<ElementData<T>>;
}

/** Fields and file slots of an element type, to generate forms and the consent screen. */
export function elementSpec(type: ElementType): ElementSpec {
  assertElementType(type);
  return SPECS.get(type)!;
}

/**
 * Validates element data and returns the normalized form (trimmed, NFC).
 * Throws ElementDataError with paths and issue codes only, never values.
 */
export function parseElementData<T extends ElementType>(type: T, data: unknown): ElementData<T> {
  const result = elementSchema(type).safeParse(data);
  if (result.success) return result.data;
  throw elementDataError(`invalid ${type} data`, result.error);
}

/**
 * An ElementDataError from a zod error: paths, codes and zod's messages (which
 * name keys and limits, never the values), nothing else of the input.
 */
export function elementDataError(what: string, error: z.ZodError): ElementDataError {
  const issues = error.issues.map((issue) => ({
    path: issue.path.map((p) => (typeof p === 'number' ? p : String(p))),
    code: issue.code,
    message: issue.message,
  }));
  const where = issues.map((i) => (i.path.length ? i.path.join('.') : '(root)')).join(', ');
  return new ElementDataError(`${what}: ${where}`, issues);
}

/**
 * Every i18n key the element specs use: element.<type>, field.<name>,
 * slot.<name>, and gender.<value> for the gender choices. Sorted, unique.
 */
export const I18N_KEYS: readonly string[] = Object.freeze(
  [
    ...new Set([
      ...[...SPECS.values()].flatMap((spec) => [
        spec.labelKey,
        ...spec.fields.map((f) => f.labelKey),
        ...spec.slots.map((s) => s.labelKey),
      ]),
      ...SLOT_NAMES.map((name) => `slot.${name}`),
      ...GENDERS.map((g) => `gender.${g}`),
    ]),
  ].sort(),
);
