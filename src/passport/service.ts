import { decodeProtectedHeader, type JWK } from 'jose';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { Database } from '../db/index.js';
import { badRequest, notFound } from '../http/errors.js';
import { loggableUrl, OutboundError, outboundJson, type OutboundPolicy } from '../http/outbound.js';
import type { Logger } from '../ops/logger.js';
import { isElementType } from '../protocol/elements/registry.js';
import { RELEASE_CTY, RELEASE_ENC, releaseKey } from './client-policy.js';
import { revokeGrants } from '../oidc/grants.js';
import { releaseRepository } from './repository.js';
import type { ReadCache } from '../oidc/token-cache.js';

/** A release is a handful of fields and file keys; anything near this is not one. */
export const MAX_RELEASE_BYTES = 256 * 1024;

export interface ReleaseInput {
  jwe: string;
  file_ids: string[];
  element_types: string[];
  /** RP feedback (DESIGN 5.7): one random ref per released element, and the sealed sharing record. */
  refs?: string[];
  sharing_record?: { id: string; sealed: string };
}

/** The refs and the sealed record come together: one ref per element (types are unique in a release), none twice. */
function feedbackOf(input: ReleaseInput, elements: number): { refs: string[]; record_id: string | null; sharing_record: string | null } {
  if (!input.refs && !input.sharing_record) return { refs: [], record_id: null, sharing_record: null };
  if (!input.refs || !input.sharing_record) throw badRequest('refs and sharing_record: give both or neither');
  if (new Set(input.refs).size !== input.refs.length) throw badRequest('refs: each ref must be different');
  if (input.refs.length !== elements) throw badRequest('refs: one ref per released element');
  return { refs: input.refs, record_id: input.sharing_record.id, sharing_record: input.sharing_record.sealed };
}

/** A client's jwks_uri is read at most this often (a rotated key shows up within it). */
export const JWKS_TTL_MS = 60_000;
/** A release naming a key the cached set lacks refetches it, but not more often than this. */
const JWKS_MISS_REFETCH_MS = 5_000;
const JWKS_CACHE_SIZE = 1000;
const JWKS_UNREADABLE = "jwe: the client's jwks_uri cannot be read";

type Jwks = { keys?: JWK[] };
const JwksDocument = z.object({ keys: z.array(z.looseObject({ kty: z.string() })) });

interface ClientKeys {
  clientId: string;
  alg: string;
  jwks?: { keys?: JWK[] };
  jwksUri?: string;
}

/**
 * Releases: stored and forwarded, never opened. The server checks what it can see
 * from outside: the JWE header against the client's registered key, the size,
 * and that every scan named belongs to the holder.
 */
export class ReleaseService {
  readonly releases;

  private readonly jwksCache = new Map<string, { jwks: Jwks; at: number }>();
  private readonly jwksPending = new Map<string, Promise<{ jwks: Jwks; at: number }>>();

  constructor(
    private readonly db: Database,
    private readonly outbound: OutboundPolicy = { allowPrivate: false, timeoutMs: 5000 },
    private readonly logger?: Logger,
    /** Keeps release JWEs for userinfo; a revoked release or grant leaves it on every node (migration 0017). */
    private readonly cache?: ReadCache,
  ) {
    this.releases = releaseRepository(db);
  }

  /** The client's published keys: cached per client for JWKS_TTL_MS, concurrent misses share one fetch. */
  private async jwksFor(clientId: string, uri: string, minAt = 0): Promise<{ jwks: Jwks; at: number }> {
    const cacheKey = `${clientId} ${uri}`;
    const cached = this.jwksCache.get(cacheKey);
    if (cached && Date.now() - cached.at < JWKS_TTL_MS && cached.at > minAt) return cached;
    const pending = this.jwksPending.get(cacheKey);
    if (pending) return pending;
    const load = this.fetchJwks(clientId, uri)
      .then((jwks) => {
        const entry = { jwks, at: Date.now() };
        this.jwksCache.delete(cacheKey);
        this.jwksCache.set(cacheKey, entry);
        // Oldest first in a Map: drop from the front past the bound.
        for (const key of this.jwksCache.keys()) {
          if (this.jwksCache.size <= JWKS_CACHE_SIZE) break;
          this.jwksCache.delete(key);
        }
        return entry;
      })
      .finally(() => this.jwksPending.delete(cacheKey));
    this.jwksPending.set(cacheKey, load);
    return load;
  }

  /** Public keys only, through the guarded fetcher; every failure is the same 400. */
  private async fetchJwks(clientId: string, uri: string): Promise<Jwks> {
    try {
      const parsed = JwksDocument.safeParse(await outboundJson(uri, this.outbound));
      if (!parsed.success) throw new OutboundError('not a JWK Set');
      return parsed.data as Jwks;
    } catch (error) {
      if (!(error instanceof OutboundError)) throw error;
      this.logger?.debug({ client_id: clientId, jwks_uri: loggableUrl(uri), reason: error.reason }, 'jwks_uri fetch failed');
      throw badRequest(JWKS_UNREADABLE);
    }
  }

  async checkHeader(jwe: string, client: ClientKeys): Promise<void> {
    if (typeof jwe !== 'string' || jwe.length > MAX_RELEASE_BYTES || jwe.split('.').length !== 5) {
      throw badRequest('jwe: must be a compact JWE of at most 256 KiB');
    }
    let header;
    try {
      header = decodeProtectedHeader(jwe);
    } catch {
      throw badRequest('jwe: the protected header cannot be read');
    }
    if (header.alg !== client.alg) throw badRequest(`jwe: alg must be ${client.alg} for this client`);
    if (header.enc !== RELEASE_ENC) throw badRequest(`jwe: enc must be ${RELEASE_ENC}`);
    if (header.cty !== RELEASE_CTY) throw badRequest(`jwe: cty must be ${RELEASE_CTY}`);
    if ('zip' in header) throw badRequest('jwe: compression is not allowed');
    let key = releaseKey(client.jwks, client.alg);
    if (!client.jwks && client.jwksUri) {
      const fetched = await this.jwksFor(client.clientId, client.jwksUri);
      key = releaseKey(fetched.jwks, client.alg);
      // The RP may have rotated its key since we cached the set: look once more.
      if ((!key || header.kid !== key.kid) && Date.now() - fetched.at >= JWKS_MISS_REFETCH_MS) {
        key = releaseKey((await this.jwksFor(client.clientId, client.jwksUri, fetched.at)).jwks, client.alg);
      }
    }
    if (!key || header.kid !== key.kid) throw badRequest("jwe: kid must name the client's registered encryption key");
  }

  /**
   * Checks a release, then saves its new grant (`saveGrant`, only once everything
   * checked out) and stores the release with it.
   */
  async create(accountId: string, client: ClientKeys, input: ReleaseInput, saveGrant: () => Promise<string>) {
    await this.checkHeader(input.jwe, client);
    const types = [...new Set(input.element_types)];
    if (!types.length || !types.every(isElementType)) throw badRequest('element_types: must name element types');
    const feedback = feedbackOf(input, types.length);
    const fileIds = [...new Set(input.file_ids)];
    if (fileIds.length) {
      const owned = await this.db
        .selectFrom('vault_files')
        .select('id')
        .where('account_id', '=', accountId)
        .where('element_id', 'is not', null)
        .where('id', 'in', fileIds)
        .execute();
      if (owned.length !== fileIds.length) throw badRequest('file_ids: every scan must be one of your documents');
    }
    const grantId = await saveGrant();
    const release = await this.releases.create({ grant_id: grantId, account_id: accountId, client_id: client.clientId, jwe: input.jwe, element_types: types, file_ids: fileIds, ...feedback });
    return { ...release, grantId };
  }

  /** The grant's release JWE (the `passport` claim), if it has a live one. */
  async claimFor(grantId: string | undefined): Promise<string | undefined> {
    if (!grantId) return undefined;
    const key = `r:${grantId}`;
    const cached = this.cache?.get<string>(key);
    if (cached !== undefined) return cached;
    const generation = this.cache?.generation ?? 0;
    const jwe = (await this.releases.forGrant(grantId))?.jwe;
    if (jwe) this.cache?.put(key, jwe, generation, Infinity, jwe.length);
    return jwe;
  }

  /**
   * The ciphertext of a scan, for the access token of the grant whose release names
   * it. Anything else (unknown token or file, another grant, a revoked release) is
   * the same 404.
   */
  async fileForToken(provider: Provider, accessToken: string, fileId: string) {
    const token = await provider.AccessToken.find(accessToken).catch(() => undefined);
    if (!token || token.isSenderConstrained?.()) throw notFound('no such file');
    const release = await this.releases.forGrant(token.grantId!);
    if (!release || !release.file_ids.includes(fileId)) throw notFound('no such file');
    const file = await this.db
      .selectFrom('vault_files')
      .select(['ciphertext', 'media_type'])
      .where('id', '=', fileId)
      .where('account_id', '=', release.account_id)
      .executeTakeFirst();
    if (!file) throw notFound('no such file');
    return file;
  }

  /** The holder withdraws a release: its grant and every token of it go, at once. */
  async revoke(accountId: string, releaseId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const release = await releaseRepository(trx).find(accountId, releaseId);
      if (!release) return false;
      await revokeGrants(trx, [release.grant_id]);
      return true;
    });
  }

  list(accountId: string) {
    return this.releases.list(accountId);
  }
}
