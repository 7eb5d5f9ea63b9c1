import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { FormAgent, hiddenField } from '../helpers/agent.js';
import { httpEngines } from '../helpers/db.js';
import { authorizationRequest, discover, PASSWORD, REDIRECT_URI, signInAndConsent } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe.each(httpEngines())('protocol negatives (%s)', (engine) => {
  let server: TestServer;
  let config: oidc.Configuration;
  let client: { client_id: string; client_secret?: string };

  beforeAll(async () => {
    server = await startTestServer(engine, {
      SIGNIN_ACCOUNT_MAX_FAILURES: 3,
      SIGNIN_IP_MAX_FAILURES: 6,
      // Strict rotation: a reuse revokes at once (the grace window is tested in refresh-grace.test.ts).
      REFRESH_TOKEN_REUSE_GRACE_SECONDS: 0,
    });
  });
  afterAll(() => server?.close());
  beforeEach(async () => {
    await server.database.reset();
    client = await server.services.clients.create({ client_name: 'Demo', redirect_uris: [REDIRECT_URI] });
    config = await discover(server.url, client.client_id, client.client_secret);
  });

  /** A user with a consented grant, and a fresh authorization code for them. */
  async function codeFor(email: string, signUp = true) {
    const auth = await authorizationRequest(config);
    const callback = await signInAndConsent(new FormAgent(), auth.url, { email, signUp });
    return { auth, callback };
  }

  it('discovery advertises only what we support', async () => {
    const meta = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(meta.response_types_supported).toEqual(['code']);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'PS256', 'ES256', 'EdDSA']));
    expect(JSON.stringify(meta)).not.toContain('RSA1_5');
    expect(meta.authorization_response_iss_parameter_supported).toBe(true);
    for (const endpoint of ['revocation_endpoint', 'introspection_endpoint', 'end_session_endpoint', 'pushed_authorization_request_endpoint']) {
      expect(meta[endpoint]).toMatch(/^http:\/\/localhost:\d+\//);
    }
    expect(meta.grant_types_supported).not.toContain('implicit');
    expect(meta.grant_types_supported).not.toContain('password');
    expect(meta.ui_locales_supported).toEqual(['en', 'ar']);
    expect(meta.claims_parameter_supported).toBe(true);
  });

  it.each([
    ['a trailing slash', 'http://localhost:4000/cb/'],
    ['another port', 'http://localhost:4001/cb'],
    ['an @ trick', 'http://localhost:4000@evil.example/cb'],
    ['userinfo in the host', 'http://evil.example@localhost:4000/cb'],
    ['another scheme', 'https://localhost:4000/cb'],
    ['a query string added', 'http://localhost:4000/cb?x=1'],
    ['another path case', 'http://localhost:4000/CB'],
  ])('refuses a redirect URI with %s, without redirecting', async (_name, redirectUri) => {
    const auth = await authorizationRequest(config, { redirect_uri: redirectUri });
    const response = await fetch(auth.url, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    const body = await response.text();
    expect(body).toContain('invalid_redirect_uri');
    expect(body).not.toMatch(/at .*\.(js|ts):\d+/); // no stack trace
  });

  it('requires PKCE, and only S256', async () => {
    const missing = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid', state: 's' });
    let response = await fetch(missing, { redirect: 'manual' });
    let location = new URL(response.headers.get('location')!);
    expect(location.href.startsWith(REDIRECT_URI)).toBe(true);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE|code_challenge/);

    const plain = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state: 's',
      code_challenge: 'a'.repeat(43),
      code_challenge_method: 'plain',
    });
    response = await fetch(plain, { redirect: 'manual' });
    location = new URL(response.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/code_challenge_method/);
  });

  it('refuses a code used twice and revokes the tokens of its first use', async () => {
    const { auth, callback } = await codeFor('twice@example.com');
    const checks = { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce };
    const tokens = await oidc.authorizationCodeGrant(config, callback, checks);
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(true);

    await expect(oidc.authorizationCodeGrant(config, callback, checks)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    expect((await oidc.tokenIntrospection(config, tokens.refresh_token!)).active).toBe(false);
  });

  it('refuses a refresh token used twice and revokes the grant', async () => {
    const { auth, callback } = await codeFor('reuse@example.com');
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: auth.verifier,
      expectedState: auth.state,
      expectedNonce: auth.nonce,
    });
    const rotated = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(config, rotated.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses a wrong client secret', async () => {
    const { auth, callback } = await codeFor('secret@example.com');
    const wrong = await discover(server.url, client.client_id, 'not-the-secret');
    await expect(
      oidc.authorizationCodeGrant(wrong, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce }),
    ).rejects.toMatchObject({ error: 'invalid_client' });
  });

  /** Posts the sign-in form once; returns status and the page. */
  async function attemptSignIn(email: string, password: string, ip?: string) {
    const agent = new FormAgent();
    const auth = await authorizationRequest(config);
    const { response, url } = await agent.follow(auth.url);
    const html = await response.text();
    const headers = ip ? { 'x-forwarded-for': ip } : undefined;
    const posted = await agent.request(new URL(`${url.pathname}/login`, url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ csrf: hiddenField(html, 'csrf'), email, password }).toString(),
    });
    return { status: posted.status, html: posted.headers.has('location') ? '' : await posted.text() };
  }

  it('answers an unknown email exactly like a wrong password', async () => {
    await server.services.accounts.create('known@example.com', PASSWORD);
    const unknown = await attemptSignIn('nobody@example.com', PASSWORD);
    const wrong = await attemptSignIn('known@example.com', 'wrong password here');
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const message = (html: string) => /role="alert"[^>]*>([\s\S]*?)<\//.exec(html)?.[1]?.trim();
    expect(message(unknown.html)).toBeTruthy();
    expect(message(unknown.html)).toBe(message(wrong.html));
  });

  it('locks an account after the configured number of failures, even for the right password', async () => {
    await server.services.accounts.create('locked@example.com', PASSWORD);
    for (let i = 0; i < 3; i++) expect((await attemptSignIn('locked@example.com', 'wrong password!')).status).toBe(401);
    const locked = await attemptSignIn('locked@example.com', PASSWORD);
    expect(locked.status).toBe(429);
    // Another account is not affected.
    await server.services.accounts.create('free@example.com', PASSWORD);
    expect((await attemptSignIn('free@example.com', PASSWORD)).status).toBe(303);
  });

  it('limits failed sign-ins per IP address', async () => {
    for (let i = 0; i < 6; i++) expect((await attemptSignIn(`guess${i}@example.com`, 'wrong password!')).status).toBe(401);
    await server.services.accounts.create('victim@example.com', PASSWORD);
    expect((await attemptSignIn('victim@example.com', PASSWORD)).status).toBe(429);
  });

  it('answers an unknown page with a 404 page, not a stack trace', async () => {
    const response = await fetch(`${server.url}/no/such/page`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const html = await response.text();
    expect(html).toContain('<html');
    expect(html).not.toMatch(/Error: |at .*\.(js|ts):\d+/);
  });

  it('answers an expired or forged interaction with a readable page', async () => {
    const response = await fetch(`${server.url}/interaction/forged-uid`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('<html');
  });

  it('refuses a form without its CSRF token', async () => {
    const agent = new FormAgent();
    const auth = await authorizationRequest(config);
    const { url } = await agent.follow(auth.url);
    const posted = await agent.request(new URL(`${url.pathname}/login`, url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: 'forged', email: 'a@example.com', password: PASSWORD }).toString(),
    });
    expect(posted.status).toBe(403);
  });

  it('answers an oversized form with 413, not a 500', async () => {
    const agent = new FormAgent();
    const auth = await authorizationRequest(config);
    const { url } = await agent.follow(auth.url);
    const posted = await agent.request(new URL(`${url.pathname}/login`, url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: `csrf=x&email=a%40example.com&password=${'p'.repeat(20_000)}`,
    });
    expect(posted.status).toBe(413);
    expect(await posted.text()).toContain('<html');
  });

  it('sends a declined consent back as access_denied', async () => {
    const auth = await authorizationRequest(config);
    const callback = await signInAndConsent(new FormAgent(), auth.url, { email: 'no@example.com', signUp: true }, 'deny');
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(auth.state);
  });
});
