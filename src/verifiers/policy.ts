/**
 * What makes a client a verifier (DESIGN 5.6): the rules, written once for every
 * registration path (CLI, admin API, dynamic registration) and for readers of the
 * stored metadata (GET /verifiers). Isomorphic: no Node or DOM imports, so the
 * browser may use it too. Server-only checks (URL policy, key import) live in
 * ./registration.ts.
 */
import type { JWK } from 'jose';
import { asksForPassport, releaseKey } from '../passport/client-policy.js';
import { ELEMENT_TYPES, type ElementType } from '../protocol/elements/table.js';

/**
 * Client metadata in our namespace (no standard names exist for these). `client_name`,
 * `policy_uri` and `logo_uri` are the RFC 7591 members.
 */
export const VERIFIER_METADATA = ['verifier', 'verifier_attested_types', 'verifier_trust_framework'] as const;

/** The algorithms an attestation (SD-JWT VC) may be signed with. */
export const VERIFIER_SIGNING_ALGS = ['ES256', 'EdDSA'] as const;
export type VerifierSigningAlg = (typeof VERIFIER_SIGNING_ALGS)[number];

/** A URL-safe token (RFC 3986 unreserved characters), like OIDC4IA's trust framework names: "eidas", "de_aml". */
export const TRUST_FRAMEWORK_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,63}$/;

/** JWK members that only private (or symmetric) keys have. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

// A P-256 coordinate and an Ed25519 public key are 32 bytes: 43 base64url characters.
const COORDINATE = /^[A-Za-z0-9_-]{43}$/;

export class VerifierClientError extends Error {
  override name = 'VerifierClientError';
}

export interface VerifierMetadataLike {
  client_name?: unknown;
  scope?: string;
  jwks?: { keys?: JWK[] };
  jwks_uri?: unknown;
  policy_uri?: unknown;
  logo_uri?: unknown;
  verifier?: unknown;
  verifier_attested_types?: unknown;
  verifier_trust_framework?: unknown;
}

/** A verifier's signing key as published: public members only. */
export interface VerifierSigningKey {
  kty: 'EC' | 'OKP';
  crv: 'P-256' | 'Ed25519';
  x: string;
  y?: string;
  kid: string;
  use: 'sig';
  alg: VerifierSigningAlg;
}

export function isVerifierClient(metadata: { verifier?: unknown } | undefined): boolean {
  return metadata?.verifier === true;
}

/** The attestation algorithm a key can sign with, if any (the curve decides, not the key's own `alg`). */
export function verifierSigningAlgFor(key: JWK): VerifierSigningAlg | undefined {
  if (key.kty === 'EC' && key.crv === 'P-256' && COORDINATE.test(key.x ?? '') && COORDINATE.test(key.y ?? '')) return 'ES256';
  if (key.kty === 'OKP' && key.crv === 'Ed25519' && COORDINATE.test(key.x ?? '')) return 'EdDSA';
  return undefined;
}

/** The public signing keys of a verifier's JWKS, rebuilt member by member (nothing else can slip through). */
export function verifierSigningKeys(jwks: { keys?: JWK[] } | undefined): VerifierSigningKey[] {
  const out: VerifierSigningKey[] = [];
  for (const key of jwks?.keys ?? []) {
    if (key.use !== 'sig' || typeof key.kid !== 'string') continue;
    const alg = verifierSigningAlgFor(key);
    if (alg === 'ES256') out.push({ kty: 'EC', crv: 'P-256', x: key.x!, y: key.y!, kid: key.kid, use: 'sig', alg });
    if (alg === 'EdDSA') out.push({ kty: 'OKP', crv: 'Ed25519', x: key.x!, kid: key.kid, use: 'sig', alg });
  }
  return out;
}

function httpsUrl(value: unknown, name: string): void {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new VerifierClientError(`${name} must be an https URL`);
  }
  if (typeof value !== 'string' || url.protocol !== 'https:') throw new VerifierClientError(`${name} must be an https URL`);
  if (url.username || url.password) throw new VerifierClientError(`${name} must not contain credentials`);
}

const keyName = (key: JWK, index: number) => (typeof key.kid === 'string' ? `key "${key.kid.slice(0, 64)}"` : `key ${index + 1}`);

function checkKeys(keys: JWK[]): void {
  const kids = new Set<string>();
  keys.forEach((key, i) => {
    const secret = PRIVATE_MEMBERS.find((m) => m in key);
    if (secret) {
      throw new VerifierClientError(`jwks ${keyName(key, i)} contains private key material ("${secret}"); register public keys only`);
    }
    if (key.use !== 'sig' && key.use !== 'enc') {
      throw new VerifierClientError(`jwks ${keyName(key, i)}: every key of a verifier names its use, "sig" or "enc"`);
    }
    if (typeof key.kid !== 'string' || key.kid.length === 0) {
      throw new VerifierClientError(`jwks ${keyName(key, i)} needs a "kid": attestations and releases name their key by it`);
    }
    if (kids.has(key.kid)) throw new VerifierClientError(`jwks: the kid "${key.kid.slice(0, 64)}" is used twice`);
    kids.add(key.kid);
  });
  const signing = keys.filter((k) => k.use === 'sig');
  if (signing.length === 0) {
    throw new VerifierClientError('a verifier needs a signing key: register an ES256 (P-256 EC) or EdDSA (Ed25519 OKP) public key with "use": "sig" and a "kid" in jwks');
  }
  signing.forEach((key, i) => {
    const alg = verifierSigningAlgFor(key);
    if (!alg) {
      throw new VerifierClientError(`jwks ${keyName(key, i)}: a verifier's signing key must be ES256 (EC P-256) or EdDSA (OKP Ed25519), not ${String(key.kty)}${key.crv ? ` ${key.crv}` : ''}`);
    }
    if (key.alg !== undefined && key.alg !== alg) throw new VerifierClientError(`jwks ${keyName(key, i)}: alg must be ${alg} for this key, or absent`);
  });
}

function checkAttestedTypes(value: unknown): ElementType[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new VerifierClientError(`a verifier needs verifier_attested_types: a non-empty list of element types (${ELEMENT_TYPES.join(', ')})`);
  }
  const seen = new Set<string>();
  for (const type of value) {
    if (typeof type !== 'string' || !(ELEMENT_TYPES as readonly string[]).includes(type)) {
      throw new VerifierClientError(`verifier_attested_types: unknown element type ${JSON.stringify(typeof type === 'string' ? type.slice(0, 64) : type)} (known: ${ELEMENT_TYPES.join(', ')})`);
    }
    if (seen.has(type)) throw new VerifierClientError(`verifier_attested_types: ${type} is listed twice`);
    seen.add(type);
  }
  return value as ElementType[];
}

/**
 * Checks a verifier's metadata; a client that is not a verifier passes unless it
 * carries verifier members. Throws VerifierClientError with a message for the operator.
 *
 * A verifier registers its keys inline in `jwks`: its signing key must be judged at
 * registration (curve, no private part, kid) and published by GET /verifiers, which a
 * `jwks_uri` fetched later could change behind our back.
 */
export function checkVerifierClient(metadata: VerifierMetadataLike): void {
  if (metadata.verifier !== undefined && typeof metadata.verifier !== 'boolean') throw new VerifierClientError('verifier must be true or false');
  if (!isVerifierClient(metadata)) {
    if (metadata.verifier_attested_types !== undefined || metadata.verifier_trust_framework !== undefined) {
      throw new VerifierClientError('verifier_attested_types and verifier_trust_framework need "verifier": true');
    }
    return;
  }
  if (typeof metadata.client_name !== 'string' || metadata.client_name.trim() === '') {
    throw new VerifierClientError('a verifier needs a client_name: holders see it next to what it attested');
  }
  if (!asksForPassport(metadata.scope)) throw new VerifierClientError('a verifier needs the passport scope: it receives the documents it checks as a release');
  if (metadata.jwks_uri !== undefined) throw new VerifierClientError('a verifier registers its keys inline in jwks, not at jwks_uri, so its signing key is checked at registration');
  const keys = metadata.jwks?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new VerifierClientError('a verifier needs jwks with an encryption key ("use": "enc") and a signing key ("use": "sig")');
  }
  checkKeys(keys);
  if (!releaseKey(metadata.jwks)) {
    throw new VerifierClientError('a verifier needs an encryption key to receive releases: a P-256 (EC) or 2048-bit RSA public key with "use": "enc" in jwks');
  }
  checkAttestedTypes(metadata.verifier_attested_types);
  const framework = metadata.verifier_trust_framework;
  if (typeof framework !== 'string' || !TRUST_FRAMEWORK_PATTERN.test(framework)) {
    throw new VerifierClientError('a verifier needs verifier_trust_framework: a short name of letters, digits, ".", "_", "~" or "-" (at most 64), e.g. "eidas"');
  }
  if (metadata.policy_uri === undefined) throw new VerifierClientError('a verifier needs a policy_uri: the https page that says how it verifies');
  httpsUrl(metadata.policy_uri, 'policy_uri');
  if (metadata.logo_uri !== undefined) httpsUrl(metadata.logo_uri, 'logo_uri');
}
