import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import type { Locator, Page } from 'playwright-core';
import { t, type Locale } from '../../src/i18n/index.js';
import { Browsers, openWatchedPage, type WatchedPage } from '../helpers/browser.js';
import { e2eEngines } from '../helpers/db.js';
import { authorizationRequest, discover, PASSWORD, startCallbackListener, type CallbackListener } from '../helpers/flow.js';
import { accountIdReferences, rowsMentioning } from '../helpers/references.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { heading, screenshots, signUpToAccount, ui } from '../helpers/vault-ui.js';

/**
 * Signed-in browsers and account deletion in Chromium (issue "People's accounts",
 * acceptance): two browsers signed in to one account; the first signs the second
 * out from the account page, and the second's next page asks it to sign in. Then
 * the account is deleted from the page, and the database has nothing left that
 * names it. SCREENSHOT_DIR saves the new sections on a desktop and a phone.
 */
const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

describe.each(e2eEngines())('signed-in browsers and account deletion in Chromium (%s)', (engine) => {
  let server: TestServer;
  let rp: CallbackListener;
  let config: oidc.Configuration;
  const browsers = new Browsers();
  const shoot = screenshots(`account-sessions-${engine}-`);

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
  afterEach(() => browsers.closeAll());

  /** The section on both viewports: no sideways scrolling, and its picture with SCREENSHOT_DIR. */
  async function shots(page: Page, section: Locator, name: string) {
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect({ name, viewport: viewport.name, overflow: overflow <= 0 }).toEqual({ name, viewport: viewport.name, overflow: true });
      if (process.env.SCREENSHOT_DIR) {
        await section.scrollIntoViewIfNeeded();
        await shoot(page, `${name}-${viewport.name}`, false);
        await section.screenshot({ path: `${process.env.SCREENSHOT_DIR}/account-sessions-${engine}-${name}-${viewport.name}-section.png` });
      }
    }
    await page.setViewportSize(VIEWPORTS[0]);
  }

  async function signIn(page: Page, locale: Locale, email: string) {
    await page.goto(`${server.url}/account/login`);
    await page.getByLabel(t(locale, 'form.email')).fill(email);
    await page.getByLabel(t(locale, 'form.password'), { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: t(locale, 'login.submit') }).click();
    await page.waitForURL(`${server.url}/account`);
  }

  it.each<Locale>(['en', 'ar'])('%s: sign a browser out from another, then delete the account', async (locale) => {
    const email = `sessions-${locale}-${engine}@example.com`;
    const first: WatchedPage = await openWatchedPage(browsers, { locale, viewport: VIEWPORTS[0] });
    const second: WatchedPage = await openWatchedPage(browsers, { locale, viewport: VIEWPORTS[0] });
    await signUpToAccount(first, server.url, locale, email, `?lang=${locale}`);
    const accountId = (await server.services.accounts.accounts.findByEmail(email))!.id;
    await signIn(second, locale, email);

    // The first browser uses a service, so the services section has something to show.
    const auth = await authorizationRequest(config, { redirect_uri: rp.redirectUri, ui_locales: locale });
    await first.goto(auth.url.href);
    const callback = first.waitForRequest((r) => r.url().startsWith(rp.redirectUri));
    await first.getByRole('button', { name: t(locale, 'consent.allow') }).click();
    await callback;
    await first.waitForURL((u) => u.href.startsWith(rp.redirectUri)); // settled there: a next navigation would interrupt it

    await first.goto(`${server.url}/account`);
    expect(await first.locator('html').getAttribute('dir')).toBe(locale === 'ar' ? 'rtl' : 'ltr');
    const sessions = first.locator('#sessions');
    await heading(first, t(locale, 'sessions.heading')).waitFor();
    const rows = sessions.getByRole('listitem');
    expect(await rows.count()).toBe(2);
    const thisOne = rows.filter({ hasText: t(locale, 'sessions.this_browser') });
    const other = rows.filter({ hasNotText: t(locale, 'sessions.this_browser') });
    expect(await thisOne.count()).toBe(1);
    expect(await thisOne.getByRole('button').count()).toBe(0);
    await other.getByText(ui(locale, 'sessions.device', { browser: 'Chrome', os: 'Linux' })).waitFor();
    await other.getByText(ui(locale, 'sessions.network', { network: '127.0.0.x' })).waitFor();
    const services = first.locator('#services');
    await services.getByText('Demo Shop').waitFor();
    await shots(first, sessions, `${locale}-1-sessions`);
    await shots(first, services, `${locale}-2-services`);

    // The first signs the second out.
    await other.getByRole('button', { name: t(locale, 'sessions.sign_out') }).click();
    await first.waitForURL(/notice=signed_out_one/);
    await sessions.getByText(t(locale, 'account.signed_out_one')).waitFor();
    expect(await first.locator('#sessions').getByRole('listitem').count()).toBe(1);
    await shots(first, sessions, `${locale}-3-signed-out`);

    // The second's next page load asks it to sign in.
    await second.reload();
    await second.waitForURL(/\/interaction\//);
    await second.getByRole('button', { name: t(locale, 'login.submit') }).waitFor();
    expect(await second.getByLabel(t(locale, 'form.password'), { exact: true }).isVisible()).toBe(true);

    // Deletion: a wrong password first changes nothing and says so.
    const before = await rowsMentioning(server.database.db, accountId);
    const remove = first.locator('#delete-account');
    await remove.getByText(t(locale, 'delete.open')).click();
    await remove.getByText(t(locale, 'delete.warning')).waitFor();
    await shots(first, remove, `${locale}-4-delete`);
    await remove.getByLabel(t(locale, 'delete.password'), { exact: true }).fill('not my password');
    await remove.getByLabel(t(locale, 'delete.confirm')).check();
    await remove.getByRole('button', { name: t(locale, 'delete.submit') }).click();
    await first.locator('#delete-account [role="alert"]').getByText(t(locale, 'error.wrong_password')).waitFor();
    expect(await rowsMentioning(server.database.db, accountId)).toEqual(before);
    await shots(first, first.locator('#delete-account'), `${locale}-5-delete-refused`);

    const again = first.locator('#delete-account');
    await again.getByLabel(t(locale, 'delete.password'), { exact: true }).fill(PASSWORD);
    await again.getByLabel(t(locale, 'delete.confirm')).check();
    await again.getByRole('button', { name: t(locale, 'delete.submit') }).click();
    await heading(first, t(locale, 'deleted.heading')).waitFor();
    await shots(first, first.locator('main'), `${locale}-6-deleted`);

    // Nothing is left that names the account, and this browser is signed out too.
    expect(await rowsMentioning(server.database.db, accountId)).toEqual({});
    expect(await rowsMentioning(server.database.db, email)).toEqual({});
    expect(await accountIdReferences(server.database.db, accountId)).toEqual({});
    await first.goto(`${server.url}/account`);
    await first.waitForURL(/\/interaction\//);
    // The refused deletion answers 401 on purpose; Chromium logs the document's status.
    expect(first.errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    expect(second.errors).toEqual([]);
  });
});
