import { hash } from 'node:crypto';
import { sql } from 'kysely';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Database } from '../db/index.js';
import type { Statements } from '../db/statements.js';
import { deferUntilResponse, requestState } from './deferred-consume.js';
import { ClientRepository } from '../clients/repository.js';
import type { ReadCache } from './token-cache.js';

/**
 * Kinds whose id is a bearer credential (presented to us to get something): stored
 * and looked up as its digest, never as itself, so a copy of the database hands out
 * nothing that works. Kept raw: Grant (other rows and tables refer to its id, and the
 * id alone grants nothing), Interaction (its uid is in every interaction page's URL;
 * the cookie that binds it to a browser is signed), PushedAuthorizationRequest (its
 * request_uri goes through the browser, single use, 60 s) and ReplayDetection
 * (oidc-provider already makes its id a SHA-256 of issuer and jti).
 * Migration 0005 digested the rows stored before; keep both lists alike.
 */
export const DIGESTED_KINDS: ReadonlySet<string> = new Set([
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
]);

/**
 * SHA-256, base64url. No salt or slow hash is needed: these values are 256 bits of
 * randomness (oidc-provider's nanoid), so there is nothing to guess or precompute.
 * About 1 µs a call here.
 */
export function credentialDigest(value: string): string {
  return hash('sha256', value, 'base64url');
}

/**
 * A row found by a secondary key (session uid, device user code) has no known raw
 * id: its model gets this reference to the stored digest instead, so that saving,
 * consuming or destroying it reaches the same row. `find` never honours it, so it is
 * no way to present a digest as a credential; ':' is not in nanoid's alphabet.
 */
const STORED = 'sha256:';

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
  // The same for a refresh token, saying whether a consumed one is spent: consumed more
  // than $3 seconds ago, or a later token of its chain (same grant and first issue, more
  // rotations) was consumed too. Only the token just rotated away stays redeemable.
  findRefreshWithGrant: `select t.payload, t.consumed_at, g.payload as grant_payload,
      (t.consumed_at is not null and (t.consumed_at <= now() - make_interval(secs => $3::float8) or exists (
        select 1 from oidc_payloads n
        where n.kind = t.kind and n.grant_id = t.grant_id and n.consumed_at is not null
          and n.payload->'iiat' = t.payload->'iiat'
          and coalesce((n.payload->>'rotations')::int, 0) > coalesce((t.payload->>'rotations')::int, 0)))) as spent
    from oidc_payloads t
    left join oidc_payloads g on g.kind = 'Grant' and g.id = t.grant_id and (g.expires_at is null or g.expires_at > now())
    where t.kind = $1 and t.id = $2 and (t.expires_at is null or t.expires_at > now())`,
  findByUid: `select id, payload, consumed_at from oidc_payloads
    where kind = $1 and uid = $2 and (expires_at is null or expires_at > now())`,
  findByUserCode: `select id, payload, consumed_at from oidc_payloads
    where kind = $1 and user_code = $2 and (expires_at is null or expires_at > now())`,
  // The first consumption counts: a refresh token redeemed again does not extend its grace.
  consume: `update oidc_payloads set consumed_at = now() where kind = $1 and id = $2 and consumed_at is null`,
  destroy: `delete from oidc_payloads where kind = $1 and id = $2`,
  revokeByGrantId: `delete from oidc_payloads where kind = $1 and grant_id = $2`,
} as const;

const UPSERT_COLUMNS = 7;

/**
 * A refresh's writes in one statement (one round trip, one transaction): spending the
 * rotated refresh token and saving its successor and the new access token. Either all
 * happen or none: a failure leaves the old token valid and nothing new behind.
 */
function refreshCommitSql(upserts: number): string {
  const rows = Array.from({ length: upserts }, (_, i) => {
    const first = 2 + i * UPSERT_COLUMNS;
    return `($${first}, $${first + 1}, $${first + 2}::jsonb, $${first + 3}, $${first + 4}, $${first + 5}, $${first + 6}::timestamptz, null::timestamptz)`;
  });
  const consume = `update oidc_payloads set consumed_at = now() where kind = 'RefreshToken' and id = $1 and consumed_at is null`;
  if (!upserts) return consume;
  return `with spent as (${consume})
    insert into oidc_payloads (kind, id, payload, grant_id, uid, user_code, expires_at, consumed_at)
    values ${rows.join(', ')}
    on conflict (kind, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
      uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at`;
}

/** The writes of a refresh with rotation, held until its response is known to be a success (deferred-consume.ts). */
interface RefreshBatch {
  consume: string;
  upserts: unknown[][];
}
const REFRESH_BATCH = Symbol('refresh batch');

interface PayloadRow {
  id?: string;
  payload: AdapterPayload;
  consumed_at: Date | null;
  grant_payload?: AdapterPayload | null;
  spent?: boolean;
}

const epoch = (date: Date) => Math.floor(new Date(date).getTime() / 1000);

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

/** Kinds kept in the node's ReadCache, and their keys (migration 0017 notifies the same ones). */
const CACHED: Readonly<Record<string, string>> = { AccessToken: 'at:', Grant: 'g:' };

/** A cached access token: the stored payload as JSON (parsed afresh on every hit) and its grant. */
interface CachedToken {
  json: string;
  grantId?: string;
}

/** When a payload's row expires, from oidc-provider's `exp` (seconds). */
const expiryOf = (payload: AdapterPayload) => (typeof payload.exp === 'number' ? payload.exp * 1000 : Infinity);

export interface AdapterOptions {
  /** Seals client secrets. */
  operatorKey: Uint8Array;
  /** Access tokens and grants read before, kept correct across nodes by the cache bus. */
  cache?: ReadCache;
  /** How long the refresh token just rotated away may be redeemed again; 0: never. */
  refreshTokenReuseGraceSeconds: number;
  /**
   * Records a client written or deleted through oidc-provider (dynamic registration)
   * in the audit trail, inside the write's transaction.
   */
  recordClientChange?: (trx: Database, change: { clientId: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null }) => Promise<void>;
}

class PayloadAdapter implements Adapter {
  private readonly digested: boolean;
  /** The cache key prefix of this kind, when it is cached. */
  private readonly cached: string | undefined;

  constructor(
    private readonly kind: string,
    private readonly statements: Statements,
    private readonly grants: GrantPrefetch,
    private readonly graceSeconds: number,
    private readonly cache?: ReadCache,
  ) {
    this.digested = DIGESTED_KINDS.has(kind);
    this.cached = cache ? CACHED[kind] : undefined;
  }

  /** The stored id for an id oidc-provider hands us. */
  private key(id: string): string {
    if (!this.digested) return id;
    return id.startsWith(STORED) ? id.slice(STORED.length) : credentialDigest(id);
  }

  /** What oidc-provider stored, with the raw id put back (it reads `jti` as the model's id). */
  private out(row: PayloadRow, jti: string): AdapterPayload {
    const payload = this.digested ? { ...row.payload, jti } : row.payload;
    const consumed = row.spent ?? row.consumed_at !== null;
    return row.consumed_at && consumed ? { ...payload, consumed: epoch(row.consumed_at) } : payload;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    if (this.kind === 'Grant') this.grants.drop(id);
    let stored: AdapterPayload = payload;
    if (this.digested) {
      const { jti: _raw, ...rest } = payload;
      stored = rest;
    } else if (this.kind === 'Interaction' && payload.session?.cookie) {
      // The session id, copied into the interaction; oidc-provider never reads it back.
      const { cookie: _cookie, ...session } = payload.session;
      stored = { ...payload, session };
    }
    const key = this.key(id);
    const json = JSON.stringify(stored);
    const expires = expiresIn ? Date.now() + expiresIn * 1000 : null;
    const values = [this.kind, key, json, payload.grantId ?? null, payload.uid ?? null, payload.userCode ?? null, expires === null ? null : new Date(expires)];
    // The successor and the access token of a rotating refresh go with the spending write.
    const batch = WITH_GRANT.has(this.kind) ? requestState<RefreshBatch>(REFRESH_BATCH) : undefined;
    if (batch) {
      batch.upserts.push(values);
      return;
    }
    if (this.cached) this.cache!.invalidate(this.cached + key);
    const generation = this.cache?.generation ?? 0;
    await this.statements.run('oidc_upsert', SQL.upsert, values);
    // Written through: the first userinfo after a token request finds it here.
    if (this.cached) this.remember(key, json, payload.grantId, generation, expires ?? Infinity);
  }

  private remember(key: string, json: string, grantId: string | undefined, generation: number, expires: number): void {
    const value = this.kind === 'Grant' ? json : ({ json, grantId } satisfies CachedToken);
    this.cache!.put(this.cached + key, value, generation, expires, json.length + 100);
  }

  /** An access token and its grant, both cached and live; otherwise undefined (read the database). */
  private cachedToken(key: string, id: string): AdapterPayload | undefined {
    const token = this.cache!.get<CachedToken>(`at:${key}`);
    if (!token) return undefined;
    if (token.grantId && this.cache!.get<string>(`g:${token.grantId}`) === undefined) return undefined;
    return this.out({ payload: JSON.parse(token.json) as AdapterPayload, consumed_at: null }, id);
  }

  private async findBy(statement: 'findByUid' | 'findByUserCode', value: string): Promise<AdapterPayload | undefined> {
    const [row] = await this.statements.run<PayloadRow>(`oidc_${statement}`, SQL[statement], [this.kind, value]);
    return row ? this.out(row, `${STORED}${row.id}`) : undefined;
  }

  async find(id: string) {
    if (this.kind === 'Grant') {
      const cached = this.cache?.get<string>(`g:${id}`);
      if (cached !== undefined) return JSON.parse(cached) as AdapterPayload;
      const prefetched = this.grants.take(id);
      if (prefetched) return prefetched;
    }
    // Always the digest of what was presented, never a STORED reference.
    const key = this.digested ? credentialDigest(id) : id;
    if (this.cached === 'at:') {
      const hit = this.cachedToken(key, id);
      if (hit) return hit;
    }
    const generation = this.cache?.generation ?? 0;
    if (!WITH_GRANT.has(this.kind)) {
      const [row] = await this.statements.run<PayloadRow>('oidc_findById', SQL.findById, [this.kind, key]);
      if (row && this.cached && !row.consumed_at) this.remember(key, JSON.stringify(row.payload), row.payload.grantId, generation, expiryOf(row.payload));
      return row ? this.out(row, id) : undefined;
    }
    const withGrace = this.kind === 'RefreshToken' && this.graceSeconds > 0;
    const [row] = withGrace
      ? await this.statements.run<PayloadRow>('oidc_find_refresh_grant', SQL.findRefreshWithGrant, [this.kind, key, this.graceSeconds])
      : await this.statements.run<PayloadRow>('oidc_find_token_grant', SQL.findTokenWithGrant, [this.kind, key]);
    if (!row) return undefined;
    const grantId = row.payload.grantId;
    if (row.grant_payload && grantId) {
      this.grants.put(grantId, row.grant_payload);
      const json = JSON.stringify(row.grant_payload);
      this.cache?.put(`g:${grantId}`, json, generation, expiryOf(row.grant_payload), json.length + 100);
    }
    if (this.cached && !row.consumed_at) this.remember(key, JSON.stringify(row.payload), grantId, generation, expiryOf(row.payload));
    return this.out(row, id);
  }

  findByUid(uid: string) {
    return this.findBy('findByUid', uid);
  }

  findByUserCode(userCode: string) {
    return this.findBy('findByUserCode', userCode);
  }

  async consume(id: string): Promise<void> {
    // A rotated refresh token is spent only when the refresh succeeds (deferred-consume.ts),
    // in one statement with the tokens that replace it.
    if (this.kind === 'RefreshToken') {
      const batch: RefreshBatch = { consume: this.key(id), upserts: [] };
      const write = async () => {
        const n = batch.upserts.length;
        const generation = this.cache?.generation ?? 0;
        await this.statements.run(`oidc_refresh_commit_${n}`, refreshCommitSql(n), [batch.consume, ...batch.upserts.flat()]);
        // The new access token, written through as upsert does.
        for (const [kind, key, json, grantId, , , expires] of batch.upserts as [string, string, string, string | null, unknown, unknown, Date | null][]) {
          if (kind !== 'AccessToken') continue;
          const value: CachedToken = { json, grantId: grantId ?? undefined };
          this.cache?.put(`at:${key}`, value, generation, expires?.getTime() ?? Infinity, json.length + 100);
        }
      };
      if (deferUntilResponse(write)) {
        requestState(REFRESH_BATCH, batch);
        return;
      }
    }
    await this.statements.run('oidc_consume', SQL.consume, [this.kind, this.key(id)]);
    if (this.cached) this.cache!.invalidate(this.cached + this.key(id));
  }

  // Changes made here leave this node's cache at once; other nodes hear of them from
  // migration 0017's triggers (and so does this one, a moment later).
  async destroy(id: string): Promise<void> {
    if (this.kind === 'Grant') this.grants.drop(id);
    await this.statements.run('oidc_destroy', SQL.destroy, [this.kind, this.key(id)]);
    if (this.cached) this.cache!.invalidate(this.cached + this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.grants.drop(grantId);
    await this.statements.run('oidc_revoke_grant', SQL.revokeByGrantId, [this.kind, grantId]);
    // Without the grant no cached token of it is served (cachedToken needs both).
    this.cache?.invalidate(`g:${grantId}`);
    if (this.cached === 'at:') this.cache!.dropIf((key, value) => key.startsWith('at:') && (value as CachedToken).grantId === grantId);
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

  clear(): void {
    this.entries.clear();
  }
}

/**
 * Client metadata, read on nearly every request, changes rarely: kept for a few
 * seconds. Writes on this node clear it at once; other nodes see a change (a
 * deleted client, say) within the TTL.
 */
export class ClientCache extends TtlCache<AdapterPayload> {}

/**
 * Clients are registered by the operator (CLI, admin API, console: src/clients/service.ts)
 * or by dynamic registration, which writes here.
 */
class ClientAdapter implements Adapter {
  constructor(
    private readonly store: ClientRepository,
    private readonly db: Database,
    private readonly cache: ClientCache,
    private readonly record?: AdapterOptions['recordClientChange'],
  ) {}

  async upsert(id: string, payload: AdapterPayload): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const store = this.store.on(trx);
      const before = this.record ? await store.stored(id, true) : undefined;
      await store.upsert(id, payload);
      await this.record?.(trx, { clientId: id, before: before?.metadata ?? null, after: payload as Record<string, unknown> });
    });
    this.cache.invalidate(id);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const metadata = (await this.store.find(id)) as AdapterPayload | undefined;
    if (metadata) this.cache.set(id, metadata);
    return metadata;
  }

  async findByUid(): Promise<undefined> {
    return undefined;
  }

  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  async consume(): Promise<void> {}

  async destroy(id: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const before = this.record ? await this.store.on(trx).stored(id, true) : undefined;
      await trx.deleteFrom('clients').where('client_id', '=', id).execute();
      if (before) await this.record?.(trx, { clientId: id, before: before.metadata, after: null });
    });
    this.cache.invalidate(id);
  }

  async revokeByGrantId(): Promise<void> {}
}

export function adapterFactory(db: Database, statements: Statements, clients: ClientCache, options: AdapterOptions): (name: string) => Adapter {
  const grants = new GrantPrefetch();
  const store = new ClientRepository(db, options.operatorKey);
  const grace = options.refreshTokenReuseGraceSeconds;
  return (name) =>
    name === 'Client'
      ? new ClientAdapter(store, db, clients, options.recordClientChange)
      : new PayloadAdapter(name, statements, grants, grace, options.cache);
}

/** Deletes artifacts that expired more than a grace period ago; returns how many. */
export async function removeExpired(db: Database, graceSeconds = 60): Promise<number> {
  const result = await db
    .deleteFrom('oidc_payloads')
    .where('expires_at', '<', sql<Date>`now() - make_interval(secs => ${graceSeconds})`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
