/**
 * The key a release is encrypted to, and the encryption (DESIGN 5.4):
 *   JWE compact, alg fixed per client (ECDH-ES+A256KW or RSA-OAEP-256), enc A256GCM,
 *   kid = the RP key's kid, cty "wathiqa-release+json".
 *
 * An inline key comes in the page's data and must match the thumbprint shown.
 * A key at jwks_uri is fetched by this browser from the RP's own origin (CORS),
 * so a server that wanted to substitute it would have to change the page's code.
 * The key is chosen exactly as the server checks it (client-policy releaseKey).
 */
import { calculateJwkThumbprint, CompactEncrypt, importJWK, type JWK } from 'jose';
import { utf8Encode } from '../../protocol/index.js';
import { RELEASE_CTY, RELEASE_ENC, releaseKey, type ReleaseAlg } from '../../passport/client-policy.js';
import type { ReleaseData } from './data.js';

export type KeyProblem = 'fetch_failed' | 'no_key' | 'mismatch';

export class ReleaseKeyError extends Error {
  constructor(readonly problem: KeyProblem) {
    super(`the relying party's key cannot be used: ${problem}`);
    this.name = 'ReleaseKeyError';
  }
}

export interface ResolvedKey {
  key: JWK & { kid: string };
  alg: ReleaseAlg;
  /** RFC 7638 thumbprint, as shown to the holder. */
  thumbprint: string;
  /** Where the key came from: the RP's jwks_uri origin, or undefined for a registered key. */
  origin?: string;
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

const MAX_JWKS_BYTES = 64 * 1024;

async function fetchJwks(uri: string, fetchImpl: Fetch): Promise<{ keys?: JWK[] }> {
  let response: Response;
  try {
    response = await fetchImpl(uri, {
      method: 'GET',
      mode: 'cors',
      credentials: 'omit',
      cache: 'no-store',
      redirect: 'error',
      referrerPolicy: 'no-referrer',
      headers: { Accept: 'application/json, application/jwk-set+json' },
    });
  } catch {
    throw new ReleaseKeyError('fetch_failed');
  }
  if (!response.ok) throw new ReleaseKeyError('fetch_failed');
  const text = await response.text().catch(() => '');
  if (!text || text.length > MAX_JWKS_BYTES) throw new ReleaseKeyError('fetch_failed');
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || !Array.isArray((value as { keys?: unknown }).keys)) throw new Error('not a JWK Set');
    return value as { keys: JWK[] };
  } catch {
    throw new ReleaseKeyError('fetch_failed');
  }
}

export async function resolveReleaseKey(data: Pick<ReleaseData, 'alg' | 'key' | 'jwks_uri' | 'thumbprint'>, fetchImpl: Fetch = (i, init) => fetch(i, init)): Promise<ResolvedKey> {
  let key: JWK | undefined;
  let origin: string | undefined;
  if (data.key) {
    key = releaseKey({ keys: [data.key] }, data.alg);
  } else if (data.jwks_uri) {
    origin = new URL(data.jwks_uri).origin;
    key = releaseKey(await fetchJwks(data.jwks_uri, fetchImpl), data.alg);
  }
  if (!key || typeof key.kid !== 'string' || key.kid === '' || 'd' in key) throw new ReleaseKeyError('no_key');
  let thumbprint: string;
  try {
    thumbprint = await calculateJwkThumbprint(key, 'sha256');
  } catch {
    throw new ReleaseKeyError('no_key');
  }
  if (data.key && data.thumbprint !== thumbprint) throw new ReleaseKeyError('mismatch');
  return { key: key as JWK & { kid: string }, alg: data.alg, thumbprint, ...(origin ? { origin } : {}) };
}

/** Encrypts the payload to the RP's key: the compact JWE the server stores and the RP opens. */
export async function encryptRelease(payload: unknown, target: Pick<ResolvedKey, 'key' | 'alg'>): Promise<string> {
  const publicKey = await importJWK(target.key, target.alg);
  const plaintext = utf8Encode(JSON.stringify(payload));
  try {
    return await new CompactEncrypt(plaintext)
      .setProtectedHeader({ alg: target.alg, enc: RELEASE_ENC, kid: target.key.kid, cty: RELEASE_CTY })
      .encrypt(publicKey);
  } finally {
    plaintext.fill(0);
  }
}
