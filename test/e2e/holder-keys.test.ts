import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { t } from '../../src/i18n/index.js';
import {
  base64urlDecode,
  createHolderKeys,
  createVault,
  decodeStateRecord,
  holderKeyPlaintext,
  openHolderKey,
  signState,
  stateRecord,
  unlockVault,
  type StoredHolderKey,
} from '../../src/protocol/index.js';
import { launchBrowser, type LaunchedBrowser } from '../helpers/browser.js';
import { e2eEngines } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { alterServedVault, heading, setUpVault, signUpToAccount, unlock } from '../helpers/vault-ui.js';

/**
 * Holder keys (DESIGN 5.5) in a real Chromium: a new vault gets an enc and a
 * sig key whose private halves leave the page only sealed; a vault set up before
 * holder keys gets them at its first unlock; a server that swaps, drops or
 * re-seals them is refused by the state record (DESIGN 5.8) and the open check.
 */
const en = (key: string) => t('en', key);
const docs = (page: Page) => heading(page, en('vault.docs.heading'));

interface Sent {
  method: string;
  url: string;
  body: Buffer;
}

/** Every request the page sends, with its body. */
function recordRequests(page: Page): Sent[] {
  const sent: Sent[] = [];
  page.on('request', (r) => sent.push({ method: r.method(), url: r.url(), body: r.postDataBuffer() ?? Buffer.alloc(0) }));
  return sent;
}

async function served(page: Page, url: string) {
  return ((await (await page.request.get(`${url}/api/vault`)).json()) as { vault: Record<string, any> }).vault;
}

/** MK from the passphrase, the way the page derives it. */
async function masterKey(vault: Record<string, any>, passphrase: string) {
  return unlockVault({ passphrase, vaultId: vault.vault_id, kdf: vault.kdf, wrappedMk: vault.wrapped_mk });
}

describe.each(e2eEngines())('holder keys, in Chromium (%s)', (engine) => {
  let server: TestServer;
  let browser: LaunchedBrowser;
  let page: Page;
  const passphrase = 'juniper beacon orchard pebble 21';
  let keys: StoredHolderKey[];

  beforeAll(async () => {
    server = await startTestServer(engine);
    browser = await launchBrowser();
    page = await browser.context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    await page.unrouteAll({ behavior: 'wait' });
  });

  it('a new vault gets one enc and one sig key; only their sealed private halves are ever sent', async () => {
    const sent = recordRequests(page);
    await signUpToAccount(page, server.url, 'en', `holder-keys-${engine}@example.com`);
    await setUpVault(page, 'en', passphrase);
    const vault = await served(page, server.url);
    keys = vault.holder_keys;
    expect(keys.map((k) => [k.use, k.public_jwk.alg, k.public_jwk.crv])).toEqual([
      ['enc', 'ECDH-ES+A256KW', 'P-256'],
      ['sig', 'ES256', 'P-256'],
    ]);
    expect(JSON.parse(vault.state).holder_keys).toEqual(keys.map((k) => k.public_jwk.kid).sort());

    const mk = await masterKey(vault, passphrase);
    const setup = sent.filter((s) => s.method === 'POST' && new URL(s.url).pathname === '/api/vault');
    expect(setup).toHaveLength(1);
    expect(JSON.parse(setup[0]!.body.toString('utf8')).holder_keys).toEqual(keys);
    for (const key of keys) {
      const opened = openHolderKey(mk, vault.vault_id, key);
      // d as text, as raw bytes, and the whole sealed plaintext: in no URL and no body.
      const needles = [Buffer.from(opened.d), Buffer.from(base64urlDecode(opened.d)), Buffer.from(holderKeyPlaintext(opened))];
      for (const request of sent) {
        for (const needle of needles) {
          expect({ url: request.url, found: request.body.includes(needle) || request.url.includes(opened.d) }).toEqual({ url: request.url, found: false });
        }
      }
    }
    mk.fill(0);
    page.removeAllListeners('request');
  });

  it('refuses a vault whose server swapped, dropped or re-sealed a holder key', async () => {
    const intruder = await createHolderKeys(new Uint8Array(randomBytes(32)), randomUUID());
    const cases: [string, (vault: Record<string, any>) => void][] = [
      ['a swapped sig key', (vault) => void (vault.holder_keys[1] = intruder[1])],
      ['both keys swapped', (vault) => void (vault.holder_keys = intruder)],
      ['keys dropped', (vault) => void (vault.holder_keys = [])],
      // The recorded public keys, with private halves the page did not seal for them.
      ['private halves exchanged', (vault) => void ([vault.holder_keys[0].sealed_private, vault.holder_keys[1].sealed_private] = [vault.holder_keys[1].sealed_private, vault.holder_keys[0].sealed_private])],
      ['a foreign private half', (vault) => void (vault.holder_keys[0].sealed_private = intruder[0]!.sealed_private)],
      ['a malformed key', (vault) => void delete vault.holder_keys[0].public_jwk.kid],
    ];
    const writes: string[] = [];
    page.on('request', (r) => void (r.method() !== 'GET' && writes.push(`${r.method()} ${new URL(r.url()).pathname}`)));
    for (const [name, alter] of cases) {
      await page.unrouteAll({ behavior: 'wait' });
      await alterServedVault(page, alter);
      await page.goto(`${server.url}/account`);
      await heading(page, en('vault.unlock.heading')).waitFor();
      await page.getByLabel(en('vault.passphrase'), { exact: true }).fill(passphrase);
      await page.getByRole('button', { name: en('vault.unlock.submit'), exact: true }).click();
      await page.getByRole('alert').filter({ hasText: en('vault.state.refused.holder_keys') }).waitFor();
      expect({ name, documents: await docs(page).count() }).toEqual({ name, documents: 0 });
    }
    // Nothing was written: above all, no new holder keys in place of dropped ones.
    expect(writes).toEqual([]);
    page.removeAllListeners('request');
    expect((await served(page, server.url)).holder_keys).toEqual(keys);

    await page.unrouteAll({ behavior: 'wait' });
    await page.goto(`${server.url}/account`);
    await unlock(page, 'en', passphrase);
    expect(await page.locator('#vault-app').textContent()).not.toContain(en('vault.state.refused.holder_keys'));
  });
});

describe.each(e2eEngines())('a vault set up before holder keys, in Chromium (%s)', (engine) => {
  let server: TestServer;
  let browser: LaunchedBrowser;

  beforeAll(async () => {
    server = await startTestServer(engine);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('gets them, quietly, at the first unlock, with a record naming them', async () => {
    const page = await browser.context.newPage();
    await signUpToAccount(page, server.url, 'en', `old-vault-${engine}@example.com`);
    await heading(page, en('vault.setup.heading')).waitFor();
    const csrf = (await page.locator('#vault-app').getAttribute('data-csrf'))!;
    const passphrase = 'marble thistle canyon ember 22';
    const vaultId = randomUUID();
    const created = await createVault({ passphrase, vaultId });
    // As the page wrote vaults before DESIGN 5.5: a state record, no holder keys.
    const keys = { kdf: created.kdf, wrappedMk: created.wrappedMk, recoveryWrappedMk: created.recoveryWrappedMk };
    const first = signState(created.mk, stateRecord({ vaultId, vaultVersion: 1, keys, elements: [] }));
    const setup = { vault_id: vaultId, kdf: created.kdf, wrapped_mk: created.wrappedMk, recovery_wrapped_mk: created.recoveryWrappedMk, ...first };
    expect((await page.request.post(`${server.url}/api/vault`, { headers: { 'X-CSRF-Token': csrf }, data: setup })).status()).toBe(201);

    await page.goto(`${server.url}/account`);
    const stored = page.waitForResponse((r) => r.url().endsWith('/api/vault/holder-keys') && r.request().method() === 'PUT');
    await unlock(page, 'en', passphrase);
    expect((await stored).status()).toBe(200);
    const vault = await served(page, server.url);
    expect(vault.version).toBe(2);
    expect(vault.holder_keys.map((k: StoredHolderKey) => k.use)).toEqual(['enc', 'sig']);
    expect(decodeStateRecord(vault.state)?.holder_keys).toEqual(vault.holder_keys.map((k: StoredHolderKey) => k.public_jwk.kid).sort());
    for (const key of vault.holder_keys) expect(openHolderKey(created.mk, vaultId, key).x).toBe(key.public_jwk.x);
    // Quietly: no message about it.
    expect(await page.getByRole('alert').count()).toBe(0);

    // The next unlock checks them like any other part of the record.
    await alterServedVault(page, (v) => void (v.holder_keys = []));
    await page.reload();
    await page.getByLabel(en('vault.passphrase'), { exact: true }).fill(passphrase);
    await page.getByRole('button', { name: en('vault.unlock.submit'), exact: true }).click();
    await page.getByRole('alert').filter({ hasText: en('vault.state.refused.holder_keys') }).waitFor();
    created.mk.fill(0);
    await page.close();
  });
});
