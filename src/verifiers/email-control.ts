/**
 * Wathiqa verifying a vault `email` element (issue "People's accounts", point 7):
 * with the holder's consent the page sends the element's address; a 6-digit code is
 * mailed to it; when the code comes back with the same address, Wathiqa issues the
 * SD-JWT VC an external verifier would (DESIGN 5.6), encrypted to the vault's HE key,
 * and forgets the address.
 *
 * What is kept: per code, a random salt and HMAC-SHA256(salt | email | code) under a
 * key derived from OPERATOR_KEY (so a copy of the database alone cannot test guessed
 * addresses against a pending code), the account, the expiry (10 minutes) and the
 * attempts so far. Never the address, the
 * code or the attestation; nothing here logs them. Mails are counted (per account
 * and per IP, the mailed-link limits) before anything else; attempts are counted
 * before the code is compared, at most 5 per code.
 */
import { createHmac, hkdfSync, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import * as z from 'zod';
import type { Database } from '../db/index.js';
import { HttpError } from '../http/errors.js';
import { t, type Locale } from '../i18n/index.js';
import type { Mailer } from '../mail/mailer.js';
import { genericMail } from '../mail/templates.js';
import type { Logger } from '../ops/logger.js';
import type { MailLinks } from '../accounts/mail-links.js';
import { AccountError } from '../accounts/service.js';
import { HolderKeyShapes, type HolderPublicJwk } from '../protocol/holder-keys.js';
import { fieldSchema } from '../protocol/elements/fields.js';
import { encryptAttestation, issueAttestation } from '../rp/issue.js';
import { WATHIQA_TRUST_FRAMEWORK, WATHIQA_VERIFIER_NAME, type WathiqaVerifier } from './wathiqa.js';

export const EMAIL_CODE_TTL_SECONDS = 10 * 60;
export const EMAIL_CODE_MAX_ATTEMPTS = 5;
/** How long an attestation of email control holds: a mailbox can change hands. */
export const EMAIL_ATTESTATION_SECONDS = 365 * 24 * 3600;
/** Expired rows stay this long, so a late answer says "expired" and not "unknown", then they are swept. */
const EXPIRED_GRACE_SECONDS = 3600;
const CODE = /^\d{6}$/;

/** The same rule as the vault's email field, so the attested value is the element's value. */
export const EmailAddress = fieldSchema('email') as z.ZodType<string>;

const problem = (status: number, code: string, description: string, headers: Record<string, string> = {}) => new HttpError(status, code, description, headers);
const retryAfter = (seconds: number) => ({ 'Retry-After': String(Math.max(1, Math.ceil(seconds))) });

export const EmailControlErrors = {
  invalidCode: (left: number) => problem(400, 'invalid_code', `the code is not right; ${left} attempt${left === 1 ? '' : 's'} left`),
  expired: () => problem(410, 'code_expired', `the code has expired (it works for ${EMAIL_CODE_TTL_SECONDS / 60} minutes); ask for a new one`),
  used: () => problem(404, 'code_used', 'no code is waiting under this id: it was used already, or never sent to this account'),
  tooManyAttempts: () => problem(410, 'too_many_attempts', `${EMAIL_CODE_MAX_ATTEMPTS} wrong codes: this code no longer works; ask for a new one`),
  noHolderKeys: () => problem(409, 'no_holder_keys', 'the vault has no holder keys yet: unlock it once, then try again'),
  mailFailed: () => problem(503, 'mail_failed', 'the code could not be mailed; try again later', retryAfter(60)),
  limited: (code: 'ip_limited' | 'mail_limited', seconds: number) =>
    problem(429, code, code === 'ip_limited' ? 'too many mails from this network; try again later' : 'too many codes mailed for this account; try again later', retryAfter(seconds)),
};

/** The code digests' key: its own, derived from the operator key, used for nothing else. */
export function emailCodeKey(operatorKey: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', operatorKey, new Uint8Array(0), 'wathiqa/email-control-code', 32));
}

export class EmailControl {
  constructor(
    private readonly db: Database,
    private readonly mailLinks: MailLinks,
    private readonly mailer: Mailer,
    private readonly verifier: WathiqaVerifier,
    private readonly logger: Logger,
    private readonly codeKey: Uint8Array,
  ) {}

  private digestOf(salt: string, email: string, code: string): Buffer {
    return createHmac('sha256', this.codeKey).update(`${salt}|${email}|${code}`, 'utf8').digest();
  }

  /** Counts the mail, then mails a code to `email`; returns the id the page confirms with. */
  async start(accountId: string, email: string, locale: Locale, ip: string): Promise<{ id: string }> {
    try {
      await this.mailLinks.count('email_control', accountId, ip);
    } catch (error) {
      if (error instanceof AccountError && (error.code === 'ip_limited' || error.code === 'mail_limited')) throw EmailControlErrors.limited(error.code, error.retryAfterSeconds);
      throw error;
    }
    await this.holderKeys(accountId);
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const salt = randomBytes(16).toString('base64url');
    const row = await this.db
      .insertInto('email_control_codes')
      .values({
        account_id: accountId,
        salt,
        digest: this.digestOf(salt, email, code).toString('base64url'),
        expires_at: sql<Date>`now() + make_interval(secs => ${EMAIL_CODE_TTL_SECONDS})` as never,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const minutes = EMAIL_CODE_TTL_SECONDS / 60;
    const mail = genericMail({
      locale,
      subject: t(locale, 'mail.email_code.subject'),
      paragraphs: [t(locale, 'mail.email_code.body', { email }), code, t(locale, 'mail.email_code.expiry', { minutes }), t(locale, 'mail.email_code.ignore')],
    });
    try {
      await this.mailer.send({ to: email, ...mail });
    } catch (error) {
      await this.db.deleteFrom('email_control_codes').where('id', '=', row.id).execute();
      // The relay's message may quote the address: only the error's name is logged.
      this.logger.warn({ reason: (error as Error).name }, 'email control code not mailed');
      throw EmailControlErrors.mailFailed();
    }
    this.logger.info('email control code mailed');
    return { id: row.id };
  }

  /**
   * The code typed back, with the address it was sent to: the attempt is counted
   * first; a right code is taken by the statement that deletes it (single use), and
   * the answer is the attestation encrypted to the vault's HE key.
   */
  async confirm(accountId: string, id: string, email: string, code: string): Promise<{ jwe: string }> {
    const counted = await this.db
      .updateTable('email_control_codes')
      .set({ attempts: sql<number>`attempts + 1` })
      .where('id', '=', id)
      .where('account_id', '=', accountId)
      .returning(['salt', 'digest', 'attempts', sql<boolean>`expires_at <= now()`.as('expired')])
      .executeTakeFirst();
    if (!counted) throw EmailControlErrors.used();
    if (counted.expired) throw EmailControlErrors.expired();
    if (counted.attempts > EMAIL_CODE_MAX_ATTEMPTS) throw EmailControlErrors.tooManyAttempts();
    const expected = Buffer.from(counted.digest, 'base64url');
    const given = this.digestOf(counted.salt, email, CODE.test(code) ? code : '');
    if (!(expected.length === given.length && timingSafeEqual(expected, given)) || !CODE.test(code)) {
      throw EmailControlErrors.invalidCode(Math.max(0, EMAIL_CODE_MAX_ATTEMPTS - counted.attempts));
    }
    const holder = await this.holderKeys(accountId);
    const taken = await this.db
      .deleteFrom('email_control_codes')
      .where('id', '=', id)
      .where('account_id', '=', accountId)
      .where('attempts', '<=', EMAIL_CODE_MAX_ATTEMPTS)
      .where('expires_at', '>', sql<Date>`now()`)
      .returning('id')
      .executeTakeFirst();
    if (!taken) throw EmailControlErrors.used(); // another request with the same code won
    const now = new Date();
    const sdJwt = await issueAttestation({
      issuer: this.verifier.clientId,
      signingKey: this.verifier.signingKey(),
      elementType: 'email',
      data: { email },
      holder: { sig: holder.sig as never },
      verification: {
        trust_framework: WATHIQA_TRUST_FRAMEWORK,
        evidence: [
          {
            type: 'electronic_record',
            check_details: [{ check_method: 'auth', organization: WATHIQA_VERIFIER_NAME, txn: id }],
            time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
            record: { type: 'email_control' },
          },
        ],
      },
      expiresAt: Math.floor(now.getTime() / 1000) + EMAIL_ATTESTATION_SECONDS,
      now,
    });
    const jwe = await encryptAttestation(sdJwt, holder.enc as never);
    this.logger.info('email attestation issued');
    return { jwe };
  }

  /** The vault's public holder keys (DESIGN 5.5), or no_holder_keys. */
  private async holderKeys(accountId: string): Promise<{ sig: HolderPublicJwk; enc: HolderPublicJwk }> {
    const vault = await this.db.selectFrom('vaults').select('holder_keys').where('account_id', '=', accountId).executeTakeFirst();
    const keys = HolderKeyShapes.storedKeys.safeParse(vault?.holder_keys ?? []);
    const sig = keys.success ? keys.data.find((k) => k.use === 'sig')?.public_jwk : undefined;
    const enc = keys.success ? keys.data.find((k) => k.use === 'enc')?.public_jwk : undefined;
    if (!sig || !enc) throw EmailControlErrors.noHolderKeys();
    return { sig: sig as HolderPublicJwk, enc: enc as HolderPublicJwk };
  }

  /** Sweeps codes an hour past their expiry (an expired one is still named as such until then). */
  async removeStale(): Promise<void> {
    await this.db.deleteFrom('email_control_codes').where('expires_at', '<', sql<Date>`now() - make_interval(secs => ${EXPIRED_GRACE_SECONDS})`).execute();
  }
}
