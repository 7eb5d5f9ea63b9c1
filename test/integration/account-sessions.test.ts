import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { CompactEncrypt, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { sql } from 'kysely';
import * as oidc from 'openid-client';
import { AccountSessions } from '../../src/accounts/sessions.js';
import { ACCOUNT_CLIENT_ID } from '../../src/oidc/first-party.js';
import { generateHolderKeys, holderKeyIds, sealHolderKeys, signState, stateRecord, type StoredHolderKey } from '../../src/protocol/index.js';
import { FormAgent, hiddenField } from '../helpers/agent.js';
import { engines } from '../helpers/db.js';
import { authorizationRequest, discover, PASSWORD, REDIRECT_URI, signInAndConsent } from '../helpers/flow.js';
import { accountIdReferences, rowsMentioning as mentioning } from '../helpers/references.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Signed-in browsers, services and account deletion (issue "People's accounts",
 * point 6) through the account page's forms, with openid-client as the relying
 * party and the database read directly to prove what is left.
 */
const CHROME_LINUX = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const b64 = (n: number) => randomBytes(n).toString('base64url');
const wrapped = () => b64(72);

describe.each(engines())('signed-in browsers, services and account deletion (%s)', (engine) => {
  let server: TestServer;
  let rpEnc: JWK;
  let verifierSig: JWK;

  beforeAll(async () => {
    server = await startTestServer(engine);
    const enc = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
    rpEnc = { ...(await exportJWK(enc.publicKey)), use: 'enc', alg: 'ECDH-ES+A256KW', kid: 'rp-enc' };
    const sig = await generateKeyPair('ES256', { extractable: true });
    verifierSig = { ...(await exportJWK(sig.publicKey)), use: 'sig', alg: 'ES256', kid: 'verifier-sig' };
  });
  afterAll(() => server?.close());
  beforeEach(() => server.database.reset());

  const db = () => server.database.db;
  const accountUrl = () => new URL(`${server.url}/account`);

  /** Signs an existing account in on the account pages from `agent`; returns the page. */
  async function signIn(agent: FormAgent, email: string) {
    const { response, url } = await agent.follow(`${server.url}/account/login`);
    const html = await response.text();
    const uid = url.pathname.split('/')[2]!;
    const done = await agent.submit(url, `/interaction/${uid}/login`, { csrf: hiddenField(html, 'csrf'), email, password: PASSWORD });
    expect(done.url.pathname).toBe('/account');
    return page(agent);
  }

  async function page(agent: FormAgent) {
    const { response, url } = await agent.follow(`${server.url}/account`);
    const html = await response.text();
    return { status: response.status, url, html, csrf: url.pathname === '/account' ? hiddenField(html, 'csrf') : '' };
  }

  async function holder(email: string, userAgent = CHROME_LINUX) {
    const account = await server.services.accounts.create(email, PASSWORD);
    const agent = new FormAgent(userAgent);
    const first = await signIn(agent, email);
    return { agent, accountId: account.id, email, csrf: first.csrf };
  }

  /** The uid of each listed browser's sign-out form, by the device it names. */
  function signOutForms(html: string): Map<string, string> {
    const forms = new Map<string, string>();
    for (const item of html.split('<li class="release').slice(1)) {
      const device = /class="release-client">([^<]+)</.exec(item)?.[1];
      const uid = /name="session" value="([^"]+)"/.exec(item)?.[1];
      if (device && uid) forms.set(device, uid);
    }
    return forms;
  }

  const post = (agent: FormAgent, action: string, fields: Record<string, string>) => agent.submit(accountUrl(), action, fields);

  async function rp(name: string, extra: Record<string, unknown> = {}) {
    const client = await server.services.clients.create({ client_name: name, redirect_uris: [REDIRECT_URI], ...extra } as never);
    return { clientId: client.client_id, config: await discover(server.url, client.client_id, client.client_secret) };
  }

  /** A sign-in at the RP from a browser already signed in (consent asked, then given); returns the tokens. */
  async function useService(config: oidc.Configuration, agent: FormAgent, email: string) {
    const auth = await authorizationRequest(config);
    const callback = await signInAndConsent(agent, auth.url, { email });
    return oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
  }

  describe('signed-in browsers', () => {
    it('lists each browser with its device, network and last activity, marks this one, and stores no User-Agent', async () => {
      const amal = await holder('amal@example.com');
      await signIn(new FormAgent(FIREFOX_WINDOWS), amal.email);
      // A browser that signed in at a service only, never opening the account page, is described by the sign-in.
      const shop = await rp('Shop');
      await useService(shop.config, new FormAgent(SAFARI_IPHONE), amal.email);
      const { html } = await page(amal.agent);

      expect(html).toMatch(/Chrome on Linux <span class="badge badge-active">This browser<\/span>/);
      expect(html).toContain('Firefox on Windows');
      expect(html).toContain('Safari on iOS');
      expect(html.match(/Network 127\.0\.0\.x/g)).toHaveLength(3);
      expect(html.match(/<time datetime="[^"]+">Last active just now<\/time>/g)).toHaveLength(3);
      // This browser has no sign-out button of its own (the page's "Sign out" is it); the others have one.
      expect([...signOutForms(html).keys()].sort()).toEqual(['Firefox on Windows', 'Safari on iOS']);
      expect(html).toContain('Sign out all other browsers');

      const rows = await db().selectFrom('account_sessions').selectAll().orderBy('browser').execute();
      expect(rows.map((r) => [r.account_id, r.browser, r.os, r.network])).toEqual([
        [amal.accountId, 'Chrome', 'Linux', '127.0.0.x'],
        [amal.accountId, 'Firefox', 'Windows', '127.0.0.x'],
        [amal.accountId, 'Safari', 'iOS', '127.0.0.x'],
      ]);
      expect(JSON.stringify(rows)).not.toMatch(/Mozilla|Gecko|126\.0/);

      // A session that expired is no longer listed, and the sweep drops its description.
      const firefoxUid = rows.find((r) => r.browser === 'Firefox')!.uid;
      await db().updateTable('oidc_payloads').set({ expires_at: sql<Date>`now() - interval '1 second'` }).where('kind', '=', 'Session').where('uid', '=', firefoxUid).execute();
      expect((await page(amal.agent)).html).not.toContain('Firefox on Windows');
      await server.services.sessions.removeStale();
      expect((await db().selectFrom('account_sessions').select('browser').orderBy('browser').execute()).map((r) => r.browser)).toEqual(['Chrome', 'Safari']);

      // Arabic: the sentence is translated, the brand names are not.
      const { response } = await amal.agent.follow(`${server.url}/account?lang=ar`);
      const ar = await response.text();
      expect(ar).toContain('\u2068Chrome\u2069 على \u2068Linux\u2069');
      expect(ar).toContain('هذا المتصفح');
    });

    it('records last activity at most once a minute per session, on this node and across nodes', async () => {
      const amal = await holder('amal@example.com');
      const minutesAgo = (n: number) => sql<Date>`now() - make_interval(mins => ${n})`;
      const lastSeen = async () => (await db().selectFrom('account_sessions').select('last_seen_at').executeTakeFirstOrThrow()).last_seen_at;

      // Within the minute this node already wrote: another page load writes nothing.
      await db().updateTable('account_sessions').set({ last_seen_at: minutesAgo(5) }).execute();
      const before = await lastSeen();
      await page(amal.agent);
      expect(await lastSeen()).toEqual(before);

      // Another node (its own memory) writes only when the stored time is a minute old.
      const other = new AccountSessions(db());
      const { uid } = await db().selectFrom('account_sessions').select('uid').executeTakeFirstOrThrow();
      await db().updateTable('account_sessions').set({ last_seen_at: sql<Date>`now() - interval '30 seconds'` }).execute();
      const recent = await lastSeen();
      await other.seen({ uid, accountId: amal.accountId }, FIREFOX_WINDOWS, '203.0.113.9');
      expect(await lastSeen()).toEqual(recent);
      await db().updateTable('account_sessions').set({ last_seen_at: minutesAgo(2) }).execute();
      await new AccountSessions(db()).seen({ uid, accountId: amal.accountId }, FIREFOX_WINDOWS, '203.0.113.9');
      const row = await db().selectFrom('account_sessions').selectAll().executeTakeFirstOrThrow();
      expect(Date.now() - new Date(row.last_seen_at).getTime()).toBeLessThan(30_000);
      expect([row.browser, row.os, row.network]).toEqual(['Firefox', 'Windows', '203.0.113.x']);
    });

    it('signs one browser out, refuses this one, another account’s and unknown ones, then signs out all others', async () => {
      const amal = await holder('amal@example.com');
      const firefox = new FormAgent(FIREFOX_WINDOWS);
      const iphone = new FormAgent(SAFARI_IPHONE);
      await signIn(firefox, amal.email);
      await signIn(iphone, amal.email);
      const omar = await holder('omar@example.com', FIREFOX_WINDOWS);
      const omarUid = (await db().selectFrom('account_sessions').select('uid').where('account_id', '=', omar.accountId).executeTakeFirstOrThrow()).uid;
      const amalUid = (await db().selectFrom('account_sessions').select('uid').where('account_id', '=', amal.accountId).where('browser', '=', 'Chrome').executeTakeFirstOrThrow()).uid;

      const { html, csrf } = await page(amal.agent);
      const forms = signOutForms(html);
      expect([...forms.keys()].sort()).toEqual(['Firefox on Windows', 'Safari on iOS']);

      // Without the page's token nothing happens.
      const forged = await post(amal.agent, '/account/sessions/sign-out', { csrf: 'forged', session: forms.get('Firefox on Windows')! });
      expect(forged.response.status).toBe(403);
      expect((await page(firefox)).url.pathname).toBe('/account');

      const done = await post(amal.agent, '/account/sessions/sign-out', { csrf, session: forms.get('Firefox on Windows')! });
      expect(done.url.pathname + done.url.search + done.url.hash).toBe('/account?notice=signed_out_one#sessions');
      expect(await done.response.text()).toMatch(/<div class="notice" role="status"><p>That browser is signed out\./);
      // The signed-out browser's next page asks it to sign in.
      const after = await firefox.follow(`${server.url}/account`);
      expect(after.url.pathname).toMatch(/^\/interaction\//);
      expect(await after.response.text()).toContain('name="password"');
      expect((await page(iphone)).url.pathname).toBe('/account');

      const self = await post(amal.agent, '/account/sessions/sign-out', { csrf, session: amalUid });
      expect(self.response.status).toBe(400);
      expect(await self.response.text()).toContain('That is the browser you are using');
      const foreign = await post(amal.agent, '/account/sessions/sign-out', { csrf, session: omarUid });
      expect(foreign.response.status).toBe(404);
      expect(await foreign.response.text()).toContain('That browser was already signed out.');
      expect((await page(omar.agent)).url.pathname).toBe('/account');
      expect((await post(amal.agent, '/account/sessions/sign-out', { csrf, session: 'x'.repeat(21) })).response.status).toBe(404);
      expect((await post(amal.agent, '/account/sessions/sign-out', { csrf, session: '../bad uid' })).response.status).toBe(400);

      const others = await post(amal.agent, '/account/sessions/sign-out-others', { csrf });
      expect(others.url.pathname).toBe('/account');
      expect(await others.response.text()).toContain('Every other browser is signed out.');
      expect((await page(iphone)).url.pathname).not.toBe('/account');
      expect((await page(amal.agent)).url.pathname).toBe('/account');
      expect((await page(omar.agent)).url.pathname).toBe('/account');
      const sessions = await db().selectFrom('oidc_payloads').select(sql<string>`payload->>'accountId'`.as('account')).where('kind', '=', 'Session').execute();
      // (The signed-out browsers' visits since left sessions without an account.)
      expect(sessions.map((s) => s.account).filter(Boolean).sort()).toEqual([amal.accountId, omar.accountId].sort());
      expect(await db().selectFrom('account_sessions').select('uid').where('account_id', '=', amal.accountId).execute()).toEqual([{ uid: amalUid }]);
    });
  });

  describe('services signed in to', () => {
    it('lists each service once, without Wathiqa itself; revoking one ends its grant and every token of it', async () => {
      const amal = await holder('amal@example.com');
      const shop = await rp('Shop');
      const news = await rp('News');
      const shopTokens = await useService(shop.config, amal.agent, amal.email);
      await useService(shop.config, amal.agent, amal.email); // a second sign-in: still one service
      const newsTokens = await useService(news.config, amal.agent, amal.email);
      const omar = await holder('omar@example.com');
      const omarShop = await useService(shop.config, omar.agent, omar.email);

      const { html, csrf } = await page(amal.agent);
      expect(html.match(/<bdi>Shop<\/bdi>/g)).toHaveLength(1);
      expect(html).toContain('<bdi>News</bdi>');
      expect(html).not.toContain('<bdi>Wathiqa</bdi>');
      expect(html).toMatch(/First signed in just now/);
      expect(html).toMatch(/Last used just now/);

      const revoked = await post(amal.agent, '/account/services/revoke', { csrf, client_id: shop.clientId });
      expect(revoked.url.pathname + revoked.url.search + revoked.url.hash).toBe('/account?notice=service_revoked#services');
      const text = await revoked.response.text();
      expect(text).toContain('Access revoked.');
      expect(text).not.toContain('<bdi>Shop</bdi>');

      await expect(oidc.refreshTokenGrant(shop.config, shopTokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
      await expect(oidc.fetchUserInfo(shop.config, shopTokens.access_token, shopTokens.claims()!.sub)).rejects.toThrow();
      const grants = await db().selectFrom('oidc_payloads').select('id').where('kind', '=', 'Grant').where(sql<string>`payload->>'clientId'`, '=', shop.clientId).execute();
      expect(grants).toHaveLength(1); // Omar's
      // The other service, and another account at the same service, are untouched.
      expect((await oidc.refreshTokenGrant(news.config, newsTokens.refresh_token!)).access_token).toBeTruthy();
      expect((await oidc.refreshTokenGrant(shop.config, omarShop.refresh_token!)).access_token).toBeTruthy();

      const again = await post(amal.agent, '/account/services/revoke', { csrf, client_id: shop.clientId });
      expect(again.response.status).toBe(404);
      expect(await again.response.text()).toContain('That service no longer had access.');
      // Wathiqa's own sign-in is not a service to revoke here.
      expect((await post(amal.agent, '/account/services/revoke', { csrf, client_id: ACCOUNT_CLIENT_ID })).response.status).toBe(404);
      expect((await page(amal.agent)).url.pathname).toBe('/account');
      expect((await post(amal.agent, '/account/services/revoke', { csrf: 'forged', client_id: news.clientId })).response.status).toBe(403);
      expect((await oidc.refreshTokenGrant(news.config, newsTokens.refresh_token!)).access_token).toBeTruthy();

      // A service asks again after a revoke.
      const auth = await authorizationRequest(shop.config);
      const { response } = await amal.agent.follow(auth.url, {}, REDIRECT_URI);
      expect(await response.text()).toContain('name="decision"');
    });
  });

  /** The holder, signed up through a passport consent (vault with holder keys set up on the way), and that release. */
  async function passportHolder(email: string) {
    const verifier = await rp(`KYC ${randomUUID().slice(0, 6)}`, {
      scope: 'openid passport',
      jwks: { keys: [rpEnc, verifierSig] },
      verifier: true,
      verifier_attested_types: ['passport'],
      verifier_trust_framework: 'eidas',
      policy_uri: 'https://kyc.example/policy',
    });
    const agent = new FormAgent(CHROME_LINUX);
    const pkce = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(verifier.config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid passport',
      passport_scope: JSON.stringify({ v: 1, data: ['email'] }),
      code_challenge: await oidc.calculatePKCECodeChallenge(pkce),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    let { response, url: at } = await agent.follow(url, {}, REDIRECT_URI);
    const uid = at.pathname.split('/')[2]!;
    const signup = new URL(`/interaction/${uid}/signup`, at);
    const signupCsrf = hiddenField(await (await agent.request(signup)).text(), 'csrf');
    ({ response } = await agent.submit(signup, `/interaction/${uid}/signup`, { csrf: signupCsrf, email, password: PASSWORD, password_confirm: PASSWORD }, REDIRECT_URI));
    const html = await response.text();
    const csrf = /id="passport-consent"[^>]*data-csrf="([^"]+)"/.exec(html)![1]!;
    const data = JSON.parse(/<script type="application\/json" id="passport-release">([^<]*)<\/script>/.exec(html)![1]!) as { uid: string; issuer: string; client_id: string; sub: string; nonce: string; alg: string; key: JWK; vault_csrf: string };

    // The vault, as the page sets it up: envelopes and sealed holder keys.
    const mk = new Uint8Array(randomBytes(32));
    const vault = { vault_id: randomUUID(), kdf: { alg: 'argon2id', m: 65536, t: 3, p: 1, salt: b64(16), v: 1 }, wrapped_mk: wrapped(), recovery_wrapped_mk: wrapped() };
    const keys: StoredHolderKey[] = sealHolderKeys(mk, vault.vault_id, await generateHolderKeys());
    const record = stateRecord({
      vaultId: vault.vault_id,
      vaultVersion: 1,
      keys: { kdf: vault.kdf, wrappedMk: vault.wrapped_mk, recoveryWrappedMk: vault.recovery_wrapped_mk },
      elements: [],
      holderKeys: holderKeyIds(keys),
    });
    const api = (path: string, init: RequestInit) => agent.request(`${server.url}${path}`, { ...init, headers: { 'x-csrf-token': data.vault_csrf, ...init.headers } });
    const setUp = await api('/api/vault', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...vault, holder_keys: keys, ...signState(mk, record) }) });
    expect(setUp.status).toBe(201);

    const payload = { v: 1, iss: data.issuer, aud: data.client_id, sub: data.sub, nonce: data.nonce, iat: Math.floor(Date.now() / 1000), jti: randomUUID(), elements: [{ type: 'email', data: { email }, files: {}, attestations: [] }] };
    const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: data.alg, enc: 'A256GCM', kid: data.key.kid, cty: 'wathiqa-release+json' })
      .encrypt(await importJWK(data.key, data.alg));
    const posted = await agent.request(`${server.url}/interaction/${data.uid}/passport`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ csrf, jwe, file_ids: [], element_types: ['email'] }),
    });
    expect(posted.status).toBe(200);
    const { url: callback } = await agent.follow(((await posted.json()) as { redirect_to: string }).redirect_to, {}, REDIRECT_URI);
    const tokens = await oidc.authorizationCodeGrant(verifier.config, callback, { pkceCodeVerifier: pkce, expectedState: state, expectedNonce: nonce });
    return { agent, email, api, keys, verifier, tokens, accountId: tokens.claims()!.sub };
  }

  it('revoking a service that received a release marks the release revoked too', async () => {
    const holderOf = await passportHolder('amal@example.com');
    const { csrf } = await page(holderOf.agent);
    const done = await post(holderOf.agent, '/account/services/revoke', { csrf, client_id: holderOf.verifier.clientId });
    expect(done.url.pathname).toBe('/account');
    const release = await db().selectFrom('releases').select('revoked_at').executeTakeFirstOrThrow();
    expect(release.revoked_at).not.toBeNull();
    await expect(oidc.fetchUserInfo(holderOf.verifier.config, holderOf.tokens.access_token, holderOf.accountId)).rejects.toThrow();
  });

  describe('deleting the account', () => {
    const rowsMentioning = (value: string) => mentioning(db(), value);

    /**
     * A holder with everything an account can have: a vault with holder keys, a
     * document with a scan, a release and an attestation waiting in the inbox, a
     * service with a refresh token, a second signed-in browser, a sign-in left at
     * the consent page, a mailed link and its counter.
     */
    async function fullHolder(email: string) {
      const h = await passportHolder(email);
      const file = randomUUID();
      const upload = await h.api(`/api/vault/files?${new URLSearchParams({ id: file, media_type: 'image/jpeg', wrapped_key: wrapped() })}`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: new Uint8Array(randomBytes(2000)),
      });
      expect(upload.status).toBe(201);
      const element = await h.api(`/api/vault/elements/${randomUUID()}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'passport', version: 1, wrapped_key: wrapped(), ciphertext: b64(200), file_ids: [file] }),
      });
      expect(element.status).toBe(200);

      const he = h.keys.find((k) => k.use === 'enc')!.public_jwk;
      const attestation = await new CompactEncrypt(new TextEncoder().encode('header.payload.sig~disclosure~'))
        .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: 'wathiqa-attestation+sd-jwt', kid: he.kid })
        .encrypt(await importJWK(he, 'ECDH-ES+A256KW'));
      const delivered = await fetch(`${server.url}/passport/attestations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.tokens.access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ jwe: attestation }),
      });
      expect(delivered.status).toBe(201);

      const shop = await rp('Shop');
      const shopTokens = await useService(shop.config, h.agent, email);
      const second = new FormAgent(FIREFOX_WINDOWS);
      await signIn(second, email);
      // A sign-in that stopped at a consent page: its interaction names the account.
      const pending = await authorizationRequest(shop.config, { prompt: 'login consent' });
      const pendingAgent = new FormAgent(SAFARI_IPHONE);
      const login = await pendingAgent.follow(pending.url, {}, REDIRECT_URI);
      const loginHtml = await login.response.text();
      const atConsent = await pendingAgent.submit(login.url, `/interaction/${login.url.pathname.split('/')[2]}/login`, { csrf: hiddenField(loginHtml, 'csrf'), email, password: PASSWORD }, REDIRECT_URI);
      expect(await atConsent.response.text()).toContain('name="decision"');
      await server.services.mailLinks.count('verify_email', h.accountId, '127.0.0.1');
      await server.services.mailLinks.links.create(h.accountId, 'verify_email', email);
      return { ...h, shop, shopTokens, second };
    }

    it('without the password, with a wrong one, unconfirmed or without the page’s token, deletes nothing', async () => {
      const h = await fullHolder('amal@example.com');
      const before = await rowsMentioning(h.accountId);
      const { csrf } = await page(h.agent);

      const missing = await post(h.agent, '/account/delete', { csrf, confirm: 'yes' });
      expect(missing.response.status).toBe(400);
      const wrong = await post(h.agent, '/account/delete', { csrf, password: 'not my password', confirm: 'yes' });
      expect(wrong.response.status).toBe(401);
      const wrongHtml = await wrong.response.text();
      expect(wrongHtml).toMatch(/<div class="alert" role="alert"><p>That is not your password\. Nothing was deleted\.<\/p><\/div>/);
      expect(wrongHtml).toMatch(/<details open>/);
      // Counted like a failed sign-in of the address.
      const counter = await db().selectFrom('throttle').select('count').where('key', '=', `signin:account:${h.email}`).executeTakeFirst();
      expect(counter?.count).toBe(1);
      const unconfirmed = await post(h.agent, '/account/delete', { csrf, password: PASSWORD });
      expect(unconfirmed.response.status).toBe(400);
      expect(await unconfirmed.response.text()).toContain('Tick the box to confirm that you want your account deleted. Nothing was deleted.');
      expect((await post(h.agent, '/account/delete', { csrf: 'forged', password: PASSWORD, confirm: 'yes' })).response.status).toBe(403);
      expect((await post(h.agent, '/account/delete', { csrf, password: PASSWORD, confirm: 'no' })).response.status).toBe(400);
      // Another browser's token is no use either (it is bound to the browser).
      const stranger = new FormAgent();
      const anonymous = await stranger.submit(accountUrl(), '/account/delete', { csrf, password: PASSWORD, confirm: 'yes' });
      expect(anonymous.url.pathname).toMatch(/^\/interaction\//);

      expect(await rowsMentioning(h.accountId)).toEqual(before);
      expect((await page(h.agent)).url.pathname).toBe('/account');
      expect((await oidc.refreshTokenGrant(h.shop.config, h.shopTokens.refresh_token!)).access_token).toBeTruthy();
    });

    it('deletes everything that names the account in one go: no row anywhere refers to it; browsers and services lose access', async () => {
      const h = await fullHolder('amal@example.com');
      const bystander = await holder('omar@example.com');
      const bystanderVault = await bystander.agent.request(`${server.url}/api/vault`, {
        method: 'POST',
        headers: { 'x-csrf-token': bystander.csrf, 'content-type': 'application/json' },
        body: JSON.stringify({ vault_id: randomUUID(), kdf: { alg: 'argon2id', m: 65536, t: 3, p: 1, salt: b64(16), v: 1 }, wrapped_mk: wrapped(), recovery_wrapped_mk: wrapped() }),
      });
      expect(bystanderVault.status).toBe(201);
      const bystanderBefore = await rowsMentioning(bystander.accountId);

      // Before: the account is named across the schema, so "nothing left" below means something.
      const before = await rowsMentioning(h.accountId);
      expect(Object.keys(before).sort()).toEqual(
        ['account_links', 'account_sessions', 'accounts', 'attestation_inbox', 'oidc_payloads', 'releases', 'throttle', 'vault_elements', 'vault_files', 'vaults'].sort(),
      );
      const kinds = await db().selectFrom('oidc_payloads').select('kind').distinct().where(sql<boolean>`position(${h.accountId} in payload::text) > 0`).execute();
      expect(kinds.map((k) => k.kind)).toEqual(expect.arrayContaining(['AccessToken', 'Grant', 'Interaction', 'RefreshToken', 'Session']));

      const { html, csrf } = await page(h.agent);
      expect(html).toContain('Delete my account for good');
      const done = await post(h.agent, '/account/delete', { csrf, password: PASSWORD, confirm: 'yes' });
      expect(done.response.status).toBe(200);
      const text = await done.response.text();
      expect(text).toContain('<h1>Your account is deleted</h1>');
      expect(text).toContain('amal@example.com');
      expect(done.response.headers.getSetCookie().some((c) => /^_session=;/.test(c))).toBe(true);

      expect(await rowsMentioning(h.accountId)).toEqual({});
      expect(await rowsMentioning(h.email)).toEqual({});
      expect(await accountIdReferences(db(), h.accountId)).toEqual({});
      expect(await rowsMentioning(bystander.accountId)).toEqual(bystanderBefore);

      // Every browser is signed out, every service cut off.
      expect((await page(h.agent)).url.pathname).not.toBe('/account');
      expect((await page(h.second)).url.pathname).not.toBe('/account');
      expect((await page(bystander.agent)).url.pathname).toBe('/account');
      await expect(oidc.refreshTokenGrant(h.shop.config, h.shopTokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
      await expect(oidc.fetchUserInfo(h.verifier.config, h.tokens.access_token, h.accountId)).rejects.toThrow();
      // The address is free again.
      expect((await server.services.accounts.create(h.email, PASSWORD)).id).not.toBe(h.accountId);
    });

    it('is all or nothing: a failure inside the transaction leaves every row in place', async () => {
      const h = await fullHolder('amal@example.com');
      const before = await rowsMentioning(h.accountId);
      // A table that refers to the account without ON DELETE CASCADE makes the last statement fail.
      await sql`create table blocker (account_id uuid references accounts(id))`.execute(db());
      try {
        await sql`insert into blocker values (${h.accountId}::uuid)`.execute(db());
        const { csrf } = await page(h.agent);
        const failed = await post(h.agent, '/account/delete', { csrf, password: PASSWORD, confirm: 'yes' });
        expect(failed.response.status).toBe(500);
        const { blocker: _blocker, ...after } = await rowsMentioning(h.accountId);
        expect(after).toEqual(before);
        expect((await page(h.agent)).url.pathname).toBe('/account');
      } finally {
        await sql`drop table blocker`.execute(db());
      }
    });
  });
});
