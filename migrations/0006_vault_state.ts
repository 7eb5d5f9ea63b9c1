import type { Kysely } from 'kysely';

/**
 * The vault state record (DESIGN 5.8): the canonical JSON text the page wrote
 * with its last write, and its HMAC under a key derived from MK. The server
 * cannot check the MAC; the page does. Null for a vault that has none yet.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('vaults').addColumn('state', 'text').addColumn('state_mac', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('vaults').dropColumn('state_mac').dropColumn('state').execute();
}
