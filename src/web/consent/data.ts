/**
 * The consent page's data block (`<script type="application/json"
 * id="passport-release">`, written by the interaction route): who asks, for
 * what, and the key to encrypt to. Checked before use; the passport_scope is
 * normalized again with the protocol's parser.
 */
import type { JWK } from 'jose';
import { normalizePassportScope, type PassportScope } from '../../protocol/index.js';
import { RELEASE_ALGS, type ReleaseAlg } from '../../passport/client-policy.js';

export interface ReleaseData {
  uid: string;
  issuer: string;
  client_id: string;
  sub: string;
  nonce: string;
  alg: ReleaseAlg;
  /** The client's registered public key, or null when it publishes one at jwks_uri. */
  key: JWK | null;
  jwks_uri: string | null;
  /** RFC 7638 thumbprint of `key`, or null. */
  thumbprint: string | null;
  passport_scope: PassportScope;
  /** The client is a verifier: the release carries the holder's public keys (DESIGN 5.5). */
  verifier: boolean;
  vault_csrf: string;
  /**
   * Where "Return to <service>" leads once the request is no longer valid: the
   * client's registered client_uri, else the origin of this request's redirect URI
   * (chosen by the server, never taken from the request as given); null when
   * neither is an http(s) address (a native app's own scheme).
   */
  return_uri: string | null;
  /** When the interaction expires (seconds since the epoch), if known. */
  expires_at: number | null;
}

export class ReleaseDataError extends Error {
  constructor(what: string) {
    super(`the consent page data is invalid: ${what}`);
    this.name = 'ReleaseDataError';
  }
}

const text = (value: unknown, name: string, max = 4096): string => {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) throw new ReleaseDataError(name);
  return value;
};

function httpUrl(value: unknown, name: string): string {
  const raw = text(value, name);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ReleaseDataError(name);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ReleaseDataError(name);
  return raw; // as given: the issuer is compared exactly by the RP
}

function seconds(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) throw new ReleaseDataError(name);
  return value;
}

export function parseReleaseData(value: unknown): ReleaseData {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ReleaseDataError('not an object');
  const v = value as Record<string, unknown>;
  const alg = text(v.alg, 'alg');
  if (!(RELEASE_ALGS as readonly string[]).includes(alg)) throw new ReleaseDataError('alg');
  const key = v.key === null || v.key === undefined ? null : v.key;
  if (key !== null && (typeof key !== 'object' || Array.isArray(key))) throw new ReleaseDataError('key');
  const jwksUri = v.jwks_uri === null || v.jwks_uri === undefined ? null : httpUrl(v.jwks_uri, 'jwks_uri');
  if (!key && !jwksUri) throw new ReleaseDataError('key or jwks_uri');
  let scope: PassportScope;
  try {
    scope = normalizePassportScope(v.passport_scope);
  } catch {
    throw new ReleaseDataError('passport_scope');
  }
  if (typeof v.verifier !== 'boolean') throw new ReleaseDataError('verifier');
  return {
    uid: text(v.uid, 'uid', 256),
    issuer: httpUrl(v.issuer, 'issuer'),
    client_id: text(v.client_id, 'client_id'),
    sub: text(v.sub, 'sub', 255),
    nonce: text(v.nonce, 'nonce'),
    alg: alg as ReleaseAlg,
    key: key as JWK | null,
    jwks_uri: jwksUri,
    thumbprint: v.thumbprint === null || v.thumbprint === undefined ? null : text(v.thumbprint, 'thumbprint', 128),
    passport_scope: scope,
    verifier: v.verifier,
    vault_csrf: text(v.vault_csrf, 'vault_csrf', 256),
    return_uri: v.return_uri === null || v.return_uri === undefined ? null : httpUrl(v.return_uri, 'return_uri'),
    expires_at: v.expires_at === null || v.expires_at === undefined ? null : seconds(v.expires_at, 'expires_at'),
  };
}

/** Reads and checks the block; ReleaseDataError if it is missing or broken. */
export function readReleaseData(doc: Document, id = 'passport-release'): ReleaseData {
  const raw = doc.getElementById(id)?.textContent;
  if (!raw) throw new ReleaseDataError('missing');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ReleaseDataError('not JSON');
  }
  return parseReleaseData(value);
}
