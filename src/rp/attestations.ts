/**
 * Verifying an SD-JWT VC presentation that comes with a released element
 * (DESIGN 5.6, "RP SDK verifies"). Parsing, disclosure digests and the issuer
 * and KB-JWT signature checks are the OpenWallet Foundation's @sd-jwt code;
 * the crypto it calls is WebCrypto through jose, so this runs in browsers and
 * workers too. What the library leaves to the caller (trust list, `typ`,
 * `vct`, `aud`, freshness, disclosure ⊆ `_sd`, disclosed = released, the
 * status list) is checked here, each failure with its own typed error.
 */
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { calculateJwkThumbprint, importJWK, type JWK } from 'jose';
import { z } from 'zod';
import {
  ATTESTATION_TYP,
  AttestationCheckError,
  base64urlEncode,
  canonicalJson,
  jwsSignatureVerifier,
  KB_JWT_TYP,
  MAX_ATTESTATION_LENGTH,
  sdJwtHasher,
  type ElementType,
} from '../protocol/index.js';
import {
  AttestationExpiredError,
  AttestationMalformedError,
  AttestationNotYetValidError,
  AttestationSignatureError,
  AttestationTypeError,
  DisclosureMismatchError,
  KeyBindingError,
} from './errors.js';
import { checkAttestationStatus, type CheckedStatus, type StatusListCache } from './status.js';
import { ATTESTATION_ALGS, issuerSigningKey, trustedIssuerFor, type TrustedIssuer } from './trust.js';

export { ATTESTATION_ALGS, ATTESTATION_TYP, KB_JWT_TYP, type TrustedIssuer };
/** Holder keys are ES256 (DESIGN 5.5). */
export const KB_ALGS = ['ES256'] as const;
/** Large enough for an element with scans (the protocol's bound on an issued SD-JWT); a hostile string costs little. */
export const MAX_PRESENTATION_LENGTH = MAX_ATTESTATION_LENGTH;

export const vctOf = (type: ElementType | string) => `urn:wathiqa:element:${type}:1`;

export interface VerifyPresentationContext {
  elementType: ElementType | string;
  /** The element's released data, as `openRelease` returned it. */
  releasedData: Record<string, unknown>;
  /** Released scans: slot name → sha256, or the list of sha256 values for translation/files (see releaseFileHashes). */
  releasedFileHashes?: Record<string, string | readonly string[]>;
  /** This RP's client id: the KB-JWT's `aud`. */
  audience: string;
  /** The authorization request's nonce: the KB-JWT's `nonce`. */
  nonce: string;
  trusted: readonly TrustedIssuer[];
  now?: Date;
  /** Oldest KB-JWT `iat` accepted, in seconds (default 300). */
  maxKbAgeSeconds?: number;
  /** Clock skew allowed on `iat`, `nbf`, `exp` (default 60). */
  clockToleranceSeconds?: number;
  /** Fetches status lists (default: the global fetch). */
  fetch?: typeof globalThis.fetch;
  /** Accept http:// status list URLs: tests and local development only. */
  allowHttp?: boolean;
  /** Deadline for a status list fetch (default 5000 ms). */
  statusTimeoutMs?: number;
  /** Lists already fetched in this release (openRelease passes one). */
  statusLists?: StatusListCache;
}

export interface VerifiedPresentation {
  issuer: string;
  /** The issuer key that signed it. */
  kid: string;
  /** Released fields the issuer attested (disclosed, and equal to the released value). */
  attested: string[];
  /** Released fields with no disclosure: the holder's word only. */
  selfAsserted: string[];
  attestedScans: string[];
  selfAssertedScans: string[];
  /** The attestation's OIDC4IA `verification` (trust framework, time, evidence). */
  verification: AttestationVerification;
  issuedAt: number | undefined;
  expiresAt: number | undefined;
  /** The Token Status List entry, checked (status 0), or undefined when the attestation names none. */
  status: CheckedStatus | undefined;
  /** RFC 7638 thumbprint of `cnf.jwk`: the holder key this presentation is bound to. */
  holderKeyThumbprint: string;
}

/** OIDC4IA `verification` as an attestation carries it. */
export interface AttestationVerification {
  trust_framework: string;
  time?: string;
  evidence?: unknown[];
  [member: string]: unknown;
}

const issuerPayload = z.looseObject({
  iss: z.string().min(1),
  vct: z.string(),
  iat: z.number().optional(),
  nbf: z.number().optional(),
  exp: z.number().optional(),
  _sd: z.array(z.string()),
  _sd_alg: z.literal('sha-256'),
  cnf: z.looseObject({ jwk: z.looseObject({ kty: z.string() }) }),
  verification: z.looseObject({ trust_framework: z.string().min(1), time: z.string().optional(), evidence: z.array(z.unknown()).optional() }),
});
const kbPayload = z.looseObject({ aud: z.string(), nonce: z.string(), iat: z.number(), sd_hash: z.string() });

/** The protocol's hasher, with the one refusal it makes (not sha-256) turned into this SDK's error. */
async function hasher(data: string | ArrayBuffer, alg: string): Promise<Uint8Array> {
  try {
    return await sdJwtHasher(data, alg);
  } catch (error) {
    if (error instanceof AttestationCheckError) throw new AttestationMalformedError('only sha-256 disclosures are accepted');
    throw error;
  }
}

/** Structural equality of JSON values, key order ignored: the same RFC 8785 text. */
const jsonEqual = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

const has = (o: Record<string, unknown>, k: string) => Object.prototype.hasOwnProperty.call(o, k) && o[k] !== undefined;

/**
 * Verifies one SD-JWT VC presentation against the element it came with.
 * Throws an AttestationError subclass on the first check that fails.
 */
export async function verifyPresentation(presentation: string, ctx: VerifyPresentationContext): Promise<VerifiedPresentation> {
  const nowS = Math.floor((ctx.now ?? new Date()).getTime() / 1000);
  const skew = ctx.clockToleranceSeconds ?? 60;
  const maxKbAge = ctx.maxKbAgeSeconds ?? 300;
  if (typeof presentation !== 'string' || presentation.length > MAX_PRESENTATION_LENGTH || !presentation.includes('~')) {
    throw new AttestationMalformedError('not an SD-JWT presentation');
  }

  const sdjwt = new SDJwtVcInstance({ hasher, hashAlg: 'sha-256' });
  let decoded: Awaited<ReturnType<SDJwtVcInstance['decode']>>;
  try {
    decoded = await sdjwt.decode(presentation);
  } catch {
    throw new AttestationMalformedError('the presentation could not be decoded');
  }
  const { jwt, disclosures = [], kbJwt } = decoded;
  const header = jwt?.header ?? {};
  const parsed = issuerPayload.safeParse(jwt?.payload);
  if (!jwt || !parsed.success) throw new AttestationMalformedError('the attestation payload lacks iss, vct, cnf.jwk or a sha-256 _sd');
  const payload = parsed.data;

  // Trust first: nothing else in the token means anything before its signature is checked.
  const trusted = trustedIssuerFor(ctx.trusted, payload.iss, String(ctx.elementType));
  const alg = header.alg;
  if (typeof alg !== 'string' || !(ATTESTATION_ALGS as readonly string[]).includes(alg)) throw new AttestationTypeError('the attestation alg is not ES256 or EdDSA');
  const issuerKey = await issuerSigningKey(trusted, header.kid, alg);
  // The library checks iat/nbf/exp too; those come below as typed errors, so give it a time it accepts.
  try {
    await jwt.verify(jwsSignatureVerifier(issuerKey, [alg]), { currentDate: payload.iat ?? payload.nbf ?? nowS });
  } catch {
    throw new AttestationSignatureError();
  }

  if (header.typ !== ATTESTATION_TYP) throw new AttestationTypeError(`the attestation typ is not ${ATTESTATION_TYP}`);
  if (payload.vct !== vctOf(ctx.elementType)) throw new AttestationTypeError('the attestation vct is not the released element type');
  if (payload.exp !== undefined && payload.exp + skew < nowS) throw new AttestationExpiredError();
  if ((payload.iat !== undefined && payload.iat - skew > nowS) || (payload.nbf !== undefined && payload.nbf - skew > nowS)) throw new AttestationNotYetValidError();

  // Disclosures: each one signed into `_sd` (the library's unpacking silently skips unknown ones), once, and equal to what was released.
  const files = ctx.releasedFileHashes ?? {};
  const seen = new Set<string>();
  const disclosed = new Set<string>();
  const disclosedScans = new Set<string>();
  for (const disclosure of disclosures) {
    const key = disclosure.key;
    if (typeof key !== 'string') throw new AttestationMalformedError('array element disclosures are not part of the format');
    const digest = await disclosure.digest({ hasher, alg: 'sha-256' });
    if (!payload._sd.includes(digest)) throw new DisclosureMismatchError('not_in_sd', key);
    if (seen.has(digest) || disclosed.has(key) || disclosedScans.has(key)) throw new DisclosureMismatchError('duplicate', key);
    seen.add(digest);
    if (has(ctx.releasedData, key)) {
      if (!jsonEqual(disclosure.value, ctx.releasedData[key])) throw new DisclosureMismatchError('value', key);
      disclosed.add(key);
    } else if (has(files, key)) {
      // A single slot discloses one sha256, a multiple slot the list of them in order (DESIGN 5.6).
      if (!jsonEqual(disclosure.value, files[key])) throw new DisclosureMismatchError('value', key);
      disclosedScans.add(key);
    } else {
      throw new DisclosureMismatchError('not_released', key);
    }
  }

  // Key binding: signed by cnf.jwk (this holder), for this RP and sign-in, fresh, over exactly these disclosures.
  if (!kbJwt) throw new KeyBindingError('missing');
  const kbHeader = kbJwt.header as Record<string, unknown> | undefined;
  const kb = kbPayload.safeParse(kbJwt.payload);
  if (kbHeader?.typ !== KB_JWT_TYP || !(KB_ALGS as readonly string[]).includes(kbHeader.alg as string) || !kb.success) throw new KeyBindingError('header');
  let holderKey: CryptoKey | Uint8Array;
  let holderKeyThumbprint: string;
  try {
    if ('d' in payload.cnf.jwk) throw new Error('private');
    holderKey = await importJWK(payload.cnf.jwk as JWK, kbHeader.alg as string);
    holderKeyThumbprint = await calculateJwkThumbprint(payload.cnf.jwk as JWK, 'sha256');
  } catch {
    throw new AttestationMalformedError('cnf.jwk is not a usable public key');
  }
  try {
    // verifyKB checks the signature and the nonce; a nonce failure is told apart below.
    await kbJwt.verifyKB({ verifier: jwsSignatureVerifier(holderKey, KB_ALGS), payload: jwt.payload ?? {}, nonce: kb.data.nonce });
  } catch {
    throw new KeyBindingError('signature');
  }
  if (kb.data.aud !== ctx.audience) throw new KeyBindingError('audience');
  if (kb.data.nonce !== ctx.nonce) throw new KeyBindingError('nonce');
  if (kb.data.iat - skew > nowS) throw new KeyBindingError('future');
  if (kb.data.iat + maxKbAge + skew < nowS) throw new KeyBindingError('stale');
  // sd_hash covers the presentation up to the KB-JWT (RFC 9901 4.3.1): the library computes it the same way but privately.
  const withoutKb = presentation.slice(0, presentation.lastIndexOf('~') + 1);
  if (base64urlEncode(await hasher(withoutKb, 'sha-256')) !== kb.data.sd_hash) throw new KeyBindingError('sd_hash');

  // Last, as it may go to the network: revocation, from the issuer's own Token Status List.
  const status = await checkAttestationStatus(payload.status, trusted, {
    fetch: ctx.fetch,
    allowHttp: ctx.allowHttp,
    timeoutMs: ctx.statusTimeoutMs,
    nowSeconds: nowS,
    clockToleranceSeconds: skew,
    cache: ctx.statusLists,
  });

  const released = Object.keys(ctx.releasedData).filter((k) => has(ctx.releasedData, k));
  const releasedScans = Object.keys(files).filter((k) => has(files, k));
  return {
    issuer: payload.iss,
    kid: header.kid as string,
    attested: released.filter((k) => disclosed.has(k)),
    selfAsserted: released.filter((k) => !disclosed.has(k)),
    attestedScans: releasedScans.filter((k) => disclosedScans.has(k)),
    selfAssertedScans: releasedScans.filter((k) => !disclosedScans.has(k)),
    verification: payload.verification,
    issuedAt: payload.iat,
    expiresAt: payload.exp,
    status,
    holderKeyThumbprint,
  };
}
