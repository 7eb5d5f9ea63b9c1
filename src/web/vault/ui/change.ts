/**
 * Change the passphrase: the current one is checked by unlocking with it (the
 * same Argon2id the server's parameters ask for), then MK is re-wrapped under
 * the new one. Elements, scans and the recovery code are untouched.
 */
import { constantTimeEqual, KdfPolicyError, unlockVault, VaultIntegrityError } from '../../../protocol/index.js';
import type { VaultApp } from '../app.js';
import { h } from '../dom.js';
import { field, messageBox, passphraseInput, screenSection } from './common.js';
import { busyDeriving, derivingNote } from './progress.js';
import { newPassphraseFields } from './passphrase.js';
import { saveNewPassphrase } from './unlock.js';

export function changePassphraseScreen(app: VaultApp): HTMLElement {
  const { t } = app;
  const alert = messageBox('alert');
  const current = field({ label: t('vault.passphrase_current'), control: passphraseInput('current-password') });
  current.control.addEventListener('input', () => current.setError());
  const next = newPassphraseFields(app, 'vault.passphrase_new');
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, t('vault.change.submit'));
  const cancel = h('button', { type: 'button', class: 'button button-secondary' }, t('vault.cancel'));
  cancel.addEventListener('click', () => app.showDocuments());
  const deriving = derivingNote(t('vault.unlock.deriving'));
  const form = h('form', { class: 'stack', novalidate: true }, current.wrap, ...next.nodes, h('div', { class: 'actions' }, submit, cancel), deriving.el);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    alert.clear();
    current.setError();
    if (current.control.value === '') {
      current.setError(t('vault.passphrase_empty'));
      current.control.focus();
      return;
    }
    const chosen = next.validate();
    if (chosen === undefined) return;
    void busyDeriving(submit, t('vault.deriving'), deriving, async () => {
      try {
        const vault = await app.refresh();
        if (!vault) throw new Error('no vault');
        let check: Uint8Array;
        try {
          check = await unlockVault({ passphrase: current.control.value, vaultId: vault.vault_id, kdf: vault.kdf, wrappedMk: vault.wrapped_mk });
        } catch (err) {
          if (err instanceof VaultIntegrityError) {
            current.setError(t('vault.change.wrong_current'));
            current.control.focus();
            return;
          }
          throw err;
        }
        const mk = app.keys.use();
        const same = constantTimeEqual(check, mk);
        check.fill(0);
        if (!same) {
          // The stored wrap opens to another key than the one in use: stop rather than overwrite it.
          alert.show(t('vault.error.generic'));
          return;
        }
        await saveNewPassphrase(app, mk, chosen);
        current.control.value = '';
        next.clear();
        await app.reloadDocuments({ kind: 'status', text: t('vault.change.done') });
      } catch (err) {
        alert.show(err instanceof KdfPolicyError ? t('vault.unlock.unsafe') : app.errorText(err));
      }
    });
  });

  return screenSection(
    'change',
    t('vault.change.heading'),
    t('vault.change.intro'),
    alert.el,
    form,
  );
}
