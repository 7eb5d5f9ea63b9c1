import { z } from 'zod';
import { SIGNING_ALGS } from '../oidc/keys.js';
import { SCOPES } from '../oidc/provider.js';
import { RELEASE_ALGS } from '../passport/client-policy.js';
import { ELEMENT_TYPES } from '../protocol/elements/table.js';

const Jwk = z.looseObject({ kty: z.string(), kid: z.string().optional(), use: z.string().optional(), alg: z.string().optional() });
export const JwksSchema = z.object({ keys: z.array(Jwk).min(1) });

const EncAlg = z.enum(['ECDH-ES+A256KW', 'RSA-OAEP-256']);
const Enc = z.literal('A256GCM');
const SignAlg = z.enum(SIGNING_ALGS);
const HttpUrl = z.url({ protocol: /^https?$/ });

/** What an operator (CLI, admin API, console) may set on a client. Snake case, as in RFC 7591. */
const ClientFields = z
  .object({
    client_name: z.string().trim().min(1).max(200),
    redirect_uris: z.array(z.url()).min(1, 'at least one redirect URI is required'),
    post_logout_redirect_uris: z.array(z.url()).default([]),
    scope: z
      .string()
      .trim()
      .default('openid email offline_access')
      .refine((s) => s.split(/\s+/).every((x) => (SCOPES as readonly string[]).includes(x)), {
        message: `scope may contain only: ${SCOPES.join(' ')}`,
      }),
    public: z.boolean().default(false),
    jwks: JwksSchema.optional(),
    jwks_uri: HttpUrl.optional(),
    logo_uri: HttpUrl.optional(),
    client_uri: HttpUrl.optional(),
    policy_uri: HttpUrl.optional(),
    tos_uri: HttpUrl.optional(),
    id_token_signed_response_alg: SignAlg.optional().meta({ description: 'How ID tokens are signed; RS256 when absent (the OpenID Connect Registration default)' }),
    id_token_encrypted_response_alg: EncAlg.optional(),
    id_token_encrypted_response_enc: Enc.optional(),
    userinfo_signed_response_alg: SignAlg.optional(),
    userinfo_encrypted_response_alg: EncAlg.optional(),
    userinfo_encrypted_response_enc: Enc.optional(),
    /** The passport_scope used when an authorization request has none (DESIGN 5.3). */
    passport_scope: z.unknown().optional(),
    /** Fixed per client; derived from the encryption key when jwks is inline. */
    passport_release_alg: z.enum(RELEASE_ALGS).optional(),
    // The verifier role (DESIGN 5.6, docs/verifiers.md). Shapes only here: the rules
    // (keys, types, URLs) are src/verifiers/policy.ts, the same for every registration path.
    verifier: z.boolean().optional().meta({
      description: 'The verifier role: the client checks documents and signs attestations. Needs the passport scope, inline jwks with a "use": "enc" key and an ES256 or EdDSA "use": "sig" key (each with a kid), verifier_attested_types, verifier_trust_framework and an https policy_uri',
    }),
    verifier_attested_types: z
      .array(z.string().max(64))
      .max(ELEMENT_TYPES.length)
      .optional()
      .meta({ description: `The element types a verifier attests, at least one of: ${ELEMENT_TYPES.join(', ')}` }),
    verifier_trust_framework: z
      .string()
      .max(64)
      .optional()
      .meta({ description: 'The trust framework a verifier works under, as OIDC4IA names it: letters, digits, ".", "_", "~", "-" (e.g. "eidas")' }),
  })
  .strict();

const oneKeySource = { message: 'give jwks or jwks_uri, not both', path: ['jwks_uri'] };

export const ClientInputSchema = ClientFields.refine((c) => !(c.jwks && c.jwks_uri), oneKeySource);
export type ClientInput = z.input<typeof ClientInputSchema>;

/**
 * An edit replaces everything an operator sets, except whether the client is public
 * (its secret, or its absence, stays; see rotate-secret). `version` is the one the
 * form was loaded with: a client changed since is refused (409), nothing written.
 */
export const ClientUpdateSchema = ClientFields.omit({ public: true })
  .extend({
    version: z.number().int().min(1).meta({ description: 'The client version this edit was made on (from GET); a newer one on the server: 409 conflict' }),
  })
  .strict()
  .refine((c) => !(c.jwks && c.jwks_uri), oneKeySource);
export type ClientUpdate = z.input<typeof ClientUpdateSchema>;

/** A client as the operator sees it; the secret appears only in the answer to create. */
export const ClientViewSchema = z.looseObject({
  client_id: z.string(),
  client_secret: z.string().optional(),
  client_name: z.string().optional(),
  redirect_uris: z.array(z.string()),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  version: z.number().optional(),
});
export type ClientView = z.infer<typeof ClientViewSchema>;
