import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';

/**
 * Fixed SQL for the few statements on every token request (the oidc-provider
 * adapter's). On PostgreSQL they run as named prepared statements, parsed and
 * planned once per connection; on PGlite as plain parameterized queries. Use it
 * for hot, fixed-shape statements only; everything else goes through kysely.
 */
export interface Statements {
  run<T>(name: string, text: string, values: unknown[]): Promise<T[]>;
}

export function pgStatements(pool: pg.Pool): Statements {
  return {
    async run<T>(name: string, text: string, values: unknown[]) {
      const result = await pool.query({ name, text, values });
      return result.rows as T[];
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
