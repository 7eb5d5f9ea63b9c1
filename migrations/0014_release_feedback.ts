import { sql, type Kysely } from 'kysely';

/**
 * RP feedback (DESIGN 5.7), on the release row:
 * - refs: the random names (16 bytes, base64url) of the released elements, in
 *   clear: they reveal nothing, and let the server check an RP's error report;
 * - sharing_record: the page's record of exactly what was sent, sealed under MK
 *   (the server cannot open it), AD bound to the vault and to record_id (the
 *   release's jti, drawn by the browser);
 * - errors: the RP's open errors [{ref, field | file, message}], replaced by each
 *   report; errors_at: when.
 * Releases made before this have no refs and no record: nothing to report on.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('releases')
    .addColumn('refs', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('record_id', 'uuid')
    .addColumn('sharing_record', 'text')
    .addColumn('errors', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('errors_at', 'timestamptz')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('releases').dropColumn('errors_at').dropColumn('errors').dropColumn('sharing_record').dropColumn('record_id').dropColumn('refs').execute();
}
