/**
 * RP feedback on the consent page (DESIGN 5.7):
 * - before: the services' open errors, read through the sealed sharing records;
 *   a document with an open error is marked with it and cannot be shared as it
 *   is (Share stays disabled while it is the choice) until it is corrected, which
 *   makes a new version and closes the error;
 * - on Share: the sharing record of exactly what leaves, sealed under MK, posted
 *   with the release together with the refs (random; the server checks RP reports
 *   against them and learns nothing else).
 */
import { sealSharingRecord, type SharingRecord } from '../../protocol/index.js';
import { h } from '../vault/dom.js';
import { errorsFor, feedbackBox, loadErrors, type ElementError } from '../vault/feedback.js';
import type { Translator } from '../vault/i18n.js';
import type { ReleasesApi } from '../vault/releases.js';
import type { BuiltRelease, Readable } from './model.js';

export class ConsentFeedback {
  private errors: ElementError[] = [];

  constructor(
    private readonly api: ReleasesApi,
    private readonly tr: Translator,
  ) {}

  /** Reads the open errors; a failure leaves none (the release itself does not depend on them). */
  async load(mk: () => Uint8Array, vaultId: string): Promise<void> {
    try {
      this.errors = await loadErrors(this.api, mk, vaultId);
    } catch {
      this.errors = [];
    }
  }

  /** The element, as it is now, has an open error: it must not be shared unchanged. */
  blocks(element: Readable | undefined): boolean {
    return element !== undefined && errorsFor(this.errors, element.record).length > 0;
  }

  /** The errors on the chosen element, what to do, and `correct`: the button that opens this page's editor on it. */
  box(element: Readable, correct: () => HTMLElement): HTMLElement | null {
    const errors = errorsFor(this.errors, element.record);
    if (!errors.length) return null;
    const action = correct();
    action.setAttribute('data-feedback-edit', '');
    const box = feedbackBox(this.tr, errors, 'passport.feedback.blocked', h('p', null, action));
    box?.classList.add('share-feedback');
    return box;
  }

  forget(): void {
    this.errors = [];
  }
}

/** What the server stores with the release: the refs in clear, the record sealed under MK (AD: vault id and jti). */
export function sealedFeedback(mk: Uint8Array, vaultId: string, built: BuiltRelease, client: { id: string; name: string }, now = new Date()) {
  const record: SharingRecord = {
    v: 1,
    jti: built.payload.jti,
    client_id: client.id,
    client_name: client.name.slice(0, 256),
    sent_at: now.toISOString(),
    elements: built.recordElements,
  };
  return {
    refs: built.recordElements.map((e) => e.ref),
    sharing_record: { id: built.payload.jti, sealed: sealSharingRecord(mk, vaultId, record) },
  };
}
