/**
 * The RP's private decryption keys. A release names its key with `kid`; the
 * key's type fixes the one algorithm it may be used with, so a header cannot
 * talk the SDK into another algorithm (no algorithm confusion).
 */
import { importJWK, type CryptoKey, type JWK, type KeyObject } from 'jose';

/** The algorithms a release may be encrypted with (DESIGN 5.4). RSA1_5 and `dir` never. */
export const RELEASE_ALGS = ['ECDH-ES+A256KW', 'RSA-OAEP-256'] as const;
export type ReleaseAlg = (typeof RELEASE_ALGS)[number];
/** The one content encryption of releases. */
export const RELEASE_ENC = 'A256GCM';
/** The `cty` header of every release. */
export const RELEASE_CTY = 'wathiqa-release+json';

/** A private key: WebCrypto CryptoKey, Node KeyObject, or a private JWK (with `d`). */
export type PrivateKeyInput = CryptoKey | KeyObject | JWK;

/** A key with the id the RP registered it under (needed for CryptoKey and KeyObject, which carry none). */
export interface KeyEntry {
  key: PrivateKeyInput;
  kid?: string;
}

/** One usable key of a keyring. */
export interface ReleaseKey {
  /** Undefined: the key answers to any `kid` (a single key given without one). */
  readonly kid: string | undefined;
  readonly alg: ReleaseAlg;
  readonly key: CryptoKey | KeyObject;
}

const KEYRING = Symbol('wathiqa.rp.keyring');

/** Keys checked and imported once (loadReleaseKeys); pass it to openRelease on every call. */
export interface ReleaseKeyring {
  readonly [KEYRING]: true;
  readonly keys: readonly ReleaseKey[];
}

/**
 * What `openRelease` accepts as `keys`: a keyring, one private key, a JWK Set of
 * private JWKs (keys with a `use` other than "enc" are skipped), or a list of
 * keys and `{ key, kid }` entries.
 */
export type ReleaseKeysInput = ReleaseKeyring | PrivateKeyInput | { keys: JWK[] } | readonly (PrivateKeyInput | KeyEntry)[];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function isReleaseKeyring(value: unknown): value is ReleaseKeyring {
  return isObject(value) && (value as Partial<ReleaseKeyring>)[KEYRING] === true;
}

// Duck typing, not instanceof: keys may come from another realm (workers, vm contexts, test sandboxes).
function isCryptoKeyLike(value: Record<string, unknown>): boolean {
  return isObject(value.algorithm) && typeof value.type === 'string' && Array.isArray(value.usages);
}

function isKeyObjectLike(value: Record<string, unknown>): boolean {
  return typeof value.type === 'string' && 'asymmetricKeyType' in value && typeof value.export === 'function';
}

function algOfCryptoKey(key: CryptoKey): ReleaseAlg {
  if (key.type !== 'private') throw new TypeError('release keys must be private keys');
  const algorithm = key.algorithm as { name: string; namedCurve?: string; hash?: { name?: string }; modulusLength?: number };
  if (algorithm.name === 'ECDH' && algorithm.namedCurve === 'P-256') return 'ECDH-ES+A256KW';
  if (algorithm.name === 'RSA-OAEP' && algorithm.hash?.name === 'SHA-256') {
    if ((algorithm.modulusLength ?? 0) < 2048) throw new TypeError('RSA release keys must have at least 2048 bits');
    return 'RSA-OAEP-256';
  }
  throw new TypeError('a CryptoKey for releases must be ECDH P-256 or RSA-OAEP with SHA-256');
}

function algOfKeyObject(key: KeyObject): ReleaseAlg {
  const k = key as KeyObject & {
    asymmetricKeyType?: string;
    asymmetricKeyDetails?: { namedCurve?: string; modulusLength?: number };
  };
  if (k.type !== 'private') throw new TypeError('release keys must be private keys');
  if (k.asymmetricKeyType === 'ec' && k.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ECDH-ES+A256KW';
  if (k.asymmetricKeyType === 'rsa') {
    if ((k.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new TypeError('RSA release keys must have at least 2048 bits');
    return 'RSA-OAEP-256';
  }
  throw new TypeError('a KeyObject for releases must be EC P-256 or RSA');
}

function algOfJwk(jwk: JWK): ReleaseAlg {
  if (typeof jwk.d !== 'string') throw new TypeError('a release JWK must be a private key (with "d")');
  let alg: ReleaseAlg;
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') alg = 'ECDH-ES+A256KW';
  else if (jwk.kty === 'RSA') {
    if (typeof jwk.n !== 'string' || jwk.n.length < 342) throw new TypeError('RSA release keys must have at least 2048 bits');
    alg = 'RSA-OAEP-256';
  } else throw new TypeError('a release JWK must be EC P-256 or RSA');
  if (jwk.alg !== undefined && jwk.alg !== alg) throw new TypeError(`a ${jwk.kty} release JWK must have "alg": "${alg}" or none`);
  return alg;
}

async function loadOne(input: PrivateKeyInput, kid: string | undefined): Promise<ReleaseKey> {
  if (!isObject(input)) throw new TypeError('a release key must be a CryptoKey, a KeyObject or a private JWK');
  const record = input as unknown as Record<string, unknown>;
  if (isCryptoKeyLike(record)) return { kid, alg: algOfCryptoKey(input as CryptoKey), key: input as CryptoKey };
  if (isKeyObjectLike(record)) return { kid, alg: algOfKeyObject(input as KeyObject), key: input as KeyObject };
  if (typeof record.kty === 'string') {
    const jwk = input as JWK;
    if (jwk.use !== undefined && jwk.use !== 'enc') throw new TypeError('a release JWK must have "use": "enc" or none');
    const alg = algOfJwk(jwk);
    if (kid !== undefined && jwk.kid !== undefined && kid !== jwk.kid) throw new TypeError('a key entry and its JWK name different kids');
    const key = (await importJWK({ ...jwk, alg }, alg)) as CryptoKey;
    return { kid: kid ?? jwk.kid, alg, key };
  }
  throw new TypeError('a release key must be a CryptoKey, a KeyObject or a private JWK');
}

/**
 * Checks and imports the RP's private keys once (call at start-up; openRelease
 * also accepts the raw forms and loads them on every call). Throws TypeError
 * for a public key, a key of another type, an `alg` that does not fit the key,
 * or an empty set.
 */
export async function loadReleaseKeys(input: ReleaseKeysInput): Promise<ReleaseKeyring> {
  if (isReleaseKeyring(input)) return input;
  const keys: ReleaseKey[] = [];
  if (Array.isArray(input)) {
    for (const item of input as readonly (PrivateKeyInput | KeyEntry)[]) {
      if (isObject(item) && 'key' in item && isObject((item as KeyEntry).key) && !('kty' in item)) {
        const entry = item as KeyEntry;
        if (entry.kid !== undefined && typeof entry.kid !== 'string') throw new TypeError('kid must be a string');
        keys.push(await loadOne(entry.key, entry.kid));
      } else {
        keys.push(await loadOne(item as PrivateKeyInput, undefined));
      }
    }
  } else if (isObject(input) && Array.isArray((input as { keys?: unknown }).keys)) {
    // A JWK Set: skip keys for other uses (signing keys often sit beside the encryption key).
    for (const jwk of (input as { keys: JWK[] }).keys) {
      if (!isObject(jwk)) throw new TypeError('a JWK Set holds JWK objects');
      if (jwk.use !== undefined && jwk.use !== 'enc') continue;
      keys.push(await loadOne(jwk, undefined));
    }
  } else {
    keys.push(await loadOne(input as PrivateKeyInput, undefined));
  }
  if (keys.length === 0) throw new TypeError('no release decryption key given');
  if (keys.length > 1 && keys.some((k) => k.kid === undefined)) {
    throw new TypeError('with several release keys, every key needs a kid');
  }
  return Object.freeze({ [KEYRING]: true as const, keys: Object.freeze(keys) });
}

/**
 * The keys a release may be decrypted with: those named by its `kid` (or a
 * single key without a kid) whose type fits the header's `alg`. `named` tells
 * whether any key carries that kid, to tell "no such key" from "alg does not fit".
 */
export function keysFor(keyring: ReleaseKeyring, kid: string, alg: string): { named: boolean; usable: ReleaseKey[] } {
  const named = keyring.keys.filter((k) => k.kid === undefined || k.kid === kid);
  return { named: named.length > 0, usable: named.filter((k) => k.alg === alg) };
}
