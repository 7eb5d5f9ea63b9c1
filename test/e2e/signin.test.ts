import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import { t, type Locale } from '../../src/i18n/index.js';
import { launchBrowser } from '../helpers/browser.js';
import { e2eEngines } from '../helpers/db.js';
import { authorizationRequest, discover, PASSWORD, startCallbackListener, type CallbackListener } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Sign up, sign in and consent in a real Chromium, the way a person does, by labels and button names. */
describe.each(e2eEngines())('sign-in pages in Chromium (%s)', (engine) => {
  let server: TestServer;
  let config: oidc.Configuration;
  let rp: CallbackListener;
  const browsers: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    server = await startTestServer(engine);
    rp = await startCallbackListener();
    const client = await server.services.clients.create({ client_name: 'Demo Shop', redirect_uris: [rp.redirectUri] });
    config = await discover(server.url, client.client_id, client.client_secret);
  });
  afterAll(async () => {
    await server?.close();
    await rp?.close();
  });
  afterEach(async () => {
    await Promise.all(browsers.splice(0).map((b) => b.close()));
  });

  async function openPage(locale?: string): Promise<Page> {
    const browser = await launchBrowser({ locale });
    browsers.push(browser);
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    (page as Page & { errors: string[] }).errors = errors;
    return page;
  }

  /** Runs the authorization in the page and returns the code the RP receives, redeemed with openid-client. */
  async function arriveAtRp(page: Page, act: () => Promise<void>, auth: Awaited<ReturnType<typeof authorizationRequest>>) {
    const callback = page.waitForRequest((r) => r.url().startsWith(rp.redirectUri));
    await act();
    const url = new URL((await callback).url());
    await page.waitForURL((u) => u.href.startsWith(rp.redirectUri));
    expect(url.searchParams.get('code')).toBeTruthy();
    const tokens = await oidc.authorizationCodeGrant(config, url, {
      pkceCodeVerifier: auth.verifier,
      expectedState: auth.state,
      expectedNonce: auth.nonce,
    });
    return tokens;
  }

  async function signUp(page: Page, locale: Locale, email: string) {
    await page.getByRole('link', { name: t(locale, 'login.signup_link') }).click();
    await page.getByLabel(t(locale, 'form.email')).fill(email);
    await page.getByLabel(t(locale, 'form.password'), { exact: true }).fill(PASSWORD);
    await page.getByLabel(t(locale, 'form.password_confirm')).fill(PASSWORD);
    await page.getByRole('button', { name: t(locale, 'signup.submit') }).click();
  }

  it('signs up, consents, arrives at the RP with a code; signs in again without a second consent', async () => {
    const email = `e2e-${engine}@example.com`;
    const page = await openPage();
    const auth = await authorizationRequest(config, { redirect_uri: rp.redirectUri, scope: 'openid email', prompt: '' });
    await page.goto(auth.url.href);
    expect(await page.locator('html').getAttribute('dir')).toBe('ltr');
    await signUp(page, 'en', email);

    await page.getByRole('button', { name: t('en', 'consent.allow') }).waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('Demo Shop');
    const tokens = await arriveAtRp(page, () => page.getByRole('button', { name: t('en', 'consent.allow') }).click(), auth);
    expect((await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)).email).toBe(email);
    expect((page as Page & { errors: string[] }).errors).toEqual([]);

    // A new browser: sign in with the same account; consent is remembered.
    const again = await openPage();
    const second = await authorizationRequest(config, { redirect_uri: rp.redirectUri, scope: 'openid email', prompt: '' });
    await again.goto(second.url.href);
    await again.getByLabel(t('en', 'form.email')).fill(email);
    await again.getByLabel(t('en', 'form.password'), { exact: true }).fill(PASSWORD);
    const secondTokens = await arriveAtRp(again, () => again.getByRole('button', { name: t('en', 'login.submit') }).click(), second);
    expect(secondTokens.claims()!.sub).toBe(tokens.claims()!.sub);
  });

  it('shows right-to-left Arabic pages when the RP asks for ui_locales=ar', async () => {
    const page = await openPage();
    const auth = await authorizationRequest(config, { redirect_uri: rp.redirectUri, scope: 'openid email', prompt: '', ui_locales: 'ar' });
    await page.goto(auth.url.href);
    const html = page.locator('html');
    expect(await html.getAttribute('dir')).toBe('rtl');
    expect(await html.getAttribute('lang')).toBe('ar');
    await signUp(page, 'ar', `arabic-${engine}@example.com`);

    expect(await html.getAttribute('dir')).toBe('rtl');
    expect(await page.getByRole('button', { name: t('ar', 'consent.allow') }).isVisible()).toBe(true);
    await arriveAtRp(page, () => page.getByRole('button', { name: t('ar', 'consent.allow') }).click(), auth);
  });

  it('follows Accept-Language, and the visible switcher overrides it', async () => {
    const page = await openPage('ar');
    const auth = await authorizationRequest(config, { redirect_uri: rp.redirectUri, scope: 'openid', prompt: '' });
    await page.goto(auth.url.href);
    expect(await page.locator('html').getAttribute('dir')).toBe('rtl');
    await page.getByRole('link', { name: 'English' }).click();
    expect(await page.locator('html').getAttribute('dir')).toBe('ltr');
    expect(await page.getByLabel('Email').isVisible()).toBe(true);
  });
});
