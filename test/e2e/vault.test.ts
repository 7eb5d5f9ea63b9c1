import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { t, type Locale } from '../../src/i18n/index.js';
import { ELEMENT_TYPES, elementSpec, type FieldKind } from '../../src/protocol/index.js';
import { Browsers, openWatchedPage } from '../helpers/browser.js';
import { e2eEngines } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { confirmRecoveryCode, heading, imageWidth, randomJpeg, screenshots, setUpVault, signUpToAccount, ui, unlock } from '../helpers/vault-ui.js';

/**
 * The vault pages in a real Chromium, with the real Argon2id cost: set-up,
 * documents with a scan, lock and unlock, edit, reload, recovery. Fields are
 * found by their labels and buttons by their names, from the catalogs.
 * SCREENSHOT_DIR=/tmp/shots saves a picture of each screen.
 */
describe.each(e2eEngines())('vault pages in Chromium (%s)', (engine) => {
  let server: TestServer;
  const browsers = new Browsers();
  const shot = screenshots(`${engine}-`);

  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server?.close());
  afterEach(() => browsers.closeAll());

  const openPage = (locale?: string) => openWatchedPage(browsers, { locale });
  /** Set-up checks the way there too, and pictures each screen. */
  const thorough = (page: Page) => ({ thorough: true, shot: (name: string) => shot(page, name) });

  const card = (page: Page, locale: Locale, type: string) =>
    page.locator('article.element-card').filter({ has: page.getByRole('heading', { name: t(locale, `element.${type}`), exact: true }) });

  /** Shows a scan and checks that the image decrypted and rendered. */
  async function expectScanShows(page: Page, locale: Locale, slot: string) {
    const label = t(locale, `slot.${slot}`);
    await page.getByRole('button', { name: ui(locale, 'vault.scan.show', { slot: label }) }).click();
    expect(await imageWidth(page, ui(locale, 'vault.scan.alt', { slot: label }))).toBe(120);
  }

  it('sets up a vault, keeps documents with a scan across lock, edit and reload, and recovers with the code', async () => {
    const locale = 'en';
    const page = await openPage();
    const passphrase = 'orbit velvet canyon lantern 42';
    const email = `vault-${engine}@example.com`;
    await signUpToAccount(page, server.url, locale, email);
    expect(await page.locator('html').getAttribute('dir')).toBe('ltr');
    const code = await setUpVault(page, locale, passphrase, thorough(page));
    await page.getByText(t(locale, 'vault.setup.done')).waitFor();
    await shot(page, 'en-4-documents-empty');

    // Personal details: required fields are named when missing.
    await page.getByRole('button', { name: t(locale, 'vault.add.personal_details'), exact: true }).click();
    await heading(page, t(locale, 'element.personal_details')).waitFor();
    await page.getByLabel(t(locale, 'field.given_name'), { exact: true }).fill('Layla');
    await page.getByRole('button', { name: t(locale, 'vault.save'), exact: true }).click();
    await page.getByRole('alert').filter({ hasText: t(locale, 'vault.form_invalid') }).waitFor();
    expect(await page.getByText(t(locale, 'vault.error.required')).count()).toBeGreaterThanOrEqual(5);
    expect(await page.getByLabel(t(locale, 'field.family_name'), { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await shot(page, 'en-5-personal-errors');
    await page.getByLabel(t(locale, 'field.family_name'), { exact: true }).fill('Haddad');
    await page.getByLabel(t(locale, 'field.given_name_native'), { exact: true }).fill('ليلى');
    await page.getByLabel(t(locale, 'field.birthdate'), { exact: true }).fill('1990-04-12');
    await page.getByLabel(t(locale, 'field.gender'), { exact: true }).selectOption('female');
    await page.getByLabel(t(locale, 'field.nationality'), { exact: true }).selectOption('BH');
    await page.getByLabel(t(locale, 'field.country_of_residence'), { exact: true }).selectOption('OM');
    await page.getByRole('button', { name: t(locale, 'vault.save'), exact: true }).click();
    await page.getByText(ui(locale, 'vault.saved', { type: t(locale, 'element.personal_details') })).waitFor();
    await expect(card(page, locale, 'personal_details').textContent()).resolves.toContain('Bahrain');

    // A passport with a front-side scan; the phone number is checked as E.164.
    await page.getByRole('button', { name: t(locale, 'vault.add.passport'), exact: true }).click();
    await page.getByLabel(t(locale, 'field.document_number'), { exact: true }).fill('P1234567');
    await page.getByLabel(t(locale, 'field.issuing_country'), { exact: true }).selectOption('BH');
    await page.getByLabel(t(locale, 'field.date_of_issuance'), { exact: true }).fill('2021-06-01');
    await page.getByLabel(t(locale, 'field.date_of_expiry'), { exact: true }).fill('2020-06-01');
    const jpeg = await randomJpeg(page);
    await page.getByLabel(t(locale, 'slot.front_side'), { exact: true }).setInputFiles({ name: 'passport.jpg', mimeType: 'image/jpeg', buffer: jpeg });
    await page.getByText('passport.jpg', { exact: true }).waitFor();
    await page.getByRole('button', { name: t(locale, 'vault.save'), exact: true }).click();
    await page.getByText(t(locale, 'vault.error.expiry_before_issue')).waitFor();
    await page.getByLabel(t(locale, 'field.date_of_expiry'), { exact: true }).fill('2031-05-31');
    await shot(page, 'en-6-passport-form');
    await page.getByRole('button', { name: t(locale, 'vault.save'), exact: true }).click();
    await page.getByText(ui(locale, 'vault.saved', { type: t(locale, 'element.passport') })).waitFor();
    const passport = card(page, locale, 'passport');
    await expect(passport.textContent()).resolves.toContain('P1234567');
    await expectScanShows(page, locale, 'front_side');
    await shot(page, 'en-7-documents');

    // Lock: the decrypted values leave the page.
    await page.getByRole('button', { name: t(locale, 'vault.lock') }).click();
    await heading(page, t(locale, 'vault.unlock.heading')).waitFor();
    expect(await page.content()).not.toContain('P1234567');
    expect(await page.evaluate(() => document.querySelectorAll('img[src^="blob:"]').length)).toBe(0);
    await shot(page, 'en-8-unlock');

    // A wrong passphrase gets the one uniform error.
    await page.getByLabel(t(locale, 'vault.passphrase'), { exact: true }).fill('orbit velvet canyon lantern 43');
    await page.getByRole('button', { name: t(locale, 'vault.unlock.submit') }).click();
    await page.getByRole('alert').filter({ hasText: t(locale, 'vault.unlock.failed') }).waitFor();
    await unlock(page, locale, passphrase);

    // Edit the passport (version 2): the scan stays attached.
    await passport.getByRole('button', { name: t(locale, 'vault.edit') }).click();
    await heading(page, t(locale, 'element.passport')).waitFor();
    expect(await page.getByLabel(t(locale, 'field.document_number'), { exact: true }).inputValue()).toBe('P1234567');
    await page.getByLabel(t(locale, 'field.document_number'), { exact: true }).fill('P7654321');
    await page.getByRole('button', { name: t(locale, 'vault.save'), exact: true }).click();
    await page.getByText(ui(locale, 'vault.saved', { type: t(locale, 'element.passport') })).waitFor();
    await expect(passport.textContent()).resolves.toContain('P7654321');

    // Reload: locked again; unlock and everything is intact.
    await page.reload();
    await unlock(page, locale, passphrase);
    const details = await card(page, locale, 'personal_details').textContent();
    for (const value of ['Layla', 'Haddad', 'ليلى', 'Bahrain', 'Oman', 'Female', 'April 12, 1990']) expect(details).toContain(value);
    await expect(passport.textContent()).resolves.toContain('P7654321');
    await expectScanShows(page, locale, 'front_side');

    // Only envelopes left the page: no passphrase, code, value or scan bytes in any request.
    const secrets = [passphrase, code, code.replace(/-/g, ''), 'Layla', 'Haddad', 'P1234567', 'P7654321', '1990-04-12'];
    for (const request of page.sent) {
      const text = `${request.url} ${request.body?.toString('latin1') ?? ''}`;
      for (const secret of secrets) expect(text).not.toContain(secret);
      if (request.body) expect(request.body.includes(jpeg.subarray(0, 64))).toBe(false);
    }
    const uploads = page.sent.filter((r) => r.method === 'POST' && r.url.includes('/api/vault/files'));
    expect(uploads).toHaveLength(1);
    expect(uploads[0]!.body!.length).toBe(jpeg.length + 40);

    // "Forgot" the passphrase: a typo is caught, then the code (typed loosely) recovers.
    await page.getByRole('button', { name: t(locale, 'vault.lock') }).click();
    await page.getByRole('button', { name: t(locale, 'vault.unlock.forgot') }).click();
    await heading(page, t(locale, 'vault.recover.heading')).waitFor();
    const recoveryField = page.getByLabel(t(locale, 'vault.recover.code'), { exact: true });
    const typo = code.slice(0, 1) + (code[1] === 'A' ? 'B' : 'A') + code.slice(2);
    await recoveryField.fill(typo);
    await page.getByRole('button', { name: t(locale, 'vault.recover.submit') }).click();
    await page.getByRole('alert').filter({ hasText: t(locale, 'vault.recover.typo') }).waitFor();
    await recoveryField.fill(code.toLowerCase().replace(/-/g, ' '));
    await page.getByRole('button', { name: t(locale, 'vault.recover.submit') }).click();
    await heading(page, t(locale, 'vault.recover.new_heading')).waitFor();
    const renewed = 'harbor quilt meadow sparrow 7';
    await page.getByLabel(t(locale, 'vault.passphrase_new'), { exact: true }).fill(renewed);
    await page.getByLabel(t(locale, 'vault.passphrase_confirm')).fill(renewed);
    await shot(page, 'en-9-new-passphrase');
    await page.getByRole('button', { name: t(locale, 'vault.recover.save') }).click();
    await page.getByText(t(locale, 'vault.recover.done')).waitFor();
    await page.getByRole('button', { name: t(locale, 'vault.lock') }).click();
    await unlock(page, locale, renewed);
    await expect(passport.textContent()).resolves.toContain('P7654321');

    // Nothing secret was ever logged.
    for (const line of page.consoleText) for (const secret of [passphrase, renewed, code]) expect(line).not.toContain(secret);
    expect(page.errors).toEqual([]);
  });

  it('works in Arabic, right to left; refuses weak KDF parameters; warns about a rolled-back vault', async () => {
    const locale = 'ar';
    const page = await openPage('ar');
    const passphrase = 'نخلة قمر بحر جبل ٧';
    await signUpToAccount(page, server.url, locale, `arabic-vault-${engine}@example.com`);
    const html = page.locator('html');
    expect(await html.getAttribute('dir')).toBe('rtl');
    expect(await html.getAttribute('lang')).toBe('ar');
    await setUpVault(page, locale, passphrase, thorough(page));
    for (const group of ['personal', 'identity', 'address', 'address_documents', 'contacts']) {
      await expect(page.getByRole('heading', { name: t(locale, `vault.group.${group}`), exact: true }).isVisible()).resolves.toBe(true);
    }
    await page.getByRole('button', { name: t(locale, 'vault.add.phone_number'), exact: true }).click();
    const phone = page.getByLabel(t(locale, 'field.phone_number'), { exact: true });
    expect(await phone.getAttribute('type')).toBe('tel');
    await phone.fill('0097312345678');
    await page.getByRole('button', { name: t(locale, 'vault.save'), exact: true }).click();
    await page.getByText(t(locale, 'vault.error.phone')).waitFor();
    await phone.fill('+97312345678');
    await page.getByRole('button', { name: t(locale, 'vault.save'), exact: true }).click();
    await page.getByText(ui(locale, 'vault.saved', { type: t(locale, 'element.phone_number') })).waitFor();
    await shot(page, 'ar-4-documents');
    await page.getByRole('button', { name: t(locale, 'vault.lock') }).click();
    await unlock(page, locale, passphrase);
    await expect(card(page, locale, 'phone_number').textContent()).resolves.toContain('+97312345678');
    await page.getByRole('button', { name: t(locale, 'vault.lock') }).click();
    await shot(page, 'ar-5-unlock');

    // A server that lowers the Argon2id cost is refused before the passphrase is used.
    await page.route('**/api/vault', async (route) => {
      const response = await route.fetch();
      const body = await response.json();
      body.vault.kdf.m = 1024;
      await route.fulfill({ response, json: body });
    });
    await page.getByLabel(t(locale, 'vault.passphrase'), { exact: true }).fill(passphrase);
    await page.getByRole('button', { name: t(locale, 'vault.unlock.submit') }).click();
    await page.getByText(t(locale, 'vault.unlock.unsafe')).waitFor();
    await shot(page, 'ar-6-unsafe');
    await page.unroute('**/api/vault');

    // A vault older than one this browser saw: a warning that stays.
    const vaultId = await page.evaluate(() => Object.keys(localStorage).find((k) => k.startsWith('wathiqa.vault.'))!.split('.')[2]!);
    await page.evaluate((id) => localStorage.setItem(`wathiqa.vault.${id}.version`, '9999'), vaultId);
    await page.reload();
    await page.getByRole('alert').filter({ hasText: '9999' }).waitFor();
    await unlock(page, locale, passphrase);
    await expect(page.getByRole('alert').filter({ hasText: '9999' }).isVisible()).resolves.toBe(true);
    await shot(page, 'ar-7-rollback');
    expect(page.errors).toEqual([]);
  });

  it('adds, shows and deletes every element type, with multi-file slots and a PDF; changes the passphrase', async () => {
    const locale = 'en';
    const page = await openPage();
    const passphrase = 'copper tundra whistle maple 9';
    await signUpToAccount(page, server.url, locale, `all-types-${engine}@example.com`);
    const firstCode = await setUpVault(page, locale, passphrase, thorough(page));
    const jpeg = await randomJpeg(page);
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
    const sample: Record<FieldKind, string> = { text: 'Sample 1', date: '2020-02-29', country: 'BH', gender: 'other', phone: '+97336001234', email: 'someone@example.com' };

    for (const type of ELEMENT_TYPES) {
      const spec = elementSpec(type);
      await page.getByRole('button', { name: t(locale, `vault.add.${type}`), exact: true }).click();
      await heading(page, t(locale, spec.labelKey)).waitFor();
      for (const field of spec.fields.filter((f) => f.required)) {
        const control = page.getByLabel(t(locale, field.labelKey), { exact: true });
        if (field.kind === 'country' || field.kind === 'gender') await control.selectOption(sample[field.kind]);
        else await control.fill(sample[field.kind]);
      }
      for (const slot of spec.slots.filter((s) => s.required)) {
        const files = slot.multiple
          ? [{ name: 'page-1.jpg', mimeType: 'image/jpeg', buffer: jpeg }, { name: 'page-2.pdf', mimeType: 'application/pdf', buffer: pdf }]
          : { name: `${slot.name}.jpg`, mimeType: 'image/jpeg', buffer: jpeg };
        await page.getByLabel(t(locale, slot.labelKey), { exact: true }).setInputFiles(files);
      }
      if (type === 'utility_bill') await shot(page, 'en-10-multi-file-form');
      await page.getByRole('button', { name: t(locale, 'vault.save'), exact: true }).click();
      await page.getByText(ui(locale, 'vault.saved', { type: t(locale, spec.labelKey) })).waitFor();
    }
    expect(await page.locator('article.element-card').count()).toBe(13);
    // personal_details is a one-of: its add button is gone.
    expect(await page.getByRole('button', { name: t(locale, 'vault.add.personal_details'), exact: true }).count()).toBe(0);
    await shot(page, 'en-11-all-types');

    // The PDF of a multi-file slot opens as a blob link.
    const bill = card(page, locale, 'utility_bill');
    const second = ui(locale, 'vault.scan.numbered', { slot: t(locale, 'slot.files'), number: '2' });
    await bill.getByRole('button', { name: ui(locale, 'vault.scan.show', { slot: second }) }).click();
    const pdfLink = bill.getByRole('link', { name: ui(locale, 'vault.scan.open_pdf', { slot: second }) });
    expect(await pdfLink.getAttribute('href')).toMatch(/^blob:/);

    // Delete asks first; "Keep it" keeps it.
    await bill.getByRole('button', { name: t(locale, 'vault.delete'), exact: true }).click();
    await bill.getByText(ui(locale, 'vault.delete_question', { type: t(locale, 'element.utility_bill') })).waitFor();
    await shot(page, 'en-12-delete-confirm');
    await bill.getByRole('button', { name: t(locale, 'vault.delete_no') }).click();
    expect(await page.locator('article.element-card').count()).toBe(13);
    await bill.getByRole('button', { name: t(locale, 'vault.delete'), exact: true }).click();
    await bill.getByRole('button', { name: t(locale, 'vault.delete_yes') }).click();
    await page.getByText(ui(locale, 'vault.deleted', { type: t(locale, 'element.utility_bill') })).waitFor();
    expect(await page.locator('article.element-card').count()).toBe(12);

    // Someone else changed the element meanwhile (409): the page reloads and says so.
    await page.route('**/api/vault/elements/*', (route) =>
      route.request().method() === 'PUT' ? route.fulfill({ status: 409, json: { error: 'conflict', error_description: 'stale version' } }) : route.continue(),
    );
    await card(page, locale, 'email').getByRole('button', { name: t(locale, 'vault.edit') }).click();
    await page.getByLabel(t(locale, 'field.email'), { exact: true }).fill('other@example.com');
    await page.getByRole('button', { name: t(locale, 'vault.save'), exact: true }).click();
    await page.getByRole('alert').filter({ hasText: t(locale, 'vault.conflict') }).waitFor();
    await heading(page, t(locale, 'vault.docs.heading')).waitFor();
    await expect(card(page, locale, 'email').textContent()).resolves.toContain('someone@example.com');
    await page.unroute('**/api/vault/elements/*');

    // Change the passphrase: the current one is checked first.
    await page.getByRole('button', { name: t(locale, 'vault.change_passphrase') }).click();
    await heading(page, t(locale, 'vault.change.heading')).waitFor();
    const renewed = 'granite pelican orchard violin 3';
    await page.getByLabel(t(locale, 'vault.passphrase_current'), { exact: true }).fill('not the passphrase at all');
    await page.getByLabel(t(locale, 'vault.passphrase_new'), { exact: true }).fill(renewed);
    await page.getByLabel(t(locale, 'vault.passphrase_confirm')).fill(renewed);
    await page.getByRole('button', { name: t(locale, 'vault.change.submit') }).click();
    await page.getByText(t(locale, 'vault.change.wrong_current')).waitFor();
    await shot(page, 'en-13-change-passphrase');
    await page.getByLabel(t(locale, 'vault.passphrase_current'), { exact: true }).fill(passphrase);
    await page.getByRole('button', { name: t(locale, 'vault.change.submit') }).click();
    await page.getByText(t(locale, 'vault.change.done')).waitFor();
    await page.getByRole('button', { name: t(locale, 'vault.lock') }).click();
    await page.getByLabel(t(locale, 'vault.passphrase'), { exact: true }).fill(passphrase);
    await page.getByRole('button', { name: t(locale, 'vault.unlock.submit') }).click();
    await page.getByRole('alert').filter({ hasText: t(locale, 'vault.unlock.failed') }).waitFor();
    await unlock(page, locale, renewed);
    expect(await page.locator('article.element-card').count()).toBe(12);

    // A new recovery code replaces the old one.
    await page.getByRole('button', { name: t(locale, 'vault.new_code.open') }).click();
    await heading(page, t(locale, 'vault.new_code.heading')).waitFor();
    await page.getByRole('button', { name: t(locale, 'vault.new_code.submit') }).click();
    await heading(page, t(locale, 'vault.recovery.heading')).waitFor();
    const newCode = (await page.locator('#recovery-code').textContent())!.trim();
    expect(newCode).not.toBe(firstCode);
    await confirmRecoveryCode(page, locale, newCode);
    await page.getByText(t(locale, 'vault.new_code.done')).waitFor();
    await page.getByRole('button', { name: t(locale, 'vault.lock') }).click();
    await page.getByRole('button', { name: t(locale, 'vault.unlock.forgot') }).click();
    await page.getByLabel(t(locale, 'vault.recover.code'), { exact: true }).fill(firstCode);
    await page.getByRole('button', { name: t(locale, 'vault.recover.submit') }).click();
    await page.getByRole('alert').filter({ hasText: t(locale, 'vault.recover.wrong') }).waitFor();
    await page.getByLabel(t(locale, 'vault.recover.code'), { exact: true }).fill(newCode);
    await page.getByRole('button', { name: t(locale, 'vault.recover.submit') }).click();
    await heading(page, t(locale, 'vault.recover.new_heading')).waitFor();
    await page.getByRole('button', { name: t(locale, 'vault.cancel') }).click();
    await unlock(page, locale, renewed);

    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'en-14-narrow', false);
    await card(page, locale, 'identity_card').scrollIntoViewIfNeeded();
    await shot(page, 'en-15-narrow-card', false);
    // The browser logs the 409 we staged; nothing else.
    expect(page.errors.filter((e) => !/status of 409/.test(e))).toEqual([]);
  });
});
