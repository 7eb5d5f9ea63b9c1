/** First visit: choose a passphrase, create the vault, then show the recovery code once. */
import { createVault, generateHolderKeys, holderKeyIds, sealHolderKeys, signState, stateRecord } from '../../../protocol/index.js';
import { ApiError } from '../api.js';
import type { VaultApp } from '../app.js';
import { h } from '../dom.js';
import { messageBox, screenHeading } from './common.js';
import { busyDeriving, derivingNote } from './progress.js';
import { newPassphraseFields, passphraseRules } from './passphrase.js';
import { recoveryCodeScreen } from './recovery-code.js';

export function setupScreen(app: VaultApp): HTMLElement {
  const { t } = app;
  const alert = messageBox('alert');
  const passphrase = newPassphraseFields(app, 'vault.passphrase');
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, t('vault.setup.submit'));

  const deriving = derivingNote(t('vault.unlock.deriving'));
  const form = h(
    'form',
    { class: 'stack', novalidate: true },
    ...passphrase.nodes,
    h('div', { class: 'actions' }, submit),
    deriving.el,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    alert.clear();
    const chosen = passphrase.validate();
    if (chosen === undefined) return;
    void busyDeriving(submit, t('vault.deriving'), deriving, async () => {
      try {
        const vaultId = crypto.randomUUID();
        const created = await createVault({ passphrase: chosen, vaultId });
        let version: number;
        try {
          // Holder keys (DESIGN 5.5): only their sealed private halves leave the page.
          const holderKeys = sealHolderKeys(created.mk, vaultId, await generateHolderKeys());
          // The first state record (DESIGN 5.8): an empty vault at version 1, with the holder keys' ids.
          const keys = { kdf: created.kdf, wrappedMk: created.wrappedMk, recoveryWrappedMk: created.recoveryWrappedMk };
          const state = signState(created.mk, stateRecord({ vaultId, vaultVersion: 1, keys, elements: [], holderKeys: holderKeyIds(holderKeys) }));
          ({ vault_version: version } = await app.api.setUp({
            vault_id: vaultId,
            kdf: created.kdf,
            wrapped_mk: created.wrappedMk,
            recovery_wrapped_mk: created.recoveryWrappedMk,
            holder_keys: holderKeys,
            ...state,
          }));
        } catch (err) {
          created.mk.fill(0);
          throw err;
        }
        passphrase.clear();
        app.observeVersion(vaultId, version);
        // The code is shown before anything else can fail. The idle lock starts once
        // it is saved: writing it down can take a while.
        app.keys.hold(created.mk);
        app.show(
          'recovery-code',
          recoveryCodeScreen(app, { code: created.recoveryCode, recoveryWrappedMk: created.recoveryWrappedMk }, (notice) => {
            app.idle.start();
            void app.reloadDocuments(notice ?? { kind: 'status', text: t('vault.setup.done') });
          }),
        );
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) {
          // Set up meanwhile in another tab: unlock that vault instead.
          app.notice = { kind: 'alert', text: t('vault.setup.exists') };
          await app.start();
          return;
        }
        alert.show(app.errorText(err));
      }
    });
  });

  return h(
    'section',
    { class: 'vault-screen vault-setup' },
    screenHeading(t('vault.setup.heading')),
    app.noticeBox(),
    h('p', { class: 'lead' }, t('vault.setup.intro')),
    h('h3', { class: 'vault-subheading' }, t('vault.setup.rules_heading')),
    passphraseRules(app),
    alert.el,
    form,
  );
}
