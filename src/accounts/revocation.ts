import { sql } from 'kysely';
import type { Database } from '../db/index.js';

/**
 * Ends everything that lets the account act without signing in again: oidc-provider's
 * sessions, grants, codes and tokens (they name the account in their payload, so no
 * foreign key can), pending sign-ins that name it, and the descriptions of its
 * signed-in browsers. Run inside the caller's transaction (account deletion, disabling).
 * `id` must be a UUID: it goes into a LIKE pattern.
 */
export async function endSessionsAndGrants(trx: Database, id: string): Promise<void> {
  await trx
    .deleteFrom('oidc_payloads')
    .where(sql<string>`payload->>'accountId'`, '=', id)
    .execute();
  // An interaction names the account inside it (its session, the sign-in result); few, and short-lived.
  await trx
    .deleteFrom('oidc_payloads')
    .where('kind', '=', 'Interaction')
    .where(sql<string>`payload::text`, 'like', `%"${id}"%`)
    .execute();
  await trx.deleteFrom('account_sessions').where('account_id', '=', id).execute();
}

/** Signs every browser of the account out (its grants to services stay); returns how many. */
export async function endSessions(trx: Database, id: string): Promise<number> {
  const gone = await trx
    .deleteFrom('oidc_payloads')
    .where('kind', '=', 'Session')
    .where(sql<string>`payload->>'accountId'`, '=', id)
    .returning('uid')
    .execute();
  await trx.deleteFrom('account_sessions').where('account_id', '=', id).execute();
  return gone.length;
}
