import type { JWK } from 'jose';
import { normalizePassportScope, PassportScopeError } from '../protocol/passport-scope.js';

/** The algorithms a release may be encrypted with (DESIGN 5.4); RSA1_5 never. */
export const RELEASE_ALGS = ['ECDH-ES+A256KW', 'RSA-OAEP-256'] as const;
export type ReleaseAlg = (typeof RELEASE_ALGS)[number];
export const RELEASE_ENC = 'A256GCM';
export const RELEASE_CTY = 'wathiqa-release+json';

export class PassportClientError extends Error {
  override name = 'PassportClientError';
}

interface ClientMetadataLike {
  scope?: string;
  jwks?: { keys?: JWK[] };
  jwks_uri?: string;
  passport_release_alg?: string;
  passport_scope?: unknown;
}

export function asksForPassport(scope: string | undefined): boolean {
  return typeof scope === 'string' && scope.split(' ').includes('passport');
}

/** The algorithm a key can receive a release with, if any. */
export function releaseAlgFor(key: JWK): ReleaseAlg | undefined {
  if (key.kty === 'EC' && key.crv === 'P-256') return 'ECDH-ES+A256KW';
  if (key.kty === 'RSA' && typeof key.n === 'string' && key.n.length >= 342) return 'RSA-OAEP-256'; // ≥ 2048 bits
  return undefined;
}

/** The registered key that releases are encrypted to: the first `use: "enc"` key of a supported type. */
export function releaseKey(jwks: { keys?: JWK[] } | undefined, alg?: string): JWK | undefined {
  return jwks?.keys?.find((k) => k.use === 'enc' && releaseAlgFor(k) !== undefined && (!alg || releaseAlgFor(k) === alg));
}

/**
 * A client may use the `passport` scope only with an encryption key (inline in
 * `jwks`, or published at `jwks_uri`). Fixes the release algorithm per client.
 * Returns the metadata to store; throws PassportClientError with a message for the operator.
 */
export function checkPassportClient(metadata: ClientMetadataLike): { passport_release_alg?: ReleaseAlg } {
  if (metadata.passport_scope !== undefined) {
    try {
      normalizePassportScope(metadata.passport_scope);
    } catch (error) {
      if (error instanceof PassportScopeError) throw new PassportClientError(`passport_scope ${error.message}`);
      throw error;
    }
  }
  const alg = metadata.passport_release_alg;
  if (alg !== undefined && !(RELEASE_ALGS as readonly string[]).includes(alg)) {
    throw new PassportClientError(`passport_release_alg must be one of ${RELEASE_ALGS.join(', ')}`);
  }
  if (!asksForPassport(metadata.scope)) {
    if (alg !== undefined || metadata.passport_scope !== undefined) {
      throw new PassportClientError('passport_release_alg and passport_scope need the passport scope');
    }
    return {};
  }
  if (metadata.jwks) {
    const key = releaseKey(metadata.jwks, alg);
    if (!key) {
      throw new PassportClientError(
        'the passport scope needs an encryption key: register a P-256 (EC) or 2048-bit RSA public key with "use": "enc" in jwks or at jwks_uri',
      );
    }
    if (!key.kid) throw new PassportClientError('the encryption key needs a "kid", so releases can name it');
    return { passport_release_alg: alg as ReleaseAlg | undefined ?? releaseAlgFor(key)! };
  }
  if (metadata.jwks_uri) {
    if (!alg) throw new PassportClientError('with jwks_uri, also register passport_release_alg (ECDH-ES+A256KW or RSA-OAEP-256)');
    return { passport_release_alg: alg as ReleaseAlg };
  }
  throw new PassportClientError(
    'the passport scope needs an encryption key: register a P-256 (EC) or 2048-bit RSA public key with "use": "enc" in jwks or at jwks_uri',
  );
}
