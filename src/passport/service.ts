import { decodeProtectedHeader, type JWK } from 'jose';
import type Provider from 'oidc-provider';
import type { Database } from '../db/index.js';
import { badRequest, notFound } from '../http/errors.js';
import { isElementType } from '../protocol/elements/registry.js';
import { RELEASE_CTY, RELEASE_ENC, releaseKey } from './client-policy.js';
import { releaseRepository } from './repository.js';

/** A release is a handful of fields and file keys; anything near this is not one. */
export const MAX_RELEASE_BYTES = 256 * 1024;

export interface ReleaseInput {
  jwe: string;
  file_ids: string[];
  element_types: string[];
}

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

  constructor(
    private readonly db: Database,
    private readonly fetchJwks: (uri: string) => Promise<{ keys?: JWK[] }> = defaultFetchJwks,
  ) {
    this.releases = releaseRepository(db);
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
    const jwks = client.jwks ?? (client.jwksUri ? await this.fetchJwks(client.jwksUri) : undefined);
    const key = releaseKey(jwks, client.alg);
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
    const release = await this.releases.create({ grant_id: grantId, account_id: accountId, client_id: client.clientId, jwe: input.jwe, element_types: types, file_ids: fileIds });
    return { ...release, grantId };
  }

  /** The grant's release JWE (the `passport` claim), if it has a live one. */
  async claimFor(grantId: string | undefined): Promise<string | undefined> {
    if (!grantId) return undefined;
    return (await this.releases.forGrant(grantId))?.jwe;
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
      await releaseRepository(trx).markRevoked(releaseId);
      await trx
        .deleteFrom('oidc_payloads')
        .where((eb) => eb.or([eb('grant_id', '=', release.grant_id), eb.and([eb('kind', '=', 'Grant'), eb('id', '=', release.grant_id)])]))
        .execute();
      return true;
    });
  }

  list(accountId: string) {
    return this.releases.list(accountId);
  }
}

/** Public keys only; bounded in time and size. */
async function defaultFetchJwks(uri: string): Promise<{ keys?: JWK[] }> {
  const response = await fetch(uri, { signal: AbortSignal.timeout(5000), headers: { accept: 'application/json' } });
  const text = await response.text();
  if (!response.ok || text.length > 64 * 1024) throw badRequest("jwe: the client's jwks_uri cannot be read");
  try {
    return JSON.parse(text) as { keys?: JWK[] };
  } catch {
    throw badRequest("jwe: the client's jwks_uri is not a JWK Set");
  }
}
