/**
 * "Verify this address" on a vault `email` element (Wathiqa as a verifier of email
 * control): a consent step that says plainly what the server will see, the code
 * mailed to the address, and the attestation that comes back, opened, checked and
 * sealed by the same path as a verifier's delivery (InboxController.accept).
 */
import { ApiError } from '../api.js';
import type { OpenedElement, VaultApp } from '../app.js';
import { isExpired, sealedOf } from '../attestations.js';
import { h, uid } from '../dom.js';
import { EMAIL_VERIFY_ERRORS, EMAIL_VERIFY_RESTART } from '../email-verifier.js';
import { ownVerifierId } from '../verifier-list.js';
import { busy, field, messageBox } from './common.js';

const CODE = /^\d{6}$/;

/** The panel for an email element that Wathiqa has not verified yet (null when it cannot offer it). */
export function emailVerifyPanel(app: VaultApp, opened: OpenedElement): HTMLElement | null {
  const api = app.emailVerifier;
  const inbox = app.inbox;
  const email = (opened.content?.data as { email?: unknown } | undefined)?.email;
  if (!api || !inbox || opened.record.type !== 'email' || typeof email !== 'string' || !email) return null;
  const { t } = app;
  const own = ownVerifierId();
  const panel = h('div', { class: 'email-verify', hidden: true });
  const open = h('button', { type: 'button', class: 'button button-secondary button-small email-verify-open' }, t('vault.email_verify.open'));
  const step = h('div', { class: 'email-verify-step', hidden: true });
  const alert = messageBox('alert');
  panel.append(open, step);

  // Offered while no unexpired attestation of Wathiqa's own is sealed in the element.
  const sealed = sealedOf(opened.content);
  void app.summaries.all(sealed).then((all) => {
    panel.hidden = all.some((s) => s !== undefined && s.issuer === own && !isExpired(s));
  });

  const headingId = uid('email-verify');
  const close = () => {
    step.hidden = true;
    step.replaceChildren();
    open.hidden = false;
    open.focus();
  };
  const cancelButton = () => {
    const cancel = h('button', { type: 'button', class: 'button button-secondary button-small' }, t('vault.email_verify.cancel'));
    cancel.addEventListener('click', close);
    return cancel;
  };
  const errorText = (err: unknown) =>
    err instanceof ApiError && (EMAIL_VERIFY_ERRORS as readonly string[]).includes(err.code) ? t(`vault.email_verify.error.${err.code}`) : app.errorText(err);

  /** Step 1: what happens, in plain words, before anything is sent. */
  const consent = (message?: string) => {
    alert.clear();
    const send = h('button', { type: 'button', class: 'button button-primary button-small' }, t('vault.email_verify.send'));
    const heading = h('h5', { id: headingId, tabindex: '-1' }, t('vault.email_verify.heading'));
    step.replaceChildren(
      heading,
      h('p', null, t('vault.email_verify.consent_sees', { email })),
      h('p', { class: 'hint' }, t('vault.email_verify.consent_result')),
      alert.el,
      h('div', { class: 'actions' }, send, cancelButton()),
    );
    if (message) alert.show(message);
    send.addEventListener('click', () =>
      busy(send, t('vault.email_verify.sending'), async () => {
        alert.clear();
        try {
          codeStep(await api.start(email));
        } catch (err) {
          alert.show(errorText(err));
        }
      }),
    );
    step.hidden = false;
    open.hidden = true;
    heading.focus();
  };

  /** Step 2: the code from the mail. */
  const codeStep = (id: string) => {
    alert.clear();
    const input = h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, pattern: '[0-9]{6}', spellcheck: 'false', dir: 'ltr', class: 'code-input' });
    const code = field({ label: t('vault.email_verify.code_label'), control: input, hint: t('vault.email_verify.code_hint', { minutes: 10 }) });
    const verify = h('button', { type: 'submit', class: 'button button-primary button-small' }, t('vault.email_verify.verify'));
    const sent = h('p', { role: 'status' }, t('vault.email_verify.sent', { email }));
    const form = h('form', { class: 'email-verify-form', novalidate: true, 'aria-labelledby': headingId }, code.wrap, alert.el, h('div', { class: 'actions' }, verify, cancelButton()));
    step.replaceChildren(h('h5', { id: headingId, tabindex: '-1' }, t('vault.email_verify.heading')), sent, form);
    // A new attempt: the last refusal no longer applies.
    input.addEventListener('input', () => code.setError());
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const typed = input.value.replace(/\s/g, '');
      if (!CODE.test(typed)) {
        code.setError(t('vault.email_verify.code_format'));
        input.focus();
        return;
      }
      code.setError();
      void busy(verify, t('vault.email_verify.verifying'), async () => {
        alert.clear();
        let jwe: string;
        try {
          jwe = await api.confirm(id, email, typed);
        } catch (err) {
          if (err instanceof ApiError && EMAIL_VERIFY_RESTART.has(err.code)) return consent(errorText(err));
          if (err instanceof ApiError && err.code === 'invalid_code') {
            code.setError(errorText(err));
            input.select();
            input.focus();
            return;
          }
          alert.show(errorText(err));
          return;
        }
        try {
          const outcome = await inbox.accept(jwe);
          if (outcome.kind === 'failed') {
            alert.show(t(`vault.attest.reason.${outcome.reason}`, { type: t('element.email') }));
            return;
          }
          if (outcome.kind === 'stale') return;
          app.notice = { kind: 'status', text: t('vault.email_verify.done', { email }) };
          app.showDocuments();
        } catch (err) {
          alert.show(app.errorText(err));
        }
      });
    });
    input.focus();
  };

  open.addEventListener('click', () => consent());
  return panel;
}
