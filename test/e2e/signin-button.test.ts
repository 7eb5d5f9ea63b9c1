import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { Browsers, openWatchedPage, type WatchedPage } from '../helpers/browser.js';
import { e2eEngines } from '../helpers/db.js';
import { axeViolations } from '../helpers/layout.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The official "Sign in with Wathiqa" button, as an RP uses it: the copy-paste
 * snippet from docs/rp-sdk.md on a page of another origin, with the stylesheet
 * and mark from the server's stable paths, in a real Chromium, light and dark,
 * English and Arabic.
 */
const SNIPPET = /<!-- signin-button-snippet -->\s*```html\n([\s\S]*?)```/.exec(readFileSync('docs/rp-sdk.md', 'utf8'))?.[1];
const EN = 'Sign in with Wathiqa';
const AR = 'تسجيل الدخول عبر وثيقة';

describe.each(e2eEngines())('"Sign in with Wathiqa" button in Chromium (%s)', (engine) => {
  let server: TestServer;
  const browsers = new Browsers();

  // The RP: a real server of its own on this machine (another origin; Chromium lets a
  // loopback page load loopback files, as it lets a public RP load a public issuer's).
  let rpServer: Server;
  let rpUrl: string;
  let rpBody = '';

  beforeAll(async () => {
    server = await startTestServer(engine);
    rpServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(rpBody);
    });
    await new Promise<void>((resolve) => rpServer.listen(0, '127.0.0.1', resolve));
    rpUrl = `http://127.0.0.1:${(rpServer.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    rpServer?.closeAllConnections();
    await new Promise((resolve) => rpServer?.close(resolve));
    await server?.close();
  });
  afterEach(() => browsers.closeAll());

  /** The RP's page: the documented snippet, pointing at this server; `extraClass` is added to each button. */
  async function rpPage(colorScheme: 'light' | 'dark', extraClass = ''): Promise<WatchedPage> {
    expect(SNIPPET).toContain('class="wathiqa-signin"');
    const page = await openWatchedPage(browsers);
    await page.emulateMedia({ colorScheme });
    const body = SNIPPET!.replaceAll('https://id.example', server.url).replaceAll('class="wathiqa-signin"', `class="wathiqa-signin ${extraClass}"`);
    rpBody = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>An RP</title></head><body><main><h1>An RP</h1>${body}</main></body></html>`;
    await page.goto(rpUrl);
    await page.waitForLoadState('load');
    return page;
  }

  const style = (page: Page, name: string) =>
    page.getByRole('link', { name, exact: true }).evaluate((el) => {
      const s = getComputedStyle(el);
      const rect = el.getBoundingClientRect();
      const mark = el.querySelector('img')!;
      const text = el.querySelector('span')!.getBoundingClientRect();
      return {
        background: s.backgroundColor,
        color: s.color,
        height: rect.height,
        markLoaded: mark.complete && mark.naturalWidth > 0,
        markFirst: getComputedStyle(el).direction === 'rtl' ? mark.getBoundingClientRect().left > text.left : mark.getBoundingClientRect().left < text.left,
      };
    });

  it('is served at its stable paths', async () => {
    const css = await fetch(`${server.url}/static/brand/signin-button.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toContain('.wathiqa-signin');
    const mark = await fetch(`${server.url}/static/brand/wathiqa-mark.svg`);
    expect(mark.status).toBe(200);
    expect(mark.headers.get('content-type')).toBe('image/svg+xml');
    // Other sites' pages may read them (SRI with crossorigin, checkers); the app's own files stay same-origin.
    expect([css.headers.get('access-control-allow-origin'), mark.headers.get('access-control-allow-origin')]).toEqual(['*', '*']);
    expect((await fetch(`${server.url}/static/app.css`)).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('follows the light and dark schemes, or the class that fixes one; English and Arabic; accessible', async () => {
    const light = await rpPage('light');
    for (const name of [EN, AR]) {
      expect(await style(light, name)).toEqual({ background: 'rgb(11, 95, 85)', color: 'rgb(255, 255, 255)', height: expect.any(Number), markLoaded: true, markFirst: true });
      expect((await style(light, name)).height).toBeGreaterThanOrEqual(44);
    }
    expect(await light.getByRole('link', { name: AR }).evaluate((el) => getComputedStyle(el).direction)).toBe('rtl');
    // The focus ring shows when the keyboard reaches it.
    await light.keyboard.press('Tab');
    expect(await light.getByRole('link', { name: EN }).evaluate((el) => [document.activeElement === el, getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineWidth])).toEqual([true, 'solid', '3px']);
    expect(await axeViolations(light)).toEqual([]);

    const dark = await rpPage('dark');
    for (const name of [EN, AR]) expect(await style(dark, name)).toMatchObject({ background: 'rgb(79, 193, 176)', color: 'rgb(11, 26, 24)', markLoaded: true, markFirst: true });
    expect(await axeViolations(dark)).toEqual([]);

    // Fixed: the dark button on a light-scheme page, the light one on a dark-scheme page.
    expect(await style(await rpPage('light', 'wathiqa-signin-dark'), EN)).toMatchObject({ background: 'rgb(79, 193, 176)' });
    expect(await style(await rpPage('dark', 'wathiqa-signin-light'), AR)).toMatchObject({ background: 'rgb(11, 95, 85)' });
    expect(light.errors).toEqual([]);
  });
});
