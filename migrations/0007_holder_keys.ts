import type { Kysely } from 'kysely';

/**
 * Holder keys (DESIGN 5.5): the vault's two public JWKs and their private keys
 * sealed under MK, as one JSON array [{use, public_jwk, sealed_private}] with
 * the vault row (they are read and written with it, never queried by part).
 * Null until the page makes them; set once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('vaults').addColumn('holder_keys', 'jsonb').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('vaults').dropColumn('holder_keys').execute();
}
