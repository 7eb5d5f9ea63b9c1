import { sql, type Kysely } from 'kysely';

/**
 * The vault: ciphertext, wrapped keys, KDF parameters and the metadata the server
 * needs to enforce ownership, versions and quotas. Nothing here opens without the
 * holder's passphrase or recovery code.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('vaults')
    .addColumn('account_id', 'uuid', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('vault_id', 'uuid', (c) => c.notNull().unique())
    // Grows with every change; clients remember the highest they saw to notice a rollback.
    .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(1))
    .addColumn('kdf', 'jsonb', (c) => c.notNull())
    .addColumn('wrapped_mk', 'text', (c) => c.notNull())
    .addColumn('recovery_wrapped_mk', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('vault_elements')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('wrapped_key', 'text', (c) => c.notNull())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('vault_elements_account').on('vault_elements').column('account_id').execute();

  await db.schema
    .createTable('vault_files')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    // Set when an element refers to the file; unattached uploads are removed after a day.
    .addColumn('element_id', 'uuid', (c) => c.references('vault_elements.id').onDelete('cascade'))
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('wrapped_key', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('ciphertext', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('vault_files_account').on('vault_files').column('account_id').execute();
  await db.schema.createIndex('vault_files_element').on('vault_files').column('element_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['vault_files', 'vault_elements', 'vaults']) await db.schema.dropTable(table).execute();
}
