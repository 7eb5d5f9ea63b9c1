/**
 * Issuing helpers for verifiers (DESIGN 5.6): the SD-JWT VC for a released
 * element, its delivery JWE to the holder's HE key, the delivery request, and
 * the issuer's Token Status List.
 *
 * The SD-JWT is made by the OpenWallet Foundation's @sd-jwt/sd-jwt-vc (salts,
 * disclosures, digests, `_sd`), the status list by @sd-jwt/jwt-status-list,
 * the JWE and the status list JWT by jose: nothing here builds those formats
 * by hand. Inputs are checked with zod; a bad input is a bug in the caller and
 * throws TypeError.
 */
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { createHeaderAndPayload, StatusList, type BitsPerStatus } from '@sd-jwt/jwt-status-list';
import { CompactEncrypt, importJWK, SignJWT, type JWK } from 'jose';
import * as z from 'zod';
import {
  base64urlDecodedLength,
  base64urlEncode,
  elementSpec,
  ELEMENT_TYPES,
  HolderKeyShapes,
  jwsSigner,
  randomBytes,
  sdJwtHasher,
  utf8Encode,
  type ElementType,
} from '../protocol/index.js';
import { ATTESTATION_TYP, MAX_PRESENTATION_LENGTH, vctOf } from './attestations.js';
import { AttestationDeliveryError } from './errors.js';
import { isLoopbackHost, postWithToken } from './http.js';
import { MAX_STATUS_LIST_BYTES, STATUS_LIST_JWT_TYP } from './status.js';
import { releasedDataSchema } from './payload.js';

export { releaseFileHashes } from './payload.js';

/** The delivery JWE's protected header, as the server checks it (src/attestations/header.ts). */
export const ATTESTATION_JWE_ALG = 'ECDH-ES+A256KW';
export const ATTESTATION_JWE_ENC = 'A256GCM';
export const ATTESTATION_JWE_CTY = 'wathiqa-attestation+sd-jwt';
/** The server refuses a longer `jwe`. */
export const MAX_ATTESTATION_JWE_LENGTH = 64 * 1024;
/** RPs refuse a larger status list JWT (src/rp/status.ts); signStatusList refuses to make one. */
export const MAX_STATUS_LIST_JWT_LENGTH = MAX_STATUS_LIST_BYTES;
/** Entries in one status list: ample for a verifier, and its JWT stays small. */
export const MAX_STATUS_LIST_SIZE = 1 << 20;
const DEFAULT_STATUS_LIST_TTL = 24 * 3600;
const DEFAULT_DELIVERY_TIMEOUT_MS = 15_000;

const SHA256_TEXT = z.string().refine((s) => /^[A-Za-z0-9_-]{43}$/.test(s) && base64urlDecodedLength(s) === 32, {
  message: 'must be an unpadded base64url SHA-256 digest',
});

/** A private signing JWK whose curve fits its alg (the curve decides, as at registration). */
const SigningKey = z
  .looseObject({
    kty: z.enum(['EC', 'OKP']),
    crv: z.enum(['P-256', 'Ed25519']),
    x: z.string().min(1),
    y: z.string().min(1).optional(),
    d: z.string().min(1),
    kid: z.string().min(1).max(128),
    alg: z.enum(['ES256', 'EdDSA']),
    use: z.literal('sig').optional(),
  })
  .refine((k) => (k.alg === 'ES256' ? k.kty === 'EC' && k.crv === 'P-256' && k.y !== undefined : k.kty === 'OKP' && k.crv === 'Ed25519'), {
    message: 'ES256 needs an EC P-256 key, EdDSA an OKP Ed25519 key',
  });

const HolderSig = HolderKeyShapes.publicJwk.refine((k) => k.use === 'sig', { message: 'must be the holder signing (HS) key' });
const HolderEnc = HolderKeyShapes.publicJwk.refine((k) => k.use === 'enc', { message: 'must be the holder encryption (HE) key' });

const Verification = z.looseObject({
  trust_framework: z.string().min(1).max(200),
  time: z.iso.datetime({ offset: true }).optional(),
  evidence: z.array(z.unknown()).max(20).optional(),
});

const Uri = z.string().max(2048);

/** An https URL, or http on a loopback host (development); never with credentials or a fragment. */
function statusUriProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not contain credentials';
  if (url.hash) return 'must not have a fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined;
  return 'must be https (http only on a loopback host)';
}

const StatusRef = z.strictObject({
  idx: z.number().int().min(0).max(MAX_STATUS_LIST_SIZE - 1),
  uri: Uri.superRefine((v, ctx) => {
    const problem = statusUriProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
});

const IssueInput = z.strictObject({
  issuer: z.string().min(1).max(255),
  signingKey: SigningKey,
  elementType: z.enum(ELEMENT_TYPES as [ElementType, ...ElementType[]]),
  data: z.record(z.string(), z.unknown()),
  fileHashes: z.record(z.string(), z.union([SHA256_TEXT, z.array(SHA256_TEXT).min(1)])).optional(),
  holder: z.looseObject({ sig: HolderSig }),
  verification: Verification,
  expiresAt: z.number().int().positive().optional(),
  status: StatusRef.optional(),
  now: z.date().optional(),
});

export type AttestationVerificationInput = z.input<typeof Verification>;

export interface IssueAttestationInput {
  /** The verifier's client_id: the attestation's `iss`. */
  issuer: string;
  /** The verifier's private signing JWK, with `kid` (as registered) and `alg` (ES256 or EdDSA). */
  signingKey: JWK;
  elementType: ElementType;
  /** The released element's data, as openRelease returned it: one disclosure per field. */
  data: Record<string, unknown>;
  /** Scan slot → sha256 (or the list of them, in order, for translation/files): see releaseFileHashes. */
  fileHashes?: Record<string, string | string[]>;
  /** The release's `holder`: `sig` becomes `cnf.jwk`. */
  holder: { sig: JWK; [k: string]: unknown };
  /** OIDC4IA verification: trust framework, time (default: now), evidence. */
  verification: { trust_framework: string; time?: string; evidence?: unknown[]; [k: string]: unknown };
  /** Epoch seconds. */
  expiresAt?: number;
  /** The attestation's entry in your Token Status List (see createStatusList / signStatusList). */
  status?: { idx: number; uri: string };
  now?: Date;
}

function invalid(fn: string, error: z.ZodError): TypeError {
  const where = error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
  return new TypeError(`${fn}: ${where}`);
}

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);
/** ISO 8601 UTC to the second, as OIDC4IA writes `time`. */
const isoSeconds = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The disclosed scan values, checked against the type's slots (single: one sha256; multiple: a list). */
function checkedFileHashes(type: ElementType, hashes: Record<string, string | string[]>): Record<string, string | string[]> {
  const slots = elementSpec(type).slots;
  for (const [name, value] of Object.entries(hashes)) {
    const slot = slots.find((s) => s.name === name);
    if (!slot) throw new TypeError(`issueAttestation: fileHashes.${name}: ${type} has no such scan slot`);
    if (slot.multiple !== Array.isArray(value)) throw new TypeError(`issueAttestation: fileHashes.${name}: must be ${slot.multiple ? 'a list of sha256 values' : 'one sha256 value'}`);
    if (Array.isArray(value) && value.length > slot.max) throw new TypeError(`issueAttestation: fileHashes.${name}: at most ${slot.max} files`);
  }
  return hashes;
}

/**
 * Issues the SD-JWT VC for one released element (DESIGN 5.6): header
 * `{ alg, typ: "dc+sd-jwt", kid }`; payload `iss`, `iat`, `exp?`, `vct`,
 * `cnf.jwk` = the holder's HS key, `verification`, `status?`; one disclosure per
 * field of `data` and per scan slot of `fileHashes`. Returns the compact form
 * with every disclosure and no KB-JWT (`<jwt>~<d1>~…~<dN>~`), to be encrypted
 * with encryptAttestation.
 */
export async function issueAttestation(input: IssueAttestationInput): Promise<string> {
  const parsed = IssueInput.safeParse(input);
  if (!parsed.success) throw invalid('issueAttestation', parsed.error);
  const { issuer, signingKey, elementType, holder, verification, expiresAt, status } = parsed.data;
  const now = parsed.data.now ?? new Date();

  // The same schema openRelease applies, so the disclosed values are the normalized released values.
  const data = releasedDataSchema(elementType).safeParse(parsed.data.data);
  if (!data.success) throw invalid('issueAttestation: data', data.error);
  const fields = data.data as Record<string, unknown>;
  const scans = checkedFileHashes(elementType, parsed.data.fileHashes ?? {});
  const claims = { ...fields, ...scans };
  if (Object.keys(claims).length === 0) throw new TypeError('issueAttestation: nothing to attest (no data and no fileHashes)');

  const iat = epochSeconds(now);
  if (expiresAt !== undefined && expiresAt <= iat) throw new TypeError('issueAttestation: expiresAt must lie in the future');
  const payload = {
    iss: issuer,
    iat,
    ...(expiresAt === undefined ? {} : { exp: expiresAt }),
    vct: vctOf(elementType),
    cnf: { jwk: holder.sig },
    verification: { ...verification, time: verification.time ?? isoSeconds(now) },
    ...(status ? { status: { status_list: status } } : {}),
    ...claims,
  };
  const sdjwt = new SDJwtVcInstance({
    signer: jwsSigner(signingKey as JWK, signingKey.alg),
    signAlg: signingKey.alg,
    hasher: sdJwtHasher,
    hashAlg: 'sha-256',
    // 128-bit salts, base64url (RFC 9901 section 4.2.1 recommends at least 128 bits).
    saltGenerator: async () => base64urlEncode(randomBytes(16)),
  });
  const compact = await sdjwt.issue(payload as never, { _sd: Object.keys(claims) } as never, { header: { kid: signingKey.kid, typ: ATTESTATION_TYP } });
  if (compact.length > MAX_PRESENTATION_LENGTH) throw new TypeError('issueAttestation: the attestation is larger than holders and RPs accept (64 KiB)');
  return compact;
}

/**
 * The delivery JWE: the compact SD-JWT (UTF-8) encrypted to the holder's HE
 * key (`release.holder.enc`), with exactly the protected header the server
 * accepts: alg ECDH-ES+A256KW, enc A256GCM, cty wathiqa-attestation+sd-jwt,
 * kid = the HE key's kid (and the epk jose adds).
 */
export async function encryptAttestation(sdJwt: string, holderEnc: JWK): Promise<string> {
  if (typeof sdJwt !== 'string' || !sdJwt.endsWith('~') || sdJwt.split('~')[0]!.split('.').length !== 3 || sdJwt.length > MAX_PRESENTATION_LENGTH) {
    throw new TypeError('encryptAttestation: not a compact SD-JWT with its disclosures and no KB-JWT (it must end with "~")');
  }
  const key = HolderEnc.safeParse(holderEnc);
  if (!key.success) throw invalid('encryptAttestation: holderEnc', key.error);
  const jwe = await new CompactEncrypt(utf8Encode(sdJwt))
    .setProtectedHeader({ alg: ATTESTATION_JWE_ALG, enc: ATTESTATION_JWE_ENC, cty: ATTESTATION_JWE_CTY, kid: key.data.kid })
    .encrypt(await importJWK(key.data, ATTESTATION_JWE_ALG));
  if (jwe.length > MAX_ATTESTATION_JWE_LENGTH) throw new TypeError('encryptAttestation: the JWE is larger than the server accepts (64 KiB)');
  return jwe;
}

export interface DeliverAttestationInput {
  /** Wathiqa's issuer URL (as in discovery). */
  issuer: string;
  /** The access token of the grant you received the release on. */
  accessToken: string;
  /** From encryptAttestation. */
  jwe: string;
  fetch?: typeof globalThis.fetch;
  signal?: AbortSignal;
  /** Default 15 s. */
  timeoutMs?: number;
}

const Delivered = z.looseObject({ id: z.string().min(1).max(64) });
/**
 * `POST {issuer}/passport/attestations` with the grant's access token and
 * `{ "jwe": … }`. Returns the inbox item's `{ id }` (201). Every other outcome
 * throws AttestationDeliveryError carrying the server's `error` code and
 * `error_description`, or `network_error` / `invalid_response`.
 */
export async function deliverAttestation(input: DeliverAttestationInput): Promise<{ id: string }> {
  if (typeof input !== 'object' || input === null) throw new TypeError('deliverAttestation: input is required');
  for (const name of ['issuer', 'accessToken', 'jwe'] as const) {
    if (typeof input[name] !== 'string' || input[name] === '') throw new TypeError(`deliverAttestation: ${name} must be a non-empty string`);
  }
  const outcome = await postWithToken(input, '/passport/attestations', { jwe: input.jwe }, { status: 201, schema: Delivered }, DEFAULT_DELIVERY_TIMEOUT_MS);
  if ('ok' in outcome) return { id: outcome.ok.id };
  if ('network' in outcome) throw new AttestationDeliveryError('network_error');
  if ('invalid' in outcome) throw new AttestationDeliveryError('invalid_response', outcome.invalid);
  throw new AttestationDeliveryError(outcome.refused.error, outcome.refused.status, outcome.refused.error_description);
}

/** A new Token Status List of `size` entries, all 0 (valid); `bits` 1 (valid/revoked) or 2 (also suspended). */
export function createStatusList(size: number, bits: 1 | 2 = 1): StatusList {
  if (!Number.isInteger(size) || size < 1 || size > MAX_STATUS_LIST_SIZE) throw new TypeError(`createStatusList: size must be an integer from 1 to ${MAX_STATUS_LIST_SIZE}`);
  if (bits !== 1 && bits !== 2) throw new TypeError('createStatusList: bits must be 1 or 2');
  return new StatusList(new Array<number>(size).fill(0), bits as BitsPerStatus);
}

export interface SignStatusListInput {
  list: StatusList;
  /** The URL the list is served at: the JWT's `sub`, and the `uri` in the attestations. */
  uri: string;
  /** Your client_id: the JWT's `iss`. */
  issuer: string;
  /** The same signing key the attestations are signed with (RPs require one of your registered keys). */
  signingKey: JWK;
  /** `ttl`, and `exp` = `iat` + ttl: RPs refuse the list after that, so sign it again before. Default one day. */
  ttlSeconds?: number;
  now?: Date;
}

/**
 * The Token Status List JWT (draft-ietf-oauth-status-list): header
 * `{ alg, kid, typ: "statuslist+jwt" }`, payload `{ iss, sub: uri, iat, exp, ttl,
 * status_list: { bits, lst } }`, `lst` compressed by @sd-jwt/jwt-status-list.
 * Serve it at `uri` with content type application/statuslist+jwt.
 */
export async function signStatusList(input: SignStatusListInput): Promise<string> {
  // Duck-typed: a StatusList from another copy of the package is as good.
  const list = input?.list as Partial<StatusList> | undefined;
  if (typeof list?.compressStatusList !== 'function' || typeof list.getBitsPerStatus !== 'function') {
    throw new TypeError('signStatusList: list must be a StatusList (createStatusList)');
  }
  const key = SigningKey.safeParse(input.signingKey);
  if (!key.success) throw invalid('signStatusList: signingKey', key.error);
  const uri = StatusRef.shape.uri.safeParse(input.uri);
  if (!uri.success) throw invalid('signStatusList: uri', uri.error);
  if (typeof input.issuer !== 'string' || input.issuer === '') throw new TypeError('signStatusList: issuer must be a non-empty string');
  const ttl = input.ttlSeconds ?? DEFAULT_STATUS_LIST_TTL;
  if (!Number.isInteger(ttl) || ttl < 1) throw new TypeError('signStatusList: ttlSeconds must be a positive integer');
  const iat = epochSeconds(input.now ?? new Date());
  const { header, payload } = createHeaderAndPayload(
    input.list,
    { iss: input.issuer, sub: uri.data, iat, exp: iat + ttl, ttl },
    { alg: key.data.alg, kid: key.data.kid, typ: STATUS_LIST_JWT_TYP },
  );
  const jwt = await new SignJWT(payload as Record<string, unknown>)
    .setProtectedHeader(header as { alg: string; kid: string; typ: string })
    .sign(await importJWK(key.data as JWK, key.data.alg));
  if (jwt.length > MAX_STATUS_LIST_JWT_LENGTH) throw new TypeError('signStatusList: the signed list is larger than the 16 KiB RPs accept');
  return jwt;
}

export { StatusList };
