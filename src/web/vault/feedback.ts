/**
 * RP feedback in the page (DESIGN 5.7): the server lists each release's open
 * errors by `ref`; only the sealed sharing record, opened here under MK, says
 * which element and which version a ref named. An error is open while its
 * release is live and the element is still at the version that was sent:
 * editing the element (a new version) closes it, with no write to the server.
 *
 * The RP's message is untrusted text: shown as a text node, bounded, dir=auto.
 */
import { elementSpec, isElementType, MAX_ERROR_MESSAGE_LENGTH, openSharingRecord, VaultIntegrityError, type SharingRecord } from '../../protocol/index.js';
import type { ElementRecord } from './api.js';
import { h } from './dom.js';
import type { Translator } from './i18n.js';
import type { ReleaseEntry, ReleasesApi, SealedRecord } from './releases.js';

/** One open error, mapped to the element and version it was sent from. */
export interface ElementError {
  releaseId: string;
  client: string;
  elementId: string;
  version: number;
  type: string;
  field?: string;
  file?: string;
  message: string;
}

export type OpenedRecord = { record: SharingRecord; clientMismatch: boolean } | { problem: 'unreadable' };

/**
 * Opens a release's sealed record. A record that does not open (altered, moved, not
 * this vault's) is 'unreadable'; one that opens but names another client than the
 * row it came with (a server that swapped rows) is flagged, never silently shown as
 * that client's.
 */
export function openReleaseRecord(mk: Uint8Array, vaultId: string, entry: Pick<ReleaseEntry, 'id' | 'client_id'>, sealed: SealedRecord): OpenedRecord {
  try {
    if (sealed.id !== entry.id) return { problem: 'unreadable' };
    const record = openSharingRecord(mk, vaultId, sealed.record_id, sealed.sealed);
    return { record, clientMismatch: record.client_id !== entry.client_id || sealed.client_id !== entry.client_id };
  } catch (err) {
    if (err instanceof VaultIntegrityError || err instanceof Error) return { problem: 'unreadable' };
    throw err;
  }
}

/** The open errors of a live release whose record opened and matches it, per element. */
export function mapErrors(entry: ReleaseEntry, opened: OpenedRecord): ElementError[] {
  if (entry.revoked_at || !entry.errors?.length || 'problem' in opened || opened.clientMismatch) return [];
  const byRef = new Map(opened.record.elements.map((e) => [e.ref, e]));
  const out: ElementError[] = [];
  for (const error of entry.errors) {
    const element = byRef.get(error.ref);
    if (!element || typeof error.message !== 'string') continue;
    out.push({
      releaseId: entry.id,
      client: entry.client_name || opened.record.client_name || entry.client_id,
      elementId: element.element_id,
      version: element.element_version,
      type: element.type,
      ...(typeof error.field === 'string' ? { field: error.field } : { file: String(error.file) }),
      message: error.message.slice(0, MAX_ERROR_MESSAGE_LENGTH),
    });
  }
  return out;
}

/** Every open error of the holder's live releases (fetching only the records that have some). */
export async function loadErrors(api: ReleasesApi, mk: () => Uint8Array, vaultId: string): Promise<ElementError[]> {
  const entries = (await api.list()).filter((e) => !e.revoked_at && e.has_record && e.errors?.length);
  const out: ElementError[] = [];
  for (const entry of entries) {
    let sealed: SealedRecord;
    try {
      sealed = await api.record(entry.id);
    } catch {
      continue; // revoked or gone meanwhile
    }
    out.push(...mapErrors(entry, openReleaseRecord(mk(), vaultId, entry, sealed)));
  }
  return out;
}

/** The errors that still apply to an element as it is now (same id, same version). */
export function errorsFor(errors: readonly ElementError[], record: Pick<ElementRecord, 'id' | 'version'>): ElementError[] {
  return errors.filter((e) => e.elementId === record.id && e.version === record.version);
}

/** "Field label" or "Scan slot label" of an error, from the catalogs (the RP's names are checked against the registry). */
export function errorTarget(tr: Translator, error: Pick<ElementError, 'type' | 'field' | 'file'>): string {
  const key = error.field !== undefined ? `field.${error.field}` : `slot.${error.file}`;
  if (isElementType(error.type)) {
    const spec = elementSpec(error.type);
    const known = error.field !== undefined ? spec.fields.some((f) => f.name === error.field) : spec.slots.some((s) => s.name === error.file);
    if (known && tr.has(key)) return tr.t(key);
  }
  return error.field ?? error.file ?? '';
}

/** The list shown on an element (vault) or a choice (consent): "<Service>: <what>: <message>". */
export function errorList(tr: Translator, errors: readonly ElementError[]): HTMLElement | null {
  if (!errors.length) return null;
  return h(
    'ul',
    { class: 'element-feedback', 'data-feedback': '' },
    ...errors.map((e) =>
      h(
        'li',
        { class: 'element-feedback-item' },
        h('span', { class: 'feedback-client', dir: 'auto' }, e.client),
        tr.t('vault.feedback.separator'),
        h('span', { class: 'feedback-target' }, errorTarget(tr, e)),
        tr.t('vault.feedback.separator'),
        h('span', { class: 'feedback-message', dir: 'auto' }, e.message),
      ),
    ),
  );
}

/** The box on an element with open errors: what the services said, and what to do (`hintKey`). */
export function feedbackBox(tr: Translator, errors: readonly ElementError[], hintKey: string, ...extra: (HTMLElement | null)[]): HTMLElement | null {
  const list = errorList(tr, errors);
  if (!list) return null;
  return h('div', { class: 'feedback-box' }, h('p', { class: 'feedback-heading' }, tr.t('vault.feedback.heading')), list, h('p', { class: 'hint' }, tr.t(hintKey)), ...extra);
}
