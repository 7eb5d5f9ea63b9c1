import { expect } from '@jest/globals';
import { sql } from 'kysely';
import type { Database } from '../../src/db/index.js';

/**
 * Every row, in every table of the schema (the ones added later included), whose
 * text form mentions `value` (an account id, an address), counted by table. A
 * deleted account must leave this empty.
 */
export async function rowsMentioning(db: Database, value: string): Promise<Record<string, number>> {
  const { rows: tables } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db);
  expect(tables.length).toBeGreaterThan(10);
  const found: Record<string, number> = {};
  for (const { table_name } of tables) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table_name)} as r where position(${value} in r::text) > 0`.execute(db);
    if (rows[0]!.n > 0) found[table_name] = rows[0]!.n;
  }
  return found;
}

/**
 * Rows whose account_id (or accountId) column is the account, by table, and the
 * oidc-provider rows whose payload names it: a reference in the narrow sense.
 */
export async function accountIdReferences(db: Database, accountId: string): Promise<Record<string, number>> {
  const { rows: columns } = await sql<{ table_name: string; column_name: string }>`
    select table_name, column_name from information_schema.columns
    where table_schema = current_schema() and lower(column_name) in ('account_id', 'accountid')`.execute(db);
  expect(columns.map((c) => c.table_name)).toEqual(expect.arrayContaining(['vaults', 'vault_elements', 'vault_files', 'releases', 'attestation_inbox', 'account_links', 'account_sessions']));
  const found: Record<string, number> = {};
  for (const { table_name, column_name } of columns) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table_name)} where ${sql.ref(column_name)}::text = ${accountId}`.execute(db);
    if (rows[0]!.n > 0) found[table_name] = rows[0]!.n;
  }
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from oidc_payloads where position(${accountId} in payload::text) > 0`.execute(db);
  if (rows[0]!.n > 0) found.oidc_payloads = rows[0]!.n;
  return found;
}
