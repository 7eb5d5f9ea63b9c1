import { sql, type Kysely } from 'kysely';

/**
 * Email ownership and the single-use links mailed to people (issue "People's
 * accounts": email verification, password reset).
 * - accounts.email_verified_at: set when the current address was proven; cleared
 *   when the address changes. `email_verified` is true only while it is set.
 * - account_links: one row per link sent. Only the SHA-256 of the token is kept,
 *   so a leaked backup opens nothing. `email` is the address the link went to: a
 *   verification link proves that address and no later one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('accounts').addColumn('email_verified_at', 'timestamptz').execute();
  await db.schema
    .createTable('account_links')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('verify_email', 'reset_password')`))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('account_links_account').on('account_links').columns(['account_id', 'purpose']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('account_links').execute();
  await db.schema.alterTable('accounts').dropColumn('email_verified_at').execute();
}
