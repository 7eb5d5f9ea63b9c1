import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import * as oidc from 'openid-client';
import { FormAgent } from '../helpers/agent.js';
import { engines } from '../helpers/db.js';
import { authorizationRequest, discover, REDIRECT_URI, signInAndConsent } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const GRACE_SECONDS = 2;

/**
 * Rotation with a short grace: an RP that refreshes from parallel requests, or
 * resends the refresh token it just used (mod_auth_openidc does both), keeps its
 * grant; a reuse after the grace, or of an older token, still revokes it.
 */
describe.each(engines())('refresh token reuse grace (%s)', (engine) => {
  let server: TestServer;
  let config: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer(engine, { REFRESH_TOKEN_REUSE_GRACE_SECONDS: GRACE_SECONDS });
  });
  afterAll(() => server?.close());
  beforeEach(async () => {
    await server.database.reset();
    const client = await server.services.clients.create({ client_name: 'Parallel RP', redirect_uris: [REDIRECT_URI] });
    config = await discover(server.url, client.client_id, client.client_secret);
  });

  async function signIn(email: string, signUp = true, agent = new FormAgent()) {
    const auth = await authorizationRequest(config);
    const callback = await signInAndConsent(agent, auth.url, { email, signUp });
    return oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
  }

  const refresh = (token: string) => oidc.refreshTokenGrant(config, token);
  const refused = (token: string) => expect(refresh(token)).rejects.toMatchObject({ error: 'invalid_grant' });
  const grants = async () =>
    Number((await server.database.db.selectFrom('oidc_payloads').select((eb) => eb.fn.countAll<string>().as('n')).where('kind', '=', 'Grant').executeTakeFirstOrThrow()).n);

  it('accepts the token just rotated away once more within the grace, and the grant lives on', async () => {
    const first = await signIn('resend@example.com');
    const rotated = await refresh(first.refresh_token!);
    const resent = await refresh(first.refresh_token!);
    expect(resent.refresh_token).toBeTruthy();
    expect(resent.refresh_token).not.toBe(rotated.refresh_token);
    // Both branches go on; the newest tokens work.
    const next = await refresh(rotated.refresh_token!);
    expect((await oidc.fetchUserInfo(config, next.access_token, first.claims()!.sub)).email).toBe('resend@example.com');
    expect((await refresh(resent.refresh_token!)).refresh_token).toBeTruthy();
    expect(await grants()).toBe(1);
  });

  it('revokes the grant on a reuse after the grace', async () => {
    const first = await signIn('late@example.com');
    const rotated = await refresh(first.refresh_token!);
    await sleep(GRACE_SECONDS * 1000 + 300);
    await refused(first.refresh_token!);
    await refused(rotated.refresh_token!);
    expect(await grants()).toBe(0);
  });

  it('counts the grace from the first use: redeeming again does not extend it', async () => {
    const first = await signIn('extend@example.com');
    await refresh(first.refresh_token!);
    await sleep(GRACE_SECONDS * 500);
    await refresh(first.refresh_token!);
    await sleep(GRACE_SECONDS * 500 + 300);
    await refused(first.refresh_token!);
    expect(await grants()).toBe(0);
  });

  it('refuses the token two rotations back even within the grace, and revokes the grant', async () => {
    const first = await signIn('older@example.com');
    const second = await refresh(first.refresh_token!);
    const third = await refresh(second.refresh_token!);
    await refused(first.refresh_token!);
    await refused(third.refresh_token!);
    expect(await grants()).toBe(0);
  });

  it('survives 10 concurrent refreshes with the same token', async () => {
    const first = await signIn('burst@example.com');
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => refresh(first.refresh_token!)));
    const ok = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof refresh>>> => r.status === 'fulfilled');
    expect(ok).toHaveLength(10);
    expect(await grants()).toBe(1);
    expect((await refresh(ok[9]!.value.refresh_token!)).access_token).toBeTruthy();
    expect(await grants()).toBe(1);
  });

  it('tells chains of one grant apart: another device rotating does not spend this one', async () => {
    const laptop = await signIn('devices@example.com');
    await sleep(1100); // a chain is known by its grant and first issue, in seconds
    const phone = await signIn('devices@example.com', false);
    expect(await grants()).toBe(1); // remembered consent: the same grant
    const l2 = await refresh(laptop.refresh_token!);
    await refresh(l2.refresh_token!);
    await refresh(phone.refresh_token!);
    expect((await refresh(phone.refresh_token!)).refresh_token).toBeTruthy();
    expect(await grants()).toBe(1);
  });
});
