import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { generate } from 'otplib';
import * as oidc from 'openid-client';
import { FormAgent, hiddenField } from '../helpers/agent.js';
import { engines } from '../helpers/db.js';
import { authorizationRequest, discover, PASSWORD, REDIRECT_URI, signInAndConsent } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { signInToAccount } from '../helpers/account.js';

/**
 * The second factor (issue "People's accounts", point 5): a TOTP app set up from the
 * account page, asked after the password, amr and acr in the ID token at an
 * openid-client RP, acr_values for multi-factor never silently downgraded, codes that
 * work once, recovery codes, and limits that hold under concurrency.
 */
const ACR_MFA = 'urn:wathiqa:acr:mfa';
const ACR_PWD = 'urn:wathiqa:acr:pwd';

describe.each(engines())('second factor (%s)', (engine) => {
  let server: TestServer;
  let config: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer(engine, { SIGNIN_ACCOUNT_MAX_FAILURES: 5 });
  });
  afterAll(() => server?.close());
  beforeEach(async () => {
    await server.database.reset();
    const client = await server.services.clients.create({ client_name: 'Bank', redirect_uris: [REDIRECT_URI] });
    config = await discover(server.url, client.client_id, client.client_secret);
  });

  /** Sets up the app from the account page; returns the secret, the recovery codes and the signed-in agent. */
  async function enroll(email: string) {
    const { agent } = await signInToAccount(server, email);
    const account = new URL(`${server.url}/account`);
    let html = await (await agent.follow(account)).response.text();
    html = await (await agent.submit(account, '/account/totp/setup', { csrf: hiddenField(html, 'csrf') })).response.text();
    expect(html).toContain('<svg');
    const secret = /class="totp-secret"[^>]*><code>([A-Z2-7 ]+)<\/code>/.exec(html)![1]!.replace(/ /g, '');
    const wrong = await agent.submit(account, '/account/totp/confirm', { csrf: hiddenField(html, 'csrf'), code: '000000' });
    expect(wrong.response.status).toBe(400);
    html = await wrong.response.text();
    expect(html).toContain('That code is not right');
    // The previous step's code (inside the tolerance), so the current one is still unused for the sign-in.
    const done = await agent.submit(account, '/account/totp/confirm', { csrf: hiddenField(html, 'csrf'), code: await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 }) });
    expect(done.response.status).toBe(200);
    html = await done.response.text();
    const recoveryCodes = [...html.matchAll(/<li><code>([0-9A-Z]{5}-[0-9A-Z]{5})<\/code><\/li>/g)].map((m) => m[1]!);
    expect(recoveryCodes).toHaveLength(10);
    expect(await server.services.totp.enabled((await server.services.accounts.accounts.findByEmail(email))!.id)).toBe(true);
    return { secret, recoveryCodes, agent };
  }

  /** Authorization → password → (the code page) → the RP's callback URL, or the code page's response. */
  async function passwordStep(email: string, params: Record<string, string> = {}, agent = new FormAgent()) {
    const auth = await authorizationRequest(config, { scope: 'openid email', ...params });
    const { response, url } = await agent.follow(auth.url, {}, REDIRECT_URI);
    if (url.href.startsWith(REDIRECT_URI)) return { auth, agent, callback: url };
    const html = await response.text();
    if (!html.includes('name="password"')) return { auth, agent, page: { url, html } };
    const uid = url.pathname.split('/')[2]!;
    const next = await agent.submit(url, `/interaction/${uid}/login`, { csrf: hiddenField(html, 'csrf'), email, password: PASSWORD }, REDIRECT_URI);
    if (next.url.href.startsWith(REDIRECT_URI)) return { auth, agent, callback: next.url };
    return { auth, agent, page: { url: next.url, html: await next.response.text(), status: next.response.status } };
  }

  async function codeStep(step: { agent: FormAgent; page?: { url: URL; html: string } }, code: string) {
    const { url, html } = step.page!;
    const uid = url.pathname.split('/')[2]!;
    return step.agent.submit(url, `/interaction/${uid}/otp`, { csrf: hiddenField(html, 'csrf'), code }, REDIRECT_URI);
  }

  async function tokensAt(step: { auth: Awaited<ReturnType<typeof authorizationRequest>>; agent: FormAgent }, callback: URL) {
    let url = callback;
    if (!url.searchParams.get('code') && !url.searchParams.get('error')) throw new Error('no code');
    if (!url.searchParams.get('code')) return { error: url.searchParams.get('error') };
    return oidc.authorizationCodeGrant(config, url, { pkceCodeVerifier: step.auth.verifier, expectedState: step.auth.state, expectedNonce: step.auth.nonce });
  }

  it('is asked after the password; amr and acr reach the RP; a code works once', async () => {
    const email = 'factor@example.com';
    const { secret } = await enroll(email);
    const step = await passwordStep(email, { prompt: 'consent' });
    expect(step.page!.html).toContain('Enter the code from your authenticator app');
    expect(step.page!.html).toContain('autocomplete="one-time-code"');

    const bad = await codeStep(step, '123456');
    expect(bad.response.status).toBe(401);
    const code = await generate({ secret });
    const good = await codeStep({ ...step, page: { url: bad.url, html: await bad.response.text() } }, code);
    const tokens = await finishAtRp(step, { url: good.url, html: good.url.href.startsWith(REDIRECT_URI) ? undefined : await good.response.text() });
    expect(tokens.claims()).toMatchObject({ acr: ACR_MFA });
    expect([...(tokens.claims()!.amr as string[])].sort()).toEqual(['mfa', 'otp', 'pwd']);

    // The same code in another sign-in, inside its 30 seconds: refused.
    const again = await passwordStep(email);
    const reused = await codeStep(again, code);
    expect(reused.response.status).toBe(401);
    const reusedPage = await reused.response.text();
    expect(reusedPage).toContain('already used');
    // The next step's code (a phone a little ahead) works.
    const next = await codeStep({ agent: again.agent, page: { url: reused.url, html: reusedPage } }, await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }));
    expect(await next.response.text()).toContain('name="decision"'); // on to consent
  });

  it('a recovery code works once instead of the app', async () => {
    const email = 'recovery@example.com';
    const { recoveryCodes } = await enroll(email);
    const step = await passwordStep(email, { prompt: '' });
    const used = await codeStep(step, recoveryCodes[3]!.toLowerCase().replace('-', ' '));
    expect(used.url.pathname).toMatch(/^\/interaction\//); // consent next
    const again = await passwordStep(email, { prompt: '' }, new FormAgent());
    const second = await codeStep(again, recoveryCodes[3]!);
    expect(second.response.status).toBe(401);
    const accountId = (await server.services.accounts.accounts.findByEmail(email))!.id;
    expect((await server.services.totp.status(accountId)).recoveryCodesLeft).toBe(9);
  });

  it('wrong codes are limited like passwords, also when they come at once', async () => {
    const email = 'limited@example.com';
    const { secret } = await enroll(email);
    const step = await passwordStep(email);
    const statuses = await Promise.all(Array.from({ length: 30 }, (_, i) => codeStep(step, String(100000 + i)).then((r) => r.response.status)));
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(25);
    const locked = await codeStep(step, await generate({ secret }));
    expect(locked.response.status).toBe(429);
    expect(await locked.response.text()).toContain('Too many wrong codes');
  });

  /** From a page or a redirect to the end: allows consent if asked, then redeems the code. */
  async function finishAtRp(step: { auth: Awaited<ReturnType<typeof authorizationRequest>>; agent: FormAgent }, at: { url: URL; html?: string }) {
    let url = at.url;
    if (!url.href.startsWith(REDIRECT_URI)) {
      const html = at.html ?? (await (await step.agent.request(url)).text());
      expect(html).toContain('name="decision"');
      const uid = url.pathname.split('/')[2]!;
      url = (await step.agent.submit(url, `/interaction/${uid}/consent`, { csrf: hiddenField(html, 'csrf'), decision: 'allow' }, REDIRECT_URI)).url;
    }
    return (await tokensAt(step, url)) as oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  }

  it('acr_values for multi-factor: a step-up for an account with the app, an error for one without, never less', async () => {
    const { agent } = await signInToAccount(server, 'single@example.com');
    // Signed in with the password only; the RP wants multi-factor; no app is set up.
    const auth = await authorizationRequest(config, { scope: 'openid email', acr_values: ACR_MFA, prompt: '' });
    const { url } = await agent.follow(auth.url, {}, REDIRECT_URI);
    expect(url.href.startsWith(REDIRECT_URI)).toBe(true);
    expect(url.searchParams.get('error')).toBe('unmet_authentication_requirements');
    // The PAPE name for multi-factor means the same.
    const pape = await authorizationRequest(config, { scope: 'openid', acr_values: 'http://schemas.openid.net/pape/policies/2007/06/multi-factor', prompt: '' });
    expect((await agent.follow(pape.url, {}, REDIRECT_URI)).url.searchParams.get('error')).toBe('unmet_authentication_requirements');

    // A request that accepts the password gets it, and is told so.
    const plain = await passwordStep('single@example.com', { acr_values: `${ACR_MFA} ${ACR_PWD}`, prompt: 'consent' }, agent);
    const plainTokens = await finishAtRp(plain, plain.callback ? { url: plain.callback } : plain.page!);
    expect(plainTokens.claims()).toMatchObject({ acr: ACR_PWD, amr: ['pwd'] });

    // With an app set up after this session signed in: the same session is asked for a code, and the RP gets mfa.
    const { secret, agent: enrolled } = await enroll('stepup@example.com');
    const up = await passwordStep('stepup@example.com', { acr_values: ACR_MFA, prompt: '' }, enrolled);
    expect(up.page!.html).toContain('Enter the code from your authenticator app');
    expect(up.page!.html).not.toContain('name="password"');
    const coded = await codeStep(up, await generate({ secret }));
    const tokens = await finishAtRp(up, { url: coded.url, html: coded.url.href.startsWith(REDIRECT_URI) ? undefined : await coded.response.text() });
    expect(tokens.claims()).toMatchObject({ acr: ACR_MFA });
    expect(tokens.claims()!.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
  });

  it('turning it off needs the password; then sign-ins ask for the password only', async () => {
    const email = 'off@example.com';
    const { agent } = await enroll(email);
    const account = new URL(`${server.url}/account`);
    let html = await (await agent.follow(account)).response.text();
    const wrong = await agent.submit(account, '/account/totp/disable', { csrf: hiddenField(html, 'csrf'), password: 'not the password' });
    expect(wrong.response.status).toBe(401);
    const accountId = (await server.services.accounts.accounts.findByEmail(email))!.id;
    expect(await server.services.totp.enabled(accountId)).toBe(true);
    html = await wrong.response.text();
    const off = await agent.submit(account, '/account/totp/disable', { csrf: hiddenField(html, 'csrf'), password: PASSWORD });
    expect(off.url.pathname).toBe('/account');
    expect(await server.services.totp.enabled(accountId)).toBe(false);
    const step = await passwordStep(email, { prompt: '' });
    expect(step.page?.html ?? '').not.toContain('authenticator app');
  });

  it('discovery lists the acr values', async () => {
    const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.acr_values_supported).toEqual([ACR_PWD, ACR_MFA]);
  });
});
