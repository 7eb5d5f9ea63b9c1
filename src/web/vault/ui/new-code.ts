/**
 * A new recovery code, for a holder who still knows the passphrase: after the
 * old code was used, lost or seen by someone else. MK is wrapped under a fresh
 * code; the passphrase wrap is sent back unchanged, so the old code stops working
 * and nothing else changes.
 */
import { checkKdfParams, newRecoveryCode } from '../../../protocol/index.js';
import { ApiError } from '../api.js';
import type { VaultApp } from '../app.js';
import { h } from '../dom.js';
import { busy, messageBox, screenSection } from './common.js';
import { recoveryCodeScreen, type MadeCode } from './recovery-code.js';

export function newCodeScreen(app: VaultApp): HTMLElement {
  const { t } = app;
  const alert = messageBox('alert');
  const submit = h('button', { type: 'button', class: 'button button-primary' }, t('vault.new_code.submit'));
  const cancel = h('button', { type: 'button', class: 'button button-secondary' }, t('vault.cancel'));
  cancel.addEventListener('click', () => app.showDocuments());

  submit.addEventListener('click', () =>
    busy(submit, t('vault.new_code.working'), async () => {
      try {
        const send = async () => {
          const vault = await app.refresh();
          if (!vault) throw new Error('no vault');
          const { recoveryCode, recoveryWrappedMk } = newRecoveryCode(app.keys.use(), vault.vault_id);
          const result = await app.api.rewrap({
            kdf: checkKdfParams(vault.kdf),
            wrapped_mk: vault.wrapped_mk,
            recovery_wrapped_mk: recoveryWrappedMk,
            vault_version: vault.version,
          });
          app.observeVersion(vault.vault_id, result.vault_version);
          return { code: recoveryCode, recoveryWrappedMk };
        };
        let made: MadeCode;
        try {
          made = await send();
        } catch (err) {
          if (!(err instanceof ApiError && err.status === 409)) throw err;
          made = await send(); // written meanwhile: read again and wrap again
        }
        // No idle lock while the code is on screen (as at set-up): it is shown only once.
        app.idle.stop();
        app.show(
          'recovery-code',
          recoveryCodeScreen(app, made, (notice) => {
            app.idle.start();
            void app.reloadDocuments(notice ?? { kind: 'status', text: t('vault.new_code.done') });
          }),
        );
      } catch (err) {
        alert.show(app.errorText(err));
      }
    }),
  );

  return screenSection(
    'new-code',
    t('vault.new_code.heading'),
    t('vault.new_code.intro'),
    h('p', { class: 'vault-warning' }, h('strong', null, t('vault.new_code.old_stops'))),
    alert.el,
    h('div', { class: 'actions' }, submit, cancel),
  );
}
