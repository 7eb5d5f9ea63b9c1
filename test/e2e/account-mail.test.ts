import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import { t, type Locale } from '../../src/i18n/index.js';
import { Browsers, openWatchedPage, type WatchedPage } from '../helpers/browser.js';
import { e2eEngines } from '../helpers/db.js';
import { authorizationRequest, discover, PASSWORD, startCallbackListener, type CallbackListener } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { linkIn, startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp.js';
import { heading, shotsAtSizes, setUpVault, signUpToAccount, ui, unlock } from '../helpers/vault-ui.js';

/**
 * The mailed links in Chromium with a real SMTP receiver (issue "People's
 * accounts", acceptance): sign-up → verification mail → `email_verified: true`
 * at an openid-client RP; forgotten password → mail → new password → the old
 * session and refresh token are dead, the vault intact and still locked.
 * SCREENSHOT_DIR saves each page on a desktop and a phone.
 */
describe.each(e2eEngines())('mailed account links in Chromium (%s)', (engine) => {
  let server: TestServer;
  let smtp: SmtpReceiver;
  let rp: CallbackListener;
  let config: oidc.Configuration;
  const browsers = new Browsers();
  const atSizes = shotsAtSizes(`account-mail-${engine}-`);
  const shots = (page: Page, locale: Locale, name: string) => atSizes(page, `${locale}-${name}`);
  const NEW_PASSWORD = 'a brand new and long password';

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    server = await startTestServer(engine, { SMTP_URL: smtp.url });
    rp = await startCallbackListener();
    const client = await server.services.clients.create({ client_name: 'Mail Shop', redirect_uris: [rp.redirectUri] });
    config = await discover(server.url, client.client_id, client.client_secret);
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
    await rp?.close();
  });
  afterEach(() => browsers.closeAll());

  /** An authorization in the page, redeemed by openid-client once the browser reaches the RP. */
  async function atRp(page: Page, auth: Awaited<ReturnType<typeof authorizationRequest>>, act: () => Promise<unknown>) {
    const callback = page.waitForRequest((r) => r.url().startsWith(rp.redirectUri));
    await act();
    const url = new URL((await callback).url());
    await page.waitForURL((u) => u.href.startsWith(rp.redirectUri)); // settled there: a next navigation would interrupt it
    return oidc.authorizationCodeGrant(config, url, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
  }

  it.each<Locale>(['en', 'ar'])('%s: sign-up, the mailed link, email_verified at the RP', async (locale) => {
    const email = `verify-${locale}-${engine}@example.com`;
    const page = await openWatchedPage(browsers, { locale });
    const auth = await authorizationRequest(config, { redirect_uri: rp.redirectUri, scope: 'openid email', prompt: '', ui_locales: locale });
    await page.goto(auth.url.href);
    await page.getByRole('link', { name: t(locale, 'login.signup_link') }).click();
    await page.getByLabel(t(locale, 'form.email')).fill(email);
    await page.getByLabel(t(locale, 'form.password'), { exact: true }).fill(PASSWORD);
    await page.getByLabel(t(locale, 'form.password_confirm')).fill(PASSWORD);
    await page.getByRole('button', { name: t(locale, 'signup.submit') }).click();
    const first = await atRp(page, auth, () => page.getByRole('button', { name: t(locale, 'consent.allow') }).click());
    expect(first.claims()).toMatchObject({ email, email_verified: false });

    // The account page says so, in the person's language, until the link is followed.
    await page.goto(`${server.url}/account`);
    await page.getByText(ui(locale, 'account.unverified', { email })).waitFor();
    await shots(page, locale, '1-account-unverified');

    const mail = await smtp.next(email, new RegExp(t(locale, 'mail.verify.subject')));
    expect(mail.html).toContain(`dir="${locale === 'ar' ? 'rtl' : 'ltr'}"`);
    await page.goto(linkIn(mail, '/account/email/verify'));
    await heading(page, t(locale, 'verify.done_heading')).waitFor();
    await shots(page, locale, '2-verified');

    const auth2 = await authorizationRequest(config, { redirect_uri: rp.redirectUri, scope: 'openid email', prompt: '' });
    const second = await atRp(page, auth2, () => page.goto(auth2.url.href));
    expect(second.claims()).toMatchObject({ email, email_verified: true });
    await page.goto(`${server.url}/account`);
    await page.locator('.account-email-change').getByText(t(locale, 'account.verified'), { exact: true }).waitFor();
    expect(await page.getByText(ui(locale, 'account.unverified', { email })).count()).toBe(0);
    expect((page as WatchedPage).errors).toEqual([]);
  });

  it.each<Locale>(['en', 'ar'])('%s: forgotten password, the mailed link, everything signed out, the vault intact and locked', async (locale) => {
    const email = `reset-${locale}-${engine}@example.com`;
    const passphrase = 'Zq7 lantern orbit velvet canyon';
    const page = await openWatchedPage(browsers, { locale });
    await signUpToAccount(page, server.url, locale, email, `?lang=${locale}`);
    await setUpVault(page, locale, passphrase);
    const auth = await authorizationRequest(config, { redirect_uri: rp.redirectUri, scope: 'openid email offline_access', prompt: 'consent' });
    await page.goto(auth.url.href);
    const tokens = await atRp(page, auth, () => page.getByRole('button', { name: t(locale, 'consent.allow') }).click());
    expect(tokens.refresh_token).toBeTruthy();

    // Another browser, signed out: "Forgot your password?" from the sign-in page.
    const other = await openWatchedPage(browsers, { locale });
    await other.goto(`${server.url}/account/login?lang=${locale}`);
    await other.getByRole('link', { name: t(locale, 'login.forgot_link') }).click();
    await heading(other, t(locale, 'forgot.heading')).waitFor();
    await shots(other, locale, '3-forgot');
    await other.getByLabel(t(locale, 'form.email')).fill(email);
    await other.getByRole('button', { name: t(locale, 'forgot.submit') }).click();
    await heading(other, t(locale, 'forgot.sent_heading')).waitFor();
    await shots(other, locale, '4-forgot-sent');

    const mail = await smtp.next(email, new RegExp(t(locale, 'mail.reset.subject')));
    await other.goto(linkIn(mail, '/account/password/reset'));
    await heading(other, t(locale, 'reset.heading')).waitFor();
    await other.getByText(t(locale, 'forgot.vault_note')).waitFor();
    await other.getByLabel(t(locale, 'form.password'), { exact: true }).fill(NEW_PASSWORD);
    await other.getByLabel(t(locale, 'form.password_confirm')).fill(NEW_PASSWORD);
    await shots(other, locale, '5-reset');
    await other.getByRole('button', { name: t(locale, 'reset.submit') }).click();
    await heading(other, t(locale, 'reset.done_heading')).waitFor();
    await shots(other, locale, '6-reset-done');

    // The first browser's session and the RP's refresh token are dead.
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await page.goto(`${server.url}/account`);
    await page.getByLabel(t(locale, 'form.password'), { exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/interaction\//);

    // The new password signs in; the vault is there, locked, and opens with the same passphrase.
    await other.getByRole('link', { name: t(locale, 'reset.signin') }).click();
    await other.getByLabel(t(locale, 'form.email')).fill(email);
    await other.getByLabel(t(locale, 'form.password'), { exact: true }).fill(NEW_PASSWORD);
    await other.getByRole('button', { name: t(locale, 'login.submit') }).click();
    await other.waitForURL(`${server.url}/account`);
    await unlock(other, locale, passphrase);
    expect([...(page as WatchedPage).errors, ...(other as WatchedPage).errors]).toEqual([]);
  });
});
