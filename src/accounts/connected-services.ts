import { sql } from 'kysely';
import type Provider from 'oidc-provider';
import type { Database } from '../db/index.js';
import { ACCOUNT_CLIENT_ID, CONSOLE_CLIENT_ID, isFirstParty } from '../oidc/first-party.js';
import { revokeGrants } from '../oidc/grants.js';

/** A service (a relying party) the account has signed in to, with a live grant. */
export interface ConnectedService {
  clientId: string;
  name: string;
  /** When the first of its live grants was given. */
  since: Date;
  /** When it last received a token (a sign-in or a refresh); null when none is left to tell. */
  lastUsedAt: Date | null;
  /** Whether a grant of it carries a passport release. */
  passport: boolean;
}

interface ServiceRow {
  client_id: string;
  since: string | number;
  last_used: string | number | null;
  passport: boolean;
}

const epoch = (value: string | number) => new Date(Number(value) * 1000);

/**
 * The services an account has signed in to, from oidc-provider's grants (one per
 * authorization for a passport release, else one kept per service), grouped by
 * service. Revoking a service revokes every grant the account gave it, with every
 * token of them, as withdrawing a release does. Wathiqa's own account pages are a
 * client too, and are not listed.
 */
export class ConnectedServices {
  constructor(
    private readonly db: Database,
    private readonly provider: () => Provider,
  ) {}

  async list(accountId: string): Promise<ConnectedService[]> {
    const { rows } = await sql<ServiceRow>`
      with grants as (
        select g.payload->>'clientId' as client_id,
          (g.payload->>'iat')::bigint as iat,
          (select max((t.payload->>'iat')::bigint) from oidc_payloads t where t.grant_id = g.id and t.kind <> 'Grant') as last_used,
          coalesce(g.payload->'openid'->>'scope', '') ~ '(^| )passport( |$)' as passport
        from oidc_payloads g
        where g.kind = 'Grant' and g.payload->>'accountId' = ${accountId}
          and g.payload->>'clientId' not in (${ACCOUNT_CLIENT_ID}, ${CONSOLE_CLIENT_ID})
          and (g.expires_at is null or g.expires_at > now()))
      select client_id, min(iat) as since, max(last_used) as last_used, bool_or(passport) as passport
      from grants group by client_id
      order by coalesce(max(last_used), min(iat)) desc, client_id`.execute(this.db);
    return Promise.all(
      rows.map(async (row) => {
        const client = await this.provider().Client.find(row.client_id).catch(() => undefined);
        return {
          clientId: row.client_id,
          name: client?.clientName ?? row.client_id,
          since: epoch(row.since),
          lastUsedAt: row.last_used === null ? null : epoch(row.last_used),
          passport: row.passport,
        };
      }),
    );
  }

  /** Revokes every grant the account gave the service; false when it had none. */
  async revoke(accountId: string, clientId: string): Promise<boolean> {
    if (isFirstParty(clientId)) return false;
    return this.db.transaction().execute(async (trx) => {
      const grants = await trx
        .selectFrom('oidc_payloads')
        .select('id')
        .where('kind', '=', 'Grant')
        .where(sql<string>`payload->>'accountId'`, '=', accountId)
        .where(sql<string>`payload->>'clientId'`, '=', clientId)
        .execute();
      await revokeGrants(
        trx,
        grants.map((g) => g.id),
      );
      return grants.length > 0;
    });
  }
}
