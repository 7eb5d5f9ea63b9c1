import { sql } from 'kysely';
import type Provider from 'oidc-provider';
import type { Database } from '../db/index.js';
import { badRequest, HttpError, notFound } from '../http/errors.js';
import { isVerifierClient } from '../verifiers/policy.js';
import { checkAttestationJwe } from './header.js';

/** Pending items one verifier may have in one holder's inbox: it cannot fill the inbox. */
export const INBOX_CAP_PER_VERIFIER = 20;
/** Items per listing, oldest first: the page deletes what it has sealed and reads the rest next time. */
export const INBOX_PAGE = 100;

export const invalidToken = () =>
  new HttpError(401, 'invalid_token', 'the access token is not valid: unknown, expired, revoked or sender-constrained', {
    'WWW-Authenticate': 'Bearer error="invalid_token"',
  });
export const notAVerifier = () =>
  new HttpError(403, 'not_a_verifier', 'only a verifier client (registered with "verifier": true) may deliver attestations');
export const noRelease = () => new HttpError(404, 'no_release', 'the grant of this access token has no live release');
export const inboxFull = () =>
  new HttpError(409, 'inbox_full', `the holder has ${INBOX_CAP_PER_VERIFIER} attestations from this verifier waiting; try again after the holder has opened them`);

interface LiveToken {
  clientId: string;
  grantId: string;
}

/**
 * Attestation delivery and the holder's inbox (DESIGN 5.6, "Delivery"). A verifier
 * posts an SD-JWT encrypted to the holder's HE key with the access token of the
 * grant it received the release on; the server checks what it can see from
 * outside and keeps the JWE until the holder's page takes it. The server has no
 * HE private key (it is sealed under MK, in the vault): it cannot open the JWE,
 * check its signature or see what it attests. The page does all of that.
 */
export class AttestationService {
  constructor(private readonly db: Database) {}

  /** Checks, in order, then stores; returns the new item's id. */
  async deliver(provider: Provider, accessToken: string, jwe: string): Promise<{ id: string }> {
    const token = await this.liveToken(provider, accessToken);
    await this.requireVerifier(provider, token.clientId);
    const release = await this.liveRelease(token);
    const header = checkAttestationJwe(jwe);
    await this.requireHolderEncryptionKid(release.account_id, header.kid);
    return this.store({ accountId: release.account_id, clientId: token.clientId, releaseId: release.id, jwe });
  }

  /** A live bearer access token of a grant. Found-but-expired is not found (oidc-provider checks `exp`). */
  private async liveToken(provider: Provider, accessToken: string): Promise<LiveToken> {
    const token = await provider.AccessToken.find(accessToken).catch(() => undefined);
    if (!token || token.isSenderConstrained?.() || !token.grantId || !token.clientId) throw invalidToken();
    return { clientId: token.clientId, grantId: token.grantId };
  }

  /** The client as registered now: a client that lost the role stops delivering at once. */
  private async requireVerifier(provider: Provider, clientId: string): Promise<void> {
    const client = await provider.Client.find(clientId).catch(() => undefined);
    if (!client || !isVerifierClient(client.metadata() as { verifier?: unknown })) throw notAVerifier();
  }

  /**
   * The grant's release, not revoked, and the client's own. A revoked release's tokens
   * are deleted with it, so this mostly catches a token of a grant that never had one
   * (a sign-in without the passport scope). The verifier holds the token: telling it
   * its own grant has no release reveals nothing about anyone else.
   */
  private async liveRelease(token: LiveToken) {
    const release = await this.db
      .selectFrom('releases')
      .select(['id', 'account_id', 'client_id'])
      .where('grant_id', '=', token.grantId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!release || release.client_id !== token.clientId) throw noRelease();
    return release;
  }

  /**
   * The header's kid must be the thumbprint of the HE key stored with the holder's
   * vault. A holder without keys (or a kid of the HS key, or of anyone else's) gets
   * the same answer: the verifier learns HE only from inside the release.
   */
  private async requireHolderEncryptionKid(accountId: string, kid: string): Promise<void> {
    const vault = await this.db.selectFrom('vaults').select('holder_keys').where('account_id', '=', accountId).executeTakeFirst();
    const keys = (vault?.holder_keys ?? []) as { use?: unknown; public_jwk?: { kid?: unknown } }[];
    const he = keys.find((k) => k.use === 'enc')?.public_jwk?.kid;
    if (typeof he !== 'string' || he !== kid) throw badRequest("jwe: kid must name the holder's encryption (HE) key");
  }

  /**
   * One insert, counted and checked in the same statement, under a transaction-scoped
   * advisory lock per (holder, verifier): concurrent deliveries queue on the lock, and
   * each insert's snapshot (taken after the lock) sees the others' committed rows,
   * so the cap holds. The release is checked again in the statement, in case it was
   * revoked since.
   */
  private async store(item: { accountId: string; clientId: string; releaseId: string; jwe: string }): Promise<{ id: string }> {
    return this.db.transaction().execute(async (trx) => {
      const lockKey = `attestation-inbox|${item.accountId}|${item.clientId}`;
      await sql`select pg_advisory_xact_lock(hashtextextended(${lockKey}, 0))`.execute(trx);
      const { rows } = await sql<{ id: string }>`
        insert into attestation_inbox (account_id, client_id, release_id, jwe)
        select ${item.accountId}::uuid, ${item.clientId}, ${item.releaseId}::uuid, ${item.jwe}
        where exists (select 1 from releases where id = ${item.releaseId}::uuid and revoked_at is null)
          and (select count(*) from attestation_inbox where account_id = ${item.accountId}::uuid and client_id = ${item.clientId}) < ${INBOX_CAP_PER_VERIFIER}
        returning id`.execute(trx);
      if (rows[0]) return { id: rows[0].id };
      const live = await trx.selectFrom('releases').select('id').where('id', '=', item.releaseId).where('revoked_at', 'is', null).executeTakeFirst();
      throw live ? inboxFull() : noRelease();
    });
  }

  /** The holder's pending items, oldest first, with the verifier's registered name. */
  async list(accountId: string) {
    const rows = await this.db
      .selectFrom('attestation_inbox as a')
      .leftJoin('clients as c', 'c.client_id', 'a.client_id')
      .select(['a.id', 'a.client_id', sql<string | null>`c.metadata->>'client_name'`.as('verifier_name'), 'a.release_id', 'a.jwe', 'a.created_at'])
      .where('a.account_id', '=', accountId)
      .orderBy('a.created_at')
      .orderBy('a.id')
      .limit(INBOX_PAGE)
      .execute();
    return rows.map((r) => ({ ...r, created_at: r.created_at.toISOString() }));
  }

  /** Removes one of the holder's items; another holder's is as if it did not exist. */
  async remove(accountId: string, id: string): Promise<void> {
    const result = await this.db.deleteFrom('attestation_inbox').where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
    if (!result.numDeletedRows) throw notFound('no such attestation');
  }
}
