import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair } from 'jose';
import type * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import { t, type Locale } from '../../src/i18n/index.js';
import { Browsers, openWatchedPage } from '../helpers/browser.js';
import { e2eEngines } from '../helpers/db.js';
import { authorizationRequest, discover, PASSWORD, startCallbackListener, type CallbackListener } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { heading, screenshots, setUpVault } from '../helpers/vault-ui.js';

/**
 * Text fields keep their size and their direction on every page, in English and
 * Arabic, on a desktop and a phone: sign-in, sign-up, the vault's element editor
 * and the passport consent page's unlock form. Measured in a real Chromium.
 * SCREENSHOT_DIR=/tmp/shots saves a picture of each page at each size.
 */

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

const NAME_FIELDS = ['given_name', 'family_name', 'middle_name', 'given_name_native', 'family_name_native', 'middle_name_native'];

interface Measured {
  name: string;
  height: number;
  /** The control's width, and with what shares its line (a password's show button), over its field's content width. */
  own: number;
  line: number;
}

/** Every visible text-like control of the page, measured against the field it sits in. */
function measure(page: Page): Promise<{ controls: Measured[]; overflow: number }> {
  return page.evaluate(() => {
    const skip = ['hidden', 'checkbox', 'radio', 'file', 'submit', 'button', 'reset', 'image', 'range', 'color'];
    const all = Array.from(document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('input, select, textarea'));
    const controls = all
      .filter((el) => !(el instanceof HTMLInputElement && skip.includes(el.type)) && el.getClientRects().length > 0)
      .map((el) => {
        const box = el.getBoundingClientRect();
        const cell = el.closest('.field') ?? el.parentElement!;
        const style = getComputedStyle(cell);
        const content = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        let left = box.left;
        let right = box.right;
        for (const sibling of Array.from(el.parentElement!.children)) {
          if (sibling === el || sibling.getClientRects().length === 0) continue;
          const r = sibling.getBoundingClientRect();
          if (r.top < box.bottom && r.bottom > box.top) {
            left = Math.min(left, r.left);
            right = Math.max(right, r.right);
          }
        }
        return { name: el.name || el.id, height: box.height, own: box.width / content, line: (right - left) / content };
      });
    return { controls, overflow: document.documentElement.scrollWidth - window.innerWidth };
  });
}

describe.each(e2eEngines())('text fields in Chromium (%s)', (engine) => {
  let server: TestServer;
  let rp: CallbackListener;
  let config: oidc.Configuration;
  const browsers = new Browsers();
  const shot = screenshots(`fields-${engine}-`);

  beforeAll(async () => {
    server = await startTestServer(engine);
    rp = await startCallbackListener();
    const { publicKey } = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), use: 'enc', alg: 'ECDH-ES+A256KW', kid: 'fields-rp' };
    const client = await server.services.clients.create({ client_name: 'Field Shop', redirect_uris: [rp.redirectUri], scope: 'openid passport', jwks: { keys: [jwk as never] } });
    config = await discover(server.url, client.client_id, client.client_secret);
  });
  afterAll(async () => {
    await server?.close();
    await rp?.close();
  });
  afterEach(() => browsers.closeAll());

  /** At each size: every text-like control is at least 36 px tall and fills its field; nothing scrolls sideways. */
  async function expectComfortableFields(page: Page, locale: Locale, screen: string, atLeast: number) {
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      const { controls, overflow } = await measure(page);
      await shot(page, `${locale}-${screen}-${viewport.name}`);
      expect(controls.length).toBeGreaterThanOrEqual(atLeast);
      // `line` counts a password's show button; on a phone that button takes up to half the line.
      for (const c of controls) {
        const where = { screen, viewport: viewport.name, control: c.name };
        expect({ ...where, tall: c.height >= 36, fills: c.line >= 0.9, wide: c.own >= 0.5 }).toEqual({ ...where, tall: true, fills: true, wide: true });
      }
      expect({ screen, viewport: viewport.name, overflow: overflow <= 0 }).toEqual({ screen, viewport: viewport.name, overflow: true });
    }
  }

  const direction = (page: Page, label: string) => page.getByLabel(label, { exact: true }).evaluate((el) => getComputedStyle(el).direction);

  it.each<Locale>(['en', 'ar'])('%s: sign-in, sign-up, the element editor and the consent page', async (locale) => {
    const page = await openWatchedPage(browsers, { locale, viewport: VIEWPORTS[0] });
    await page.goto(`${server.url}/account/login?lang=${locale}`);
    expect(await page.locator('html').getAttribute('dir')).toBe(locale === 'ar' ? 'rtl' : 'ltr');
    await page.locator('button[data-toggle-password]:visible').waitFor(); // the enhanced page, with the show button
    await expectComfortableFields(page, locale, '1-sign-in', 2);

    await page.getByRole('link', { name: t(locale, 'login.signup_link') }).click();
    await page.getByLabel(t(locale, 'form.password_confirm')).waitFor();
    await expectComfortableFields(page, locale, '2-sign-up', 3);
    await page.setViewportSize(VIEWPORTS[0]);
    await page.getByLabel(t(locale, 'form.email')).fill(`fields-${locale}-${engine}@example.com`);
    expect(await direction(page, t(locale, 'form.email'))).toBe('ltr');
    await page.getByLabel(t(locale, 'form.password'), { exact: true }).fill(PASSWORD);
    await page.getByLabel(t(locale, 'form.password_confirm')).fill(PASSWORD);
    await page.getByRole('button', { name: t(locale, 'signup.submit') }).click();
    await page.waitForURL(`${server.url}/account`);

    const passphrase = 'Zq7 lantern orbit velvet canyon';
    await setUpVault(page, locale, passphrase);
    await page.getByRole('button', { name: t(locale, 'vault.add.personal_details'), exact: true }).click();
    await heading(page, t(locale, 'element.personal_details')).waitFor();
    // Names follow what is typed; dates stay left to right on an Arabic page.
    for (const name of NAME_FIELDS) expect(await page.getByLabel(t(locale, `field.${name}`), { exact: true }).getAttribute('dir')).toBe('auto');
    const given = t(locale, 'field.given_name');
    await page.getByLabel(given, { exact: true }).fill('ليلى');
    expect(await direction(page, given)).toBe('rtl');
    await page.getByLabel(given, { exact: true }).fill('Layla');
    expect(await direction(page, given)).toBe('ltr');
    await page.getByLabel(t(locale, 'field.given_name_native'), { exact: true }).fill('ليلى');
    expect(await direction(page, t(locale, 'field.given_name_native'))).toBe('rtl');
    expect(await direction(page, t(locale, 'field.birthdate'))).toBe('ltr');
    await expectComfortableFields(page, locale, '3-editor', 9);
    await page.getByRole('button', { name: t(locale, 'vault.cancel'), exact: true }).click();
    await heading(page, t(locale, 'vault.docs.heading')).waitFor();

    // The passport consent page: its unlock form.
    await page.setViewportSize(VIEWPORTS[0]);
    const auth = await authorizationRequest(config, {
      redirect_uri: rp.redirectUri,
      scope: 'openid passport',
      passport_scope: JSON.stringify({ v: 1, data: ['personal_details'] }),
      ui_locales: locale,
    });
    await page.goto(auth.url.href);
    await heading(page, t(locale, 'passport.unlock_heading')).waitFor();
    await expectComfortableFields(page, locale, '4-consent', 1);
    expect(page.errors).toEqual([]);
  });
});
