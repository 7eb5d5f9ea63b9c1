/**
 * The printable recovery sheet, like an emergency kit: built here from the code
 * on screen (it never goes to the server) and shown only when printing
 * (public/app.css, "Recovery sheet": @media print shows it alone).
 */
import type { VaultApp } from '../app.js';
import { h } from '../dom.js';
import { codeGroups } from '../recovery-code.js';

export function recoverySheet(app: Pick<VaultApp, 't' | 'email'>, code: string, date: string): HTMLElement {
  const { t } = app;
  const groups = codeGroups(code);
  const list = (keys: string[]) => h('ul', null, ...keys.map((key) => h('li', null, t(key))));
  return h(
    'section',
    { class: 'recovery-sheet', 'data-recovery-sheet': '' },
    h('p', { class: 'sheet-brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), t('vault.sheet.product')),
    h('h2', null, t('vault.sheet.title')),
    h(
      'dl',
      { class: 'sheet-facts' },
      h('div', null, h('dt', null, t('vault.sheet.account')), h('dd', { dir: 'ltr' }, app.email)),
      h('div', null, h('dt', null, t('vault.sheet.date')), h('dd', null, date)),
    ),
    h('p', { class: 'sheet-code-label' }, t('vault.recovery.code_label')),
    h('p', { class: 'sheet-code', dir: 'ltr' }, ...groups.flatMap((group, i) => [i > 0 ? h('span', { class: 'sep' }, '-') : null, h('span', { class: 'group' }, group)])),
    h('h3', null, t('vault.sheet.keep_heading')),
    list(['vault.sheet.keep_1', 'vault.sheet.keep_2']),
    h('h3', null, t('vault.sheet.does_heading')),
    list(['vault.sheet.does_1', 'vault.sheet.does_2']),
    h('h3', null, t('vault.sheet.not_heading')),
    list(['vault.sheet.not_1', 'vault.sheet.not_2', 'vault.sheet.not_3']),
    h('p', { class: 'sheet-warning' }, t('vault.sheet.warning')),
  );
}
