/**
 * Wathiqa as a verifier of its own (issue "People's accounts", point 7): it checks
 * that the holder controls the address of a vault `email` element (a mailed code)
 * and issues the same SD-JWT VC an external verifier would (DESIGN 5.6), signed with
 * a key of its own. It is listed by GET /verifiers like any verifier, so relying
 * parties trust it, or not, the same way.
 *
 * - client_id: the issuer URL. Generated client ids are random tokens, never URLs,
 *   so it cannot collide with a registered client.
 * - its ES256 key is made at start-up when there is none, kept in
 *   wathiqa_verifier_keys sealed under OPERATOR_KEY (sealText, kid bound), and held
 *   in memory from then on. Not the OIDC signing keys: those rotate on their own
 *   schedule and sign tokens, not attestations.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { sql } from 'kysely';
import type { Database } from '../db/index.js';
import { openSealed, sealText } from '../oidc/keys.js';
import type { ElementType } from '../protocol/elements/table.js';
import type { VerifierEntry } from './service.js';

export const WATHIQA_VERIFIER_NAME = 'Wathiqa';
/** OIDC4IA names trust frameworks; there is none for "controls this mailbox", so ours says exactly that. */
export const WATHIQA_TRUST_FRAMEWORK = 'wathiqa_email_control';
export const WATHIQA_ATTESTED_TYPES: readonly ElementType[] = ['email'];
const ALG = 'ES256';

const sealKid = (kid: string) => `wathiqa-verifier:${kid}`;

/** The home page: where the issuer says who it is (the policy URL Wathiqa publishes for itself). */
export const homePage = (issuer: string) => `${issuer.replace(/\/+$/, '')}/`;

export class WathiqaVerifier {
  private constructor(
    readonly clientId: string,
    private readonly privateJwk: JWK & { kid: string; alg: 'ES256' },
  ) {}

  /** Loads the key, making it first if there is none (safe when several nodes start at once). */
  static async create(db: Database, issuer: string, operatorKey: Uint8Array): Promise<WathiqaVerifier> {
    const row = await db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('wathiqa_verifier_keys').selectAll().orderBy('created_at', 'desc').executeTakeFirst();
      if (existing) return existing;
      await sql`lock table wathiqa_verifier_keys in exclusive mode`.execute(trx);
      const raced = await trx.selectFrom('wathiqa_verifier_keys').selectAll().orderBy('created_at', 'desc').executeTakeFirst();
      if (raced) return raced;
      const { privateKey } = await generateKeyPair(ALG, { extractable: true });
      const jwk = await exportJWK(privateKey);
      const kid = await calculateJwkThumbprint({ kty: 'EC', crv: jwk.crv!, x: jwk.x!, y: jwk.y! });
      const fresh = { kid, alg: ALG, sealed_jwk: await sealText(JSON.stringify(jwk), sealKid(kid), operatorKey) };
      await trx.insertInto('wathiqa_verifier_keys').values(fresh).execute();
      return fresh;
    });
    const jwk = JSON.parse(await openSealed(row.sealed_jwk, sealKid(row.kid), operatorKey, "Wathiqa's verifier key")) as JWK;
    return new WathiqaVerifier(issuer.replace(/\/+$/, ''), { ...jwk, kid: row.kid, alg: ALG });
  }

  /** The private signing JWK, for issueAttestation. */
  signingKey(): JWK & { kid: string; alg: 'ES256' } {
    return { ...this.privateJwk };
  }

  /** Its entry in GET /verifiers: public signing key only. */
  entry(): VerifierEntry {
    const { kty, crv, x, y, kid } = this.privateJwk;
    return {
      client_id: this.clientId,
      name: WATHIQA_VERIFIER_NAME,
      attested_types: [...WATHIQA_ATTESTED_TYPES],
      trust_framework: WATHIQA_TRUST_FRAMEWORK,
      policy_uri: homePage(this.clientId),
      jwks: { keys: [{ kty: kty as 'EC', crv: crv as 'P-256', x: x!, y: y!, kid, use: 'sig', alg: ALG }] },
    };
  }
}
