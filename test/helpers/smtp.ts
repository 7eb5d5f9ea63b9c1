import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  mail: ParsedMail;
}

export interface SmtpReceiver {
  /** SMTP_URL for the server under test. */
  url: string;
  received: ReceivedMail[];
  /** The first message to `to` (after `skip` earlier ones) whose subject matches, waiting up to `ms`. */
  next(to: string, subject?: RegExp, ms?: number): Promise<ParsedMail>;
  close(): Promise<void>;
}

/**
 * A real SMTP server in the test process (smtp-server), each message parsed with mailparser.
 * `refuse`: recipients it answers with a permanent failure (550), as a relay does for a dead mailbox.
 */
export async function startSmtpReceiver(options: { refuse?: (to: string) => boolean } = {}): Promise<SmtpReceiver> {
  const received: ReceivedMail[] = [];
  const taken = new Set<ReceivedMail>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (options.refuse?.(address.address)) {
        callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          received.push({ to: session.envelope.rcptTo.map((r) => r.address), mail });
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    async next(to, subject, ms = 10_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = received.find((r) => !taken.has(r) && r.to.includes(to) && (!subject || subject.test(r.mail.subject ?? '')));
        if (found) {
          taken.add(found);
          return found.mail;
        }
        if (Date.now() > deadline) throw new Error(`no mail to ${to}${subject ? ` matching ${subject}` : ''} within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The first link to this server's `path` in a message's text part. */
export function linkIn(mail: ParsedMail, path: string): string {
  const match = new RegExp(`https?://[^\\s]+${path.replace(/[/]/g, '\\/')}\\?token=[A-Za-z0-9_-]+`).exec(mail.text ?? '');
  if (!match) throw new Error(`no ${path} link in the mail`);
  return match[0];
}
