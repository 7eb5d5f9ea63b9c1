import { sql, type Kysely } from 'kysely';

/**
 * Operators and the audit trail (issue "Operator console", #13).
 * - accounts.operator_since: non-null makes the account an operator (the console).
 * - accounts.disabled_at: non-null, the account cannot sign in (its sessions and
 *   grants were ended when it was disabled).
 * - clients.version: raised by every write to a client, so an edit made on a stale
 *   form is refused (409) instead of overwriting another operator's change.
 * - audit_events: who changed what, when and from where. No foreign key: a record
 *   outlives the account or client it names. Append-only: a trigger refuses UPDATE,
 *   DELETE and TRUNCATE for every role (the table owner included; PGlite too).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('accounts')
    .addColumn('operator_since', 'timestamptz')
    .addColumn('disabled_at', 'timestamptz')
    .execute();
  await db.schema.alterTable('clients').addColumn('version', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('actor_kind', 'text', (c) => c.notNull().check(sql`actor_kind in ('operator', 'admin_token', 'cli', 'registration')`))
    .addColumn('actor_id', 'text')
    .addColumn('actor_label', 'text', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex('audit_events_at').on('audit_events').columns(['at', 'id']).execute();
  await db.schema.createIndex('audit_events_target').on('audit_events').columns(['target', 'id']).execute();
  await db.schema.createIndex('audit_events_action').on('audit_events').columns(['action', 'id']).execute();
  await sql`create function audit_events_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_events is append-only: % is not allowed', tg_op using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  await sql`create trigger audit_events_no_change before update or delete on audit_events
    for each row execute function audit_events_append_only()`.execute(db);
  await sql`create trigger audit_events_no_truncate before truncate on audit_events
    for each statement execute function audit_events_append_only()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_events').execute();
  await sql`drop function audit_events_append_only()`.execute(db);
  await db.schema.alterTable('clients').dropColumn('version').execute();
  await db.schema.alterTable('accounts').dropColumn('operator_since').dropColumn('disabled_at').execute();
}
