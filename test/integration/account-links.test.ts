import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import * as oidc from 'openid-client';
import { FormAgent, hiddenField } from '../helpers/agent.js';
import { engines } from '../helpers/db.js';
import { authorizationRequest, discover, PASSWORD, REDIRECT_URI, signInAndConsent } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { linkIn, startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp.js';

/**
 * Email verification and password reset (issue "People's accounts", points 2 and 3)
 * through the real pages, a real SMTP receiver and openid-client as the RP.
 */
describe.each(engines())('mailed account links (%s)', (engine) => {
  let server: TestServer;
  let smtp: SmtpReceiver;
  const NEW_PASSWORD = 'a fresh and long new password';

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    server = await startTestServer(engine, { SMTP_URL: smtp.url, MAIL_LINKS_PER_ADDRESS: 3 });
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });
  beforeEach(() => server.database.reset());

  async function rp() {
    const client = await server.services.clients.create({ client_name: 'Shop', redirect_uris: [REDIRECT_URI] });
    return discover(server.url, client.client_id, client.client_secret);
  }

  /** A full sign-in at the RP; returns the tokens. */
  async function signIn(config: oidc.Configuration, agent: FormAgent, user: { email: string; password?: string; signUp?: boolean }, params: Record<string, string> = {}) {
    const auth = await authorizationRequest(config, params);
    const callback = await signInAndConsent(agent, auth.url, user);
    return oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
  }

  async function accountPage(agent: FormAgent) {
    const { response, url } = await agent.follow(`${server.url}/account`);
    return { html: await response.text(), url };
  }

  describe('email verification', () => {
    it('sign-up mails a link; email_verified turns true at the RP only after it, and the link works once', async () => {
      const config = await rp();
      const agent = new FormAgent();
      const email = 'layla@example.com';
      const first = await signIn(config, agent, { email, signUp: true });
      expect(first.claims()).toMatchObject({ email, email_verified: false });

      const mail = await smtp.next(email, /Confirm your email/);
      expect(mail.html).toContain('Confirm my address');
      const link = linkIn(mail, '/account/email/verify');
      // Only the digest is stored.
      const rows = await server.database.db.selectFrom('account_links').selectAll().execute();
      const token = new URL(link).searchParams.get('token')!;
      expect(JSON.stringify(rows)).not.toContain(token);

      const confirmed = await agent.request(link);
      expect(confirmed.status).toBe(200);
      expect(await confirmed.text()).toContain('is confirmed');

      const again = await signIn(config, agent, { email }, { prompt: 'login consent' });
      expect(again.claims()).toMatchObject({ email, email_verified: true });
      expect(await oidc.fetchUserInfo(config, again.access_token, again.claims()!.sub)).toMatchObject({ email_verified: true });

      const reused = await agent.request(link);
      expect(reused.status).toBe(400);
      expect(await reused.text()).toContain('already used');
    });

    it('refuses unknown, malformed, repeated and expired links with a page that says why', async () => {
      const config = await rp();
      const agent = new FormAgent();
      await signIn(config, agent, { email: 'omar@example.com', signUp: true });
      const link = linkIn(await smtp.next('omar@example.com'), '/account/email/verify');

      for (const bad of ['?token=' + 'A'.repeat(43), '?token=short', '', `?token=${'x'.repeat(200)}`]) {
        const response = await agent.request(`${server.url}/account/email/verify${bad}`);
        expect(response.status).toBe(400);
        expect(await response.text()).toMatch(/not valid|token/);
      }
      const repeated = await agent.request(`${link}&token=again`);
      expect(repeated.status).toBe(400);

      await server.database.db.updateTable('account_links').set({ expires_at: sql<Date>`now() - interval '1 second'` }).execute();
      const expired = await agent.request(link);
      expect(expired.status).toBe(400);
      expect(await expired.text()).toContain('expired');
      const account = await server.services.accounts.accounts.findByEmail('omar@example.com');
      expect(account!.email_verified_at).toBeNull();
    });

    it('changing the address needs the password, unverifies it, mails the new one and tells the old one', async () => {
      const config = await rp();
      const agent = new FormAgent();
      await signIn(config, agent, { email: 'sami@example.com', signUp: true });
      const firstLink = linkIn(await smtp.next('sami@example.com', /Confirm/), '/account/email/verify');
      await agent.request(firstLink);
      let { html } = await accountPage(agent);
      const csrf = hiddenField(html, 'csrf');

      const wrong = await agent.submit(new URL(`${server.url}/account`), '/account/email', { csrf, email: 'sami.new@example.com', password: 'not my password' });
      expect(wrong.response.status).toBe(401);
      expect(await wrong.response.text()).toContain('Wrong email or password');
      expect((await server.services.accounts.accounts.findByEmail('sami@example.com'))?.email_verified_at).not.toBeNull();

      const changed = await agent.submit(new URL(`${server.url}/account`), '/account/email', { csrf, email: 'Sami.New@example.com', password: PASSWORD });
      expect(changed.url.pathname).toBe('/account');
      expect(await changed.response.text()).toContain('Your address is now sami.new@example.com');
      const account = await server.services.accounts.accounts.findByEmail('sami.new@example.com');
      expect(account?.email_verified_at).toBeNull();
      await smtp.next('sami@example.com', /email address was changed/);

      const token = await signIn(config, agent, { email: 'sami.new@example.com' }, { prompt: 'login consent' });
      expect(token.claims()).toMatchObject({ email: 'sami.new@example.com', email_verified: false });
      const newLink = linkIn(await smtp.next('sami.new@example.com', /Confirm/), '/account/email/verify');
      expect((await agent.request(newLink)).status).toBe(200);
      ({ html } = await accountPage(agent));
      expect(html).not.toContain('is not confirmed yet');
    });

    it('resending is limited per account, also when the requests come at once', async () => {
      const config = await rp();
      const agent = new FormAgent();
      const email = 'hala@example.com';
      await signIn(config, agent, { email, signUp: true });
      await smtp.next(email); // the sign-up's link: one of the three
      const { html } = await accountPage(agent);
      expect(html).toContain('is not confirmed yet');
      const csrf = hiddenField(html, 'csrf');
      const before = smtp.received.filter((r) => r.to.includes(email)).length;
      const answers = await Promise.all(
        Array.from({ length: 12 }, () => agent.submit(new URL(`${server.url}/account`), '/account/email/resend', { csrf }).then((r) => r.response.status)),
      );
      expect(answers.filter((s) => s === 200)).toHaveLength(2);
      expect(answers.filter((s) => s === 429)).toHaveLength(10);
      await new Promise((r) => setTimeout(r, 300));
      expect(smtp.received.filter((r) => r.to.includes(email)).length - before).toBe(2);
    });
  });

  describe('password reset', () => {
    async function forgot(agent: FormAgent, email: string) {
      const page = await agent.follow(`${server.url}/account/password/forgot`);
      const csrf = hiddenField(await page.response.text(), 'csrf');
      const done = await agent.submit(page.url, '/account/password/forgot', { csrf, email });
      return { status: done.response.status, html: await done.response.text() };
    }

    it('answers the same for known and unknown addresses and mails only the known one', async () => {
      await server.services.accounts.create('known@example.com', PASSWORD);
      const known = await forgot(new FormAgent(), 'known@example.com');
      const unknown = await forgot(new FormAgent(), 'nobody@example.com');
      expect(known.status).toBe(200);
      expect(unknown.status).toBe(200);
      const text = (html: string) => html.replace(/[\w.]+@example\.com/g, 'EMAIL').replace(/value="[^"]*"/g, '');
      expect(text(known.html)).toBe(text(unknown.html));
      await smtp.next('known@example.com', /Reset your Wathiqa password/);
      await new Promise((r) => setTimeout(r, 300));
      expect(smtp.received.some((r) => r.to.includes('nobody@example.com'))).toBe(false);
    });

    it('a new password signs the account out everywhere; the link works once, 30 minutes', async () => {
      const config = await rp();
      const agent = new FormAgent();
      const email = 'nadia@example.com';
      const tokens = await signIn(config, agent, { email, signUp: true }, { scope: 'openid email offline_access' });
      expect(tokens.refresh_token).toBeTruthy();
      expect((await accountPage(agent)).url.pathname).toBe('/account');

      await forgot(new FormAgent(), email);
      const mail = await smtp.next(email, /Reset/);
      expect(mail.text).toContain('30 minutes');
      expect(mail.text).toContain('vault');
      const link = linkIn(mail, '/account/password/reset');
      const resetter = new FormAgent();
      const form = await resetter.follow(link);
      const page = await form.response.text();
      expect(page).toContain('recovery code');
      const csrf = hiddenField(page, 'csrf');
      const token = hiddenField(page, 'token');

      // Policy first, and a refused password does not use the link.
      const weak = await resetter.submit(form.url, '/account/password/reset', { csrf, token, password: 'password123', password_confirm: 'password123' });
      expect(weak.response.status).toBe(400);
      expect(await weak.response.text()).toContain('too common');
      const mismatch = await resetter.submit(form.url, '/account/password/reset', { csrf, token, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD + '!' });
      expect(await mismatch.response.text()).toContain('do not match');

      const done = await resetter.submit(form.url, '/account/password/reset', { csrf, token, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
      expect(done.response.status).toBe(200);
      expect(await done.response.text()).toContain('signed out on every device');
      await smtp.next(email, /password was changed/);

      await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
      await expect(oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)).rejects.toThrow();
      expect((await accountPage(agent)).url.pathname).not.toBe('/account'); // the old session is gone
      const left = await server.database.db
        .selectFrom('oidc_payloads')
        .select('kind')
        .where(sql<string>`payload->>'accountId'`, '=', tokens.claims()!.sub)
        .execute();
      expect(left).toEqual([]);

      await expect(signIn(config, new FormAgent(), { email })).rejects.toThrow(); // old password
      const fresh = await signIn(config, new FormAgent(), { email, password: NEW_PASSWORD });
      expect(fresh.claims()!.sub).toBe(tokens.claims()!.sub);

      const reused = await resetter.submit(form.url, '/account/password/reset', { csrf, token, password: 'yet another long password', password_confirm: 'yet another long password' });
      expect(reused.response.status).toBe(400);
      expect(await reused.response.text()).toContain('already used');
      expect((await resetter.follow(link)).response.status).toBe(400);
    });

    it('concurrent resets with one link: exactly one wins, nothing half-written', async () => {
      const email = 'race@example.com';
      await server.services.accounts.create(email, PASSWORD);
      await forgot(new FormAgent(), email);
      const link = linkIn(await smtp.next(email, /Reset/), '/account/password/reset');
      const agent = new FormAgent();
      const form = await agent.follow(link);
      const page = await form.response.text();
      const csrf = hiddenField(page, 'csrf');
      const token = hiddenField(page, 'token');
      const passwords = Array.from({ length: 6 }, (_, i) => `concurrent password number ${i}`);
      const results = await Promise.all(
        passwords.map((p) => agent.submit(form.url, '/account/password/reset', { csrf, token, password: p, password_confirm: p }).then(async (r) => ({ p, status: r.response.status }))),
      );
      const winners = results.filter((r) => r.status === 200);
      expect(winners).toHaveLength(1);
      expect(results.filter((r) => r.status === 400)).toHaveLength(5);
      await expect(server.services.accounts.signIn(email, winners[0]!.p, '10.0.0.1')).resolves.toMatchObject({ email });
      for (const loser of results.filter((r) => r.status !== 200)) {
        await expect(server.services.accounts.signIn(email, loser.p, '10.0.0.1')).rejects.toMatchObject({ code: 'invalid_credentials' });
      }
    });

    it('requests are limited per address under concurrency, the same for unknown addresses', async () => {
      await server.services.accounts.create('limit@example.com', PASSWORD);
      for (const email of ['limit@example.com', 'ghost@example.com']) {
        const statuses = await Promise.all(Array.from({ length: 10 }, () => forgot(new FormAgent(), email).then((r) => r.status)));
        expect(statuses.filter((s) => s === 200)).toHaveLength(3);
        expect(statuses.filter((s) => s === 429)).toHaveLength(7);
      }
      await new Promise((r) => setTimeout(r, 500));
      expect(smtp.received.filter((r) => r.to.includes('limit@example.com'))).toHaveLength(3);
    });
  });
});
