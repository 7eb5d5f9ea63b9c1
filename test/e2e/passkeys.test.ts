import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import type { CDPSession, Page } from 'playwright-core';
import { PasskeyService } from '../../src/accounts/passkeys.js';
import { t, type Locale } from '../../src/i18n/index.js';
import { Browsers, openWatchedPage } from '../helpers/browser.js';
import { e2eEngines } from '../helpers/db.js';
import { authorizationRequest, discover, startCallbackListener, type CallbackListener } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { shotsAtSizes, signUpToAccount } from '../helpers/vault-ui.js';

/**
 * Passkeys in Chromium with its virtual authenticator (DevTools WebAuthn domain, not
 * a mock): registered from the account page, named, used to sign in at an
 * openid-client RP instead of the password (amr and acr say so), removed. A real
 * assertion made by the browser is then replayed, and presented for another origin
 * and another account: each refused.
 */
/**
 * A virtual authenticator that answers every request at once would also answer the
 * page's quiet autofill request the moment a sign-in page loads; the tests click the
 * button instead, as a browser without passkey autofill would have it.
 */
async function virtualAuthenticator(page: Page): Promise<CDPSession> {
  await page.addInitScript(() => {
    if (window.PublicKeyCredential) window.PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return cdp;
}

describe.each(e2eEngines())('passkeys in Chromium (%s)', (engine) => {
  let server: TestServer;
  let rp: CallbackListener;
  let config: oidc.Configuration;
  const browsers = new Browsers();
  const shots = shotsAtSizes(`passkeys-${engine}-`);

  beforeAll(async () => {
    server = await startTestServer(engine);
    rp = await startCallbackListener();
    const client = await server.services.clients.create({ client_name: 'Key Shop', redirect_uris: [rp.redirectUri] });
    config = await discover(server.url, client.client_id, client.client_secret);
  });
  afterAll(async () => {
    await server?.close();
    await rp?.close();
  });
  afterEach(() => browsers.closeAll());

  it.each<Locale>(['en', 'ar'])('%s: registered, named, used to sign in instead of the password, removed', async (locale) => {
    const email = `passkey-${locale}-${engine}@example.com`;
    const page = await openWatchedPage(browsers, { locale });
    await virtualAuthenticator(page);
    await signUpToAccount(page, server.url, locale, email, `?lang=${locale}`);

    const register = page.locator('[data-passkey-register]');
    await register.getByLabel(t(locale, 'passkey.name')).fill('Laptop');
    await register.getByRole('button', { name: t(locale, 'passkey.add') }).click();
    await page.locator('.passkey strong').getByText('Laptop', { exact: true }).waitFor();
    await shots(page, `${locale}-1-account-passkey`);
    const accountId = (await server.services.accounts.accounts.findByEmail(email))!.id;
    expect(await server.services.passkeys.list(accountId)).toHaveLength(1);

    // Signed out: the RP's sign-in page offers the passkey; no password is typed.
    await page.getByRole('button', { name: t(locale, 'account.sign_out') }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/account'));
    const confirm = page.getByRole('button', { name: t(locale, 'logout.yes') });
    if (await confirm.count()) await confirm.click();
    const auth = await authorizationRequest(config, { redirect_uri: rp.redirectUri, scope: 'openid email', prompt: 'login consent', ui_locales: locale });
    await page.goto(auth.url.href);
    const signin = page.getByRole('button', { name: t(locale, 'passkey.signin') });
    await signin.waitFor();
    await shots(page, `${locale}-2-signin`);
    await signin.click();
    const callback = page.waitForRequest((r) => r.url().startsWith(rp.redirectUri));
    await page.getByRole('button', { name: t(locale, 'consent.allow') }).click();
    const tokens = await oidc.authorizationCodeGrant(config, new URL((await callback).url()), { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
    await page.waitForURL((u) => u.href.startsWith(rp.redirectUri)); // settled there: a next navigation would interrupt it
    expect(tokens.claims()).toMatchObject({ sub: accountId, acr: 'urn:wathiqa:acr:mfa' });
    expect(tokens.claims()!.amr).toEqual(expect.arrayContaining(['mfa']));
    expect((tokens.claims()!.amr as string[]).some((m) => m === 'hwk' || m === 'swk')).toBe(true);
    expect((tokens.claims()!.amr as string[]).includes('pwd')).toBe(false);
    expect((await server.services.passkeys.list(accountId))[0]!.last_used_at).not.toBeNull();

    // Rename, then remove, from the account page.
    await page.goto(`${server.url}/account`);
    await page.locator('.passkey summary').first().click();
    await page.getByLabel(t(locale, 'passkey.name'), { exact: true }).first().fill('Work laptop');
    await page.getByRole('button', { name: t(locale, 'passkey.rename') }).click();
    await page.locator('.passkey strong').getByText('Work laptop', { exact: true }).waitFor();
    await page.locator('.passkey summary').first().click();
    await page.getByRole('button', { name: t(locale, 'passkey.remove') }).click();
    await page.locator('.passkey-list').waitFor({ state: 'detached' });
    expect(await server.services.passkeys.list(accountId)).toEqual([]);
    expect(page.errors).toEqual([]);
  });

  it('a real assertion is refused when replayed, for another origin, or for another account', async () => {
    // (the browser's part is quick; the checks after it run against the services)
    const email = `replay-${engine}@example.com`;
    const page = await openWatchedPage(browsers, {});
    await virtualAuthenticator(page);
    await signUpToAccount(page, server.url, 'en', email);
    const register = page.locator('[data-passkey-register]');
    await register.getByRole('button', { name: t('en', 'passkey.add') }).click();
    await page.locator('.passkey-list').waitFor();
    const accountId = (await server.services.accounts.accounts.findByEmail(email))!.id;
    const other = await server.services.accounts.create(`other-${engine}@example.com`, 'another long password here');

    // The browser signs the server's challenge; the answer is held back from the server and kept.
    await page.getByRole('button', { name: t('en', 'account.sign_out') }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/account'));
    const confirm = page.getByRole('button', { name: t('en', 'logout.yes') });
    if (await confirm.count()) await confirm.click();
    const auth = await authorizationRequest(config, { redirect_uri: rp.redirectUri, scope: 'openid', prompt: 'login' });
    await page.goto(auth.url.href);
    let held: { response: never } | undefined;
    await page.route('**/passkey', async (route) => {
      held = JSON.parse(route.request().postData() ?? '{}');
      await route.abort();
    });
    await page.getByRole('button', { name: t('en', 'passkey.signin') }).click();
    for (let waited = 0; held === undefined && waited < 20_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    expect(held).toBeDefined();
    const uid = new URL(page.url()).pathname.split('/')[2]!;
    const db = server.database.db;

    await expect(new PasskeyService(db, 'https://evil.example').authenticate(uid, held!.response)).rejects.toMatchObject({ code: 'passkey_failed' });
    await expect(server.services.passkeys.authenticate(uid, held!.response, other.id)).rejects.toMatchObject({ code: 'passkey_other_account' });
    await expect(server.services.passkeys.authenticate(`${uid}x`, held!.response)).rejects.toMatchObject({ code: 'passkey_failed' }); // another interaction's challenge
    // None of those spent the challenge: the real one passes, once.
    await expect(server.services.passkeys.authenticate(uid, held!.response)).resolves.toMatchObject({ accountId });
    await expect(server.services.passkeys.authenticate(uid, held!.response)).rejects.toMatchObject({ code: 'passkey_failed' });
  });
});
