/**
 * openRelease: from the `passport` claim (a compact JWE) to checked, typed data.
 *
 * Order of checks: JWE form and protected header → key by kid, alg fixed by the
 * key's type → decryption (jose; ECDH public keys validated) → payload form →
 * iss, aud, sub, nonce → iat window → element schemas → the requested
 * passport_scope (and its `unexpired`) → with `verifiers`: every attestation, then the requirements
 * that asked for attested data → jti (last, so a release refused for another
 * reason does not burn its jti).
 */
import { compactDecrypt, decodeProtectedHeader, type CompactJWEHeaderParameters } from 'jose';
import { constantTimeEqual, requiresVerification, utf8Decode, utf8Encode, type PassportScope } from '../protocol/index.js';
import {
  ReleaseAudienceMismatchError,
  ReleaseDecryptionError,
  ReleaseFromFutureError,
  ReleaseHeaderError,
  ReleaseIssuerMismatchError,
  ReleaseMalformedError,
  ReleaseNonceMismatchError,
  ReleaseReplayedError,
  ReleaseSubjectMismatchError,
  ReleaseTooOldError,
} from './errors.js';
import { keysFor, loadReleaseKeys, RELEASE_ALGS, RELEASE_CTY, RELEASE_ENC, type ReleaseKeysInput } from './keys.js';
import { parseElements, parseEnvelope, type Release } from './payload.js';
import { checkAnswersScope, checkUnexpired, normalizeRequested } from './scope.js';
import { checkVerifiedRequirements, verifyElements, type VerifiersOption } from './verify-elements.js';

/** A release is a few kB; scans travel separately. Anything far larger is refused before parsing. */
export const MAX_RELEASE_JWE_LENGTH = 512 * 1024;

/**
 * Tells whether a release id was seen before, and remembers it until
 * `expiresAt` (epoch seconds; after that the release is refused as too old
 * anyway). Must be atomic across your processes: e.g. an INSERT into a table
 * with a unique jti column, returning true on a conflict.
 */
export type SeenJti = (jti: string, expiresAt: number) => boolean | Promise<boolean>;

export interface OpenReleaseOptions {
  /** Your private decryption key(s); load them once with loadReleaseKeys. */
  keys: ReleaseKeysInput;
  /** The issuer URL, exactly as in discovery and the ID token's `iss`. */
  issuer: string;
  /** Your client_id. */
  clientId: string;
  /** The `sub` of the ID token of this sign-in. */
  subject: string;
  /** The nonce you sent in this authorization request. */
  nonce: string;
  /** Refuse releases built longer ago than this (default 600 s). */
  maxAgeSeconds?: number;
  /** Allowed clock skew either way (default 30 s). */
  clockToleranceSeconds?: number;
  /** Replay check; without it, only the nonce binds a release to one sign-in. */
  seenJti?: SeenJti;
  /** The passport_scope you sent (JSON text or object): the release must answer it and no more. */
  requested?: string | PassportScope | Record<string, unknown>;
  /**
   * Verify the attestations elements carry (DESIGN 5.6) against your trust list.
   * Without it, `element.attestations` are returned as unverified strings and
   * `element.verification` is absent: treat every value as self-asserted.
   * Required when `requested` asks for `verified` or `verifiers`.
   */
  verifiers?: VerifiersOption;
  /** The current time (tests). */
  now?: Date;
}

function checkVerifiersOption(value: unknown): VerifiersOption | undefined {
  if (value === undefined) return undefined;
  const v = value as Partial<VerifiersOption> | null;
  if (typeof v !== 'object' || v === null || !Array.isArray(v.trusted)) throw new TypeError('openRelease: verifiers.trusted must be an array of trusted issuers');
  for (const t of v.trusted) {
    if (typeof t?.issuer !== 'string' || t.issuer === '' || !Array.isArray(t.jwks?.keys)) {
      throw new TypeError('openRelease: each of verifiers.trusted needs an issuer and jwks.keys');
    }
  }
  if (v.fetch !== undefined && typeof v.fetch !== 'function') throw new TypeError('openRelease: verifiers.fetch must be a function');
  if (v.maxKbAgeSeconds !== undefined) requireSeconds(v.maxKbAgeSeconds, 'verifiers.maxKbAgeSeconds', 0);
  if (v.statusTimeoutMs !== undefined) requireSeconds(v.statusTimeoutMs, 'verifiers.statusTimeoutMs', 0);
  return v as VerifiersOption;
}

function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`openRelease: ${name} must be a non-empty string`);
  return value;
}

function requireSeconds(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new TypeError(`openRelease: ${name} must be a number ≥ 0`);
  return value;
}

function sameText(a: string, b: string): boolean {
  return constantTimeEqual(utf8Encode(a), utf8Encode(b));
}

/** The protected header, checked before any key is touched. */
function checkedHeader(jwe: unknown): CompactJWEHeaderParameters & { alg: string; kid: string } {
  if (typeof jwe !== 'string' || jwe.length > MAX_RELEASE_JWE_LENGTH || jwe.split('.').length !== 5) {
    throw new ReleaseHeaderError('the release is not a compact JWE');
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jwe);
  } catch {
    throw new ReleaseHeaderError('the release has an unreadable protected header');
  }
  if (typeof header.alg !== 'string' || !(RELEASE_ALGS as readonly string[]).includes(header.alg)) {
    throw new ReleaseHeaderError(`the release's alg is not one of ${RELEASE_ALGS.join(', ')}`);
  }
  if (header.enc !== RELEASE_ENC) throw new ReleaseHeaderError(`the release's enc is not ${RELEASE_ENC}`);
  if ('zip' in header) throw new ReleaseHeaderError('the release is compressed (zip); releases never are');
  if ('crit' in header) throw new ReleaseHeaderError('the release has a crit header; releases never do');
  if (header.cty !== RELEASE_CTY) throw new ReleaseHeaderError(`the release's cty is not ${RELEASE_CTY}`);
  if (typeof header.kid !== 'string' || header.kid.length === 0) throw new ReleaseHeaderError('the release names no kid');
  return header as CompactJWEHeaderParameters & { alg: string; kid: string };
}

async function decrypt(jwe: string, options: OpenReleaseOptions): Promise<Uint8Array> {
  const header = checkedHeader(jwe);
  const keyring = await loadReleaseKeys(options.keys);
  const { named, usable } = keysFor(keyring, header.kid, header.alg);
  if (!named) throw new ReleaseDecryptionError('no decryption key has the release\'s kid');
  if (usable.length === 0) throw new ReleaseHeaderError('the release\'s alg does not fit the key its kid names');
  for (const key of usable) {
    try {
      const { plaintext } = await compactDecrypt(jwe, key.key, {
        keyManagementAlgorithms: [key.alg],
        contentEncryptionAlgorithms: [RELEASE_ENC],
        maxDecompressedLength: 0,
      });
      return plaintext;
    } catch {
      // Try the next key with this kid; never say which part failed.
    }
  }
  throw new ReleaseDecryptionError();
}

/**
 * Decrypts and checks a release (the `passport` claim). Throws a ReleaseError
 * subclass for every failure (see errors.ts) and TypeError for bad options.
 */
export async function openRelease(jwe: string, options: OpenReleaseOptions): Promise<Release> {
  if (typeof options !== 'object' || options === null) throw new TypeError('openRelease: options are required');
  const issuer = requireString(options.issuer, 'issuer');
  const clientId = requireString(options.clientId, 'clientId');
  const subject = requireString(options.subject, 'subject');
  const nonce = requireString(options.nonce, 'nonce');
  const maxAge = requireSeconds(options.maxAgeSeconds, 'maxAgeSeconds', 600);
  const tolerance = requireSeconds(options.clockToleranceSeconds, 'clockToleranceSeconds', 30);
  const requested = options.requested === undefined ? undefined : normalizeRequested(options.requested);
  if (options.seenJti !== undefined && typeof options.seenJti !== 'function') throw new TypeError('openRelease: seenJti must be a function');
  const verifiers = checkVerifiersOption(options.verifiers);
  // Asking for attested data without a trust list to check it against is a bug in the RP, not in the release.
  const needsVerifiers = requested?.data.findIndex(requiresVerification) ?? -1;
  if (needsVerifiers >= 0 && !verifiers) {
    throw new TypeError(`openRelease: requested.data[${needsVerifiers}] asks for attested data; pass verifiers ({ trusted }) so the attestations are checked`);
  }

  const plaintext = await decrypt(jwe, options);

  let value: unknown;
  try {
    value = JSON.parse(utf8Decode(plaintext));
  } catch {
    throw new ReleaseMalformedError('the release payload is not UTF-8 JSON');
  }
  const envelope = parseEnvelope(value);

  if (!sameText(envelope.iss, issuer)) throw new ReleaseIssuerMismatchError();
  if (!sameText(envelope.aud, clientId)) throw new ReleaseAudienceMismatchError();
  if (!sameText(envelope.sub, subject)) throw new ReleaseSubjectMismatchError();
  if (!sameText(envelope.nonce, nonce)) throw new ReleaseNonceMismatchError();

  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (envelope.iat > now + tolerance) throw new ReleaseFromFutureError();
  if (envelope.iat < now - maxAge - tolerance) throw new ReleaseTooOldError();

  const elements = parseElements(envelope);
  if (requested) {
    checkAnswersScope(elements, requested);
    checkUnexpired(elements, requested, options.now ?? new Date(now * 1000));
  }
  if (verifiers) {
    await verifyElements(elements, { clientId, nonce, now: options.now ?? new Date(now * 1000), clockToleranceSeconds: tolerance, holderSigKid: envelope.holder?.sig.kid, verifiers });
    if (requested) checkVerifiedRequirements(elements, requested, verifiers.trusted);
  }

  if (options.seenJti && (await options.seenJti(envelope.jti, envelope.iat + maxAge + tolerance))) {
    throw new ReleaseReplayedError();
  }

  return {
    v: 1,
    iss: envelope.iss,
    aud: envelope.aud,
    sub: envelope.sub,
    nonce: envelope.nonce,
    iat: envelope.iat,
    jti: envelope.jti,
    ...(envelope.holder ? { holder: envelope.holder as Release['holder'] } : {}),
    elements,
  };
}

/**
 * A `seenJti` for one process (tests, a single-instance RP): remembers ids in
 * memory until they expire. Behind a load balancer, use a shared store instead.
 */
export function memoryJtiStore(now: () => number = () => Date.now() / 1000): SeenJti {
  const seen = new Map<string, number>();
  return (jti, expiresAt) => {
    const t = now();
    for (const [id, exp] of seen) if (exp < t) seen.delete(id);
    if (seen.has(jti)) return true;
    seen.set(jti, expiresAt);
    return false;
  };
}
