/**
 * "Show what was sent" in the sharing history (DESIGN 5.7): the release's sealed
 * sharing record, fetched and opened here under MK while the vault is unlocked:
 * per element, the exact values and the scans that went to the service, and the
 * service's open errors on them. Closed again when the vault locks.
 */
import { elementSpec, isElementType, type SharingRecord } from '../../../protocol/index.js';
import type { VaultRecord } from '../api.js';
import { h, replace, uid } from '../dom.js';
import { errorText } from '../errors.js';
import { errorTarget, openReleaseRecord } from '../feedback.js';
import { displayValue, isLtrValue } from '../groups.js';
import type { Translator } from '../i18n.js';
import type { ReleaseEntry, ReleasesApi } from '../releases.js';
import { mediaTypeName } from '../scans.js';
import type { KeyBox } from '../session.js';
import { busy, messageBox } from './common.js';

/** What the view needs of the vault page: the key while unlocked, the vault id, and a call when it locks. */
export interface SharingVault {
  readonly keys: Pick<KeyBox, 'unlocked' | 'use'>;
  readonly vault: Pick<VaultRecord, 'vault_id'> | null;
  onForget(hook: () => void): () => void;
}

function typeLabel(tr: Translator, type: string): string {
  return isElementType(type) ? tr.t(`element.${type}`) : type;
}

function recordElements(tr: Translator, entry: ReleaseEntry, record: SharingRecord): HTMLElement {
  const { t } = tr;
  return h(
    'div',
    { class: 'sent-elements' },
    ...record.elements.map((element) => {
      const spec = elementSpec(element.type);
      const fields = spec.fields
        .filter((f) => typeof element.fields[f.name] === 'string')
        .map((f) => {
          const value = displayValue(tr.locale, f.kind, element.fields[f.name]!, (g) => t(`gender.${g}`));
          return h('div', { class: 'field-row' }, h('dt', null, t(f.labelKey)), h('dd', { dir: isLtrValue(f.kind, f.name) ? 'ltr' : 'auto' }, value));
        });
      const scans = element.scans.map((scan) => h('li', null, t('vault.sharing.sent_scan', { slot: t(`slot.${scan.slot}`), type: mediaTypeName(scan.media_type) })));
      const errors = (entry.revoked_at ? [] : entry.errors ?? []).filter((e) => e.ref === element.ref);
      return h(
        'section',
        { class: 'sent-element', 'data-sent-type': element.type },
        h('h4', null, typeLabel(tr, element.type)),
        fields.length ? h('dl', { class: 'element-fields' }, ...fields) : null,
        scans.length ? h('ul', { class: 'sent-scans' }, ...scans) : null,
        errors.length
          ? h(
              'ul',
              { class: 'element-feedback' },
              ...errors.map((e) =>
                h('li', { class: 'element-feedback-item' }, h('span', { class: 'feedback-target' }, errorTarget(tr, { type: element.type, ...e })), t('vault.feedback.separator'), h('span', { class: 'feedback-message', dir: 'auto' }, String(e.message))),
              ),
            )
          : null,
      );
    }),
  );
}

export function sentRecordView(tr: Translator, api: ReleasesApi, entry: ReleaseEntry, vault: SharingVault): HTMLElement {
  const { t } = tr;
  const panelId = uid('sent');
  const panel = h('div', { class: 'sent-record', id: panelId, hidden: true });
  const toggle = h('button', { type: 'button', class: 'button button-secondary button-small', 'aria-expanded': 'false', 'aria-controls': panelId }, t('vault.sharing.show_sent'));
  let stopWatching: (() => void) | undefined;

  const close = () => {
    stopWatching?.();
    stopWatching = undefined;
    panel.replaceChildren();
    panel.hidden = true;
    toggle.setAttribute('aria-expanded', 'false');
    toggle.textContent = t('vault.sharing.show_sent');
  };
  const openWith = (...children: (HTMLElement | null)[]) => {
    replace(panel, ...children);
    panel.hidden = false;
    toggle.setAttribute('aria-expanded', 'true');
    toggle.textContent = t('vault.sharing.hide_sent');
  };

  toggle.addEventListener('click', () => {
    if (!panel.hidden) return close();
    if (!vault.keys.unlocked || !vault.vault) return openWith(h('p', { class: 'hint' }, t('vault.sharing.unlock_to_see')));
    const vaultId = vault.vault.vault_id;
    void busy(toggle, t('vault.sharing.opening'), async () => {
      let sealed;
      try {
        sealed = await api.record(entry.id);
      } catch (err) {
        const box = messageBox('alert');
        box.show(errorText(t, err));
        openWith(box.el);
        return;
      }
      if (!vault.keys.unlocked) return openWith(h('p', { class: 'hint' }, t('vault.sharing.unlock_to_see')));
      const opened = openReleaseRecord(vault.keys.use(), vaultId, entry, sealed);
      if ('problem' in opened) {
        const box = messageBox('danger');
        box.show(t('vault.sharing.record_unreadable'));
        openWith(box.el);
        return;
      }
      const warning = opened.clientMismatch ? messageBox('danger') : null;
      warning?.show(t('vault.sharing.record_other_client', { client: entry.client_name || entry.client_id, other: opened.record.client_name || opened.record.client_id }));
      openWith(warning?.el ?? null, h('p', { class: 'hint' }, t('vault.sharing.sent_intro', { client: opened.record.client_name || opened.record.client_id })), recordElements(tr, entry, opened.record));
      // Locking forgets the decrypted values: the panel closes with it.
      stopWatching = vault.onForget(close);
    }).then(() => {
      // busy() puts its label back: say what the button does now.
      toggle.textContent = t(panel.hidden ? 'vault.sharing.show_sent' : 'vault.sharing.hide_sent');
    });
  });
  return h('div', { class: 'sent-record-area' }, toggle, panel);
}
