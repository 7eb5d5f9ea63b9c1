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
 * E2E_ENGINES=all runs both.
 */
export function e2eEngines(): Engine[] {
  if (process.env.E2E_ENGINES === 'all') return engines();
  return process.env.DATABASE_URL?.startsWith('postgres') ? ['postgres'] : ['pglite'];
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
    const url = process.env.DATABASE_URL!;
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
