import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, compactDecrypt, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import { t } from '../../src/i18n/index.js';
import { loadReleaseKeys, openRelease } from '../../src/rp/index.js';
import { Browsers, openWatchedPage, type WatchedPage } from '../helpers/browser.js';
import { e2eEngines } from '../helpers/db.js';
import { discover, startCallbackListener, type CallbackListener } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addElement, randomJpeg, screenshots, setUpVault, signUpToAccount, ui, unlock } from '../helpers/vault-ui.js';

const shot = screenshots('consent-verification-');

/**
 * Asking for verification (DESIGN 5.6) and the `holder` member (DESIGN 5.5), in a
 * real Chromium: an RP that requires a verified passport gets a consent page that
 * says so, links to the passport verifiers and cannot share (the vault keeps no
 * attestations yet); an RP that does not ask is unaffected and gets no holder
 * keys; a verifier client gets the vault's holder public keys inside the release.
 */
const PASSPHRASE = 'Zq7 quiet harbour amber lantern';
const POLICY = 'https://verifier.example/policy';

interface EncKey {
  publicJwk: JWK & { kid: string };
  privateJwk: JWK;
}

async function encKey(): Promise<EncKey> {
  const { publicKey, privateKey } = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
  const kid = `enc-${randomUUID()}`;
  return {
    publicJwk: { ...(await exportJWK(publicKey)), use: 'enc', alg: 'ECDH-ES+A256KW', kid },
    privateJwk: { ...(await exportJWK(privateKey)), use: 'enc', alg: 'ECDH-ES+A256KW', kid },
  };
}

describe.each(e2eEngines())('asking for verification, and holder keys for verifiers, in Chromium (%s)', (engine) => {
  let server: TestServer;
  let rp: CallbackListener;
  let page: WatchedPage;
  const browsers = new Browsers();

  beforeAll(async () => {
    server = await startTestServer(engine);
    rp = await startCallbackListener();
    // One holder with a vault (holder keys made at set-up), a passport with a scan, an email.
    page = await openWatchedPage(browsers, { viewport: { width: 1000, height: 900 } });
    await signUpToAccount(page, server.url, 'en', `verify-${engine}@example.com`);
    await setUpVault(page, 'en', PASSPHRASE);
    await addElement(page, 'en', 'passport', { document_number: 'ZQ7VERIFY1', issuing_country: 'BH' }, { front_side: await randomJpeg(page) });
    await addElement(page, 'en', 'email', { email: 'verify@example.org' });
  });
  afterAll(async () => {
    await browsers.closeAll();
    await server?.close();
    await rp?.close();
  });
  afterEach(() => page.unrouteAll());

  async function client(name: string, extra: Record<string, unknown> = {}) {
    const key = await encKey();
    const created = await server.services.clients.create({
      client_name: name,
      redirect_uris: [rp.redirectUri],
      scope: 'openid passport',
      policy_uri: POLICY,
      jwks: { keys: [key.publicJwk] as never },
      ...extra,
    } as never);
    return { key, id: created.client_id, config: await discover(server.url, created.client_id, created.client_secret) };
  }

  async function verifierClient(name: string) {
    const key = await encKey();
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const sig = { ...(await exportJWK(publicKey)), use: 'sig', alg: 'ES256', kid: `sig-${randomUUID()}` };
    const created = await server.services.clients.create({
      client_name: name,
      redirect_uris: [rp.redirectUri],
      scope: 'openid passport',
      policy_uri: POLICY,
      jwks: { keys: [key.publicJwk, sig] as never },
      verifier: true,
      verifier_attested_types: ['passport'],
      verifier_trust_framework: 'eidas',
    } as never);
    return { key, id: created.client_id, config: await discover(server.url, created.client_id, created.client_secret) };
  }

  async function ask(config: oidc.Configuration, scope: unknown) {
    const verifier = oidc.randomPKCECodeVerifier();
    const auth = {
      verifier,
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: rp.redirectUri,
      scope: 'openid passport',
      passport_scope: JSON.stringify(scope),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: auth.state,
      nonce: auth.nonce,
    });
    await page.goto(url.href);
    await unlock(page, 'en', PASSPHRASE, 'consent');
    return auth;
  }

  /** Shares, follows the redirect to the RP and returns the release JWE from userinfo. */
  async function share(p: Page, config: oidc.Configuration, clientName: string, auth: { verifier: string; state: string; nonce: string }) {
    const callback = p.waitForRequest((r) => r.url().startsWith(rp.redirectUri));
    await p.getByRole('button', { name: ui('en', 'passport.share', { client: clientName }) }).click();
    const url = new URL((await callback).url());
    await p.waitForURL((u) => u.href.startsWith(rp.redirectUri));
    const tokens = await oidc.authorizationCodeGrant(config, url, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
    return { jwe: tokens.claims()!.passport as string, sub: tokens.claims()!.sub };
  }

  async function vaultKids(): Promise<{ enc: string; sig: string }> {
    const rows = await server.database.db.selectFrom('vaults').select('holder_keys').execute();
    expect(rows).toHaveLength(1);
    const keys = rows[0]!.holder_keys as { use: string; public_jwk: { kid: string } }[];
    return { enc: keys.find((k) => k.use === 'enc')!.public_jwk.kid, sig: keys.find((k) => k.use === 'sig')!.public_jwk.kid };
  }

  it('announces verification in discovery', async () => {
    const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.passport_verification_supported).toBe(true);
  });

  it('an RP asking for a verified passport: the page says so, links to passport verifiers, and cannot share', async () => {
    const kyc = await verifierClient('Zq Passport Checks');
    const rpName = 'Zq Bank';
    const { config } = await client(rpName);
    await ask(config, { v: 1, data: [{ type: 'passport', verified: true }, 'email'] });

    const review = page.locator('.passport-review');
    const verify = review.locator('[data-requirement="0"] .share-verify');
    await verify.getByText(ui('en', 'passport.verify.blocked', { client: rpName })).waitFor();
    // The link goes to the verifier of that type, from GET /verifiers.
    const link = verify.getByRole('link', { name: 'Zq Passport Checks' });
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe(POLICY);
    expect(await verify.textContent()).toContain(ui('en', 'passport.verify.list', { types: 'Passport' }));
    // Email is not asked to be verified: no box there.
    expect(await review.locator('[data-requirement="1"] .share-verify').count()).toBe(0);
    await review.getByText(ui('en', 'passport.verify.share_blocked', { client: rpName })).waitFor();
    await shot(page, 'blocked-desktop');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'blocked-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(await page.getByRole('button', { name: ui('en', 'passport.share', { client: rpName }) }).isDisabled()).toBe(true);
    expect(page.sent.some((r) => new URL(r.url).pathname === '/verifiers')).toBe(true);
    expect(kyc.id).toBeTruthy();

    // What is asked says it too, naming the verifier when the RP names one.
    const named = await client('Zq Insurer');
    await page.goto('about:blank');
    await ask(named.config, { v: 1, data: [{ type: 'passport', verifiers: [kyc.id] }] });
    await page.locator('[data-requirement="0"] .share-verify').getByRole('link', { name: 'Zq Passport Checks' }).waitFor();
    await page.goto(page.url()); // reload: the summary shows before unlocking
    await page.locator('.ask-verify').filter({ hasText: ui('en', 'passport.verify.required_by', { client: 'Zq Insurer', verifiers: 'Zq Passport Checks' }) }).waitFor();
    expect(page.errors).toEqual([]);
  });

  it('an RP not asking for verification is unaffected, and its release carries no holder keys', async () => {
    const name = 'Zq Shop';
    const { key, id, config } = await client(name);
    page.sent.length = 0;
    const auth = await ask(config, { v: 1, data: ['passport', 'email'] });
    expect(await page.locator('.share-verify, .ask-verify').count()).toBe(0);
    const { jwe, sub } = await share(page, config, name, auth);
    const release = await openRelease(jwe, { keys: await loadReleaseKeys(key.privateJwk), issuer: server.url, clientId: id, subject: sub, nonce: auth.nonce });
    expect(release.elements.map((e) => e.type)).toEqual(['passport', 'email']);
    expect('holder' in release).toBe(false);
    // The verifier list is fetched only when the RP asks for verification.
    expect(page.sent.some((r) => new URL(r.url).pathname === '/verifiers')).toBe(false);
    expect(page.errors).toEqual([]);
  });

  it('a release to a verifier client carries the holder keys of the vault', async () => {
    const name = 'Zq Verifier Desk';
    const { key, id, config } = await verifierClient(name);
    const auth = await ask(config, { v: 1, data: [{ type: 'passport' }] });
    const { jwe, sub } = await share(page, config, name, auth);
    // Decrypted with the verifier's own key and jose alone, then checked with the RP SDK.
    const { plaintext } = await compactDecrypt(jwe, await importJWK(key.privateJwk, 'ECDH-ES+A256KW'));
    const payload = JSON.parse(new TextDecoder().decode(plaintext)) as { holder?: { enc: JWK; sig: JWK } };
    const kids = await vaultKids();
    expect(payload.holder?.enc.kid).toBe(kids.enc);
    expect(payload.holder?.sig.kid).toBe(kids.sig);
    expect(payload.holder?.enc.kid).toBe(await calculateJwkThumbprint(payload.holder!.enc));
    expect(Object.keys(payload.holder!.sig).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    const release = await openRelease(jwe, { keys: await loadReleaseKeys(key.privateJwk), issuer: server.url, clientId: id, subject: sub, nonce: auth.nonce });
    expect(release.holder).toEqual(payload.holder);
    expect(page.errors).toEqual([]);
  });
});
