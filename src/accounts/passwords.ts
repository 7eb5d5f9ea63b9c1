import argon2 from 'argon2';
import { dictionary } from '@zxcvbn-ts/language-common';
import type { Config } from '../config.js';

export const PASSWORD_MIN = 8;
export const PASSWORD_RECOMMENDED = 15;
export const PASSWORD_MAX = 256;

// The 49k most common passwords (zxcvbn-ts' list); only those long enough to pass the length rule matter.
const COMMON = new Set((dictionary['passwords-common'] as string[]).filter((p) => p.length >= PASSWORD_MIN));

export type PasswordProblem = 'too_short' | 'too_long' | 'too_common';

/**
 * NIST SP 800-63B style: length limits and a deny-list, no composition rules.
 * Judged on the NFKC form, the one that is hashed: `ｐａｓｓｗｏｒｄ１２３` is `password123`.
 */
export function checkPassword(password: string): PasswordProblem | undefined {
  const normalized = password.normalize('NFKC');
  const length = [...normalized].length;
  if (length < PASSWORD_MIN) return 'too_short';
  if (length > PASSWORD_MAX) return 'too_long';
  if (COMMON.has(normalized.toLowerCase())) return 'too_common';
  return undefined;
}

export class PasswordHasher {
  private readonly options: argon2.HashOptions & { raw: false };
  private dummy?: Promise<string>;

  constructor(params: Config['argon2']) {
    this.options = { type: argon2.argon2id, ...params, raw: false };
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password.normalize('NFKC'), this.options);
  }

  verify(hash: string, password: string): Promise<boolean> {
    return argon2.verify(hash, password.normalize('NFKC'));
  }

  /** Costs the same as a real verification, so an unknown email cannot be told from a wrong password. */
  async verifyNothing(password: string): Promise<false> {
    this.dummy ??= argon2.hash('no account has this password', this.options);
    await argon2.verify(await this.dummy, password.normalize('NFKC'));
    return false;
  }

  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, this.options);
  }
}
