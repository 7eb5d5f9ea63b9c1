import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { CompactEncrypt, exportJWK, generateKeyPair, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { FormAgent, hiddenField } from '../helpers/agent.js';
import { engines } from '../helpers/db.js';
import { discover, PASSWORD, REDIRECT_URI } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { loadReleaseKeys, openRelease, type ReleaseKeyring } from '../../src/rp/index.js';
import { ELEMENT_TYPES, type PassportScope } from '../../src/protocol/index.js';

/**
 * The passport scope over HTTP, without a browser: the requests a relying party
 * sends, the consent page's data, and the release the page would post, built
 * with jose exactly as the browser builds it.
 */
const ADMIN_TOKEN = 'a'.repeat(40);
const INITIAL_ACCESS_TOKEN = 'i'.repeat(40);
const CTY = 'wathiqa-release+json';

const SCOPE = {
  v: 1,
  data: [{ type: 'personal_details', fields: ['given_name', 'family_name', 'birthdate'] }, { one_of: ['passport', 'identity_card'], selfie: true }, 'email'],
};

const b64 = (n: number) => randomBytes(n).toString('base64url');

interface PageData {
  uid: string;
  issuer: string;
  client_id: string;
  sub: string;
  nonce: string;
  alg: string;
  key: JWK | null;
  jwks_uri: string | null;
  thumbprint: string | null;
  passport_scope: PassportScope;
  vault_csrf: string;
}

describe.each(engines())('passport scope over HTTP (%s)', (engine) => {
  let server: TestServer;
  let rpKey: { publicJwk: JWK; privateJwk: JWK; keyring: ReleaseKeyring };

  beforeAll(async () => {
    server = await startTestServer(engine, { ADMIN_TOKEN, INITIAL_ACCESS_TOKEN });
    const { publicKey, privateKey } = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
    const kid = `rp-${randomUUID()}`;
    const publicJwk = { ...(await exportJWK(publicKey)), use: 'enc', alg: 'ECDH-ES+A256KW', kid };
    const privateJwk = { ...(await exportJWK(privateKey)), use: 'enc', alg: 'ECDH-ES+A256KW', kid };
    rpKey = { publicJwk, privateJwk, keyring: await loadReleaseKeys(privateJwk) };
  });
  afterAll(() => server?.close());
  beforeEach(() => server.database.reset());

  async function passportClient(extra: Record<string, unknown> = {}) {
    const client = await server.services.clients.create({
      client_name: 'Passport RP',
      redirect_uris: [REDIRECT_URI],
      scope: 'openid email passport',
      jwks: { keys: [rpKey.publicJwk as never] },
      ...extra,
    });
    return { client, config: await discover(server.url, client.client_id, client.client_secret) };
  }

  async function authorization(config: oidc.Configuration, params: Record<string, string | undefined> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const all: Record<string, string> = {
      redirect_uri: REDIRECT_URI,
      scope: 'openid passport',
      passport_scope: JSON.stringify(SCOPE),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    };
    for (const [name, value] of Object.entries(params)) {
      if (value === undefined) delete all[name];
      else all[name] = value;
    }
    return { url: oidc.buildAuthorizationUrl(config, all), verifier, state, nonce: all.nonce };
  }

  /** Walks to the page after the sign-in: the consent page (passport or not), or the RP's callback. */
  async function signIn(agent: FormAgent, url: URL, email: string, signUp = false) {
    let { response, url: at } = await agent.follow(url, {}, REDIRECT_URI);
    if (at.href.startsWith(REDIRECT_URI)) return { at, html: '' };
    let html = await response.text();
    if (html.includes('name="password"')) {
      const uid = at.pathname.split('/')[2]!;
      if (signUp) {
        const page = new URL(`/interaction/${uid}/signup`, at);
        const csrf = hiddenField(await (await agent.request(page)).text(), 'csrf');
        ({ response, url: at } = await agent.submit(page, `/interaction/${uid}/signup`, { csrf, email, password: PASSWORD, password_confirm: PASSWORD }, REDIRECT_URI));
      } else {
        ({ response, url: at } = await agent.submit(at, `/interaction/${uid}/login`, { csrf: hiddenField(html, 'csrf'), email, password: PASSWORD }, REDIRECT_URI));
      }
      html = at.href.startsWith(REDIRECT_URI) ? '' : await response.text();
    }
    return { at, html };
  }

  function consentData(html: string): { csrf: string; data: PageData } {
    const csrf = /id="passport-consent"[^>]*data-csrf="([^"]+)"/.exec(html)?.[1];
    const block = /<script type="application\/json" id="passport-release">([^<]*)<\/script>/.exec(html)?.[1];
    if (!csrf || !block) throw new Error(`not the passport consent page: ${html.slice(0, 300)}`);
    return { csrf, data: JSON.parse(block) as PageData };
  }

  /** A holder with a vault holding a passport with two scans (envelopes only: the server cannot tell). */
  async function holderWithVault(agent: FormAgent, vaultCsrf: string) {
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const response = await agent.request(`${server.url}${path}`, {
        method,
        headers: { 'x-csrf-token': vaultCsrf, ...(body instanceof Uint8Array ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : body instanceof Uint8Array ? (body as Uint8Array<ArrayBuffer>) : JSON.stringify(body),
      });
      expect(response.status).toBeLessThan(300);
      return response.json() as Promise<Record<string, unknown>>;
    };
    await call('POST', '/api/vault', {
      vault_id: randomUUID(),
      kdf: { alg: 'argon2id', m: 65536, t: 3, p: 1, salt: b64(16), v: 1 },
      wrapped_mk: b64(72),
      recovery_wrapped_mk: b64(72),
    });
    const files: string[] = [];
    for (let i = 0; i < 2; i++) {
      const id = randomUUID();
      const query = new URLSearchParams({ id, media_type: 'image/jpeg', wrapped_key: b64(72) });
      await call('POST', `/api/vault/files?${query}`, new Uint8Array(randomBytes(500)), { 'content-type': 'application/octet-stream' });
      files.push(id);
    }
    const elementId = randomUUID();
    await call('PUT', `/api/vault/elements/${elementId}`, { type: 'passport', version: 1, wrapped_key: b64(72), ciphertext: b64(300), file_ids: files });
    return { files };
  }

  /** The payload the page builds, encrypted as the page encrypts it; `header` overrides the protected header. */
  async function releaseFor(data: PageData, fileIds: string[], header: Record<string, unknown> = {}, key: JWK = data.key!) {
    const payload = {
      v: 1,
      iss: data.issuer,
      aud: data.client_id,
      sub: data.sub,
      nonce: data.nonce,
      iat: Math.floor(Date.now() / 1000),
      jti: randomUUID(),
      elements: [
        { type: 'personal_details', data: { given_name: 'Amal', family_name: 'Saleh', birthdate: '1991-02-03' }, files: {}, attestations: [] },
        {
          type: 'passport',
          data: { document_number: 'X1234567', issuing_country: 'OM' },
          files: {
            front_side: { id: fileIds[0], key: b64(32), media_type: 'image/jpeg', size: 460, sha256: b64(32) },
            selfie: { id: fileIds[1], key: b64(32), media_type: 'image/jpeg', size: 460, sha256: b64(32) },
          },
          attestations: [],
        },
        { type: 'email', data: { email: 'amal@example.com' }, files: {}, attestations: [] },
      ],
    };
    const alg = (header.alg as string | undefined) ?? data.alg;
    const { importJWK } = await import('jose');
    const protectedHeader = Object.fromEntries(
      Object.entries({ alg: data.alg, enc: 'A256GCM', kid: key.kid, cty: CTY, ...header }).filter(([, v]) => v !== undefined),
    ) as { alg: string; enc: string };
    return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader(protectedHeader)
      .encrypt(await importJWK(key, alg));
  }

  const postRelease = (agent: FormAgent, uid: string, body: unknown) =>
    agent.request(`${server.url}/interaction/${uid}/passport`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });

  const counts = async () => {
    const db = server.database.db;
    const releases = await db.selectFrom('releases').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const grants = await db
      .selectFrom('oidc_payloads')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('kind', '=', 'Grant')
      .executeTakeFirstOrThrow();
    return { releases: Number(releases.n), grants: Number(grants.n) };
  };

  it('refuses malformed passport_scope values with invalid_request naming the problem', async () => {
    const { config } = await passportClient();
    const cases: [string, RegExp][] = [
      ['{not json', /not valid JSON/],
      [JSON.stringify({ v: 2, data: ['email'] }), /v: must be 1/],
      [JSON.stringify({ v: 1, data: [] }), /data/],
      [JSON.stringify({ v: 1, data: ['diary'] }), /unknown element type "diary"/],
      [JSON.stringify({ v: 1, data: ['email', { one_of: ['email', 'phone_number'] }] }), /"email" is asked for more than once/],
      [JSON.stringify({ v: 1, data: [{ type: 'passport', fields: ['given_name'] }] }), /"passport" has no field "given_name"/],
      [JSON.stringify({ v: 1, data: [{ type: 'address', selfie: true }] }), /"address" has no selfie/],
      [JSON.stringify({ v: 1, data: [{ type: 'email', native_names: true }] }), /native_names/],
      [JSON.stringify({ v: 1, data: ['email'], extra: true }), /passport_scope/],
      ['x'.repeat(5000), /longer than 4096/],
    ];
    for (const [value, description] of cases) {
      const auth = await authorization(config, { passport_scope: value });
      const { url } = await new FormAgent().follow(auth.url, {}, REDIRECT_URI);
      expect(url.href.startsWith(REDIRECT_URI)).toBe(true);
      expect(url.searchParams.get('error')).toBe('invalid_request');
      const text = url.searchParams.get('error_description') ?? '';
      expect(text).toMatch(/passport_scope is malformed/);
      expect({ value: value.slice(0, 60), text }).toEqual({ value: value.slice(0, 60), text: expect.stringMatching(description) });
      expect(url.searchParams.get('state')).toBe(auth.state);
    }
  });

  it('requires a nonce with the passport scope, and a passport_scope (or a registered default)', async () => {
    const { config } = await passportClient();
    const noNonce = await authorization(config, { nonce: undefined });
    let { url } = await new FormAgent().follow(noNonce.url, {}, REDIRECT_URI);
    expect(url.searchParams.get('error')).toBe('invalid_request');
    expect(url.searchParams.get('error_description')).toMatch(/nonce/);

    const noScope = await authorization(config, { passport_scope: undefined });
    ({ url } = await new FormAgent().follow(noScope.url, {}, REDIRECT_URI));
    expect(url.searchParams.get('error')).toBe('invalid_request');
    expect(url.searchParams.get('error_description')).toMatch(/passport_scope is required/);

    // passport_scope without the passport scope is a mistake too.
    const stray = await authorization(config, { scope: 'openid' });
    ({ url } = await new FormAgent().follow(stray.url, {}, REDIRECT_URI));
    expect(url.searchParams.get('error')).toBe('invalid_request');
    expect(url.searchParams.get('error_description')).toMatch(/passport_scope needs the passport scope/);

    // A client's registered default is used when the request has none.
    const withDefault = await passportClient({ passport_scope: { v: 1, data: ['email'] } });
    const defaulted = await authorization(withDefault.config, { passport_scope: undefined });
    const agent = new FormAgent();
    const { html } = await signIn(agent, defaulted.url, 'default@example.com', true);
    expect(consentData(html).data.passport_scope).toEqual({ v: 1, data: [{ one_of: ['email'], selfie: false, translation: false, native_names: false }] });
  });

  it('refuses the passport scope for a client without an encryption key, at every door', async () => {
    const base = { client_name: 'No key', redirect_uris: [REDIRECT_URI], scope: 'openid passport' };
    // The service (CLI and tests).
    await expect(server.services.clients.create(base)).rejects.toMatchObject({ status: 400, description: expect.stringMatching(/passport scope needs an encryption key/) });
    // A signing key only (use: sig) is not an encryption key.
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const sig = { keys: [{ ...(await exportJWK(publicKey)), use: 'sig', kid: 'sig-1' }] };
    await expect(server.services.clients.create({ ...base, jwks: sig as never })).rejects.toMatchObject({ status: 400, description: expect.stringMatching(/encryption key/) });
    // An encryption key without a kid cannot be named by a release.
    const { kid: _kid, ...noKid } = rpKey.publicJwk;
    await expect(server.services.clients.create({ ...base, jwks: { keys: [noKid as never] } })).rejects.toMatchObject({ status: 400, description: expect.stringMatching(/kid/) });

    // The admin API.
    const admin = await fetch(`${server.url}/admin/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(base),
    });
    expect(admin.status).toBe(400);
    expect(((await admin.json()) as { error_description: string }).error_description).toMatch(/passport scope needs an encryption key/);

    // Dynamic registration.
    const reg = await fetch(`${server.url}/reg`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INITIAL_ACCESS_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [REDIRECT_URI], client_name: 'No key', scope: 'openid passport' }),
    });
    expect(reg.status).toBe(400);
    const body = (await reg.json()) as { error: string; error_description: string };
    expect(body.error).toBe('invalid_client_metadata');
    expect(body.error_description).toMatch(/passport scope needs an encryption key/);
    expect(await server.services.clients.list()).toEqual([]);

    // With a key, dynamic registration works and fixes the algorithm.
    const ok = await fetch(`${server.url}/reg`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INITIAL_ACCESS_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [REDIRECT_URI], client_name: 'Keyed', scope: 'openid passport', jwks: { keys: [rpKey.publicJwk] } }),
    });
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as { passport_release_alg: string }).passport_release_alg).toBe('ECDH-ES+A256KW');
  });

  it('refuses releases whose header does not fit the client, or that name another holder’s scans; stores nothing', async () => {
    const { config } = await passportClient();
    // Another holder with scans of their own.
    const other = new FormAgent();
    const otherAuth = await authorization(config);
    const otherPage = consentData((await signIn(other, otherAuth.url, 'other@example.com', true)).html);
    const foreign = await holderWithVault(other, otherPage.data.vault_csrf);

    const agent = new FormAgent();
    const auth = await authorization(config);
    const { html } = await signIn(agent, auth.url, 'holder@example.com', true);
    const { csrf, data } = consentData(html);
    expect(data).toMatchObject({ client_id: config.clientMetadata().client_id, nonce: auth.nonce, alg: 'ECDH-ES+A256KW', jwks_uri: null });
    expect(data.key).toEqual(rpKey.publicJwk);
    expect(data.thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const own = await holderWithVault(agent, data.vault_csrf);
    const before = await counts();

    const { publicKey: otherKey } = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
    const otherJwk = { ...(await exportJWK(otherKey)), kid: 'someone-else' };
    const bad: [string, Promise<string>, string[], RegExp][] = [
      ['another alg', releaseFor(data, own.files, { alg: 'ECDH-ES+A128KW' }), own.files, /alg must be ECDH-ES\+A256KW/],
      ['another enc', releaseFor(data, own.files, { enc: 'A128GCM' }), own.files, /enc must be A256GCM/],
      ['another kid', releaseFor(data, own.files, {}, otherJwk), own.files, /kid/],
      ['no cty', releaseFor(data, own.files, { cty: undefined }), own.files, /cty/],
      ['another holder’s scans', releaseFor(data, foreign.files), foreign.files, /file_ids/],
      ['not a JWE', Promise.resolve('a.b.c'), own.files, /compact JWE/],
    ];
    for (const [what, jwe, fileIds, description] of bad) {
      const response = await postRelease(agent, data.uid, { csrf, jwe: await jwe, file_ids: fileIds, element_types: ['personal_details', 'passport', 'email'] });
      const body = (await response.json()) as { error: string; error_description: string };
      expect({ what, status: response.status, error: body.error }).toEqual({ what, status: 400, error: 'invalid_request' });
      expect(body.error_description).toMatch(description);
      expect(await counts()).toEqual(before);
    }
    // Element types the server does not know, a missing CSRF token, extra members.
    const good = await releaseFor(data, own.files);
    let response = await postRelease(agent, data.uid, { csrf, jwe: good, file_ids: own.files, element_types: ['diary'] });
    expect(response.status).toBe(400);
    response = await postRelease(agent, data.uid, { csrf: 'forged', jwe: good, file_ids: own.files, element_types: ['passport'] });
    expect(response.status).toBe(403);
    response = await postRelease(agent, data.uid, { csrf, jwe: good, file_ids: own.files, element_types: ['passport'], extra: 1 });
    expect(response.status).toBe(400);
    expect(await counts()).toEqual(before);

    // The good one goes through, and only once.
    response = await postRelease(agent, data.uid, { csrf, jwe: good, file_ids: own.files, element_types: ['personal_details', 'passport', 'email'] });
    expect(response.status).toBe(200);
    const { redirect_to } = (await response.json()) as { redirect_to: string };
    expect(await counts()).toEqual({ releases: before.releases + 1, grants: before.grants + 1 });
    const { url: callback } = await agent.follow(redirect_to, {}, REDIRECT_URI);
    expect(callback.searchParams.get('code')).toBeTruthy();
    response = await postRelease(agent, data.uid, { csrf, jwe: good, file_ids: own.files, element_types: ['passport'] });
    expect(response.status).toBe(400);
    expect(await counts()).toEqual({ releases: before.releases + 1, grants: before.grants + 1 });
  });

  it('does not grant a passport request through the plain consent form', async () => {
    const { config } = await passportClient();
    const agent = new FormAgent();
    const auth = await authorization(config);
    const { at, html } = await signIn(agent, auth.url, 'form@example.com', true);
    const { data } = consentData(html);
    const { url, response } = await agent.submit(at, `/interaction/${data.uid}/consent`, { csrf: hiddenField(html, 'csrf'), decision: 'allow' }, REDIRECT_URI);
    expect(url.href.startsWith(REDIRECT_URI)).toBe(false);
    expect(response.status).toBe(400);
    expect(await counts()).toMatchObject({ releases: 0, grants: 0 });
  });

  it('asks for consent on every passport authorization, each with its own release and nonce; never reuses the passport grant', async () => {
    const { config } = await passportClient();
    const agent = new FormAgent();
    const subject = { email: 'twice@example.com', signUp: true };
    const seen: { nonce: string; jwe: string }[] = [];

    for (let round = 0; round < 2; round++) {
      const auth = await authorization(config);
      const { html } = await signIn(agent, auth.url, subject.email, subject.signUp);
      subject.signUp = false;
      const { csrf, data } = consentData(html);
      expect(data.nonce).toBe(auth.nonce);
      if (round === 0) await holderWithVault(agent, data.vault_csrf);
      const files = (await server.database.db.selectFrom('vault_files').select('id').orderBy('created_at').execute()).map((f) => f.id);
      const jwe = await releaseFor(data, files);
      const response = await postRelease(agent, data.uid, { csrf, jwe, file_ids: files, element_types: ['personal_details', 'passport', 'email'] });
      expect(response.status).toBe(200);
      const { url: callback } = await agent.follow(((await response.json()) as { redirect_to: string }).redirect_to, {}, REDIRECT_URI);
      const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
      const sub = tokens.claims()!.sub;
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, sub);
      expect(userinfo.passport).toBe(jwe);
      expect(tokens.claims()!.passport).toBe(jwe);
      const release = await openRelease(userinfo.passport as string, {
        keys: rpKey.keyring,
        issuer: server.url,
        clientId: config.clientMetadata().client_id,
        subject: sub,
        nonce: auth.nonce!,
        requested: JSON.stringify(SCOPE),
      });
      seen.push({ nonce: release.nonce, jwe });
    }
    expect(seen[0]!.nonce).not.toBe(seen[1]!.nonce);
    expect(seen[0]!.jwe).not.toBe(seen[1]!.jwe);
    expect(await counts()).toMatchObject({ releases: 2, grants: 2 });

    // A plain sign-in afterwards: the passport grants are not reused for it.
    const auth = await authorization(config, { scope: 'openid email', passport_scope: undefined });
    const { at, html } = await signIn(agent, auth.url, subject.email);
    expect(at.pathname).toMatch(/^\/interaction\//);
    expect(html).toContain('name="decision" value="allow"');
    expect(html).not.toContain('id="passport-release"');
    const { url: callback } = await agent.submit(at, `/interaction/${at.pathname.split('/')[2]}/consent`, { csrf: hiddenField(html, 'csrf'), decision: 'allow' }, REDIRECT_URI);
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo.email).toBe(subject.email);
    expect(userinfo.passport).toBeUndefined();
    expect(tokens.claims()!.passport).toBeUndefined();
    expect(await counts()).toMatchObject({ releases: 2, grants: 3 });
  });

  it('lets the consent page of a jwks_uri client fetch the key from that origin, and only that page', async () => {
    const { config } = await passportClient({ jwks: undefined, jwks_uri: 'https://keys.rp.example:8443/jwks.json', passport_release_alg: 'ECDH-ES+A256KW' });
    const agent = new FormAgent();
    const auth = await authorization(config);
    let { response, url } = await agent.follow(auth.url, {}, REDIRECT_URI);
    const login = await response.text();
    const uid = url.pathname.split('/')[2]!;
    const page = new URL(`/interaction/${uid}/signup`, url);
    const csrf = hiddenField(await (await agent.request(page)).text(), 'csrf');
    ({ response, url } = await agent.submit(page, `/interaction/${uid}/signup`, { csrf, email: 'keys@example.com', password: PASSWORD, password_confirm: PASSWORD }, REDIRECT_URI));
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("connect-src 'self' https://keys.rp.example:8443;");
    const { data } = consentData(await response.text());
    expect(data).toMatchObject({ key: null, thumbprint: null, jwks_uri: 'https://keys.rp.example:8443/jwks.json', alg: 'ECDH-ES+A256KW' });
    expect(login).toContain('name="password"');
    // Every other page keeps connect-src to its own origin.
    const account = await agent.request(`${server.url}/account`);
    expect(account.headers.get('content-security-policy')).toContain("connect-src 'self';");
  });

  it('advertises the passport extensions in discovery', async () => {
    const response = await fetch(`${server.url}/.well-known/openid-configuration`);
    const discovery = (await response.json()) as Record<string, unknown>;
    expect(discovery.scopes_supported).toEqual(expect.arrayContaining(['openid', 'passport']));
    expect(discovery.passport_element_types_supported).toEqual(ELEMENT_TYPES);
    expect(discovery.passport_release_alg_values_supported).toEqual(['ECDH-ES+A256KW', 'RSA-OAEP-256']);
    expect(discovery.passport_release_enc_values_supported).toEqual(['A256GCM']);
    expect(discovery.claims_supported).toEqual(expect.arrayContaining(['passport']));
  });
});
