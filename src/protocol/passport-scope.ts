/**
 * The `passport_scope` authorization parameter (DESIGN 5.3): what a relying party
 * asks for. Parsed once into a normal form that the server (validation, consent),
 * the consent page and the RP SDK (checking a release against what was asked)
 * share:
 *
 *   { v: 1, data: [ { one_of: [types…], fields?: [names…], selfie, translation, native_names } ] }
 *
 * A plain type is a one_of of one. Aliases expand as in Telegram Passport.
 */
import * as z from 'zod';
import { elementSpec } from './elements/registry.js';
import { ELEMENT_TYPE_ALIASES, ELEMENT_TYPES, type ElementType } from './elements/table.js';

export const MAX_PASSPORT_SCOPE_LENGTH = 4096;
const MAX_ITEMS = 20;

export interface PassportRequirement {
  /** The holder picks one element of these types (in the RP's order of preference). */
  one_of: ElementType[];
  /** Only these fields leave; absent = every field of the type. */
  fields?: string[];
  selfie: boolean;
  translation: boolean;
  native_names: boolean;
}

export interface PassportScope {
  v: 1;
  data: PassportRequirement[];
}

/** A malformed passport_scope; the message names the problem (and is safe to show the RP). */
export class PassportScopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PassportScopeError';
  }
}

const TypeName = z.string().min(1).max(64);
const Options = {
  fields: z.array(z.string().min(1).max(64)).min(1).max(32).optional(),
  selfie: z.boolean().optional(),
  translation: z.boolean().optional(),
  native_names: z.boolean().optional(),
};
const Item = z.union([
  TypeName,
  z.strictObject({ type: TypeName, ...Options }),
  z.strictObject({ one_of: z.array(TypeName).min(1).max(16), ...Options }),
]);
const Raw = z.strictObject({ v: z.literal(1), data: z.array(Item).min(1).max(MAX_ITEMS) });

function expand(name: string, where: string): ElementType[] {
  if (Object.prototype.hasOwnProperty.call(ELEMENT_TYPE_ALIASES, name)) {
    return [...ELEMENT_TYPE_ALIASES[name as keyof typeof ELEMENT_TYPE_ALIASES]];
  }
  if ((ELEMENT_TYPES as string[]).includes(name)) return [name as ElementType];
  throw new PassportScopeError(`${where}: unknown element type "${name}"`);
}

function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), '');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.path[0] === 'v') return 'v: must be 1';
  const where = pathText(issue.path) || 'passport_scope';
  if (issue.code === 'invalid_union') {
    return `${where}: must be an element type, {"type": …} or {"one_of": […]}, with the options fields, selfie, translation, native_names`;
  }
  return `${where}: ${issue.message}`;
}

/** Checks and normalizes a parsed passport_scope object. */
export function normalizePassportScope(value: unknown): PassportScope {
  const parsed = Raw.safeParse(value);
  if (!parsed.success) throw new PassportScopeError(describeIssue(parsed.error.issues[0]!));
  const seen = new Set<ElementType>();
  const data = parsed.data.data.map((item, index): PassportRequirement => {
    const where = `data[${index}]`;
    const options: { fields?: string[]; selfie?: boolean; translation?: boolean; native_names?: boolean } =
      typeof item === 'string' ? {} : item;
    const types =
      typeof item === 'string'
        ? expand(item, where)
        : 'type' in item
          ? expand(item.type, where)
          : [...new Set(item.one_of.flatMap((name) => expand(name, where)))];
    for (const type of types) {
      if (seen.has(type)) throw new PassportScopeError(`${where}: "${type}" is asked for more than once`);
      seen.add(type);
    }
    const specs = types.map(elementSpec);
    if (options.fields) {
      if (new Set(options.fields).size !== options.fields.length) throw new PassportScopeError(`${where}.fields: a field is named twice`);
      for (const field of options.fields) {
        const missing = specs.find((spec) => !spec.fields.some((f) => f.name === field));
        if (missing) throw new PassportScopeError(`${where}.fields: "${missing.type}" has no field "${field}"`);
      }
    }
    for (const [flag, slot] of [['selfie', 'selfie'], ['translation', 'translation']] as const) {
      const without = specs.find((spec) => !spec.slots.some((s) => s.name === slot));
      if (options[flag] && without) throw new PassportScopeError(`${where}.${flag}: "${without.type}" has no ${slot}`);
    }
    if (options.native_names && !specs.every((spec) => spec.fields.some((f) => f.native))) {
      throw new PassportScopeError(`${where}.native_names: only personal_details has native names`);
    }
    return {
      one_of: types,
      ...(options.fields ? { fields: [...options.fields] } : {}),
      selfie: options.selfie ?? false,
      translation: options.translation ?? false,
      native_names: options.native_names ?? false,
    };
  });
  return { v: 1, data };
}

/** Parses the authorization parameter (a JSON string). */
export function parsePassportScope(text: string): PassportScope {
  if (typeof text !== 'string' || text.length === 0) throw new PassportScopeError('passport_scope: must be a JSON object');
  if (text.length > MAX_PASSPORT_SCOPE_LENGTH) throw new PassportScopeError(`passport_scope: longer than ${MAX_PASSPORT_SCOPE_LENGTH} characters`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PassportScopeError('passport_scope: not valid JSON');
  }
  return normalizePassportScope(value);
}

/**
 * The fields of `type` that a requirement lets leave: the named `fields` (all the
 * type's fields when none are named), and with `native_names` the native-script
 * form of each name among them (given_name → given_name_native).
 */
export function requestedFields(requirement: PassportRequirement, type: ElementType): string[] {
  const spec = elementSpec(type);
  const base = spec.fields.filter((f) => !f.native && (!requirement.fields || requirement.fields.includes(f.name)));
  const wanted = new Set<string>(base.map((f) => f.name));
  if (requirement.native_names) for (const f of base) wanted.add(`${f.name}_native`);
  return spec.fields.map((f) => f.name as string).filter((name) => wanted.has(name));
}
