import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../src/db/index.js';

export type Engine = 'pglite' | 'postgres';

/** PGlite always; PostgreSQL too when DATABASE_URL points at one (CI does). */
export function engines(): Engine[] {
  return process.env.DATABASE_URL?.startsWith('postgres') ? ['pglite', 'postgres'] : ['pglite'];
}

/**
 * The engines a Chromium file runs on: one. What a page does does not depend on the
 * database, and every query runs on both engines in the integration tests; running
 * each browser journey twice doubled the suite's slowest half. PostgreSQL when
 * DATABASE_URL names one (CI: the production database), else PGlite;
 * E2E_ENGINES=all (or ALL_ENGINES=1) runs both.
 */
export function e2eEngines(): Engine[] {
  if (process.env.E2E_ENGINES === 'all' || process.env.ALL_ENGINES === '1') return engines();
  return process.env.DATABASE_URL?.startsWith('postgres') ? ['postgres'] : ['pglite'];
}

/**
 * The engines an integration file about HTTP behaviour runs on (protocol errors,
 * bad input, page access rules, the outbound fetcher): one, chosen as for Chromium
 * files. What such a file checks does not depend on the engine; every file about
 * storage (rows, transactions, limits, faults, the audit trail) keeps both.
 * ALL_ENGINES=1 runs both.
 */
export function httpEngines(): Engine[] {
  if (process.env.ALL_ENGINES === '1') return engines();
  return process.env.DATABASE_URL?.startsWith('postgres') ? ['postgres'] : ['pglite'];
}

const workerDatabases = new Map<string, Promise<string>>();

/**
 * DATABASE_URL for this Jest worker: a database of its own (`<name>_w<worker id>`,
 * created when missing), so files running in parallel never share one. A test that
 * terminates backends, or kysely's migrator (which looks for its lock table in every
 * schema of the database), then only ever meets its own worker's files.
 */
export function postgresUrl(): Promise<string> {
  const base = process.env.DATABASE_URL!;
  const worker = process.env.JEST_WORKER_ID ?? '1';
  let pending = workerDatabases.get(base);
  if (!pending) {
    pending = (async () => {
      const url = new URL(base);
      const name = `${decodeURIComponent(url.pathname.slice(1)) || 'postgres'}_w${worker}`;
      if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error('DATABASE_URL must name a database of letters, digits and _');
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      try {
        const exists = await admin.query('select 1 from pg_database where datname = $1', [name]);
        if (!exists.rowCount) await admin.query(`create database ${name}`).catch((error: { code?: string }) => {
          if (error.code !== '42P04') throw error; // made meanwhile by another process of this worker id
        });
      } finally {
        await admin.end();
      }
      url.pathname = `/${name}`;
      return url.href;
    })();
    workerDatabases.set(base, pending);
  }
  return pending;
}

export interface TestDatabase extends DatabaseHandle {
  /** Empties every table but the signing keys and the migration log. */
  reset(): Promise<void>;
}

/**
 * A migrated database for one test file: an in-memory PGlite, or a schema of its
 * own on the PostgreSQL server (dropped on close).
 */
export async function testDatabase(engine: Engine): Promise<TestDatabase> {
  let handle: DatabaseHandle;
  let drop = async () => {};
  if (engine === 'postgres') {
    const url = await postgresUrl();
    const schema = `t_${randomBytes(6).toString('hex')}`;
    handle = await openDatabase({ kind: 'postgres', url }, { schema, poolSize: 5 });
    drop = async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    };
  } else {
    handle = await openDatabase({ kind: 'memory' });
  }
  await migrateToLatest(handle.db);
  return {
    ...handle,
    async reset() {
      await sql`truncate oidc_payloads, clients, accounts, throttle, vaults, vault_elements, vault_files, releases, attestation_inbox, account_links, account_totp, account_recovery_codes, account_passkeys, webauthn_challenges, account_sessions, email_control_codes`.execute(handle.db);
    },
    async close() {
      await handle.close();
      await drop();
    },
  };
}
