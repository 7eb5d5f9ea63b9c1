/**
 * Passphrase → root → KEK (DESIGN 5.1).
 *
 *   bytes = UTF-8(NFKC(passphrase))
 *   root  = Argon2id v1.3 (password = bytes, salt, m KiB, t passes, p lanes, 32 bytes out, no secret, no AD)
 *   KEK   = HKDF-SHA256(ikm = root, salt = empty, info = "wathiqa/v1/kek", 32 bytes)
 *
 * The parameters travel as {"alg":"argon2id","m":…,"p":…,"salt":"<b64url>","t":…,"v":1}
 * ("v" is this object's format version, not Argon2's). The server stores them and
 * hands them back; the client checks them against the floor before deriving
 * anything, because a server that could lower them would make every guess cheap.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import canonicalizeModule from 'canonicalize';
import { argon2id } from 'hash-wasm';
import { base64urlDecode, base64urlDecodedLength, base64urlEncode, randomBytes, utf8Encode, type Bytes } from './encoding.js';
import { KdfPolicyError } from './errors.js';

export interface KdfParams {
  alg: 'argon2id';
  /** Memory in KiB. */
  m: number;
  /** Lanes. */
  p: number;
  /** 16 random bytes, unpadded base64url. */
  salt: string;
  /** Passes. */
  t: number;
  v: 1;
}

/** The defaults are the floor: a client never derives with less. */
export const KDF_FLOOR = Object.freeze({ m: 65536, t: 3, p: 1 });
export const KDF_DEFAULTS = KDF_FLOOR;
/**
 * Ceilings, so a server cannot make the page allocate gigabytes or spin for
 * minutes. 1 GiB is also well inside what WebAssembly memory can hold.
 */
export const KDF_CEILING = Object.freeze({ m: 1048576, t: 16, p: 4 });
export const SALT_LENGTH = 16;
export const ROOT_LENGTH = 32;
export const KEK_INFO = 'wathiqa/v1/kek';

const KDF_KEYS = ['alg', 'm', 'p', 'salt', 't', 'v'];

// canonicalize is CommonJS whose typings declare an ES default export; under
// NodeNext TypeScript then types the default import as the module object, while
// Node, jest and esbuild all hand over the function itself. Accept both.
type Canonicalize = (input: unknown) => string | undefined;
const canonicalizeImport = canonicalizeModule as unknown as Canonicalize | { default: Canonicalize };
const canonicalize: Canonicalize =
  typeof canonicalizeImport === 'function' ? canonicalizeImport : canonicalizeImport.default;

/** What the injected Argon2id function receives (hash-wasm's option names). */
export interface Argon2idInput {
  password: Uint8Array;
  salt: Uint8Array;
  memorySize: number;
  iterations: number;
  parallelism: number;
  hashLength: number;
}

/**
 * Injectable so tests can spy on it (the floor must refuse before it is called)
 * and benchmarks can swap implementations.
 */
export type Argon2idFunction = (input: Argon2idInput) => Promise<Uint8Array>;

/** hash-wasm's Argon2id (WebAssembly): about 4x faster in browsers than pure JS. */
export const hashWasmArgon2id: Argon2idFunction = (input) => argon2id({ ...input, outputType: 'binary' });

function integerIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/**
 * Checks KDF parameters from an untrusted source against the policy and returns
 * them as a fresh object. Throws KdfPolicyError, never derives.
 */
export function checkKdfParams(value: unknown): KdfParams {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KdfPolicyError('KDF parameters must be an object');
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  if (keys.length !== KDF_KEYS.length || keys.some((k, i) => k !== KDF_KEYS[i])) {
    throw new KdfPolicyError('KDF parameters must have exactly alg, m, p, salt, t, v');
  }
  const { alg, m, p, salt, t, v } = record;
  if (alg !== 'argon2id') throw new KdfPolicyError('KDF algorithm must be argon2id');
  if (v !== 1) throw new KdfPolicyError('KDF parameters version must be 1');
  if (!integerIn(m, KDF_FLOOR.m, KDF_CEILING.m)) {
    throw new KdfPolicyError(`KDF memory must be an integer from ${KDF_FLOOR.m} to ${KDF_CEILING.m} KiB`);
  }
  if (!integerIn(t, KDF_FLOOR.t, KDF_CEILING.t)) {
    throw new KdfPolicyError(`KDF passes must be an integer from ${KDF_FLOOR.t} to ${KDF_CEILING.t}`);
  }
  if (!integerIn(p, 1, KDF_CEILING.p)) throw new KdfPolicyError(`KDF lanes must be an integer from 1 to ${KDF_CEILING.p}`);
  if (typeof salt !== 'string' || base64urlDecodedLength(salt) !== SALT_LENGTH) {
    throw new KdfPolicyError(`KDF salt must be ${SALT_LENGTH} bytes in unpadded base64url`);
  }
  return { alg, m: m as number, p: p as number, salt, t: t as number, v };
}

/** Fresh parameters with a random salt; cost defaults to the floor. */
export function newKdfParams(cost: { m?: number; t?: number; p?: number } = {}): KdfParams {
  return checkKdfParams({
    alg: 'argon2id',
    m: cost.m ?? KDF_DEFAULTS.m,
    p: cost.p ?? KDF_DEFAULTS.p,
    salt: base64urlEncode(randomBytes(SALT_LENGTH)),
    t: cost.t ?? KDF_DEFAULTS.t,
    v: 1,
  });
}

/** RFC 8785 (JCS) text of the parameters, as bound into the MK wrap's AD. */
export function canonicalKdfParams(params: KdfParams): string {
  const { alg, m, p, salt, t, v } = params;
  return canonicalJson({ alg, m, p, salt, t, v });
}

/** RFC 8785 (JCS) canonical JSON. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON form');
  return text;
}

/** NFKC, then UTF-8: Arabic keyboards emit presentation forms, other keyboards compatibility characters. */
export function passphraseBytes(passphrase: string): Bytes {
  return utf8Encode(passphrase.normalize('NFKC'));
}

/** HKDF-SHA256 with an empty salt and a text info string, 32 bytes out. */
export function hkdfSha256(ikm: Uint8Array, info: string): Bytes {
  return hkdf(sha256, ikm, new Uint8Array(0), utf8Encode(info), 32);
}

/** Argon2id root from a passphrase. The parameters are checked first, then derived. */
export async function deriveRoot(
  passphrase: string,
  params: unknown,
  argon2: Argon2idFunction = hashWasmArgon2id,
): Promise<Bytes> {
  const checked = checkKdfParams(params);
  const root = await argon2({
    password: passphraseBytes(passphrase),
    salt: base64urlDecode(checked.salt),
    memorySize: checked.m,
    iterations: checked.t,
    parallelism: checked.p,
    hashLength: ROOT_LENGTH,
  });
  if (!(root instanceof Uint8Array) || root.length !== ROOT_LENGTH) throw new TypeError('Argon2id returned a wrong length');
  return new Uint8Array(root); // our own copy, whatever buffer the implementation used
}

export function deriveKek(root: Uint8Array): Bytes {
  return hkdfSha256(root, KEK_INFO);
}

/** passphrase → KEK in one call (policy check first). */
export async function deriveKekFromPassphrase(
  passphrase: string,
  params: unknown,
  argon2: Argon2idFunction = hashWasmArgon2id,
): Promise<Bytes> {
  return deriveKek(await deriveRoot(passphrase, params, argon2));
}
