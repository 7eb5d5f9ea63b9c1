import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../db/index.js';
import { openSealed, sealText } from '../oidc/keys.js';

export type ClientMetadata = Record<string, unknown>;

/** A stored client as the operator works with it: metadata without the secret, and its version. */
export interface StoredClient {
  metadata: ClientMetadata;
  hasSecret: boolean;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/**
 * A new client id: 128 random bits, base64url. Never starting with '-', which a
 * command line (the CLI, curl, shells) would read as an option.
 */
export function newClientId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

// Binds a sealed secret to its client: it cannot be copied onto another row.
const kidFor = (clientId: string) => `client:${clientId}`;

/**
 * The one place clients are stored. The secret is encrypted under the operator key,
 * not hashed: oidc-provider needs it in clear to compare client_secret_basic/post
 * and to key HS256 and symmetric JWE for the client.
 */
export class ClientRepository {
  constructor(
    private readonly db: Database,
    private readonly operatorKey: Uint8Array,
  ) {}

  private async split(metadata: ClientMetadata): Promise<{ metadata: string; client_secret_sealed: string | null }> {
    const { client_secret: secret, ...rest } = metadata;
    const clientId = String(metadata.client_id);
    const sealed = typeof secret === 'string' ? await sealText(secret, kidFor(clientId), this.operatorKey) : null;
    return { metadata: JSON.stringify(rest), client_secret_sealed: sealed };
  }

  /** The same store over another handle (a transaction). */
  on(db: Database): ClientRepository {
    return new ClientRepository(db, this.operatorKey);
  }

  /** A new client; fails if the id is taken. */
  async insert(metadata: ClientMetadata): Promise<{ created_at: Date; updated_at: Date; version: number }> {
    return this.db
      .insertInto('clients')
      .values({ client_id: String(metadata.client_id), ...(await this.split(metadata)), updated_at: new Date() })
      .returning(['created_at', 'updated_at', 'version'])
      .executeTakeFirstOrThrow();
  }

  /** Creates or replaces (dynamic registration and its updates). */
  async upsert(clientId: string, metadata: ClientMetadata): Promise<void> {
    const values = await this.split({ ...metadata, client_id: clientId });
    await this.db
      .insertInto('clients')
      .values({ client_id: clientId, ...values, updated_at: new Date() })
      .onConflict((oc) => oc.column('client_id').doUpdateSet({ ...values, updated_at: new Date(), version: sql<number>`clients.version + 1` }))
      .execute();
  }

  /** The stored client, secret left sealed; `lock` holds the row until the transaction ends. */
  async stored(clientId: string, lock = false): Promise<StoredClient | undefined> {
    let query = this.db
      .selectFrom('clients')
      .select(['metadata', 'client_secret_sealed', 'version', 'created_at', 'updated_at'])
      .where('client_id', '=', clientId);
    if (lock) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) return undefined;
    const { client_secret: _secret, ...metadata } = row.metadata;
    return { metadata, hasSecret: row.client_secret_sealed !== null, version: Number(row.version), created_at: row.created_at, updated_at: row.updated_at };
  }

  /** Replaces the metadata (the secret stays) and raises the version. */
  async replaceMetadata(clientId: string, metadata: ClientMetadata): Promise<{ updated_at: Date; version: number }> {
    const { client_secret: _secret, ...rest } = metadata;
    return this.db
      .updateTable('clients')
      .set({ metadata: JSON.stringify({ ...rest, client_id: clientId }), updated_at: new Date(), version: sql<number>`version + 1` })
      .where('client_id', '=', clientId)
      .returning(['updated_at', 'version'])
      .executeTakeFirstOrThrow();
  }

  /** A new secret, sealed; raises the version. */
  async replaceSecret(clientId: string, secret: string): Promise<{ updated_at: Date; version: number }> {
    return this.db
      .updateTable('clients')
      .set({ client_secret_sealed: await sealText(secret, kidFor(clientId), this.operatorKey), updated_at: new Date(), version: sql<number>`version + 1` })
      .where('client_id', '=', clientId)
      .returning(['updated_at', 'version'])
      .executeTakeFirstOrThrow();
  }

  /** The metadata oidc-provider works with, secret opened. */
  async find(clientId: string): Promise<ClientMetadata | undefined> {
    const row = await this.db
      .selectFrom('clients')
      .select(['metadata', 'client_secret_sealed'])
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    if (!row) return undefined;
    if (!row.client_secret_sealed) return row.metadata;
    const secret = await openSealed(row.client_secret_sealed, kidFor(clientId), this.operatorKey, `the secret of client ${clientId}`);
    return { ...row.metadata, client_secret: secret };
  }

  /**
   * Seals secrets still stored in clear (written before migration 0005, which has no
   * operator key). Idempotent, and safe when several nodes start at once: a row is
   * changed only while it still holds the secret it was read with. Returns how many.
   */
  async sealPlaintextSecrets(): Promise<number> {
    const rows = await this.db
      .selectFrom('clients')
      .select(['client_id', 'metadata'])
      .where(sql<string>`metadata->>'client_secret'`, 'is not', null)
      .execute();
    let sealed = 0;
    for (const row of rows) {
      const secret = row.metadata.client_secret;
      if (typeof secret !== 'string') continue;
      const values = await this.split(row.metadata);
      const result = await this.db
        .updateTable('clients')
        .set(values)
        .where('client_id', '=', row.client_id)
        .where(sql<string>`metadata->>'client_secret'`, '=', secret)
        .executeTakeFirst();
      sealed += Number(result.numUpdatedRows);
    }
    return sealed;
  }
}
