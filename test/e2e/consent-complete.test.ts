import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import { t, type Locale } from '../../src/i18n/index.js';
import { fetchScan, findElement, openRelease } from '../../src/rp/index.js';
import { Browsers, openWatchedPage, type WatchedPage } from '../helpers/browser.js';
import { e2eEngines } from '../helpers/db.js';
import { discover, startCallbackListener, type CallbackListener } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addElement, heading, randomJpeg, setUpVault, shotsAtSizes, signUpToAccount, ui, unlock } from '../helpers/vault-ui.js';
import { rpReleaseKey } from '../helpers/rp-key.js';

/**
 * Consent that completes itself (issue #11 point 2), in a real Chromium: a
 * document the request needs is added, or a scan it lacks is added, inside the
 * consent page with the vault's own editor; then shared, and the RP
 * (openid-client + the RP SDK) receives it; the vault still opens cleanly on
 * /account (its state record was rewritten with each write). A request that is
 * no longer valid disables Share and offers "Return to <service>".
 * SCREENSHOT_DIR=/tmp/shots saves the screens at desktop and phone sizes.
 */

const SCOPE = { v: 1, data: [{ one_of: ['passport', 'identity_card'], selfie: true }, 'email'] };
const PASSPORT_NO = 'ZQ9COMPLETE1';
const EMAIL = 'zq9-complete@example.org';
const LOGO = 'https://rp.example/logo.jpg';


describe.each(e2eEngines())('consent that completes itself, in Chromium (%s)', (engine) => {
  let server: TestServer;
  let rp: CallbackListener;
  const browsers = new Browsers();
  const shots = shotsAtSizes(`consent-complete-${engine}-`);

  beforeAll(async () => {
    server = await startTestServer(engine);
    rp = await startCallbackListener();
  });
  afterAll(async () => {
    await server?.close();
    await rp?.close();
  });
  afterEach(() => browsers.closeAll());

  async function passportClient(name: string, extra: { client_uri?: string } = {}) {
    const key = await rpReleaseKey();
    const client = await server.services.clients.create({
      client_name: name,
      redirect_uris: [rp.redirectUri],
      scope: 'openid passport',
      policy_uri: 'https://rp.example/privacy',
      logo_uri: LOGO,
      jwks: { keys: [key.publicJwk] as never },
      ...extra,
    });
    return { client, key, config: await discover(server.url, client.client_id, client.client_secret) };
  }

  async function authorization(config: oidc.Configuration, scope: object = SCOPE, extra: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: rp.redirectUri,
      scope: 'openid passport',
      passport_scope: JSON.stringify(scope),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...extra,
    });
    return { url, verifier, state, nonce };
  }

  /** Runs `act`, catches the redirect to the RP and redeems the code with openid-client. */
  async function arriveAtRp(page: Page, config: oidc.Configuration, auth: Awaited<ReturnType<typeof authorization>>, act: () => Promise<void>) {
    const callback = page.waitForRequest((r) => r.url().startsWith(rp.redirectUri));
    await act();
    const url = new URL((await callback).url());
    await page.waitForURL((u) => u.href.startsWith(rp.redirectUri));
    expect(url.searchParams.get('error')).toBeNull();
    return oidc.authorizationCodeGrant(config, url, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
  }

  /** A page whose browser gets the RP's logo from "the RP" (the route stands in for its https site); returns the requests it made. */
  async function pageWithLogo(locale?: string): Promise<{ page: WatchedPage; logoRequests: string[] }> {
    const page = await openWatchedPage(browsers, locale ? { locale } : {});
    const logo = await randomJpeg(page, { width: 112 });
    const logoRequests: string[] = [];
    await page.context().route(LOGO, async (route) => {
      logoRequests.push(route.request().url());
      await route.fulfill({ body: logo, contentType: 'image/jpeg' });
    });
    return { page, logoRequests };
  }

  const shareButton = (page: Page, locale: Locale, client: string) => page.getByRole('button', { name: ui(locale, 'passport.share', { client }) });

  /** Fills the open editor (fields by label, scans by slot label) and saves; back on the review with the "Saved" notice. */
  async function fillAndSave(page: Page, locale: Locale, type: string, values: Record<string, string>, scans: Record<string, Buffer>) {
    for (const [field, value] of Object.entries(values)) {
      const control = page.getByLabel(t(locale, `field.${field}`), { exact: true });
      if ((await control.evaluate((el) => el.tagName)) === 'SELECT') await control.selectOption(value);
      else await control.fill(value);
    }
    for (const [slot, bytes] of Object.entries(scans)) {
      await page.getByLabel(t(locale, `slot.${slot}`), { exact: true }).setInputFiles({ name: `${slot}.jpg`, mimeType: 'image/jpeg', buffer: bytes });
    }
    await page.getByRole('button', { name: t(locale, 'vault.save'), exact: true }).click();
    await heading(page, t(locale, 'passport.review_heading')).waitFor();
    await page.getByText(ui(locale, 'vault.saved', { type: t(locale, `element.${type}`) })).waitFor();
  }

  /** The account page opens the vault without any state warning: the consent page's writes carried the state record. */
  async function vaultOpensCleanly(page: WatchedPage, locale: Locale, passphrase: string) {
    await page.goto(`${server.url}/account`);
    await unlock(page, locale, passphrase);
    expect(await page.locator('.vault-message-danger:not([hidden])').count()).toBe(0);
    expect(await page.getByText(t(locale, 'vault.docs.heading')).count()).toBeGreaterThan(0);
  }

  it('adds a missing passport, then its missing selfie, inside consent; the RP gets them; the vault opens cleanly', async () => {
    const locale: Locale = 'en';
    const clientName = 'Zq Bank';
    const { client, key, config } = await passportClient(clientName);
    const { page, logoRequests } = await pageWithLogo();
    const passphrase = 'Zq9 harbour lamp cedar minaret';
    await signUpToAccount(page, server.url, locale, `complete-${engine}@example.com`);
    await setUpVault(page, locale, passphrase);
    await addElement(page, locale, 'email', { email: EMAIL });
    const front = await randomJpeg(page);
    const selfie = await randomJpeg(page);

    const auth = await authorization(config);
    await page.goto(auth.url.href);
    // The RP's logo (loaded by the browser) and policy link, and what its key's fingerprint is for.
    const logo = page.locator('img.client-logo');
    expect(await logo.getAttribute('src')).toBe(LOGO);
    expect(await logo.evaluate((el: HTMLImageElement) => (el.complete ? el.naturalWidth : new Promise<number>((resolve) => el.addEventListener('load', () => resolve(el.naturalWidth), { once: true }))))).toBe(112);
    expect(logoRequests).toEqual([LOGO]);
    expect(await page.getByRole('link', { name: t(locale, 'client.policy') }).getAttribute('href')).toBe('https://rp.example/privacy');
    expect(await page.locator('#passport-key').textContent()).toContain(ui(locale, 'passport.key_explain', { client: clientName }));
    await unlock(page, locale, passphrase, 'consent');

    // No passport or identity card: Share is disabled, the page offers to add one here.
    const title = `${t(locale, 'element.passport')} or ${t(locale, 'element.identity_card')}`;
    await page.getByText(ui(locale, 'passport.missing', { types: title })).waitFor();
    expect(await shareButton(page, locale, clientName).isDisabled()).toBe(true);
    await shots(page, 'en-1-missing');
    await page.getByRole('button', { name: t(locale, 'vault.add.passport'), exact: true }).click();
    await heading(page, t(locale, 'element.passport')).waitFor();
    expect(page.url()).toMatch(/\/interaction\//);
    expect(await shareButton(page, locale, clientName).isHidden()).toBe(true);
    expect(await page.getByRole('button', { name: t(locale, 'passport.decline') }).isHidden()).toBe(true);
    // The editor's own checks work here too: nothing is saved without the required front side.
    await page.getByLabel(t(locale, 'field.document_number'), { exact: true }).fill(PASSPORT_NO);
    await page.getByLabel(t(locale, 'field.issuing_country'), { exact: true }).selectOption('BH');
    await page.getByRole('button', { name: t(locale, 'vault.save'), exact: true }).click();
    await page.getByText(t(locale, 'vault.scan.required')).waitFor();
    await shots(page, 'en-2-editor');
    await fillAndSave(page, locale, 'passport', {}, { front_side: front });

    // The passport is picked; the selfie asked for is not in it: said so, with the way to add it.
    const review = page.locator('.passport-review');
    expect(await review.textContent()).toContain(PASSPORT_NO);
    await page.getByText(ui(locale, 'passport.scans_missing', { client: clientName, slots: t(locale, 'slot.selfie') })).waitFor();
    expect(await shareButton(page, locale, clientName).isEnabled()).toBe(true);
    await shots(page, 'en-3-saved-lacking-selfie');
    await page.getByRole('button', { name: t(locale, 'passport.complete'), exact: true }).click();
    await heading(page, t(locale, 'element.passport')).waitFor();
    expect(await page.getByLabel(t(locale, 'field.document_number'), { exact: true }).inputValue()).toBe(PASSPORT_NO);
    await fillAndSave(page, locale, 'passport', {}, { selfie });
    await page.getByRole('img', { name: ui(locale, 'vault.scan.alt', { slot: t(locale, 'slot.selfie') }), exact: true }).waitFor();
    expect(await page.locator('.share-lacking').count()).toBe(0);
    await shots(page, 'en-4-complete');

    const tokens = await arriveAtRp(page, config, auth, () => shareButton(page, locale, clientName).click());
    const sub = tokens.claims()!.sub;
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, sub);
    const release = await openRelease(userinfo.passport as string, { keys: key.keyring, issuer: server.url, clientId: client.client_id, subject: sub, nonce: auth.nonce, requested: JSON.stringify(SCOPE) });
    const passport = findElement(release, 'passport')!;
    expect(passport.data).toEqual({ document_number: PASSPORT_NO, issuing_country: 'BH' });
    expect(Object.keys(passport.files).sort()).toEqual(['front_side', 'selfie']);
    expect(Buffer.from((await fetchScan(release, passport.files.front_side, { accessToken: tokens.access_token })).bytes).equals(front)).toBe(true);
    expect(Buffer.from((await fetchScan(release, passport.files.selfie!, { accessToken: tokens.access_token })).bytes).equals(selfie)).toBe(true);
    expect(findElement(release, 'email')!.data).toEqual({ email: EMAIL });

    // Two versions of one passport, each write with its state record: the account page opens it without a warning.
    await vaultOpensCleanly(page, locale, passphrase);
    expect(await page.getByText(PASSPORT_NO).count()).toBeGreaterThan(0);
    expect(page.errors).toEqual([]);
  });

  it('in Arabic: a passport without the selfie asked for is completed inside consent and shared', async () => {
    const locale: Locale = 'ar';
    const clientName = 'مصرف زد';
    const { client, key, config } = await passportClient(clientName);
    const { page } = await pageWithLogo('ar');
    const passphrase = 'نخلة قمر بحر جبل ٩ Zq9';
    await signUpToAccount(page, server.url, locale, `complete-ar-${engine}@example.com`, '?lang=ar');
    await setUpVault(page, locale, passphrase);
    const front = await randomJpeg(page);
    const selfie = await randomJpeg(page);
    await addElement(page, locale, 'passport', { document_number: PASSPORT_NO, issuing_country: 'OM' }, { front_side: front });
    await addElement(page, locale, 'email', { email: EMAIL });

    const auth = await authorization(config, SCOPE, { ui_locales: 'ar' });
    await page.goto(auth.url.href);
    expect(await page.locator('html').getAttribute('dir')).toBe('rtl');
    await unlock(page, locale, passphrase, 'consent');
    await page.getByText(ui(locale, 'passport.scans_missing', { client: clientName, slots: t(locale, 'slot.selfie') })).waitFor();
    await shots(page, 'ar-1-lacking-selfie');
    await page.getByRole('button', { name: t(locale, 'passport.complete'), exact: true }).click();
    await heading(page, t(locale, 'element.passport')).waitFor();
    await page.getByText(ui(locale, 'passport.editor_note', { client: clientName })).waitFor();
    await page.getByLabel(t(locale, 'slot.selfie'), { exact: true }).setInputFiles({ name: 'selfie.jpg', mimeType: 'image/jpeg', buffer: selfie });
    await shots(page, 'ar-2-editor');
    await page.getByRole('button', { name: t(locale, 'vault.save'), exact: true }).click();
    await heading(page, t(locale, 'passport.review_heading')).waitFor();
    await page.getByRole('img', { name: ui(locale, 'vault.scan.alt', { slot: t(locale, 'slot.selfie') }), exact: true }).waitFor();
    await shots(page, 'ar-3-complete');

    const tokens = await arriveAtRp(page, config, auth, () => shareButton(page, locale, clientName).click());
    const sub = tokens.claims()!.sub;
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, sub);
    const release = await openRelease(userinfo.passport as string, { keys: key.keyring, issuer: server.url, clientId: client.client_id, subject: sub, nonce: auth.nonce, requested: JSON.stringify(SCOPE) });
    const passport = findElement(release, 'passport')!;
    expect(Buffer.from((await fetchScan(release, passport.files.selfie!, { accessToken: tokens.access_token })).bytes).equals(selfie)).toBe(true);
    await vaultOpensCleanly(page, locale, passphrase);
    expect(page.errors).toEqual([]);
  });

  it('a request that expired, or was answered elsewhere, disables Share and offers the way back to the service', async () => {
    const locale: Locale = 'en';
    const withSite = await passportClient('Zq Site', { client_uri: 'https://zq-site.example/home' });
    const plain = await passportClient('Zq Plain');
    const { page } = await pageWithLogo();
    const passphrase = 'Zq9 stale request quartz lantern';
    await signUpToAccount(page, server.url, locale, `stale-${engine}@example.com`);
    await setUpVault(page, locale, passphrase);
    await addElement(page, locale, 'email', { email: EMAIL });
    const scope = { v: 1, data: ['email'] };

    // 1. Expired while the page was in the background: noticed when it becomes visible again.
    const first = await authorization(withSite.config, scope);
    await page.goto(first.url.href);
    await unlock(page, locale, passphrase, 'consent');
    expect(await shareButton(page, locale, 'Zq Site').isEnabled()).toBe(true);
    const uid = new URL(page.url()).pathname.split('/')[2]!;
    // Visible again while the request is live: the page asks, and stays as it is.
    const asked = page.waitForResponse((r) => r.url().endsWith(`/interaction/${uid}/status`));
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    expect(await (await asked).json()).toEqual({ live: true });
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 100)));
    expect(await page.locator('.passport-stale').count()).toBe(0);
    expect(await shareButton(page, locale, 'Zq Site').isEnabled()).toBe(true);
    const gone = await server.database.db.deleteFrom('oidc_payloads').where('kind', '=', 'Interaction').where('id', '=', uid).executeTakeFirst();
    expect(Number(gone.numDeletedRows)).toBe(1);
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    const back = page.getByRole('link', { name: ui(locale, 'passport.return_to', { client: 'Zq Site' }) });
    await back.waitFor();
    await page.getByText(t(locale, 'passport.stale')).waitFor();
    expect(await back.getAttribute('href')).toBe('https://zq-site.example/home');
    expect(await shareButton(page, locale, 'Zq Site').isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: t(locale, 'passport.decline') }).isDisabled()).toBe(true);
    await shots(page, 'en-5-stale');

    // 2. Answered in another tab (declined there): Share is refused by the server, and the page says why.
    const second = await authorization(plain.config, scope);
    await page.goto(second.url.href);
    await unlock(page, locale, passphrase, 'consent');
    const secondUid = new URL(page.url()).pathname.split('/')[2]!;
    const csrf = await page.locator('#passport-decision input[name=csrf]').inputValue();
    // The same browser (its cookies), outside this page: the decline, followed to the RP.
    const declined = await page.context().request.post(`${server.url}/interaction/${secondUid}/consent`, { form: { csrf, decision: 'deny' } });
    expect(new URL(declined.url()).searchParams.get('error')).toBe('access_denied');
    const before = await server.database.db.selectFrom('releases').select('id').execute();
    await shareButton(page, locale, 'Zq Plain').click();
    const home = page.getByRole('link', { name: ui(locale, 'passport.return_to', { client: 'Zq Plain' }) });
    await home.waitFor();
    expect(await home.getAttribute('href')).toBe(new URL(rp.redirectUri).origin);
    expect(await shareButton(page, locale, 'Zq Plain').isDisabled()).toBe(true);
    expect(await server.database.db.selectFrom('releases').select('id').execute()).toEqual(before);
    expect(page.errors.filter((e) => !e.includes('400'))).toEqual([]);
  });
});
