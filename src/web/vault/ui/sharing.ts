/**
 * "Sharing history" on the account page: every release, newest first: the
 * service, when, which kinds of documents; and a way to revoke one, asked
 * first. The list needs no unlocked vault: the server keeps only this metadata.
 * What exactly was sent is in each release's sealed sharing record (DESIGN 5.7),
 * opened here on demand while the vault is unlocked, and forgotten when it locks.
 */
import { isElementType } from '../../../protocol/index.js';
import { h, replace, uid } from '../dom.js';
import { errorText } from '../errors.js';
import type { Translator } from '../i18n.js';
import type { ReleaseEntry, ReleasesApi } from '../releases.js';
import { busy, messageBox } from './common.js';
import { sentRecordView, type SharingVault } from './sent-record.js';

function formatWhen(locale: string, iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

function typeList(tr: Translator, types: readonly string[]): string {
  const names = types.map((type) => (isElementType(type) ? tr.t(`element.${type}`) : type));
  try {
    return new Intl.ListFormat(tr.locale, { style: 'long', type: 'conjunction' }).format(names);
  } catch {
    return names.join(', ');
  }
}

function entryRow(tr: Translator, api: ReleasesApi, entry: ReleaseEntry, vault?: SharingVault): HTMLElement {
  const { t } = tr;
  const headingId = uid('release');
  const alert = messageBox('alert');
  const status = h('p', { class: 'release-status' });
  const actions = h('div', { class: 'release-actions' });
  const confirmArea = h('div', { class: 'release-confirm', hidden: true });
  const item = h(
    'li',
    { class: 'release', 'aria-labelledby': headingId, 'data-release': entry.id },
    h(
      'div',
      { class: 'release-main' },
      h('h3', { id: headingId, class: 'release-client', dir: 'auto' }, entry.client_name || entry.client_id),
      h('p', { class: 'release-when' }, h('time', { datetime: entry.created_at }, formatWhen(tr.locale, entry.created_at))),
      h('p', { class: 'release-types' }, t('vault.sharing.types', { types: typeList(tr, entry.element_types) })),
      status,
      alert.el,
      confirmArea,
      entry.has_record && vault ? sentRecordView(tr, api, entry, vault) : null,
    ),
    actions,
  );

  const showRevoked = (when: string | null) => {
    item.classList.add('release-revoked');
    replace(status, h('span', { class: 'badge badge-muted' }, t('vault.sharing.revoked')), when ? [' ', h('time', { datetime: when }, t('vault.sharing.revoked_at', { when: formatWhen(tr.locale, when) }))] : null);
    actions.replaceChildren();
    confirmArea.replaceChildren();
    confirmArea.hidden = true;
  };

  if (entry.revoked_at) {
    showRevoked(entry.revoked_at);
  } else {
    replace(status, h('span', { class: 'badge badge-active' }, t('vault.sharing.active')));
    const name = entry.client_name || entry.client_id;
    const revoke = h('button', { type: 'button', class: 'button button-danger-quiet button-small', 'aria-label': t('vault.sharing.revoke_label', { client: name }) }, t('vault.sharing.revoke'));
    // Revoking cannot be undone: the page asks first, in place, naming the service.
    revoke.addEventListener('click', () => {
      alert.clear();
      const question = h('p', { class: 'release-question', tabindex: '-1' }, t('vault.sharing.revoke_question', { client: name }));
      const yes = h('button', { type: 'button', class: 'button button-danger button-small' }, t('vault.sharing.revoke_yes'));
      const no = h('button', { type: 'button', class: 'button button-secondary button-small' }, t('vault.sharing.revoke_no'));
      no.addEventListener('click', () => {
        confirmArea.hidden = true;
        confirmArea.replaceChildren();
        actions.hidden = false;
        revoke.focus();
      });
      yes.addEventListener('click', () =>
        busy(yes, t('vault.sharing.revoking'), async () => {
          alert.clear();
          try {
            await api.revoke(entry.id);
            actions.hidden = false;
            showRevoked(new Date().toISOString());
            status.prepend(h('span', { class: 'visually-hidden', role: 'status' }, t('vault.sharing.revoked_done', { client: name })));
            item.querySelector<HTMLElement>('.release-client')?.setAttribute('tabindex', '-1');
            item.querySelector<HTMLElement>('.release-client')?.focus();
          } catch (err) {
            alert.show(errorText(t, err));
          }
        }),
      );
      replace(confirmArea, question, h('div', { class: 'actions' }, yes, no));
      confirmArea.hidden = false;
      actions.hidden = true;
      question.focus();
    });
    actions.append(revoke);
  }
  return item;
}

/** Mounts the section's content into `root` (a server-rendered section with a heading). */
export async function sharingHistory(root: HTMLElement, tr: Translator, api: ReleasesApi, vault?: SharingVault): Promise<void> {
  const { t } = tr;
  const body = h('div', { class: 'sharing-body' }, h('p', { class: 'hint', role: 'status' }, t('vault.sharing.loading')));
  root.querySelector('.sharing-body')?.remove();
  root.append(body);
  let entries: ReleaseEntry[];
  try {
    entries = await api.list();
  } catch (err) {
    const box = messageBox('alert');
    box.show(errorText(t, err, 'vault.sharing.load_failed'));
    replace(body, box.el);
    return;
  }
  replace(
    body,
    h('p', { class: 'hint' }, t('vault.sharing.intro')),
    entries.length ? h('ul', { class: 'release-list' }, ...entries.map((entry) => entryRow(tr, api, entry, vault))) : h('p', { class: 'empty' }, t('vault.sharing.empty')),
  );
}
