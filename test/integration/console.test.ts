import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair } from 'jose';
import { generate } from 'otplib';
import { adminOperations } from '../../src/admin/operations.js';
import { cliActor } from '../../src/audit/actor.js';
import { FormAgent, hiddenField } from '../helpers/agent.js';
import { signInToAccount } from '../helpers/account.js';
import { httpEngines } from '../helpers/db.js';
import { PASSWORD } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The operator console (issue #13) over real HTTP on a real database: who gets in
 * (operators with a second factor in this session), CSRF, the stale edit, and bad
 * input shown next to its field; every change recorded under the operator.
 */
describe.each(httpEngines())('operator console (%s)', (engine) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server?.close());
  beforeEach(() => server.database.reset());

  const cli = () => adminOperations(server.services, { actor: cliActor('root') });
  const now = () => Math.floor(Date.now() / 1000);

  /** An account with an authenticator app (set up with the previous step's code, so the current one is free). */
  async function withApp(email: string, accountId?: string) {
    const id = accountId ?? (await server.services.accounts.create(email, PASSWORD)).id;
    const { secret } = await server.services.totp.begin(id, email);
    await server.services.totp.confirm(id, await generate({ secret, epoch: now() - 30 }), '127.0.0.1');
    return { id, secret };
  }

  /** /console/login → password → (the code) → wherever the console sends the browser. */
  async function consoleSignIn(email: string, secret?: string, agent = new FormAgent()) {
    let { response, url } = await agent.follow(`${server.url}/console/login`);
    let html = await response.text();
    if (html.includes('name="password"')) {
      const uid = url.pathname.split('/')[2]!;
      ({ response, url } = await agent.submit(url, `/interaction/${uid}/login`, { csrf: hiddenField(html, 'csrf'), email, password: PASSWORD }));
      html = await response.text();
    }
    if (html.includes('name="code"') && secret) {
      const uid = url.pathname.split('/')[2]!;
      ({ response, url } = await agent.submit(url, `/interaction/${uid}/otp`, { csrf: hiddenField(html, 'csrf'), code: await generate({ secret }) }));
      html = await response.text();
    }
    return { agent, response, url, html };
  }

  async function operator(email = 'op@example.com') {
    const { id, secret } = await withApp(email);
    await cli().grantOperator({ email });
    const signedIn = await consoleSignIn(email, secret);
    expect(signedIn.url.pathname).toBe('/console/clients');
    expect(signedIn.response.status).toBe(200);
    return { ...signedIn, id };
  }

  const post = (agent: FormAgent, path: string, fields: Record<string, string | string[]>) => {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) body.append(k, one);
    return agent.follow(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
  };

  async function formOf(agent: FormAgent, path: string) {
    const { response } = await agent.follow(`${server.url}${path}`);
    expect(response.status).toBe(200);
    return response.text();
  }

  it('refuses a holder who is not an operator with a readable 403 page, in English and Arabic', async () => {
    const { agent } = await signInToAccount(server, 'holder@example.com');
    for (const [lang, words] of [['en', 'Operators only'], ['ar', 'للمشغّلين فقط']]) {
      const { response } = await agent.follow(`${server.url}/console/clients?lang=${lang}`);
      expect(response.status).toBe(403);
      const html = await response.text();
      expect(html).toContain(words);
      expect(html).not.toContain('name="csrf"');
    }
    // Nothing in the console answers it, forms included.
    const { response } = await post(agent, '/console/keys/rotate', { csrf: 'x' });
    expect(response.status).toBe(403);
    expect((await server.services.audit.list({ action: 'keys.rotate' })).events.filter((e) => e.actor.kind === 'operator' && e.actor.label === 'holder@example.com')).toHaveLength(0);
  });

  it('sends a browser that is not signed in to the console’s sign-in, which asks for multi-factor', async () => {
    const agent = new FormAgent();
    const first = await agent.request(`${server.url}/console/users`);
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe('/console/login');
    const login = await agent.request(`${server.url}/console/login`);
    const auth = new URL(login.headers.get('location')!, server.url);
    expect(auth.pathname).toBe('/auth');
    expect(auth.searchParams.get('client_id')).toBe('wathiqa-console');
    expect(auth.searchParams.get('acr_values')).toBe('urn:wathiqa:acr:mfa');
  });

  it('steps up an operator whose session used the password alone, and tells one without a second factor to set one up', async () => {
    // Signed in at /account with the password, before the app was set up.
    const { agent, accountId } = await signInToAccount(server, 'stepup@example.com');
    await cli().grantOperator({ email: 'stepup@example.com' });
    const none = await agent.follow(`${server.url}/console/clients`);
    expect(none.response.status).toBe(403);
    expect(await none.response.text()).toContain('Set up a second factor first');

    const { secret } = await withApp('stepup@example.com', accountId);
    const { response, url } = await agent.follow(`${server.url}/console/clients`);
    // The same session is asked for its code only (no password), then the console opens.
    expect(url.pathname).toMatch(/^\/interaction\//);
    const html = await response.text();
    expect(html).toContain('name="code"');
    expect(html).not.toContain('name="password"');
    const uid = url.pathname.split('/')[2]!;
    const done = await agent.submit(url, `/interaction/${uid}/otp`, { csrf: hiddenField(html, 'csrf'), code: await generate({ secret }) });
    expect(done.url.pathname).toBe('/console/clients');
    expect(done.response.status).toBe(200);
    // The account pages still work with the stepped-up session.
    expect((await agent.follow(`${server.url}/account`)).url.pathname).toBe('/account');
  });

  it('an operator with no second factor signing in afresh gets the page that says to set one up', async () => {
    await server.services.accounts.create('nofactor@example.com', PASSWORD);
    await cli().grantOperator({ email: 'nofactor@example.com' });
    const { response, html } = await consoleSignIn('nofactor@example.com');
    expect(response.status).toBe(403);
    expect(html).toContain('Set up a second factor first');
    expect(html).toContain('href="/account#factors"');
  });

  it('refuses a form without its CSRF token with a clear page, and writes nothing', async () => {
    const { agent } = await operator();
    for (const csrf of [undefined, 'forged']) {
      const { response } = await post(agent, '/console/clients', { ...(csrf ? { csrf } : {}), client_name: 'Shop', redirect_uris: 'https://shop.example/cb', scope: 'openid' });
      expect(response.status).toBe(403);
      const html = await response.text();
      expect(html).toContain('Nothing was done');
      expect(html).toContain('security token');
    }
    expect(await server.services.clients.list()).toHaveLength(0);
  });

  it('registers, edits and deletes a relying party, each recorded under the operator with the request address', async () => {
    const { agent, id } = await operator();
    let html = await formOf(agent, '/console/clients/new');
    const csrf = hiddenField(html, 'csrf');
    const created = await post(agent, '/console/clients', { csrf, client_name: 'Shop', redirect_uris: 'https://shop.example/cb\r\nhttps://shop.example/cb2', scope: ['openid', 'email'], policy_uri: 'https://shop.example/privacy' });
    expect(created.response.status).toBe(201);
    html = await created.response.text();
    const secret = /id="client-secret"[^>]*>([^<]+)</.exec(html)![1]!;
    const clientId = /id="client-id"[^>]*>([^<]+)</.exec(html)![1]!;
    expect(created.response.headers.get('cache-control')).toBe('no-store');
    const stored = await server.services.clients.show(clientId);
    expect(stored).toMatchObject({ client_name: 'Shop', redirect_uris: ['https://shop.example/cb', 'https://shop.example/cb2'], scope: 'openid email', policy_uri: 'https://shop.example/privacy' });

    html = await formOf(agent, `/console/clients/${clientId}`);
    const edit = await post(agent, `/console/clients/${clientId}`, {
      csrf: hiddenField(html, 'csrf'),
      version: hiddenField(html, 'version'),
      client_name: 'Shop renamed',
      redirect_uris: 'https://shop.example/cb',
      scope: ['openid', 'email'],
      policy_uri: 'https://shop.example/privacy',
    });
    expect(edit.url.pathname).toBe(`/console/clients/${clientId}`);
    expect(await edit.response.text()).toContain('Your changes are saved.');
    expect(await server.services.clients.show(clientId)).toMatchObject({ client_name: 'Shop renamed', redirect_uris: ['https://shop.example/cb'] });

    html = await formOf(agent, `/console/clients/${clientId}/delete`);
    expect(html).toContain('Delete Shop renamed?');
    const unconfirmed = await post(agent, `/console/clients/${clientId}/delete`, { csrf: hiddenField(html, 'csrf') });
    expect(unconfirmed.response.status).toBe(400);
    expect(await server.services.clients.show(clientId)).toBeDefined();
    const deleted = await post(agent, `/console/clients/${clientId}/delete`, { csrf: hiddenField(html, 'csrf'), confirm: 'yes' });
    expect(deleted.url.pathname).toBe('/console/clients');
    expect(await server.services.clients.show(clientId)).toBeUndefined();

    const { events } = await server.services.audit.list({ target: clientId });
    expect(events.map((e) => e.action)).toEqual(['client.delete', 'client.update', 'client.create']);
    for (const event of events) {
      expect(event.actor).toEqual({ kind: 'operator', id, label: 'op@example.com' });
      expect(event.ip).toMatch(/127\.0\.0\.1/);
    }
    expect(events[1]!.details).toMatchObject({ changed: ['client_name', 'redirect_uris'] });
    expect(JSON.stringify(events)).not.toContain(secret);

    // The trail page lists them with the operator's name.
    const trail = await formOf(agent, `/console/audit?target=${clientId}`);
    expect(trail.match(/class="audit-actor"[^>]*>op@example.com</g)).toHaveLength(3);
  });

  it('refuses a stale edit with 409, writing nothing; of two edits at once one wins', async () => {
    const { agent } = await operator();
    const client = await cli().createClient({ client_name: 'Bank', redirect_uris: ['https://bank.example/cb'], scope: 'openid' });
    const html = await formOf(agent, `/console/clients/${client.client_id}`);
    const fields = (name: string) => ({ csrf: hiddenField(html, 'csrf'), version: hiddenField(html, 'version'), client_name: name, redirect_uris: 'https://bank.example/cb', scope: 'openid' });

    // Two at once on the same version: exactly one is saved.
    const [a, b] = await Promise.all([post(agent, `/console/clients/${client.client_id}`, fields('Bank A')), post(agent, `/console/clients/${client.client_id}`, fields('Bank B'))]);
    const statuses = [a.response.status, b.response.status].sort();
    expect(statuses).toEqual([200, 409]);
    const winner = a.response.status === 200 ? 'Bank A' : 'Bank B';
    const loser = (a.response.status === 409 ? a : b).response;
    const page = await loser.text();
    expect(page).toContain('Another operator changed this relying party after you opened it. Nothing was saved.');
    // The operator's own input is still in the form, to redo it.
    expect(page).toContain(`value="${winner === 'Bank A' ? 'Bank B' : 'Bank A'}"`);
    expect(await server.services.clients.show(client.client_id)).toMatchObject({ client_name: winner, version: 2 });

    // Again later with the old form: 409, nothing written, nothing recorded.
    const stale = await post(agent, `/console/clients/${client.client_id}`, fields('Bank C'));
    expect(stale.response.status).toBe(409);
    expect(await server.services.clients.show(client.client_id)).toMatchObject({ client_name: winner, version: 2 });
    expect((await server.services.audit.list({ action: 'client.update', target: client.client_id })).events).toHaveLength(1);
  });

  it('shows bad input next to its field: redirect URIs, keys without use or kid, a verifier without a signing key', async () => {
    const { agent } = await operator();
    const csrf = hiddenField(await formOf(agent, '/console/clients/new'), 'csrf');
    const base = { csrf, client_name: 'Checker', redirect_uris: 'https://checker.example/cb', scope: ['openid', 'passport'], policy_uri: 'https://checker.example/policy' };

    const badUri = await post(agent, '/console/clients', { ...base, redirect_uris: 'not a url' });
    expect(badUri.response.status).toBe(400);
    let html = await badUri.response.text();
    expect(html).toMatch(/id="redirect_uris"[^>]*aria-invalid="true" aria-describedby="redirect_uris-error"/);
    expect(html).toMatch(/<div class="field-error" id="redirect_uris-error">\s*<p>Check the redirect URIs/);
    expect(html).toContain('not a url'); // what was typed stays

    const { publicKey: enc } = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
    const { publicKey: sig } = await generateKeyPair('ES256', { extractable: true });
    const encJwk = { ...(await exportJWK(enc)), use: 'enc', kid: 'enc-1' };
    const sigJwk = { ...(await exportJWK(sig)), use: 'sig', kid: 'sig-1' };
    const verifier = { ...base, verifier: 'yes', attested_types: ['passport'], trust_framework: 'eidas' };

    const noKid = await post(agent, '/console/clients', { ...verifier, enc_keys: JSON.stringify(encJwk), sig_keys: JSON.stringify({ keys: [{ ...sigJwk, kid: undefined }] }) });
    expect(noKid.response.status).toBe(400);
    html = await noKid.response.text();
    expect(html).toMatch(/<div class="field-error" id="sig_keys-error">\s*<p>Every key needs a &quot;use&quot;/);

    const noUse = await post(agent, '/console/clients', { ...verifier, enc_keys: JSON.stringify({ ...encJwk, use: undefined }), sig_keys: JSON.stringify(sigJwk) });
    expect(noUse.response.status).toBe(400);
    expect(await noUse.response.text()).toMatch(/<div class="field-error" id="enc_keys-error">\s*<p>Every key needs a &quot;use&quot;/);

    const noSigning = await post(agent, '/console/clients', { ...verifier, enc_keys: JSON.stringify(encJwk) });
    expect(noSigning.response.status).toBe(400);
    expect(await noSigning.response.text()).toMatch(/<div class="field-error" id="sig_keys-error">\s*<p>A verifier needs a signing key/);

    const notJson = await post(agent, '/console/clients', { ...base, enc_keys: '{"kty": ' });
    expect(notJson.response.status).toBe(400);
    expect(await notJson.response.text()).toMatch(/<div class="field-error" id="enc_keys-error">\s*<p>This is not a key/);

    expect(await server.services.clients.list()).toHaveLength(0);

    // With both keys the verifier is registered and listed as holders see it.
    const ok = await post(agent, '/console/clients', { ...verifier, enc_keys: JSON.stringify(encJwk), sig_keys: JSON.stringify(sigJwk) });
    expect(ok.response.status).toBe(201);
    const listing = await formOf(agent, '/console/verifiers');
    expect(listing).toContain('Checker');
    expect(listing).toContain('sig-1');
    expect(listing).not.toContain('enc-1');

    // In Arabic (the page's language follows ?lang=), the same refusal in Arabic, the server's words kept.
    const arabic = await post(agent, '/console/clients?lang=ar', { ...base, redirect_uris: 'not a url' });
    const page = await arabic.response.text();
    expect(page).toContain('<html lang="ar" dir="rtl">');
    expect(page).toContain('راجع عناوين إعادة التوجيه');
    expect(page).toContain('lang="en" dir="ltr">redirect_uris');
  });

  it('does not let an operator disable or delete their own account; the page says who can', async () => {
    const { agent, id } = await operator();
    const html = await formOf(agent, `/console/users/${id}`);
    expect(html).toContain('This is your own account.');
    expect(html).not.toContain(`/console/users/${id}/disable"`);
    expect(html).not.toContain(`/console/users/${id}/delete"`);
    const csrf = hiddenField(html, 'csrf');
    // A hand-made POST is refused too: the rule is in the admin operations, not only the page.
    for (const [path, fields] of [['disable', {}], ['delete', { confirm: 'yes' }]] as const) {
      const refused = await post(agent, `/console/users/${id}/${path}`, { csrf, ...fields });
      expect(refused.response.status).toBe(409);
      expect(await refused.response.text()).toContain('cannot disable or delete their own account');
    }
    const account = await server.services.accounts.accounts.findById(id);
    expect(account?.id).toBe(id);
    expect((await server.services.accountAdmin.details(id))?.disabled_at).toBeNull();
    expect((await server.services.audit.list({ actor: id })).events).toEqual([]);
    // The CLI (another actor) still can.
    expect((await cli().disableUser(id)).changed).toBe(true);
  });

  it('manages users: search, disable (the sessions end), enable, sign out everywhere, delete; keys rotate', async () => {
    const { agent, id } = await operator();
    const holder = await signInToAccount(server, 'someone@example.com');
    let html = await formOf(agent, '/console/users?email=SOMEONE');
    expect(html).toContain('someone@example.com');
    expect(html).not.toContain('>op@example.com<');
    html = await formOf(agent, `/console/users/${holder.accountId}`);
    expect(html).toContain('Authenticator app: off');
    const csrf = hiddenField(html, 'csrf');

    const disabled = await post(agent, `/console/users/${holder.accountId}/disable`, { csrf });
    expect(await disabled.response.text()).toContain('The account is disabled');
    // The holder's browser is signed out.
    expect((await holder.agent.follow(`${server.url}/account`)).url.pathname).not.toBe('/account');
    await post(agent, `/console/users/${holder.accountId}/enable`, { csrf });
    await post(agent, `/console/users/${holder.accountId}/signout`, { csrf });
    const gone = await post(agent, `/console/users/${holder.accountId}/delete`, { csrf, confirm: 'yes' });
    expect(gone.url.pathname).toBe('/console/users');
    expect(await server.services.accounts.accounts.findById(holder.accountId)).toBeUndefined();

    const before = (await server.services.oidc.listKeys()).filter((k) => k.status === 'active').map((k) => k.kid);
    const keysPage = await formOf(agent, '/console/keys');
    await post(agent, '/console/keys/rotate', { csrf: hiddenField(keysPage, 'csrf') });
    const after = (await server.services.oidc.listKeys()).filter((k) => k.status === 'active').map((k) => k.kid);
    expect(after.some((kid) => before.includes(kid))).toBe(false);

    // The trail outlives accounts (append-only): this operator's own id picks out this test's events.
    const { events } = await server.services.audit.list({ actor: id });
    expect(events.map((e) => e.action)).toEqual(['keys.rotate', 'user.delete', 'user.signout', 'user.enable', 'user.disable']);
    // The trail's own filter refusal is said on the page.
    const refused = await agent.follow(`${server.url}/console/audit?since=yesterday`);
    expect(refused.response.status).toBe(400);
    expect(await refused.response.text()).toContain('These filters cannot be used.');
  });
});
