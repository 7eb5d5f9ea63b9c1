import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { loadConfig } from '../../src/config.js';
import { DataDirLock } from '../../src/db/lock.js';
import { ROOT } from '../../src/paths.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { ensureBuilt } from '../helpers/build.js';
import { freshPostgresDatabase, httpEngines, type Engine } from '../helpers/db.js';

/**
 * The compiled CLI, spawned as operators run it. Every command on its own (direct)
 * on one engine: PostgreSQL when DATABASE_URL names one (a fresh database), else an
 * embedded PGlite data directory; ALL_ENGINES=1 runs both. Then, always on an
 * embedded data directory: a few commands that open it themselves (PGlite boots
 * from disk in each, seconds apiece on a loaded machine, hence only a few), and the
 * operator commands while a server holds it (through the server's admin socket).
 */

const BIN = join(ROOT, 'bin', 'wathiqa.js');
const ENTRY = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const PASSWORD = 'correct horse battery staple 42';


interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Where a spawned CLI works: its database (a data directory, or a PostgreSQL URL) and its current directory. */
interface Target {
  dir: string;
  databaseUrl?: string;
}

function cliEnv(target: Target): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: target.dir, ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1' };
  for (const key of ['DATABASE_URL', 'ADMIN_TOKEN', 'LOG_LEVEL', 'NODE_OPTIONS', 'NODE_ENV', 'PORT', 'ISSUER', 'COOKIE_KEYS', 'OPERATOR_KEY']) {
    delete env[key];
  }
  if (target.databaseUrl) env.DATABASE_URL = target.databaseUrl;
  return env;
}

/** The CLI on `target` (read at each call: it is filled in by a beforeAll). */
function cliOn(target: Target) {
  /** Asynchronous on purpose: in the socket tests the server answering the CLI runs in this very process. */
  function cli(args: string[], input?: string): Promise<Result> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: target.dir, env: cliEnv(target), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(input ?? '');
    });
  }
  async function ok(args: string[], input?: string): Promise<string> {
    const result = await cli(args, input);
    if (result.code !== 0) throw new Error(`wathiqa ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  }
  const okJson = async <T = unknown>(args: string[], input?: string): Promise<T> => JSON.parse(await ok([...args, '--json'], input)) as T;
  return { cli, ok, okJson };
}

/** A public JWK with its use and kid, as an operator's JWKS file holds it. */
async function testJwk(alg: string, use: 'sig' | 'enc', kid: string): Promise<Record<string, unknown>> {
  const { publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  return { ...(await exportJWK(publicKey)), use, kid };
}

type Client = { client_id: string; client_secret?: string; client_name: string; redirect_uris: string[] };
type Key = { kid: string; alg: string; status: 'active' | 'retired' };
const activeKids = (keys: Key[]) => keys.filter((k) => k.status === 'active').map((k) => k.kid).sort();
type AuditLine = { action: string; actor: { kind: string; label: string }; details: { executed: string[] } };
const auditLines = (text: string) => text.trim().split('\n').map((l) => JSON.parse(l) as AuditLine);

beforeAll(() => {
  ensureBuilt(ENTRY);
});

describe.each(httpEngines())('wathiqa CLI without a server (direct, %s)', (engine: Engine) => {
  const target: Target = { dir: '' };
  const { cli, ok, okJson } = cliOn(target);
  let dropDatabase = async () => {};

  beforeAll(async () => {
    target.dir = mkdtempSync(join(tmpdir(), 'wathiqa-cli-'));
    if (engine === 'postgres') {
      const database = await freshPostgresDatabase('cli');
      target.databaseUrl = database.url;
      dropDatabase = database.drop;
    }
  });
  afterAll(async () => {
    await dropDatabase();
    if (target.dir) rmSync(target.dir, { recursive: true, force: true });
  });

  let demo: Client;

  it('creates a client and prints its id and secret as JSON', async () => {
    demo = await okJson<Client>(['clients', 'create', '--name', 'Demo', '--redirect-uri', 'http://localhost:4000/cb']);
    expect(demo.client_id).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(demo.client_secret).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(demo.client_name).toBe('Demo');
    expect(demo.redirect_uris).toEqual(['http://localhost:4000/cb']);
  });

  it('lists and shows the client, never with its secret', async () => {
    const list = await okJson<Client[]>(['clients', 'list']);
    expect(list.map((c) => c.client_id)).toEqual([demo.client_id]);
    expect(JSON.stringify(list)).not.toContain(demo.client_secret);
    const human = await ok(['clients', 'show', demo.client_id]);
    expect(human).toContain(demo.client_id);
    expect(human).toContain('http://localhost:4000/cb');
    expect(human).not.toContain(demo.client_secret);
  });

  it('registers a public client with a public JWKS from a file, and refuses a private one', async () => {
    const jwk = { kty: 'EC', crv: 'P-256', kid: 'rp-enc', use: 'enc', alg: 'ECDH-ES+A256KW', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' };
    const file = join(target.dir, 'rp.jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [jwk] }));
    const spa = await okJson<Client & { token_endpoint_auth_method: string; jwks: unknown }>([
      'clients', 'create', '--name', 'SPA', '--public', '--redirect-uri', 'http://localhost:4001/cb', '--jwks-file', file,
    ]);
    expect(spa.client_secret).toBeUndefined();
    expect(spa.token_endpoint_auth_method).toBe('none');
    expect(spa.jwks).toEqual({ keys: [jwk] });

    writeFileSync(file, JSON.stringify({ keys: [{ ...jwk, d: 'jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI' }] }));
    const refused = await cli(['clients', 'create', '--name', 'Leaky', '--redirect-uri', 'http://localhost:4002/cb', '--jwks-file', file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/private key/);
    expect(refused.stderr).not.toContain('jpsQnn');

    expect(await ok(['clients', 'delete', spa.client_id])).toContain(spa.client_id);
  });

  it('sets the ID token algorithm with --id-token-alg; RS256 when not given', async () => {
    const ps = await okJson<Client & { id_token_signed_response_alg?: string }>([
      'clients', 'create', '--name', 'PS', '--redirect-uri', 'http://localhost:4003/cb', '--id-token-alg', 'PS256',
    ]);
    expect(ps.id_token_signed_response_alg).toBe('PS256');
    expect(await ok(['clients', 'show', ps.client_id])).toMatch(/^id_token_alg\s+PS256$/m);
    expect(await ok(['clients', 'show', demo.client_id])).toMatch(/^id_token_alg\s+RS256 \(default\)$/m);
    const refused = await cli(['clients', 'create', '--name', 'HS', '--redirect-uri', 'http://localhost:4004/cb', '--id-token-alg', 'HS256']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/RS256, PS256, ES256, EdDSA/);
    await ok(['clients', 'delete', ps.client_id]);
  });

  it('registers a verifier with --verifier, and refuses one the rules refuse', async () => {
    const file = join(target.dir, 'verifier.jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [await testJwk('ECDH-ES+A256KW', 'enc', 'v-enc'), await testJwk('EdDSA', 'sig', 'v-sig')] }));
    const args = ['clients', 'create', '--name', 'Verifier', '--redirect-uri', 'http://localhost:4005/cb', '--verifier', '--jwks-file', file];
    const attests = ['--attested-type', 'passport', '--attested-type', 'identity_card', '--trust-framework', 'eidas', '--policy-uri', 'https://verifier.example/policy'];
    const created = await okJson<Client & Record<string, unknown>>([...args, ...attests]);
    expect(created).toMatchObject({
      scope: 'openid passport',
      verifier: true,
      verifier_attested_types: ['passport', 'identity_card'],
      verifier_trust_framework: 'eidas',
      policy_uri: 'https://verifier.example/policy',
    });
    const shown = await ok(['clients', 'show', created.client_id]);
    expect(shown).toMatch(/^verifier\s+yes$/m);
    expect(shown).toMatch(/^attested_types\s+passport$/m);
    expect(shown).toMatch(/^trust_framework\s+eidas$/m);

    // The server's rules, in one line: an RS256 signing key, an unknown type, an http policy.
    writeFileSync(file, JSON.stringify({ keys: [await testJwk('ECDH-ES+A256KW', 'enc', 'v-enc'), await testJwk('RS256', 'sig', 'v-rsa')] }));
    const rsa = await cli([...args, ...attests]);
    expect(rsa.code).toBe(1);
    expect(rsa.stderr).toMatch(/^wathiqa: .*signing key must be ES256 .* or EdDSA .*\n$/);
    writeFileSync(file, JSON.stringify({ keys: [await testJwk('ECDH-ES+A256KW', 'enc', 'v-enc'), await testJwk('ES256', 'sig', 'v-sig')] }));
    const unknown = await cli([...args, ...attests, '--attested-type', 'tax_return']);
    expect(unknown.stderr).toMatch(/unknown element type "tax_return"/);
    const http = await cli([...args, ...attests.slice(0, -1), 'http://verifier.example/policy']);
    expect(http.stderr).toMatch(/policy_uri must be an https URL/);
    // Verifier options without --verifier are a usage error.
    expect((await cli(['clients', 'create', '--name', 'X', '--redirect-uri', 'http://localhost:4006/cb', '--trust-framework', 'eidas'])).code).toBe(2);

    await ok(['clients', 'delete', created.client_id]);
  });

  it('creates a user with the password on stdin, and refuses a common one', async () => {
    const user = await okJson<{ id: string; email: string }>(['users', 'create', '--email', 'alice@example.com', '--password-stdin'], `${PASSWORD}\n`);
    expect(user).toEqual(expect.objectContaining({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), email: 'alice@example.com' }));
    const common = await cli(['users', 'create', '--email', 'bob@example.com', '--password', 'password123']);
    expect(common.code).toBe(1);
    expect(common.stderr.trim().split('\n')).toHaveLength(1);
    expect(common.stderr).toMatch(/common/);
    expect(common.stderr).not.toContain('password123');
    const users = await okJson<{ email: string }[]>(['users', 'list']);
    expect(users.map((u) => u.email)).toEqual(['alice@example.com']);
  });

  it('rotates the signing keys and migrates', async () => {
    const before = await okJson<Key[]>(['keys', 'list']);
    const after = await okJson<Key[]>(['keys', 'rotate']);
    expect(activeKids(after)).toHaveLength(3);
    for (const kid of activeKids(before)) {
      expect(activeKids(after)).not.toContain(kid);
      expect(after.find((k) => k.kid === kid)?.status).toBe('retired');
    }
    const migrated = await okJson<{ executed: string[]; applied: string[]; pending: string[] }>(['migrate']);
    expect(migrated).toEqual({ executed: [], applied: expect.arrayContaining(['0001_initial']), pending: [] });
  });

  it('reports errors in one line without a stack, and usage errors with exit code 2', async () => {
    const missing = await cli(['clients', 'show', 'no-such-client']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('wathiqa: no client with this client_id\n');
    expect(missing.stdout).toBe('');

    const invalid = await cli(['clients', 'create', '--name', 'Bad', '--redirect-uri', 'not a url']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^wathiqa: redirect_uris\.0: .+\n$/);
    expect(invalid.stderr).not.toMatch(/\bat .+:\d+:\d+/);

    for (const args of [['clients', 'create', '--redirect-uri', 'http://localhost:4000/cb'], ['users', 'nope'], ['clients', 'create', '--name', 'X', '--bogus']]) {
      const usage = await cli(args);
      expect(usage.code).toBe(2);
    }
    expect((await cli(['--help'])).code).toBe(0);
  });
  // Further operator commands run through the server below (each direct one on an embedded database boots it).
  it('grants the operator role by email; the change and the migrations are in the audit trail as the CLI on the host', async () => {
    const dora = await okJson<{ id: string }>(['users', 'create', '--email', 'dora@example.com', '--password-stdin'], PASSWORD);
    const granted = await okJson<{ id: string; email: string; changed: boolean }>(['users', 'grant-operator', 'Dora@Example.com']);
    expect(granted).toEqual({ id: dora.id, email: 'dora@example.com', changed: true });
    const lines = auditLines(await ok(['audit', '--target', dora.id]));
    expect(lines.map((l) => l.action)).toEqual(['user.create', 'operator.grant']);
    for (const line of lines) {
      expect(line.actor.kind).toBe('cli');
      expect(line.actor.label).toMatch(/^CLI on the host( \(.+\))?$/);
    }
    // The first command on the new database applied the migrations: that is recorded too.
    const migrated = auditLines(await ok(['audit', '--action', 'migrate']));
    expect(migrated[0]!.details.executed).toEqual(expect.arrayContaining(['0001_initial', '0016_operators_audit']));
  });
});

describe('wathiqa CLI on an embedded database', () => {
  const target: Target = { dir: '' };
  const { cli, ok, okJson } = cliOn(target);
  let dataDir: string;
  let demo: Client;

  beforeAll(() => {
    dataDir = target.dir = mkdtempSync(join(tmpdir(), 'wathiqa-cli-'));
  });
  afterAll(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens it itself when nobody holds it, and lets it go when done', async () => {
    demo = await okJson<Client>(['clients', 'create', '--name', 'Demo', '--redirect-uri', 'http://localhost:4000/cb']);
    expect(demo.client_secret).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(DataDirLock.holder(dataDir)).toBeUndefined();
    const dora = await okJson<{ id: string }>(['users', 'create', '--email', 'dora@example.com', '--password-stdin'], PASSWORD);
    expect((await okJson<{ id: string; changed: boolean }>(['users', 'grant-operator', 'dora@example.com'])).id).toBe(dora.id);
    expect(DataDirLock.holder(dataDir)).toBeUndefined();
  });

  describe('while a server holds it (socket)', () => {
    let running: RunningServer;

    beforeAll(async () => {
      running = await startServer(
        loadConfig({}, { DATA_DIR: dataDir, PORT: 0, HOST: '127.0.0.1', LOG_LEVEL: 'silent', CLEANUP_INTERVAL_SECONDS: 0 }),
      );
    });
    afterAll(() => running?.close());

    it('sees what the direct CLI wrote', async () => {
      expect(DataDirLock.holder(dataDir)).toBe(process.pid);
      expect(running.adminSocket).toBeDefined();
      expect((await running.services.clients.show(demo.client_id))?.client_name).toBe('Demo');
    });

    it('creates a client through the server, which sees it at once', async () => {
      const live = await okJson<Client>(['clients', 'create', '--name', 'Live', '--redirect-uri', 'http://localhost:5000/cb']);
      expect(live.client_secret).toBeTruthy();
      const seen = await running.services.clients.show(live.client_id);
      expect(seen).toEqual(expect.objectContaining({ client_id: live.client_id, client_name: 'Live' }));
      const list = await okJson<Client[]>(['clients', 'list']);
      expect(list.map((c) => c.client_name).sort()).toEqual(['Demo', 'Live']);
      // The server still holds the database: the CLI did not take it over.
      expect(DataDirLock.holder(dataDir)).toBe(process.pid);
    });

    it('creates users, rotates keys and migrates through the server', async () => {
      const user = await okJson<{ id: string; email: string }>(['users', 'create', '--email', 'carol@example.com', '--password-stdin'], PASSWORD);
      expect((await running.services.accounts.accounts.findById(user.id))?.email).toBe('carol@example.com');
      const taken = await cli(['users', 'create', '--email', 'carol@example.com', '--password-stdin'], PASSWORD);
      expect(taken.code).toBe(1);
      expect(taken.stderr).toMatch(/already exists/);

      const before = activeKids((await running.services.oidc.listKeys()) as Key[]);
      const after = await okJson<Key[]>(['keys', 'rotate']);
      expect(activeKids(after)).not.toEqual(before);
      expect(activeKids((await running.services.oidc.listKeys()) as Key[])).toEqual(activeKids(after));

      expect(await ok(['migrate'])).toMatch(/Nothing to migrate/);
      const missing = await cli(['clients', 'show', 'no-such-client']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe('wathiqa: no client with this client_id\n');
    });

    it('rotates a client secret and changes users through the server; the trail says CLI on the host', async () => {
      const rotated = await okJson<Client>(['clients', 'rotate-secret', demo.client_id]);
      expect(rotated.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(rotated.client_secret).not.toBe(demo.client_secret);
      expect((await running.services.oidc.provider.Client.find(demo.client_id))?.clientSecret).toBe(rotated.client_secret);
      const carol = (await running.services.accountAdmin.find({ email: 'carol@', limit: 1, offset: 0 }))[0]!;
      expect((await okJson<{ changed: boolean }>(['users', 'disable', carol.id])).changed).toBe(true);
      expect((await running.services.accountAdmin.details(carol.id))?.disabled).toBe(true);
      expect((await okJson<{ changed: boolean }>(['users', 'enable', carol.id])).changed).toBe(true);
      await ok(['users', 'grant-operator', 'carol@example.com']);
      expect(await running.services.operators.isOperator(carol.id)).toBe(true);

      const page = await running.services.audit.list({ actor: 'cli', limit: 10 });
      const actions = page.events.map((e) => `${e.action} ${e.target}`);
      expect(actions).toEqual(expect.arrayContaining([`client.secret.rotate ${demo.client_id}`, `user.disable ${carol.id}`, `user.enable ${carol.id}`, `operator.grant ${carol.id}`]));
      expect(page.events.every((e) => e.actor.label.startsWith('CLI on the host') && e.ip === null)).toBe(true);
      // Granting twice changes nothing; an unknown address and a bad filter are one-line errors; revoking is recorded.
      expect(await ok(['users', 'grant-operator', 'dora@example.com'])).toMatch(/nothing to do, dora@example.com is already an operator/);
      const nobody = await cli(['users', 'grant-operator', 'nobody@example.com']);
      expect(nobody.code).toBe(1);
      expect(nobody.stderr).toBe('wathiqa: no user with this email\n');
      expect(await ok(['users', 'revoke-operator', 'dora@example.com'])).toMatch(/revoke-operator: done for dora@example.com/);
      const dora = (await running.services.accountAdmin.find({ email: 'dora@', limit: 1, offset: 0 }))[0]!;
      expect((await ok(['audit', '--target', dora.id])).trim().split('\n').map((l) => (JSON.parse(l) as { action: string }).action)).toEqual(['user.create', 'operator.grant', 'operator.revoke']);
      const bad = await cli(['audit', '--since', 'yesterday']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/^wathiqa: since: /);

      const exported = await ok(['audit', '--target', demo.client_id]);
      expect(exported).not.toContain(rotated.client_secret);
      expect(exported).not.toContain(demo.client_secret!);
      expect(exported.trim().split('\n').map((l) => (JSON.parse(l) as { action: string }).action)).toEqual(['client.create', 'client.secret.rotate']);
    });
  });
});
