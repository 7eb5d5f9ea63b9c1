import { sql } from 'kysely';
import { z } from 'zod';
import type { Config } from '../config.js';
import type { Database } from '../db/index.js';
import type { Metrics } from '../ops/metrics.js';
import { checkPassword, PASSWORD_MAX, PasswordHasher, type PasswordProblem } from './passwords.js';
import { accountRepository, type PublicAccount } from './repository.js';
import { endSessionsAndGrants } from './revocation.js';
import { Throttle, type Limit } from './throttle.js';

export const EmailSchema = z
  .string()
  .trim()
  .max(254)
  .toLowerCase()
  .pipe(z.email());

export type AccountErrorCode =
  | 'invalid_email'
  | PasswordProblem
  | 'email_taken'
  | 'invalid_credentials'
  | 'account_locked'
  | 'ip_limited'
  | 'mail_limited'
  | 'password_mismatch'
  | 'email_unchanged'
  | 'already_verified'
  | 'confirmation_required'
  | 'account_disabled';

/** A password sign-in's account, with the second factors the next step needs to know about. */
export type SignedInAccount = PublicAccount & { hasTotp: boolean; hasPasskeys: boolean };

/** A sign-up or sign-in refusal; `code` doubles as the i18n key of the message. */
export class AccountError extends Error {
  constructor(
    readonly code: AccountErrorCode,
    readonly retryAfterSeconds = 0,
  ) {
    super(code);
    this.name = 'AccountError';
  }
}

export class AccountService {
  readonly accounts;
  private readonly hasher;
  private readonly throttle;
  private readonly limits: { account: Limit; ip: Limit; signupIp: Limit; mail: Limit };

  constructor(
    private readonly db: Database,
    config: Pick<Config, 'argon2' | 'throttle'>,
    private readonly metrics?: Metrics,
    /** Called after an account is deleted (caches that may still hold it). */
    private readonly deleted: (accountId: string) => void = () => {},
  ) {
    this.accounts = accountRepository(db);
    this.hasher = new PasswordHasher(config.argon2);
    this.throttle = new Throttle(db);
    const t = config.throttle;
    this.limits = {
      account: { max: t.accountMaxFailures, windowSeconds: t.accountWindowSeconds, lockSeconds: t.accountLockSeconds },
      ip: { max: t.ipMaxFailures, windowSeconds: t.ipWindowSeconds },
      signupIp: { max: t.signupIpMax, windowSeconds: t.signupIpWindowSeconds },
      // Counted by MailLinks; listed here so stale counters of every kind are swept together.
      mail: { max: t.mailLinksPerAddress, windowSeconds: t.mailLinksWindowSeconds },
    };
  }

  private parseEmail(email: string): string {
    const parsed = EmailSchema.safeParse(email);
    if (!parsed.success) throw new AccountError('invalid_email');
    return parsed.data;
  }

  /** The cheap checks, before anything is counted or hashed. */
  private checked(email: string, password: string): string {
    const normalized = this.parseEmail(email);
    const problem = checkPassword(password);
    if (problem) throw new AccountError(problem);
    return normalized;
  }

  /**
   * Creates an account; used by the operator (no per-IP limit, `audit` records it in
   * the same transaction) and by sign-up.
   */
  async create(email: string, password: string, audit?: (trx: Database, account: PublicAccount) => Promise<void>): Promise<PublicAccount> {
    return this.insert(this.checked(email, password), password, audit);
  }

  private async insert(normalized: string, password: string, audit?: (trx: Database, account: PublicAccount) => Promise<void>): Promise<PublicAccount> {
    const hash = await this.hasher.hash(password);
    const account = await this.db.transaction().execute(async (trx) => {
      const created = await accountRepository(trx).create(normalized, hash);
      if (created) await audit?.(trx, created);
      return created;
    });
    if (!account) throw new AccountError('email_taken');
    return account;
  }

  /** Input errors cost nothing; every sign-up that reaches the database counts against the IP first. */
  async signUp(email: string, password: string, ip: string): Promise<PublicAccount> {
    const normalized = this.checked(email, password);
    const [attempt] = await this.throttle.take([{ key: `signup:ip:${ip}`, limit: this.limits.signupIp }]);
    if (!attempt!.allowed) throw new AccountError('ip_limited', attempt!.retryAfterSeconds);
    const account = await this.insert(normalized, password);
    this.metrics?.signUps.inc();
    return account;
  }

  /**
   * Unknown email and wrong password take the same path, time and answer. Locks are
   * keyed by the email as typed (normalized), so they behave the same for accounts
   * that do not exist.
   */
  async signIn(email: string, password: string, ip: string): Promise<SignedInAccount> {
    try {
      const account = await this.verify(email, password, ip);
      this.metrics?.signIns.inc({ outcome: 'success' });
      return account;
    } catch (error) {
      if (error instanceof AccountError) this.metrics?.signIns.inc({ outcome: error.code });
      throw error;
    }
  }

  /**
   * The attempt is counted (IP, then account) before Argon2 runs, so concurrent
   * guesses cannot overtake the counter; a success takes it back.
   */
  private async verify(email: string, password: string, ip: string): Promise<SignedInAccount> {
    const normalized = EmailSchema.safeParse(email).data ?? email.trim().toLowerCase();
    const ipKey = `signin:ip:${ip}`;
    const accountKey = `signin:account:${normalized}`;
    const [[ipAttempt, accountAttempt], row] = await Promise.all([
      this.throttle.take([
        { key: ipKey, limit: this.limits.ip },
        { key: accountKey, limit: this.limits.account },
      ]),
      // No account takes a password over the limit (measured as hashed), so none is looked up.
      [...password.normalize('NFKC')].length <= PASSWORD_MAX ? this.accounts.findForSignIn(normalized) : undefined,
    ]);
    if (!ipAttempt!.allowed) throw new AccountError('ip_limited', ipAttempt!.retryAfterSeconds);
    if (!accountAttempt!.allowed) throw new AccountError('account_locked', accountAttempt!.retryAfterSeconds);

    const ok = row ? await this.hasher.verify(row.password_hash, password) : await this.hasher.verifyNothing(password);
    if (!row || !ok) throw new AccountError('invalid_credentials');
    // Failures on the account start again from zero; the IP only gets this attempt back.
    await this.throttle.settle({ clear: [accountKey], forgive: [ipKey] });
    // Said only to whoever knows the password: the address alone does not tell whether an account is disabled.
    if (row.disabled_at) throw new AccountError('account_disabled');
    if (this.hasher.needsRehash(row.password_hash)) await this.accounts.updateHash(row.id, await this.hasher.hash(password));
    return { id: row.id, email: row.email, created_at: row.created_at, email_verified_at: row.email_verified_at, hasTotp: Boolean(row.has_totp), hasPasskeys: Boolean(row.has_passkeys) };
  }

  /** A new password under the same policy as sign-up, hashed (password reset). */
  async newPasswordHash(password: string, confirm: string): Promise<string> {
    const problem = checkPassword(password);
    if (problem) throw new AccountError(problem);
    if (password !== confirm) throw new AccountError('password_mismatch');
    return this.hasher.hash(password);
  }

  /** The email as sign-up stores it, or invalid_email. */
  normalizeEmail(email: string): string {
    return this.parseEmail(email);
  }

  /** Forgets the sign-in failures of an address (its owner just proved it by mail). */
  clearSignInFailures(email: string): Promise<void> {
    return this.throttle.clear(`signin:account:${email}`);
  }

  /**
   * Deletes the account and everything that names it, in one transaction: every
   * table with an account_id goes with the account row (ON DELETE CASCADE: the vault,
   * its documents and scans, releases, the attestation inbox, mailed links, the
   * signed-in browsers, and any later table that follows the rule); oidc-provider's
   * sessions, grants, codes and tokens (they name the account in their payload, so
   * no foreign key can); pending sign-ins that name it; and the rate-limit counters
   * keyed by its id. Sign-in counters keyed by the address expire with their window.
   */
  async delete(id: string, audit?: (trx: Database, account: PublicAccount) => Promise<void>): Promise<boolean> {
    // The id goes into LIKE patterns below: only a UUID, never a wildcard, may reach them.
    if (!z.uuid().safeParse(id).success) return false;
    const deleted = await this.db.transaction().execute(async (trx) => {
      const account = await accountRepository(trx).findById(id);
      if (!account) return false;
      await endSessionsAndGrants(trx, id);
      await trx.deleteFrom('throttle').where('key', 'like', `%:${id}`).execute();
      // A passkey registration under way names the account in its challenge (no foreign key: sign-in challenges name an interaction).
      await trx.deleteFrom('webauthn_challenges').where('purpose', '=', 'register').where('binding', '=', id).execute();
      const gone = await accountRepository(trx).delete(id);
      if (gone) await audit?.(trx, account);
      return gone;
    });
    if (deleted) this.deleted(id);
    return deleted;
  }

  /**
   * The holder deletes their own account: the confirmation first (free), then the
   * password, counted like a sign-in (a wrong one counts towards the same limits and
   * lock), then everything goes (see delete). A refusal changes nothing.
   */
  async deleteByHolder(id: string, password: string, confirmed: boolean, ip: string): Promise<void> {
    const account = await this.accounts.findById(id);
    if (!account) throw new AccountError('invalid_credentials');
    if (!confirmed) throw new AccountError('confirmation_required');
    await this.signIn(account.email, password, ip);
    if (!(await this.delete(id))) throw new AccountError('invalid_credentials');
  }

  /** Clears stale rate-limit counters. */
  removeStaleCounters(): Promise<void> {
    const t = this.limits;
    return this.throttle.removeStale(Math.max(t.account.windowSeconds + (t.account.lockSeconds ?? 0), t.ip.windowSeconds, t.signupIp.windowSeconds, t.mail.windowSeconds));
  }
}
