/**
 * The account page's reminder that the recovery code is not confirmed (issue
 * #11): drawn by the server (views/_account-recovery.eta) from the vault's flag,
 * so it is there at every visit until the code is confirmed. Here it gets its
 * two ways forward (confirm the code saved, or make a new one) and follows the
 * vault as the page reads it; it steps aside while a code is on screen.
 */
import type { VaultApp } from '../app.js';
import { confirmCodeScreen } from './confirm-code.js';
import { newCodeScreen } from './new-code.js';

const OWN_SCREENS = new Set(['setup', 'recovery-code', 'confirm-code', 'new-code']);

export class RecoveryReminder {
  constructor(
    private readonly app: VaultApp,
    private readonly el: HTMLElement,
  ) {
    const confirm = el.querySelector<HTMLButtonElement>('[data-recovery-confirm]');
    const make = el.querySelector<HTMLButtonElement>('[data-recovery-new]');
    confirm?.addEventListener('click', () => this.open(() => app.show('confirm-code', confirmCodeScreen(app))));
    make?.addEventListener('click', () => this.makeNewCode());
    for (const button of [confirm, make]) if (button) button.hidden = false;
  }

  /** Until the page has read the vault, the server's drawing stands. */
  update(): void {
    const { vault, vaultRead, screen } = this.app;
    if (!vaultRead) return;
    const pending = vault?.recovery_confirmed === false;
    this.el.hidden = !pending || OWN_SCREENS.has(screen);
  }

  /** A new code needs MK: at once when unlocked, else right after the unlock. */
  makeNewCode(): void {
    const app = this.app;
    if (app.keys.unlocked) return this.open(() => app.show('new-code', newCodeScreen(app)));
    app.afterUnlock = () => app.show('new-code', newCodeScreen(app));
    app.notice = { kind: 'status', text: app.t('vault.reminder.unlock_first') };
    this.open(() => app.home());
  }

  /** Shows the screen and brings the vault into view (the reminder sits above it). */
  private open(show: () => void): void {
    show();
    document.getElementById('vault-app')?.scrollIntoView({ block: 'start' });
  }
}
