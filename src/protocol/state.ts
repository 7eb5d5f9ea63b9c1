/**
 * The vault state record and its MAC (DESIGN 5.8): what the page last wrote,
 * authenticated under a key only MK holders have, so a server that serves an
 * older element, an older wrapped MK, or drops or resurrects an element is caught.
 *
 *   SK     = HKDF-SHA256(ikm = MK, salt = empty, info = "wathiqa/v1/state", 32 bytes)
 *   keys   = base64url(SHA-256(UTF-8(canonical({"kdf", "recovery_wrapped_mk", "wrapped_mk"}))))
 *   record = canonical({"elements": [{"files": [file ids, sorted], "id", "version"}, … sorted by id],
 *                       "holder_keys": [holder key ids (RFC 7638 thumbprints), sorted], "keys", "v": 1,
 *                       "vault_id", "vault_version"})
 *   mac    = base64url(HMAC-SHA256(SK, UTF-8(record)))
 *
 * `vault_version` is the version the vault has once the write that carries the
 * record is stored: every write that changes the state carries the record for
 * the version it produces.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64urlDecode, base64urlEncode, base64urlLength, constantTimeEqual, utf8Encode, type Bytes } from './encoding.js';
import { ProtocolInputError } from './errors.js';
import { isUuid } from './ids.js';
import { canonicalJson, hkdfSha256 } from './kdf.js';

export const STATE_INFO = 'wathiqa/v1/state';
/** Length of a MAC (32 bytes) and of the keys digest in their text form. */
export const STATE_MAC_TEXT_LENGTH = base64urlLength(32);
/** Generous bounds, so a server cannot make the page parse megabytes. */
export const MAX_STATE_RECORD_LENGTH = 256 * 1024;

export interface StateElement {
  id: string;
  version: number;
  files: string[];
}

export interface StateRecord {
  v: 1;
  vault_id: string;
  vault_version: number;
  keys: string;
  elements: StateElement[];
  holder_keys: string[];
}

/** The key material whose digest the record holds. */
export interface StateKeys {
  kdf: unknown;
  wrappedMk: string;
  recoveryWrappedMk: string;
}

export interface StateInput {
  vaultId: string;
  vaultVersion: number;
  keys: StateKeys | string;
  elements: readonly { id: string; version: number; files: readonly string[] }[];
  holderKeys?: readonly string[];
}

/** The key that MACs the record: separate from every other use of MK. */
export function deriveStateKey(mk: Uint8Array): Bytes {
  return hkdfSha256(mk, STATE_INFO);
}

/** Digest of the KDF parameters and both MK wraps. */
export function stateKeysDigest(keys: StateKeys): string {
  const text = canonicalJson({ kdf: keys.kdf, recovery_wrapped_mk: keys.recoveryWrappedMk, wrapped_mk: keys.wrappedMk });
  return base64urlEncode(sha256(utf8Encode(text)));
}

const sortedUnique = (values: readonly string[]) => [...new Set(values)].sort();
/** A holder key id is a SHA-256 thumbprint: 32 bytes, 43 base64url characters. */
const isKeyId = (v: unknown): v is string => typeof v === 'string' && /^[A-Za-z0-9_-]{43}$/.test(v);
const isVersion = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;

/** The record as an object, normalized (sorted, files unique); checks ids and versions. */
export function stateRecord(input: StateInput): StateRecord {
  if (!isUuid(input.vaultId)) throw new ProtocolInputError('vault id must be a lower-case UUID');
  if (!isVersion(input.vaultVersion)) throw new ProtocolInputError('vault version must be a positive integer');
  const keys = typeof input.keys === 'string' ? input.keys : stateKeysDigest(input.keys);
  const seen = new Set<string>();
  const elements = input.elements.map((e) => {
    if (!isUuid(e.id) || seen.has(e.id)) throw new ProtocolInputError('element ids must be distinct lower-case UUIDs');
    seen.add(e.id);
    if (!isVersion(e.version)) throw new ProtocolInputError('element version must be a positive integer');
    if (!e.files.every(isUuid)) throw new ProtocolInputError('file ids must be lower-case UUIDs');
    return { id: e.id, version: e.version, files: sortedUnique(e.files) };
  });
  elements.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (!(input.holderKeys ?? []).every(isKeyId)) throw new ProtocolInputError('holder key ids must be key thumbprints');
  return { v: 1, vault_id: input.vaultId, vault_version: input.vaultVersion, keys, elements, holder_keys: sortedUnique(input.holderKeys ?? []) };
}

/** RFC 8785 text of the record: the exact bytes the MAC covers and the server stores. */
export function encodeStateRecord(record: StateRecord): string {
  return canonicalJson(stateRecord({ vaultId: record.vault_id, vaultVersion: record.vault_version, keys: record.keys, elements: record.elements, holderKeys: record.holder_keys }));
}

/**
 * Parses a stored record from an untrusted source. It must be exactly the
 * canonical text of a well-formed record; anything else is undefined.
 */
export function decodeStateRecord(text: unknown): StateRecord | undefined {
  if (typeof text !== 'string' || text.length > MAX_STATE_RECORD_LENGTH) return undefined;
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const keys = Object.keys(value).sort().join();
    if (keys !== 'elements,holder_keys,keys,v,vault_id,vault_version' || value.v !== 1) return undefined;
    if (typeof value.keys !== 'string' || value.keys.length !== STATE_MAC_TEXT_LENGTH) return undefined;
    if (!Array.isArray(value.elements) || !Array.isArray(value.holder_keys) || !value.holder_keys.every((k) => typeof k === 'string')) return undefined;
    const elements = (value.elements as Record<string, unknown>[]).map((e) => {
      if (typeof e !== 'object' || e === null || Object.keys(e).sort().join() !== 'files,id,version' || !Array.isArray(e.files)) throw new TypeError();
      return { id: e.id as string, version: e.version as number, files: e.files as string[] };
    });
    const record = stateRecord({
      vaultId: value.vault_id as string,
      vaultVersion: value.vault_version as number,
      keys: value.keys,
      elements,
      holderKeys: value.holder_keys as string[],
    });
    return canonicalJson(record) === text ? record : undefined;
  } catch {
    return undefined;
  }
}

export function stateMac(mk: Uint8Array, recordText: string): string {
  const sk = deriveStateKey(mk);
  try {
    return base64urlEncode(hmac(sha256, sk, utf8Encode(recordText)));
  } finally {
    sk.fill(0);
  }
}

/** A record and its MAC, as the write requests carry them. */
export interface SignedState {
  state: string;
  state_mac: string;
}

export function signState(mk: Uint8Array, record: StateRecord): SignedState {
  const state = encodeStateRecord(record);
  return { state, state_mac: stateMac(mk, state) };
}

export function verifyStateMac(mk: Uint8Array, recordText: string, mac: unknown): boolean {
  if (typeof mac !== 'string' || mac.length !== STATE_MAC_TEXT_LENGTH) return false;
  let given: Uint8Array;
  try {
    given = base64urlDecode(mac);
  } catch {
    return false;
  }
  return constantTimeEqual(base64urlDecode(stateMac(mk, recordText)), given);
}

/**
 * What differs between the recorded state and the one served:
 * - whole-vault problems (the vault must not be opened): `missing` (no record where
 *   this device saw one), `forged` (bad MAC, malformed, another vault's),
 *   `version` (the record is not for the served vault version), `keys` (the
 *   KDF parameters or a wrapped MK differ: an older passphrase or recovery wrap),
 *   `holder_keys` (the served holder keys are not the recorded ones: swapped,
 *   added or dropped, DESIGN 5.5);
 * - element problems (that element must not be shown or released): `rolled_back`
 *   (older than recorded), `changed` (newer than recorded), `dropped` (recorded,
 *   not served), `resurrected` (served, not recorded), `files` (other scans).
 */
export type StateProblem =
  | { kind: 'missing' | 'forged' | 'version' | 'keys' | 'holder_keys' }
  | { kind: 'rolled_back' | 'changed' | 'dropped' | 'resurrected' | 'files'; id: string };

export const WHOLE_VAULT_PROBLEMS: readonly StateProblem['kind'][] = ['missing', 'forged', 'version', 'keys', 'holder_keys'];

export interface ServedState {
  vaultId: string;
  vaultVersion: number;
  keys: StateKeys;
  elements: readonly { id: string; version: number; files: readonly string[] }[];
  /** Ids (kid) of the served holder keys' public JWKs; none for a vault without holder keys. */
  holderKeys?: readonly string[];
  /** The stored record and MAC, or null for a vault that has none yet. */
  stored: { state: unknown; state_mac: unknown } | null;
}

export interface StateCheck {
  /** The record writes build on: the verified one, or (no record yet) one computed from what was served. */
  record: StateRecord;
  /** True when the vault had a valid record (false: nothing to compare, trust on first use). */
  verified: boolean;
  problems: StateProblem[];
  /** A problem that refuses the whole vault, if any. */
  refused: StateProblem | undefined;
  /** Ids of served elements that must not be shown. */
  refusedElements: Set<string>;
}

/** Served elements' file lists, as the record holds them. */
function servedRecord(served: ServedState): StateRecord {
  return stateRecord({ vaultId: served.vaultId, vaultVersion: served.vaultVersion, keys: served.keys, elements: served.elements, holderKeys: served.holderKeys ?? [] });
}

/**
 * Compares what the server served with its stored record, under MK.
 * `sawRecord`: this device saw a record for this vault before (a missing one is then refused).
 */
export function checkVaultState(mk: Uint8Array, served: ServedState, sawRecord: boolean): StateCheck {
  const servedKeysOk = (served.holderKeys ?? []).every(isKeyId);
  const computed = servedRecord(servedKeysOk ? served : { ...served, holderKeys: [] });
  const whole = (kind: 'missing' | 'forged' | 'version' | 'keys' | 'holder_keys'): StateCheck => {
    const problem = { kind };
    return { record: computed, verified: false, problems: [problem], refused: problem, refusedElements: new Set() };
  };
  if (!servedKeysOk) return whole('holder_keys');
  if (served.stored === null) {
    if (sawRecord) return whole('missing');
    return { record: computed, verified: false, problems: [], refused: undefined, refusedElements: new Set() };
  }
  const text = served.stored.state;
  const record = decodeStateRecord(text);
  if (!record || !verifyStateMac(mk, text as string, served.stored.state_mac) || record.vault_id !== served.vaultId) return whole('forged');
  if (record.vault_version !== served.vaultVersion) return whole('version');
  if (record.keys !== computed.keys) return whole('keys');
  // Any difference: a key the page did not make must never be used, and a dropped one must not be replaced quietly.
  if (record.holder_keys.join() !== computed.holder_keys.join()) return whole('holder_keys');

  const problems: StateProblem[] = [];
  const recorded = new Map(record.elements.map((e) => [e.id, e]));
  for (const e of computed.elements) {
    const r = recorded.get(e.id);
    if (!r) problems.push({ kind: 'resurrected', id: e.id });
    else if (e.version < r.version) problems.push({ kind: 'rolled_back', id: e.id });
    else if (e.version > r.version) problems.push({ kind: 'changed', id: e.id });
    else if (e.files.join() !== r.files.join()) problems.push({ kind: 'files', id: e.id });
  }
  const servedIds = new Set(computed.elements.map((e) => e.id));
  for (const r of record.elements) if (!servedIds.has(r.id)) problems.push({ kind: 'dropped', id: r.id });
  const refusedElements = new Set(problems.filter((p) => p.kind !== 'dropped').map((p) => (p as { id: string }).id));
  return { record, verified: true, problems, refused: undefined, refusedElements };
}

/** A change a write makes, applied to the record it builds on. */
export type StateChange =
  | { kind: 'put'; id: string; version: number; files: readonly string[] }
  | { kind: 'delete'; id: string }
  | { kind: 'keys'; keys: StateKeys }
  | { kind: 'holder_keys'; ids: readonly string[] }
  | { kind: 'none' };

/** The record after `change`, for the vault version the write produces (base version + 1). */
export function nextStateRecord(base: StateRecord, change: StateChange): StateRecord {
  let elements = base.elements.filter((e) => change.kind !== 'put' && change.kind !== 'delete' ? true : e.id !== change.id);
  if (change.kind === 'put') elements = [...elements, { id: change.id, version: change.version, files: [...change.files] }];
  return stateRecord({
    vaultId: base.vault_id,
    vaultVersion: base.vault_version + 1,
    keys: change.kind === 'keys' ? stateKeysDigest(change.keys) : base.keys,
    elements,
    holderKeys: change.kind === 'holder_keys' ? change.ids : base.holder_keys,
  });
}
