import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { simpleParser, type AddressObject } from 'mailparser';
import { ConfigError, loadConfig, requireMail, type Config } from '../../src/config.js';
import { createMailer, MailUnavailableError, OutboxMailer, SmtpMailer, type Mailer } from '../../src/mail/mailer.js';
import { genericMail } from '../../src/mail/templates.js';
import { createLogger } from '../../src/ops/logger.js';
import { httpEngines } from '../helpers/db.js';
import { startTestServer } from '../helpers/server.js';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp.js';

/**
 * Mail (issue 10, point 1): a real SMTP server in this process receives what the
 * SMTP mailer sends, and mailparser reads it back; the development outbox writes
 * .eml files for the owner only and logs where, never the link.
 */
const LINK = 'https://id.example.test/verify?token=s3cret-Link-Token_123';
const HOSTILE = '<b>Amal & "Co"</b>';
const strongSecrets = () => ({ COOKIE_KEYS: randomBytes(32).toString('base64url'), OPERATOR_KEY: randomBytes(32).toString('base64url') });

function config(overrides: Record<string, unknown> = {}): Config {
  return loadConfig({}, { NODE_ENV: 'test', DATABASE_URL: 'memory://', ...strongSecrets(), ...overrides });
}

function memoryLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { logger: createLogger('info', stream), lines };
}

function english() {
  return genericMail({
    locale: 'en',
    subject: 'Confirm your email address',
    paragraphs: ['Someone asked to use this address for a Wathiqa account.', `Name on file: ${HOSTILE}`],
    action: { label: 'Confirm the address', url: LINK },
  });
}

function arabic() {
  return genericMail({
    locale: 'ar',
    subject: 'تأكيد عنوان بريدك الإلكتروني',
    paragraphs: ['طلب أحدهم استخدام هذا العنوان لحساب في وثيقة.'],
    action: { label: 'تأكيد العنوان', url: LINK },
  });
}

const firstAddress = (a: AddressObject | AddressObject[] | undefined) => (Array.isArray(a) ? a[0] : a)?.value[0];

describe('SMTP mailer against a real SMTP server', () => {
  let smtp: SmtpReceiver;
  let received: SmtpReceiver['received'];
  let mailer: SmtpMailer;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    received = smtp.received;
    const cfg = config({ SMTP_URL: smtp.url, MAIL_FROM: 'Wathiqa Test <mail@wathiqa.test>' });
    const mailerOf = createMailer(cfg, memoryLogger().logger);
    expect(mailerOf).toBeInstanceOf(SmtpMailer);
    mailer = mailerOf as SmtpMailer;
  });

  afterEach(() => {
    received.length = 0;
  });

  afterAll(async () => {
    mailer?.close();
    await smtp?.close();
  });

  it('sends an English message: from, to, subject, text and HTML, with interpolated values escaped in HTML', async () => {
    await mailer.send({ to: 'amal@example.test', ...english() });
    expect(received).toHaveLength(1);
    const { to: envelopeTo, mail } = received[0]!;
    expect(envelopeTo).toEqual(['amal@example.test']);
    expect(firstAddress(mail.from)).toEqual({ address: 'mail@wathiqa.test', name: 'Wathiqa Test' });
    expect(firstAddress(mail.to)?.address).toBe('amal@example.test');
    expect(mail.subject).toBe('Confirm your email address');

    expect(mail.text).toContain('Hello,');
    expect(mail.text).toContain(`Name on file: ${HOSTILE}`);
    expect(mail.text).toContain(LINK);
    expect(mail.text).toContain('This message was sent by Wathiqa.');

    const html = mail.html as string;
    expect(html).toContain('lang="en" dir="ltr"');
    expect(html).toContain('Name on file: &lt;b&gt;Amal &amp; &quot;Co&quot;&lt;/b&gt;');
    expect(html).not.toContain('<b>');
    expect(html).toContain(`href="${LINK}"`);
  });

  it('sends an Arabic message: right to left, Arabic subject, greeting and footer from the catalog', async () => {
    await mailer.send({ to: 'amal@example.test', ...arabic() });
    const { mail } = received[0]!;
    expect(mail.subject).toBe('تأكيد عنوان بريدك الإلكتروني');
    expect(mail.text).toContain('مرحبًا،');
    expect(mail.text).toContain('طلب أحدهم استخدام هذا العنوان لحساب في وثيقة.');
    expect(mail.text).toContain(LINK);
    const html = mail.html as string;
    expect(html).toMatch(/<html lang="ar" dir="rtl">/);
    expect(html).toContain('<div lang="ar" dir="rtl"');
    expect(html).toContain('تأكيد العنوان');
    expect(html).toContain('أُرسلت هذه الرسالة من وثيقة.');
  });

  it('refuses a recipient list, a display-name recipient and a subject with a line break, and sends nothing', async () => {
    const body = english();
    await expect(mailer.send({ ...body, to: 'amal@example.test, eve@evil.test' })).rejects.toThrow();
    await expect(mailer.send({ ...body, to: 'Eve <eve@evil.test>' })).rejects.toThrow();
    await expect(mailer.send({ ...body, to: 'amal@example.test', subject: 'Hi\r\nBcc: eve@evil.test' })).rejects.toThrow();
    expect(received).toHaveLength(0);
  });
});

describe('outbox mailer (development without SMTP_URL)', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'wq-mail-'));
  });

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('writes a parseable .eml for the owner only, and logs its path and subject but never the body', async () => {
    const { logger, lines } = memoryLogger();
    const mailer = createMailer(config({ NODE_ENV: 'development', DATA_DIR: dataDir }), logger);
    expect(mailer).toBeInstanceOf(OutboxMailer);
    await mailer.send({ to: 'amal@example.test', ...english() });

    const outbox = join(dataDir, 'outbox');
    expect(statSync(outbox).mode & 0o777).toBe(0o700);
    const files = readdirSync(outbox);
    expect(files).toHaveLength(1);
    const file = join(outbox, files[0]!);
    expect(file).toMatch(/\.eml$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const mail = await simpleParser(readFileSync(file));
    expect(firstAddress(mail.from)).toEqual({ address: 'no-reply@localhost', name: 'Wathiqa' });
    expect(firstAddress(mail.to)?.address).toBe('amal@example.test');
    expect(mail.subject).toBe('Confirm your email address');
    expect(mail.text).toContain(LINK);
    expect(mail.html).toContain('Name on file: &lt;b&gt;Amal &amp;');

    const log = lines.join('');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: 'info', path: file, subject: 'Confirm your email address' });
    expect(log).not.toContain('s3cret-Link-Token_123');
    expect(log).not.toContain('verify?token');
    expect(log).not.toContain('Name on file');
    expect(log).not.toContain('amal@example.test');
  });

  it('keeps each message in a file of its own', async () => {
    const mailer = createMailer(config({ NODE_ENV: 'development', DATA_DIR: dataDir }), memoryLogger().logger);
    await Promise.all([mailer.send({ to: 'a@example.test', ...arabic() }), mailer.send({ to: 'b@example.test', ...arabic() })]);
    expect(readdirSync(join(dataDir, 'outbox')).length).toBe(3);
  });
});

describe('templates', () => {
  it('refuses an action link that is not http(s)', () => {
    expect(() =>
      genericMail({ locale: 'en', subject: 'x', paragraphs: ['y'], action: { label: 'Go', url: 'javascript:alert(1)' } }),
    ).toThrow(/http/);
  });

  it('works without an action link', () => {
    const mail = genericMail({ locale: 'en', subject: 'Notice', paragraphs: ['Only words.'] });
    expect(mail.html).not.toContain('<a ');
    expect(mail.text).toContain('Only words.');
  });
});

describe('mail configuration', () => {
  const production = (overrides: Record<string, unknown> = {}) =>
    config({ NODE_ENV: 'production', ISSUER: 'https://id.example.test', ...overrides });

  it('starts in production without SMTP_URL, but a feature that needs mail refuses to, naming SMTP_URL', async () => {
    const cfg = production();
    expect(cfg.mail.smtpUrl).toBeUndefined();
    let error: unknown;
    try {
      requireMail(cfg, 'email verification');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/SMTP_URL is required in production/);
    expect((error as ConfigError).message).toMatch(/email verification/);
    // Nothing falls back to a local outbox in production.
    const mailer: Mailer = createMailer(cfg, memoryLogger().logger);
    await expect(mailer.send({ to: 'amal@example.test', ...english() })).rejects.toBeInstanceOf(MailUnavailableError);
  });

  it('lets features start in production with SMTP_URL, and in development without it', () => {
    expect(() => requireMail(production({ SMTP_URL: 'smtps://user:pw@smtp.example.test:465' }), 'password reset')).not.toThrow();
    expect(() => requireMail(config({ NODE_ENV: 'development' }), 'password reset')).not.toThrow();
  });

  it('refuses an SMTP_URL that is not smtp:// or smtps://, with a clear message that does not echo the password', () => {
    for (const bad of ['ftp://user:hunter2@mail.example.test', 'http://mail.example.test', 'smtp://', 'mail.example.test:25']) {
      let error: unknown;
      try {
        config({ SMTP_URL: bad });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toMatch(/SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/);
      expect((error as ConfigError).message).not.toContain('hunter2');
    }
    expect(config({ SMTP_URL: 'smtp://mail.example.test:587' }).mail.smtpUrl).toBe('smtp://mail.example.test:587');
  });

  it('reads SMTP_URL and MAIL_FROM from the environment, MAIL_FROM defaulting from config/default.json', () => {
    const cfg = loadConfig({ SMTP_URL: 'smtps://mail.example.test', MAIL_FROM: 'ID <id@example.test>' }, { DATABASE_URL: 'memory://', ...strongSecrets() });
    expect(cfg.mail).toEqual({ smtpUrl: 'smtps://mail.example.test', from: 'ID <id@example.test>' });
    expect(config().mail).toEqual({ smtpUrl: undefined, from: 'Wathiqa <no-reply@localhost>' });
  });
});

describe.each(httpEngines())('services (%s)', (engine) => {
  it('builds an outbox mailer under DATA_DIR when SMTP_URL is not set', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wq-mail-svc-'));
    const server = await startTestServer(engine, { DATA_DIR: dataDir });
    try {
      expect(server.services.mailer).toBeInstanceOf(OutboxMailer);
      expect((server.services.mailer as OutboxMailer).directory).toBe(join(dataDir, 'outbox'));
    } finally {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
