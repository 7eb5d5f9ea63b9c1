import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { exportJWK, generateKeyPair } from 'jose';
import { signInToAccount } from '../helpers/account.js';
import { FormAgent, hiddenField } from '../helpers/agent.js';
import { engines } from '../helpers/db.js';
import { PASSWORD } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The audit trail and the operations the console needs (issue #13), through the
 * admin API on a real server, on PGlite and PostgreSQL: every change lands in the
 * trail with its actor and address, secrets never do; stale edits are refused with
 * nothing written; the table refuses changes; a disabled account is signed out and
 * cannot sign in again.
 */

const TOKEN = randomBytes(24).toString('base64url');
const INITIAL_ACCESS_TOKEN = randomBytes(24).toString('base64url');
const REDIRECT_URI = 'http://localhost:4000/cb';

interface AuditLine {
  id: string;
  at: string;
  actor: { kind: string; id: string | null; label: string };
  ip: string | null;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
}

describe.each(engines())('audit trail and console operations (%s)', (engine) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(engine, { ADMIN_TOKEN: TOKEN, INITIAL_ACCESS_TOKEN });
  });
  afterAll(() => server?.close());

  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const adminJson = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown, status = 200): Promise<T> => {
    const res = await admin(method, path, body);
    const text = await res.text();
    if (res.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const trail = async (query: Record<string, string> = {}): Promise<AuditLine[]> => {
    const res = await admin('GET', `/admin/audit?${new URLSearchParams(query)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const text = await res.text();
    return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as AuditLine);
  };
  const clientBody = (extra: Record<string, unknown> = {}) => ({ client_name: 'Audit RP', redirect_uris: [REDIRECT_URI], ...extra });

  it('records every client change with the admin token as actor, its address, and no secret', async () => {
    const { publicKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true });
    const enc = { ...(await exportJWK(publicKey)), use: 'enc', kid: 'enc-1', alg: 'ECDH-ES+A256KW' };
    const created = await adminJson<{ client_id: string; client_secret: string; version: number }>('POST', '/admin/clients', clientBody(), 201);
    expect(created.version).toBe(1);
    const edited = await adminJson<{ version: number; client_name: string }>('PUT', `/admin/clients/${created.client_id}`, {
      ...clientBody({ client_name: 'Audit RP, renamed', jwks: { keys: [enc] }, scope: 'openid email passport' }),
      version: 1,
    });
    expect(edited).toEqual(expect.objectContaining({ version: 2, client_name: 'Audit RP, renamed' }));
    const rotated = await adminJson<{ client_secret: string; version: number }>('POST', `/admin/clients/${created.client_id}/secret`);
    expect(rotated.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rotated.client_secret).not.toBe(created.client_secret);
    expect(rotated.version).toBe(3);
    // The new secret works at the token endpoint's client authentication, the old one no longer does.
    const stored = await server.services.oidc.provider.Client.find(created.client_id);
    expect(stored?.clientSecret).toBe(rotated.client_secret);
    const impact = await adminJson<{ grants: number; releases: number }>('GET', `/admin/clients/${created.client_id}/impact`);
    expect(impact).toEqual({ client_id: created.client_id, client_name: 'Audit RP, renamed', grants: 0, tokens: 0, releases: 0 });
    expect((await admin('DELETE', `/admin/clients/${created.client_id}`)).status).toBe(204);

    const events = await trail({ target: created.client_id });
    expect(events.map((e) => e.action)).toEqual(['client.create', 'client.update', 'client.secret.rotate', 'client.delete']);
    for (const event of events) {
      expect(event.actor).toEqual({ kind: 'admin_token', id: null, label: 'admin token' });
      expect(event.ip).toMatch(/127\.0\.0\.1|::1/);
    }
    const [create, update, , remove] = events;
    expect(create!.details).toEqual(expect.objectContaining({ before: null }));
    expect((create!.details.after as Record<string, unknown>).client_name).toBe('Audit RP');
    expect(update!.details.changed).toEqual(expect.arrayContaining(['client_name', 'jwks', 'scope']));
    expect(update!.details.changed).not.toContain('redirect_uris');
    expect(update!.details.before).toEqual(expect.objectContaining({ client_name: 'Audit RP' }));
    expect(update!.details.after).toEqual(expect.objectContaining({ client_name: 'Audit RP, renamed', jwks: { keys: [enc] } }));
    expect(remove!.details).toEqual(expect.objectContaining({ after: null, grants: 0 }));

    // No secret anywhere in the table, in any form the rows are stored.
    const { rows } = await sql<{ row: string }>`select row_to_json(a)::text as row from audit_events a`.execute(server.database.db);
    const everything = rows.map((r) => r.row).join('\n');
    expect(everything).toContain(created.client_id);
    expect(everything).not.toContain(created.client_secret);
    expect(everything).not.toContain(rotated.client_secret);
    expect(everything).not.toContain('client_secret_sealed');
  });

  it('records dynamic registration with the registered client as actor, without its secret or registration token', async () => {
    const res = await fetch(`${server.url}/reg`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INITIAL_ACCESS_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [REDIRECT_URI], client_name: 'Self-registered' }),
    });
    expect(res.status).toBe(201);
    const registered = (await res.json()) as { client_id: string; client_secret: string; registration_access_token: string };
    const [event, ...more] = await trail({ target: registered.client_id });
    expect(more).toEqual([]);
    expect(event).toEqual(
      expect.objectContaining({
        action: 'client.create',
        actor: { kind: 'registration', id: registered.client_id, label: 'dynamic registration' },
        ip: expect.stringMatching(/127\.0\.0\.1|::1/),
      }),
    );
    expect((event!.details.after as { client_name: string }).client_name).toBe('Self-registered');
    const line = JSON.stringify(event);
    expect(line).not.toContain(registered.client_secret);
    expect(line).not.toContain(registered.registration_access_token);
    // A refused registration writes neither a client nor a record.
    const before = (await trail()).length;
    const refused = await fetch(`${server.url}/reg`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INITIAL_ACCESS_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['not a url'] }),
    });
    expect(refused.status).toBe(400);
    expect(await trail()).toHaveLength(before);
  });

  it('refuses a stale edit with 409 and writes nothing; of two edits at once, one wins', async () => {
    const created = await adminJson<{ client_id: string }>('POST', '/admin/clients', clientBody(), 201);
    const path = `/admin/clients/${created.client_id}`;
    const edits = await Promise.all(
      ['First', 'Second', 'Third'].map((name) => admin('PUT', path, { ...clientBody({ client_name: name }), version: 1 })),
    );
    const statuses = edits.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409]);
    const refused = await edits.find((r) => r.status === 409)!.json();
    expect(refused).toEqual({ error: 'conflict', error_description: expect.stringMatching(/changed meanwhile.*version 2/) });
    const winner = await (await admin('GET', path)).json();
    expect(winner.version).toBe(2);
    // A stale version later: still refused, the stored client unchanged.
    const stale = await admin('PUT', path, { ...clientBody({ client_name: 'Late' }), version: 1 });
    expect(stale.status).toBe(409);
    expect((await (await admin('GET', path)).json()).client_name).toBe(winner.client_name);
    const updates = await trail({ target: created.client_id, action: 'client.update' });
    expect(updates).toHaveLength(1);
    expect((updates[0]!.details.after as { client_name: string }).client_name).toBe(winner.client_name);
  });

  it('refuses bad edits with a clear error: no version, a bad redirect URI, a key without use, a verifier without signing key', async () => {
    const created = await adminJson<{ client_id: string }>('POST', '/admin/clients', clientBody(), 201);
    const path = `/admin/clients/${created.client_id}`;
    const { publicKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true });
    const bare = await exportJWK(publicKey); // no use, no kid
    const problems: [Record<string, unknown>, RegExp][] = [
      [clientBody(), /version/],
      [{ ...clientBody({ jwks: { keys: [bare] }, scope: 'openid passport' }), version: 1 }, /use|kid/],
      [{ ...clientBody({ redirect_uris: ['not a url'] }), version: 1 }, /redirect_uris/],
      [{ ...clientBody({ verifier: true, scope: 'openid passport' }), version: 1 }, /verifier|jwks|key/i],
    ];
    for (const [body, message] of problems) {
      const res = await admin('PUT', path, body);
      expect(res.status).toBe(400);
      const error = await res.json();
      expect(error.error).toBe('invalid_request');
      expect(error.error_description).toMatch(message);
    }
    expect((await admin('PUT', '/admin/clients/nope', { ...clientBody(), version: 1 })).status).toBe(404);
    expect((await (await admin('GET', path)).json()).version).toBe(1);
    expect(await trail({ target: created.client_id, action: 'client.update' })).toEqual([]);
  });

  it('refuses to rotate the secret of a public client', async () => {
    const created = await adminJson<{ client_id: string }>('POST', '/admin/clients', clientBody({ public: true }), 201);
    const res = await admin('POST', `/admin/clients/${created.client_id}/secret`);
    expect(res.status).toBe(400);
    expect((await res.json()).error_description).toMatch(/public/);
  });

  it('records user changes and key rotation; a disabled account is signed out and cannot sign in', async () => {
    const email = `disabled-${engine}@example.com`;
    const { agent, accountId } = await signInToAccount(server, email);
    expect(await server.services.sessions.list(accountId)).toHaveLength(1);
    const shown = await adminJson<Record<string, unknown>>('GET', `/admin/users/${accountId}`);
    expect(shown).toEqual(
      expect.objectContaining({ email, operator: false, disabled: false, factors: { totp: false, recovery_codes_left: 0, passkeys: 0 } }),
    );
    expect(shown.sessions).toHaveLength(1);
    expect(JSON.stringify(shown)).not.toMatch(/vault|password/i);

    expect(await adminJson('POST', `/admin/users/${accountId}/disable`)).toEqual({ id: accountId, email, changed: true });
    expect(await adminJson('POST', `/admin/users/${accountId}/disable`)).toEqual({ id: accountId, email, changed: false });
    expect(await server.services.sessions.list(accountId)).toEqual([]);
    // The browser's session is gone: the account page asks for a sign-in again.
    const page = await agent.follow(`${server.url}/account`);
    expect(page.url.pathname).toMatch(/^\/interaction\//);
    const html = await page.response.text();
    const uid = page.url.pathname.split('/')[2]!;
    const refused = await agent.request(new URL(`/interaction/${uid}/login`, server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: hiddenField(html, 'csrf'), email, password: PASSWORD }).toString(),
    });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('This account is disabled');

    expect(await adminJson('POST', `/admin/users/${accountId}/enable`)).toEqual({ id: accountId, email, changed: true });
    await signInToAccount(server, `other-${engine}@example.com`, new FormAgent()); // a second account, to sign out below
    const again = await adminJson<{ sessions: number }>('POST', `/admin/users/${accountId}/signout`);
    expect(again).toEqual({ id: accountId, email, changed: false, sessions: 0 });
    await adminJson('POST', '/admin/operators/grant', { email: email.toUpperCase() });
    expect((await adminJson<{ operators: { email: string }[] }>('GET', '/admin/operators')).operators.map((o) => o.email)).toContain(email);
    expect(await server.services.operators.isOperator(accountId)).toBe(true);
    await adminJson('POST', '/admin/operators/revoke', { email });
    expect(await server.services.operators.isOperator(accountId)).toBe(false);
    expect((await admin('POST', '/admin/operators/grant', { email: 'nobody@example.com' })).status).toBe(404);
    const keys = await adminJson<{ keys: { kid: string; status: string }[] }>('POST', '/admin/keys/rotate');
    expect((await admin('DELETE', `/admin/users/${accountId}`)).status).toBe(204);

    const events = await trail({ target: accountId });
    expect(events.map((e) => e.action)).toEqual(['user.disable', 'user.enable', 'user.signout', 'operator.grant', 'operator.revoke', 'user.delete']);
    expect(events.every((e) => e.details.email === email && e.actor.label === 'admin token')).toBe(true);
    const [rotation] = await trail({ action: 'keys.' });
    const created = (rotation!.details.created as { kid: string }[]).map((k) => k.kid).sort();
    expect(created).toEqual(keys.keys.filter((k) => k.status === 'active').map((k) => k.kid).sort());
    // The trail outlives the account it names.
    expect(await trail({ target: accountId })).toHaveLength(6);
  });

  it('records one change when the same change is asked several times at once', async () => {
    const user = await adminJson<{ id: string }>('POST', '/admin/users', { email: `parallel-${engine}@example.com`, password: PASSWORD }, 201);
    const disables = await Promise.all([1, 2, 3, 4].map(() => adminJson<{ changed: boolean }>('POST', `/admin/users/${user.id}/disable`)));
    expect(disables.filter((d) => d.changed)).toHaveLength(1);
    const grants = await Promise.all([1, 2, 3].map(() => adminJson<{ changed: boolean }>('POST', '/admin/operators/grant', { email: `parallel-${engine}@example.com` })));
    expect(grants.filter((g) => g.changed)).toHaveLength(1);
    expect((await trail({ target: user.id })).map((e) => e.action)).toEqual(['user.create', 'user.disable', 'operator.grant']);
    // Disabled: no operator while it stays so.
    expect(await server.services.operators.isOperator(user.id)).toBe(false);
  });

  it('filters and pages the trail, and refuses bad filters with 400', async () => {
    const page = await server.services.audit.list({ limit: 2 });
    expect(page.events).toHaveLength(2);
    expect(Number(page.events[0]!.id)).toBeGreaterThan(Number(page.events[1]!.id));
    const next = await server.services.audit.list({ limit: 2, before: page.next_before });
    expect(Number(next.events[0]!.id)).toBeLessThan(Number(page.events[1]!.id));
    expect((await trail({ actor: 'admin token' })).length).toBeGreaterThan(5);
    expect(await trail({ actor: 'cli' })).toEqual([]);
    expect(await trail({ since: '2999-01-01' })).toEqual([]);
    for (const query of ['action=DROP%20TABLE', 'since=yesterday', 'limit=5', 'actor=']) {
      const res = await admin('GET', `/admin/audit?${query}`);
      expect(res.status).toBe(400);
      expect((await res.json()).error).toBe('invalid_request');
    }
  });

  it('refuses UPDATE, DELETE and TRUNCATE on the trail, for the application role itself', async () => {
    const db = server.database.db;
    const before = await sql<{ n: string }>`select count(*)::text as n from audit_events`.execute(db);
    expect(Number(before.rows[0]!.n)).toBeGreaterThan(0);
    await expect(sql`update audit_events set actor_label = 'someone else'`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_events`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_events`.execute(db)).rejects.toThrow(/append-only/);
    const after = await sql<{ n: string; changed: string }>`select count(*)::text as n, count(*) filter (where actor_label = 'someone else')::text as changed from audit_events`.execute(db);
    expect(after.rows[0]).toEqual({ n: before.rows[0]!.n, changed: '0' });
  });
});
