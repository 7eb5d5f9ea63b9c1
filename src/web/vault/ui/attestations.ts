/**
 * Attestations on screen: "Verified by <verifier>, <date>" under a document (the
 * vault page and the consent page), and the notices for delivered attestations
 * that could not be added, each with a Discard button.
 */
import type { AttestationSummary, SealedAttestation } from '../../../protocol/index.js';
import { isExpired, type AttestationSummaries } from '../attestations.js';
import { focusQuietly, h, replace, uid } from '../dom.js';
import type { Translator, Vars } from '../i18n.js';
import type { InboxController, InboxFailure } from '../inbox-run.js';
import { busy, messageBox } from './common.js';

type T = (key: string, vars?: Vars) => string;

/** The date of issue in the page's language (the date it was checked when the attestation has no iat). */
export function verifiedDate(locale: string, sealed: SealedAttestation, summary: Pick<AttestationSummary, 'issuedAt'> | undefined): string {
  const when = summary?.issuedAt !== undefined ? new Date(summary.issuedAt * 1000) : new Date(sealed.checked_at);
  if (Number.isNaN(when.getTime())) return '';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long' }).format(when);
}

/** One line per attestation; filled in once their summaries are read (they are not checked again here). */
export function verifiedList(ctx: { t: T; tr: Pick<Translator, 'locale'> }, sealed: readonly SealedAttestation[], summaries: AttestationSummaries, now?: Date): HTMLElement | null {
  if (!sealed.length) return null;
  const list = h('ul', { class: 'verified-list' });
  void summaries.all(sealed).then((all) => {
    replace(
      list,
      sealed.map((a, i) => {
        const summary = all[i];
        const expired = summary !== undefined && isExpired(summary, now);
        return h(
          'li',
          { class: expired ? 'verified verified-expired' : 'verified' },
          h('span', { class: 'verified-mark', 'aria-hidden': 'true' }, expired ? '○' : '✓'),
          h('span', null, ctx.t('vault.attest.verified', { verifier: a.verifier_name, date: verifiedDate(ctx.tr.locale, a, summary) })),
          expired ? [' ', h('span', { class: 'badge badge-muted' }, ctx.t('vault.attest.expired'))] : null,
        );
      }),
    );
  });
  return list;
}

function reasonText(t: T, failure: InboxFailure): string {
  const type = failure.elementType ? t(`element.${failure.elementType}`) : t('vault.attest.this_document');
  return t(`vault.attest.reason.${failure.reason}`, { type });
}

function failureItem(t: T, inbox: InboxController, failure: InboxFailure): HTMLElement {
  const alert = messageBox('alert');
  const discard = h('button', { type: 'button', class: 'button button-secondary button-small', 'aria-label': t('vault.attest.discard_label', { verifier: failure.verifier }) }, t('vault.attest.discard'));
  discard.addEventListener('click', () =>
    busy(discard, t('vault.attest.discarding'), async () => {
      alert.clear();
      try {
        await inbox.discard(failure.id);
        // The item is gone: focus goes to what remains of the notices, or to the screen's heading.
        focusQuietly(document.querySelector<HTMLElement>('.attest-failures:not([hidden]) h3') ?? document.querySelector<HTMLElement>('.vault-heading'));
      } catch {
        alert.show(t('vault.attest.discard_failed'));
      }
    }),
  );
  return h(
    'li',
    { class: 'vault-message vault-message-alert attest-failure', 'data-inbox': failure.id },
    h('p', null, t('vault.attest.failed', { verifier: failure.verifier, reason: reasonText(t, failure) })),
    alert.el,
    h('div', { class: 'actions' }, discard),
  );
}

/** The notices for failed attestations; kept current as the inbox is read and items are discarded. */
export function inboxNotices(ctx: { t: T }, inbox: InboxController | undefined): HTMLElement | null {
  if (!inbox) return null;
  const { t } = ctx;
  const headingId = uid('inbox');
  // Polite: the notices arrive after the documents, once the inbox was read.
  const region = h('section', { class: 'attest-failures', 'aria-labelledby': headingId, 'aria-live': 'polite', 'aria-relevant': 'additions' });
  const render = () => {
    const failures = inbox.failures;
    region.hidden = failures.length === 0;
    replace(
      region,
      failures.length ? [h('h3', { id: headingId }, t('vault.attest.failures_heading')), h('ul', { class: 'attest-failure-list' }, ...failures.map((f) => failureItem(t, inbox, f)))] : null,
    );
  };
  inbox.onChange = render;
  render();
  return region;
}
