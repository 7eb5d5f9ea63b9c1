/**
 * Members of the release payload (DESIGN 5.4) that the consent page writes and the
 * RP SDK reads, written once here. So far: `holder` (DESIGN 5.5), the holder's
 * public keys, in releases to verifier clients only:
 *
 *   "holder": { "enc": <HE public JWK>, "sig": <HS public JWK> }
 *
 * each exactly as the vault stores it (P-256, kid = RFC 7638 thumbprint, use and
 * alg paired). A verifier learns them from inside the encrypted release, never
 * from the server, so the server cannot substitute its own.
 *
 * Every element also carries `ref` (DESIGN 5.7): 16 random bytes, unpadded
 * base64url, naming the element in this release for RP feedback (feedback.ts).
 */
import * as z from 'zod';
import { HolderKeyShapes, type HolderPublicJwk, type StoredHolderKey } from './holder-keys.js';
import { ProtocolInputError } from './errors.js';

export interface ReleaseHolder {
  enc: HolderPublicJwk;
  sig: HolderPublicJwk;
}

export const ReleaseHolderSchema = z
  .strictObject({ enc: HolderKeyShapes.publicJwk, sig: HolderKeyShapes.publicJwk })
  .refine((h) => h.enc.use === 'enc', { message: 'must be the enc key', path: ['enc', 'use'] })
  .refine((h) => h.sig.use === 'sig', { message: 'must be the sig key', path: ['sig', 'use'] })
  .refine((h) => h.enc.kid !== h.sig.kid, { message: 'must be two different keys', path: ['sig', 'kid'] });

/** The `holder` member from the vault's stored keys (which the page checked under MK). */
export function releaseHolder(keys: readonly StoredHolderKey[]): ReleaseHolder {
  const enc = keys.find((k) => k.use === 'enc')?.public_jwk;
  const sig = keys.find((k) => k.use === 'sig')?.public_jwk;
  const parsed = ReleaseHolderSchema.safeParse({ enc, sig });
  if (!parsed.success) throw new ProtocolInputError('the vault has no valid holder keys');
  return parsed.data as ReleaseHolder;
}
