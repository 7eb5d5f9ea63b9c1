/**
 * The passphrase form that unlocks the vault: the vault page's unlock screen and
 * the passport consent page both use it. It fetches the freshest key material,
 * refuses KDF parameters below the floor before the passphrase is used, and has
 * one uniform message for a wrong passphrase or altered key material.
 */
import { KdfPolicyError, unlockVault, VaultIntegrityError } from '../../../protocol/index.js';
import type { VaultRecord } from '../api.js';
import { h } from '../dom.js';
import type { Vars } from '../i18n.js';
import { field, messageBox, passphraseInput, type FieldHandle, type MessageBox } from './common.js';
import { busyDeriving, derivingNote } from './progress.js';

export interface UnlockHost {
  t(key: string, vars?: Vars): string;
  /** Fetches the vault record (key material may have changed on another device). */
  refresh(): Promise<VaultRecord | null>;
  errorText(err: unknown): string;
}

export interface UnlockForm {
  form: HTMLFormElement;
  alert: MessageBox;
  passphrase: FieldHandle<HTMLInputElement>;
}

export interface UnlockFormOptions {
  /** The vault opened: MK (the caller owns it now) and the record it was opened from. */
  onUnlocked(mk: Uint8Array<ArrayBuffer>, vault: VaultRecord): void;
  /** The vault is gone (deleted elsewhere, or never set up). */
  onNoVault(): void | Promise<void>;
  submitLabel?: string;
}

/** The alarming message for parameters below the floor: the passphrase was not used. */
function unsafeParameters(t: UnlockHost['t']): HTMLElement {
  const box = messageBox('danger');
  box.show(t('vault.unlock.unsafe'));
  box.el.classList.add('vault-unsafe');
  return box.el;
}

export function unlockForm(host: UnlockHost, options: UnlockFormOptions): UnlockForm {
  const { t } = host;
  const alert = messageBox('alert');
  const passphrase = field({ label: t('vault.passphrase'), control: passphraseInput('current-password') });
  passphrase.control.addEventListener('input', () => {
    passphrase.setError();
    alert.clear();
  });
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, options.submitLabel ?? t('vault.unlock.submit'));
  const deriving = derivingNote(t('vault.unlock.deriving'));
  const form = h('form', { class: 'stack', novalidate: true }, alert.el, passphrase.wrap, h('div', { class: 'actions' }, submit), deriving.el);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    alert.clear();
    form.querySelector('.vault-unsafe')?.remove();
    const value = passphrase.control.value;
    if (value === '') {
      passphrase.setError(t('vault.passphrase_empty'));
      passphrase.control.focus();
      return;
    }
    void busyDeriving(submit, t('vault.unlocking'), deriving, async () => {
      try {
        const vault = await host.refresh();
        if (!vault) return void (await options.onNoVault());
        const mk = await unlockVault({ passphrase: value, vaultId: vault.vault_id, kdf: vault.kdf, wrappedMk: vault.wrapped_mk });
        passphrase.control.value = '';
        options.onUnlocked(mk, vault);
      } catch (err) {
        if (err instanceof KdfPolicyError) {
          passphrase.control.value = '';
          alert.el.after(unsafeParameters(t));
          return;
        }
        if (err instanceof VaultIntegrityError) {
          passphrase.control.setAttribute('aria-invalid', 'true');
          alert.show(t('vault.unlock.failed'));
          passphrase.control.select();
          return;
        }
        alert.show(host.errorText(err));
      }
    });
  });
  return { form, alert, passphrase };
}
