import { sql, type Kysely } from 'kysely';

/**
 * The holder's attestation inbox (DESIGN 5.6, "Delivery"): a verifier's SD-JWT,
 * encrypted to the holder's HE key, waiting until the holder's page opens it,
 * seals it into the element and deletes the item. Only the JWE and who sent it
 * on which release: the server cannot open it. Gone with the account, and with
 * the release it was delivered on.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('attestation_inbox')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('release_id', 'uuid', (c) => c.notNull().references('releases.id').onDelete('cascade'))
    .addColumn('jwe', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // The per-verifier cap counts by (account, client); the holder's list reads by account.
  await db.schema.createIndex('attestation_inbox_account_client').on('attestation_inbox').columns(['account_id', 'client_id']).execute();
  await db.schema.createIndex('attestation_inbox_release').on('attestation_inbox').column('release_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('attestation_inbox').execute();
}
