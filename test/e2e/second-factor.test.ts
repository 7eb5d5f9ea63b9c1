import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { generate } from 'otplib';
import * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import { t, type Locale } from '../../src/i18n/index.js';
import { Browsers, openWatchedPage } from '../helpers/browser.js';
import { e2eEngines } from '../helpers/db.js';
import { authorizationRequest, discover, PASSWORD, startCallbackListener, type CallbackListener } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { heading, shotsAtSizes, signUpToAccount } from '../helpers/vault-ui.js';

/**
 * The second factor in Chromium: an authenticator app set up from the account page
 * (the QR code and key shown, turned on by the first code, recovery codes shown
 * once), then asked after the password at an openid-client RP, whose ID token says
 * so in `amr` and `acr`. English and Arabic; SCREENSHOT_DIR saves each page.
 */
describe.each(e2eEngines())('the second factor in Chromium (%s)', (engine) => {
  let server: TestServer;
  let rp: CallbackListener;
  let config: oidc.Configuration;
  const browsers = new Browsers();
  const shots = shotsAtSizes(`second-factor-${engine}-`);

  beforeAll(async () => {
    server = await startTestServer(engine);
    rp = await startCallbackListener();
    const client = await server.services.clients.create({ client_name: 'Factor Bank', redirect_uris: [rp.redirectUri] });
    config = await discover(server.url, client.client_id, client.client_secret);
  });
  afterAll(async () => {
    await server?.close();
    await rp?.close();
  });
  afterEach(() => browsers.closeAll());

  it.each<Locale>(['en', 'ar'])('%s: set up from the account page, asked after the password, amr and acr at the RP', async (locale) => {
    const email = `factor-${locale}-${engine}@example.com`;
    const page = await openWatchedPage(browsers, { locale });
    await signUpToAccount(page, server.url, locale, email, `?lang=${locale}`);

    await page.getByRole('button', { name: t(locale, 'factors.setup') }).click();
    await page.locator('.totp-qr svg').waitFor();
    await shots(page, `${locale}-1-setup`);
    const secret = (await page.locator('.totp-secret code').textContent())!.replace(/\s/g, '');
    // The previous step's code: the one showing now stays unused for the sign-in below.
    await page.getByLabel(t(locale, 'factors.step_code')).fill(await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 }));
    await page.getByRole('button', { name: t(locale, 'factors.confirm') }).click();
    await page.locator('.recovery-codes li').first().waitFor();
    expect(await page.locator('.recovery-codes li').count()).toBe(10);
    await shots(page, `${locale}-2-recovery-codes`);
    await page.goto(`${server.url}/account`);
    await page.getByText(t(locale, 'factors.on')).waitFor();
    expect(await page.locator('.recovery-codes').count()).toBe(0); // shown once

    // A new browser: the RP's sign-in asks for the password, then the code.
    const other = await openWatchedPage(browsers, { locale });
    const auth = await authorizationRequest(config, { redirect_uri: rp.redirectUri, scope: 'openid email', prompt: 'consent', ui_locales: locale });
    await other.goto(auth.url.href);
    await other.getByLabel(t(locale, 'form.email')).fill(email);
    await other.getByLabel(t(locale, 'form.password'), { exact: true }).fill(PASSWORD);
    await other.getByRole('button', { name: t(locale, 'login.submit'), exact: true }).click();
    await heading(other, t(locale, 'otp.heading')).waitFor();
    await shots(other, `${locale}-3-code`);
    await other.getByLabel(t(locale, 'otp.code')).fill('000000');
    await other.getByRole('button', { name: t(locale, 'otp.submit') }).click();
    await other.getByText(t(locale, 'error.otp_invalid')).waitFor();
    await other.getByLabel(t(locale, 'otp.code')).fill(await generate({ secret }));
    await other.getByRole('button', { name: t(locale, 'otp.submit') }).click();
    const callback = other.waitForRequest((r) => r.url().startsWith(rp.redirectUri));
    await other.getByRole('button', { name: t(locale, 'consent.allow') }).click();
    const tokens = await oidc.authorizationCodeGrant(config, new URL((await callback).url()), { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
    await other.waitForURL((u) => u.href.startsWith(rp.redirectUri)); // settled there: a next navigation would interrupt it
    expect(tokens.claims()).toMatchObject({ acr: 'urn:wathiqa:acr:mfa' });
    expect([...(tokens.claims()!.amr as string[])].sort()).toEqual(['mfa', 'otp', 'pwd']);
    // The wrong code's page came with 401, which the console reports; nothing else went wrong.
    expect([...page.errors, ...other.errors].filter((e) => !/status of 401/.test(e))).toEqual([]);
  });
});
