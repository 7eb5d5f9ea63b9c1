import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { FormAgent, hiddenField } from '../helpers/agent.js';
import { httpEngines } from '../helpers/db.js';
import { discover, PASSWORD, REDIRECT_URI } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { returnUri } from '../../src/interactions/routes.js';

/**
 * The passport consent page's view of its own request (issue #11 point 2): where
 * "Return to <service>" leads, when the interaction expires, and
 * GET /interaction/<uid>/status, which says whether the request can still be
 * answered: live on the consent step, not after it was answered elsewhere, nor
 * for another browser, nor once the sign-in ended.
 */

describe('returnUri', () => {
  it('is the client_uri, else the origin of the redirect URI, never a native scheme', () => {
    expect(returnUri('https://rp.example/home', 'https://cb.example/cb?x=1')).toBe('https://rp.example/home');
    expect(returnUri(undefined, 'https://cb.example:8443/path/cb?x=1')).toBe('https://cb.example:8443');
    expect(returnUri(undefined, 'com.example.app:/callback')).toBeNull();
    expect(returnUri('javascript:alert(1)', 'http://localhost:4000/cb')).toBe('http://localhost:4000');
    expect(returnUri(undefined, undefined)).toBeNull();
    expect(returnUri('not a url', 'also not')).toBeNull();
  });
});

describe.each(httpEngines())('consent status over HTTP (%s)', (engine) => {
  let server: TestServer;
  let publicJwk: JWK;

  beforeAll(async () => {
    server = await startTestServer(engine);
    const { publicKey } = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
    publicJwk = { ...(await exportJWK(publicKey)), use: 'enc', alg: 'ECDH-ES+A256KW', kid: `rp-${randomUUID()}` };
  });
  afterAll(() => server?.close());

  async function passportClient(extra: Record<string, unknown> = {}) {
    const client = await server.services.clients.create({
      client_name: 'Status RP',
      redirect_uris: [REDIRECT_URI],
      scope: 'openid passport',
      jwks: { keys: [publicJwk as never] },
      ...extra,
    });
    return discover(server.url, client.client_id, client.client_secret);
  }

  async function authorizationUrl(config: oidc.Configuration) {
    const verifier = oidc.randomPKCECodeVerifier();
    return oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid passport',
      passport_scope: JSON.stringify({ v: 1, data: ['email'] }),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
    });
  }

  /** A new account signed up through the interaction, standing on the passport consent page. */
  async function atConsent(agent: FormAgent, url: URL, email: string) {
    const { url: at } = await agent.follow(url, {}, REDIRECT_URI);
    const uid = at.pathname.split('/')[2]!;
    const page = new URL(`/interaction/${uid}/signup`, at);
    const csrf = hiddenField(await (await agent.request(page)).text(), 'csrf');
    const { response } = await agent.submit(page, `/interaction/${uid}/signup`, { csrf, email, password: PASSWORD, password_confirm: PASSWORD }, REDIRECT_URI);
    const html = await response.text();
    const block = /<script type="application\/json" id="passport-release">([^<]*)<\/script>/.exec(html)?.[1];
    if (!block) throw new Error(`not the passport consent page: ${html.slice(0, 300)}`);
    const data = JSON.parse(block) as { uid: string; return_uri: string | null; expires_at: number | null };
    // The consent step is an interaction of its own, after the sign-in's.
    return { uid: data.uid, html, data };
  }

  const status = async (agent: FormAgent, uid: string) => {
    const response = await agent.request(`${server.url}/interaction/${uid}/status`, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    return (await response.json()) as { live: boolean };
  };

  it('gives the page its way back and its expiry, and says live until the request is answered', async () => {
    const config = await passportClient({ client_uri: 'https://status-rp.example/' });
    const agent = new FormAgent();
    const { uid, html, data } = await atConsent(agent, await authorizationUrl(config), `status-${engine}@example.com`);
    expect(data.return_uri).toBe('https://status-rp.example/');
    const now = Math.floor(Date.now() / 1000);
    expect(data.expires_at).toBeGreaterThan(now + 60);
    expect(data.expires_at).toBeLessThanOrEqual(now + 3600 + 5);
    // The fingerprint's one-line explanation is on the server-rendered page.
    expect(html).toContain('class="key-explain"');

    // Asked several times at once (tabs coming back together): the same answer, no error.
    const answers = await Promise.all(Array.from({ length: 6 }, () => status(agent, uid)));
    expect(answers).toEqual(Array.from({ length: 6 }, () => ({ live: true })));
    // Another browser (no interaction cookie, no session), an unknown uid: not live, still a clean answer.
    expect(await status(new FormAgent(), uid)).toEqual({ live: false });
    expect(await status(agent, 'no-such-interaction')).toEqual({ live: false });

    // Answered (declined) elsewhere: the interaction is used up.
    const { url } = await agent.submit(new URL(`/interaction/${uid}`, server.url), `/interaction/${uid}/consent`, { csrf: hiddenField(html, 'csrf'), decision: 'deny' }, REDIRECT_URI);
    expect(url.searchParams.get('error')).toBe('access_denied');
    expect(await status(agent, uid)).toEqual({ live: false });
  });

  it('is not live once the sign-in ended; the way back is the redirect URI’s origin without a client_uri', async () => {
    const config = await passportClient();
    const agent = new FormAgent();
    const { uid, data } = await atConsent(agent, await authorizationUrl(config), `status-out-${engine}@example.com`);
    expect(data.return_uri).toBe(new URL(REDIRECT_URI).origin);
    expect(await status(agent, uid)).toEqual({ live: true });
    await server.database.db.deleteFrom('oidc_payloads').where('kind', '=', 'Session').execute();
    expect(await status(agent, uid)).toEqual({ live: false });
  });
});
