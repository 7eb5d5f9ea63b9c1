import { createPublicKey } from 'node:crypto';
import type { JWK } from 'jose';
import { staticUrlProblem, type OutboundPolicy } from '../http/outbound.js';
import { checkVerifierClient, isVerifierClient, VerifierClientError, type VerifierMetadataLike } from './policy.js';

/**
 * The registration-time check of a verifier, server side: the shared rules
 * (./policy.ts), then what needs Node or the server's configuration.
 * - The published URLs follow the outbound policy (no loopback or private hosts unless
 *   OUTBOUND_ALLOW_PRIVATE): GET /verifiers hands them to every holder and RP.
 * - Each signing key must import as a public key, so a point off the curve is refused
 *   here and not when the first attestation fails to verify.
 * Run at registration only (stored clients are not re-judged when loaded).
 */
export function checkVerifierRegistration(metadata: VerifierMetadataLike, outbound: Pick<OutboundPolicy, 'allowPrivate'>): void {
  checkVerifierClient(metadata);
  if (!isVerifierClient(metadata)) return;
  for (const name of ['policy_uri', 'logo_uri'] as const) {
    const value = metadata[name];
    const problem = typeof value === 'string' ? staticUrlProblem(value, outbound) : undefined;
    if (problem) throw new VerifierClientError(`${name} ${problem}`);
  }
  for (const key of metadata.jwks?.keys ?? []) {
    if (key.use !== 'sig') continue;
    try {
      createPublicKey({ key: key as JWK & Record<string, unknown>, format: 'jwk' });
    } catch {
      throw new VerifierClientError(`jwks key "${String(key.kid).slice(0, 64)}" is not a valid public key`);
    }
  }
}
