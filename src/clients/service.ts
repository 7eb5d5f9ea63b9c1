import { randomBytes } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { Database } from '../db/index.js';
import { badRequest } from '../http/errors.js';
import { registrationUrlProblem, type OutboundPolicy } from '../http/outbound.js';
import { ClientInputSchema, type ClientInput, type ClientView } from './schema.js';
import { formatZodError } from '../http/guard.js';
import type { ClientCache } from '../oidc/adapter.js';
import { newClientId, type ClientRepository } from './repository.js';
import { checkVerifierRegistration } from '../verifiers/registration.js';
import { VerifierClientError, type VerifierMetadataLike } from '../verifiers/policy.js';

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

  async create(input: ClientInput): Promise<ClientView> {
    const parsed = ClientInputSchema.safeParse(input);
    if (!parsed.success) throw badRequest(formatZodError(parsed.error));
    // The server fetches jwks_uri itself (releases, oidc-provider): public https only.
    const jwksUriProblem = parsed.data.jwks_uri ? await registrationUrlProblem(parsed.data.jwks_uri, this.outbound) : undefined;
    if (jwksUriProblem) throw badRequest(`jwks_uri: ${jwksUriProblem}`);
    const { public: isPublic, ...rest } = parsed.data;
    const metadata: Record<string, unknown> = {
      ...rest,
      client_id: newClientId(),
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: isPublic ? 'none' : 'client_secret_basic',
    };
    if (!isPublic) metadata.client_secret = randomBytes(32).toString('base64url');
    // A verifier's server-side rules (URL policy, key import) are checked here and at
    // dynamic registration; the shared ones run again in Client.validate below.
    try {
      checkVerifierRegistration(metadata as VerifierMetadataLike, this.outbound);
    } catch (error) {
      if (error instanceof VerifierClientError) throw badRequest(error.message);
      throw error;
    }
    if (rest.userinfo_encrypted_response_alg && !rest.userinfo_signed_response_alg) {
      // Encrypted userinfo is a JWT: it must be signed first, as the client's ID tokens are (RS256 by default).
      metadata.userinfo_signed_response_alg = rest.id_token_signed_response_alg ?? 'RS256';
    }
    try {
      await this.provider().Client.validate(metadata as never);
    } catch (error) {
      const e = error as { error_description?: string; message?: string };
      throw badRequest(e.error_description ?? e.message ?? 'invalid client metadata');
    }
    // The secret is stored sealed; this answer is the only place it is shown.
    const createdAt = await this.store.insert(metadata);
    // Nothing of a new id is cached, but lists built from every client are (GET /verifiers).
    this.cache?.invalidate(String(metadata.client_id));
    return { ...(metadata as ClientView), created_at: createdAt.toISOString() };
  }

  async list(): Promise<ClientView[]> {
    const rows = await this.db.selectFrom('clients').select(['metadata', 'created_at']).orderBy('created_at').execute();
    return rows.map((r) => toView(r.metadata, r.created_at));
  }

  async show(clientId: string): Promise<ClientView | undefined> {
    const row = await this.db.selectFrom('clients').select(['metadata', 'created_at']).where('client_id', '=', clientId).executeTakeFirst();
    return row ? toView(row.metadata, row.created_at) : undefined;
  }

  /** Deletes the client and everything issued to it. */
  async delete(clientId: string): Promise<boolean> {
    const deleted = await this.db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('clients').where('client_id', '=', clientId).executeTakeFirst();
      if (result.numDeletedRows === 0n) return false;
      await trx
        .deleteFrom('oidc_payloads')
        .where((eb) => eb(eb.fn('jsonb_extract_path_text', ['payload', eb.val('clientId')]), '=', clientId))
        .execute();
      return true;
    });
    // After the commit: a reader before it would otherwise cache the old row again.
    if (deleted) this.cache?.invalidate(clientId);
    return deleted;
  }
}

function toView(metadata: Record<string, unknown>, createdAt: Date): ClientView {
  const { client_secret: _secret, ...rest } = metadata;
  return { ...(rest as ClientView), created_at: createdAt.toISOString() };
}
