import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { decodeJwt, exportJWK, generateKeyPair, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { ROOT } from '../../src/paths.js';
import { sdJwtHasher } from '../../src/protocol/index.js';
import { AttestationRevokedError, loadReleaseKeys, openRelease, trustedIssuersFromList, type Release } from '../../src/rp/index.js';
import { Browsers, openWatchedPage, type WatchedPage } from '../helpers/browser.js';
import { ensureBuilt } from '../helpers/build.js';
import { freePort, startExample, type ExampleProcess } from '../helpers/example.js';
import { e2eEngines } from '../helpers/db.js';
import { discover, startCallbackListener, type CallbackListener } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addElement, randomJpeg, screenshots, setUpVault, signUpToAccount, ui, unlock } from '../helpers/vault-ui.js';

/**
 * Issue 9's acceptance journey, in a real Chromium with the example verifier
 * (examples/verifier/) running as its own process: the holder adds a passport
 * with a scan and a selfie, signs in at the verifier and shares it; the
 * reviewer approves in the verifier's page; the holder's vault shows the
 * passport verified; a relying party (openid-client here) asking for a verified
 * passport receives a presentation the RP SDK verifies, disclosing only the
 * released fields; the verifier revokes, and the next release is refused with
 * AttestationRevokedError. SCREENSHOT_DIR=/tmp/shots saves each screen.
 */
const PASSPHRASE = 'Zq7 harbour velvet orbit lantern';
const VERIFIER_NAME = 'Example verifier';
const RP_NAME = 'Zq Bank';
const PASSPORT_NO = 'ZQ7JOURNEY1';
const MAKE_KEY = join(ROOT, 'examples', 'verifier', 'make-key.mjs');

const sdjwt = new SDJwtVcInstance({ hasher: sdJwtHasher, hashAlg: 'sha-256' });
/** The claim names a presentation discloses. */
async function disclosedKeys(token: string): Promise<string[]> {
  const decoded = await sdjwt.decode(token);
  return (decoded.disclosures ?? []).map((d) => String(d.key)).sort();
}


describe.each(e2eEngines())('the verification journey, in Chromium (%s)', (engine) => {
  let server: TestServer;
  let verifier: ExampleProcess;
  let callback: CallbackListener;
  let keyDir: string;
  let verifierId: string;
  const browsers = new Browsers();
  const shot = screenshots(`verification-journey-${engine}-`);

  beforeAll(async () => {
    ensureBuilt(join(ROOT, 'dist', 'src', 'rp', 'index.js'));
    server = await startTestServer(engine);
    callback = await startCallbackListener();
    keyDir = mkdtempSync(join(tmpdir(), 'wathiqa-verifier-'));
    expect(spawnSync(process.execPath, [MAKE_KEY, '--dir', keyDir]).status).toBe(0);
    const port = await freePort();
    // Registered as docs/verifiers.md says, with the public keys make-key.mjs wrote.
    const client = await server.services.clients.create({
      client_name: VERIFIER_NAME,
      redirect_uris: [`http://localhost:${port}/callback`],
      scope: 'openid passport',
      jwks: JSON.parse(readFileSync(join(keyDir, 'public.jwks.json'), 'utf8')),
      verifier: true,
      verifier_attested_types: ['passport', 'identity_card', 'driver_license'],
      verifier_trust_framework: 'wathiqa_example',
      policy_uri: 'https://verifier.example/policy',
    } as never);
    verifierId = client.client_id;
    verifier = await startExample('verifier', port, { WATHIQA_ISSUER: server.url, CLIENT_ID: client.client_id, CLIENT_SECRET: client.client_secret!, VERIFIER_KEY_DIR: keyDir });
  });
  afterAll(async () => {
    await verifier?.stop();
    await server?.close();
    await callback?.close();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });
  afterEach(() => browsers.closeAll());

  /** The relying party: an ordinary passport client with an encryption key. */
  async function relyingParty() {
    const { publicKey, privateKey } = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
    const kid = `rp-${randomUUID()}`;
    const publicJwk: JWK = { ...(await exportJWK(publicKey)), use: 'enc', alg: 'ECDH-ES+A256KW', kid };
    const created = await server.services.clients.create({
      client_name: RP_NAME,
      redirect_uris: [callback.redirectUri],
      scope: 'openid passport',
      policy_uri: 'https://bank.example/privacy',
      jwks: { keys: [publicJwk] as never },
    } as never);
    return {
      id: created.client_id,
      keys: await loadReleaseKeys({ ...(await exportJWK(privateKey)), use: 'enc', alg: 'ECDH-ES+A256KW', kid }),
      config: await discover(server.url, created.client_id, created.client_secret),
    };
  }

  const SCOPE = { v: 1 as const, data: [{ type: 'passport', verified: true }] };

  /**
   * The RP asks for a verified passport; the holder unlocks on the consent page,
   * unticks the date of issuance and shares. Returns the RP SDK's result: the
   * release, or the error it refused it with.
   */
  async function releaseToRp(page: WatchedPage, rp: Awaited<ReturnType<typeof relyingParty>>, name: string): Promise<{ release?: Release; error?: unknown }> {
    const pkce = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(rp.config, {
      redirect_uri: callback.redirectUri,
      scope: 'openid passport',
      passport_scope: JSON.stringify(SCOPE),
      code_challenge: await oidc.calculatePKCECodeChallenge(pkce),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    await page.goto(url.href);
    await unlock(page, 'en', PASSPHRASE, 'consent');
    await page.locator('.share-req').getByText(new RegExp(`Verified by ${VERIFIER_NAME}`)).first().waitFor();
    await page.locator('input[data-field="date_of_issuance"]').uncheck();
    await shot(page, `${name}-consent`);
    const back = page.waitForRequest((r) => r.url().startsWith(callback.redirectUri));
    await page.getByRole('button', { name: ui('en', 'passport.share', { client: RP_NAME }) }).click();
    const at = new URL((await back).url());
    await page.waitForURL((u) => u.href.startsWith(callback.redirectUri));
    const tokens = await oidc.authorizationCodeGrant(rp.config, at, { pkceCodeVerifier: pkce, expectedState: state, expectedNonce: nonce });
    // The trust list: the verifiers Wathiqa publishes, as an RP builds it (http status lists: local test only).
    const trusted = trustedIssuersFromList(await (await fetch(`${server.url}/verifiers`)).json());
    try {
      const release = await openRelease(tokens.claims()!.passport as string, {
        keys: rp.keys,
        issuer: server.url,
        clientId: rp.id,
        subject: tokens.claims()!.sub,
        nonce,
        requested: SCOPE,
        verifiers: { trusted, allowHttp: true },
      });
      return { release };
    } catch (error) {
      return { error };
    }
  }

  it('passport → verifier → approve → verified in the vault → verified release to an RP → revoked', async () => {
    const page = await openWatchedPage(browsers, { viewport: { width: 1100, height: 900 } });
    const expiry = `${new Date().getUTCFullYear() + 5}-05-01`;

    // 1. The holder's vault: a passport with its front side and a selfie.
    await signUpToAccount(page, server.url, 'en', `journey-${engine}@example.com`);
    await setUpVault(page, 'en', PASSPHRASE);
    const front = await randomJpeg(page, { width: 240 });
    await addElement(page, 'en', 'passport', { document_number: PASSPORT_NO, issuing_country: 'BH', date_of_issuance: '2021-05-02', date_of_expiry: expiry }, { front_side: front, selfie: await randomJpeg(page) });

    // 2. At the example verifier: its home page (registered as it should be), then sign in and share.
    await page.goto(verifier.url);
    await page.getByRole('heading', { name: 'Have a document verified' }).waitFor();
    expect(await page.locator('.notice').count()).toBe(0); // nothing missing, no registration warning
    await shot(page, '1-verifier-home');
    await page.getByRole('link', { name: 'Verify my document with Wathiqa' }).click();
    await unlock(page, 'en', PASSPHRASE, 'consent');
    await shot(page, '2-consent-to-verifier');
    await page.getByRole('button', { name: ui('en', 'passport.share', { client: VERIFIER_NAME }) }).click();
    await page.waitForURL(new RegExp(`^${verifier.url}/submitted/`));
    await page.getByText('Waiting for a reviewer.').waitFor();

    // 3. The reviewer: scans shown, checks passed; Approve.
    await page.getByRole('link', { name: 'Open it as the reviewer' }).click();
    await page.getByRole('heading', { name: 'Review: Passport' }).waitFor();
    for (const [check, status] of [['expiry', 'pass'], ['scans', 'pass'], ['selfie', 'pass']]) {
      expect(await page.locator(`li[data-check="${check}"]`).getAttribute('data-status')).toBe(status);
    }
    const img = page.getByRole('img', { name: 'Front side', exact: true });
    expect(await img.evaluate((el: HTMLImageElement) => (el.complete ? el.naturalWidth : new Promise<number>((r) => el.addEventListener('load', () => r(el.naturalWidth), { once: true }))))).toBe(240);
    await shot(page, '3-reviewer');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('heading', { name: 'Attestation issued' }).waitFor();
    const issued = (await page.locator('#result pre').textContent())!;
    await shot(page, '4-approved');

    // 4. The holder's vault takes it in at unlock: "Verified by Example verifier, <date>".
    await page.goto(`${server.url}/account`);
    await unlock(page, 'en', PASSPHRASE);
    const issuedOn = await page.evaluate((ms) => new Intl.DateTimeFormat('en', { dateStyle: 'long' }).format(new Date(ms)), decodeJwt(issued.split('~')[0]!).iat! * 1000);
    const card = page.locator('.element-card[data-type="passport"]');
    await card.getByText(ui('en', 'vault.attest.verified', { verifier: VERIFIER_NAME, date: issuedOn })).waitFor();
    await shot(page, '5-vault-verified');

    // 5. An RP asking for a verified passport: the SDK verifies the presentation; only released fields are disclosed.
    const rp = await relyingParty();
    const first = await releaseToRp(page, rp, '6');
    expect(first.error).toBeUndefined();
    const element = first.release!.elements[0]!;
    expect(element.type).toBe('passport');
    expect(Object.keys(element.data).sort()).toEqual(['date_of_expiry', 'document_number', 'issuing_country']);
    expect(element.attestations).toHaveLength(1);
    expect(await disclosedKeys(element.attestations[0]!)).toEqual(['date_of_expiry', 'document_number', 'front_side', 'issuing_country']);
    const report = element.verification!;
    expect(report.attestations).toHaveLength(1);
    expect(report.attestations[0]).toMatchObject({
      issuer: verifierId,
      verification: { trust_framework: 'wathiqa_example', evidence: [{ type: 'document', check_details: [{ check_method: 'vri' }] }] },
      status: { uri: `${verifier.url}/status-list` },
    });
    expect(Object.keys(report.attested).sort()).toEqual(['date_of_expiry', 'document_number', 'issuing_country']);
    expect(Object.keys(report.attestedScans)).toEqual(['front_side']);
    expect(report.selfAsserted).toEqual([]);

    // 6. The verifier revokes it.
    await page.goto(`${verifier.url}/attestations`);
    const row = page.locator('tr[data-state="valid"]');
    expect(await row.count()).toBe(1);
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.locator('tr[data-state="revoked"]').waitFor();
    await shot(page, '7-revoked');

    // 7. The next release carries the same attestation: the RP SDK reads the status list and refuses it.
    const second = await releaseToRp(page, rp, '8');
    expect(second.error).toBeInstanceOf(AttestationRevokedError);
    expect(second.error).toMatchObject({ code: 'attestation_revoked', state: 'revoked', issuer: verifierId });
    expect(page.errors).toEqual([]);
    expect(verifier.output()).not.toMatch(/Error/);
  });
});
