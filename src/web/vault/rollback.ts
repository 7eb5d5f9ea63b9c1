/**
 * Rollback detection (DESIGN 2): the highest vault version this browser has seen,
 * per vault id, in localStorage. A version is not a secret. A server that serves
 * a lower one has rolled the vault back (or dropped writes): the page warns.
 */

export interface VersionStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export const versionKey = (vaultId: string) => `wathiqa.vault.${vaultId}.version`;

export function seenVersion(store: VersionStore | undefined, vaultId: string): number {
  try {
    const value = Number(store?.getItem(versionKey(vaultId)));
    return Number.isSafeInteger(value) && value > 0 ? value : 0;
  } catch {
    return 0; // storage disabled: nothing to compare with
  }
}

export interface VersionCheck {
  rolledBack: boolean;
  /** The highest version seen before this one. */
  seen: number;
}

/** Compares a version the server served with the highest seen, and remembers it if higher. */
export function observeVersion(store: VersionStore | undefined, vaultId: string, version: number): VersionCheck {
  const seen = seenVersion(store, vaultId);
  if (version < seen) return { rolledBack: true, seen };
  if (version > seen) {
    try {
      store?.setItem(versionKey(vaultId), String(version));
    } catch {
      // storage full or disabled: the check is best effort
    }
  }
  return { rolledBack: false, seen };
}

/**
 * Whether this browser saw a state record (DESIGN 5.8) for the vault. Once it
 * has, a vault served without one is refused: a server must not be able to
 * strip the record and have the page trust whatever it serves next.
 */
export const stateKey = (vaultId: string) => `wathiqa.vault.${vaultId}.state`;

export function sawStateRecord(store: VersionStore | undefined, vaultId: string): boolean {
  try {
    return store?.getItem(stateKey(vaultId)) === '1';
  } catch {
    return false;
  }
}

export function rememberStateRecord(store: VersionStore | undefined, vaultId: string): void {
  try {
    store?.setItem(stateKey(vaultId), '1');
  } catch {
    // storage full or disabled: best effort, as for the version
  }
}
