import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { adapterFactory, ClientCache, credentialDigest, removeExpired } from '../../src/oidc/adapter.js';
import { ensureSigningKeys, listSigningKeys, loadSigningJwks, removeExpiredKeys, rotateSigningKeys, RETIRED_KEY_RETENTION_SECONDS } from '../../src/oidc/keys.js';
import { Throttle } from '../../src/accounts/throttle.js';
import { migrateToLatest, openDatabase } from '../../src/db/index.js';
import { engines, freshPostgresDatabase, testDatabase, type TestDatabase } from '../helpers/db.js';

describe.each(engines())('storage (%s)', (engine) => {
  let database: TestDatabase;
  const operatorKey = new Uint8Array(randomBytes(32));

  beforeAll(async () => {
    database = await testDatabase(engine);
  });
  afterAll(() => database?.close());
  beforeEach(async () => {
    await database.reset();
    await sql`truncate signing_keys`.execute(database.db);
  });

  describe('the oidc-provider adapter', () => {
    const options = { operatorKey, refreshTokenReuseGraceSeconds: 0 };
    const adapter = (name: string) => adapterFactory(database.db, database.statements, new ClientCache(), options)(name);

    it('stores, finds, consumes and destroys', async () => {
      const codes = adapter('AuthorizationCode');
      await codes.upsert('c1', { grantId: 'g1', accountId: 'a1' }, 60);
      expect(await codes.find('c1')).toEqual({ grantId: 'g1', accountId: 'a1', jti: 'c1' });
      expect(await adapter('AccessToken').find('c1')).toBeUndefined(); // kinds do not mix
      await codes.consume('c1');
      expect((await codes.find('c1'))!.consumed).toEqual(expect.any(Number));
      await codes.destroy('c1');
      expect(await codes.find('c1')).toBeUndefined();
    });

    it('upserts in place', async () => {
      const sessions = adapter('Session');
      await sessions.upsert('s1', { uid: 'u1', accountId: 'a1' }, 60);
      await sessions.upsert('s1', { uid: 'u2', accountId: 'a2' }, 60);
      expect(await sessions.find('s1')).toEqual({ uid: 'u2', accountId: 'a2', jti: 's1' });
      expect(await sessions.findByUid('u1')).toBeUndefined();
      expect(await sessions.findByUid('u2')).toEqual({ uid: 'u2', accountId: 'a2', jti: expect.any(String) });
    });

    it('finds by user code', async () => {
      const devices = adapter('DeviceCode');
      await devices.upsert('d1', { userCode: 'ABCD-EFGH' }, 60);
      expect(await devices.findByUserCode('ABCD-EFGH')).toEqual({ userCode: 'ABCD-EFGH', jti: expect.any(String) });
      expect(await devices.findByUserCode('ZZZZ-ZZZZ')).toBeUndefined();
    });

    it('revokes everything of one grant, of its own kind only', async () => {
      const access = adapter('AccessToken');
      const refresh = adapter('RefreshToken');
      await access.upsert('a1', { grantId: 'g1' }, 60);
      await access.upsert('a2', { grantId: 'g2' }, 60);
      await refresh.upsert('r1', { grantId: 'g1' }, 60);
      await access.revokeByGrantId!('g1');
      expect(await access.find('a1')).toBeUndefined();
      expect(await access.find('a2')).toBeDefined();
      expect(await refresh.find('r1')).toBeDefined();
    });

    it('hides expired rows at once and cleans them up later', async () => {
      const tokens = adapter('AccessToken');
      await tokens.upsert('live', { grantId: 'g' }, 60);
      await tokens.upsert('dead', { grantId: 'g' }, 60);
      await database.db.updateTable('oidc_payloads').set({ expires_at: new Date(Date.now() - 120_000) }).where('id', '=', credentialDigest('dead')).execute();
      expect(await tokens.find('dead')).toBeUndefined();
      expect(await removeExpired(database.db, 60)).toBe(1);
      expect(await tokens.find('live')).toBeDefined();
    });

    it('reads a token and its grant in one round trip, and never serves a changed grant', async () => {
      const make = adapterFactory(database.db, database.statements, new ClientCache(), options);
      const [tokens, grants] = [make('AccessToken'), make('Grant')];
      await grants.upsert('g1', { accountId: 'a1', clientId: 'c1' }, 60);
      await tokens.upsert('t1', { grantId: 'g1' }, 60);
      expect(await tokens.find('t1')).toEqual({ grantId: 'g1', jti: 't1' });
      expect(await grants.find('g1')).toEqual({ accountId: 'a1', clientId: 'c1' });

      await tokens.find('t1'); // prefetches g1 again
      await grants.destroy('g1');
      expect(await grants.find('g1')).toBeUndefined();

      await grants.upsert('g2', { accountId: 'a2', clientId: 'c2' }, 60);
      await tokens.upsert('t2', { grantId: 'g2' }, 60);
      await tokens.find('t2');
      await grants.upsert('g2', { accountId: 'a2', clientId: 'c2', changed: true }, 60);
      expect(await grants.find('g2')).toEqual({ accountId: 'a2', clientId: 'c2', changed: true });
    });

    it('keeps clients in their own table', async () => {
      const clients = adapter('Client');
      await clients.upsert('client-1', { client_id: 'client-1', redirect_uris: ['https://rp.example/cb'] });
      expect(await clients.find('client-1')).toEqual({ client_id: 'client-1', redirect_uris: ['https://rp.example/cb'] });
      const row = await database.db.selectFrom('clients').selectAll().where('client_id', '=', 'client-1').executeTakeFirst();
      expect(row).toBeDefined();
      await clients.destroy('client-1');
      expect(await clients.find('client-1')).toBeUndefined();
    });
  });

  describe('signing keys', () => {
    it('are generated once, RSA first, and stored encrypted', async () => {
      await ensureSigningKeys(database.db, operatorKey);
      await ensureSigningKeys(database.db, operatorKey);
      const keys = await listSigningKeys(database.db);
      expect(keys.map((k) => k.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
      const jwks = await loadSigningJwks(database.db, operatorKey);
      // The RSA key names no alg: it signs RS256 (the default) and PS256.
      expect(jwks.map((k) => k.alg ?? k.kty)).toEqual(['RSA', 'ES256', 'EdDSA']);
      const rows = await database.db.selectFrom('signing_keys').select('sealed_jwk').execute();
      for (const row of rows) {
        expect(row.sealed_jwk.split('.')).toHaveLength(5); // compact JWE
        expect(row.sealed_jwk).not.toContain('"d"');
      }
    });

    it('refuse to load under another operator key, with a clear message', async () => {
      await ensureSigningKeys(database.db, operatorKey);
      await expect(loadSigningJwks(database.db, new Uint8Array(randomBytes(32)))).rejects.toThrow(/OPERATOR_KEY/);
    });

    it('rotate: new keys sign, old keys stay published until the retention ends', async () => {
      await ensureSigningKeys(database.db, operatorKey);
      const before = await listSigningKeys(database.db);
      const after = await rotateSigningKeys(database.db, operatorKey);
      expect(after.filter((k) => k.status === 'active')).toHaveLength(3);
      expect(after.filter((k) => k.status === 'retired').map((k) => k.kid).sort()).toEqual(before.map((k) => k.kid).sort());
      const jwks = await loadSigningJwks(database.db, operatorKey);
      const active = after.find((k) => k.status === 'active' && k.alg === 'RS256')!;
      expect(jwks[0]!.kid).toBe(active.kid); // the signing keys come first

      expect(await removeExpiredKeys(database.db)).toBe(0);
      await database.db
        .updateTable('signing_keys')
        .set({ retired_at: new Date(Date.now() - (RETIRED_KEY_RETENTION_SECONDS + 60) * 1000) })
        .where('retired_at', 'is not', null)
        .execute();
      expect(await removeExpiredKeys(database.db)).toBe(3);
    });
  });

  describe('throttle', () => {
    it('counts in a window and locks at the limit', async () => {
      const throttle = new Throttle(database.db);
      const limit = { max: 3, windowSeconds: 3600, lockSeconds: 600 };
      for (let i = 1; i <= 2; i++) expect(await throttle.hit('k', limit)).toBe(i);
      expect((await throttle.check('k', limit)).blocked).toBe(false);
      await throttle.hit('k', limit);
      const state = await throttle.check('k', limit);
      expect(state.blocked).toBe(true);
      expect(state.retryAfterSeconds).toBeGreaterThan(590);
      await throttle.clear('k');
      expect((await throttle.check('k', limit)).blocked).toBe(false);
    });

    it('starts a new window when the old one is over', async () => {
      const throttle = new Throttle(database.db);
      const limit = { max: 2, windowSeconds: 60 };
      await throttle.hit('w', limit);
      await throttle.hit('w', limit);
      expect((await throttle.check('w', limit)).blocked).toBe(true);
      await database.db.updateTable('throttle').set({ window_start: new Date(Date.now() - 120_000) }).where('key', '=', 'w').execute();
      expect((await throttle.check('w', limit)).blocked).toBe(false);
      expect(await throttle.hit('w', limit)).toBe(1);
    });

    it('counts concurrent hits exactly', async () => {
      const throttle = new Throttle(database.db);
      const limit = { max: 100, windowSeconds: 60 };
      await Promise.all(Array.from({ length: 20 }, () => throttle.hit('c', limit)));
      const row = await database.db.selectFrom('throttle').select('count').where('key', '=', 'c').executeTakeFirstOrThrow();
      expect(row.count).toBe(20);
    });

    it('settles a success in one statement: the IP gets its attempt back, the account starts afresh, also among takes in flight', async () => {
      const throttle = new Throttle(database.db);
      const limit = { max: 1000, windowSeconds: 60 };
      const counters = [{ key: 's:ip', limit }, { key: 's:account', limit }];
      const settle = () => throttle.settle({ clear: ['s:account'], forgive: ['s:ip'] });
      // Takes lock the IP row, then the account row; a settle in another order could deadlock (PostgreSQL would fail one).
      await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? throttle.take(counters) : settle())));
      const ipCount = async () => (await database.db.selectFrom('throttle').select('count').where('key', '=', 's:ip').executeTakeFirstOrThrow()).count;
      const before = await ipCount();
      await throttle.take(counters);
      expect(await ipCount()).toBe(before + 1);
      await settle();
      expect(await ipCount()).toBe(before);
      expect(await database.db.selectFrom('throttle').select('key').where('key', '=', 's:account').executeTakeFirst()).toBeUndefined();
    });
  });
});

/**
 * Two installs in one PostgreSQL database, each in a schema of its own: the second
 * migrates although the first one's migration tables are there (kysely's migrator
 * looked for its lock table in every schema and skipped making its own).
 */
(engines().includes('postgres') ? describe : describe.skip)('migrations beside another schema (postgres)', () => {
  it('migrate a schema while another schema holds migration tables of its own', async () => {
    const database = await freshPostgresDatabase('schemas');
    const open = (schema: string) => openDatabase({ kind: 'postgres', url: database.url }, { schema, poolSize: 2 });
    try {
      const first = await open('install_a');
      await migrateToLatest(first.db);
      await first.close();
      const second = await open('install_b');
      try {
        await migrateToLatest(second.db);
        const names = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(second.db);
        expect(names.rows.length).toBeGreaterThan(10);
      } finally {
        await second.close();
      }
    } finally {
      await database.drop();
    }
  });
});
