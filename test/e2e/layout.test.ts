import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import { t, type Locale } from '../../src/i18n/index.js';
import { Browsers, openWatchedPage } from '../helpers/browser.js';
import { e2eEngines } from '../helpers/db.js';
import { discover, startCallbackListener, type CallbackListener } from '../helpers/flow.js';
import { axeViolations, countTextFields, fieldLayoutProblems } from '../helpers/layout.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addElement, heading, screenshots, setUpVault, signUpToAccount, ui, unlock, VIEWPORTS } from '../helpers/vault-ui.js';
import { rpReleaseKey } from '../helpers/rp-key.js';

/**
 * The layout guard (issue #11 point 7), in a real Chromium: on the sign-in,
 * sign-up, vault (set-up, documents, editor) and consent (plain and passport:
 * locked and open) pages, in English and Arabic, at desktop and phone width,
 * every visible text field fills its form column and is at least 24 px tall,
 * and axe-core reports no violation. A page is measured where a person sees it:
 * reached by clicking through, not by loading fragments.
 * SCREENSHOT_DIR=/tmp/shots saves a picture of each page at each size.
 */
describe.each(e2eEngines())('layout guard and axe in Chromium (%s)', (engine) => {
  let server: TestServer;
  let rp: CallbackListener;
  let passportConfig: oidc.Configuration;
  let plainConfig: oidc.Configuration;
  const browsers = new Browsers();
  const shot = screenshots(`layout-${engine}-`);

  beforeAll(async () => {
    server = await startTestServer(engine);
    rp = await startCallbackListener();
    const { publicJwk: jwk } = await rpReleaseKey();
    const passport = await server.services.clients.create({ client_name: 'Layout Travel', redirect_uris: [rp.redirectUri], scope: 'openid passport', jwks: { keys: [jwk] as never } });
    passportConfig = await discover(server.url, passport.client_id, passport.client_secret);
    const plain = await server.services.clients.create({ client_name: 'Layout News', redirect_uris: [rp.redirectUri], scope: 'openid email' });
    plainConfig = await discover(server.url, plain.client_id, plain.client_secret);
  });
  afterAll(async () => {
    await server?.close();
    await rp?.close();
  });
  afterEach(() => browsers.closeAll());

  async function authorizationUrl(config: oidc.Configuration, params: Record<string, string>): Promise<string> {
    return oidc
      .buildAuthorizationUrl(config, {
        redirect_uri: rp.redirectUri,
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
        ...params,
      })
      .toString();
  }

  /** Measures the page at each size (`hasFields`: it shows text fields, so the guard is not vacuous); returns "<page> <size>: <problem>" lines (empty when all is well). */
  async function check(page: Page, locale: Locale, name: string, hasFields = true): Promise<string[]> {
    const found: string[] = [];
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
      const where = `${locale} ${name} ${viewport.name}`;
      expect({ where, fields: (await countTextFields(page)) > 0 }).toEqual({ where, fields: hasFields });
      for (const p of await fieldLayoutProblems(page)) found.push(`${where}: ${p.field}: ${p.problem}`);
      for (const v of await axeViolations(page)) found.push(`${where}: axe ${v}`);
      await shot(page, `${locale}-${name}-${viewport.name}`);
    }
    await page.setViewportSize(VIEWPORTS[0]);
    return found;
  }

  it.each<Locale>(['en', 'ar'])('%s: every text field fills its column and is 24 px tall; axe finds nothing', async (locale) => {
    const page = await openWatchedPage(browsers, { locale: locale === 'ar' ? 'ar' : 'en-US' });
    const problems: string[] = [];
    const passphrase = `layout ${locale} orbit velvet canyon 42`;

    // Sign-in and sign-up, as an RP's authorization request shows them.
    await page.goto(await authorizationUrl(plainConfig, { scope: 'openid email', prompt: 'consent' }));
    await page.getByRole('heading', { level: 1, name: ui(locale, 'login.heading', { client: 'Layout News' }) }).waitFor();
    expect(await page.locator('html').getAttribute('dir')).toBe(locale === 'ar' ? 'rtl' : 'ltr');
    problems.push(...(await check(page, locale, 'sign-in')));
    await page.getByRole('link', { name: t(locale, 'login.signup_link') }).click();
    await heading(page, t(locale, 'signup.heading')).waitFor();
    problems.push(...(await check(page, locale, 'sign-up')));

    // The vault: set-up, then documents and the editor of a new passport.
    await signUpToAccount(page, server.url, locale, `layout-${locale}-${engine}@example.com`);
    await heading(page, t(locale, 'vault.setup.heading')).waitFor();
    problems.push(...(await check(page, locale, 'vault-setup')));
    await setUpVault(page, locale, passphrase);
    await addElement(page, locale, 'personal_details', { given_name: 'Layla', family_name: 'Haddad', birthdate: '1990-04-12', gender: 'female', nationality: 'BH', country_of_residence: 'BH' });
    await page.getByRole('button', { name: t(locale, 'vault.lock') }).click();
    problems.push(...(await check(page, locale, 'vault-unlock')));
    await unlock(page, locale, passphrase);
    await page.getByRole('button', { name: t(locale, 'vault.add.passport'), exact: true }).click();
    await heading(page, t(locale, 'element.passport')).waitFor();
    problems.push(...(await check(page, locale, 'vault-editor')));

    // Consent: a plain OIDC client, then the passport consent page locked and open.
    await page.goto(await authorizationUrl(plainConfig, { scope: 'openid email', prompt: 'consent' }));
    await page.getByRole('button', { name: t(locale, 'consent.allow') }).waitFor();
    problems.push(...(await check(page, locale, 'consent', false)));
    const scope = { v: 1, data: [{ type: 'personal_details', fields: ['given_name', 'family_name', 'birthdate'] }] };
    await page.goto(await authorizationUrl(passportConfig, { scope: 'openid passport', passport_scope: JSON.stringify(scope) }));
    await page.getByRole('heading', { level: 1, name: ui(locale, 'passport.heading', { client: 'Layout Travel' }) }).waitFor();
    // The heading is the server's; the unlock form is drawn by the page's script: measure once it is there.
    await page.getByLabel(t(locale, 'vault.passphrase'), { exact: true }).waitFor();
    problems.push(...(await check(page, locale, 'consent-passport-locked')));
    await unlock(page, locale, passphrase, 'consent');
    problems.push(...(await check(page, locale, 'consent-passport-open', false)));

    expect(problems).toEqual([]);
    expect(page.errors).toEqual([]);
  });
});
