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

/**
 * An empty PostgreSQL database of this worker's (`<name>_w<worker id>_<suffix>`, made
 * afresh), dropped by `drop`. Not a schema in a shared database: kysely's migrator
 * takes another schema's migration table for its own, so one file that stopped before
 * dropping its schema (a hook that timed out on a loaded machine) broke the migrations
 * of every later file of its worker. A program that takes only a DATABASE_URL (the
 * spawned CLI) works in it as it would in production.
 */
export async function freshPostgresDatabase(suffix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const url = new URL(process.env.DATABASE_URL!);
  const name = `${decodeURIComponent(url.pathname.slice(1)) || 'postgres'}_w${process.env.JEST_WORKER_ID ?? '1'}_${suffix}`;
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error('DATABASE_URL must name a database of letters, digits and _');
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL! });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`drop database if exists ${name} with (force)`);
  await admin(`create database ${name}`);
  url.pathname = `/${name}`;
  return { url: url.href, drop: () => admin(`drop database if exists ${name} with (force)`) };
}

export interface TestDatabase extends DatabaseHandle {
  /** Empties every table but the signing keys and the migration log. */
  reset(): Promise<void>;
}

/**
 * A migrated database for one test file: an in-memory PGlite, or a PostgreSQL
 * database of its own on the server (dropped on close).
 */
export async function testDatabase(engine: Engine): Promise<TestDatabase> {
  let handle: DatabaseHandle;
  let drop = async () => {};
  if (engine === 'postgres') {
    const database = await freshPostgresDatabase(`t_${randomBytes(6).toString('hex')}`);
    handle = await openDatabase({ kind: 'postgres', url: database.url }, { poolSize: 5 });
    drop = database.drop;
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
