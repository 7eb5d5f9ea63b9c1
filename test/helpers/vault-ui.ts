import { expect } from '@jest/globals';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { t, type Locale } from '../../src/i18n/index.js';
import { PASSWORD } from './flow.js';

/**
 * Driving the account and vault pages in Chromium the way a person does:
 * fields by their labels and buttons by their names, from the catalogs.
 */

const SHOTS = process.env.SCREENSHOT_DIR;

/** With SCREENSHOT_DIR set, `shot(page, name)` saves a picture of the page as `<dir>/<prefix><name>.png`; otherwise nothing. */
export function screenshots(prefix: string) {
  return async function shot(page: Page, name: string, fullPage = true): Promise<void> {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, `${prefix}${name}.png`), fullPage });
  };
}

export const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

/**
 * `shots(page, name)`: at each of VIEWPORTS, the page must not scroll sideways, and with
 * SCREENSHOT_DIR it is saved as `<prefix><name>-<viewport>.png`; back to desktop after.
 */
export function shotsAtSizes(prefix: string) {
  const shoot = screenshots(prefix);
  return async function shots(page: Page, name: string): Promise<void> {
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect({ name, viewport: viewport.name, overflow: overflow <= 0 }).toEqual({ name, viewport: viewport.name, overflow: true });
      await shoot(page, `${name}-${viewport.name}`);
    }
    await page.setViewportSize(VIEWPORTS[0]);
  };
}

/** A message as the page shows it: in Arabic, string values are bidi-isolated (U+2068 … U+2069). */
export function ui(locale: Locale, key: string, vars: Record<string, string> = {}): string {
  const isolated = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, locale === 'ar' ? `\u2068${v}\u2069` : v]));
  return t(locale, key, isolated);
}

export const heading = (page: Page, text: string) => page.getByRole('heading', { name: text, exact: true });

/** Signs up a new account from `/account/login` (plus `query`) and lands on the account page. */
export async function signUpToAccount(page: Page, baseUrl: string, locale: Locale, email: string, query = '') {
  await page.goto(`${baseUrl}/account/login${query}`);
  await page.getByRole('link', { name: t(locale, 'login.signup_link') }).click();
  await page.getByLabel(t(locale, 'form.email')).fill(email);
  await page.getByLabel(t(locale, 'form.password'), { exact: true }).fill(PASSWORD);
  await page.getByLabel(t(locale, 'form.password_confirm')).fill(PASSWORD);
  await page.getByRole('button', { name: t(locale, 'signup.submit') }).click();
  await page.waitForURL(`${baseUrl}/account`);
}

export interface SetUpVaultOptions {
  /**
   * Also check the way there: a too-weak passphrase is refused first, the code
   * has its format and downloads as a file, a group other than the one asked is
   * refused, and the asked group is typed back in lower case.
   */
  thorough?: boolean;
  /** Called with a screen's name (`<locale>-1-setup-empty` …) to take its picture. */
  shot?: (name: string) => Promise<void>;
}

/** Sets the vault up on the account page: reads the recovery code, types back the group asked for; returns the code. */
export async function setUpVault(page: Page, locale: Locale, passphrase: string, { thorough = false, shot }: SetUpVaultOptions = {}): Promise<string> {
  await heading(page, t(locale, 'vault.setup.heading')).waitFor();
  await shot?.(`${locale}-1-setup-empty`);
  const first = page.getByLabel(t(locale, 'vault.passphrase'), { exact: true });
  if (thorough) {
    // Too weak first: the meter says so and nothing is created.
    await first.fill('password1');
    await page.getByLabel(t(locale, 'vault.passphrase_confirm')).fill('password1');
    await page.getByRole('button', { name: t(locale, 'vault.setup.submit') }).click();
    await page.getByText(t(locale, 'vault.strength.too_weak')).waitFor();
  }
  await first.fill(passphrase);
  await page.getByLabel(t(locale, 'vault.passphrase_confirm')).fill(passphrase);
  await shot?.(`${locale}-2-setup-filled`);
  await page.getByRole('button', { name: t(locale, 'vault.setup.submit') }).click();

  await heading(page, t(locale, 'vault.recovery.heading')).waitFor();
  const code = (await page.locator('#recovery-code').textContent())!.trim();
  if (thorough) {
    expect(code).toMatch(/^[0-9A-Z*~$=]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z*~$=]{4}$/);
    const download = page.getByRole('link', { name: t(locale, 'vault.recovery.download') });
    expect(await download.getAttribute('download')).toBe(t(locale, 'vault.recovery.file_name'));
    expect(await download.getAttribute('href')).toMatch(/^blob:/);
    const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
    expect(file.suggestedFilename()).toBe(t(locale, 'vault.recovery.file_name'));
    expect(readFileSync((await file.path())!, 'utf8')).toContain(code);
    await shot?.(`${locale}-3-recovery-code`);
  }
  await confirmRecoveryCode(page, locale, code, { tryWrong: thorough });
  await heading(page, t(locale, 'vault.docs.heading')).waitFor();
  if (thorough) expect(await page.locator('#recovery-code').count()).toBe(0);
  return code;
}

/**
 * On the recovery code screen: moves on, and types back the group the page asks
 * for (chosen at random; the code is hidden meanwhile). With `tryWrong`, first a
 * group that is not the one asked (the last, unless the last is asked), which
 * is refused. Returns the asked group's number (1 to 6).
 */
export async function confirmRecoveryCode(page: Page, locale: Locale, code: string, { tryWrong = false } = {}): Promise<number> {
  await page.getByRole('button', { name: t(locale, 'vault.recovery.continue') }).click();
  await heading(page, t(locale, 'vault.recovery.check_heading')).waitFor();
  expect(await page.locator('#recovery-code').count()).toBe(0);
  const input = page.locator('input[data-group]');
  const asked = Number(await input.getAttribute('data-group'));
  const groups = code.split('-');
  expect(asked).toBeGreaterThanOrEqual(1);
  expect(asked).toBeLessThanOrEqual(groups.length);
  const submit = page.getByRole('button', { name: t(locale, 'vault.recovery.check_submit'), exact: true });
  if (tryWrong) {
    const wrong = asked === groups.length ? groups[0]! : groups[groups.length - 1]!;
    await input.fill(wrong);
    await submit.click();
    await page.locator('.field-error:not([hidden])').waitFor();
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    expect(await heading(page, t(locale, 'vault.recovery.check_heading')).count()).toBe(1);
  }
  await input.fill(tryWrong ? groups[asked - 1]!.toLowerCase() : groups[asked - 1]!);
  await submit.click();
  return asked;
}

/** The unlock form's heading and button, and the heading once open: on the account page, and on the passport consent page. */
const UNLOCK = {
  account: { heading: 'vault.unlock.heading', submit: 'vault.unlock.submit', opened: 'vault.docs.heading' },
  consent: { heading: 'passport.unlock_heading', submit: 'passport.unlock_submit', opened: 'passport.review_heading' },
};

/** Unlocks the vault with `passphrase` (on the account page, or the passport consent page), and waits for it to open. */
export async function unlock(page: Page, locale: Locale, passphrase: string, on: keyof typeof UNLOCK = 'account') {
  const keys = UNLOCK[on];
  await heading(page, t(locale, keys.heading)).waitFor();
  await page.getByLabel(t(locale, 'vault.passphrase'), { exact: true }).fill(passphrase);
  await page.getByRole('button', { name: t(locale, keys.submit) }).click();
  await heading(page, t(locale, keys.opened)).waitFor();
}

/**
 * A real JPEG made by the page's canvas from random pixels: `width` × ⅔ `width`,
 * grown until it is at least `minBytes` long.
 */
export async function randomJpeg(page: Page, { width = 120, minBytes = 0, quality = 0.9 }: { width?: number; minBytes?: number; quality?: number } = {}): Promise<Buffer> {
  const bytes = await page.evaluate(
    async ({ width, minBytes, quality }) => {
      for (;;) {
        const canvas = document.createElement('canvas');
        canvas.width = width;
        canvas.height = Math.round((width * 2) / 3);
        const ctx = canvas.getContext('2d')!;
        const image = ctx.createImageData(canvas.width, canvas.height);
        for (let i = 0; i < image.data.length; i += 65536) crypto.getRandomValues(image.data.subarray(i, i + 65536));
        for (let i = 3; i < image.data.length; i += 4) image.data[i] = 255;
        ctx.putImageData(image, 0, 0);
        const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), 'image/jpeg', quality));
        if (blob.size >= minBytes) return Array.from(new Uint8Array(await blob.arrayBuffer()));
        width = Math.ceil(width * Math.sqrt((minBytes * 1.05) / blob.size));
      }
    },
    { width, minBytes, quality },
  );
  return Buffer.from(bytes);
}

/** Waits for the image named `name`, checks it is a blob, and returns its width once it has loaded. */
export async function imageWidth(page: Page, name: string): Promise<number> {
  const img = page.getByRole('img', { name, exact: true });
  await img.waitFor();
  expect(await img.getAttribute('src')).toMatch(/^blob:/);
  return img.evaluate((el: HTMLImageElement) =>
    el.complete ? el.naturalWidth : new Promise<number>((resolve) => el.addEventListener('load', () => resolve(el.naturalWidth), { once: true })),
  );
}

/** Adds one element through the editor: fields by label, scans by slot label. */
export async function addElement(page: Page, locale: Locale, type: string, values: Record<string, string>, scans: Record<string, Buffer> = {}) {
  await page.getByRole('button', { name: t(locale, `vault.add.${type}`), exact: true }).click();
  await heading(page, t(locale, `element.${type}`)).waitFor();
  for (const [field, value] of Object.entries(values)) {
    const control = page.getByLabel(t(locale, `field.${field}`), { exact: true });
    if ((await control.evaluate((el) => el.tagName)) === 'SELECT') await control.selectOption(value);
    else await control.fill(value);
  }
  for (const [slot, bytes] of Object.entries(scans)) {
    await page.getByLabel(t(locale, `slot.${slot}`), { exact: true }).setInputFiles({ name: `${slot}.jpg`, mimeType: 'image/jpeg', buffer: bytes });
  }
  await page.getByRole('button', { name: t(locale, 'vault.save'), exact: true }).click();
  await page.getByText(ui(locale, 'vault.saved', { type: t(locale, `element.${type}`) })).waitFor();
}

/** A malicious server in the page's path: every GET /api/vault answer is altered by `alter` from now on. */
export async function alterServedVault(page: Page, alter: (vault: Record<string, any>) => void): Promise<void> {
  await page.route('**/api/vault', async (route) => {
    if (route.request().method() !== 'GET') return route.continue();
    const response = await route.fetch();
    const body = (await response.json()) as { vault: Record<string, any> | null };
    if (body.vault) alter(body.vault);
    await route.fulfill({ response, json: body });
  });
}
