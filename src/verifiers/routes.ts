import Router from '@koa/router';
import { z } from 'zod';
import { query } from '../http/guard.js';
import { ELEMENT_TYPES } from '../protocol/elements/table.js';
import { TRUST_FRAMEWORK_PATTERN } from './policy.js';
import type { VerifierService } from './service.js';
import { homePage } from './wathiqa.js';

export const VERIFIERS_PATH = '/verifiers';

// Strict objects: a private member (`d`), an encryption key or a client secret in an
// answer fails the guard instead of being published.
const SigningKey = z.strictObject({
  kty: z.enum(['EC', 'OKP']),
  crv: z.enum(['P-256', 'Ed25519']),
  x: z.string(),
  y: z.string().optional(),
  kid: z.string().min(1),
  use: z.literal('sig'),
  alg: z.enum(['ES256', 'EdDSA']),
});

/**
 * A verifier entry. policy_uri is https, or the issuer's own home page (Wathiqa's
 * own verifier, which is http in development and tests).
 */
const verifierSchema = (ownPolicy?: string) =>
  z.strictObject({
    client_id: z.string(),
    name: z.string(),
    attested_types: z.array(z.enum(ELEMENT_TYPES)).min(1),
    trust_framework: z.string().regex(TRUST_FRAMEWORK_PATTERN),
    policy_uri: ownPolicy ? z.union([z.url({ protocol: /^https$/ }), z.literal(ownPolicy)]) : z.url({ protocol: /^https$/ }),
    logo_uri: z.url({ protocol: /^https$/ }).optional(),
    jwks: z.strictObject({ keys: z.array(SigningKey).min(1) }),
  });

export const verifierListSchema = (ownPolicy?: string) => z.strictObject({ verifiers: z.array(verifierSchema(ownPolicy)) });
export const VerifierListSchema = verifierListSchema();
export type VerifierList = z.infer<typeof VerifierListSchema>;

const NoQuery = z.strictObject({});

/** Public, no authentication: holders' pages and RPs building trust lists read it (DESIGN 5.6). */
export function verifiersRouter({ verifiers, config }: { verifiers: VerifierService; config: { issuer: string } }): Router {
  const router = new Router();
  const schema = verifierListSchema(homePage(config.issuer));

  router.get(VERIFIERS_PATH, async (ctx) => {
    query(ctx, NoQuery);
    const answer = schema.safeParse({ verifiers: await verifiers.list() });
    // Our own output failing its guard is a server bug (500, logged), not the caller's 400.
    if (!answer.success) throw new Error(`GET ${VERIFIERS_PATH}: the answer failed its guard: ${answer.error.message}`);
    ctx.set('Cache-Control', 'public, max-age=60');
    // Public data without credentials, like the provider's own jwks_uri: any origin may read it.
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.body = answer.data;
  });

  return router;
}
