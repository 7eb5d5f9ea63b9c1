import { sql } from 'kysely';
import type { Database } from '../db/index.js';
import type { Locale } from '../i18n/index.js';
import type { Logger } from '../ops/logger.js';
import { accountLinks, type LinkTarget } from './links.js';
import type { MailLinks } from './mail-links.js';
import type { AccountService } from './service.js';

/**
 * "Forgot your password?" (issue "People's accounts", point 3). The answer to a
 * request is the same whether the address has an account or not, and takes the same
 * path: the counting (per address and per IP) happens for both, and the mail is sent
 * after the answer, so its time does not tell either. A reset signs the account out
 * everywhere: sessions, grants, codes, access and refresh tokens go in the same
 * transaction that uses the link. The vault is untouched: it opens with the vault
 * passphrase or the recovery code, never with the password.
 */
export class PasswordReset {
  constructor(
    private readonly db: Database,
    private readonly accounts: AccountService,
    private readonly mail: MailLinks,
    private readonly changed: (accountId: string) => void,
    private readonly logger: Logger,
  ) {}

  async request(email: string, locale: Locale, ip: string): Promise<void> {
    const normalized = this.accounts.normalizeEmail(email);
    await this.mail.count('reset_password', normalized, ip);
    const account = await this.accounts.accounts.findByEmail(normalized);
    if (!account) return;
    void this.mail.send('reset_password', account, account.email, locale).catch((error: Error) => this.logger.warn({ reason: error.name }, 'reset mail not sent'));
  }

  /** Whether the link still works (the page asks for the new password only then). */
  check(token: unknown): Promise<LinkTarget> {
    return accountLinks(this.db).peek(token, 'reset_password');
  }

  async reset(token: unknown, password: string, confirm: string, locale: Locale): Promise<void> {
    await this.check(token); // a dead link costs no hashing
    const hash = await this.accounts.newPasswordHash(password, confirm);
    const target = await this.db.transaction().execute(async (trx) => {
      const links = accountLinks(trx);
      const link = await links.consume(token, 'reset_password');
      await trx.updateTable('accounts').set({ password_hash: hash, updated_at: new Date() }).where('id', '=', link.account_id).execute();
      await links.revokeAll(link.account_id, 'reset_password');
      // Sessions, grants, authorization codes, access and refresh tokens all name the account.
      await trx.deleteFrom('oidc_payloads').where(sql<string>`payload->>'accountId'`, '=', link.account_id).execute();
      return link;
    });
    this.changed(target.account_id);
    const account = await this.accounts.accounts.findById(target.account_id);
    if (account) {
      await this.accounts.clearSignInFailures(account.email);
      await this.mail.notify(account.email, locale, 'mail.password_changed').catch((error: Error) => this.logger.warn({ reason: error.name }, 'password change notice not sent'));
    }
  }
}
