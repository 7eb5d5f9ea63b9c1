import type { Config } from '../config.js';
import type { Database } from '../db/index.js';
import type { Locale } from '../i18n/index.js';
import { t } from '../i18n/index.js';
import type { Mailer } from '../mail/mailer.js';
import { genericMail } from '../mail/templates.js';
import type { Logger } from '../ops/logger.js';
import { accountLinks, LINK_TTL_SECONDS, type LinkPurpose } from './links.js';
import { AccountError } from './service.js';
import { Throttle, type Limit } from './throttle.js';

/** Where each purpose's link leads (this server's pages, GET with `?token=`). */
const PATHS: Record<LinkPurpose, string> = { verify_email: '/account/email/verify', reset_password: '/account/password/reset' };
const KEYS: Record<LinkPurpose, string> = { verify_email: 'mail.verify', reset_password: 'mail.reset' };

/**
 * Mails a single-use link, counted first per address (or account) and per IP, like
 * every limit here. The token exists only in the mail: the log line says a message
 * went out (the mailer adds where), never the address or the link.
 */
export class MailLinks {
  readonly links;
  private readonly throttle;
  private readonly limits: { address: Limit; ip: Limit };

  constructor(
    db: Database,
    private readonly mailer: Mailer,
    private readonly config: Pick<Config, 'issuer' | 'throttle'>,
    private readonly logger: Logger,
  ) {
    this.links = accountLinks(db);
    this.throttle = new Throttle(db);
    const { mailLinksPerAddress, mailLinksPerIp, mailLinksWindowSeconds } = config.throttle;
    this.limits = {
      address: { max: mailLinksPerAddress, windowSeconds: mailLinksWindowSeconds },
      ip: { max: mailLinksPerIp, windowSeconds: mailLinksWindowSeconds },
    };
  }

  /**
   * Counts one mail against the IP, then the address (or account) key; refuses over either limit.
   * `email_control` is the code Wathiqa mails to a vault email element (src/verifiers/email-control.ts).
   */
  async count(purpose: LinkPurpose | 'email_control', subjectKey: string, ip: string): Promise<void> {
    const [ip_, subject] = await this.throttle.take([
      { key: `mail:ip:${ip}`, limit: this.limits.ip },
      { key: `mail:${purpose}:${subjectKey}`, limit: this.limits.address },
    ]);
    if (!ip_!.allowed) throw new AccountError('ip_limited', ip_!.retryAfterSeconds);
    if (!subject!.allowed) throw new AccountError('mail_limited', subject!.retryAfterSeconds);
  }

  /** Creates the link and mails it to `email`. Counting is the caller's (see count). */
  async send(purpose: LinkPurpose, account: { id: string }, email: string, locale: Locale): Promise<void> {
    const token = await this.links.create(account.id, purpose, email);
    const url = `${this.config.issuer}${PATHS[purpose]}?token=${token}`;
    const key = KEYS[purpose];
    const hours = Math.round(LINK_TTL_SECONDS[purpose] / 3600);
    const minutes = Math.round(LINK_TTL_SECONDS[purpose] / 60);
    const mail = genericMail({
      locale,
      subject: t(locale, `${key}.subject`),
      paragraphs: [t(locale, `${key}.body`, { email }), t(locale, `${key}.expiry`, { hours, minutes }), t(locale, `${key}.ignore`)],
      action: { label: t(locale, `${key}.action`), url },
    });
    await this.mailer.send({ to: email, ...mail });
    this.logger.info({ purpose }, 'account link mailed');
  }

  /** A plain notice without a link (the old address after a change). */
  async notify(email: string, locale: Locale, key: 'mail.email_changed' | 'mail.password_changed'): Promise<void> {
    const mail = genericMail({ locale, subject: t(locale, `${key}.subject`), paragraphs: [t(locale, `${key}.body`)] });
    await this.mailer.send({ to: email, ...mail });
  }
}
