import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { CompactEncrypt, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { FormAgent, hiddenField } from '../helpers/agent.js';
import { httpEngines } from '../helpers/db.js';
import { authorizationRequest, discover, PASSWORD, REDIRECT_URI, signInAndConsent } from '../helpers/flow.js';
import { startHostileServer } from '../helpers/hostile-server.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The server's own requests (a client's jwks_uri) against real servers on
 * 127.0.0.1 (allowed only with OUTBOUND_ALLOW_PRIVATE), and the registration
 * checks with private addresses refused. No traffic leaves loopback: every
 * refusal of another address is decided before connecting.
 */
const ADMIN_TOKEN = 'a'.repeat(40);
const INITIAL_ACCESS_TOKEN = 'i'.repeat(40);
const UNREADABLE = { error: 'invalid_request', error_description: "jwe: the client's jwks_uri cannot be read" };

describe.each(httpEngines())('outbound requests (%s)', (engine) => {
  describe('a release checked against the client’s jwks_uri', () => {
    let server: TestServer;
    let keys: Awaited<ReturnType<typeof startHostileServer>>;
    let rpKey: JWK;

    beforeAll(async () => {
      server = await startTestServer(engine, { ADMIN_TOKEN, OUTBOUND_ALLOW_PRIVATE: true, OUTBOUND_TIMEOUT_MS: 1000 });
      const { publicKey } = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
      rpKey = { ...(await exportJWK(publicKey)), use: 'enc', alg: 'ECDH-ES+A256KW', kid: `rp-${randomUUID()}` };
      keys = await startHostileServer(() => ({ keys: [rpKey] }));
    });
    afterAll(async () => {
      await keys?.close();
      await server?.close();
    });
    beforeEach(() => server.database.reset());

    async function passportClient(jwksUri: string) {
      const client = await server.services.clients.create({
        client_name: 'Key server RP',
        redirect_uris: [REDIRECT_URI],
        scope: 'openid passport',
        jwks_uri: jwksUri,
        passport_release_alg: 'ECDH-ES+A256KW',
      });
      return discover(server.url, client.client_id, client.client_secret);
    }

    /** Walks one agent to the passport consent page of a client (signing up the first time). */
    async function consentPage(agent: FormAgent, config: oidc.Configuration, email: string) {
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid passport',
        passport_scope: JSON.stringify({ v: 1, data: ['email'] }),
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
      });
      let { response, url: at } = await agent.follow(url, {}, REDIRECT_URI);
      let html = await response.text();
      if (html.includes('name="password"')) {
        const uid = at.pathname.split('/')[2]!;
        const page = new URL(`/interaction/${uid}/signup`, at);
        const csrf = hiddenField(await (await agent.request(page)).text(), 'csrf');
        ({ response, url: at } = await agent.submit(page, `/interaction/${uid}/signup`, { csrf, email, password: PASSWORD, password_confirm: PASSWORD }, REDIRECT_URI));
        html = await response.text();
      }
      const csrf = /id="passport-consent"[^>]*data-csrf="([^"]+)"/.exec(html)?.[1];
      if (!csrf) throw new Error(`not the passport consent page: ${html.slice(0, 300)}`);
      return { uid: at.pathname.split('/')[2]!, csrf };
    }

    /** Posts a release whose header fits the client (the server cannot read the rest). */
    async function postRelease(agent: FormAgent, page: { uid: string; csrf: string }) {
      const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ v: 1 })))
        .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: rpKey.kid, cty: 'wathiqa-release+json' })
        .encrypt(await importJWK(rpKey, 'ECDH-ES+A256KW'));
      const response = await agent.request(`${server.url}/interaction/${page.uid}/passport`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ csrf: page.csrf, jwe, file_ids: [], element_types: ['email'] }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    }

    it('answers one and the same 400 for a redirect, a huge or stalled answer, a refused port, HTML and an error status', async () => {
      const agent = new FormAgent();
      const cases: [string, string][] = [
        ['redirect', `${keys.base}/redirect`],
        ['200 MB', `${keys.base}/huge`],
        ['stalled', `${keys.base}/stall`],
        ['refused port', keys.refused],
        ['not JSON', `${keys.base}/html`],
        ['status 500', `${keys.base}/error`],
      ];
      for (const [what, uri] of cases) {
        const page = await consentPage(agent, await passportClient(uri), 'holder@example.com');
        const rss = process.memoryUsage().rss;
        keys.counts.written = 0;
        const answer = await postRelease(agent, page);
        expect({ what, ...answer }).toEqual({ what, status: 400, body: UNREADABLE });
        if (what === '200 MB') {
          // Cut while streaming: the key server wrote little beyond the socket buffers.
          expect(keys.counts.written).toBeLessThan(16 * 1024 * 1024);
          expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 1024 * 1024);
        }
      }
      expect(keys.hits['/jwks']).toBeUndefined(); // the redirect was not followed
      const releases = await server.database.db.selectFrom('releases').select('id').execute();
      expect(releases).toEqual([]);
    });

    it('fetches a client’s jwks_uri once for two releases (cached per client)', async () => {
      const before = keys.hits['/jwks'] ?? 0;
      const config = await passportClient(`${keys.base}/jwks`);
      const agent = new FormAgent();
      for (let round = 0; round < 2; round++) {
        const answer = await postRelease(agent, await consentPage(agent, config, 'cached@example.com'));
        expect(answer.status).toBe(200);
        expect(answer.body.redirect_to).toEqual(expect.any(String));
      }
      expect((keys.hits['/jwks'] ?? 0) - before).toBe(1);
    });

    it('sends oidc-provider’s own jwks_uri fetch (ID token encryption) through the same fetcher', async () => {
      const tokenFor = async (jwksUri: string, email: string) => {
        const client = await server.services.clients.create({
          client_name: 'Encrypted ID token RP',
          redirect_uris: [REDIRECT_URI],
          scope: 'openid',
          jwks_uri: jwksUri,
          id_token_encrypted_response_alg: 'ECDH-ES+A256KW',
          id_token_encrypted_response_enc: 'A256GCM',
        });
        const config = await discover(server.url, client.client_id, client.client_secret);
        const auth = await authorizationRequest(config, { scope: 'openid' });
        const callback = await signInAndConsent(new FormAgent(), auth.url, { email, signUp: true });
        return fetch(`${server.url}/token`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: REDIRECT_URI, code_verifier: auth.verifier }),
        });
      };
      const before = keys.hits['/jwks'] ?? 0;
      const ok = await tokenFor(`${keys.base}/jwks`, 'enc@example.com');
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { id_token: string }).id_token.split('.')).toHaveLength(5);
      expect((keys.hits['/jwks'] ?? 0) - before).toBe(1);

      keys.counts.written = 0;
      const huge = await tokenFor(`${keys.base}/huge`, 'huge@example.com');
      expect(huge.status).toBeGreaterThanOrEqual(400);
      expect(huge.status).toBeLessThan(500);
      expect(keys.counts.written).toBeLessThan(16 * 1024 * 1024);
      const redirect = await tokenFor(`${keys.base}/redirect`, 'redirect@example.com');
      expect(redirect.status).toBeGreaterThanOrEqual(400);
      expect(redirect.status).toBeLessThan(500);
      expect((keys.hits['/jwks'] ?? 0) - before).toBe(1);
    });
  });

  describe('registration with private addresses refused', () => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startTestServer(engine, { ADMIN_TOKEN, INITIAL_ACCESS_TOKEN });
    });
    afterAll(() => server?.close());
    beforeEach(() => server.database.reset());

    const refused: [string, RegExp][] = [
      ['https://169.254.169.254/latest/meta-data/jwks.json', /jwks_uri:? must not point at a loopback, private or link-local address/],
      ['http://10.0.0.1/', /jwks_uri:? must be an https URL/],
      ['https://10.0.0.1/jwks', /must not point at/],
      ['https://[::ffff:a9fe:a9fe]/jwks', /must not point at/],
      ['https://localhost:8443/jwks', /must not point at/],
      ['https://user:secret@rp.example/jwks', /must not contain credentials/],
    ];

    const admin = (body: unknown) =>
      fetch(`${server.url}/admin/clients`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const register = (body: unknown) =>
      fetch(`${server.url}/reg`, {
        method: 'POST',
        headers: { authorization: `Bearer ${INITIAL_ACCESS_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    it('refuses a jwks_uri at a private, loopback, link-local or metadata address through the admin API and the service', async () => {
      for (const [uri, description] of refused) {
        for (const scope of ['openid passport', 'openid']) {
          const body = { client_name: 'SSRF', redirect_uris: [REDIRECT_URI], scope, jwks_uri: uri, ...(scope.includes('passport') ? { passport_release_alg: 'ECDH-ES+A256KW' } : {}) };
          const response = await admin(body);
          const answer = (await response.json()) as { error: string; error_description: string };
          expect({ uri, scope, status: response.status, error: answer.error }).toEqual({ uri, scope, status: 400, error: 'invalid_request' });
          expect(answer.error_description).toMatch(description);
          await expect(server.services.clients.create(body as never)).rejects.toMatchObject({ status: 400, description: expect.stringMatching(description) });
        }
      }
      expect(await server.services.clients.list()).toEqual([]);
      const ok = await admin({ client_name: 'Public keys', redirect_uris: [REDIRECT_URI], scope: 'openid passport', jwks_uri: 'https://keys.rp.example/jwks.json', passport_release_alg: 'ECDH-ES+A256KW' });
      expect(ok.status).toBe(201);
    });

    it('refuses the same at dynamic registration with invalid_client_metadata', async () => {
      for (const [uri, description] of refused) {
        for (const scope of ['openid passport', 'openid']) {
          const response = await register({ client_name: 'SSRF', redirect_uris: [REDIRECT_URI], scope, jwks_uri: uri, ...(scope.includes('passport') ? { passport_release_alg: 'ECDH-ES+A256KW' } : {}) });
          const answer = (await response.json()) as { error: string; error_description: string };
          expect({ uri, scope, status: response.status, error: answer.error }).toEqual({ uri, scope, status: 400, error: 'invalid_client_metadata' });
          expect(answer.error_description).toMatch(description);
        }
      }
      expect(await server.services.clients.list()).toEqual([]);
      const ok = await register({ client_name: 'Public keys', redirect_uris: [REDIRECT_URI], scope: 'openid passport', jwks_uri: 'https://keys.rp.example/jwks.json', passport_release_alg: 'ECDH-ES+A256KW' });
      expect(ok.status).toBe(201);
    });
  });
});
