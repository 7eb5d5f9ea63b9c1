/**
 * Attestations on the holder's side (DESIGN 5.6): checking an SD-JWT VC a
 * verifier issued for one of the holder's elements, keeping it while the
 * element still says what was attested, and presenting it with a release.
 *
 * Issued (by a verifier; docs/protocol.md, "Attestations"):
 *   header  { alg: "ES256" | "EdDSA", typ: "dc+sd-jwt", kid }
 *   payload { iss, iat, exp?, vct: "urn:wathiqa:element:<type>:1", cnf: { jwk: <HS public JWK> },
 *             _sd, _sd_alg: "sha-256", verification, status? }
 *   one disclosure per field (value = the element data's value) and per scan
 *   slot (value = the link's sha256, or the array of them for translation/files);
 *   compact, all disclosures, no KB-JWT: "<jwt>~<d1>~…~<dN>~".
 * Presented (in a release): "<jwt>~<disclosures of the released keys it covers>~<KB-JWT>",
 *   KB-JWT { alg: "ES256", typ: "kb+jwt" } { aud, nonce, iat, sd_hash } signed with HS.
 *
 * Parsing, disclosure digests, presentation and the KB-JWT are the OpenWallet
 * Foundation's @sd-jwt code; signatures are jose over WebCrypto. Nothing here
 * imports Node modules: the vault page bundles it.
 */
// @sd-jwt/core, not sd-jwt-vc: the VC class adds nothing used here and pulls all of zod (a default import) into the page bundles.
import { SDJwtInstance } from '@sd-jwt/core';
import { compactVerify, importJWK, type JWK } from 'jose';
import * as z from 'zod';
import { MAX_ATTESTATION_LENGTH, MAX_ELEMENT_ATTESTATIONS } from './elements/content.js';
import { FIELDS } from './elements/fields.js';
import { elementSpec, isElementType } from './elements/registry.js';
import { SLOT_NAMES, type ElementContent, type ElementType, type SealedAttestation } from './elements/table.js';
import { base64urlEncode, utf8Encode } from './encoding.js';
import { ProtocolInputError } from './errors.js';
import { holderKeyThumbprint, type HolderPrivateJwk, type HolderPublicJwk } from './holder-keys.js';
import { canonicalJson } from './kdf.js';

export { MAX_ATTESTATION_LENGTH, MAX_ELEMENT_ATTESTATIONS };

/** The @sd-jwt callback shapes (its Signer and Verifier types, written here so only sd-jwt-vc is imported). */
export type JwsSigner = (data: string) => Promise<string>;
export type JwsVerifier = (data: string, sig: string) => Promise<boolean>;
export type { SealedAttestation };

export const ATTESTATION_TYP = 'dc+sd-jwt';
export const KB_JWT_TYP = 'kb+jwt';
/** Issuer signing algorithms a verifier may register (DESIGN 5.6). */
export const ATTESTATION_ALGS = ['ES256', 'EdDSA'] as const;
/** Holder keys are P-256 (DESIGN 5.5), so every KB-JWT is ES256. */
export const KB_JWT_ALG = 'ES256';
const SD_ALG = 'sha-256';
const VCT_PATTERN = /^urn:wathiqa:element:([a-z_]+):1$/;

export type AttestationCheckCode =
  | 'malformed'
  | 'untrusted_issuer'
  | 'signature'
  | 'type'
  | 'expired'
  | 'holder_key'
  | 'not_in_sd'
  | 'value_mismatch';

/**
 * Why an attestation was refused. Callers branch on `code` (the page words it
 * for the holder); `key`, where given, is the disclosed field or slot at fault.
 * Messages never contain disclosed values.
 */
export class AttestationCheckError extends Error {
  readonly code: AttestationCheckCode;
  readonly key: string | undefined;
  constructor(code: AttestationCheckCode, message: string, key?: string) {
    super(message);
    this.code = code;
    this.key = key;
  }
}
// Literal name on the prototype, as for the other protocol errors (a minifier renames classes).
Object.defineProperty(AttestationCheckError.prototype, 'name', { value: 'AttestationCheckError', enumerable: false, configurable: true, writable: true });

export interface IssuerKeys {
  /** The verifier's client id, as in `iss`. */
  client_id: string;
  /** Its signing keys, as `GET /verifiers` lists them. */
  jwks: { keys: Record<string, unknown>[] };
}

export interface AttestationSummary {
  issuer: string;
  kid: string;
  /** Element data fields the attestation discloses (covers), in the type's field order. */
  fields: string[];
  /** Scan slots it covers, in slot order. */
  scans: string[];
  /** Epoch seconds. */
  issuedAt?: number;
  expiresAt?: number;
  /** OIDC4IA `verification` (trust_framework, time, evidence). */
  verification: unknown;
  /** Token Status List reference, if the verifier can revoke. */
  status?: unknown;
}

export function attestationVct(type: string): string {
  if (!isElementType(type)) throw new ProtocolInputError('unknown element type');
  return `urn:wathiqa:element:${type}:1`;
}

export function elementTypeOfVct(vct: string): ElementType | undefined {
  const match = typeof vct === 'string' ? VCT_PATTERN.exec(vct) : null;
  return match && isElementType(match[1]) ? match[1] : undefined;
}

// ---- crypto callbacks for the @sd-jwt packages (also used by the RP SDK)

/** SHA-256 through WebCrypto; the only digest the format uses, so anything else is refused. */
export async function sdJwtHasher(data: string | ArrayBuffer, alg: string): Promise<Uint8Array> {
  if (typeof alg !== 'string' || alg.toLowerCase() !== SD_ALG) throw new AttestationCheckError('malformed', 'only sha-256 digests are accepted');
  const bytes = typeof data === 'string' ? utf8Encode(data) : new Uint8Array(data);
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

/** A @sd-jwt Verifier over one key: jose checks the compact JWS, with exactly these algorithms. */
export function jwsSignatureVerifier(key: CryptoKey | Uint8Array, algorithms: readonly string[]): JwsVerifier {
  return async (data: string, sig: string): Promise<boolean> => {
    try {
      await compactVerify(`${data}.${sig}`, key, { algorithms: [...algorithms] });
      return true;
    } catch {
      return false;
    }
  };
}

const SIGN_PARAMS: Record<string, AlgorithmIdentifier | EcdsaParams> = {
  ES256: { name: 'ECDSA', hash: 'SHA-256' }, // WebCrypto's ECDSA signature is r ‖ s, which is JWS's form
  EdDSA: { name: 'Ed25519' },
};

/**
 * A @sd-jwt Signer: signs the JWS signing input the library hands over, as
 * is (re-encoding the header through jose could change its bytes). The key is
 * imported once, not extractable.
 */
export function jwsSigner(privateJwk: JWK | HolderPrivateJwk | CryptoKey, alg: 'ES256' | 'EdDSA'): JwsSigner {
  const params = SIGN_PARAMS[alg];
  if (!params) throw new ProtocolInputError('the signing algorithm must be ES256 or EdDSA');
  let key: Promise<CryptoKey> | undefined;
  const load = (): Promise<CryptoKey> =>
    (key ??=
      'kty' in privateJwk
        ? (importJWK({ ...(privateJwk as JWK) }, alg, { extractable: false }) as Promise<CryptoKey>)
        : Promise.resolve(privateJwk as CryptoKey));
  return async (data: string): Promise<string> => {
    const signature = await crypto.subtle.sign(params, await load(), utf8Encode(data));
    return base64urlEncode(new Uint8Array(signature));
  };
}

// ---- decoding

const ecPublicJwk = z.looseObject({ kty: z.string(), crv: z.string(), x: z.string(), y: z.string() });

const issuedHeader = z.looseObject({ alg: z.string(), typ: z.string().optional(), kid: z.string().min(1) });

/** What the holder's page relies on; other members (`nbf`, `sub`, …) are allowed and ignored. */
const issuedPayload = z.looseObject({
  iss: z.string().min(1),
  iat: z.number().int().nonnegative().optional(),
  exp: z.number().int().nonnegative().optional(),
  vct: z.string(),
  cnf: z.looseObject({ jwk: ecPublicJwk }),
  _sd: z.array(z.string()).min(1),
  _sd_alg: z.literal(SD_ALG),
  verification: z.looseObject({ trust_framework: z.string().min(1) }),
  status: z.unknown().optional(),
});
type IssuedPayload = z.infer<typeof issuedPayload>;

interface DecodedDisclosure {
  key: string;
  value: unknown;
  digest: string;
}

interface Decoded {
  header: z.infer<typeof issuedHeader>;
  payload: IssuedPayload;
  disclosures: DecodedDisclosure[];
  /** The JWS signing input and signature, exactly as issued. */
  signingInput: string;
  signature: string;
}

/** Every element field name and slot name: neither may appear in the payload in clear. */
const ELEMENT_KEYS: ReadonlySet<string> = new Set<string>([...SLOT_NAMES, ...Object.keys(FIELDS)]);

const malformed = (message: string, key?: string) => new AttestationCheckError('malformed', message, key);

/**
 * An issued SD-JWT (no KB-JWT), decoded by @sd-jwt and shape-checked; no
 * signature checked. Throws AttestationCheckError 'malformed'.
 */
async function decodeIssued(sdJwt: string): Promise<Decoded> {
  if (typeof sdJwt !== 'string' || sdJwt.length > MAX_ATTESTATION_LENGTH || !sdJwt.endsWith('~')) {
    throw malformed('not an issued SD-JWT (too long, or not ending with "~")');
  }
  let decoded: Awaited<ReturnType<SDJwtInstance<Record<string, unknown>>['decode']>>;
  try {
    decoded = await new SDJwtInstance<Record<string, unknown>>({ hasher: sdJwtHasher, hashAlg: SD_ALG }).decode(sdJwt);
  } catch {
    throw malformed('the SD-JWT could not be decoded');
  }
  const { jwt, disclosures = [], kbJwt } = decoded;
  if (kbJwt) throw malformed('an issued SD-JWT carries no key-binding JWT');
  const header = issuedHeader.safeParse(jwt?.header);
  const payload = issuedPayload.safeParse(jwt?.payload);
  if (!header.success) throw malformed('the SD-JWT header lacks alg or kid');
  if (!payload.success) throw malformed('the SD-JWT payload lacks iss, vct, cnf.jwk, a sha-256 _sd or verification');
  for (const key of Object.keys(payload.data)) {
    if (ELEMENT_KEYS.has(key)) throw malformed('element values must be disclosures, not plain claims', key);
  }
  const [signingHeader, signingPayload, signature] = sdJwt.slice(0, sdJwt.indexOf('~')).split('.');
  if (!signingHeader || !signingPayload || !signature) throw malformed('the issuer JWT is not a compact JWS');

  const out: DecodedDisclosure[] = [];
  const seenKeys = new Set<string>();
  const seenDigests = new Set<string>();
  for (const disclosure of disclosures) {
    // Array-element disclosures ([salt, value]) are not part of the format: every value has a name.
    if (typeof disclosure.key !== 'string') throw malformed('a disclosure has no claim name');
    const digest = await disclosure.digest({ hasher: sdJwtHasher, alg: SD_ALG });
    if (seenKeys.has(disclosure.key) || seenDigests.has(digest)) throw malformed('a claim is disclosed twice', disclosure.key);
    seenKeys.add(disclosure.key);
    seenDigests.add(digest);
    out.push({ key: disclosure.key, value: disclosure.value, digest });
  }
  if (out.length === 0) throw malformed('the SD-JWT discloses nothing');
  return { header: header.data, payload: payload.data, disclosures: out, signingInput: `${signingHeader}.${signingPayload}`, signature };
}

/** Trust-free look: who issued it, for which type, disclosing what (to pick the candidate elements). */
export async function decodeIssuedAttestation(
  sdJwt: string,
): Promise<{ iss: string; vct: string; elementType: ElementType | undefined; disclosed: Record<string, unknown> }> {
  const { payload, disclosures } = await decodeIssued(sdJwt);
  // fromEntries defines own properties: a disclosure named "__proto__" cannot reach a prototype.
  const disclosed: Record<string, unknown> = Object.fromEntries(disclosures.map((d) => [d.key, d.value]));
  return { iss: payload.iss, vct: payload.vct, elementType: elementTypeOfVct(payload.vct), disclosed };
}

// ---- values

const isSlotName = (key: string): boolean => (SLOT_NAMES as readonly string[]).includes(key);
const MULTIPLE_SLOTS: readonly string[] = ['translation', 'files'];

/** The disclosure value of a scan slot: its link's sha256, or the array of them for translation/files. */
export function scanDisclosureValue(files: Record<string, unknown>, slot: string): string | string[] | undefined {
  if (typeof files !== 'object' || files === null || !isSlotName(slot) || !Object.prototype.hasOwnProperty.call(files, slot)) return undefined;
  const value = files[slot];
  const sha = (link: unknown): string | undefined => {
    const s = typeof link === 'object' && link !== null ? (link as { sha256?: unknown }).sha256 : undefined;
    return typeof s === 'string' ? s : undefined;
  };
  if (MULTIPLE_SLOTS.includes(slot)) {
    if (!Array.isArray(value) || value.length === 0) return undefined;
    const hashes = value.map(sha);
    return hashes.every((h): h is string => h !== undefined) ? hashes : undefined;
  }
  return Array.isArray(value) ? undefined : sha(value);
}

/** The element's current value under a disclosed key (a field of its type, or a slot of its type), or undefined. */
function currentValue(type: ElementType, content: { data: object; files: object }, key: string): unknown {
  const spec = elementSpec(type);
  if (spec.slots.some((s) => s.name === key)) return scanDisclosureValue(content.files as Record<string, unknown>, key);
  if (spec.fields.some((f) => f.name === key)) {
    const data = content.data as Record<string, unknown>;
    return Object.prototype.hasOwnProperty.call(data, key) ? data[key] : undefined;
  }
  return undefined;
}

/** Same JSON value (key order ignored): equal RFC 8785 texts. */
const sameValue = (a: unknown, b: unknown): boolean => a !== undefined && b !== undefined && canonicalJson(a) === canonicalJson(b);

function summary(type: ElementType | undefined, decoded: Decoded): AttestationSummary {
  const keys = decoded.disclosures.map((d) => d.key);
  const order = type ? [...elementSpec(type).fields.map((f) => f.name as string), ...SLOT_NAMES] : [...SLOT_NAMES];
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  const sorted = [...keys].sort((a, b) => rank(a) - rank(b));
  const { payload } = decoded;
  const out: AttestationSummary = {
    issuer: payload.iss,
    kid: decoded.header.kid,
    fields: sorted.filter((k) => !isSlotName(k)),
    scans: sorted.filter(isSlotName),
    verification: payload.verification,
  };
  if (payload.iat !== undefined) out.issuedAt = payload.iat;
  if (payload.exp !== undefined) out.expiresAt = payload.exp;
  if (payload.status !== undefined) out.status = payload.status;
  return out;
}

// ---- the holder page's check

async function issuerKey(decoded: Decoded, issuers: readonly IssuerKeys[]): Promise<CryptoKey | Uint8Array> {
  const { header, payload } = decoded;
  const issuer = issuers.find((i) => i.client_id === payload.iss);
  if (!issuer) throw new AttestationCheckError('untrusted_issuer', 'the issuer is not a registered verifier');
  const jwk = issuer.jwks.keys.find((k) => k.kid === header.kid && k.use !== 'enc' && !('d' in k));
  if (!jwk) throw new AttestationCheckError('untrusted_issuer', 'the issuer has no signing key with this kid');
  if (!(ATTESTATION_ALGS as readonly string[]).includes(header.alg) || (jwk.alg !== undefined && jwk.alg !== header.alg)) {
    throw new AttestationCheckError('signature', 'the signature algorithm is not ES256 or EdDSA, or not the key\'s');
  }
  try {
    return await importJWK(jwk as JWK, header.alg);
  } catch {
    throw new AttestationCheckError('untrusted_issuer', 'the issuer\'s key could not be imported');
  }
}

/**
 * The holder page's check of an issued SD-JWT against one element's current
 * content, in this order (the first failure is thrown):
 *   malformed → untrusted_issuer (iss, kid) → signature (alg, JWS) → type (typ, vct)
 *   → expired → holder_key (cnf.jwk) → not_in_sd (each disclosure) → value_mismatch (each disclosure).
 */
export async function checkIssuedAttestation<T extends ElementType>(
  sdJwt: string,
  ctx: {
    elementType: T;
    content: ElementContent<T>;
    holderSig: HolderPublicJwk;
    issuers: readonly IssuerKeys[];
    now?: Date;
  },
): Promise<AttestationSummary> {
  const decoded = await decodeIssued(sdJwt);
  const { header, payload } = decoded;

  // Trust first: nothing in the token means anything before its signature is checked.
  const key = await issuerKey(decoded, ctx.issuers);
  if (!(await jwsSignatureVerifier(key, [header.alg])(decoded.signingInput, decoded.signature))) {
    throw new AttestationCheckError('signature', 'the issuer\'s signature does not verify');
  }

  if (header.typ !== ATTESTATION_TYP) throw new AttestationCheckError('type', `the typ is not ${ATTESTATION_TYP}`);
  if (payload.vct !== attestationVct(ctx.elementType)) throw new AttestationCheckError('type', 'the vct is not this element\'s type');

  const nowS = Math.floor((ctx.now ?? new Date()).getTime() / 1000);
  if (payload.exp !== undefined && payload.exp <= nowS) throw new AttestationCheckError('expired', 'the attestation has expired');

  const cnf = payload.cnf.jwk;
  if ('d' in cnf || holderKeyThumbprint(cnf) !== holderKeyThumbprint(ctx.holderSig)) {
    throw new AttestationCheckError('holder_key', 'the attestation is bound to another holder key');
  }

  // The library's unpacking skips disclosures it cannot place; the holder's page must not keep those.
  for (const d of decoded.disclosures) {
    if (!payload._sd.includes(d.digest)) throw new AttestationCheckError('not_in_sd', 'a disclosure is not signed into _sd', d.key);
  }
  for (const d of decoded.disclosures) {
    if (!sameValue(d.value, currentValue(ctx.elementType, ctx.content, d.key))) {
      throw new AttestationCheckError('value_mismatch', 'a disclosed value differs from the element', d.key);
    }
  }
  return summary(ctx.elementType, decoded);
}

/** Summary of an attestation already checked and sealed in an element (no signature check). */
export async function summarizeAttestation(sdJwt: string): Promise<AttestationSummary> {
  const decoded = await decodeIssued(sdJwt);
  const type = elementTypeOfVct(decoded.payload.vct);
  if (!type) throw malformed('the vct names no element type');
  return summary(type, decoded);
}

/**
 * Splits sealed attestations into those whose every disclosed value still
 * equals the content (kept) and the rest (dropped, including any that no
 * longer decode). The element type is the one in each attestation's vct.
 */
export async function attestationsThatFit<T extends ElementType>(
  attestations: readonly SealedAttestation[],
  content: ElementContent<T>,
): Promise<{ kept: SealedAttestation[]; dropped: SealedAttestation[] }> {
  const kept: SealedAttestation[] = [];
  const dropped: SealedAttestation[] = [];
  for (const attestation of attestations) {
    let fits = false;
    try {
      const decoded = await decodeIssued(attestation.sd_jwt);
      const type = elementTypeOfVct(decoded.payload.vct);
      fits = type !== undefined && decoded.disclosures.every((d) => sameValue(d.value, currentValue(type, content, d.key)));
    } catch (error) {
      if (!(error instanceof AttestationCheckError)) throw error;
    }
    (fits ? kept : dropped).push(attestation);
  }
  return { kept, dropped };
}

// ---- presenting

const kbInput = z.strictObject({ aud: z.string().min(1), nonce: z.string().min(1), iat: z.number().int().nonnegative() });

/**
 * The presentation for a release: the issuer JWT, the disclosures of exactly
 * those released fields and scans that the attestation covers (others in
 * `disclose` are ignored; undisclosed ones stay hidden), in the issued order,
 * and a KB-JWT signed with the holder's HS private key.
 */
export async function presentAttestation(
  sdJwt: string,
  disclose: { fields: readonly string[]; scans: readonly string[] },
  holderSig: HolderPrivateJwk,
  kb: { aud: string; nonce: string; iat: number },
): Promise<string> {
  const kbPayload = kbInput.safeParse(kb);
  if (!kbPayload.success) throw new ProtocolInputError('the key binding needs aud, nonce and an integer iat');
  const decoded = await decodeIssued(sdJwt);
  if (holderKeyThumbprint(decoded.payload.cnf.jwk) !== holderKeyThumbprint(holderSig)) {
    throw new AttestationCheckError('holder_key', 'the attestation is bound to another holder key');
  }
  const fields = new Set(disclose.fields.filter((k) => !isSlotName(k)));
  const scans = new Set(disclose.scans.filter(isSlotName));
  const frame: Record<string, boolean> = Object.fromEntries(
    decoded.disclosures.filter((d) => fields.has(d.key) || scans.has(d.key)).map((d) => [d.key, true]),
  );

  const sdjwt = new SDJwtInstance<Record<string, unknown>>({
    hasher: sdJwtHasher,
    hashAlg: SD_ALG,
    kbSigner: jwsSigner(holderSig, KB_JWT_ALG),
    kbSignAlg: KB_JWT_ALG,
  });
  return sdjwt.present(sdJwt, frame, { kb: { payload: kbPayload.data } });
}
