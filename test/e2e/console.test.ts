import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'otplib';
import * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import { adminOperations } from '../../src/admin/operations.js';
import { cliActor } from '../../src/audit/actor.js';
import { t, type Locale } from '../../src/i18n/index.js';
import { findElement, openRelease } from '../../src/rp/index.js';
import { Browsers, openWatchedPage } from '../helpers/browser.js';
import { e2eEngines } from '../helpers/db.js';
import { discover, PASSWORD, startCallbackListener, type CallbackListener } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addElement, heading, setUpVault, shotsAtSizes, signUpToAccount, ui, unlock } from '../helpers/vault-ui.js';
import { rpReleaseKey } from '../helpers/rp-key.js';

/**
 * The operator console in Chromium, in English and Arabic (issue #13, acceptance):
 * an operator (made with the grant-operator operation, an authenticator app set up)
 * signs in with the second factor, registers a passport client with a pasted key;
 * a relying party (openid-client and the RP SDK) then completes a passport release
 * with it; the operator rotates the signing keys and deletes the client; each step is
 * in the audit trail under the operator's name. A holder is refused.
 * SCREENSHOT_DIR saves every screen at desktop and phone sizes; DOCS_SCREENSHOTS=1
 * also writes the desktop ones to docs/screenshots/console-*.png.
 */
const DOCS_DIR = process.env.DOCS_SCREENSHOTS ? join(process.cwd(), 'docs', 'screenshots') : undefined;
const SCOPE = { v: 1, data: ['email'] };

describe.each(e2eEngines())('operator console in Chromium (%s)', (engine) => {
  let server: TestServer;
  let rp: CallbackListener;
  const browsers = new Browsers();
  const sizes = shotsAtSizes(`console-${engine}-`);

  async function shots(page: Page, name: string) {
    await sizes(page, name);
    // A secret shown once stays out of the repository, even a throwaway test server's.
    if (!DOCS_DIR || name.includes('secret')) return;
    mkdirSync(DOCS_DIR, { recursive: true });
    await page.screenshot({ path: join(DOCS_DIR, `console-${name}.png`), fullPage: true });
  }

  beforeAll(async () => {
    server = await startTestServer(engine);
    rp = await startCallbackListener();
  });
  afterAll(async () => {
    await server?.close();
    await rp?.close();
  });
  afterEach(() => browsers.closeAll());

  /** An operator as the CLI makes one: an account, an authenticator app, the role. */
  async function makeOperator(email: string) {
    const { id } = await server.services.accounts.create(email, PASSWORD);
    const { secret } = await server.services.totp.begin(id, email);
    await server.services.totp.confirm(id, await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 }), '127.0.0.1');
    await adminOperations(server.services, { actor: cliActor('root') }).grantOperator({ email });
    return secret;
  }

  it.each<Locale>(['en', 'ar'])('%s: register a passport client, a release with it, rotate keys, delete, all in the trail', async (locale) => {
    const operatorEmail = `operator-${locale}@example.com`;
    const secret = await makeOperator(operatorEmail);
    const clientName = locale === 'en' ? 'Zq Travel' : 'سفريات زد';

    // A holder with a vault and an email address in it; the console refuses them.
    const holder = await openWatchedPage(browsers, { locale });
    await signUpToAccount(holder, server.url, locale, `holder-${locale}@example.com`, `?lang=${locale}`);
    const passphrase = 'Zq7 lantern orbit velvet canyon';
    await setUpVault(holder, locale, passphrase);
    await addElement(holder, locale, 'email', { email: `zq-${locale}@example.org` });
    const refused = await holder.goto(`${server.url}/console`);
    expect(refused!.status()).toBe(403);
    await heading(holder, t(locale, 'console.refused.not_operator.title')).waitFor();
    await shots(holder, `${locale}-0-refused`);

    // The operator signs in: password, then the code from the app.
    const page = await openWatchedPage(browsers, { locale });
    await page.goto(`${server.url}/console/login?lang=${locale}`);
    await page.getByLabel(t(locale, 'form.email')).fill(operatorEmail);
    await page.getByLabel(t(locale, 'form.password'), { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: t(locale, 'login.submit'), exact: true }).click();
    await heading(page, t(locale, 'otp.heading')).waitFor();
    await page.getByLabel(t(locale, 'otp.code')).fill(await generate({ secret }));
    await page.getByRole('button', { name: t(locale, 'otp.submit') }).click();
    await heading(page, t(locale, 'console.clients.heading')).waitFor();
    expect(page.url()).toBe(`${server.url}/console/clients`);
    await shots(page, `${locale}-1-clients-empty`);

    // Register a passport client with a pasted encryption key; a bad redirect URI first.
    const kid = `rp-enc-${locale}`;
    const { publicJwk, keyring } = await rpReleaseKey(kid);
    await page.getByRole('link', { name: t(locale, 'console.clients.new') }).click();
    await heading(page, t(locale, 'console.client.new_heading')).waitFor();
    await page.getByLabel(t(locale, 'console.client.name')).fill(clientName);
    await page.getByLabel(t(locale, 'console.client.redirect_uris')).fill('rp.example/callback');
    await page.getByLabel(t(locale, 'console.scope.passport')).check();
    await page.getByLabel(t(locale, 'console.client.policy_uri')).fill('https://rp.example/privacy');
    await page.getByLabel(t(locale, 'console.client.enc_keys')).fill(JSON.stringify(publicJwk, null, 2));
    await page.getByRole('button', { name: t(locale, 'console.client.create'), exact: true }).click();
    const uriError = page.locator('#redirect_uris-error');
    await uriError.getByText(t(locale, 'console.error.redirect_uris')).waitFor();
    expect(await page.getByLabel(t(locale, 'console.client.redirect_uris')).getAttribute('aria-invalid')).toBe('true');
    // What was typed is still there, the key included.
    expect(JSON.parse(await page.getByLabel(t(locale, 'console.client.enc_keys')).inputValue())).toEqual(publicJwk);
    await shots(page, `${locale}-2-client-form-error`);
    await page.getByLabel(t(locale, 'console.client.redirect_uris')).fill(rp.redirectUri);
    await page.getByRole('button', { name: t(locale, 'console.client.create'), exact: true }).click();
    await heading(page, ui(locale, 'console.secret.created_heading', { name: clientName })).waitFor();
    const clientId = (await page.locator('#client-id').textContent())!;
    const clientSecret = (await page.locator('#client-secret').textContent())!;
    await shots(page, `${locale}-3-client-secret`);

    // A relying party completes a passport release with the client just registered.
    const config = await discover(server.url, clientId, clientSecret);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const auth = oidc.buildAuthorizationUrl(config, {
      redirect_uri: rp.redirectUri,
      scope: 'openid passport',
      passport_scope: JSON.stringify(SCOPE),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ui_locales: locale,
    });
    await holder.goto(auth.href);
    await unlock(holder, locale, passphrase, 'consent');
    const callback = holder.waitForRequest((r) => r.url().startsWith(rp.redirectUri));
    await holder.getByRole('button', { name: ui(locale, 'passport.share', { client: clientName }) }).click();
    const tokens = await oidc.authorizationCodeGrant(config, new URL((await callback).url()), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    await holder.waitForURL((u) => u.href.startsWith(rp.redirectUri)); // settled there: a next navigation would interrupt it
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    const release = await openRelease(userinfo.passport as string, {
      keys: keyring,
      issuer: server.url,
      clientId,
      subject: tokens.claims()!.sub,
      nonce,
      requested: JSON.stringify(SCOPE),
    });
    expect(findElement(release, 'email')!.data).toEqual({ email: `zq-${locale}@example.org` });

    // The list, the verifiers and the users, as the operator sees them.
    await page.getByRole('link', { name: t(locale, 'console.secret.continue') }).click();
    await heading(page, ui(locale, 'console.client.edit_heading', { name: clientName })).waitFor();
    await shots(page, `${locale}-4-client-edit`);
    await page.getByRole('link', { name: t(locale, 'console.nav.clients') }).click();
    await page.getByRole('link', { name: clientName }).waitFor();
    await shots(page, `${locale}-5-clients`);
    await page.getByRole('link', { name: t(locale, 'console.nav.users') }).click();
    await page.getByLabel(t(locale, 'console.users.search')).fill(`holder-${locale}`);
    await page.getByRole('button', { name: t(locale, 'console.search') }).click();
    await page.getByRole('link', { name: `holder-${locale}@example.com` }).click();
    await page.getByText(t(locale, 'console.user.totp_off')).waitFor();
    await shots(page, `${locale}-6-user`);
    // Their own account: no way to disable or delete it from here, and the page says who can.
    await page.getByRole('link', { name: t(locale, 'console.nav.users') }).click();
    await page.getByRole('link', { name: operatorEmail }).click();
    await page.getByText(t(locale, 'console.user.self_refused')).waitFor();
    expect(await page.getByRole('button', { name: t(locale, 'console.user.disable') }).count()).toBe(0);
    expect(await page.getByRole('button', { name: t(locale, 'console.user.delete_submit') }).count()).toBe(0);
    await shots(page, `${locale}-6-own-account`);

    // Rotate the signing keys: the active ones change, the old stay published as retired.
    const before = (await server.services.oidc.listKeys()).filter((k) => k.status === 'active').map((k) => k.kid);
    await page.getByRole('link', { name: t(locale, 'console.nav.keys') }).click();
    await page.getByRole('button', { name: t(locale, 'console.keys.rotate') }).click();
    await page.getByText(t(locale, 'console.notice.keys_rotated')).waitFor();
    const after = (await server.services.oidc.listKeys()).filter((k) => k.status === 'active').map((k) => k.kid);
    expect(after.some((k) => before.includes(k))).toBe(false);
    for (const kid of before) expect(await page.locator('#signing-keys li', { hasText: kid }).textContent()).toContain(t(locale, 'console.keys.retired'));
    await shots(page, `${locale}-7-keys`);

    // Delete the client: the confirmation names what goes with it (the holder's grant and release).
    await page.goto(`${server.url}/console/clients/${clientId}/delete`);
    await heading(page, ui(locale, 'console.delete_client.heading', { name: clientName })).waitFor();
    const impact = (await page.locator('#client-impact').textContent())!;
    expect(impact).toContain(t(locale, 'console.delete_client.goes_releases', { count: 1 }));
    expect(impact).toContain(t(locale, 'console.delete_client.goes_grants', { count: 1 }));
    await shots(page, `${locale}-8-client-delete`);
    await page.getByLabel(ui(locale, 'console.delete_client.confirm', { name: clientName })).check();
    await page.getByRole('button', { name: t(locale, 'console.delete_client.submit') }).click();
    await page.getByText(t(locale, 'console.notice.client_deleted')).waitFor();
    expect(await server.services.clients.show(clientId)).toBeUndefined();
    expect((await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub).catch((e: unknown) => e)) instanceof Error).toBe(true);

    // The trail: each step under the operator's name, newest first.
    await page.getByRole('link', { name: t(locale, 'console.nav.audit') }).click();
    await page.getByLabel(t(locale, 'console.audit.actor'), { exact: true }).fill(operatorEmail);
    await page.getByRole('button', { name: t(locale, 'console.audit.apply') }).click();
    await page.locator('.audit-event').first().waitFor();
    const events = page.locator('.audit-event');
    expect(await events.locator('.audit-action').allTextContents()).toEqual(['client.delete', 'keys.rotate', 'client.create']);
    expect(new Set(await events.locator('.audit-actor').allTextContents())).toEqual(new Set([operatorEmail]));
    expect(await events.locator('.audit-target').allTextContents()).toEqual([clientId, clientId]);
    expect(await page.content()).not.toContain(clientSecret);
    await shots(page, `${locale}-9-audit`);
    await page.getByRole('link', { name: t(locale, 'console.nav.verifiers') }).click();
    await heading(page, t(locale, 'console.verifiers.heading')).waitFor();
    await shots(page, `${locale}-10-verifiers`);

    // The grant-operator call is there too, under the CLI.
    const granted = await server.services.audit.list({ action: 'operator.grant', actor: 'cli' });
    expect(granted.events.some((e) => e.details.email === operatorEmail && e.actor.label === 'CLI on the host (root)')).toBe(true);
    expect([...page.errors, ...holder.errors].filter((e) => !/status of 40[03]/.test(e))).toEqual([]);
  });
});
