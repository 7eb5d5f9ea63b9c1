/**
 * The vault state record on the page (DESIGN 5.8), shared by the vault page and
 * the passport consent page: check what the server served against the record
 * under MK, say what is wrong in words, and sign the record each write produces.
 */
import {
  checkVaultState,
  holderKeyIds,
  nextStateRecord,
  signState,
  type SignedState,
  type StateChange,
  type StateCheck,
  type StateProblem,
} from '../../protocol/index.js';
import type { VaultRecord } from './api.js';
import { holderKeysOpen, servedHolderKeys } from './holder-keys.js';
import type { Vars } from './i18n.js';
import { rememberStateRecord, sawStateRecord, type VersionStore } from './rollback.js';

/** The served vault does not match its state record: it is not opened (or written to). */
export class VaultStateError extends Error {
  constructor(readonly problem: StateProblem) {
    super(`vault state: ${problem.kind}`);
    this.name = 'VaultStateError';
  }
}

/**
 * Checks a served vault under MK; remembers that this browser saw a record.
 * Holder keys: their kids must be the recorded ones, and each must open under MK.
 */
export function checkServedVault(mk: Uint8Array, vault: VaultRecord, store: VersionStore | undefined): StateCheck {
  const holderKeys = servedHolderKeys(vault);
  const stored = typeof vault.state === 'string' || typeof vault.state_mac === 'string' ? { state: vault.state, state_mac: vault.state_mac } : null;
  const check = checkVaultState(
    mk,
    {
      vaultId: vault.vault_id,
      vaultVersion: vault.version,
      keys: { kdf: vault.kdf, wrappedMk: vault.wrapped_mk, recoveryWrappedMk: vault.recovery_wrapped_mk },
      elements: vault.elements.map((e) => ({ id: e.id, version: e.version, files: e.files.map((f) => f.id) })),
      // Malformed keys are served as an id that is no key id: the protocol refuses the vault.
      holderKeys: holderKeys ? holderKeyIds(holderKeys) : [''],
      stored,
    },
    sawStateRecord(store, vault.vault_id),
  );
  if (check.verified) rememberStateRecord(store, vault.vault_id);
  if (!check.refused && holderKeys && !holderKeysOpen(mk, vault.vault_id, holderKeys)) {
    const problem = { kind: 'holder_keys' as const };
    return { ...check, problems: [problem], refused: problem, refusedElements: new Set() };
  }
  return check;
}

/**
 * The record for the write that makes `change`, from a checked vault. A key
 * change without a new recovery wrap keeps the served one (the check matched it).
 */
export function signChange(mk: Uint8Array, vault: VaultRecord, check: StateCheck, change: StateChange): SignedState {
  if (check.refused) throw new VaultStateError(check.refused);
  return signState(mk, nextStateRecord(check.record, change));
}

type T = (key: string, vars?: Vars) => string;

/** Why the whole vault was refused. */
export function refusalText(t: T, problem: StateProblem): string {
  return t(`vault.state.refused.${problem.kind}`);
}

/** What is wrong with single elements, or undefined when nothing is. */
export function elementProblemsText(t: T, check: StateCheck): string | undefined {
  if (check.problems.length === 0 || check.refused) return undefined;
  const kinds = ['rolled_back', 'changed', 'dropped', 'resurrected', 'files'] as const;
  const parts = kinds
    .map((kind) => ({ kind, count: check.problems.filter((p) => p.kind === kind).length }))
    .filter(({ count }) => count > 0)
    .map(({ kind, count }) => t(`vault.state.${kind}`, { count }));
  return `${t('vault.state.elements')} ${parts.join(t('vault.state.separator'))}. ${t('vault.state.contact')}`;
}
