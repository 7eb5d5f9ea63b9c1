import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type Provider from 'oidc-provider';
import type { Database } from '../db/index.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import { registrationUrlProblem, type OutboundPolicy } from '../http/outbound.js';
import { ClientInputSchema, ClientUpdateSchema, type ClientInput, type ClientUpdate, type ClientView } from './schema.js';
import { formatZodError } from '../http/guard.js';
import type { ClientCache } from '../oidc/adapter.js';
import { newClientId, type ClientMetadata, type ClientRepository, type StoredClient } from './repository.js';
import { checkVerifierRegistration } from '../verifiers/registration.js';
import { VerifierClientError, type VerifierMetadataLike } from '../verifiers/policy.js';

/**
 * Runs in the transaction of a change, with what changed: the audit trail's record
 * is written there, so there is no change without its record and no record without
 * its change.
 */
export type InTransaction<T> = (trx: Database, change: T) => Promise<void>;

export interface ClientChange {
  clientId: string;
  before: ClientMetadata | null;
  after: ClientMetadata | null;
}

/** What goes with a client when it is deleted, for the confirmation that names it. */
export interface ClientImpact {
  client_id: string;
  client_name: string | null;
  /** People's grants to it (each with its tokens). */
  grants: number;
  /** Access and refresh tokens issued to it. */
  tokens: number;
  /** Passport releases made to it that are not revoked (their grants go; holders still see them). */
  releases: number;
}

const SECRET_BYTES = 32;
const newSecret = () => randomBytes(SECRET_BYTES).toString('base64url');

/**
 * Operator-registered clients. Metadata is checked twice: by our schema (what we
 * allow) and by oidc-provider's own validation (what the protocol allows), before
 * anything is written.
 */
export class ClientService {
  constructor(
    private readonly db: Database,
    private readonly provider: () => Provider,
    private readonly store: ClientRepository,
    private readonly cache?: ClientCache,
    private readonly outbound: OutboundPolicy = { allowPrivate: false, timeoutMs: 5000 },
  ) {}

  /** The server-side rules beyond the schema; the same for a new client and an edit. */
  private async check(metadata: Record<string, unknown>): Promise<void> {
    // The server fetches jwks_uri itself (releases, oidc-provider): public https only.
    const jwksUriProblem = typeof metadata.jwks_uri === 'string' ? await registrationUrlProblem(metadata.jwks_uri, this.outbound) : undefined;
    if (jwksUriProblem) throw badRequest(`jwks_uri: ${jwksUriProblem}`);
    // A verifier's server-side rules (URL policy, key import) are checked here and at
    // dynamic registration; the shared ones run again in Client.validate below.
    try {
      checkVerifierRegistration(metadata as VerifierMetadataLike, this.outbound);
    } catch (error) {
      if (error instanceof VerifierClientError) throw badRequest(error.message);
      throw error;
    }
    if (metadata.userinfo_encrypted_response_alg && !metadata.userinfo_signed_response_alg) {
      // Encrypted userinfo is a JWT: it must be signed first, as the client's ID tokens are (RS256 by default).
      metadata.userinfo_signed_response_alg = metadata.id_token_signed_response_alg ?? 'RS256';
    }
    try {
      await this.provider().Client.validate(metadata as never);
    } catch (error) {
      const e = error as { error_description?: string; message?: string };
      throw badRequest(e.error_description ?? e.message ?? 'invalid client metadata');
    }
  }

  async create(input: ClientInput, audit?: InTransaction<ClientChange>): Promise<ClientView> {
    const parsed = ClientInputSchema.safeParse(input);
    if (!parsed.success) throw badRequest(formatZodError(parsed.error));
    const { public: isPublic, ...rest } = parsed.data;
    const metadata: Record<string, unknown> = {
      ...rest,
      client_id: newClientId(),
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: isPublic ? 'none' : 'client_secret_basic',
    };
    if (!isPublic) metadata.client_secret = newSecret();
    await this.check(metadata);
    const clientId = String(metadata.client_id);
    // The secret is stored sealed; this answer is the only place it is shown.
    const stored = await this.db.transaction().execute(async (trx) => {
      const row = await this.store.on(trx).insert(metadata);
      await audit?.(trx, { clientId, before: null, after: metadata });
      return row;
    });
    // Nothing of a new id is cached, but lists built from every client are (GET /verifiers).
    this.cache?.invalidate(clientId);
    return { ...(metadata as ClientView), ...times(stored) };
  }

  /**
   * An edit made on `version` (what the form was loaded with). A client changed since
   * is refused with 409 and nothing is written; two edits at once: one wins, the other
   * gets 409 (the row is locked while it is compared and written).
   */
  async update(clientId: string, input: ClientUpdate, audit?: InTransaction<ClientChange>): Promise<ClientView> {
    const parsed = ClientUpdateSchema.safeParse(input);
    if (!parsed.success) throw badRequest(formatZodError(parsed.error));
    const { version, ...fields } = parsed.data;
    const current = await this.store.stored(clientId);
    if (!current) throw notFound('no client with this client_id');
    if (current.version !== version) throw stale(current.version);
    // What the operator sets is replaced; how the client authenticates and what it may ask for stays.
    const kept = pick(current.metadata, ['client_id', 'grant_types', 'response_types', 'token_endpoint_auth_method']);
    const metadata: Record<string, unknown> = { ...fields, ...kept };
    if (current.hasSecret) metadata.client_secret = 'x'.repeat(43); // a placeholder of the right shape, for validation only
    await this.check(metadata);
    delete metadata.client_secret;
    const written = await this.db.transaction().execute(async (trx) => {
      const store = this.store.on(trx);
      const locked = await store.stored(clientId, true);
      if (!locked) throw notFound('no client with this client_id');
      if (locked.version !== version) throw stale(locked.version);
      const row = await store.replaceMetadata(clientId, metadata);
      await audit?.(trx, { clientId, before: locked.metadata, after: metadata });
      return { ...locked, ...row };
    });
    this.cache?.invalidate(clientId);
    return toView(metadata, written);
  }

  /** A new secret for a confidential client, returned this once; the old one stops working at once. */
  async rotateSecret(clientId: string, audit?: InTransaction<ClientChange>): Promise<ClientView> {
    const secret = newSecret();
    const written = await this.db.transaction().execute(async (trx) => {
      const store = this.store.on(trx);
      const locked = await store.stored(clientId, true);
      if (!locked) throw notFound('no client with this client_id');
      if (!locked.hasSecret) throw badRequest('this client is public (token_endpoint_auth_method none): it has no secret to rotate');
      const row = await store.replaceSecret(clientId, secret);
      // The metadata is unchanged; the record says a secret was replaced, never which.
      await audit?.(trx, { clientId, before: locked.metadata, after: locked.metadata });
      return { ...locked, ...row };
    });
    this.cache?.invalidate(clientId);
    return { ...toView(written.metadata, written), client_secret: secret };
  }

  async list(): Promise<ClientView[]> {
    const rows = await this.db.selectFrom('clients').select(['metadata', 'created_at', 'updated_at', 'version']).orderBy('created_at').execute();
    return rows.map((r) => toView(r.metadata, r));
  }

  async show(clientId: string): Promise<ClientView | undefined> {
    const row = await this.db
      .selectFrom('clients')
      .select(['metadata', 'created_at', 'updated_at', 'version'])
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return row ? toView(row.metadata, row) : undefined;
  }

  /** What deleting the client takes with it; undefined when there is no such client. */
  async impact(clientId: string): Promise<ClientImpact | undefined> {
    const client = await this.store.stored(clientId);
    if (!client) return undefined;
    const [payloads, releases] = await Promise.all([
      this.db
        .selectFrom('oidc_payloads')
        .select((eb) => [
          eb.fn.count<string>(sql`case when kind = 'Grant' then 1 end`).as('grants'),
          eb.fn.count<string>(sql`case when kind in ('AccessToken', 'RefreshToken') then 1 end`).as('tokens'),
        ])
        .where(sql<string>`payload->>'clientId'`, '=', clientId)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
        .executeTakeFirstOrThrow(),
      this.db
        .selectFrom('releases')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('client_id', '=', clientId)
        .where('revoked_at', 'is', null)
        .executeTakeFirstOrThrow(),
    ]);
    const name = client.metadata.client_name;
    return {
      client_id: clientId,
      client_name: typeof name === 'string' ? name : null,
      grants: Number(payloads.grants),
      tokens: Number(payloads.tokens),
      releases: Number(releases.n),
    };
  }

  /** Deletes the client and everything issued to it. */
  async delete(clientId: string, audit?: InTransaction<ClientChange>): Promise<boolean> {
    const deleted = await this.db.transaction().execute(async (trx) => {
      const before = await this.store.on(trx).stored(clientId, true);
      if (!before) return false;
      await trx.deleteFrom('clients').where('client_id', '=', clientId).execute();
      await trx
        .deleteFrom('oidc_payloads')
        .where((eb) => eb(eb.fn('jsonb_extract_path_text', ['payload', eb.val('clientId')]), '=', clientId))
        .execute();
      await audit?.(trx, { clientId, before: before.metadata, after: null });
      return true;
    });
    // After the commit: a reader before it would otherwise cache the old row again.
    if (deleted) this.cache?.invalidate(clientId);
    return deleted;
  }
}

function stale(version: number) {
  return conflict(`the client was changed meanwhile (it is at version ${version}); load it again and redo the edit`);
}

function pick(metadata: ClientMetadata, keys: string[]): ClientMetadata {
  return Object.fromEntries(keys.filter((k) => metadata[k] !== undefined).map((k) => [k, metadata[k]]));
}

const times = (row: { created_at: Date; updated_at: Date; version: number | string }) => ({
  created_at: new Date(row.created_at).toISOString(),
  updated_at: new Date(row.updated_at).toISOString(),
  version: Number(row.version),
});

function toView(metadata: Record<string, unknown>, row: { created_at: Date; updated_at: Date; version: number | string }): ClientView {
  const { client_secret: _secret, ...rest } = metadata;
  return { ...(rest as ClientView), ...times(row) };
}

export type { StoredClient };
