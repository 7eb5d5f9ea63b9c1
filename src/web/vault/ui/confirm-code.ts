/**
 * Confirming a recovery code saved earlier (the set-up was left before the
 * typed-back check, or the vault predates it): the whole code is typed and
 * checked here, by opening the vault's recovery wrap with it. That is a real
 * check, made in this page; the server only records its outcome, and MK is
 * dropped at once.
 */
import { recoverVault, RecoveryCodeError, VaultIntegrityError } from '../../../protocol/index.js';
import { ApiError } from '../api.js';
import type { VaultApp } from '../app.js';
import { h } from '../dom.js';
import { busy, messageBox, recoveryCodeField, screenSection } from './common.js';
import { newCodeScreen } from './new-code.js';

export function confirmCodeScreen(app: VaultApp): HTMLElement {
  const { t } = app;
  const alert = messageBox('alert');
  const code = recoveryCodeField(t);
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, t('vault.confirm_code.submit'));
  const lost = h('button', { type: 'button', class: 'button button-secondary' }, t('vault.confirm_code.lost'));
  lost.addEventListener('click', () => {
    if (app.keys.unlocked) return app.show('new-code', newCodeScreen(app));
    app.afterUnlock = () => app.show('new-code', newCodeScreen(app));
    app.notice = { kind: 'status', text: t('vault.reminder.unlock_first') };
    app.home();
  });
  const cancel = h('button', { type: 'button', class: 'link-button' }, t('vault.cancel'));
  cancel.addEventListener('click', () => app.home());
  const form = h('form', { class: 'stack', novalidate: true }, code.wrap, h('div', { class: 'actions' }, submit, lost));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    alert.clear();
    const vault = app.vault;
    if (!vault) return;
    try {
      recoverVault({ recoveryCode: code.control.value, vaultId: vault.vault_id, recoveryWrappedMk: vault.recovery_wrapped_mk }).fill(0);
    } catch (err) {
      code.setError(err instanceof RecoveryCodeError ? t('vault.recover.typo') : err instanceof VaultIntegrityError ? t('vault.confirm_code.wrong') : app.errorText(err));
      code.control.focus();
      return;
    }
    code.control.value = '';
    void busy(submit, t('vault.recovery.confirming'), async () => {
      try {
        await app.api.confirmRecovery(vault.recovery_wrapped_mk);
        await app.refresh();
        app.notice = { kind: 'status', text: t('vault.confirm_code.done') };
        app.home();
      } catch (err) {
        // 409: a new code was made meanwhile (another window); read the vault again and ask again.
        if (err instanceof ApiError && err.status === 409) await app.refresh().catch(() => undefined);
        alert.show(err instanceof ApiError && err.status === 409 ? t('vault.recovery.replaced') : app.errorText(err));
      }
    });
  });

  return screenSection(
    'confirm-code',
    t('vault.confirm_code.heading'),
    t('vault.confirm_code.intro'),
    alert.el,
    form,
    h('p', { class: 'switch-flow' }, cancel),
  );
}
