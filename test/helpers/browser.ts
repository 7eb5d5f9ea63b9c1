import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { PAGE_TIMEOUT_MS } from './timeouts.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';


/**
 * One Chromium per test file, started at the first `launchBrowser` and closed after the
 * file (test/helpers/per-file.ts). Kept on the file's global, which Jest makes afresh for
 * each file. Starting Chromium took seconds per test on a loaded machine; a context
 * is as isolated as a fresh browser (its own cookies, storage, cache and permissions).
 */
export const SHARED_CHROMIUM = Symbol.for('wathiqa.test.chromium');
type WithChromium = { [SHARED_CHROMIUM]?: Promise<Browser> };

function sharedChromium(): Promise<Browser> {
  const file = globalThis as WithChromium;
  return (file[SHARED_CHROMIUM] ??= chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  }));
}

/** A fresh browser context (cookies, storage and cache of its own) in the file's Chromium; `close` ends it. */
export async function launchBrowser(options: { locale?: string } = {}): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const browser = await sharedChromium();
  const context = await browser.newContext({ locale: options.locale ?? 'en-US' });
  context.setDefaultTimeout(PAGE_TIMEOUT_MS);
  return {
    context,
    async close() {
      // After the file's Chromium has gone (a hook ordering), there is nothing left to close.
      if (browser.isConnected()) await context.close();
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

/** A new page in a fresh browser context of `browsers`, recording what `WatchedPage` says. */
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
