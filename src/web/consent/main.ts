/**
 * The passport consent bundle (public/build/consent.js), loaded only on the
 * passport consent page. Strings come translated in a JSON data block
 * (#consent-i18n), the request in another (#passport-release), the interaction's
 * CSRF token in #passport-consent's data attribute.
 */
import { createTranslator, readMessages } from '../vault/i18n.js';
import type { VersionStore } from '../vault/rollback.js';
import { readReleaseData } from './data.js';
import { ConsentPage } from './page.js';

function storage(kind: 'localStorage' | 'sessionStorage'): VersionStore | undefined {
  try {
    return window[kind];
  } catch {
    return undefined;
  }
}

function start(): void {
  const root = document.getElementById('passport-consent');
  if (!root) return;
  const html = document.documentElement;
  const tr = createTranslator(readMessages(document, 'consent-i18n'), html.lang || 'en', html.dir === 'rtl' ? 'rtl' : 'ltr');
  const clientName = root.dataset.clientName ?? '';
  let data;
  try {
    data = readReleaseData(document);
  } catch {
    const box = document.createElement('p');
    box.className = 'vault-message vault-message-alert';
    box.setAttribute('role', 'alert');
    box.textContent = tr.t('passport.error.data', { client: clientName });
    root.replaceChildren(box);
    return;
  }
  const page = new ConsentPage({
    root,
    asksSlot: document.getElementById('passport-asks'),
    decision: document.getElementById('passport-decision'),
    keySlot: document.getElementById('passport-key'),
    tr,
    data,
    clientName,
    csrf: root.dataset.csrf ?? '',
    storage: storage('localStorage'),
    session: storage('sessionStorage'),
  });
  void page.start();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
else start();
