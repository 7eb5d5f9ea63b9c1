/**
 * The recovery code, shown once: written out, downloadable as a text file, and
 * typed back in part before the page moves on, so nobody clicks past it.
 */
import type { VaultApp } from '../app.js';
import { h } from '../dom.js';
import { confirmsLastGroup, lastGroup } from '../recovery-code.js';
import { field, messageBox, screenHeading } from './common.js';

export function recoveryCodeScreen(app: VaultApp, code: string, done: () => void): HTMLElement {
  const { t } = app;
  const alert = messageBox('alert');
  const date = new Intl.DateTimeFormat(app.tr.locale, { dateStyle: 'long' }).format(new Date());
  const text = t('vault.recovery.file_text', { email: app.email, code, date }).replace(/\n/g, '\r\n') + '\r\n';
  const url = app.blobs.create(new TextEncoder().encode(text), 'text/plain;charset=utf-8');
  const download = h('a', { href: url, download: t('vault.recovery.file_name'), class: 'button button-secondary' }, t('vault.recovery.download'));

  const groupLength = lastGroup(code).length;
  const confirm = field({
    label: t('vault.recovery.confirm_label'),
    control: h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'characters', dir: 'ltr', maxlength: 16, class: 'code-input' }),
    hint: t('vault.recovery.confirm_hint', { count: groupLength }),
  });
  confirm.control.addEventListener('input', () => confirm.setError());
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, t('vault.recovery.continue'));
  const form = h('form', { class: 'stack', novalidate: true }, confirm.wrap, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    alert.clear();
    if (!confirmsLastGroup(code, confirm.control.value)) {
      confirm.setError(t('vault.recovery.confirm_mismatch'));
      confirm.control.focus();
      return;
    }
    app.blobs.revoke(url);
    done(); // replaces this screen: the code leaves the DOM
  });

  // Groups in separate spans so screen readers read them one by one; always left to right.
  const groups = code.split('-');
  const codeView = h(
    'p',
    { class: 'recovery-code', dir: 'ltr', id: 'recovery-code', 'aria-label': t('vault.recovery.code_label') },
    ...groups.flatMap((group, i) => [i > 0 ? h('span', { class: 'sep', 'aria-hidden': 'true' }, '-') : null, h('span', { class: 'group' }, group)]),
  );

  return h(
    'section',
    { class: 'vault-screen vault-recovery' },
    screenHeading(t('vault.recovery.heading')),
    h('p', { class: 'lead' }, t('vault.recovery.intro')),
    h('div', { class: 'recovery-box' }, h('p', { class: 'recovery-label' }, t('vault.recovery.code_label')), codeView, h('div', { class: 'actions' }, download)),
    h('p', null, t('vault.recovery.keep')),
    h('p', { class: 'vault-warning' }, h('strong', null, t('vault.setup.rule_loss'))),
    alert.el,
    form,
  );
}

