import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { isConnectionError, rethrowUnavailable } from './unavailable.js';

/**
 * Fixed SQL for the few statements on every token request (the oidc-provider
 * adapter's). On PostgreSQL they run as named prepared statements, parsed and
 * planned once per connection; on PGlite as plain parameterized queries. Use it
 * for hot, fixed-shape statements only; everything else goes through kysely.
 */
export interface Statements {
  run<T>(name: string, text: string, values: unknown[]): Promise<T[]>;
}

const READ = /^\s*select\b/i;

export function pgStatements(pool: pg.Pool): Statements {
  return {
    async run<T>(name: string, text: string, values: unknown[]) {
      try {
        return (await pool.query({ name, text, values })).rows as T[];
      } catch (error) {
        // After a restart or failover the pool may still hand out a connection whose
        // backend is gone. A read is safe to send again, once, on a fresh connection;
        // a write might have committed before the connection broke, so it is not retried.
        if (!READ.test(text) || !isConnectionError(error)) rethrowUnavailable(error);
        return (await pool.query({ name, text, values }).catch(rethrowUnavailable)).rows as T[];
      }
    },
  };
}

export function pgliteStatements(pglite: PGlite): Statements {
  return {
    async run<T>(_name: string, text: string, values: unknown[]) {
      const result = await pglite.query<T>(text, values);
      return result.rows;
    },
  };
}
