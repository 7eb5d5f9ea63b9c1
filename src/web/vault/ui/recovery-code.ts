/**
 * The recovery code, shown once: written out, downloadable as a text file,
 * printable as a sheet; then hidden, and one group chosen at random typed back
 * before the page moves on, so nobody clicks past it. The server then records
 * that the code was confirmed; until it is, the account page keeps a reminder.
 */
import { ApiError } from '../api.js';
import type { Notice, VaultApp } from '../app.js';
import { focusQuietly, h } from '../dom.js';
import { codeGroups, confirmsGroup, pickGroup } from '../recovery-code.js';
import { busy, field, messageBox, screenHeading } from './common.js';
import { recoverySheet } from './recovery-sheet.js';

export interface MadeCode {
  code: string;
  /** MK wrapped under this code: names, to the server, which code was confirmed. */
  recoveryWrappedMk: string;
}

export function recoveryCodeScreen(app: VaultApp, made: MadeCode, done: (notice?: Notice) => void): HTMLElement {
  const { t } = app;
  const { code } = made;
  const groups = codeGroups(code);
  const date = new Intl.DateTimeFormat(app.tr.locale, { dateStyle: 'long' }).format(new Date());
  const text = t('vault.recovery.file_text', { email: app.email, code, date }).replace(/\n/g, '\r\n') + '\r\n';
  const url = app.blobs.create(new TextEncoder().encode(text), 'text/plain;charset=utf-8');
  const number = new Intl.NumberFormat(app.tr.locale);
  const section = h('section', { class: 'vault-screen vault-recovery' });
  let asked: number | undefined;

  const finish = (notice?: Notice) => {
    app.blobs.revoke(url);
    done(notice); // replaces this screen: the code leaves the DOM
  };

  /** Step 1: the code, to write down, download or print. */
  const showCode = () => {
    const download = h('a', { href: url, download: t('vault.recovery.file_name'), class: 'button button-secondary' }, t('vault.recovery.download'));
    const print = h('button', { type: 'button', class: 'button button-secondary' }, t('vault.recovery.print'));
    print.addEventListener('click', () => window.print());
    const next = h('button', { type: 'button', class: 'button button-primary' }, t('vault.recovery.continue'));
    next.addEventListener('click', () => askGroup());
    // Groups in separate spans so screen readers read them one by one; always left to right.
    const codeView = h(
      'p',
      { class: 'recovery-code', dir: 'ltr', id: 'recovery-code', 'aria-label': t('vault.recovery.code_label') },
      ...groups.flatMap((group, i) => [i > 0 ? h('span', { class: 'sep', 'aria-hidden': 'true' }, '-') : null, h('span', { class: 'group' }, group)]),
    );
    const heading = screenHeading(t('vault.recovery.heading'));
    section.replaceChildren(
      heading,
      h('p', { class: 'lead' }, t('vault.recovery.intro')),
      h('div', { class: 'recovery-box' }, h('p', { class: 'recovery-label' }, t('vault.recovery.code_label')), codeView, h('div', { class: 'actions' }, download, print)),
      h('p', null, t('vault.recovery.keep')),
      h('p', { class: 'vault-warning' }, h('strong', null, t('vault.setup.rule_loss'))),
      h('div', { class: 'actions' }, next),
      recoverySheet(app, code, date),
    );
    return heading;
  };

  /** Step 2: the code hidden, one group chosen at random typed back. */
  const askGroup = () => {
    asked = pickGroup(code, asked);
    const index = asked;
    const vars = { number: number.format(index + 1), count: number.format(groups.length), length: number.format(groups[index]!.length) };
    const alert = messageBox('alert');
    const input = field({
      label: t('vault.recovery.group_label', vars),
      control: h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'characters', dir: 'ltr', maxlength: 16, class: 'code-input', 'data-group': index + 1 }),
      hint: t('vault.recovery.group_hint', vars),
    });
    input.control.addEventListener('input', () => input.setError());
    // Where the asked group sits in the code, without showing any of it.
    const mask = h(
      'p',
      { class: 'code-mask', dir: 'ltr', 'aria-hidden': 'true' },
      ...groups.flatMap((group, i) => [i > 0 ? h('span', { class: 'sep' }, '-') : null, h('span', { class: i === index ? 'group group-asked' : 'group' }, (i === index ? '?' : '•').repeat(group.length))]),
    );
    const submit = h('button', { type: 'submit', class: 'button button-primary' }, t('vault.recovery.check_submit'));
    const again = h('button', { type: 'button', class: 'link-button' }, t('vault.recovery.show_again'));
    again.addEventListener('click', () => focusQuietly(showCode()));
    const form = h('form', { class: 'stack', novalidate: true }, input.wrap, h('div', { class: 'actions' }, submit));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      alert.clear();
      if (!confirmsGroup(code, index, input.control.value)) {
        input.setError(t('vault.recovery.group_mismatch', vars));
        input.control.focus();
        return;
      }
      void busy(submit, t('vault.recovery.confirming'), async () => {
        try {
          await app.api.confirmRecovery(made.recoveryWrappedMk);
          finish();
        } catch (err) {
          // A newer code was made meanwhile (another window): this one no longer opens the vault.
          if (err instanceof ApiError && err.status === 409) return finish({ kind: 'alert', text: t('vault.recovery.replaced') });
          alert.show(app.errorText(err)); // the vault is not set up until this is recorded: try again
        }
      });
    });
    const heading = screenHeading(t('vault.recovery.check_heading'));
    section.replaceChildren(
      heading,
      h('p', { class: 'lead' }, t('vault.recovery.check_intro', vars)),
      mask,
      alert.el,
      form,
      h('p', { class: 'switch-flow' }, again),
    );
    focusQuietly(heading);
  };

  showCode();
  return section;
}
