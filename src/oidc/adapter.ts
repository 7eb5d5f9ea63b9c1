import { sql } from 'kysely';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Database } from '../db/index.js';
import type { Statements } from '../db/statements.js';

/**
 * oidc-provider's storage on one table: one row per artifact, keyed by model name
 * and id, with the secondary keys it looks things up by. Expired rows are invisible
 * at once and removed by `removeExpired`. Every token request runs a few of these,
 * so they are fixed statements (prepared on PostgreSQL). Clients live in their own table.
 */
const SQL = {
  upsert: `insert into oidc_payloads (kind, id, payload, grant_id, uid, user_code, expires_at, consumed_at)
    values ($1, $2, $3, $4, $5, $6, $7, null)
    on conflict (kind, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
      uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at`,
  findById: `select payload, consumed_at from oidc_payloads
    where kind = $1 and id = $2 and (expires_at is null or expires_at > now())`,
  // A token and its grant in one round trip: oidc-provider reads the grant right after.
  findTokenWithGrant: `select t.payload, t.consumed_at, g.payload as grant_payload
    from oidc_payloads t
    left join oidc_payloads g on g.kind = 'Grant' and g.id = t.grant_id and (g.expires_at is null or g.expires_at > now())
    where t.kind = $1 and t.id = $2 and (t.expires_at is null or t.expires_at > now())`,
  findByUid: `select payload, consumed_at from oidc_payloads
    where kind = $1 and uid = $2 and (expires_at is null or expires_at > now())`,
  findByUserCode: `select payload, consumed_at from oidc_payloads
    where kind = $1 and user_code = $2 and (expires_at is null or expires_at > now())`,
  consume: `update oidc_payloads set consumed_at = now() where kind = $1 and id = $2`,
  destroy: `delete from oidc_payloads where kind = $1 and id = $2`,
  revokeByGrantId: `delete from oidc_payloads where kind = $1 and grant_id = $2`,
} as const;

interface PayloadRow {
  payload: AdapterPayload;
  consumed_at: Date | null;
  grant_payload?: AdapterPayload | null;
}

/**
 * Grants read together with a token, handed to the Grant lookup that follows
 * within the same request. Read once, then gone; never older than a second, and
 * dropped when this node changes the grant.
 */
export class GrantPrefetch {
  private readonly entries = new Map<string, { payload: AdapterPayload; at: number }>();

  put(id: string, payload: AdapterPayload): void {
    if (this.entries.size >= 1000) this.sweep();
    this.entries.set(id, { payload, at: Date.now() });
  }

  take(id: string): AdapterPayload | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    return Date.now() - entry.at < 1000 ? entry.payload : undefined;
  }

  drop(id: string): void {
    this.entries.delete(id);
  }

  private sweep(): void {
    const cutoff = Date.now() - 1000;
    for (const [id, entry] of this.entries) if (entry.at < cutoff) this.entries.delete(id);
  }
}

const WITH_GRANT = new Set(['AccessToken', 'RefreshToken']);

class PayloadAdapter implements Adapter {
  constructor(
    private readonly kind: string,
    private readonly statements: Statements,
    private readonly grants: GrantPrefetch,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    if (this.kind === 'Grant') this.grants.drop(id);
    await this.statements.run('oidc_upsert', SQL.upsert, [
      this.kind,
      id,
      JSON.stringify(payload),
      payload.grantId ?? null,
      payload.uid ?? null,
      payload.userCode ?? null,
      expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
    ]);
  }

  private async findBy(statement: 'findById' | 'findByUid' | 'findByUserCode', value: string): Promise<AdapterPayload | undefined> {
    const [row] = await this.statements.run<PayloadRow>(`oidc_${statement}`, SQL[statement], [this.kind, value]);
    if (!row) return undefined;
    return row.consumed_at ? { ...row.payload, consumed: Math.floor(new Date(row.consumed_at).getTime() / 1000) } : row.payload;
  }

  async find(id: string) {
    if (this.kind === 'Grant') {
      const prefetched = this.grants.take(id);
      if (prefetched) return prefetched;
    }
    if (!WITH_GRANT.has(this.kind)) return this.findBy('findById', id);
    const [row] = await this.statements.run<PayloadRow>('oidc_find_token_grant', SQL.findTokenWithGrant, [this.kind, id]);
    if (!row) return undefined;
    if (row.grant_payload && row.payload.grantId) this.grants.put(row.payload.grantId, row.grant_payload);
    return row.consumed_at ? { ...row.payload, consumed: Math.floor(new Date(row.consumed_at).getTime() / 1000) } : row.payload;
  }

  findByUid(uid: string) {
    return this.findBy('findByUid', uid);
  }

  findByUserCode(userCode: string) {
    return this.findBy('findByUserCode', userCode);
  }

  async consume(id: string): Promise<void> {
    await this.statements.run('oidc_consume', SQL.consume, [this.kind, id]);
  }

  async destroy(id: string): Promise<void> {
    if (this.kind === 'Grant') this.grants.drop(id);
    await this.statements.run('oidc_destroy', SQL.destroy, [this.kind, id]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.grants.drop(grantId);
    await this.statements.run('oidc_revoke_grant', SQL.revokeByGrantId, [this.kind, grantId]);
  }
}

/** A small map whose entries live `ttlMs`; for data that changes rarely and is read on every request. */
export class TtlCache<T> {
  private readonly entries = new Map<string, { value: T; expires: number }>();

  constructor(readonly ttlMs = 10_000) {}

  get(id: string): T | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expires > Date.now()) return entry.value;
    this.entries.delete(id);
    return undefined;
  }

  set(id: string, value: T): void {
    if (this.entries.size >= 10_000) this.entries.clear();
    this.entries.set(id, { value, expires: Date.now() + this.ttlMs });
  }

  invalidate(id: string): void {
    this.entries.delete(id);
  }
}

/**
 * Client metadata, read on nearly every request, changes rarely: kept for a few
 * seconds. Writes on this node clear it at once; other nodes see a change (a
 * deleted client, say) within the TTL.
 */
export class ClientCache extends TtlCache<AdapterPayload> {}

/** Clients are registered by the operator (CLI, admin API) or by dynamic registration. */
class ClientAdapter implements Adapter {
  constructor(
    private readonly db: Database,
    private readonly cache: ClientCache,
  ) {}

  async upsert(id: string, payload: AdapterPayload): Promise<void> {
    const metadata = JSON.stringify(payload);
    await this.db
      .insertInto('clients')
      .values({ client_id: id, metadata, updated_at: new Date() })
      .onConflict((oc) => oc.column('client_id').doUpdateSet({ metadata, updated_at: new Date() }))
      .execute();
    this.cache.invalidate(id);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const row = await this.db.selectFrom('clients').select('metadata').where('client_id', '=', id).executeTakeFirst();
    if (row) this.cache.set(id, row.metadata as AdapterPayload);
    return row?.metadata as AdapterPayload | undefined;
  }

  async findByUid(): Promise<undefined> {
    return undefined;
  }

  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  async consume(): Promise<void> {}

  async destroy(id: string): Promise<void> {
    await this.db.deleteFrom('clients').where('client_id', '=', id).execute();
    this.cache.invalidate(id);
  }

  async revokeByGrantId(): Promise<void> {}
}

export function adapterFactory(db: Database, statements: Statements, clients: ClientCache): (name: string) => Adapter {
  const grants = new GrantPrefetch();
  return (name) => (name === 'Client' ? new ClientAdapter(db, clients) : new PayloadAdapter(name, statements, grants));
}

/** Deletes artifacts that expired more than a grace period ago; returns how many. */
export async function removeExpired(db: Database, graceSeconds = 60): Promise<number> {
  const result = await db
    .deleteFrom('oidc_payloads')
    .where('expires_at', '<', sql<Date>`now() - make_interval(secs => ${graceSeconds})`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
