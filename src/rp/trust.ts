/**
 * The RP's trust list (DESIGN 5.6, "RP SDK verifies"): which verifiers it
 * accepts attestations from, with their signing keys. Built by hand or from
 * Wathiqa's public `GET /verifiers` (trustedIssuersFromList). Trusting the
 * list means trusting the Wathiqa server that serves it: an RP that wants its
 * own judgement pins the keys (or passes `only`).
 */
import { importJWK, type JWK } from 'jose';
import * as z from 'zod';
import { ATTESTATION_ALGS, ELEMENT_TYPES, type ElementType } from '../protocol/index.js';
import { UntrustedIssuerError } from './errors.js';

export { ATTESTATION_ALGS };

export interface TrustedIssuer {
  /** The verifier's client id, as in the attestation's `iss`. */
  issuer: string;
  /** Its signing keys (from `GET /verifiers` or configured by hand); public keys with `kid`. */
  jwks: { keys: JWK[] };
  /** The element types it may attest; absent: any. Attestations of other types are refused as untrusted. */
  types?: readonly ElementType[];
  /** Its display name (from `GET /verifiers`), for your pages. */
  name?: string;
  /** Its trust framework as registered (from `GET /verifiers`). */
  trustFramework?: string;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const COORDINATE = /^[A-Za-z0-9_-]{43}$/;

/** A published signing key: public only, `use: "sig"`, a kid, and a curve that fits its alg. */
const SigningKey = z
  .looseObject({
    kty: z.enum(['EC', 'OKP']),
    crv: z.enum(['P-256', 'Ed25519']),
    x: z.string().regex(COORDINATE),
    y: z.string().regex(COORDINATE).optional(),
    kid: z.string().min(1).max(128),
    use: z.literal('sig'),
    alg: z.enum(ATTESTATION_ALGS),
  })
  .refine((k) => !PRIVATE_MEMBERS.some((m) => m in k), { message: 'must be a public key' })
  .refine((k) => (k.alg === 'ES256' ? k.kty === 'EC' && k.crv === 'P-256' && k.y !== undefined : k.kty === 'OKP' && k.crv === 'Ed25519' && k.y === undefined), {
    message: 'ES256 needs an EC P-256 key, EdDSA an OKP Ed25519 key',
  });

// Loose entries: members a newer server adds must not break an older SDK. Unknown element types are dropped below.
const VerifierEntry = z.looseObject({
  client_id: z.string().min(1).max(255),
  name: z.string().max(200),
  attested_types: z.array(z.string()).min(1),
  trust_framework: z.string().max(200),
  jwks: z.looseObject({ keys: z.array(SigningKey).min(1) }),
});
const VerifierList = z.looseObject({ verifiers: z.array(VerifierEntry) });

/**
 * The trust list from Wathiqa's `GET /verifiers` answer (the parsed JSON or its
 * text): one TrustedIssuer per verifier, with its signing keys and attested
 * types. `only` keeps just those client ids (ids not in the answer are simply
 * absent: a verifier the server no longer lists is no longer trusted). Throws
 * TypeError naming the problem when the answer is not the documented format.
 */
export function trustedIssuersFromList(json: unknown, options: { only?: readonly string[] } = {}): TrustedIssuer[] {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch {
      throw new TypeError('trustedIssuersFromList: not JSON');
    }
  }
  const parsed = VerifierList.safeParse(value);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new TypeError(`trustedIssuersFromList: not a GET /verifiers answer: ${where}`);
  }
  const only = options.only ? new Set(options.only) : undefined;
  return parsed.data.verifiers
    .filter((v) => !only || only.has(v.client_id))
    .map((v) => ({
      issuer: v.client_id,
      jwks: { keys: v.jwks.keys.map((k) => ({ ...k }) as JWK) },
      types: v.attested_types.filter((t): t is ElementType => (ELEMENT_TYPES as readonly string[]).includes(t)),
      name: v.name,
      trustFramework: v.trust_framework,
    }));
}

/** The trusted issuer named `iss`, if it may attest `type`; else UntrustedIssuerError. */
export function trustedIssuerFor(trusted: readonly TrustedIssuer[], iss: string, type: string): TrustedIssuer {
  const issuer = trusted.find((t) => t.issuer === iss);
  if (!issuer) throw new UntrustedIssuerError();
  if (issuer.types && !(issuer.types as readonly string[]).includes(type)) throw new UntrustedIssuerError('the issuer is not trusted to attest this element type');
  return issuer;
}

/**
 * The issuer's public signing key named `kid`, for `alg`: an encryption key, a
 * key for another alg or a private key is never used, whatever the header says.
 */
export async function issuerSigningKey(issuer: TrustedIssuer, kid: unknown, alg: string): Promise<CryptoKey | Uint8Array> {
  const jwk =
    typeof kid === 'string'
      ? issuer.jwks.keys.find((k) => k.kid === kid && k.use !== 'enc' && (k.alg === undefined || k.alg === alg) && !PRIVATE_MEMBERS.some((m) => m in k))
      : undefined;
  if (!jwk) throw new UntrustedIssuerError('the token names no signing key of the trusted issuer');
  try {
    return await importJWK(jwk, alg);
  } catch {
    throw new UntrustedIssuerError('the trusted issuer key could not be imported');
  }
}
