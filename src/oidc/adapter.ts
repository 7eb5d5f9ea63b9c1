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
}

class PayloadAdapter implements Adapter {
  constructor(
    private readonly kind: string,
    private readonly statements: Statements,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
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

  find(id: string) {
    return this.findBy('findById', id);
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
    await this.statements.run('oidc_destroy', SQL.destroy, [this.kind, id]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.statements.run('oidc_revoke_grant', SQL.revokeByGrantId, [this.kind, grantId]);
  }
}

/**
 * Client metadata, read on nearly every request, changes rarely: keep it for a few
 * seconds. Writes on this node clear it at once; other nodes see a change (a
 * deleted client, say) within the TTL.
 */
export class ClientCache {
  private readonly entries = new Map<string, { metadata: AdapterPayload; expires: number }>();

  constructor(readonly ttlMs = 10_000) {}

  get(id: string): AdapterPayload | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expires > Date.now()) return entry.metadata;
    this.entries.delete(id);
    return undefined;
  }

  set(id: string, metadata: AdapterPayload): void {
    if (this.entries.size >= 10_000) this.entries.clear();
    this.entries.set(id, { metadata, expires: Date.now() + this.ttlMs });
  }

  invalidate(id: string): void {
    this.entries.delete(id);
  }
}

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
  return (name) => (name === 'Client' ? new ClientAdapter(db, clients) : new PayloadAdapter(name, statements));
}

/** Deletes artifacts that expired more than a grace period ago; returns how many. */
export async function removeExpired(db: Database, graceSeconds = 60): Promise<number> {
  const result = await db
    .deleteFrom('oidc_payloads')
    .where('expires_at', '<', sql<Date>`now() - make_interval(secs => ${graceSeconds})`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
