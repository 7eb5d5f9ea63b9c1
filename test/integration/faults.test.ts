import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import * as oidc from 'openid-client';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { ROOT } from '../../src/paths.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { FormAgent } from '../helpers/agent.js';
import { engines } from '../helpers/db.js';
import { authorizationRequest, discover, REDIRECT_URI, signInAndConsent } from '../helpers/flow.js';
import { startTestServer, testSecrets, type TestServer } from '../helpers/server.js';
import { ensureBuilt } from '../helpers/build.js';
import { freePort } from '../helpers/example.js';
import { PROCESS_START_TIMEOUT_MS } from '../helpers/timeouts.js';

/**
 * Faults a node must survive: slow clients, a shutdown with requests in flight, and
 * the database going away (PostgreSQL: terminated backends, refused connections).
 */

const quiet = { LOG_LEVEL: 'silent', PORT: 0, HOST: '127.0.0.1', DATABASE_URL: 'memory://', CLEANUP_INTERVAL_SECONDS: 0 } as const;
const MAIN = join(ROOT, 'dist', 'src', 'main.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));



interface Child {
  process: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** `node dist/src/main.js` on a port of its own, as operators run it. */
async function spawnServer(env: Record<string, string>): Promise<Child> {
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      ISSUER: url,
      LOG_LEVEL: 'info',
      ARGON2_MEMORY_KIB: '8192',
      ARGON2_TIME_COST: '1',
      CLEANUP_INTERVAL_SECONDS: '0',
      ...testSecrets(),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${out}`)), PROCESS_START_TIMEOUT_MS);
    const check = () => {
      if (out.includes('"listening"')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => reject(new Error(`the server exited with ${code}: ${out}`)));
  });
  return { process: child, url, output: () => out, exited };
}

async function stopChild(child: Child): Promise<number | null> {
  if (child.process.exitCode !== null) return child.process.exitCode;
  child.process.kill('SIGTERM');
  return child.exited;
}

/** Polls until `probe` resolves truthy, or fails after `ms`. */
async function eventually<T>(probe: () => Promise<T>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await sleep(100);
  }
  throw new Error(`not within ${ms} ms: ${String(last)}`);
}

describe('slow clients', () => {
  let running: RunningServer;
  beforeAll(async () => {
    running = await startServer(loadConfig({}, { ...quiet, HEADERS_TIMEOUT_SECONDS: 1, REQUEST_TIMEOUT_SECONDS: 2 }));
  });
  afterAll(() => running?.close());

  it('closes connections that never finish their headers or body, and keeps answering', async () => {
    const { port } = running.server.address() as AddressInfo;
    const started = Date.now();
    const sockets: Socket[] = [];
    const closedAfter: Promise<number>[] = [];
    for (let i = 0; i < 200; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      closedAfter.push(new Promise((r) => socket.once('close', () => r(Date.now() - started))));
      socket.once('connect', () => {
        if (i % 4 === 0) socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: '); // headers never end
        else socket.write('POST /token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type='); // body never ends
      });
      sockets.push(socket);
    }
    // The node keeps serving others meanwhile.
    const health: number[] = [];
    const poll = (async () => {
      while (Date.now() - started < 4500) {
        health.push((await fetch(`${running.url}/healthz`)).status);
        await sleep(200);
      }
    })();
    const open = () => sockets.filter((s) => !s.destroyed && !s.closed).length;
    const all = Promise.all(closedAfter);
    const outcome = await Promise.race([all, sleep(6000).then(() => 'timeout' as const)]);
    await poll;
    const verdict = outcome === 'timeout' ? `${open()} of 200 still open after 6 s` : 'all closed';
    for (const s of sockets) s.destroy();
    expect(verdict).toBe('all closed');
    expect(Math.max(...(outcome as number[]))).toBeLessThan(5000);
    expect(health.length).toBeGreaterThan(5);
    expect(new Set(health)).toEqual(new Set([200]));
  });
});

/** POST /token/introspection with the body sent in two parts: in flight until `finish()`. */
function slowIntrospection(agent: Agent, url: string, clientId: string, secret: string) {
  const body = 'token=not-a-real-token-but-long-enough';
  const req = request(`${url}/token/introspection`, {
    agent,
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(body.length),
    },
  });
  const response = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body: text }));
      res.on('error', reject);
    });
  });
  req.write(body.slice(0, 10));
  return { response, finish: () => req.end(body.slice(10)) };
}

describe('shutdown with keep-alive connections', () => {
  it('answers requests in flight with Connection: close and finishes long before the grace period', async () => {
    const running = await startServer(loadConfig({}, { ...quiet, SHUTDOWN_GRACE_SECONDS: 10 }));
    const client = await running.services.clients.create({ client_name: 'Drain', redirect_uris: [REDIRECT_URI] });
    const agent = new Agent({ keepAlive: true, maxSockets: 50 });
    try {
      // 50 kept-alive connections: 40 will be busy at shutdown, 10 idle.
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          const warm = slowIntrospection(agent, running.url, client.client_id, client.client_secret!);
          warm.finish();
          expect((await warm.response).connection).toBe('keep-alive');
        }),
      );
      const inFlight = Array.from({ length: 40 }, () => slowIntrospection(agent, running.url, client.client_id, client.client_secret!));
      await sleep(200);
      const t0 = Date.now();
      const closed = running.close().then(() => Date.now() - t0);
      await sleep(100);
      for (const r of inFlight) r.finish();
      const answers = await Promise.all(inFlight.map((r) => r.response));
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(JSON.parse(answer.body)).toEqual({ active: false });
        expect(answer.connection).toBe('close');
      }
      expect(await closed).toBeLessThan(2000);
    } finally {
      agent.destroy();
      await running.close();
    }
  });

  it('drains and exits on SIGTERM in a real process, in well under the grace period', async () => {
    ensureBuilt(MAIN);
    const dir = mkdtempSync(join(tmpdir(), 'wathiqa-faults-'));
    const adminToken = randomBytes(32).toString('base64url');
    const child = await spawnServer({ DATA_DIR: dir, SHUTDOWN_GRACE_SECONDS: '10', ADMIN_TOKEN: adminToken });
    const agent = new Agent({ keepAlive: true, maxSockets: 40 });
    try {
      const created = await fetch(`${child.url}/admin/clients`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'Drain', redirect_uris: [REDIRECT_URI] }),
      });
      expect(created.status).toBe(201);
      const { client_id, client_secret } = (await created.json()) as { client_id: string; client_secret: string };
      const inFlight = Array.from({ length: 40 }, () => slowIntrospection(agent, child.url, client_id, client_secret));
      await sleep(300);
      const t0 = Date.now();
      child.process.kill('SIGTERM');
      await sleep(200);
      for (const r of inFlight) r.finish();
      const answers = await Promise.all(inFlight.map((r) => r.response));
      expect(answers.map((a) => `${a.status} ${a.connection}`)).toEqual(Array(40).fill('200 close'));
      expect(await child.exited).toBe(0);
      expect(Date.now() - t0).toBeLessThan(2500);
    } finally {
      agent.destroy();
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(engines())('a refresh that fails keeps the refresh token valid (%s)', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine, { REFRESH_TOKEN_REUSE_GRACE_SECONDS: 0 });
  });
  afterAll(() => server?.close());

  it('does not spend the old token when saving its successor fails', async () => {
    const client = await server.services.clients.create({ client_name: 'Chain', redirect_uris: [REDIRECT_URI] });
    const config = await discover(server.url, client.client_id, client.client_secret);
    const auth = await authorizationRequest(config);
    const callback = await signInAndConsent(new FormAgent(), auth.url, { email: `chain-${engine}@example.com`, signUp: true });
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });

    // Saving the new refresh token fails after the old one was (or would have been) spent.
    // On PostgreSQL the connection itself dies mid-statement, as in a restart.
    const fault = engine === 'postgres' ? 'perform pg_terminate_backend(pg_backend_pid());' : "raise exception 'injected fault';";
    await sql
      .raw(
        `create function wq_fault() returns trigger language plpgsql as $$ begin
           if new.kind = 'RefreshToken' then ${fault} end if; return new; end $$`,
      )
      .execute(server.database.db);
    await sql.raw('create trigger wq_fault before insert on oidc_payloads for each row execute function wq_fault()').execute(server.database.db);
    let failed: Response;
    try {
      failed = await refresh(server.url, client.client_id, client.client_secret!, tokens.refresh_token!);
    } finally {
      await sql.raw('drop trigger wq_fault on oidc_payloads').execute(server.database.db);
      await sql.raw('drop function wq_fault()').execute(server.database.db);
    }
    const again = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(again.refresh_token).toBeTruthy();
    expect(failed.status).toBe(engine === 'postgres' ? 503 : 500);
    if (engine === 'postgres') expect(await failed.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect((await oidc.refreshTokenGrant(config, again.refresh_token!)).access_token).toBeTruthy();
  });
});

function refresh(url: string, clientId: string, secret: string, refreshToken: string): Promise<Response> {
  return fetch(`${url}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
  });
}

const postgresUrl = process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : undefined;

(postgresUrl ? describe : describe.skip)('PostgreSQL going away under a running node', () => {
  // A database of its own: terminating its backends touches no other test's connections.
  const database = `wq_faults_${randomBytes(5).toString('hex')}`;
  const adminToken = randomBytes(32).toString('base64url');
  let admin: pg.Client;
  let child: Child;
  let dir: string;

  const terminate = () =>
    admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [database]);
  const alive = () => child.process.exitCode === null && child.process.signalCode === null;
  const ready = async () => (await fetch(`${child.url}/readyz`)).status;

  beforeAll(async () => {
    ensureBuilt(MAIN);
    admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`create database ${database}`);
    const url = new URL(postgresUrl!);
    url.pathname = `/${database}`;
    dir = mkdtempSync(join(tmpdir(), 'wathiqa-faults-pg-'));
    child = await spawnServer({ DATABASE_URL: url.href, DATA_DIR: dir, ADMIN_TOKEN: adminToken });
  }, 240_000);

  afterAll(async () => {
    if (child) await stopChild(child);
    if (admin) {
      await admin.query(`alter database ${database} allow_connections true`).catch(() => undefined);
      await admin.query(`drop database if exists ${database} with (force)`);
      await admin.end();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function signIn(config: oidc.Configuration, email: string, signUp: boolean) {
    const auth = await authorizationRequest(config);
    const callback = await signInAndConsent(new FormAgent(), auth.url, { email, signUp });
    return oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
  }

  it('survives terminated backends and a refusing database, then serves again with the same refresh tokens', async () => {
    const created = await fetch(`${child.url}/admin/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Faults', redirect_uris: [REDIRECT_URI] }),
    });
    expect(created.status).toBe(201);
    const { client_id, client_secret } = (await created.json()) as { client_id: string; client_secret: string };
    const config = await discover(child.url, client_id, client_secret);
    const first = await signIn(config, 'outage@example.com', true);
    let refreshToken = first.refresh_token!;

    // 1. Every backend terminated (what a restart or failover does to open connections).
    await terminate();
    await sleep(300);
    expect(alive()).toBe(true);
    expect((await fetch(`${child.url}/healthz`)).status).toBe(200);
    await eventually(async () => (await ready()) === 200, 5000);
    refreshToken = (await oidc.refreshTokenGrant(config, refreshToken)).refresh_token!;
    await signIn(config, 'outage@example.com', false);

    // 2. The database refuses connections for a while.
    await admin.query(`alter database ${database} allow_connections false`);
    await terminate();
    await sleep(300);
    const t0 = Date.now();
    expect(await ready()).toBe(503);
    expect(Date.now() - t0).toBeLessThan(3000);
    const during = await refresh(child.url, client_id, client_secret, refreshToken);
    expect(during.status).toBe(503);
    expect(await during.json()).toMatchObject({ error: 'temporarily_unavailable' });
    const page = await fetch(`${child.url}/account/login`);
    expect(page.status).toBe(503);
    const api = await fetch(`${child.url}/admin/clients`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(api.status).toBe(503);
    expect(await api.json()).toMatchObject({ error: 'temporarily_unavailable' });
    await sleep(2000);
    expect(alive()).toBe(true);

    // 3. It comes back: the node serves again within seconds, without a restart,
    // and the refresh token held through the outage still works.
    await admin.query(`alter database ${database} allow_connections true`);
    const back = Date.now();
    await eventually(async () => (await ready()) === 200, 5000);
    expect(Date.now() - back).toBeLessThan(5000);
    const after = await oidc.refreshTokenGrant(config, refreshToken);
    expect(after.access_token).toBeTruthy();
    expect((await oidc.refreshTokenGrant(config, after.refresh_token!)).refresh_token).toBeTruthy();
    expect((await signIn(config, 'outage@example.com', false)).refresh_token).toBeTruthy();
    expect(alive()).toBe(true);

    // The loss was logged at warn, without the connection string.
    expect(child.output()).toContain('database connection lost');
    expect(child.output()).not.toContain(postgresUrl!);
  });
});
