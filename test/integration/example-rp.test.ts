import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { ROOT } from '../../src/paths.js';
import { FormAgent } from '../helpers/agent.js';
import { ensureBuilt } from '../helpers/build.js';
import { httpEngines } from '../helpers/db.js';
import { freePort, startExample, type ExampleProcess } from '../helpers/example.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The example relying party (examples/rp/) as a real child process against a Wathiqa
 * test server, without a browser: its home page shows the official "Sign in with
 * Wathiqa" button served by the issuer, in English and Arabic; the button starts an
 * authorization request (PKCE S256, state, nonce, passport_scope) that passes the
 * page's language as ui_locales, and Wathiqa's sign-in page opens in that language.
 * Answers that do not belong to a sign-in are refused with a page, never a 500.
 * The release itself is covered by the example verifier's test and the e2e tests.
 */
describe.each(httpEngines())('the example relying party (%s)', (engine) => {
  let server: TestServer;
  let rp: ExampleProcess;
  let keyDir: string;
  let clientId: string;

  beforeAll(async () => {
    ensureBuilt(join(ROOT, 'dist', 'src', 'rp', 'index.js'));
    server = await startTestServer(engine);
    keyDir = mkdtempSync(join(tmpdir(), 'wathiqa-rp-'));
    expect(spawnSync(process.execPath, [join(ROOT, 'examples', 'rp', 'make-key.mjs'), '--dir', keyDir]).status).toBe(0);
    const jwks = JSON.parse(readFileSync(join(keyDir, 'public.jwks.json'), 'utf8')) as { keys: JWK[] };
    const port = await freePort();
    const client = await server.services.clients.create({
      client_name: 'Example RP',
      redirect_uris: [`http://localhost:${port}/callback`],
      scope: 'openid passport',
      jwks: jwks as never,
    } as never);
    clientId = client.client_id;
    rp = await startExample('rp', port, {
      WATHIQA_ISSUER: server.url,
      CLIENT_ID: client.client_id,
      CLIENT_SECRET: client.client_secret!,
      RP_KEY_FILE: join(keyDir, 'private.jwk.json'),
    });
  });

  afterAll(async () => {
    await rp?.stop();
    await server?.close();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  it.each([
    ['en', 'ltr', 'Sign in with Wathiqa'],
    ['ar', 'rtl', 'تسجيل الدخول عبر وثيقة'],
  ])('shows the official button in %s, styled and drawn by the issuer', async (lang, dir, label) => {
    const response = await fetch(`${rp.url}/?lang=${lang}`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain(`<html lang="${lang}" dir="${dir}">`);
    expect(html).toContain(`<a class="wathiqa-signin" href="/login?lang=${lang}">`);
    expect(html).toContain(label);
    const brand = new URL('/static/brand/', server.url).href;
    expect(html).toContain(`href="${brand}signin-button.css"`);
    expect(html).toContain(`src="${brand}wathiqa-mark.svg"`);
    // What the button links to exists, and other sites' pages may use it.
    for (const file of ['signin-button.css', 'wathiqa-mark.svg']) {
      const asset = await fetch(`${brand}${file}`, { headers: { origin: rp.url } });
      expect(asset.status).toBe(200);
      expect(asset.headers.get('access-control-allow-origin')).toBe('*');
    }
  });

  it('starts a passport request in the page’s language, and Wathiqa’s sign-in page opens in it', async () => {
    const browser = new FormAgent();
    const start = await browser.request(`${rp.url}/login?lang=ar`);
    expect(start.status).toBe(302);
    const location = new URL(start.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(`${server.url}/auth`);
    const params = location.searchParams;
    expect(params.get('client_id')).toBe(clientId);
    expect(params.get('ui_locales')).toBe('ar');
    expect(params.get('scope')).toBe('openid passport');
    expect(params.get('code_challenge_method')).toBe('S256');
    for (const name of ['code_challenge', 'state', 'nonce']) expect(params.get(name)?.length).toBeGreaterThanOrEqual(32);
    expect(JSON.parse(params.get('passport_scope')!)).toMatchObject({ v: 1 });

    const { response, url } = await browser.follow(location);
    expect(response.status).toBe(200);
    expect(url.pathname).toMatch(/^\/interaction\//);
    expect(await response.text()).toContain('<html lang="ar" dir="rtl">');

    // An answer carrying another state is not this sign-in's: refused, and the sign-in in progress stays.
    const forged = await browser.request(`${rp.url}/callback?code=x&state=not-the-state`);
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('does not belong to the sign-in in progress');
  });

  it('answers what does not belong to a sign-in with a page, never a 500', async () => {
    const stranger = new FormAgent();
    const noSignIn = await stranger.request(`${rp.url}/callback?code=x&state=y`);
    expect(noSignIn.status).toBe(400);
    expect(await noSignIn.text()).toContain('No sign-in is in progress');
    // Reporting a problem needs a signed-in result: without one, back home.
    const report = await stranger.request(`${rp.url}/report`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'csrf=x&ref=y&target=field:z&message=m' });
    expect(report.status).toBe(302);
    expect(report.headers.get('location')).toBe('/');
    expect((await stranger.request(`${rp.url}/me`)).status).toBe(302);
    expect((await stranger.request(`${rp.url}/nowhere`)).status).toBe(404);
    expect((await stranger.request(`${rp.url}/`, { method: 'PUT' })).status).toBe(405);
    expect(rp.output()).not.toMatch(/example RP: .*Error/);
  });
});
