/**
 * The vault's life cycle, as the browser runs it. High-level functions draw
 * every key, salt and nonce at random; the Argon2id implementation is
 * injectable (tests spy on it, benchmarks swap it).
 */
import { assertUuid } from './ids.js';
import { ProtocolInputError } from './errors.js';
import {
  checkKdfParams,
  deriveKekFromPassphrase,
  hashWasmArgon2id,
  newKdfParams,
  type Argon2idFunction,
  type KdfParams,
} from './kdf.js';
import { generateKey, unwrapMasterKey, wrapMasterKey } from './keys.js';
import {
  deriveRecoveryKey,
  generateRecoveryCode,
  parseRecoveryCode,
  unwrapMasterKeyForRecovery,
  wrapMasterKeyForRecovery,
} from './recovery.js';
import type { Bytes } from './encoding.js';

/** Argon2id cost for a new wrap; never below the floor (KdfPolicyError). */
export interface KdfCost {
  m?: number;
  t?: number;
  p?: number;
}

export interface CreatedVault {
  /** Stored by the server; returned to the client on unlock. */
  kdf: KdfParams;
  wrappedMk: string;
  recoveryWrappedMk: string;
  /** Shown to the holder once, never sent to the server. */
  recoveryCode: string;
  /** Kept in memory only. */
  mk: Bytes;
}

function checkPassphrase(passphrase: string): void {
  if (typeof passphrase !== 'string' || passphrase.normalize('NFKC').length === 0) {
    throw new ProtocolInputError('the passphrase is empty');
  }
}

/** A new vault: MK, its passphrase wrap and its recovery wrap. */
export async function createVault(options: {
  passphrase: string;
  vaultId: string;
  kdf?: KdfCost;
  argon2?: Argon2idFunction;
}): Promise<CreatedVault> {
  assertUuid(options.vaultId, 'vault id');
  checkPassphrase(options.passphrase);
  const mk = generateKey();
  const { kdf, wrappedMk } = await rewrapMasterKey(mk, options.passphrase, options.vaultId, options);
  const { recoveryCode, recoveryWrappedMk } = newRecoveryCode(mk, options.vaultId);
  return { kdf, wrappedMk, recoveryWrappedMk, recoveryCode, mk };
}

/**
 * Unlocks with the passphrase. The KDF parameters come from the server: they are
 * checked against the floor (KdfPolicyError) before Argon2id runs.
 */
export async function unlockVault(options: {
  passphrase: string;
  vaultId: string;
  kdf: unknown;
  wrappedMk: string;
  argon2?: Argon2idFunction;
}): Promise<Bytes> {
  const kdf = checkKdfParams(options.kdf);
  assertUuid(options.vaultId, 'vault id');
  const kek = await deriveKekFromPassphrase(options.passphrase, kdf, options.argon2 ?? hashWasmArgon2id);
  try {
    return unwrapMasterKey(kek, options.wrappedMk, options.vaultId, kdf);
  } finally {
    kek.fill(0);
  }
}

/** Unlocks with the recovery code. RecoveryCodeError on a typo (nothing derived), VaultIntegrityError on a wrong code. */
export function recoverVault(options: { recoveryCode: string; vaultId: string; recoveryWrappedMk: string }): Bytes {
  const codeBytes = parseRecoveryCode(options.recoveryCode);
  assertUuid(options.vaultId, 'vault id');
  const rk = deriveRecoveryKey(codeBytes);
  try {
    return unwrapMasterKeyForRecovery(rk, options.recoveryWrappedMk, options.vaultId);
  } finally {
    rk.fill(0);
    codeBytes.fill(0);
  }
}

/**
 * Wraps MK under a new passphrase with a fresh salt (a passphrase change, or
 * setting one after recovery). Elements and files are untouched.
 */
export async function rewrapMasterKey(
  mk: Uint8Array,
  newPassphrase: string,
  vaultId: string,
  options: { kdf?: KdfCost; argon2?: Argon2idFunction } = {},
): Promise<{ kdf: KdfParams; wrappedMk: string }> {
  assertUuid(vaultId, 'vault id');
  checkPassphrase(newPassphrase);
  const kdf = newKdfParams(options.kdf);
  const kek = await deriveKekFromPassphrase(newPassphrase, kdf, options.argon2 ?? hashWasmArgon2id);
  try {
    return { kdf, wrappedMk: wrapMasterKey(kek, mk, vaultId, kdf) };
  } finally {
    kek.fill(0);
  }
}

/** A new recovery code and wrap (after the old code was used or exposed); the old wrap is to be replaced. */
export function newRecoveryCode(mk: Uint8Array, vaultId: string): { recoveryCode: string; recoveryWrappedMk: string } {
  const code = generateRecoveryCode();
  const rk = deriveRecoveryKey(code.bytes);
  try {
    return { recoveryCode: code.text, recoveryWrappedMk: wrapMasterKeyForRecovery(rk, mk, vaultId) };
  } finally {
    rk.fill(0);
    code.bytes.fill(0);
  }
}
