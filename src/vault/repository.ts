import { sql } from 'kysely';
import type { Database } from '../db/index.js';

/** Queries over the vault tables, always scoped to one account. */
export function vaultRepository(db: Database) {
  return {
    find(accountId: string) {
      return db.selectFrom('vaults').selectAll().where('account_id', '=', accountId).executeTakeFirst();
    },
    /** Locks the vault row for the rest of the transaction: writes to one vault are serialized. */
    lock(accountId: string) {
      return db.selectFrom('vaults').selectAll().where('account_id', '=', accountId).forUpdate().executeTakeFirst();
    },
    async bumpVersion(accountId: string): Promise<number> {
      const row = await db
        .updateTable('vaults')
        .set({ version: sql`version + 1`, updated_at: new Date() })
        .where('account_id', '=', accountId)
        .returning('version')
        .executeTakeFirstOrThrow();
      return Number(row.version);
    },
    elements(accountId: string) {
      return db
        .selectFrom('vault_elements')
        .select(['id', 'type', 'version', 'wrapped_key', 'ciphertext', 'updated_at'])
        .where('account_id', '=', accountId)
        .orderBy('created_at')
        .execute();
    },
    element(accountId: string, id: string) {
      return db.selectFrom('vault_elements').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
    },
    /** File metadata (never the ciphertext) of the account. */
    files(accountId: string) {
      return db
        .selectFrom('vault_files')
        .select(['id', 'element_id', 'media_type', 'wrapped_key', 'size'])
        .where('account_id', '=', accountId)
        .orderBy('created_at')
        .execute();
    },
    file(accountId: string, id: string) {
      return db.selectFrom('vault_files').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
    },
    async usage(accountId: string): Promise<{ elements: number; bytes: number }> {
      const row = await db
        .selectFrom('vaults')
        .select([
          sql<string>`(select count(*) from vault_elements e where e.account_id = vaults.account_id)`.as('elements'),
          sql<string>`(select coalesce(sum(size), 0) from vault_elements e where e.account_id = vaults.account_id)
            + (select coalesce(sum(size), 0) from vault_files f where f.account_id = vaults.account_id)`.as('bytes'),
        ])
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      return { elements: Number(row?.elements ?? 0), bytes: Number(row?.bytes ?? 0) };
    },
  };
}
