import { sql } from 'kysely';
import type { Database } from '../db/index.js';

/**
 * What revoking a grant means, wherever it is done (a release withdrawn from the
 * sharing history, a service revoked on the account page): the grant and every
 * code, access and refresh token issued under it go, and the grant's release (a
 * passport grant has one) is marked revoked, so the sharing history says so. Run
 * it inside the caller's transaction.
 */
export async function revokeGrants(trx: Database, grantIds: readonly string[]): Promise<void> {
  if (grantIds.length === 0) return;
  const ids = [...grantIds];
  await trx.updateTable('releases').set({ revoked_at: sql<Date>`now()` }).where('grant_id', 'in', ids).where('revoked_at', 'is', null).execute();
  await trx
    .deleteFrom('oidc_payloads')
    .where((eb) => eb.or([eb('grant_id', 'in', ids), eb.and([eb('kind', '=', 'Grant'), eb('id', 'in', ids)])]))
    .execute();
}
