/**
 * Holder keys on the page (DESIGN 5.5): made here, sealed under MK before they
 * leave, and checked when served: the shape, the kids against the state record
 * (protocol checkVaultState), and that each sealed key opens under MK and is the
 * private half of the public key served next to it.
 */
import { HolderKeyShapes, openHolderKey, type StoredHolderKey } from '../../protocol/index.js';
import type { VaultRecord } from './api.js';

/** The served holder keys: [] for a vault without them, undefined when malformed. */
export function servedHolderKeys(vault: VaultRecord): StoredHolderKey[] | undefined {
  const keys = vault.holder_keys ?? [];
  if (Array.isArray(keys) && keys.length === 0) return [];
  const parsed = HolderKeyShapes.storedKeys.safeParse(keys);
  return parsed.success ? (parsed.data as StoredHolderKey[]) : undefined;
}

/** True when every served key opens under MK and matches its public JWK. */
export function holderKeysOpen(mk: Uint8Array, vaultId: string, keys: readonly StoredHolderKey[]): boolean {
  try {
    for (const key of keys) openHolderKey(mk, vaultId, key);
    return true;
  } catch {
    return false;
  }
}
