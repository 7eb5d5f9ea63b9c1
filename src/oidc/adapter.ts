import { sql } from 'kysely';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Database } from '../db/index.js';

/**
 * oidc-provider's storage on one table: one row per artifact, keyed by model name
 * and id, with the secondary keys it looks things up by. Expired rows are invisible
 * at once and removed by `removeExpired`. Clients live in their own table.
 */
class PayloadAdapter implements Adapter {
  constructor(
    private readonly kind: string,
    private readonly db: Database,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const row = {
      kind: this.kind,
      id,
      payload: JSON.stringify(payload),
      grant_id: payload.grantId ?? null,
      uid: payload.uid ?? null,
      user_code: payload.userCode ?? null,
      expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
      consumed_at: null,
    };
    await this.db
      .insertInto('oidc_payloads')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['kind', 'id']).doUpdateSet({
          payload: row.payload,
          grant_id: row.grant_id,
          uid: row.uid,
          user_code: row.user_code,
          expires_at: row.expires_at,
        }),
      )
      .execute();
  }

  private async findBy(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
    const row = await this.db
      .selectFrom('oidc_payloads')
      .select(['payload', 'consumed_at'])
      .where('kind', '=', this.kind)
      .where(column, '=', value)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
      .executeTakeFirst();
    if (!row) return undefined;
    const payload = row.payload as AdapterPayload;
    return row.consumed_at ? { ...payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : payload;
  }

  find(id: string) {
    return this.findBy('id', id);
  }

  findByUid(uid: string) {
    return this.findBy('uid', uid);
  }

  findByUserCode(userCode: string) {
    return this.findBy('user_code', userCode);
  }

  async consume(id: string): Promise<void> {
    await this.db
      .updateTable('oidc_payloads')
      .set({ consumed_at: sql<Date>`now()` })
      .where('kind', '=', this.kind)
      .where('id', '=', id)
      .execute();
  }

  async destroy(id: string): Promise<void> {
    await this.db.deleteFrom('oidc_payloads').where('kind', '=', this.kind).where('id', '=', id).execute();
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db.deleteFrom('oidc_payloads').where('kind', '=', this.kind).where('grant_id', '=', grantId).execute();
  }
}

/** Clients are registered by the operator (CLI, admin API) or by dynamic registration. */
class ClientAdapter implements Adapter {
  constructor(private readonly db: Database) {}

  async upsert(id: string, payload: AdapterPayload): Promise<void> {
    const metadata = JSON.stringify(payload);
    await this.db
      .insertInto('clients')
      .values({ client_id: id, metadata, updated_at: new Date() })
      .onConflict((oc) => oc.column('client_id').doUpdateSet({ metadata, updated_at: new Date() }))
      .execute();
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const row = await this.db.selectFrom('clients').select('metadata').where('client_id', '=', id).executeTakeFirst();
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
  }

  async revokeByGrantId(): Promise<void> {}
}

export function adapterFactory(db: Database): (name: string) => Adapter {
  return (name) => (name === 'Client' ? new ClientAdapter(db) : new PayloadAdapter(name, db));
}

/** Deletes artifacts that expired more than a grace period ago; returns how many. */
export async function removeExpired(db: Database, graceSeconds = 60): Promise<number> {
  const result = await db
    .deleteFrom('oidc_payloads')
    .where('expires_at', '<', sql<Date>`now() - make_interval(secs => ${graceSeconds})`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
