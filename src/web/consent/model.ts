/**
 * The passport consent page's logic, without the DOM: what the RP asks for in
 * plain words, which of the holder's elements answer each requirement, exactly
 * which values and scans would leave, and the release payload (DESIGN 5.4).
 *
 * What leaves for a requirement and the element picked for it:
 *   data  = requestedFields(requirement, type) that the element has, minus the
 *           optional ones the holder unticked;
 *   files = the type's required slots, plus the selfie and translations only if
 *           the requirement asked for them; each with its file key (FK).
 * That is exactly what the RP SDK (src/rp/scope.ts) accepts, and no more.
 */
import {
  base64urlEncode,
  elementSpec,
  EXPIRY_FIELD,
  newReleaseRef,
  requestedFields,
  unwrapFileKey,
  type ElementContent,
  type ElementType,
  type FieldKind,
  type FileLink,
  type PassportRequirement,
  type ReleaseHolder,
  type SharingRecordElement,
  type SlotSpec,
} from '../../protocol/index.js';
import type { ElementRecord } from '../vault/api.js';
import type { OpenedElement } from '../vault/opened.js';
import { slotLinks } from '../vault/scans.js';

/** An element of the vault that decrypted and validated. */
export interface Readable {
  record: ElementRecord;
  content: ElementContent<ElementType>;
}

export function isReadable(opened: OpenedElement): opened is Readable {
  return opened.content !== undefined;
}

/**
 * The holder's elements that answer a requirement: readable, of a type in its
 * one_of, in the RP's order of preference, the most recently changed first.
 */
export function candidatesFor(requirement: PassportRequirement, opened: readonly OpenedElement[]): Readable[] {
  const rank = (type: ElementType) => requirement.one_of.indexOf(type);
  return opened
    .filter(isReadable)
    .filter((o) => rank(o.record.type) >= 0)
    .sort((a, b) => rank(a.record.type) - rank(b.record.type) || b.record.updated_at.localeCompare(a.record.updated_at));
}

/** Elements of a requested type that could not be decrypted (not offered; the page says so). */
export function unreadableFor(requirement: PassportRequirement, opened: readonly OpenedElement[]): OpenedElement[] {
  return opened.filter((o) => !isReadable(o) && requirement.one_of.includes(o.record.type));
}

export interface LeavingField {
  name: string;
  labelKey: string;
  kind: FieldKind;
  value: string;
  /** The holder may leave it out (the type does not require it). */
  optional: boolean;
}

/** The requested fields the element has, in the type's order. */
export function leavingFields(requirement: PassportRequirement, element: Readable): LeavingField[] {
  const spec = elementSpec(element.record.type);
  const data = element.content.data as Record<string, unknown>;
  const out: LeavingField[] = [];
  for (const name of requestedFields(requirement, element.record.type)) {
    const value = data[name];
    const field = spec.fields.find((f) => f.name === name)!;
    // Under "unexpired" the expiry date is what the RP checks: it cannot be unticked.
    const pinned = requirement.unexpired === true && name === EXPIRY_FIELD;
    if (typeof value === 'string' && value !== '') out.push({ name, labelKey: field.labelKey, kind: field.kind, value, optional: !field.required && !pinned });
  }
  return out;
}

/** Requested optional fields the element does not have (so the page can say "asked for, not in this document"). */
export function absentFields(requirement: PassportRequirement, element: Readable): string[] {
  const data = element.content.data as Record<string, unknown>;
  return requestedFields(requirement, element.record.type).filter((name) => typeof data[name] !== 'string' || data[name] === '');
}

/** The slots whose scans leave: required ones, the selfie and translations only if asked for. */
export function leavingSlots(requirement: PassportRequirement, type: ElementType): SlotSpec[] {
  return elementSpec(type).slots.filter(
    (slot) => slot.required || (slot.name === 'selfie' && requirement.selfie) || (slot.name === 'translation' && requirement.translation),
  );
}

export interface LeavingScan {
  slot: SlotSpec;
  /** Position within a multi-file slot, and how many it holds. */
  index: number;
  count: number;
  link: FileLink;
}

export function leavingScans(requirement: PassportRequirement, element: Readable): LeavingScan[] {
  const files = element.content.files as Record<string, FileLink | FileLink[]>;
  return leavingSlots(requirement, element.record.type).flatMap((slot) => {
    const links = slotLinks(files, slot.name);
    return links.map((link, index) => ({ slot, index, count: links.length, link }));
  });
}

/** The holder's decision for one requirement. */
export interface Choice {
  requirement: PassportRequirement;
  element: Readable;
  /** Optional fields the holder unticked. */
  excluded?: ReadonlySet<string>;
}

export interface ReleaseContext {
  issuer: string;
  clientId: string;
  sub: string;
  nonce: string;
}

export interface ReleasedFileEntry {
  id: string;
  key: string;
  media_type: string;
  size: number;
  sha256: string;
}

export interface PayloadElement {
  /** 16 random bytes, base64url: names this element in this release for RP feedback (DESIGN 5.7). */
  ref: string;
  type: ElementType;
  data: Record<string, string>;
  files: Record<string, ReleasedFileEntry | ReleasedFileEntry[]>;
  /** SD-JWT presentations (DESIGN 5.6), filled in by attachPresentations (attested.ts). */
  attestations: string[];
}

export interface ReleasePayload {
  v: 1;
  iss: string;
  aud: string;
  sub: string;
  nonce: string;
  iat: number;
  jti: string;
  /** The holder's public keys: in releases to verifier clients only (DESIGN 5.5). */
  holder?: ReleaseHolder;
  elements: PayloadElement[];
}

export interface BuiltRelease {
  payload: ReleasePayload;
  /** Every scan the release names (the server serves only these to the RP). */
  fileIds: string[];
  elementTypes: ElementType[];
  /** Per element, what the sharing record keeps: which element and version, exactly what was sent. */
  recordElements: SharingRecordElement[];
}

/** A 32-byte FK for a scan of an element; the caller's bytes are zeroed after use. */
export type FileKeySource = (record: ElementRecord, link: FileLink) => Uint8Array;

/** FKs unwrapped with MK from the wrapped keys the vault lists for the element's files. */
export function fileKeysFrom(mk: Uint8Array): FileKeySource {
  return (record, link) => {
    const meta = record.files.find((f) => f.id === link.id);
    if (!meta || meta.media_type !== link.media_type) throw new MissingScanError();
    return unwrapFileKey(mk, meta.wrapped_key, link.id);
  };
}

/** An element names a scan the vault does not list (deleted or withheld by the server). */
export class MissingScanError extends Error {
  constructor() {
    super('a scan of this document is missing');
    this.name = 'MissingScanError';
  }
}

/**
 * The release payload for the holder's choices, one element per requirement in
 * the RP's order. Throws if two requirements got the same element type (the
 * passport_scope parser never lets that happen).
 */
export function buildRelease(
  context: ReleaseContext,
  choices: readonly Choice[],
  fileKey: FileKeySource,
  options: { now?: number; jti?: string; holder?: ReleaseHolder } = {},
): BuiltRelease {
  const fileIds: string[] = [];
  const recordElements: SharingRecordElement[] = [];
  const elements = choices.map(({ requirement, element, excluded }): PayloadElement => {
    const data: Record<string, string> = {};
    for (const field of leavingFields(requirement, element)) {
      if (field.optional && excluded?.has(field.name)) continue;
      data[field.name] = field.value;
    }
    const files: Record<string, ReleasedFileEntry | ReleasedFileEntry[]> = {};
    for (const { slot, link } of leavingScans(requirement, element)) {
      const fk = fileKey(element.record, link);
      let entry: ReleasedFileEntry;
      try {
        entry = { id: link.id, key: base64urlEncode(fk), media_type: link.media_type, size: link.size, sha256: link.sha256 };
      } finally {
        fk.fill(0);
      }
      fileIds.push(link.id);
      if (slot.multiple) ((files[slot.name] ??= []) as ReleasedFileEntry[]).push(entry);
      else files[slot.name] = entry;
    }
    const ref = newReleaseRef();
    recordElements.push({
      ref,
      element_id: element.record.id,
      element_version: element.record.version,
      type: element.record.type,
      fields: { ...data },
      scans: leavingScans(requirement, element).map(({ slot, link }) => ({ slot: slot.name, file_id: link.id, sha256: link.sha256, media_type: link.media_type })),
    });
    return { ref, type: element.record.type, data, files, attestations: [] };
  });
  const elementTypes = elements.map((e) => e.type);
  if (new Set(elementTypes).size !== elementTypes.length) throw new Error('the same element type was chosen twice');
  const payload: ReleasePayload = {
    v: 1,
    iss: context.issuer,
    aud: context.clientId,
    sub: context.sub,
    nonce: context.nonce,
    iat: Math.floor((options.now ?? Date.now()) / 1000),
    jti: options.jti ?? crypto.randomUUID(),
    ...(options.holder ? { holder: options.holder } : {}),
    elements,
  };
  return { payload, fileIds, elementTypes, recordElements };
}

/** A requirement in plain words: a title (the types) and what of them leaves. */
export interface RequirementText {
  title: string;
  details: string[];
}

type T = (key: string, vars?: Readonly<Record<string, string | number>>) => string;

export function listOf(locale: string, items: readonly string[], type: 'conjunction' | 'disjunction' = 'conjunction'): string {
  try {
    return new Intl.ListFormat(locale, { style: 'long', type }).format(items);
  } catch {
    return items.join(', ');
  }
}

function unique<V>(values: V[]): V[] {
  return [...new Set(values)];
}

export function describeRequirement(t: T, locale: string, requirement: PassportRequirement): RequirementText {
  const types = requirement.one_of;
  const title = listOf(locale, types.map((type) => t(`element.${type}`)), 'disjunction');
  const details: string[] = [];
  if (types.length > 1) details.push(t('passport.ask.pick'));
  const fields = unique(types.flatMap((type) => requestedFields(requirement, type).map((name) => t(`field.${name}`))));
  // "Email address: Email address" says nothing: a lone field named like its type is left out.
  if (fields.length && !(fields.length === 1 && fields[0] === title)) details.push(t('passport.ask.fields', { fields: listOf(locale, fields) }));
  // Scans every type of the one_of has, then those only some have (an identity card's reverse side).
  const slotSets = types.map((type) => elementSpec(type).slots.filter((s) => s.required).map((s) => s.labelKey));
  const everywhere = unique(slotSets.flat()).filter((key) => slotSets.every((set) => set.includes(key)));
  const somewhere = unique(slotSets.flat()).filter((key) => !everywhere.includes(key));
  if (everywhere.length) details.push(t('passport.ask.scans', { slots: listOf(locale, everywhere.map((key) => t(key))) }));
  if (somewhere.length) details.push(t('passport.ask.scans_some', { slots: listOf(locale, somewhere.map((key) => t(key))) }));
  if (requirement.selfie) details.push(t('passport.ask.selfie'));
  if (requirement.translation) details.push(t('passport.ask.translation'));
  if (requirement.unexpired) details.push(t('passport.ask.unexpired'));
  return { title, details };
}

/** What tells two elements of a requirement apart in a radio label. */
export function summaryOf(element: Readable): string {
  const data = element.content.data as Record<string, string | undefined>;
  for (const name of ['document_number', 'email', 'phone_number', 'street_address']) {
    if (data[name]) return data[name]!;
  }
  return [data.given_name, data.family_name].filter(Boolean).join(' ');
}

/**
 * The scans asked for that the element lacks: a selfie or a translation (the
 * type's required slots are always there). The release may go without them (the
 * RP SDK accepts that), but the page offers to add them first.
 */
export function missingScans(requirement: PassportRequirement, element: Readable): SlotSpec[] {
  const files = element.content.files as Record<string, FileLink | FileLink[]>;
  return leavingSlots(requirement, element.record.type).filter((slot) => !slot.required && slotLinks(files, slot.name).length === 0);
}

/**
 * The element the editor just wrote for a requirement: readable, of a type it
 * accepts, and new or at a higher version than `before` (the vault before the
 * write); the most recently changed if several. Undefined when nothing was written.
 */
export function writtenFor(requirement: PassportRequirement, before: readonly OpenedElement[], after: readonly OpenedElement[]): string | undefined {
  const previous = new Map(before.map((o) => [o.record.id, o.record.version]));
  const changed = candidatesFor(requirement, after).filter((o) => (previous.get(o.record.id) ?? 0) < o.record.version);
  changed.sort((a, b) => b.record.updated_at.localeCompare(a.record.updated_at));
  return changed[0]?.record.id;
}
