/**
 * The vault state record and MAC (DESIGN 5.8): its exact encoding, and a
 * malicious server that serves an element rolled back with its old version,
 * an older wrapped MK or KDF parameters, drops or resurrects an element, swaps
 * scans, or forges, strips or replays the record.
 */
import { describe, expect, it } from '@jest/globals';
import {
  base64urlEncode,
  checkVaultState,
  decodeStateRecord,
  encodeStateRecord,
  nextStateRecord,
  ProtocolInputError,
  randomBytes,
  signState,
  stateMac,
  stateRecord,
  verifyStateMac,
  type ServedState,
  type StateKeys,
} from '../../../src/protocol/index.js';

const VAULT = '6b0f3c2e-8a47-4d19-b5e2-7c91f0a3d846';
const OTHER_VAULT = '1d9e7a52-3c08-4f6b-a2d4-58e0c7b91f3a';
const A = 'c3a1f7e2-9b4d-4a68-8f25-1e6d0b7c9a34';
const B = 'f28b6d0e-4c71-4e9a-b3f5-a07d2c85e169';
const C = '0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d';
const F1 = '7e5a9c14-2b83-4d6f-9a01-c4e8f2b3d570';
const F2 = '93c4e1b7-0d5a-4f82-8e6c-2b7f1a9d4e03';

const mk = randomBytes(32);
const wrap = () => base64urlEncode(randomBytes(72));
const kdf = (salt = base64urlEncode(randomBytes(16))) => ({ alg: 'argon2id', m: 65536, p: 1, salt, t: 3, v: 1 });
const keys: StateKeys = { kdf: kdf(), wrappedMk: wrap(), recoveryWrappedMk: wrap() };

/** A vault at version 5 with A (v2, scans F2 and F1) and B (v1), and its stored record. */
function honest(): ServedState {
  const elements = [
    { id: A, version: 2, files: [F2, F1] },
    { id: B, version: 1, files: [] },
  ];
  const record = stateRecord({ vaultId: VAULT, vaultVersion: 5, keys, elements });
  return { vaultId: VAULT, vaultVersion: 5, keys, elements, stored: signState(mk, record) };
}

describe('the state record', () => {
  it('is canonical JSON with sorted elements and files, and round-trips', () => {
    const { stored } = honest();
    const text = stored!.state as string;
    expect(text.startsWith(`{"elements":[{"files":["${F1}","${F2}"],"id":"${A}","version":2},{"files":[],"id":"${B}","version":1}],"holder_keys":[],"keys":"`)).toBe(true);
    expect(text.endsWith(`","v":1,"vault_id":"${VAULT}","vault_version":5}`)).toBe(true);
    const record = decodeStateRecord(text)!;
    expect(record.elements.map((e) => e.id)).toEqual([A, B].sort());
    expect(record.elements.find((e) => e.id === A)!.files).toEqual([F1, F2].sort());
    expect(record.holder_keys).toEqual([]);
    expect(Object.keys(JSON.parse(text))).toEqual(['elements', 'holder_keys', 'keys', 'v', 'vault_id', 'vault_version']);
    expect(encodeStateRecord(record)).toBe(text);
  });

  it('decodes only the canonical text of a well-formed record', () => {
    const text = honest().stored!.state as string;
    const value = JSON.parse(text);
    expect(decodeStateRecord(JSON.stringify(value, null, 1))).toBeUndefined(); // not canonical
    for (const broken of [
      { ...value, v: 2 },
      { ...value, extra: 1 },
      { ...value, vault_version: 0 },
      { ...value, vault_id: VAULT.toUpperCase() },
      { ...value, keys: 'short' },
      { ...value, elements: [{ id: A, version: 1, files: [], type: 'passport' }] },
      { ...value, elements: [{ id: A, version: 1, files: [] }, { id: A, version: 2, files: [] }] },
    ]) {
      expect(decodeStateRecord(JSON.stringify(broken))).toBeUndefined();
    }
    expect(decodeStateRecord(42)).toBeUndefined();
    expect(decodeStateRecord('{')).toBeUndefined();
  });

  it('refuses bad input when built', () => {
    expect(() => stateRecord({ vaultId: 'x', vaultVersion: 1, keys, elements: [] })).toThrow(ProtocolInputError);
    expect(() => stateRecord({ vaultId: VAULT, vaultVersion: 0, keys, elements: [] })).toThrow(ProtocolInputError);
    expect(() => stateRecord({ vaultId: VAULT, vaultVersion: 1, keys, elements: [{ id: A, version: 1, files: ['nope'] }] })).toThrow(ProtocolInputError);
  });

  it('has a MAC under MK only, over the exact bytes', () => {
    const text = honest().stored!.state as string;
    const mac = stateMac(mk, text);
    expect(mac).toHaveLength(43);
    expect(verifyStateMac(mk, text, mac)).toBe(true);
    expect(verifyStateMac(randomBytes(32), text, mac)).toBe(false);
    expect(verifyStateMac(mk, text.replace('"v":1', '"v":1 '), mac)).toBe(false);
    expect(verifyStateMac(mk, text, mac.slice(0, 42))).toBe(false);
    expect(verifyStateMac(mk, text, 42)).toBe(false);
  });

  it('advances with each write: put, delete, keys, none', () => {
    const base = decodeStateRecord(honest().stored!.state)!;
    const put = nextStateRecord(base, { kind: 'put', id: C, version: 1, files: [F2] });
    expect(put.vault_version).toBe(6);
    expect(put.elements.find((e) => e.id === C)).toEqual({ id: C, version: 1, files: [F2] });
    const replaced = nextStateRecord(put, { kind: 'put', id: A, version: 3, files: [] });
    expect(replaced.elements.find((e) => e.id === A)).toEqual({ id: A, version: 3, files: [] });
    expect(replaced.elements).toHaveLength(3);
    const deleted = nextStateRecord(replaced, { kind: 'delete', id: B });
    expect(deleted.elements.map((e) => e.id)).not.toContain(B);
    const rekeyed = nextStateRecord(deleted, { kind: 'keys', keys: { ...keys, wrappedMk: wrap() } });
    expect(rekeyed.keys).not.toBe(deleted.keys);
    expect(nextStateRecord(rekeyed, { kind: 'none' })).toEqual({ ...rekeyed, vault_version: 10 });
  });
});

describe('checking what a server served against the record', () => {
  const check = (alter: (s: ServedState) => void, sawRecord = true) => {
    const served = honest();
    alter(served);
    return checkVaultState(mk, served, sawRecord);
  };
  const element = (s: ServedState, id: string) => s.elements.find((e) => e.id === id)!;

  it('accepts the honest vault', () => {
    expect(check(() => {})).toMatchObject({ verified: true, problems: [], refused: undefined });
  });

  it('refuses an element rolled back with its old version', () => {
    const result = check((s) => void (element(s, A).version = 1));
    expect(result.problems).toEqual([{ kind: 'rolled_back', id: A }]);
    expect([...result.refusedElements]).toEqual([A]);
    expect(result.refused).toBeUndefined();
  });

  it('refuses an element newer than recorded', () => {
    expect(check((s) => void (element(s, B).version = 2)).problems).toEqual([{ kind: 'changed', id: B }]);
  });

  it('reports a dropped element', () => {
    const result = check((s) => void (s.elements = s.elements.filter((e) => e.id !== B)));
    expect(result.problems).toEqual([{ kind: 'dropped', id: B }]);
    expect(result.refusedElements.size).toBe(0);
  });

  it('refuses a resurrected element (deleted, or never recorded)', () => {
    const result = check((s) => void (s.elements = [...s.elements, { id: C, version: 4, files: [] }]));
    expect(result.problems).toEqual([{ kind: 'resurrected', id: C }]);
    expect([...result.refusedElements]).toEqual([C]);
  });

  it('refuses swapped, added or removed scans', () => {
    expect(check((s) => void (element(s, A).files = [F1])).problems).toEqual([{ kind: 'files', id: A }]);
    expect(check((s) => void (element(s, B).files = [F1])).problems).toEqual([{ kind: 'files', id: B }]);
    expect(check((s) => void (element(s, A).files = [F1, C])).problems).toEqual([{ kind: 'files', id: A }]);
    // Order does not matter.
    expect(check((s) => void (element(s, A).files = [F1, F2])).problems).toEqual([]);
  });

  it('refuses the whole vault for an older wrapped MK, KDF parameters or recovery wrap', () => {
    for (const alter of [
      (s: ServedState) => void (s.keys = { ...s.keys, wrappedMk: wrap() }),
      (s: ServedState) => void (s.keys = { ...s.keys, kdf: kdf() }),
      (s: ServedState) => void (s.keys = { ...s.keys, recoveryWrappedMk: wrap() }),
    ]) {
      expect(check(alter)).toMatchObject({ refused: { kind: 'keys' } });
    }
  });

  it('refuses a forged, altered or foreign record, and a record of another version', () => {
    const other = signState(randomBytes(32), decodeStateRecord(honest().stored!.state)!);
    expect(check((s) => void (s.stored = other)).refused).toEqual({ kind: 'forged' });
    expect(check((s) => void (s.stored = { ...s.stored!, state_mac: other.state_mac })).refused).toEqual({ kind: 'forged' });
    expect(check((s) => void (s.stored = { state: 'garbage', state_mac: s.stored!.state_mac })).refused).toEqual({ kind: 'forged' });
    // A dropped element with the record edited to match, without the key.
    expect(
      check((s) => {
        s.elements = s.elements.filter((e) => e.id !== B);
        s.stored = { state: (s.stored!.state as string).replace(/,\{"files":\[\],"id":"f28b6d0e[^}]*\}/, ''), state_mac: s.stored!.state_mac };
      }).refused,
    ).toEqual({ kind: 'forged' });
    expect(check((s) => void (s.vaultId = OTHER_VAULT)).refused).toEqual({ kind: 'forged' });
    // An older record replayed (with its elements), under today's version number.
    expect(check((s) => void (s.vaultVersion = 6)).refused).toEqual({ kind: 'version' });
  });

  it('refuses a stripped record on a device that saw one; trusts on first use otherwise', () => {
    expect(check((s) => void (s.stored = null)).refused).toEqual({ kind: 'missing' });
    const first = check((s) => void (s.stored = null), false);
    expect(first).toMatchObject({ verified: false, problems: [], refused: undefined });
    expect(first.record.vault_version).toBe(5);
    expect(first.record.elements).toHaveLength(2);
  });
});
