import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type Mail } from 'nodemailer';
import { z } from 'zod';
import type { Config } from '../config.js';
import type { Logger } from '../ops/logger.js';

/**
 * Outgoing mail. Bodies of the mail this server sends carry secrets (verification
 * and reset links), so no implementation ever logs a body or a recipient.
 */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

export class MailUnavailableError extends Error {
  constructor() {
    super('Mail is not configured: set SMTP_URL');
    this.name = 'MailUnavailableError';
  }
}

/**
 * One plain address per message: a `to` like "a@x, b@y" or one with a display name
 * would let a caller that forgot to check its input add recipients of its choice.
 * Line breaks anywhere would be a header-injection attempt.
 */
const MessageSchema = z.object({
  to: z.email().max(254),
  subject: z.string().min(1).max(200).regex(/^[^\r\n]*$/, 'must be one line'),
  text: z.string().min(1),
  html: z.string().min(1),
});

function checked(message: MailMessage): MailMessage {
  return MessageSchema.parse(message);
}

// A relay that does not answer must not hold a request (or a boot) for minutes.
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/** Sends through the relay named by SMTP_URL (smtps:// for implicit TLS; smtp:// upgrades with STARTTLS when offered). */
export class SmtpMailer implements Mailer {
  private readonly transport: Mail;

  constructor(
    smtpUrl: string,
    private readonly from: string,
    private readonly logger: Logger,
  ) {
    this.transport = nodemailer.createTransport({ url: smtpUrl, ...TIMEOUTS });
  }

  async send(message: MailMessage): Promise<void> {
    const { to, subject, text, html } = checked(message);
    const info = await this.transport.sendMail({ from: this.from, to, subject, text, html });
    this.logger.info({ messageId: info.messageId }, 'mail sent');
  }

  close(): void {
    this.transport.close();
  }
}

/**
 * Development without a relay: each message becomes an .eml file in DATA_DIR/outbox,
 * readable by the owner only, and the log says where. The log line names the file
 * and the subject, never the body: the links in it are as good as a password.
 */
export class OutboxMailer implements Mailer {
  private readonly transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });

  constructor(
    readonly directory: string,
    private readonly from: string,
    private readonly logger: Logger,
  ) {}

  async send(message: MailMessage): Promise<void> {
    const { to, subject, text, html } = checked(message);
    const info = await this.transport.sendMail({ from: this.from, to, subject, text, html });
    mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    chmodSync(this.directory, 0o700);
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(6).toString('hex')}.eml`;
    const path = join(this.directory, name);
    // 'wx': never write through a file (or a planted symlink) that is already there.
    await writeFile(path, info.message as Buffer, { mode: 0o600, flag: 'wx' });
    this.logger.info({ path, subject }, 'mail written to the outbox (no SMTP_URL)');
  }

  close(): void {
    this.transport.close();
  }
}

/** Production without SMTP_URL: features that need mail refuse to start (requireMail), so this is never reached. */
class NoMailer implements Mailer {
  async send(): Promise<void> {
    throw new MailUnavailableError();
  }

}

export function createMailer(config: Config, logger: Logger): Mailer {
  if (config.mail.smtpUrl) return new SmtpMailer(config.mail.smtpUrl, config.mail.from, logger);
  if (config.env === 'production') return new NoMailer();
  return new OutboxMailer(join(config.dataDir, 'outbox'), config.mail.from, logger);
}
