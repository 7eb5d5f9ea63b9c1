import { createHash, randomBytes } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import { sql } from 'kysely';
import type { Database } from '../db/index.js';
import { openSealed, sealText } from '../oidc/keys.js';
import { AccountError, type AccountService } from './service.js';
import { Throttle, type Limit } from './throttle.js';

/** Codes from the app: six digits, 30-second steps, SHA-1 (what every authenticator app does). */
const CODE = /^\d{6}$/;
/** One step either way: a phone clock a little off still works. */
const TOLERANCE_SECONDS = 30;
export const RECOVERY_CODE_COUNT = 10;

export type TotpProblem = 'otp_invalid' | 'otp_reused' | 'otp_locked' | 'totp_exists' | 'totp_missing';

export class TotpError extends Error {
  constructor(
    readonly code: TotpProblem,
    readonly retryAfterSeconds = 0,
  ) {
    super(code);
    this.name = 'TotpError';
  }
}

const kidFor = (accountId: string) => `totp:${accountId}`;

/** Recovery codes: 10 Crockford base32 characters (50 bits) in two groups; typed in any case, with or without the dash. */
function newRecoveryCode(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const chars = [...randomBytes(10)].map((b) => alphabet[b & 31]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}
const normalizeRecovery = (code: string) => code.toUpperCase().replace(/[^A-Z0-9]/g, '');
const recoveryDigest = (code: string) => createHash('sha256').update(normalizeRecovery(code)).digest('base64url');

export interface TotpEnrollment {
  secret: string;
  uri: string;
  /** The URI as an SVG QR code (made here, no outside service). */
  qrSvg: string;
}

/**
 * The second factor (issue "People's accounts", point 5): a TOTP app, with one-time
 * recovery codes. Codes are counted like passwords (per account and per IP, before
 * the check), and each code works once: the accepted time step is stored, and a code
 * at or before it is refused even inside its 30 seconds.
 */
export class TotpService {
  private readonly throttle;

  constructor(
    private readonly db: Database,
    private readonly accounts: AccountService,
    private readonly operatorKey: Uint8Array,
    private readonly limits: { account: Limit; ip: Limit },
    private readonly issuerName = 'Wathiqa',
  ) {
    this.throttle = new Throttle(db);
  }

  async enabled(accountId: string): Promise<boolean> {
    const row = await this.db.selectFrom('account_totp').select('confirmed_at').where('account_id', '=', accountId).executeTakeFirst();
    return Boolean(row?.confirmed_at);
  }

  async status(accountId: string): Promise<{ enabled: boolean; recoveryCodesLeft: number }> {
    const [enabled, left] = await Promise.all([
      this.enabled(accountId),
      this.db
        .selectFrom('account_recovery_codes')
        .select(sql<number>`count(*)::int`.as('n'))
        .where('account_id', '=', accountId)
        .where('used_at', 'is', null)
        .executeTakeFirstOrThrow(),
    ]);
    return { enabled, recoveryCodesLeft: left.n };
  }

  /** A new secret, kept unconfirmed until a code from the app proves it was scanned. */
  async begin(accountId: string, label: string): Promise<TotpEnrollment> {
    if (await this.enabled(accountId)) throw new TotpError('totp_exists');
    const secret = generateSecret();
    const secret_sealed = await sealText(secret, kidFor(accountId), this.operatorKey);
    await this.db
      .insertInto('account_totp')
      .values({ account_id: accountId, secret_sealed })
      .onConflict((oc) => oc.column('account_id').doUpdateSet({ secret_sealed, last_time_step: null }).where('account_totp.confirmed_at', 'is', null))
      .execute();
    return this.enrollment(secret, label);
  }

  /** The pending secret again (the set-up page after a wrong code). */
  async pending(accountId: string, label: string): Promise<TotpEnrollment | undefined> {
    const row = await this.db.selectFrom('account_totp').selectAll().where('account_id', '=', accountId).executeTakeFirst();
    if (!row || row.confirmed_at) return undefined;
    return this.enrollment(await this.secretOf(accountId, row.secret_sealed), label);
  }

  private async enrollment(secret: string, label: string): Promise<TotpEnrollment> {
    const uri = generateURI({ issuer: this.issuerName, label, secret });
    const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { secret, uri, qrSvg };
  }

  private secretOf(accountId: string, sealed: string): Promise<string> {
    return openSealed(sealed, kidFor(accountId), this.operatorKey, 'a TOTP secret');
  }

  /** The first code from the app turns the factor on; returns the recovery codes, shown once. */
  async confirm(accountId: string, code: string, ip: string): Promise<string[]> {
    const row = await this.db.selectFrom('account_totp').selectAll().where('account_id', '=', accountId).executeTakeFirst();
    if (!row || row.confirmed_at) throw new TotpError(row ? 'totp_exists' : 'totp_missing');
    await this.count(accountId, ip);
    const step = await this.check(await this.secretOf(accountId, row.secret_sealed), code, null);
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await this.db.transaction().execute(async (trx) => {
      const done = await trx
        .updateTable('account_totp')
        .set({ confirmed_at: sql`now()`, last_time_step: step })
        .where('account_id', '=', accountId)
        .where('confirmed_at', 'is', null)
        .executeTakeFirst();
      if (done.numUpdatedRows === 0n) throw new TotpError('totp_exists');
      await trx.deleteFrom('account_recovery_codes').where('account_id', '=', accountId).execute();
      await trx.insertInto('account_recovery_codes').values(codes.map((c) => ({ account_id: accountId, digest: recoveryDigest(c) }))).execute();
    });
    await this.settle(accountId, ip);
    return codes;
  }

  /**
   * The sign-in step: a code from the app (once per time step) or an unused recovery
   * code. Counted before it is checked; a success clears the account's failures.
   */
  async verify(accountId: string, code: string, ip: string): Promise<'otp' | 'recovery'> {
    await this.count(accountId, ip);
    const typed = code.replace(/\s/g, '');
    if (CODE.test(typed)) {
      const row = await this.db.selectFrom('account_totp').selectAll().where('account_id', '=', accountId).executeTakeFirst();
      if (!row?.confirmed_at) throw new TotpError('totp_missing');
      const last = row.last_time_step === null ? null : Number(row.last_time_step);
      const step = await this.check(await this.secretOf(accountId, row.secret_sealed), typed, last);
      // The statement that records the step is the one that checks it is new: two sign-ins with one code, one wins.
      const used = await this.db
        .updateTable('account_totp')
        .set({ last_time_step: step })
        .where('account_id', '=', accountId)
        .where((eb) => eb.or([eb('last_time_step', 'is', null), eb('last_time_step', '<', step as never)]))
        .executeTakeFirst();
      if (used.numUpdatedRows === 0n) throw new TotpError('otp_reused');
      await this.settle(accountId, ip);
      return 'otp';
    }
    const recovered = await this.db
      .updateTable('account_recovery_codes')
      .set({ used_at: sql`now()` })
      .where('account_id', '=', accountId)
      .where('digest', '=', recoveryDigest(typed))
      .where('used_at', 'is', null)
      .executeTakeFirst();
    if (recovered.numUpdatedRows === 0n) throw new TotpError('otp_invalid');
    await this.settle(accountId, ip);
    return 'recovery';
  }

  /** Turning it off needs the password (counted like a sign-in). */
  async disable(accountId: string, password: string, ip: string): Promise<void> {
    const account = await this.accounts.accounts.findById(accountId);
    if (!account) throw new AccountError('invalid_credentials');
    await this.accounts.signIn(account.email, password, ip);
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('account_recovery_codes').where('account_id', '=', accountId).execute();
      await trx.deleteFrom('account_totp').where('account_id', '=', accountId).execute();
    });
  }

  /** The accepted time step, or otp_invalid / otp_reused. */
  private async check(secret: string, code: string, lastStep: number | null): Promise<number> {
    if (!CODE.test(code)) throw new TotpError('otp_invalid');
    const result = await verify({ secret, token: code, epochTolerance: TOLERANCE_SECONDS });
    if (!result.valid) throw new TotpError('otp_invalid');
    const step = (result as { timeStep: number }).timeStep;
    if (lastStep !== null && step <= lastStep) throw new TotpError('otp_reused');
    return step;
  }

  private async count(accountId: string, ip: string): Promise<void> {
    const [ipAttempt, accountAttempt] = await this.throttle.take([
      { key: `otp:ip:${ip}`, limit: this.limits.ip },
      { key: `otp:account:${accountId}`, limit: this.limits.account },
    ]);
    if (!ipAttempt!.allowed) throw new TotpError('otp_locked', ipAttempt!.retryAfterSeconds);
    if (!accountAttempt!.allowed) throw new TotpError('otp_locked', accountAttempt!.retryAfterSeconds);
  }

  private settle(accountId: string, ip: string): Promise<void> {
    return this.throttle.settle({ clear: [`otp:account:${accountId}`], forgive: [`otp:ip:${ip}`] });
  }
}
