import { sql, type Kysely } from 'kysely';

/**
 * What the account page shows about each signed-in browser (issue "People's
 * accounts", point 6): a coarse device (browser and system family, never the whole
 * User-Agent), a coarse network (the address cut to /24 or /48) and when it was
 * last seen, to the minute. Keyed by oidc-provider's session uid, which stays the
 * same when the session id is rotated at sign-in. The session itself stays in
 * oidc_payloads: a row here without a live session there is never shown, and is
 * swept with the expired rows. Gone with the account.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('account_sessions')
    .addColumn('uid', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('browser', 'text')
    .addColumn('os', 'text')
    .addColumn('network', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('account_sessions_account').on('account_sessions').column('account_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('account_sessions').execute();
}
