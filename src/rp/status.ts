/**
 * Revocation: the IETF Token Status List (draft-ietf-oauth-status-list) an
 * attestation names in `status.status_list` (DESIGN 5.6).
 *
 * The list is fetched from its `uri` (https only, unless a test allows http;
 * 16 KiB at most; a deadline), verified as a JWT of the attestation's own
 * trusted issuer (`typ: statuslist+jwt`, a registered signing key, `sub` = the
 * uri, `iat`, not expired), and read with @sd-jwt/jwt-status-list. A non-zero
 * status refuses the attestation (AttestationRevokedError); a list that cannot
 * be fetched or trusted refuses it too (AttestationStatusError): revocation
 * that cannot be ruled out is not ruled out.
 */
import { StatusList, type BitsPerStatus } from '@sd-jwt/jwt-status-list';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import * as z from 'zod';
import { utf8Decode } from '../protocol/index.js';
import { AttestationRevokedError, AttestationStatusError, UntrustedIssuerError } from './errors.js';
import { deadline, readLimitedBody } from './http.js';
import { ATTESTATION_ALGS, issuerSigningKey, type TrustedIssuer } from './trust.js';

export const STATUS_LIST_JWT_TYP = 'statuslist+jwt';
/** A status list JWT larger than this is refused before it is parsed. */
export const MAX_STATUS_LIST_BYTES = 16 * 1024;
const DEFAULT_TIMEOUT_MS = 5_000;

/** Verified lists of one openRelease call, by issuer and uri: each list is fetched once per release. */
export type StatusListCache = Map<string, Promise<StatusList>>;

export interface StatusCheckOptions {
  /** Defaults to the global fetch. */
  fetch?: typeof globalThis.fetch;
  /** Accept http:// status list URLs (tests and local development only). */
  allowHttp?: boolean;
  /** Deadline for the fetch (default 5 s). */
  timeoutMs?: number;
  nowSeconds: number;
  clockToleranceSeconds: number;
  cache?: StatusListCache;
}

export interface CheckedStatus {
  uri: string;
  idx: number;
}

const StatusClaim = z.looseObject({
  status_list: z.strictObject({ idx: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), uri: z.string().min(1).max(2048) }),
});
const ListPayload = z.looseObject({
  iss: z.string().optional(),
  exp: z.number().optional(),
  ttl: z.number().int().positive().optional(),
  iat: z.number(),
  status_list: z.looseObject({ bits: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)]), lst: z.string().min(1) }),
});

function checkUrl(uri: string, allowHttp: boolean): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new AttestationStatusError('the status list uri is not a URL');
  }
  if (url.username || url.password) throw new AttestationStatusError('the status list uri contains credentials');
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) throw new AttestationStatusError('the status list uri is not https');
}

async function fetchListJwt(uri: string, options: StatusCheckOptions): Promise<string> {
  checkUrl(uri, options.allowHttp === true);
  const doFetch = options.fetch ?? globalThis.fetch;
  let response: Response;
  let body: Uint8Array | undefined;
  try {
    response = await doFetch(uri, {
      method: 'GET',
      headers: { accept: 'application/statuslist+jwt' },
      redirect: 'error',
      signal: deadline(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      throw new AttestationStatusError(`the status list could not be fetched (HTTP ${response.status})`);
    }
    body = await readLimitedBody(response, MAX_STATUS_LIST_BYTES);
  } catch (error) {
    if (error instanceof AttestationStatusError) throw error;
    throw new AttestationStatusError('the status list could not be fetched (network error or timeout)');
  }
  if (!body) throw new AttestationStatusError('the status list is larger than 16 KiB');
  try {
    return utf8Decode(body).trim();
  } catch {
    throw new AttestationStatusError('the status list is not text');
  }
}

/** Fetches and verifies one list; the list itself is decoded by @sd-jwt/jwt-status-list from the verified payload. */
async function loadList(uri: string, issuer: TrustedIssuer, options: StatusCheckOptions): Promise<StatusList> {
  const jwt = await fetchListJwt(uri, options);
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jwt);
  } catch {
    throw new AttestationStatusError('the status list is not a JWT');
  }
  if (header.typ !== STATUS_LIST_JWT_TYP) throw new AttestationStatusError(`the status list typ is not ${STATUS_LIST_JWT_TYP}`);
  const alg = header.alg;
  if (typeof alg !== 'string' || !(ATTESTATION_ALGS as readonly string[]).includes(alg)) throw new AttestationStatusError('the status list alg is not ES256 or EdDSA');
  let key: CryptoKey | Uint8Array;
  try {
    key = await issuerSigningKey(issuer, header.kid, alg);
  } catch (error) {
    if (error instanceof UntrustedIssuerError) throw new AttestationStatusError('the status list is not signed with a key of the attestation issuer');
    throw error;
  }
  let claims: unknown;
  try {
    ({ payload: claims } = await jwtVerify(jwt, key, {
      algorithms: [alg],
      typ: STATUS_LIST_JWT_TYP,
      subject: uri,
      requiredClaims: ['iat', 'sub'],
      currentDate: new Date(options.nowSeconds * 1000),
      clockTolerance: options.clockToleranceSeconds,
    }));
  } catch {
    throw new AttestationStatusError('the status list JWT does not verify (signature, sub, iat or exp)');
  }
  const payload = ListPayload.safeParse(claims);
  if (!payload.success) throw new AttestationStatusError('the status list JWT lacks iat or a status_list with bits and lst');
  const { iss, exp, ttl, iat } = payload.data;
  if (iss !== undefined && iss !== issuer.issuer) throw new AttestationStatusError('the status list was issued by another issuer');
  // Without exp or ttl an old signed list would be good forever, even after a revocation: refuse it.
  if (exp === undefined && (ttl === undefined || iat + ttl + options.clockToleranceSeconds < options.nowSeconds)) {
    throw new AttestationStatusError('the status list has no exp and no current ttl');
  }
  try {
    return StatusList.decompressStatusList(payload.data.status_list.lst, payload.data.status_list.bits as BitsPerStatus);
  } catch {
    throw new AttestationStatusError('the status list could not be decoded');
  }
}

/**
 * Checks an attestation's `status` claim against its issuer's list. Returns
 * undefined when there is no `status` (the issuer cannot revoke), the checked
 * reference otherwise; throws AttestationRevokedError or AttestationStatusError.
 */
export async function checkAttestationStatus(status: unknown, issuer: TrustedIssuer, options: StatusCheckOptions): Promise<CheckedStatus | undefined> {
  if (status === undefined) return undefined;
  const parsed = StatusClaim.safeParse(status);
  if (!parsed.success) throw new AttestationStatusError('the attestation status is not a status_list reference with idx and uri');
  const { idx, uri } = parsed.data.status_list;
  const key = `${issuer.issuer}\n${uri}`;
  let pending = options.cache?.get(key);
  if (!pending) {
    pending = loadList(uri, issuer, options);
    options.cache?.set(key, pending);
  }
  const list = await pending;
  let value: number;
  try {
    value = list.getStatus(idx);
  } catch {
    throw new AttestationStatusError('the attestation index lies outside the status list');
  }
  if (value !== 0) throw new AttestationRevokedError(value, issuer.issuer);
  return { uri, idx };
}
