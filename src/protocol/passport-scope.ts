/**
 * The `passport_scope` authorization parameter (DESIGN 5.3): what a relying party
 * asks for. Parsed once into a normal form that the server (validation, consent),
 * the consent page and the RP SDK (checking a release against what was asked)
 * share:
 *
 *   { v: 1, data: [ { one_of: [types…], fields?: [names…], selfie, translation, native_names,
 *                     verified?: true, verifiers?: [client ids…], unexpired?: true } ] }
 *
 * A plain type is a one_of of one. Aliases expand as in Telegram Passport.
 */
import * as z from 'zod';
import { elementSpec } from './elements/registry.js';
import { ELEMENT_TYPE_ALIASES, ELEMENT_TYPES, type ElementType } from './elements/table.js';
import { EXPIRY_FIELD } from './expiry.js';

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
  /** The RP requires an attestation by any verifier (DESIGN 5.6). Never with `verifiers`. */
  verified?: true;
  /** The RP requires an attestation by one of these verifiers (client ids). Never with `verified`. */
  verifiers?: string[];
  /**
   * The RP accepts only a document that has not expired (issue #11): every type
   * has date_of_expiry, and it always leaves (it cannot be unticked). A document
   * without an expiry date does not answer it: nothing shows that it is current.
   */
  unexpired?: true;
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
/** A client id as a verifier is registered under: printable ASCII, bounded. */
const ClientId = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, { message: 'must be a client id (printable ASCII, no spaces)' });
export const MAX_NAMED_VERIFIERS = 16;
const Options = {
  fields: z.array(z.string().min(1).max(64)).min(1).max(32).optional(),
  selfie: z.boolean().optional(),
  translation: z.boolean().optional(),
  native_names: z.boolean().optional(),
  // DESIGN 5.6 "Asking": verification by any verifier, or by one of these clients.
  verified: z.boolean().optional(),
  verifiers: z.array(ClientId).min(1).max(MAX_NAMED_VERIFIERS).optional(),
  unexpired: z.boolean().optional(),
};
const TypeItem = z.strictObject({ type: TypeName, ...Options });
const OneOfItem = z.strictObject({ one_of: z.array(TypeName).min(1).max(16), ...Options });
const Item = z.union([TypeName, TypeItem, OneOfItem]);
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

function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.path[0] === 'v') return 'v: must be 1';
  const where = pathText(issue.path) || 'passport_scope';
  if (issue.code === 'invalid_union') {
    // An object that names its kind: the problem is in its options, so say which one.
    const item = issue.path.reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key], value);
    const kind = typeof item === 'object' && item !== null ? ('type' in item ? TypeItem : 'one_of' in item ? OneOfItem : undefined) : undefined;
    const inner = kind?.safeParse(item);
    if (inner && !inner.success) return describeIssue({ ...inner.error.issues[0]!, path: [...issue.path, ...inner.error.issues[0]!.path] }, value);
    return `${where}: must be an element type, {"type": …} or {"one_of": […]}, with the options fields, selfie, translation, native_names, verified, verifiers, unexpired`;
  }
  return `${where}: ${issue.message}`;
}

/** Checks and normalizes a parsed passport_scope object. */
export function normalizePassportScope(value: unknown): PassportScope {
  const parsed = Raw.safeParse(value);
  if (!parsed.success) throw new PassportScopeError(describeIssue(parsed.error.issues[0]!, value));
  const seen = new Set<ElementType>();
  const data = parsed.data.data.map((item, index): PassportRequirement => {
    const where = `data[${index}]`;
    const options: Omit<z.infer<typeof TypeItem>, 'type'> = typeof item === 'string' ? {} : item;
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
    if (options.unexpired) {
      const undated = specs.find((spec) => !spec.fields.some((f) => f.name === EXPIRY_FIELD));
      if (undated) throw new PassportScopeError(`${where}.unexpired: "${undated.type}" has no ${EXPIRY_FIELD}`);
      if (options.fields && !options.fields.includes(EXPIRY_FIELD)) {
        throw new PassportScopeError(`${where}.unexpired: fields must include "${EXPIRY_FIELD}" (the release must show it)`);
      }
    }
    return {
      one_of: types,
      ...(options.fields ? { fields: [...options.fields] } : {}),
      selfie: options.selfie ?? false,
      translation: options.translation ?? false,
      native_names: options.native_names ?? false,
      ...verification(options, where),
      // Carried only when asked, as verification is: the normal form parses to itself.
      ...(options.unexpired ? { unexpired: true as const } : {}),
    };
  });
  return { v: 1, data };
}

/**
 * The normal form carries verification only when it is required, as it was asked:
 * `verified: true` or `verifiers: [...]`, never both (so it parses to itself).
 */
function verification(options: { verified?: boolean; verifiers?: string[] }, where: string): Pick<PassportRequirement, 'verified' | 'verifiers'> {
  if (options.verified !== undefined && options.verifiers !== undefined) {
    throw new PassportScopeError(`${where}: "verified" and "verifiers" cannot both be given; "verifiers" alone already requires verification`);
  }
  if (options.verifiers) {
    if (new Set(options.verifiers).size !== options.verifiers.length) throw new PassportScopeError(`${where}.verifiers: a verifier is named twice`);
    return { verifiers: [...options.verifiers] };
  }
  return options.verified ? { verified: true } : {};
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

/** Does the RP require this element to be attested (by anyone, or by named verifiers)? */
export function requiresVerification(requirement: PassportRequirement): boolean {
  return requirement.verified === true || (requirement.verifiers?.length ?? 0) > 0;
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
