import { sql, type Kysely } from 'kysely';

/**
 * Wathiqa as a verifier of email addresses (issue "People's accounts", point 7;
 * DESIGN 5.6).
 * - wathiqa_verifier_keys: the ES256 key Wathiqa signs its own attestations with,
 *   made at start-up when there is none, the private JWK sealed under OPERATOR_KEY
 *   (compact JWE, dir + A256GCM, kid bound), like the OIDC signing keys. Its public
 *   half is published by GET /verifiers.
 * - email_control_codes: one row per code mailed to a vault `email` element's
 *   address. Never the address: only a random salt and SHA-256(salt | email | code),
 *   the account, the expiry and the attempts counted so far. Deleted by the statement
 *   that accepts the code; swept once expired. Gone with the account.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('wathiqa_verifier_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('sealed_jwk', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('email_control_codes')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('salt', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('email_control_codes_account').on('email_control_codes').column('account_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('email_control_codes').execute();
  await db.schema.dropTable('wathiqa_verifier_keys').execute();
}
