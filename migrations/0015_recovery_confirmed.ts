import type { Kysely } from 'kysely';

/**
 * When the holder last showed they kept the vault's recovery code (issue #11,
 * point 3): set by the page after the person typed back a group of the code it
 * just showed, or the whole code; cleared when a new code replaces it. Not a
 * secret, and the server cannot check it (it never sees the code). Existing
 * vaults start unconfirmed, so their holders get the reminder.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('vaults').addColumn('recovery_confirmed_at', 'timestamptz').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('vaults').dropColumn('recovery_confirmed_at').execute();
}
