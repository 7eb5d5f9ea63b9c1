/**
 * The "choose a passphrase" fields shared by set-up, recovery and change:
 * passphrase, repeat, strength meter, and the checks before anything is derived.
 */
import { h } from '../dom.js';
import type { VaultApp } from '../app.js';
import { field, passphraseInput, strengthMeter, type FieldHandle } from './common.js';

export interface NewPassphrase {
  nodes: HTMLElement[];
  /** The passphrase if it is acceptable and repeated correctly; otherwise shows why and returns undefined. */
  validate(): string | undefined;
  /** Empties both fields (after use, or when leaving). */
  clear(): void;
  first: FieldHandle<HTMLInputElement>;
}

/** What zxcvbn should treat as "personal": the email and its parts. */
export function personalInputs(email: string): string[] {
  const [local = '', domain = ''] = email.split('@');
  return [email, local, ...local.split(/[._+-]/), domain.split('.')[0] ?? ''].filter((s) => s.length >= 3);
}

export function newPassphraseFields(app: VaultApp, labelKey: 'vault.passphrase' | 'vault.passphrase_new'): NewPassphrase {
  const { t } = app;
  const first = field({ label: t(labelKey), control: passphraseInput('new-password'), hint: t('vault.passphrase_hint') });
  const meter = strengthMeter(t, first.control, personalInputs(app.email));
  first.wrap.insertBefore(meter.el, first.wrap.querySelector('.field-error'));
  const second = field({ label: t('vault.passphrase_confirm'), control: passphraseInput('new-password') });
  first.control.addEventListener('input', () => first.setError());
  second.control.addEventListener('input', () => second.setError());
  return {
    nodes: [first.wrap, second.wrap],
    first,
    validate() {
      first.setError();
      second.setError();
      const passphrase = first.control.value;
      if (passphrase.trim() === '') {
        first.setError(t('vault.passphrase_empty'));
        first.control.focus();
        return undefined;
      }
      const strength = meter.current();
      if (!strength?.acceptable) {
        first.setError(t('vault.strength.too_weak'));
        first.control.focus();
        return undefined;
      }
      if (second.control.value !== passphrase) {
        second.setError(t('vault.passphrase_mismatch'));
        second.control.focus();
        return undefined;
      }
      return passphrase;
    },
    clear() {
      first.control.value = '';
      second.control.value = '';
      first.control.dispatchEvent(new Event('input'));
    },
  };
}

/** The plain-words warnings shown before a passphrase is chosen. */
export function passphraseRules(app: VaultApp): HTMLElement {
  const { t } = app;
  return h(
    'ul',
    { class: 'vault-rules' },
    h('li', null, t('vault.setup.rule_different')),
    h('li', null, t('vault.setup.rule_local')),
    h('li', { class: 'vault-rule-loss' }, h('strong', null, t('vault.setup.rule_loss'))),
  );
}
