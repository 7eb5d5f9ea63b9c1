/** Unlock with the passphrase; or recover with the recovery code and choose a new passphrase. */
import { RecoveryCodeError, recoverVault, rewrapMasterKey, VaultIntegrityError } from '../../../protocol/index.js';
import { ApiError } from '../api.js';
import type { VaultApp } from '../app.js';
import { h } from '../dom.js';
import { messageBox, recoveryCodeField, screenHeading, screenSection } from './common.js';
import { busyDeriving, derivingNote } from './progress.js';
import { unlockForm } from './unlock-form.js';
import { newPassphraseFields } from './passphrase.js';

export function unlockScreen(app: VaultApp): HTMLElement {
  const { t } = app;
  const section = h('section', { class: 'vault-screen vault-unlock' });
  const { form } = unlockForm(app, { onUnlocked: (mk) => app.unlocked(mk), onNoVault: () => app.start() });

  const forgot = h('button', { type: 'button', class: 'link-button' }, t('vault.unlock.forgot'));
  forgot.addEventListener('click', () => app.show('recover', recoverScreen(app)));

  section.append(
    screenHeading(t('vault.unlock.heading')),
    ...[app.noticeBox()].filter((n): n is HTMLElement => n !== null),
    h('p', { class: 'lead' }, t('vault.unlock.intro')),
    form,
    h('p', { class: 'switch-flow' }, forgot),
  );
  return section;
}

export function recoverScreen(app: VaultApp): HTMLElement {
  const { t } = app;
  const alert = messageBox('alert');
  const code = recoveryCodeField(t);
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, t('vault.recover.submit'));
  const back = h('button', { type: 'button', class: 'link-button' }, t('vault.recover.back'));
  back.addEventListener('click', () => app.show('unlock', unlockScreen(app)));
  const form = h('form', { class: 'stack', novalidate: true }, code.wrap, h('div', { class: 'actions' }, submit));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    alert.clear();
    const vault = app.vault;
    if (!vault) return;
    try {
      // No Argon2 here: 128 random bits need no stretching; typos are caught before any derivation.
      const mk = recoverVault({ recoveryCode: code.control.value, vaultId: vault.vault_id, recoveryWrappedMk: vault.recovery_wrapped_mk });
      code.control.value = '';
      // The code opened the vault: it is kept, so the reminder can go (best effort; it stays if this fails).
      void app.api
        .confirmRecovery(vault.recovery_wrapped_mk)
        .then(() => {
          if (app.vault === vault) vault.recovery_confirmed = true;
          app.reminder?.update();
        })
        .catch(() => undefined);
      app.keys.hold(mk);
      // The served vault must match its state record before anything is written to it.
      const check = app.stateCheck();
      if (check.refused) return app.refuse(check.refused);
      app.idle.start();
      app.show('new-passphrase', newPassphraseScreen(app, mk));
    } catch (err) {
      const message = err instanceof RecoveryCodeError ? t('vault.recover.typo') : err instanceof VaultIntegrityError ? t('vault.recover.wrong') : app.errorText(err);
      code.control.setAttribute('aria-invalid', 'true');
      alert.show(message);
      code.control.focus();
    }
  });

  return screenSection(
    'recover',
    t('vault.recover.heading'),
    t('vault.recover.intro'),
    alert.el,
    form,
    h('p', { class: 'switch-flow' }, back),
  );
}

/** After a recovery: a new passphrase re-wraps MK; elements and files stay as they are. */
function newPassphraseScreen(app: VaultApp, mk: Uint8Array<ArrayBuffer>): HTMLElement {
  const { t } = app;
  const alert = messageBox('alert');
  const passphrase = newPassphraseFields(app, 'vault.passphrase_new');
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, t('vault.recover.save'));
  const cancel = h('button', { type: 'button', class: 'link-button' }, t('vault.cancel'));
  cancel.addEventListener('click', () => app.lock('button'));
  const deriving = derivingNote(t('vault.unlock.deriving'));
  const form = h('form', { class: 'stack', novalidate: true }, ...passphrase.nodes, h('div', { class: 'actions' }, submit), deriving.el);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    alert.clear();
    const chosen = passphrase.validate();
    if (chosen === undefined) return;
    void busyDeriving(submit, t('vault.deriving'), deriving, async () => {
      try {
        await saveNewPassphrase(app, app.keys.use(), chosen);
        passphrase.clear();
        app.unlocked(mk, { kind: 'status', text: t('vault.recover.done') });
      } catch (err) {
        alert.show(app.errorText(err));
      }
    });
  });

  return screenSection(
    'new-passphrase',
    t('vault.recover.new_heading'),
    t('vault.recover.new_intro'),
    alert.el,
    form,
    h('p', { class: 'switch-flow' }, cancel),
  );
}

/**
 * Wraps MK under a new passphrase and stores it. The write names the vault
 * version it read; if something else was written meanwhile, the re-wrap is still
 * valid (it touches only the key), so it is sent once more against the new version.
 */
export async function saveNewPassphrase(app: VaultApp, mk: Uint8Array, passphrase: string): Promise<void> {
  const vault = app.vault ?? (await app.refresh());
  if (!vault) throw new Error('no vault');
  const { kdf, wrappedMk } = await rewrapMasterKey(mk, passphrase, vault.vault_id);
  const send = (version: number) => app.api.rewrap({ kdf, wrapped_mk: wrappedMk, vault_version: version });
  let result: { vault_version: number };
  try {
    result = await send(vault.version);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 409)) throw err;
    const fresh = await app.refresh();
    if (!fresh) throw err;
    result = await send(fresh.version);
  }
  app.observeVersion(vault.vault_id, result.vault_version);
  await app.refresh();
}
