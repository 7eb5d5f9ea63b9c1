/**
 * The vault bundle (public/build/vault.js), loaded only on /account. It reads
 * its strings from the page's JSON data block and the CSRF token from the
 * container's data attribute, then runs the vault screens and the sharing
 * history. Nothing here is logged: no passphrase, code, key or value ever
 * reaches the console.
 */
import { VaultApi } from './api.js';
import { VaultApp } from './app.js';
import { createTranslator, readMessages } from './i18n.js';
import { InboxApi } from './inbox.js';
import { EmailVerifierApi } from './email-verifier.js';
import { ReleasesApi } from './releases.js';
import { readReturnTo } from './return-to.js';
import type { VersionStore } from './rollback.js';
import { documentsScreen } from './ui/documents.js';
import { RecoveryReminder } from './ui/recovery-reminder.js';
import { setupScreen } from './ui/setup.js';
import { sharingHistory } from './ui/sharing.js';
import { unlockScreen } from './ui/unlock.js';

function versionStore(): VersionStore | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined; // storage blocked: the rollback check is best effort
  }
}

function sessionStore(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

function start(): void {
  const root = document.getElementById('vault-app');
  if (!root) return;
  const html = document.documentElement;
  const tr = createTranslator(readMessages(document), html.lang || 'en', html.dir === 'rtl' ? 'rtl' : 'ltr');
  const csrf = root.dataset.csrf ?? '';
  const returnTo = readReturnTo(window.location.search, sessionStore());
  const releases = new ReleasesApi(csrf);
  const app = new VaultApp({
    root,
    tr,
    api: new VaultApi(csrf),
    email: root.dataset.email ?? '',
    screens: { setup: setupScreen, unlock: unlockScreen, documents: documentsScreen },
    storage: versionStore(),
    inbox: new InboxApi(csrf),
    emailVerifier: new EmailVerifierApi(csrf),
    releases,
    ...(returnTo ? { returnTo } : {}),
  });
  const reminder = document.getElementById('recovery-reminder');
  if (reminder) app.reminder = new RecoveryReminder(app, reminder);
  void app.start();
  const sharing = document.getElementById('sharing-history');
  // "Show what was sent" opens sealed records with the vault's key, while it is unlocked.
  if (sharing) void sharingHistory(sharing, tr, releases, app);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
else start();
