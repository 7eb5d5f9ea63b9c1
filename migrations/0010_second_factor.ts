import { sql, type Kysely } from 'kysely';

/**
 * A second factor (issue "People's accounts", point 5): a TOTP secret per account,
 * sealed under OPERATOR_KEY (the server must compute codes, so it cannot keep only
 * a hash), unconfirmed until the first code from the app is typed back; the last
 * time step used, so a code works once; and ten one-time recovery codes, SHA-256 only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('account_totp')
    .addColumn('account_id', 'uuid', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('confirmed_at', 'timestamptz')
    .addColumn('last_time_step', 'bigint')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('account_recovery_codes')
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addPrimaryKeyConstraint('account_recovery_codes_pk', ['account_id', 'digest'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('account_recovery_codes').execute();
  await db.schema.dropTable('account_totp').execute();
}
