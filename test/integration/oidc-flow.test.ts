import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { FormAgent, hiddenField } from '../helpers/agent.js';
import { engines } from '../helpers/db.js';
import { authorizationRequest, discover, POST_LOGOUT_URI, REDIRECT_URI, signInAndConsent } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe.each(engines())('OpenID Connect code flow with openid-client (%s)', (engine) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server?.close());
  beforeEach(() => server.database.reset());

  async function registerClient(extra: Record<string, unknown> = {}) {
    return server.services.clients.create({
      client_name: 'Demo',
      redirect_uris: [REDIRECT_URI],
      post_logout_redirect_uris: [POST_LOGOUT_URI],
      ...extra,
    });
  }

  it('discovery → code + PKCE → tokens → userinfo → refresh → revocation → logout', async () => {
    const client = await registerClient();
    const config = await discover(server.url, client.client_id, client.client_secret);
    const agent = new FormAgent();
    const auth = await authorizationRequest(config);
    const callback = await signInAndConsent(agent, auth.url, { email: 'amina@example.com', signUp: true });
    expect(callback.searchParams.get('iss')).toBe(server.url);

    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: auth.verifier,
      expectedState: auth.state,
      expectedNonce: auth.nonce,
    });
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('RS256'); // no alg registered: the OIDC default
    const sub = tokens.claims()!.sub;
    expect(tokens.refresh_token).toBeTruthy();

    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, sub);
    expect(userinfo).toMatchObject({ sub, email: 'amina@example.com', email_verified: false });

    // Rotation: a new refresh token each time; the old one is spent.
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect((await oidc.fetchUserInfo(config, refreshed.access_token, sub)).email).toBe('amina@example.com');

    const introspected = await oidc.tokenIntrospection(config, refreshed.access_token);
    expect(introspected).toMatchObject({ active: true, sub, client_id: client.client_id });

    await oidc.tokenRevocation(config, refreshed.access_token);
    expect((await oidc.tokenIntrospection(config, refreshed.access_token)).active).toBe(false);
    await expect(oidc.fetchUserInfo(config, refreshed.access_token, sub)).rejects.toThrow();

    // RP-initiated logout: confirm on the provider's page, land on the registered URI.
    const logoutUrl = oidc.buildEndSessionUrl(config, { id_token_hint: refreshed.id_token!, post_logout_redirect_uri: POST_LOGOUT_URI, state: 'bye' });
    const { response, url } = await agent.follow(logoutUrl);
    const page = await response.text();
    expect(page).toContain('op.logoutForm');
    const action = /<form[^>]*id="op.logoutForm"[^>]*action="([^"]+)"/.exec(page)?.[1] ?? /action="([^"]+)"[^>]*id="op.logoutForm"/.exec(page)![1]!;
    const done = await agent.submit(url, action, { xsrf: hiddenField(page, 'xsrf'), logout: 'yes' }, POST_LOGOUT_URI);
    expect(done.url.href).toBe(`${POST_LOGOUT_URI}?state=bye`);

    // The session is gone: a new authorization asks for a sign-in again.
    const again = await authorizationRequest(config);
    const next = await agent.follow(again.url);
    expect(next.url.pathname).toMatch(/^\/interaction\//);
    expect(await next.response.text()).toContain('name="password"');
  });

  it('remembers consent per client until new scopes are asked', async () => {
    const client = await registerClient();
    const config = await discover(server.url, client.client_id, client.client_secret);
    const agent = new FormAgent();
    const first = await authorizationRequest(config, { scope: 'openid', prompt: '' });
    await signInAndConsent(agent, first.url, { email: 'omar@example.com', signUp: true });

    // Same scopes: straight back to the client, no page.
    const second = await authorizationRequest(config, { scope: 'openid', prompt: '' });
    const { url } = await agent.follow(second.url, {}, REDIRECT_URI);
    expect(url.href.startsWith(REDIRECT_URI)).toBe(true);
    expect(url.searchParams.get('code')).toBeTruthy();

    // A new scope: the consent page again, listing only what is new.
    const third = await authorizationRequest(config, { scope: 'openid email', prompt: '' });
    const page = await agent.follow(third.url, {}, REDIRECT_URI);
    const html = await page.response.text();
    expect(html).toContain('name="decision"');
  });

  it('delivers encrypted ID tokens and userinfo that openid-client decrypts', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), use: 'enc', alg: 'ECDH-ES+A256KW', kid: 'rp-enc-1' };
    const client = await registerClient({
      jwks: { keys: [jwk] },
      id_token_encrypted_response_alg: 'ECDH-ES+A256KW',
      id_token_encrypted_response_enc: 'A256GCM',
      userinfo_signed_response_alg: 'ES256',
      userinfo_encrypted_response_alg: 'ECDH-ES+A256KW',
      userinfo_encrypted_response_enc: 'A256GCM',
    });
    const config = await discover(server.url, client.client_id, client.client_secret);
    oidc.enableDecryptingResponses(config, ['A256GCM'], { key: privateKey as CryptoKey, alg: 'ECDH-ES+A256KW', kid: 'rp-enc-1' });
    const auth = await authorizationRequest(config);
    const callback = await signInAndConsent(new FormAgent(), auth.url, { email: 'layla@example.com', signUp: true });

    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: auth.verifier,
      expectedState: auth.state,
      expectedNonce: auth.nonce,
    });
    expect(tokens.id_token!.split('.')).toHaveLength(5); // JWE compact
    expect(decodeProtectedHeader(tokens.id_token!)).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM' });
    const sub = tokens.claims()!.sub;

    const raw = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(raw.headers.get('content-type')).toMatch(/application\/jwt/);
    expect((await raw.text()).split('.')).toHaveLength(5);

    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, sub);
    expect(userinfo).toMatchObject({ sub, email: 'layla@example.com' });
  });

  it('works for a public client with PKCE alone', async () => {
    const client = await registerClient({ public: true });
    expect(client.client_secret).toBeUndefined();
    const config = await discover(server.url, client.client_id);
    const auth = await authorizationRequest(config);
    const callback = await signInAndConsent(new FormAgent(), auth.url, { email: 'yusuf@example.com', signUp: true });
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: auth.verifier,
      expectedState: auth.state,
      expectedNonce: auth.nonce,
    });
    expect(tokens.access_token).toBeTruthy();
  });

  it('accepts pushed authorization requests', async () => {
    const client = await registerClient();
    const config = await discover(server.url, client.client_id, client.client_secret);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    const callback = await signInAndConsent(new FormAgent(), url, { email: 'par@example.com', signUp: true });
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier });
    expect(tokens.access_token).toBeTruthy();
  });
});
