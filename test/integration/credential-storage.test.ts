import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import * as oidc from 'openid-client';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { migrateToLatest, migrator, openDatabase, type DatabaseHandle } from '../../src/db/index.js';
import { DataDirLock } from '../../src/db/lock.js';
import { adapterFactory, ClientCache, credentialDigest } from '../../src/oidc/adapter.js';
import { createLogger } from '../../src/ops/logger.js';
import { startServer } from '../../src/server.js';
import { createServices } from '../../src/services.js';
import { FormAgent } from '../helpers/agent.js';
import { engines, freshPostgresDatabase, type Engine } from '../helpers/db.js';
import { authorizationRequest, discover, REDIRECT_URI, signInAndConsent } from '../helpers/flow.js';
import { startTestServer, testSecrets, type TestServer } from '../helpers/server.js';

/** Everything the database holds for oidc-provider and for clients, as text. */
async function dump(db: DatabaseHandle['db']): Promise<{ payloads: string; clients: string }> {
  const payloads = await sql<{ t: string }>`select kind || ' ' || id || ' ' || payload::text as t from oidc_payloads`.execute(db);
  const clients = await sql<{ t: string }>`select row_to_json(c)::text as t from clients c`.execute(db);
  return { payloads: payloads.rows.map((r) => r.t).join('\n'), clients: clients.rows.map((r) => r.t).join('\n') };
}

function sessionCookie(agent: FormAgent, url: string): string {
  const jar = (agent as unknown as { jar: Map<string, Map<string, string>> }).jar;
  return jar.get(new URL(url).host)!.get('_session')!;
}

const INITIAL_ACCESS_TOKEN = randomBytes(32).toString('base64url');

describe.each(engines())('bearer credentials at rest (%s)', (engine) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(engine, { INITIAL_ACCESS_TOKEN });
  });
  afterAll(() => server?.close());
  beforeEach(() => server.database.reset());

  it('seals the secret of a dynamically registered client, digests its registration token, and reads both back', async () => {
    const response = await fetch(`${server.url}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${INITIAL_ACCESS_TOKEN}` },
      body: JSON.stringify({ redirect_uris: [REDIRECT_URI], client_name: 'Registered' }),
    });
    expect(response.status).toBe(201);
    const registered = (await response.json()) as { client_id: string; client_secret: string; registration_access_token: string; registration_client_uri: string };
    const { payloads, clients } = await dump(server.database.db);
    expect(clients).toContain(registered.client_id);
    expect(clients).not.toContain(registered.client_secret);
    expect(payloads).not.toContain(registered.registration_access_token);
    expect(payloads).toContain(credentialDigest(registered.registration_access_token));

    const read = await fetch(registered.registration_client_uri, { headers: { authorization: `Bearer ${registered.registration_access_token}` } });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ client_id: registered.client_id, client_secret: registered.client_secret });
    const config = await discover(server.url, registered.client_id, registered.client_secret);
    expect((await oidc.tokenIntrospection(config, 'unknown')).active).toBe(false);
  });

  it('keeps codes, tokens and session ids only as digests, and secrets only sealed; the tokens still work', async () => {
    const client = await server.services.clients.create({ client_name: 'Digest', redirect_uris: [REDIRECT_URI] });
    const config = await discover(server.url, client.client_id, client.client_secret);
    const agent = new FormAgent();
    const auth = await authorizationRequest(config);
    const callback = await signInAndConsent(agent, auth.url, { email: 'digest@example.com', signUp: true });
    const code = callback.searchParams.get('code')!;
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: auth.verifier,
      expectedState: auth.state,
      expectedNonce: auth.nonce,
    });
    const session = sessionCookie(agent, server.url);
    const sub = tokens.claims()!.sub;
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);

    // An interaction of a signed-in session (the consent page, open) keeps no copy of the session id.
    const pending = await agent.follow((await authorizationRequest(config)).url, {}, REDIRECT_URI);
    expect(await pending.response.text()).toContain('name="decision"');
    const interactions = await server.database.db.selectFrom('oidc_payloads').select('payload').where('kind', '=', 'Interaction').execute();
    expect(interactions.some((r) => (r.payload.session as { accountId?: string } | undefined)?.accountId)).toBe(true);

    const secrets = [code, tokens.access_token, tokens.refresh_token!, refreshed.access_token, refreshed.refresh_token!, session];
    for (const value of secrets) expect(value.length).toBeGreaterThanOrEqual(32);
    const { payloads, clients } = await dump(server.database.db);
    for (const value of secrets) {
      expect(payloads).not.toContain(value);
      expect(payloads).toContain(credentialDigest(value)); // stored, under its digest
    }
    expect(clients).toContain(client.client_id);
    expect(clients).not.toContain(client.client_secret!);
    const row = await server.database.db.selectFrom('clients').select('client_secret_sealed').executeTakeFirstOrThrow();
    expect(row.client_secret_sealed!.split('.')).toHaveLength(5); // compact JWE

    // Every use still finds them.
    expect((await oidc.fetchUserInfo(config, refreshed.access_token, sub)).email).toBe('digest@example.com');
    expect(await oidc.tokenIntrospection(config, refreshed.refresh_token!)).toMatchObject({ active: true, sub });
    // The session cookie still signs the user in: straight back to the client, no page.
    const next = await agent.follow((await authorizationRequest(config, { scope: 'openid email', prompt: '' })).url, {}, REDIRECT_URI);
    expect(next.url.href.startsWith(REDIRECT_URI)).toBe(true);
    const again = await oidc.refreshTokenGrant(config, refreshed.refresh_token!);
    await oidc.tokenRevocation(config, again.refresh_token!);
    expect((await oidc.tokenIntrospection(config, again.refresh_token!)).active).toBe(false);
    await expect(oidc.refreshTokenGrant(config, again.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // A wrong secret is still refused.
    const wrong = await discover(server.url, client.client_id, 'not-the-secret');
    await expect(oidc.tokenIntrospection(wrong, 'x')).rejects.toMatchObject({ error: 'invalid_client' });
  });

  it('takes no stored digest for the credential', async () => {
    const client = await server.services.clients.create({ client_name: 'Digest', redirect_uris: [REDIRECT_URI] });
    const config = await discover(server.url, client.client_id, client.client_secret);
    const auth = await authorizationRequest(config);
    const callback = await signInAndConsent(new FormAgent(), auth.url, { email: 'stolen@example.com', signUp: true });
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
    const rows = await server.database.db.selectFrom('oidc_payloads').select('id').where('kind', '=', 'AccessToken').execute();
    for (const { id } of rows) {
      for (const presented of [id, `sha256:${id}`]) expect((await oidc.tokenIntrospection(config, presented)).active).toBe(false);
    }
    const refresh = await server.database.db.selectFrom('oidc_payloads').select('id').where('kind', '=', 'RefreshToken').executeTakeFirstOrThrow();
    await expect(oidc.refreshTokenGrant(config, `sha256:${refresh.id}`)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(true);
  });
});

/** A fresh database of its own (not migrated): in memory, or a database on the server. */
async function freshDatabase(engine: Engine): Promise<DatabaseHandle & { drop(): Promise<void> }> {
  if (engine === 'pglite') {
    const handle = await openDatabase({ kind: 'memory' });
    return { ...handle, drop: () => handle.close() };
  }
  const database = await freshPostgresDatabase(`t_${randomBytes(6).toString('hex')}`);
  const handle = await openDatabase({ kind: 'postgres', url: database.url }, { poolSize: 3 });
  return {
    ...handle,
    async drop() {
      await handle.close();
      await database.drop();
    },
  };
}

/** Serves the app over an existing database, as a restarted node would. */
async function serve(database: DatabaseHandle): Promise<{ url: string; close(): Promise<void> }> {
  const http: Server = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://localhost:${(http.address() as AddressInfo).port}`;
  const config = loadConfig({}, { NODE_ENV: 'test', ISSUER: url, DATABASE_URL: 'memory://', LOG_LEVEL: 'silent', CLEANUP_INTERVAL_SECONDS: 0, ...testSecrets() });
  const app = createApp(await createServices(config, database, createLogger('silent'))).callback();
  http.on('request', (req, res) => void app(req, res));
  return {
    url,
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

describe.each(engines())('upgrading a database with raw credentials (%s)', (engine) => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;

  beforeAll(async () => {
    database = await freshDatabase(engine);
  });
  afterAll(() => database?.drop());

  it('digests stored tokens and sessions (migration 0005) and seals client secrets at startup', async () => {
    const { db } = database;
    const done = await migrator(db).migrateTo('0004_grant_lookup');
    expect(done.error).toBeUndefined();

    const raw = { access: randomBytes(32).toString('base64url'), refresh: randomBytes(32).toString('base64url'), session: randomBytes(32).toString('base64url') };
    const secret = randomBytes(32).toString('base64url');
    const clientId = 'legacy-client';
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const later = new Date(Date.now() + 3600_000);
    const token = (kind: string, jti: string) => ({ kind, jti, exp, iat: exp - 3600, clientId, accountId: 'acc-1', grantId: 'grant-1', scope: 'openid' });
    const rows = [
      { kind: 'AccessToken', id: raw.access, payload: token('AccessToken', raw.access), grant_id: 'grant-1', uid: null },
      { kind: 'RefreshToken', id: raw.refresh, payload: { ...token('RefreshToken', raw.refresh), iiat: exp - 3600 }, grant_id: 'grant-1', uid: null },
      { kind: 'Grant', id: 'grant-1', payload: { kind: 'Grant', jti: 'grant-1', exp, iat: exp - 3600, clientId, accountId: 'acc-1' }, grant_id: null, uid: null },
      { kind: 'Session', id: raw.session, payload: { kind: 'Session', jti: raw.session, uid: 'sess-uid', accountId: 'acc-1', exp, iat: exp - 3600 }, grant_id: null, uid: 'sess-uid' },
      { kind: 'Interaction', id: 'int-1', payload: { kind: 'Interaction', jti: 'int-1', exp, iat: exp - 3600, session: { uid: 'sess-uid', cookie: raw.session, accountId: 'acc-1' } }, grant_id: null, uid: null },
    ];
    for (const r of rows) {
      await sql`insert into oidc_payloads (kind, id, payload, grant_id, uid, expires_at) values (${r.kind}, ${r.id}, ${JSON.stringify(r.payload)}, ${r.grant_id}, ${r.uid}, ${later})`.execute(db);
    }
    const metadata = { client_id: clientId, client_secret: secret, redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic', client_name: 'Legacy' };
    await sql`insert into clients (client_id, metadata) values (${clientId}, ${JSON.stringify(metadata)})`.execute(db);

    await migrateToLatest(db);
    const afterMigration = await dump(db);
    for (const value of Object.values(raw)) expect(afterMigration.payloads).not.toContain(value);
    expect(afterMigration.payloads).toContain('grant-1'); // grant ids stay as they are

    const adapter = adapterFactory(db, database.statements, new ClientCache(), { operatorKey: new Uint8Array(32), refreshTokenReuseGraceSeconds: 10 });
    expect(await adapter('AccessToken').find(raw.access)).toMatchObject({ jti: raw.access, accountId: 'acc-1', grantId: 'grant-1' });
    expect(await adapter('RefreshToken').find(raw.refresh)).toMatchObject({ jti: raw.refresh, grantId: 'grant-1' });
    expect(await adapter('Session').find(raw.session)).toMatchObject({ jti: raw.session, uid: 'sess-uid' });
    expect(await adapter('Session').findByUid('sess-uid')).toMatchObject({ accountId: 'acc-1' });
    expect(await adapter('Grant').find('grant-1')).toMatchObject({ jti: 'grant-1', accountId: 'acc-1' });
    expect(await adapter('Interaction').find('int-1')).toEqual(expect.objectContaining({ session: { uid: 'sess-uid', accountId: 'acc-1' } }));

    // The secret is still in clear until a node starts with the operator key.
    expect(afterMigration.clients).toContain(secret);
    const node = await serve(database);
    try {
      expect((await dump(db)).clients).not.toContain(secret);
      const config = await discover(node.url, clientId, secret);
      expect((await oidc.tokenIntrospection(config, 'unknown')).active).toBe(false); // client_secret_basic passed
      const wrong = await discover(node.url, clientId, 'not-the-secret');
      await expect(oidc.tokenIntrospection(wrong, 'unknown')).rejects.toMatchObject({ error: 'invalid_client' });
    } finally {
      await node.close();
    }
  });
});

describe('the embedded database folder', () => {
  const parent = mkdtempSync(join(tmpdir(), 'wathiqa-datadir-'));
  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  it('is created to the owner only (0700) when a server starts on a fresh one', async () => {
    const dataDir = join(parent, 'fresh');
    // Secrets given: config's own dev-secrets file (which makes the folder too) stays out of it.
    const config = loadConfig({}, { DATA_DIR: dataDir, PORT: 0, HOST: '127.0.0.1', LOG_LEVEL: 'silent', CLEANUP_INTERVAL_SECONDS: 0, ...testSecrets() });
    const running = await startServer(config);
    try {
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    } finally {
      await running.close();
    }
  });

  it('is tightened to 0700 when an older install left it readable', () => {
    const dataDir = join(parent, 'loose');
    mkdirSync(dataDir, { mode: 0o755 });
    const lock = DataDirLock.acquire(dataDir);
    lock.release();
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  });
});
