import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page, type Request } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A fresh headless Chromium profile; `close` removes it. */
export async function launchBrowser(options: { locale?: string } = {}): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'wathiqa-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    locale: options.locale ?? 'en-US',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export type LaunchedBrowser = Awaited<ReturnType<typeof launchBrowser>>;

/** The browsers a test file launches; `closeAll` (in an afterEach) closes the ones still open. */
export class Browsers {
  private readonly open: LaunchedBrowser[] = [];

  async launch(options: { locale?: string } = {}): Promise<LaunchedBrowser> {
    const browser = await launchBrowser(options);
    this.open.push(browser);
    return browser;
  }

  /** Closes one browser now. */
  async close(browser: LaunchedBrowser): Promise<void> {
    const i = this.open.indexOf(browser);
    if (i >= 0) this.open.splice(i, 1);
    await browser.close();
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.open.splice(0).map((b) => b.close()));
  }
}

/** A page that records page errors and console errors, console text, and every request it sends. */
export interface WatchedPage extends Page {
  errors: string[];
  consoleText: string[];
  sent: { url: string; method: string; body: Buffer | null }[];
}

/** A new page in a fresh browser of `browsers`, recording what `WatchedPage` says. */
export async function openWatchedPage(
  browsers: Browsers,
  options: { locale?: string; viewport?: { width: number; height: number } } = {},
): Promise<WatchedPage> {
  const browser = await browsers.launch({ locale: options.locale });
  const page = (await browser.context.newPage()) as WatchedPage;
  await page.setViewportSize(options.viewport ?? { width: 1100, height: 900 });
  page.errors = [];
  page.consoleText = [];
  page.sent = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => {
    page.consoleText.push(m.text());
    if (m.type() === 'error') page.errors.push(m.text());
  });
  page.on('request', (r: Request) => page.sent.push({ url: r.url(), method: r.method(), body: r.postDataBuffer() }));
  return page;
}
