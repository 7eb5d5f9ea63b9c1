import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { FormAgent } from '../helpers/agent.js';
import { httpEngines } from '../helpers/db.js';
import { authorizationRequest, discover, REDIRECT_URI, signInAndConsent } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const INITIAL_ACCESS_TOKEN = 'i'.repeat(40);

describe.each(httpEngines())('registration, claims, locales and key rotation (%s)', (engine) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(engine, { INITIAL_ACCESS_TOKEN });
  });
  afterAll(() => server?.close());
  beforeEach(() => server.database.reset());

  const registration = { redirect_uris: [REDIRECT_URI], client_name: 'Registered RP' };

  it('registers clients dynamically (RFC 7591) with the initial access token only', async () => {
    const config = await oidc.dynamicClientRegistration(new URL(server.url), registration, undefined, {
      initialAccessToken: INITIAL_ACCESS_TOKEN,
      execute: [oidc.allowInsecureRequests],
    });
    const meta = config.clientMetadata();
    expect(meta.client_id).toBeTruthy();
    expect(meta.id_token_signed_response_alg).toBe('RS256'); // the OIDC Registration default
    expect(await server.services.clients.show(meta.client_id)).toMatchObject({ client_name: 'Registered RP' });

    // The registered client completes a sign-in.
    const auth = await authorizationRequest(config, { scope: 'openid', prompt: '' });
    const callback = await signInAndConsent(new FormAgent(), auth.url, { email: 'dcr@example.com', signUp: true });
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
    expect(tokens.access_token).toBeTruthy();

    for (const token of [undefined, 'wrong-token']) {
      const response = await fetch(`${server.url}/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(registration),
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: string }).error).toBe('invalid_token');
    }
  });

  it('refuses RSA1_5 and implicit flows at registration', async () => {
    const { publicKey } = await generateKeyPair('RSA-OAEP-256', { extractable: true });
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), use: 'enc', kid: 'rsa' }] };
    for (const [metadata, field] of [
      [{ ...registration, id_token_encrypted_response_alg: 'RSA1_5', jwks }, 'id_token_encrypted_response_alg'],
      [{ ...registration, response_types: ['id_token'], grant_types: ['implicit'] }, 'grant_types'],
    ] as const) {
      const response = await fetch(`${server.url}/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${INITIAL_ACCESS_TOKEN}` },
        body: JSON.stringify(metadata),
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error).toBe('invalid_client_metadata');
      expect(body.error_description).toContain(field);
    }
  });

  it('honours the claims parameter', async () => {
    const client = await server.services.clients.create({ client_name: 'Claims', redirect_uris: [REDIRECT_URI] });
    const config = await discover(server.url, client.client_id, client.client_secret);
    const auth = await authorizationRequest(config, {
      scope: 'openid',
      prompt: '',
      claims: JSON.stringify({ id_token: { email: { essential: true } } }),
    });
    const callback = await signInAndConsent(new FormAgent(), auth.url, { email: 'claims@example.com', signUp: true });
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
    expect(decodeJwt(tokens.id_token!).email).toBe('claims@example.com');
  });

  it('passes ui_locales to the pages', async () => {
    const client = await server.services.clients.create({ client_name: 'Locales', redirect_uris: [REDIRECT_URI] });
    const config = await discover(server.url, client.client_id, client.client_secret);
    const auth = await authorizationRequest(config, { ui_locales: 'ar-EG en' });
    const { response } = await new FormAgent().follow(auth.url);
    const html = await response.text();
    expect(html).toMatch(/<html lang="ar" dir="rtl">/);
  });

  it('rotates signing keys: new tokens carry the new kid, the old key stays in the JWKS', async () => {
    const client = await server.services.clients.create({ client_name: 'Rotation', redirect_uris: [REDIRECT_URI] });
    const config = await discover(server.url, client.client_id, client.client_secret);
    const agent = new FormAgent();
    const signIn = async (signUp: boolean) => {
      const auth = await authorizationRequest(config, { scope: 'openid', prompt: '' });
      const callback = await signInAndConsent(agent, auth.url, { email: 'rotate@example.com', signUp });
      return oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
    };
    const before = await signIn(true);
    const oldKid = decodeProtectedHeader(before.id_token!).kid;

    await server.services.oidc.rotateKeys();
    const after = await signIn(false);
    const newKid = decodeProtectedHeader(after.id_token!).kid;
    expect(newKid).not.toBe(oldKid);

    const jwks = createRemoteJWKSet(new URL(`${server.url}/jwks`));
    await expect(jwtVerify(before.id_token!, jwks, { issuer: server.url })).resolves.toBeTruthy();
    await expect(jwtVerify(after.id_token!, jwks, { issuer: server.url })).resolves.toBeTruthy();
  });
});

describe('without an initial access token', () => {
  it('offers no dynamic registration', async () => {
    const server = await startTestServer('pglite');
    try {
      const meta = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(meta.registration_endpoint).toBeUndefined();
      const response = await fetch(`${server.url}/reg`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(response.status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
