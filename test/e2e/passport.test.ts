import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import * as oidc from 'openid-client';
import type { BrowserContext, Page, Request } from 'playwright-core';
import { t, type Locale } from '../../src/i18n/index.js';
import {
  fetchScan,
  findElement,
  loadReleaseKeys,
  openRelease,
  ReleaseAudienceMismatchError,
  ReleaseDecryptionError,
  ReleaseNonceMismatchError,
  ReleaseSubjectMismatchError,
  scansOf,
  ScanNotFoundError,
  type Release,
  type ReleaseKeyring,
} from '../../src/rp/index.js';
import { base64urlDecode } from '../../src/protocol/index.js';
import { Browsers, openWatchedPage, type WatchedPage } from '../helpers/browser.js';
import { e2eEngines } from '../helpers/db.js';
import { discover, startCallbackListener, type CallbackListener } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addElement, heading, imageWidth, randomJpeg, screenshots, setUpVault, signUpToAccount, ui, unlock } from '../helpers/vault-ui.js';

/**
 * The passport scope end to end, in a real Chromium with the real Argon2id cost:
 * a holder fills a vault through the UI, an RP (openid-client) asks for
 * documents, the holder unlocks and approves on the consent page, the RP opens
 * the release with the RP SDK and downloads the scans. Then replay, revocation,
 * decline, the way back from the account page, and a zero-knowledge check of
 * everything the server received and stored.
 * SCREENSHOT_DIR=/tmp/shots saves a picture of each screen.
 */

const M = {
  given: 'Zq7Marker-Given',
  family: 'Zq7Marker-Family',
  middle: 'Zq7Marker-Middle',
  place: 'Zq7Marker-Place',
  passportNo: 'ZQ7MARKERP1',
  idNo: 'ZQ7MARKERID2',
  street: 'Zq7Marker-Street 12',
  city: 'Zq7Marker-City',
  postal: 'ZQ7-PC9',
  email: 'zq7marker-mail@example.org',
  phone: '+97339917733',
  birthdate: '1987-03-19',
  issued: '2019-07-08',
  expires: '2029-07-07',
};

const SCOPE = {
  v: 1,
  data: [
    { type: 'personal_details', fields: ['given_name', 'family_name', 'birthdate'] },
    { one_of: ['passport', 'identity_card'], selfie: true },
    'address',
    'email',
  ],
};

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

interface RpKey {
  publicJwk: JWK & { kid: string };
  privateJwk: JWK;
  keyring: ReleaseKeyring;
  thumbprint: string;
}

async function rpKey(): Promise<RpKey> {
  const { publicKey, privateKey } = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
  const kid = `rp-enc-${randomUUID()}`;
  const publicJwk = { ...(await exportJWK(publicKey)), use: 'enc', alg: 'ECDH-ES+A256KW', kid };
  const privateJwk = { ...(await exportJWK(privateKey)), use: 'enc', alg: 'ECDH-ES+A256KW', kid };
  return { publicJwk, privateJwk, keyring: await loadReleaseKeys(privateJwk), thumbprint: await calculateJwkThumbprint(publicJwk) };
}

/** Every byte sequence the server received from the browser, and every byte it stores. */
async function databaseDump(server: TestServer): Promise<Buffer> {
  const db = server.database.db;
  const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db);
  expect(tables.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['accounts', 'vaults', 'vault_elements', 'vault_files', 'releases', 'oidc_payloads']));
  const parts: Buffer[] = [];
  for (const { table_name } of tables.rows) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table_name)}`.execute(db);
    for (const row of rows.rows) {
      for (const value of Object.values(row)) {
        if (value instanceof Uint8Array) parts.push(Buffer.from(value));
        else parts.push(Buffer.from(JSON.stringify(value) ?? 'null', 'utf8'));
      }
    }
  }
  return Buffer.concat(parts);
}

/** Does any 32-byte window of `needle` occur in the haystack? (16-byte windows indexed once.) */
function windowIndex(haystack: Buffer): Set<string> {
  const set = new Set<string>();
  for (let i = 0; i + 16 <= haystack.length; i++) set.add(haystack.toString('hex', i, i + 16));
  return set;
}

function sharesWindow(index: Set<string>, haystack: Buffer, needle: Uint8Array, width = 32): boolean {
  const bytes = Buffer.from(needle);
  for (let i = 0; i + width <= bytes.length; i++) {
    if (index.has(bytes.toString('hex', i, i + 16)) && haystack.includes(bytes.subarray(i, i + width))) return true;
  }
  return false;
}

describe.each(e2eEngines())('passport consent in Chromium (%s)', (engine) => {
  let server: TestServer;
  let jwksServer: Server;
  let jwksUrl: string;
  let rp: CallbackListener;
  const browsers = new Browsers();
  const shot = screenshots(`passport-${engine}-`);

  beforeAll(async () => {
    server = await startTestServer(engine, { OUTBOUND_ALLOW_PRIVATE: true }); // its jwks_uri key server is on localhost
    rp = await startCallbackListener();
    jwksServer = createServer();
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://localhost:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(async () => {
    jwksServer?.closeAllConnections();
    await new Promise((resolve) => jwksServer?.close(resolve));
    await server?.close();
    await rp?.close();
  });
  afterEach(() => browsers.closeAll());

  async function openContext(locale?: string): Promise<{ context: BrowserContext; sent: Buffer[]; page: WatchedPage }> {
    const page = await openWatchedPage(browsers, { locale, viewport: { width: 1000, height: 900 } });
    const sent: Buffer[] = [];
    // Every page of the context: what the server received, body and URL.
    page.context().on('request', (r: Request) => {
      sent.push(Buffer.from(r.url(), 'utf8'));
      const body = r.postDataBuffer();
      if (body) sent.push(body);
      for (const [name, value] of Object.entries(r.headers())) if (name !== 'cookie') sent.push(Buffer.from(value, 'utf8'));
    });
    return { context: page.context(), sent, page };
  }

  async function passportClient(name: string, key: { jwks?: JWK[]; jwksUri?: string }, scope = 'openid passport') {
    const client = await server.services.clients.create({
      client_name: name,
      redirect_uris: [rp.redirectUri],
      scope,
      policy_uri: 'https://rp.example/privacy',
      tos_uri: 'https://rp.example/terms',
      ...(key.jwks ? { jwks: { keys: key.jwks as never } } : {}),
      ...(key.jwksUri ? { jwks_uri: key.jwksUri, passport_release_alg: 'ECDH-ES+A256KW' as const } : {}),
    });
    return { client, config: await discover(server.url, client.client_id, client.client_secret) };
  }

  /** An authorization request; a parameter given as undefined is left out. */
  async function authorization(config: oidc.Configuration, params: Record<string, string | undefined> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const all: Record<string, string | undefined> = {
      redirect_uri: rp.redirectUri,
      scope: 'openid passport',
      passport_scope: JSON.stringify(SCOPE),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...params,
    };
    const url = oidc.buildAuthorizationUrl(config, Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined)));
    return { url, verifier, state, nonce };
  }

  /** Runs `act`, catches the redirect to the RP and redeems the code with openid-client. */
  async function arriveAtRp(page: Page, config: oidc.Configuration, auth: Awaited<ReturnType<typeof authorization>>, act: () => Promise<void>) {
    const callback = page.waitForRequest((r) => r.url().startsWith(rp.redirectUri));
    await act();
    const url = new URL((await callback).url());
    // The RP's page loads before the next navigation starts.
    await page.waitForURL((u) => u.href.startsWith(rp.redirectUri));
    expect(url.searchParams.get('error')).toBeNull();
    return oidc.authorizationCodeGrant(config, url, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
  }

  it('releases exactly what was asked, end to end; replay, revocation and a zero-knowledge server', async () => {
    const locale: Locale = 'en';
    const key = await rpKey();
    const clientName = 'Zq Travel';
    const { client, config } = await passportClient(clientName, { jwks: [key.publicJwk] });
    const { page, sent } = await openContext();
    const passphrase = 'Zq7 lantern orbit velvet canyon';
    await signUpToAccount(page, server.url, locale, `holder-${engine}@example.com`);
    const recoveryCode = await setUpVault(page, locale, passphrase);

    const scans = { front: await randomJpeg(page), selfie: await randomJpeg(page), translation: await randomJpeg(page), idFront: await randomJpeg(page), idBack: await randomJpeg(page) };
    await addElement(page, locale, 'personal_details', {
      given_name: M.given,
      middle_name: M.middle,
      family_name: M.family,
      birthdate: M.birthdate,
      gender: 'female',
      nationality: 'BH',
      country_of_residence: 'OM',
      place_of_birth: M.place,
    });
    await addElement(page, locale, 'passport', { document_number: M.passportNo, issuing_country: 'BH', date_of_issuance: M.issued, date_of_expiry: M.expires }, { front_side: scans.front, selfie: scans.selfie, translation: scans.translation });
    await addElement(page, locale, 'identity_card', { document_number: M.idNo, issuing_country: 'OM' }, { front_side: scans.idFront, reverse_side: scans.idBack });
    await addElement(page, locale, 'address', { street_address: M.street, locality: M.city, postal_code: M.postal, country: 'BH' });
    await addElement(page, locale, 'email', { email: M.email });
    await addElement(page, locale, 'phone_number', { phone_number: M.phone });

    // The RP asks; the holder is signed in already: straight to the passport consent page.
    const auth = await authorization(config);
    await page.goto(auth.url.href);
    await page.getByRole('heading', { level: 1, name: ui(locale, 'passport.heading', { client: clientName }) }).waitFor();
    const asks = await page.locator('.ask-title').allTextContents();
    expect(asks).toEqual(['Personal details', 'Passport or Identity card', 'Address', 'Email address']);
    const askText = await page.locator('.ask-list').textContent();
    for (const words of ['Details: Given name, Family name, and Date of birth', 'Scans: Front side', 'Reverse side as well, if the document has one', t(locale, 'passport.ask.selfie'), t(locale, 'passport.ask.pick')]) {
      expect(askText).toContain(words);
    }
    expect(await page.locator('#passport-key code').textContent()).toBe(key.thumbprint);
    expect(await page.getByRole('link', { name: t(locale, 'client.policy') }).getAttribute('href')).toBe('https://rp.example/privacy');
    await shot(page, 'en-1-consent-locked');

    // A wrong passphrase: the vault's uniform error.
    await page.getByLabel(t(locale, 'vault.passphrase'), { exact: true }).fill('not my passphrase at all');
    await page.getByRole('button', { name: t(locale, 'passport.unlock_submit') }).click();
    await page.getByRole('alert').filter({ hasText: t(locale, 'vault.unlock.failed') }).waitFor();
    await unlock(page, locale, passphrase, 'consent');

    // Two documents answer the one_of: the holder looks at the identity card, then picks the passport.
    const review = page.locator('.passport-review');
    await page.getByLabel(ui(locale, 'passport.choice', { type: 'Identity card', summary: M.idNo })).check();
    await page.getByText(t(locale, 'slot.reverse_side'), { exact: true }).waitFor();
    expect(await imageWidth(page, ui(locale, 'vault.scan.alt', { slot: t(locale, 'slot.reverse_side') }))).toBe(120);
    await page.getByLabel(ui(locale, 'passport.choice', { type: 'Passport', summary: M.passportNo })).check();
    await page.getByText(t(locale, 'slot.selfie'), { exact: true }).waitFor();
    expect(await imageWidth(page, ui(locale, 'vault.scan.alt', { slot: t(locale, 'slot.front_side') }))).toBe(120);
    expect(await imageWidth(page, ui(locale, 'vault.scan.alt', { slot: t(locale, 'slot.selfie') }))).toBe(120);
    const shown = (await review.textContent())!;
    for (const value of [M.given, M.family, 'March 19, 1987', M.passportNo, M.street, M.city, M.email]) expect(shown).toContain(value);
    // Not asked for, so not shown: middle name, nationality, place of birth, the translation, the phone.
    for (const value of [M.middle, M.place, 'Bahrain, Oman', M.phone, t(locale, 'slot.translation')]) expect(shown).not.toContain(value);
    expect(await review.getByText(t(locale, 'field.nationality'), { exact: true }).count()).toBe(0);
    // An optional detail can be left out.
    await page.getByLabel(t(locale, 'field.date_of_issuance')).uncheck();
    await shot(page, 'en-2-consent-review');

    const tokens = await arriveAtRp(page, config, auth, () => page.getByRole('button', { name: ui(locale, 'passport.share', { client: clientName }) }).click());
    const sub = tokens.claims()!.sub;
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, sub);
    expect(typeof userinfo.passport).toBe('string');
    expect(tokens.claims()!.passport).toBe(userinfo.passport);
    const jwe = userinfo.passport as string;
    const expected = { keys: key.keyring, issuer: server.url, clientId: client.client_id, subject: sub, nonce: auth.nonce!, requested: JSON.stringify(SCOPE) };
    const release: Release = await openRelease(jwe, expected);

    // Exactly what was asked for and shown, nothing else.
    expect(release.elements.map((e) => e.type)).toEqual(['personal_details', 'passport', 'address', 'email']);
    expect(findElement(release, 'personal_details')!.data).toEqual({ given_name: M.given, family_name: M.family, birthdate: M.birthdate });
    const passport = findElement(release, 'passport')!;
    expect(passport.data).toEqual({ document_number: M.passportNo, issuing_country: 'BH', date_of_expiry: M.expires });
    expect(Object.keys(passport.files).sort()).toEqual(['front_side', 'selfie']);
    expect(findElement(release, 'address')!.data).toEqual({ street_address: M.street, locality: M.city, postal_code: M.postal, country: 'BH' });
    expect(findElement(release, 'email')!.data).toEqual({ email: M.email });
    expect(release.elements.every((e) => e.attestations.length === 0)).toBe(true);

    // The scans: fetched with the access token, decrypted with the release's keys, byte for byte.
    const front = await fetchScan(release, passport.files.front_side, { accessToken: tokens.access_token });
    const selfie = await fetchScan(release, passport.files.selfie!, { accessToken: tokens.access_token });
    expect(sha256(front.bytes)).toBe(sha256(scans.front));
    expect(sha256(selfie.bytes)).toBe(sha256(scans.selfie));
    expect(Buffer.from(front.bytes).equals(scans.front)).toBe(true);

    // Replays: another sign-in (nonce), another RP, another holder; a tampered JWE.
    await expect(openRelease(jwe, { ...expected, nonce: 'another-nonce' })).rejects.toBeInstanceOf(ReleaseNonceMismatchError);
    await expect(openRelease(jwe, { ...expected, clientId: 'another-client' })).rejects.toBeInstanceOf(ReleaseAudienceMismatchError);
    await expect(openRelease(jwe, { ...expected, subject: randomUUID() })).rejects.toBeInstanceOf(ReleaseSubjectMismatchError);
    const parts = jwe.split('.');
    const body = parts[3]!;
    parts[3] = (body[0] === 'A' ? 'B' : 'A') + body.slice(1);
    await expect(openRelease(parts.join('.'), expected)).rejects.toBeInstanceOf(ReleaseDecryptionError);

    // The files endpoint: an unknown id, a token of another grant (a plain sign-in) → 404.
    const fileUrl = (id: string) => `${server.url}/passport/files/${id}`;
    const get = (id: string, token: string) => fetch(fileUrl(id), { headers: { authorization: `Bearer ${token}` } });
    expect((await get(randomUUID(), tokens.access_token)).status).toBe(404);
    const plain = await authorization(config, { scope: 'openid', passport_scope: undefined });
    await page.goto(plain.url.href);
    const plainTokens = await arriveAtRp(page, config, plain, () => page.getByRole('button', { name: t(locale, 'consent.allow') }).click());
    expect((await get(passport.files.front_side.id, plainTokens.access_token)).status).toBe(404);
    expect((await get(passport.files.front_side.id, tokens.access_token)).status).toBe(200);

    // The holder revokes the release in the sharing history.
    await page.goto(`${server.url}/account`);
    const history = page.locator('#sharing-history');
    const entry = history.locator('li.release').first();
    await entry.waitFor();
    expect(await history.locator('li.release').count()).toBe(1);
    expect(await entry.textContent()).toContain(clientName);
    expect(await entry.textContent()).toContain(ui(locale, 'vault.sharing.types', { types: 'Personal details, Passport, Address, and Email address' }));
    await shot(page, 'en-3-sharing-history');
    await entry.getByRole('button', { name: ui(locale, 'vault.sharing.revoke_label', { client: clientName }) }).click();
    // Revoking asks first, in the page, naming the service.
    await entry.getByText(ui(locale, 'vault.sharing.revoke_question', { client: clientName })).waitFor();
    await entry.getByRole('button', { name: t(locale, 'vault.sharing.revoke_yes') }).click();
    await entry.getByText(t(locale, 'vault.sharing.revoked'), { exact: true }).waitFor();
    // Nothing left to revoke; what was sent can still be looked at (with the vault unlocked).
    expect(await entry.getByRole('button', { name: ui(locale, 'vault.sharing.revoke_label', { client: clientName }) }).count()).toBe(0);
    expect(await entry.getByRole('button').allTextContents()).toEqual([t(locale, 'vault.sharing.show_sent')]);
    await shot(page, 'en-4-sharing-revoked');
    await page.reload();
    await history.locator('li.release-revoked').waitFor();

    expect((await get(passport.files.front_side.id, tokens.access_token)).status).toBe(404);
    await expect(fetchScan(release, passport.files.selfie!, { accessToken: tokens.access_token })).rejects.toBeInstanceOf(ScanNotFoundError);
    const afterRevoke = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(afterRevoke.status).toBe(401);

    // Zero knowledge: nothing the browser sent and nothing the database holds reveals a secret.
    const dump = await databaseDump(server);
    const haystack = Buffer.concat([dump, ...sent]);
    const text = haystack.toString('latin1').toLowerCase();
    const utf8 = haystack.toString('utf8').toLowerCase();
    const code = recoveryCode.toLowerCase();
    const secrets = [passphrase, code, code.replace(/-/g, ''), code.replace(/-/g, ' '), ...Object.values(M), key.privateJwk.d!];
    for (const secret of secrets) {
      expect({ secret, found: text.includes(secret.toLowerCase()) || utf8.includes(secret.toLowerCase()) }).toEqual({ secret, found: false });
    }
    const index = windowIndex(haystack);
    for (const [name, bytes] of Object.entries(scans)) expect({ name, leaked: sharesWindow(index, haystack, bytes) }).toEqual({ name, leaked: false });
    // No file key, no private key, in any form.
    const fileKeys = release.elements.flatMap((e) => scansOf(e).map((s) => s.file.key));
    expect(fileKeys.length).toBe(2);
    for (const k of fileKeys) {
      expect(text.includes(k.toLowerCase())).toBe(false);
      expect(haystack.includes(Buffer.from(base64urlDecode(k)))).toBe(false);
    }
    expect(haystack.includes(Buffer.from(base64urlDecode(key.privateJwk.d!)))).toBe(false);
    // …while the check does look in the right place: stored scans are raw bytes in the dump.
    const stored = await server.database.db.selectFrom('vault_files').select('ciphertext').where('id', '=', passport.files.front_side.id).executeTakeFirstOrThrow();
    expect(sharesWindow(index, haystack, stored.ciphertext)).toBe(true);
    expect(text.includes(`holder-${engine}@example.com`)).toBe(true);
    expect(haystack.includes(Buffer.from(jwe))).toBe(true);
    expect(page.errors).toEqual([]);
  });

  it('declines: the RP gets access_denied and nothing is stored', async () => {
    const key = await rpKey();
    const { config } = await passportClient('Decline Shop', { jwks: [key.publicJwk] });
    const { page } = await openContext();
    await signUpToAccount(page, server.url, 'en', `decline-${engine}@example.com`);
    await heading(page, t('en', 'vault.setup.heading')).waitFor();
    const before = await server.database.db.selectFrom('releases').selectAll().execute();
    const auth = await authorization(config);
    await page.goto(auth.url.href);
    // No vault yet: the page says so and links to the account page, which leads back here.
    await heading(page, t('en', 'passport.no_vault_heading')).waitFor();
    const setUp = page.getByRole('link', { name: t('en', 'passport.no_vault_link') });
    expect(await setUp.getAttribute('href')).toMatch(/^\/account\?return_to=%2Finteraction%2F[A-Za-z0-9_-]+$/);
    await shot(page, 'en-5-no-vault');
    const callback = page.waitForRequest((r) => r.url().startsWith(rp.redirectUri));
    await page.getByRole('button', { name: t('en', 'passport.decline') }).click();
    const url = new URL((await callback).url());
    await page.waitForURL((u) => u.href.startsWith(rp.redirectUri));
    expect(url.searchParams.get('error')).toBe('access_denied');
    expect(url.searchParams.get('state')).toBe(auth.state);
    expect(await server.database.db.selectFrom('releases').selectAll().execute()).toEqual(before);
    expect(page.errors).toEqual([]);
  });

  it('in Arabic: a key fetched from the RP’s jwks_uri, the vault set up on the account page and back, a missing document added inside consent', async () => {
    const locale: Locale = 'ar';
    const key = await rpKey();
    jwksServer.removeAllListeners('request');
    let jwksFetches = 0;
    jwksServer.on('request', (req, res) => {
      jwksFetches++;
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: [key.publicJwk] }));
    });
    const clientName = 'متجر زد';
    const { client, config } = await passportClient(clientName, { jwksUri: jwksUrl });
    const scope = { v: 1, data: ['email', 'phone_number'] };
    const { page } = await openContext('ar');
    const passphrase = 'نخلة قمر بحر جبل ٧ Zq7';
    await signUpToAccount(page, server.url, locale, `arabic-${engine}@example.com`, '?lang=ar');
    await heading(page, t(locale, 'vault.setup.heading')).waitFor();

    const auth = await authorization(config, { passport_scope: JSON.stringify(scope), ui_locales: 'ar' });
    await page.goto(auth.url.href);
    expect(await page.locator('html').getAttribute('dir')).toBe('rtl');
    // No vault yet: set it up on the account page, add the email there, and come back.
    await page.getByRole('link', { name: t(locale, 'passport.no_vault_link') }).click();
    await page.waitForURL(/\/account\?return_to=/);
    await setUpVault(page, locale, passphrase);
    await addElement(page, locale, 'email', { email: M.email });
    const back = page.getByRole('link', { name: ui(locale, 'vault.return.back', { client: clientName }) });
    await shot(page, 'ar-1-account-back');
    expect(await back.getAttribute('href')).toMatch(/^\/interaction\/[A-Za-z0-9_-]+$/);
    await back.click();
    // The browser fetched the key from the RP's origin (the CSP allows exactly that origin).
    const keySlot = page.locator('#passport-key');
    await keySlot.locator('code').waitFor();
    expect(await keySlot.locator('code').textContent()).toBe(key.thumbprint);
    expect(await keySlot.textContent()).toContain(new URL(jwksUrl).origin);
    expect(jwksFetches).toBeGreaterThan(0);
    await unlock(page, locale, passphrase, 'consent');
    await page.getByText(ui(locale, 'passport.missing', { types: t(locale, 'element.phone_number') })).waitFor();
    expect(await page.getByRole('button', { name: ui(locale, 'passport.share', { client: clientName }) }).isDisabled()).toBe(true);
    await shot(page, 'ar-2-missing');

    // The phone number is added here, with the vault's editor (test/e2e/consent-complete.test.ts looks closer).
    await addElement(page, locale, 'phone_number', { phone_number: M.phone });
    await heading(page, t(locale, 'passport.review_heading')).waitFor();
    await shot(page, 'ar-3-review');
    const tokens = await arriveAtRp(page, config, auth, () => page.getByRole('button', { name: ui(locale, 'passport.share', { client: clientName }) }).click());
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    const release = await openRelease(userinfo.passport as string, {
      keys: key.keyring,
      issuer: server.url,
      clientId: client.client_id,
      subject: tokens.claims()!.sub,
      nonce: auth.nonce!,
      requested: scope,
    });
    expect(release.elements).toEqual([
      { ref: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), type: 'email', data: { email: M.email }, files: {}, attestations: [] },
      { ref: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), type: 'phone_number', data: { phone_number: M.phone }, files: {}, attestations: [] },
    ]);
    expect(page.errors).toEqual([]);
  });
});
