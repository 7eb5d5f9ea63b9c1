import { sql, type Kysely } from 'kysely';

/** Remembered consent looks grants up by account and client on every sign-in. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index oidc_payloads_grant_owner on oidc_payloads ((payload->>'accountId'), (payload->>'clientId')) where kind = 'Grant'`.execute(db);
  // Deleting an account's artifacts goes by accountId across kinds.
  await sql`create index oidc_payloads_account on oidc_payloads ((payload->>'accountId'))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index oidc_payloads_account`.execute(db);
  await sql`drop index oidc_payloads_grant_owner`.execute(db);
}
