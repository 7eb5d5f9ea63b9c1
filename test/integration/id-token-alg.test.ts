import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { FormAgent } from '../helpers/agent.js';
import { httpEngines } from '../helpers/db.js';
import { authorizationRequest, REDIRECT_URI, signInAndConsent } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ADMIN_TOKEN = 'a'.repeat(40);
const INITIAL_ACCESS_TOKEN = 'i'.repeat(40);

describe.each(httpEngines())('ID token signing algorithms (%s)', (engine) => {
  let server: TestServer;
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  beforeAll(async () => {
    server = await startTestServer(engine, { ADMIN_TOKEN, INITIAL_ACCESS_TOKEN });
    jwks = createRemoteJWKSet(new URL(`${server.url}/jwks`));
  });
  afterAll(() => server?.close());
  beforeEach(() => server.database.reset());

  /** Registers a client through the admin API, as an operator would. */
  async function adminClient(extra: Record<string, unknown> = {}) {
    const response = await fetch(`${server.url}/admin/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'RP', redirect_uris: [REDIRECT_URI], ...extra }),
    });
    expect(response.status).toBe(201);
    return (await response.json()) as Record<string, string>;
  }

  /** A full code flow; returns the ID token, verified against our JWKS with exactly `alg`. */
  async function idToken(config: oidc.Configuration, email: string, alg: string) {
    const auth = await authorizationRequest(config, { scope: 'openid' });
    const callback = await signInAndConsent(new FormAgent(), auth.url, { email, signUp: true });
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
    const token = tokens.id_token!;
    expect(decodeProtectedHeader(token).alg).toBe(alg);
    // As an RP configured for that one algorithm (go-oidc's default is RS256 alone) checks it.
    await expect(jwtVerify(token, jwks, { issuer: server.url, audience: config.clientMetadata().client_id, algorithms: [alg] })).resolves.toBeDefined();
    return token;
  }

  const discovery = (client: Record<string, string>) =>
    oidc.discovery(new URL(server.url), client.client_id!, client.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });

  it('discovery lists RS256, PS256, ES256 and EdDSA; the JWKS has a key for each', async () => {
    const meta = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
    // The order is oidc-provider's (the RSA key's algorithms first); it carries no preference.
    expect([...meta.id_token_signing_alg_values_supported!].sort()).toEqual(['ES256', 'EdDSA', 'PS256', 'RS256']);
    expect([...meta.userinfo_signing_alg_values_supported!].sort()).toEqual(['ES256', 'EdDSA', 'PS256', 'RS256']);
    const keys = ((await (await fetch(`${server.url}/jwks`)).json()) as { keys: Record<string, string>[] }).keys;
    const rsa = keys.filter((k) => k.kty === 'RSA');
    expect(rsa).toHaveLength(1); // one RSA key serves RS256 and PS256
    expect(rsa[0]!.alg).toBeUndefined();
    expect(rsa[0]!.use).toBe('sig');
    expect(keys.find((k) => k.crv === 'P-256')!.alg).toBe('ES256');
    expect(keys.find((k) => k.crv === 'Ed25519')!.alg).toBe('EdDSA');
    for (const key of keys) expect(key.d).toBeUndefined();
  });

  it('a client registered through the admin API without an algorithm gets RS256 ID tokens', async () => {
    const client = await adminClient();
    expect(client.id_token_signed_response_alg).toBeUndefined();
    await idToken(await discovery(client), 'default@example.com', 'RS256');
  });

  it.each(['ES256', 'PS256', 'EdDSA', 'RS256'])('a client registered through the admin API with %s gets it', async (alg) => {
    const client = await adminClient({ id_token_signed_response_alg: alg });
    expect(client.id_token_signed_response_alg).toBe(alg);
    await idToken(await discovery(client), `${alg.toLowerCase()}@example.com`, alg);
  });

  it('the admin API refuses an algorithm we do not sign with', async () => {
    const response = await fetch(`${server.url}/admin/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'RP', redirect_uris: [REDIRECT_URI], id_token_signed_response_alg: 'HS256' }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error_description: string }).error_description).toMatch(/id_token_signed_response_alg/);
  });

  it('dynamic registration: RS256 unless the client names ES256, PS256 or EdDSA', async () => {
    const register = (extra: Record<string, unknown> = {}) =>
      oidc.dynamicClientRegistration(new URL(server.url), { redirect_uris: [REDIRECT_URI], client_name: 'DCR', ...extra }, undefined, {
        initialAccessToken: INITIAL_ACCESS_TOKEN,
        execute: [oidc.allowInsecureRequests],
      });
    const plain = await register();
    expect(plain.clientMetadata().id_token_signed_response_alg).toBe('RS256');
    await idToken(plain, 'dcr-default@example.com', 'RS256');
    for (const alg of ['ES256', 'PS256', 'EdDSA']) {
      const config = await register({ id_token_signed_response_alg: alg });
      expect(config.clientMetadata().id_token_signed_response_alg).toBe(alg);
      await idToken(config, `dcr-${alg.toLowerCase()}@example.com`, alg);
    }
  });

  it('encrypted userinfo is signed RS256 unless the client says otherwise', async () => {
    const { publicKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true });
    const keys = { keys: [{ ...(await exportJWK(publicKey)), use: 'enc', alg: 'ECDH-ES+A256KW', kid: 'rp-enc' }] };
    const encrypted = { jwks: keys, userinfo_encrypted_response_alg: 'ECDH-ES+A256KW', userinfo_encrypted_response_enc: 'A256GCM' };
    expect((await adminClient(encrypted)).userinfo_signed_response_alg).toBe('RS256');
    expect((await adminClient({ ...encrypted, id_token_signed_response_alg: 'ES256' })).userinfo_signed_response_alg).toBe('ES256');
  });
});
