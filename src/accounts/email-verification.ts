import type { Database } from '../db/index.js';
import type { Locale } from '../i18n/index.js';
import type { Logger } from '../ops/logger.js';
import { accountRepository } from './repository.js';
import { accountLinks, LinkError } from './links.js';
import type { MailLinks } from './mail-links.js';
import { AccountError, type AccountService } from './service.js';

/**
 * Proving an address (issue "People's accounts", point 2): a single-use link mailed
 * at sign-up and on every change, valid 24 hours; `email_verified` is true only
 * while the address it proved is still the account's address.
 */
export class EmailVerification {
  constructor(
    private readonly db: Database,
    private readonly accounts: AccountService,
    private readonly mail: MailLinks,
    /** Called after the account's address or its verification changed (caches). */
    private readonly changed: (accountId: string) => void,
    private readonly logger: Logger,
  ) {}

  /**
   * Right after sign-up. A relay that fails must not undo the new account: the
   * account page shows the address as unverified and offers to send the link again.
   */
  async afterSignUp(account: { id: string; email: string }, locale: Locale, ip: string): Promise<void> {
    try {
      await this.mail.count('verify_email', account.id, ip);
      await this.mail.send('verify_email', account, account.email, locale);
    } catch (error) {
      this.logger.warn({ reason: error instanceof AccountError ? error.code : (error as Error).name }, 'verification mail not sent after sign-up');
    }
  }

  /** "Send the link again" from the account page. */
  async resend(accountId: string, locale: Locale, ip: string): Promise<void> {
    const account = await this.accounts.accounts.findById(accountId);
    if (!account) throw new AccountError('invalid_credentials');
    if (account.email_verified_at) throw new AccountError('already_verified');
    await this.mail.count('verify_email', account.id, ip);
    await this.mail.send('verify_email', account, account.email, locale);
  }

  /** The link was followed: the address it was sent to is proven, if it is still the account's. */
  async confirm(token: unknown): Promise<{ email: string }> {
    const target = await this.db.transaction().execute(async (trx) => {
      const link = await accountLinks(trx).consume(token, 'verify_email');
      if (!(await accountRepository(trx).markVerified(link.account_id, link.email))) throw new LinkError('link_stale');
      return link;
    });
    this.changed(target.account_id);
    return { email: target.email };
  }

  /**
   * A new address: the password first (counted like a sign-in), then the change, which
   * leaves the account unverified until the new address's link is followed. The old
   * address is told, without naming the new one.
   */
  async change(accountId: string, newEmail: string, password: string, locale: Locale, ip: string): Promise<{ email: string }> {
    const current = await this.accounts.accounts.findById(accountId);
    if (!current) throw new AccountError('invalid_credentials');
    const email = this.accounts.normalizeEmail(newEmail);
    if (email === current.email) throw new AccountError('email_unchanged');
    await this.accounts.signIn(current.email, password, ip);
    await this.mail.count('verify_email', accountId, ip);
    await this.db.transaction().execute(async (trx) => {
      if (!(await accountRepository(trx).setEmail(accountId, email))) throw new AccountError('email_taken');
      await accountLinks(trx).revokeAll(accountId, 'verify_email');
    });
    this.changed(accountId);
    await this.mail.send('verify_email', { id: accountId }, email, locale).catch((error: Error) => this.logger.warn({ reason: error.name }, 'verification mail not sent after an address change'));
    await this.mail.notify(current.email, locale, 'mail.email_changed').catch((error: Error) => this.logger.warn({ reason: error.name }, 'address change notice not sent'));
    return { email };
  }
}
