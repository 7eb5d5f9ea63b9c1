import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { APIResponse, Page } from 'playwright-core';
import { t } from '../../src/i18n/index.js';
import {
  createVault,
  fileLinkFor,
  nextStateRecord,
  rewrapMasterKey,
  sealElement,
  sealFile,
  signState,
  stateRecord,
  type ElementToSeal,
  type ElementType,
  type FileLink,
  type StateChange,
  type StateRecord,
} from '../../src/protocol/index.js';
import { launchBrowser, type LaunchedBrowser } from '../helpers/browser.js';
import { e2eEngines } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { alterServedVault, heading, randomJpeg, screenshots, signUpToAccount, unlock } from '../helpers/vault-ui.js';

const shot = screenshots('vault-rollback-');

/**
 * DESIGN 5.8 in a real Chromium: a server that serves an element rolled back
 * with its own old version (a valid ciphertext), an older wrapped MK, or drops,
 * resurrects or re-links elements is refused by the state record, with a warning;
 * a whole vault without its record is refused where a record was seen; a vault
 * set up before records gets its first at the first clean unlock.
 */
const en = (key: string, vars?: Record<string, string | number>) => t('en', key, vars as Record<string, string>);
const button = (page: Page, key: string) => page.getByRole('button', { name: en(key), exact: true });
const card = (page: Page, type: string) => page.locator(`article.element-card[data-type="${type}"]`);
const docs = (page: Page) => heading(page, en('vault.docs.heading'));

describe.each(e2eEngines())('the vault state record, in Chromium (%s)', (engine) => {
  let server: TestServer;
  let browser: LaunchedBrowser;
  let page: Page;
  const oldPassphrase = 'amber falcon meadow quartz 11';
  const passphrase = 'cobalt heron violet summit 12';
  const ids = { email: randomUUID(), phone: randomUUID(), passport: randomUUID(), internal: randomUUID(), deleted: randomUUID() };
  /** Bodies as the server once served them, for a malicious server to replay. */
  const old: Record<string, any> = {};

  /** Seals and stores the vault through the real API, with a state record on every write, as the page would. */
  async function seed() {
    const csrf = (await page.locator('#vault-app').getAttribute('data-csrf'))!;
    const api = `${server.url}/api/vault`;
    const headers = { 'X-CSRF-Token': csrf };
    const check = async (response: APIResponse) => {
      if (!response.ok()) throw new Error(`${response.url()}: ${response.status()} ${await response.text()}`);
      return response.json();
    };
    const vaultId = randomUUID();
    const created = await createVault({ passphrase: oldPassphrase, vaultId });
    const mk = created.mk;
    let state: StateRecord = stateRecord({
      vaultId,
      vaultVersion: 1,
      keys: { kdf: created.kdf, wrappedMk: created.wrappedMk, recoveryWrappedMk: created.recoveryWrappedMk },
      elements: [],
    });
    const signed = (change: StateChange) => {
      state = nextStateRecord(state, change);
      return signState(mk, state);
    };
    const setup = { vault_id: vaultId, kdf: created.kdf, wrapped_mk: created.wrappedMk, recovery_wrapped_mk: created.recoveryWrappedMk };
    await check(await page.request.post(api, { headers, data: { ...setup, ...signState(mk, state) } }));
    old.keys = { kdf: created.kdf, wrapped_mk: created.wrappedMk };

    const upload = async () => {
      const id = randomUUID();
      const sealed = sealFile(mk, { id, mediaType: 'image/jpeg', bytes: await randomJpeg(page, { width: 80 }) });
      const query = new URLSearchParams({ id, media_type: 'image/jpeg', wrapped_key: sealed.wrappedKey });
      await check(await page.request.post(`${api}/files?${query}`, { headers: { ...headers, 'Content-Type': 'application/octet-stream' }, data: Buffer.from(sealed.ciphertext) }));
      return fileLinkFor(sealed);
    };
    const put = async (id: string, type: ElementType, version: number, data: Record<string, string>, files: Record<string, FileLink> = {}) => {
      const sealed = sealElement(mk, { id, type, version, data, files } as unknown as ElementToSeal<ElementType>);
      const fileIds = Object.values(files).map((l) => l.id);
      const body = { type, version, wrapped_key: sealed.wrappedKey, ciphertext: sealed.ciphertext, file_ids: fileIds };
      await check(await page.request.put(`${api}/elements/${id}`, { headers, data: { ...body, ...signed({ kind: 'put', id, version, files: fileIds }) } }));
      return body;
    };
    old.email = await put(ids.email, 'email', 1, { email: 'zq-old@example.org' });
    await put(ids.email, 'email', 2, { email: 'zq-new@example.org' });
    await put(ids.phone, 'phone_number', 1, { phone_number: '+97336001234' });
    await put(ids.passport, 'passport', 1, { document_number: 'ZQPASS1', issuing_country: 'BH' }, { front_side: await upload() });
    await put(ids.internal, 'internal_passport', 1, { document_number: 'ZQINT2', issuing_country: 'BH' }, { front_side: await upload() });
    old.deleted = { id: ids.deleted, ...(await put(ids.deleted, 'address', 1, { street_address: 'ZqStreet', locality: 'ZqTown', postal_code: '1010', country: 'BH' })) };
    await check(await page.request.delete(`${api}/elements/${ids.deleted}?version=1`, { headers, data: signed({ kind: 'delete', id: ids.deleted }) }));

    // A new passphrase: the old wrap is what a rolling-back server would serve.
    const rewrapped = await rewrapMasterKey(mk, passphrase, vaultId);
    const keys = { kdf: rewrapped.kdf, wrappedMk: rewrapped.wrappedMk, recoveryWrappedMk: created.recoveryWrappedMk };
    await check(await page.request.put(`${api}/key`, { headers, data: { kdf: rewrapped.kdf, wrapped_mk: rewrapped.wrappedMk, vault_version: state.vault_version, ...signed({ kind: 'keys', keys }) } }));
    mk.fill(0);
  }

  /** Serves GET /api/vault altered by `alter`. */
  async function serveVault(alter: (vault: Record<string, any>) => void) {
    await alterServedVault(page, alter);
    await page.reload();
    await heading(page, en('vault.unlock.heading')).waitFor();
  }
  const element = (vault: Record<string, any>, id: string) => (vault.elements as Record<string, any>[]).find((e) => e.id === id)!;
  const warning = (key: string, count = 1) => page.getByRole('alert').filter({ hasText: en(`vault.state.${key}`, { count }) });
  const unreadable = async (type: string) => (await card(page, type).textContent())!.includes(en('vault.unreadable'));

  beforeAll(async () => {
    server = await startTestServer(engine);
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await signUpToAccount(page, server.url, 'en', `rollback-${engine}@example.com`);
    await heading(page, en('vault.setup.heading')).waitFor();
    await seed();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    await page.unrouteAll({ behavior: 'wait' });
    await page.goto(`${server.url}/account`);
    await heading(page, en('vault.unlock.heading')).waitFor();
  });

  it('opens the honest vault whole, with no warning', async () => {
    await unlock(page, 'en', passphrase);
    for (const type of ['email', 'phone_number', 'passport', 'internal_passport']) expect(await unreadable(type)).toBe(false);
    expect(await card(page, 'email').textContent()).toContain('zq-new@example.org');
    expect(await page.locator('#vault-app').textContent()).not.toContain(en('vault.state.elements'));
  });

  it('refuses an element rolled back with its own old version, and says so', async () => {
    await serveVault((vault) => Object.assign(element(vault, ids.email), { version: 1, wrapped_key: old.email.wrapped_key, ciphertext: old.email.ciphertext }));
    await unlock(page, 'en', passphrase);
    await warning('rolled_back').waitFor();
    expect(await unreadable('email')).toBe(true);
    expect(await page.locator('#vault-app').textContent()).not.toContain('zq-old@example.org');
    expect(await unreadable('phone_number')).toBe(false);
    if (process.env.SCREENSHOT_DIR) {
      // For people to look at: the warning in English and Arabic, desktop and phone.
      await shot(page, 'rolled-back-en-desktop', true);
      await page.goto(`${server.url}/account?lang=ar`);
      await unlock(page, 'ar', passphrase);
      await page.getByRole('alert').filter({ hasText: t('ar', 'vault.state.rolled_back', { count: '1' }) }).waitFor();
      await shot(page, 'rolled-back-ar-desktop', true);
      await page.setViewportSize({ width: 390, height: 844 });
      await shot(page, 'rolled-back-ar-phone', true);
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(`${server.url}/account?lang=en`);
    }
  });

  it('refuses a dropped element and a resurrected one', async () => {
    await serveVault((vault) => {
      vault.elements = (vault.elements as Record<string, any>[]).filter((e) => e.id !== ids.phone);
      vault.elements.push({ ...old.deleted, updated_at: new Date().toISOString(), files: [] });
    });
    await unlock(page, 'en', passphrase);
    await warning('dropped').waitFor();
    await warning('resurrected').waitFor();
    expect(await unreadable('address')).toBe(true);
    expect(await page.locator('#vault-app').textContent()).not.toContain('ZqStreet');
    expect(await unreadable('email')).toBe(false);
  });

  it('refuses elements whose scans were swapped', async () => {
    await serveVault((vault) => {
      const a = element(vault, ids.passport);
      const b = element(vault, ids.internal);
      [a.files, b.files] = [b.files, a.files];
    });
    await unlock(page, 'en', passphrase);
    await warning('files', 2).waitFor();
    expect(await unreadable('passport')).toBe(true);
    expect(await unreadable('internal_passport')).toBe(true);
    expect(await unreadable('email')).toBe(false);
  });

  it('refuses the whole vault for an older wrapped MK, even when the old passphrase opens it', async () => {
    await serveVault((vault) => Object.assign(vault, old.keys));
    await page.getByLabel(en('vault.passphrase'), { exact: true }).fill(oldPassphrase);
    await button(page, 'vault.unlock.submit').click();
    await page.getByRole('alert').filter({ hasText: en('vault.state.refused.keys') }).waitFor();
    await heading(page, en('vault.unlock.heading')).waitFor();
    expect(await docs(page).count()).toBe(0);
    expect(await page.locator('article.element-card').count()).toBe(0);
  });

  it('refuses a vault whose record was stripped, forged or replayed, on a browser that saw one', async () => {
    const cases: [string, (vault: Record<string, any>) => void][] = [
      ['missing', (vault) => Object.assign(vault, { state: null, state_mac: null })],
      // The record edited to say the phone number is at version 2, without the key to MAC it.
      ['forged', (vault) => void (vault.state = (vault.state as string).replace(`"id":"${ids.phone}","version":1`, `"id":"${ids.phone}","version":2`))],
      ['version', (vault) => void (vault.version += 1)],
    ];
    for (const [kind, alter] of cases) {
      await page.unrouteAll({ behavior: 'wait' });
      await serveVault(alter);
      await page.getByLabel(en('vault.passphrase'), { exact: true }).fill(passphrase);
      await button(page, 'vault.unlock.submit').click();
      await page.getByRole('alert').filter({ hasText: en(`vault.state.refused.${kind}`) }).waitFor();
      expect({ kind, documents: await docs(page).count() }).toEqual({ kind, documents: 0 });
    }
  });
});

describe.each(e2eEngines())('a vault set up before state records, in Chromium (%s)', (engine) => {
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

  it('gets its first record at the first unlock; a rollback after that is refused', async () => {
    const page = await browser.context.newPage();
    await signUpToAccount(page, server.url, 'en', `legacy-${engine}@example.com`);
    await heading(page, en('vault.setup.heading')).waitFor();
    const csrf = (await page.locator('#vault-app').getAttribute('data-csrf'))!;
    const headers = { 'X-CSRF-Token': csrf };
    const api = `${server.url}/api/vault`;
    const passphrase = 'saffron glacier lantern tide 13';
    const vaultId = randomUUID();
    const created = await createVault({ passphrase, vaultId });
    // No state record anywhere: as a client before DESIGN 5.8 wrote it.
    await page.request.post(api, { headers, data: { vault_id: vaultId, kdf: created.kdf, wrapped_mk: created.wrappedMk, recovery_wrapped_mk: created.recoveryWrappedMk } });
    const id = randomUUID();
    const bodies = [1, 2].map((version) => {
      const sealed = sealElement(created.mk, { id, type: 'email', version, data: { email: `zq-v${version}@example.org` }, files: {} } as unknown as ElementToSeal<ElementType>);
      return { type: 'email', version, wrapped_key: sealed.wrappedKey, ciphertext: sealed.ciphertext, file_ids: [] };
    });
    for (const body of bodies) expect((await page.request.put(`${api}/elements/${id}`, { headers, data: body })).status()).toBe(200);
    created.mk.fill(0);

    await page.goto(`${server.url}/account`);
    const recorded = page.waitForResponse((r) => r.url().endsWith('/api/vault/state') && r.request().method() === 'PUT');
    await unlock(page, 'en', passphrase);
    expect((await recorded).status()).toBe(200);
    const stored = (await (await page.request.get(api)).json()) as { vault: { state: string; version: number } };
    expect(JSON.parse(stored.vault.state)).toMatchObject({ vault_id: vaultId, vault_version: stored.vault.version, elements: [{ id, version: 2, files: [] }] });

    await page.route('**/api/vault', async (route) => {
      const response = await route.fetch();
      const body = await response.json();
      Object.assign(body.vault.elements[0], { version: 1, wrapped_key: bodies[0]!.wrapped_key, ciphertext: bodies[0]!.ciphertext });
      await route.fulfill({ response, json: body });
    });
    await page.reload();
    await unlock(page, 'en', passphrase);
    await page.getByRole('alert').filter({ hasText: en('vault.state.rolled_back', { count: 1 }) }).waitFor();
    expect(await page.locator('#vault-app').textContent()).not.toContain('zq-v1@example.org');
    await page.close();
  });
});
