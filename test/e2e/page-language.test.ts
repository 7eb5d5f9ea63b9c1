import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Locator } from 'playwright-core';
import { t, type Locale } from '../../src/i18n/index.js';
import { Browsers, openWatchedPage } from '../helpers/browser.js';
import { e2eEngines } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { heading, randomJpeg, setUpVault, signUpToAccount, ui } from '../helpers/vault-ui.js';

/**
 * Issue #11 point 5, in a real Chromium whose own language is English: the
 * browser's validation messages speak the page's language; free-text name fields
 * take right-to-left text (dir="auto"); deriving a key shows an honest, announced
 * progress line; an upload shows its real progress per scan.
 */
describe.each(e2eEngines())('page language and progress in Chromium (%s)', (engine) => {
  let server: TestServer;
  const browsers = new Browsers();

  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server?.close());
  afterEach(() => browsers.closeAll());

  const message = (control: Locator) => control.evaluate((el: HTMLInputElement) => el.validationMessage);

  it.each<Locale>(['ar', 'en'])('%s: the browser\'s validation messages come from the page\'s catalog', async (locale) => {
    const page = await openWatchedPage(browsers, { locale: 'en-US' });
    await page.goto(`${server.url}/account/login?lang=${locale}`);
    await page.getByRole('link', { name: t(locale, 'login.signup_link') }).click();
    const email = page.getByLabel(t(locale, 'form.email'));
    const password = page.getByLabel(t(locale, 'form.password'), { exact: true });
    const confirm = page.getByLabel(t(locale, 'form.password_confirm'));
    const submit = page.getByRole('button', { name: t(locale, 'signup.submit') });

    // Submitting empty: the browser stops, with the catalog's words.
    await submit.click();
    expect(await message(email)).toBe(t(locale, 'validity.required'));
    expect(page.url()).toContain('/signup');
    await email.fill('not-an-address');
    expect(await message(email)).toBe(t(locale, 'validity.email')); // worded afresh as it changes
    await submit.click();
    expect(await message(email)).toBe(t(locale, 'validity.email'));
    expect(page.url()).toContain('/signup');
    await email.fill(`layla-${locale}-${engine}@example.com`);
    await password.pressSequentially('short');
    await submit.click();
    expect(await message(password)).toBe(t(locale, 'validity.too_short').replace('{min}', '8').replace('{count}', '5'));
    // Another script's message (the live "do not match" check) is left as it is.
    await password.fill('correct horse battery staple');
    await confirm.fill('correct horse battery stapler');
    await submit.click();
    expect(await message(confirm)).toBe(t(locale, 'form.password_mismatch_live'));
    await confirm.fill('correct horse battery staple');
    expect(await message(confirm)).toBe('');
    await submit.click();
    await page.waitForURL(`${server.url}/account`);
    expect(page.errors).toEqual([]);
  });

  it('shows progress while deriving the key and while uploading a scan; name fields take right-to-left text', async () => {
    const locale: Locale = 'ar';
    const page = await openWatchedPage(browsers, { locale: 'ar' });
    // Record every progress line the page shows, however briefly.
    await page.addInitScript(() => {
      const seen: string[] = ((window as unknown as { progressSeen: string[] }).progressSeen = []);
      new MutationObserver(() => {
        for (const el of Array.from(document.querySelectorAll('.vault-progress, .upload-progress'))) {
          const text = `${el.getAttribute('role')}|${el.querySelector('.vault-progress-bar') ? 'indeterminate' : (el.querySelector('progress')?.getAttribute('value') ?? '')}|${el.textContent}`;
          if (el.textContent && seen[seen.length - 1] !== text) seen.push(text);
        }
      }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    const seen = () => page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
    await signUpToAccount(page, server.url, locale, `progress-${engine}@example.com`);
    await setUpVault(page, locale, 'قافلة نخيل orbit velvet 42');
    const deriving = t(locale, 'vault.unlock.deriving');
    expect(await seen()).toContain(`status|indeterminate|${deriving}`);
    // Gone once done.
    expect(await page.locator('.vault-progress').count()).toBe(0);

    // The passport form: name-like free text follows its content's direction; numbers stay left-to-right.
    await page.getByRole('button', { name: t(locale, 'vault.add.personal_details'), exact: true }).click();
    const given = page.getByLabel(t(locale, 'field.given_name'), { exact: true });
    expect(await given.getAttribute('dir')).toBe('auto');
    await given.fill('Layla');
    expect(await given.evaluate((el) => el.matches(':dir(ltr)'))).toBe(true);
    await given.fill('ليلى');
    expect(await given.evaluate((el) => el.matches(':dir(rtl)'))).toBe(true);
    await page.getByRole('button', { name: t(locale, 'vault.cancel'), exact: true }).click();

    await page.getByRole('button', { name: t(locale, 'vault.add.passport'), exact: true }).click();
    await heading(page, t(locale, 'element.passport')).waitFor();
    expect(await page.getByLabel(t(locale, 'field.document_number'), { exact: true }).getAttribute('dir')).toBe('ltr');
    await page.getByLabel(t(locale, 'field.document_number'), { exact: true }).fill('P1234567');
    await page.getByLabel(t(locale, 'field.issuing_country'), { exact: true }).selectOption('BH');
    const jpeg = await randomJpeg(page, { minBytes: 600_000, quality: 1 });
    await page.getByLabel(t(locale, 'slot.front_side'), { exact: true }).setInputFiles({ name: 'passport.jpg', mimeType: 'image/jpeg', buffer: jpeg });
    await page.getByText('passport.jpg', { exact: true }).waitFor();
    await page.getByRole('button', { name: t(locale, 'vault.save'), exact: true }).click();
    await page.getByText(ui(locale, 'vault.saved', { type: t(locale, 'element.passport') })).waitFor();
    const uploads = (await seen()).filter((line) => line.startsWith('status|') && !line.includes('indeterminate'));
    const name = 'passport.jpg';
    expect(uploads[0]).toBe(`status|0|${ui(locale, 'vault.scan.uploading', { name, percent: new Intl.NumberFormat('ar', { style: 'percent' }).format(0) })}`);
    expect(uploads[uploads.length - 1]).toBe(`status|100|${ui(locale, 'vault.scan.uploaded', { name })}`);
    // The upload went out once, over XMLHttpRequest, whole.
    const sent = page.sent.filter((r) => r.method === 'POST' && r.url.includes('/api/vault/files'));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body!.length).toBe(jpeg.length + 40);
    expect(page.errors).toEqual([]);
  });
});
