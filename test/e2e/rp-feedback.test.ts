import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import * as oidc from 'openid-client';
import type { Page, Request } from 'playwright-core';
import { t, type Locale } from '../../src/i18n/index.js';
import { findElement, openRelease, reportErrors } from '../../src/rp/index.js';
import { Browsers, openWatchedPage } from '../helpers/browser.js';
import { e2eEngines } from '../helpers/db.js';
import { discover, startCallbackListener, type CallbackListener } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addElement, heading, randomJpeg, setUpVault, shotsAtSizes, signUpToAccount, ui, unlock } from '../helpers/vault-ui.js';
import { rpReleaseKey } from '../helpers/rp-key.js';

/**
 * RP feedback end to end (DESIGN 5.7), in a real Chromium: the holder shares a
 * passport; the RP (openid-client + the RP SDK) reports that its expiry date does
 * not match the scan; the holder sees that on the document, and the consent page
 * will not send it unchanged; the holder corrects it and shares again, and the RP
 * receives the corrected value. The sharing history shows, from the sealed
 * records, exactly what each release sent. Nothing of it reaches the server in clear.
 * SCREENSHOT_DIR=/tmp/shots saves pictures (desktop and phone, English and Arabic).
 */

const M = {
  number: 'ZQ9FEEDBACK1',
  wrongExpiry: '2031-02-27',
  rightExpiry: '2032-11-19',
  email: 'zq9feedback-mail@example.org',
};
const SCOPE = { v: 1, data: [{ type: 'passport', fields: ['document_number', 'issuing_country', 'date_of_expiry'] }, 'email'] };
const MESSAGE = 'Does not match the scan';
const CLIENT = 'Zq Bank';
const PASSPHRASE = 'Zq9 harbour lantern quiet meadow';

describe.each(e2eEngines())('RP feedback in Chromium (%s)', (engine) => {
  let server: TestServer;
  let rp: CallbackListener;
  const browsers = new Browsers();
  const shots = shotsAtSizes(`rp-feedback-${engine}-`);

  beforeAll(async () => {
    server = await startTestServer(engine);
    rp = await startCallbackListener();
  });
  afterAll(async () => {
    await server?.close();
    await rp?.close();
  });
  afterEach(() => browsers.closeAll());

  async function rpClient() {
    const { publicJwk, keyring } = await rpReleaseKey();
    const client = await server.services.clients.create({ client_name: CLIENT, redirect_uris: [rp.redirectUri], scope: 'openid passport', jwks: { keys: [publicJwk as never] } });
    return { client, keyring, config: await discover(server.url, client.client_id, client.client_secret) };
  }

  async function authorization(config: oidc.Configuration) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: rp.redirectUri,
      scope: 'openid passport',
      passport_scope: JSON.stringify(SCOPE),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url, verifier, state, nonce };
  }

  /** Clicks Share, follows the redirect to the RP, redeems the code and opens the release with the SDK. */
  async function share(page: Page, rpc: Awaited<ReturnType<typeof rpClient>>, auth: Awaited<ReturnType<typeof authorization>>) {
    const callback = page.waitForRequest((r) => r.url().startsWith(rp.redirectUri));
    await page.getByRole('button', { name: ui('en', 'passport.share', { client: CLIENT }) }).click();
    const url = new URL((await callback).url());
    await page.waitForURL((u) => u.href.startsWith(rp.redirectUri));
    const tokens = await oidc.authorizationCodeGrant(rpc.config, url, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
    const sub = tokens.claims()!.sub;
    const release = await openRelease((await oidc.fetchUserInfo(rpc.config, tokens.access_token, sub)).passport as string, {
      keys: rpc.keyring,
      issuer: server.url,
      clientId: rpc.client.client_id,
      subject: sub,
      nonce: auth.nonce,
      requested: SCOPE,
    });
    return { tokens, release };
  }

  /** The passport's card on the account page. */
  const passportCard = (page: Page) => page.locator('article.element-card[data-type="passport"]');

  it('an RP reports an error on a released field; the holder sees it, fixes it, and the RP receives the corrected value', async () => {
    const locale: Locale = 'en';
    const rpc = await rpClient();
    const page = await openWatchedPage(browsers, { viewport: { width: 1280, height: 800 } });
    const bodies: Buffer[] = [];
    page.context().on('request', (r: Request) => {
      const body = r.postDataBuffer();
      if (body) bodies.push(body);
      bodies.push(Buffer.from(r.url(), 'utf8'));
    });

    await signUpToAccount(page, server.url, locale, `feedback-${engine}@example.com`);
    await setUpVault(page, locale, PASSPHRASE);
    await addElement(page, locale, 'passport', { document_number: M.number, issuing_country: 'JO', date_of_expiry: M.wrongExpiry }, { front_side: await randomJpeg(page) });
    await addElement(page, locale, 'email', { email: M.email });

    // 1. The first release; the RP finds the expiry date wrong and says so.
    const first = await authorization(rpc.config);
    await page.goto(first.url.href);
    await unlock(page, locale, PASSPHRASE, 'consent');
    const one = await share(page, rpc, first);
    const sent = findElement(one.release, 'passport')!;
    expect(sent.data.date_of_expiry).toBe(M.wrongExpiry);
    expect(sent.ref).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(findElement(one.release, 'email')!.ref).not.toBe(sent.ref);
    expect(await reportErrors({ issuer: server.url, accessToken: one.tokens.access_token, errors: [{ ref: sent.ref!, field: 'date_of_expiry', message: MESSAGE }] })).toEqual({ errors: 1 });

    // 2. The holder sees it on the document: "<Service>: <field>: <message>".
    await page.goto(`${server.url}/account`);
    await unlock(page, locale, PASSPHRASE);
    const feedback = passportCard(page).locator('[data-feedback] li');
    await feedback.waitFor();
    expect(await feedback.textContent()).toBe(`${CLIENT}: ${t(locale, 'field.date_of_expiry')}: ${MESSAGE}`);
    expect(await feedback.locator('.feedback-message').getAttribute('dir')).toBe('auto');
    expect(await page.locator('article.element-card[data-type="email"] [data-feedback]').count()).toBe(0);
    await shots(page, 'en-1-vault-error');

    // 3. The sharing history shows, from the sealed record, exactly what went.
    const entry = page.locator('#sharing-history li.release').first();
    await entry.getByRole('button', { name: t(locale, 'vault.sharing.show_sent') }).click();
    const record = entry.locator('.sent-record');
    await record.locator('.sent-element').first().waitFor();
    const recordText = (await record.textContent())!;
    for (const value of [M.number, 'February 27, 2031', M.email, t(locale, 'vault.sharing.sent_scan', { slot: t(locale, 'slot.front_side'), type: 'JPEG' }), MESSAGE]) expect(recordText).toContain(value);
    await shots(page, 'en-2-sharing-record');

    // In Arabic too: the same error on the document, the page right to left.
    await page.goto(`${server.url}/account?lang=ar`);
    await unlock(page, 'ar', PASSPHRASE);
    await passportCard(page).locator('[data-feedback] li').waitFor();
    expect(await passportCard(page).locator('[data-feedback] li').textContent()).toContain(t('ar', 'field.date_of_expiry'));
    expect(await page.locator('html').getAttribute('dir')).toBe('rtl');
    await shots(page, 'ar-1-vault-error');
    await page.goto(`${server.url}/account?lang=en`);

    // 4. A new request: consent will not send the passport unchanged.
    const second = await authorization(rpc.config);
    await page.goto(second.url.href);
    await unlock(page, locale, PASSPHRASE, 'consent');
    const block = page.locator('.share-feedback');
    await block.waitFor();
    expect(await block.textContent()).toContain(MESSAGE);
    expect(await block.textContent()).toContain(t(locale, 'passport.feedback.blocked'));
    const shareButton = page.getByRole('button', { name: ui(locale, 'passport.share', { client: CLIENT }) });
    expect(await shareButton.isDisabled()).toBe(true);
    await shots(page, 'en-3-consent-blocked');

    // 5. The holder corrects it right here, with the vault's own editor (same encryption, same state record).
    await page.getByRole('button', { name: t(locale, 'passport.feedback.edit'), exact: true }).click();
    await heading(page, t(locale, 'element.passport')).waitFor();
    await page.getByLabel(t(locale, 'field.date_of_expiry'), { exact: true }).fill(M.rightExpiry);
    await page.getByRole('button', { name: t(locale, 'vault.save'), exact: true }).click();
    await heading(page, t(locale, 'passport.review_heading')).waitFor();

    // 6. Back on the review: the edit made a new version, which closes the error; the RP receives the corrected value.
    expect(await page.locator('.share-feedback').count()).toBe(0);
    expect(await shareButton.isDisabled()).toBe(false);
    const two = await share(page, rpc, second);
    expect(findElement(two.release, 'passport')!.data).toEqual({ document_number: M.number, issuing_country: 'JO', date_of_expiry: M.rightExpiry });
    expect(findElement(two.release, 'passport')!.ref).not.toBe(sent.ref);

    // 7. Each release's record shows what it sent: the new one the corrected date, the old one the wrong date.
    await page.goto(`${server.url}/account`);
    await unlock(page, locale, PASSPHRASE);
    // The corrected document carries no error in the vault either.
    await passportCard(page).waitFor();
    expect(await passportCard(page).locator('[data-feedback]').count()).toBe(0);
    const entries = page.locator('#sharing-history li.release');
    await entries.nth(1).waitFor();
    for (const [index, date] of [[0, 'November 19, 2032'], [1, 'February 27, 2031']] as const) {
      await entries.nth(index).getByRole('button', { name: t(locale, 'vault.sharing.show_sent') }).click();
      await entries.nth(index).locator('.sent-element').first().waitFor();
      expect(await entries.nth(index).locator('.sent-record').textContent()).toContain(date);
    }
    // Locking closes them: the values leave the page with the key.
    await page.getByRole('button', { name: t(locale, 'vault.lock') }).click();
    expect(await page.locator('.sent-element').count()).toBe(0);
    await entries.first().getByRole('button', { name: t(locale, 'vault.sharing.show_sent') }).click();
    await entries.first().getByText(t(locale, 'vault.sharing.unlock_to_see')).waitFor();

    // Zero knowledge: the records' values are in no request body and no database row.
    const rows = await sql<{ refs: unknown; sharing_record: string | null; errors: unknown }>`select refs, sharing_record, errors from releases`.execute(server.database.db);
    expect(rows.rows).toHaveLength(2);
    expect(rows.rows.every((r) => typeof r.sharing_record === 'string' && r.sharing_record.length > 100)).toBe(true);
    const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(server.database.db);
    const dump: string[] = [];
    for (const { table_name } of tables.rows) {
      const all = await sql<Record<string, unknown>>`select * from ${sql.table(table_name)}`.execute(server.database.db);
      for (const row of all.rows) for (const value of Object.values(row)) dump.push(value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : JSON.stringify(value) ?? '');
    }
    const haystack = [...dump, ...bodies.map((b) => b.toString('utf8'))].join('\n').toLowerCase();
    for (const secret of [M.number, M.wrongExpiry, M.rightExpiry, M.email, PASSPHRASE]) {
      expect({ secret, found: haystack.includes(secret.toLowerCase()) }).toEqual({ secret, found: false });
    }
    // …while the check looks in the right place: the RP's message is stored, as sent.
    expect(haystack).toContain(MESSAGE.toLowerCase());
    expect(page.errors).toEqual([]);
  });
});
