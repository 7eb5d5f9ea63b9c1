/**
 * The recovery code: 128 random bits, shown once, that unwrap MK when the
 * passphrase is lost.
 *
 * Text form: the 16 bytes read as one big-endian unsigned integer, written as
 * 26 Crockford base32 digits (most significant first; the first digit is 0-7),
 * then one check symbol = that integer mod 37 in Crockford's check alphabet
 * "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U". Because 37 is prime and larger than
 * 32, every single-character substitution and every swap of two adjacent
 * characters changes the remainder, so such typos are caught before any key is
 * derived. Displayed upper case in groups 5-5-5-4-4-4 joined by "-".
 *
 * Parsing is forgiving where it cannot be ambiguous: NFKC (full-width
 * characters), any case, Arabic-Indic digits, I and L read as 1, O as 0, spaces
 * and dashes ignored.
 *
 *   RK   = HKDF-SHA256(ikm = the 16 raw bytes, salt = empty, info = "wathiqa/v1/recovery", 32 bytes)
 *   wrap = XChaCha20-Poly1305(RK, MK), AD = "wathiqa/v1/mk-recovery|" + vault_id
 * (No Argon2: 128 random bits need no stretching.)
 */
import { recoveryAd } from './ad.js';
import type { SealOptions } from './aead.js';
import { randomBytes, type Bytes } from './encoding.js';
import { RecoveryCodeError } from './errors.js';
import { hkdfSha256 } from './kdf.js';
import { unwrapKey, wrapKey } from './keys.js';

export const RECOVERY_CODE_BYTES = 16;
export const RECOVERY_INFO = 'wathiqa/v1/recovery';
const DIGITS = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CHECK_SYMBOLS = `${DIGITS}*~$=U`;
const DATA_LENGTH = 26;
/** Group sizes of the displayed code (26 digits + 1 check symbol = 27). */
export const RECOVERY_CODE_GROUPS = [5, 5, 5, 4, 4, 4] as const;
const LIMIT = 1n << 128n;

export interface RecoveryCode {
  /** The 16 raw bytes: HKDF input. */
  bytes: Bytes;
  /** What the holder writes down. */
  text: string;
}

function toInteger(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

function checkSymbol(n: bigint): string {
  return CHECK_SYMBOLS[Number(n % 37n)]!;
}

export function formatRecoveryCode(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array) || bytes.length !== RECOVERY_CODE_BYTES) {
    throw new RecoveryCodeError(`a recovery code is ${RECOVERY_CODE_BYTES} bytes`);
  }
  const value = toInteger(bytes);
  let n = value;
  const digits: string[] = new Array<string>(DATA_LENGTH);
  for (let i = DATA_LENGTH - 1; i >= 0; i--) {
    digits[i] = DIGITS[Number(n & 31n)]!;
    n >>= 5n;
  }
  const plain = digits.join('') + checkSymbol(value);
  const groups: string[] = [];
  let offset = 0;
  for (const size of RECOVERY_CODE_GROUPS) {
    groups.push(plain.slice(offset, offset + size));
    offset += size;
  }
  return groups.join('-');
}

function canonicalSymbol(c: string): string {
  if (c === 'I' || c === 'L') return '1';
  if (c === 'O') return '0';
  return c;
}

/** Parses a typed recovery code; throws RecoveryCodeError on any typo, before any derivation. */
export function parseRecoveryCode(text: string): Bytes {
  if (typeof text !== 'string' || text.length > 200) throw new RecoveryCodeError('not a recovery code');
  const compact = text
    .normalize('NFKC')
    .replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660))
    .replace(/[\u06f0-\u06f9]/g, (d) => String(d.charCodeAt(0) - 0x06f0))
    .replace(/[\s\p{Pd}]/gu, '')
    .toUpperCase();
  if (compact.length !== DATA_LENGTH + 1) {
    throw new RecoveryCodeError(`a recovery code has ${DATA_LENGTH + 1} characters`);
  }
  let value = 0n;
  for (let i = 0; i < DATA_LENGTH; i++) {
    const digit = DIGITS.indexOf(canonicalSymbol(compact[i]!));
    if (digit < 0) throw new RecoveryCodeError(`character ${i + 1} is not a valid recovery code character`);
    value = (value << 5n) | BigInt(digit);
  }
  if (value >= LIMIT) throw new RecoveryCodeError('not a recovery code');
  const check = CHECK_SYMBOLS.indexOf(canonicalSymbol(compact[DATA_LENGTH]!));
  if (check < 0 || check !== Number(value % 37n)) {
    throw new RecoveryCodeError('the recovery code has a typo (check character does not match)');
  }
  const bytes = new Uint8Array(RECOVERY_CODE_BYTES);
  for (let i = RECOVERY_CODE_BYTES - 1; i >= 0; i--) {
    bytes[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return bytes;
}

export function generateRecoveryCode(): RecoveryCode {
  const bytes = randomBytes(RECOVERY_CODE_BYTES);
  return { bytes, text: formatRecoveryCode(bytes) };
}

export function deriveRecoveryKey(codeBytes: Uint8Array): Bytes {
  if (codeBytes.length !== RECOVERY_CODE_BYTES) throw new RecoveryCodeError(`a recovery code is ${RECOVERY_CODE_BYTES} bytes`);
  return hkdfSha256(codeBytes, RECOVERY_INFO);
}

export function wrapMasterKeyForRecovery(rk: Uint8Array, mk: Uint8Array, vaultId: string, options: SealOptions = {}): string {
  return wrapKey(rk, mk, recoveryAd(vaultId), options);
}

export function unwrapMasterKeyForRecovery(rk: Uint8Array, recoveryWrappedMk: string, vaultId: string): Bytes {
  return unwrapKey(rk, recoveryWrappedMk, recoveryAd(vaultId));
}
