import { sql, type Kysely } from 'kysely';

/**
 * Bearer credentials (codes, tokens, session ids) are kept as SHA-256 digests, no
 * longer as themselves: a copy of the database hands out nothing that works. The
 * same list and digest as src/oidc/adapter.ts (kept literal here: a migration must
 * not change when the code does). Client secrets get a column of their own; they are
 * sealed under OPERATOR_KEY at startup, which migrations do not have.
 */
const DIGESTED_KINDS = [
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'ClientCredentials',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'RegistrationAccessToken',
  'InitialAccessToken',
  'PreAuthorizedCode',
  'Session',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  // base64url without padding; 32 bytes encode to 44 characters, under encode()'s 76-character line length.
  await sql`update oidc_payloads
    set id = translate(rtrim(encode(sha256(convert_to(id, 'UTF8')), 'base64'), '='), '+/', '-_'),
      payload = payload - 'jti'
    where kind in (${sql.join(DIGESTED_KINDS)})`.execute(db);
  // An interaction's copy of the session id: oidc-provider never reads it back.
  await sql`update oidc_payloads set payload = payload #- '{session,cookie}'
    where kind = 'Interaction'`.execute(db);
  await sql`alter table clients add column client_secret_sealed text`.execute(db);
}

/** Digests cannot be undone (going back signs everyone out); the column goes only while no secret is sealed in it. */
export async function down(db: Kysely<unknown>): Promise<void> {
  const sealed = await sql<{ n: number }>`select count(*)::int as n from clients where client_secret_sealed is not null`.execute(db);
  if (sealed.rows[0]!.n > 0) throw new Error('client secrets are sealed under OPERATOR_KEY; this migration cannot be undone');
  await sql`alter table clients drop column client_secret_sealed`.execute(db);
}
