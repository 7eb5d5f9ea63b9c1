import { sql } from 'kysely';
import type { Database } from '../db/index.js';
import type { AccountSessions, SignedInBrowser } from './sessions.js';
import { endSessions, endSessionsAndGrants } from './revocation.js';

/** An account as an operator sees it in a list: never anything of the vault, which the server cannot read. */
export interface AccountSummary {
  id: string;
  email: string;
  created_at: Date;
  email_verified: boolean;
  operator: boolean;
  disabled: boolean;
}

export interface AccountDetails extends AccountSummary {
  email_verified_at: Date | null;
  operator_since: Date | null;
  disabled_at: Date | null;
  factors: { totp: boolean; recovery_codes_left: number; passkeys: number };
  sessions: SignedInBrowser[];
}

/** Called inside the change's transaction with the account as it was: the audit record goes there. */
export type AccountAudit = (trx: Database, account: { id: string; email: string }) => Promise<void>;

/** The outcome of an idempotent change: undefined when there is no such account. */
export type Outcome<T = undefined> = { account: { id: string; email: string }; changed: boolean; result?: T } | undefined;

const SUMMARY = ['id', 'email', 'created_at', 'email_verified_at', 'operator_since', 'disabled_at'] as const;
type SummaryRow = { id: string; email: string; created_at: Date; email_verified_at: Date | null; operator_since: Date | null; disabled_at: Date | null };

const summary = (row: SummaryRow): AccountSummary => ({
  id: row.id,
  email: row.email,
  created_at: row.created_at,
  email_verified: row.email_verified_at !== null,
  operator: row.operator_since !== null,
  disabled: row.disabled_at !== null,
});

const likeEscaped = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * What operators do to people's accounts (issue #13, point 2: users): find, look at
 * (factors and signed-in browsers, never the vault), disable and enable, sign out
 * everywhere. Every change takes an audit hook run in its transaction.
 */
export class AccountAdmin {
  constructor(
    private readonly db: Database,
    private readonly sessions: AccountSessions,
    /** Caches that may hold the account (findAccount's). */
    private readonly forget: (accountId: string) => void = () => {},
  ) {}

  /** Accounts whose address contains `email` (any case), oldest first. */
  async find(query: { email?: string; limit: number; offset: number }): Promise<AccountSummary[]> {
    let q = this.db.selectFrom('accounts').select(SUMMARY);
    if (query.email) q = q.where('email', 'like', `%${likeEscaped(query.email.toLowerCase())}%`);
    const rows = await q.orderBy('created_at').orderBy('id').limit(query.limit).offset(query.offset).execute();
    return rows.map(summary);
  }

  async details(id: string): Promise<AccountDetails | undefined> {
    const row = await this.db.selectFrom('accounts').select(SUMMARY).where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const [totp, codes, passkeys, sessions] = await Promise.all([
      this.db.selectFrom('account_totp').select('confirmed_at').where('account_id', '=', id).executeTakeFirst(),
      this.db
        .selectFrom('account_recovery_codes')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('account_id', '=', id)
        .where('used_at', 'is', null)
        .executeTakeFirstOrThrow(),
      this.db.selectFrom('account_passkeys').select((eb) => eb.fn.countAll<string>().as('n')).where('account_id', '=', id).executeTakeFirstOrThrow(),
      this.sessions.list(id),
    ]);
    const hasTotp = Boolean(totp?.confirmed_at);
    return {
      ...summary(row),
      email_verified_at: row.email_verified_at,
      operator_since: row.operator_since,
      disabled_at: row.disabled_at,
      factors: { totp: hasTotp, recovery_codes_left: hasTotp ? Number(codes.n) : 0, passkeys: Number(passkeys.n) },
      sessions,
    };
  }

  /**
   * The account can no longer sign in, and everything it was signed in with ends in
   * the same transaction: browser sessions, grants to services and their tokens,
   * sign-ins under way. Disabling a disabled account changes nothing.
   */
  async disable(id: string, audit?: AccountAudit): Promise<Outcome> {
    const outcome = await this.db.transaction().execute(async (trx) => {
      const account = await lockAccount(trx, id);
      if (!account) return undefined;
      if (account.disabled_at) return { account, changed: false };
      await trx.updateTable('accounts').set({ disabled_at: sql<Date>`now()`, updated_at: new Date() }).where('id', '=', id).execute();
      await endSessionsAndGrants(trx, id);
      await audit?.(trx, account);
      return { account, changed: true };
    });
    if (outcome?.changed) this.forget(id);
    return outcome && { account: { id: outcome.account.id, email: outcome.account.email }, changed: outcome.changed };
  }

  async enable(id: string, audit?: AccountAudit): Promise<Outcome> {
    const outcome = await this.db.transaction().execute(async (trx) => {
      const account = await lockAccount(trx, id);
      if (!account) return undefined;
      if (!account.disabled_at) return { account, changed: false };
      await trx.updateTable('accounts').set({ disabled_at: null, updated_at: new Date() }).where('id', '=', id).execute();
      await audit?.(trx, account);
      return { account, changed: true };
    });
    return outcome && { account: { id: outcome.account.id, email: outcome.account.email }, changed: outcome.changed };
  }

  /** Signs every browser of the account out; its grants to services stay. `result` is how many. */
  async signOutEverywhere(id: string, audit?: (trx: Database, account: { id: string; email: string }, sessions: number) => Promise<void>): Promise<Outcome<number>> {
    return this.db.transaction().execute(async (trx) => {
      const account = await lockAccount(trx, id);
      if (!account) return undefined;
      const ended = await endSessions(trx, id);
      // Recorded even when no browser was signed in: the operator asked, and the answer was "none".
      await audit?.(trx, account, ended);
      return { account: { id: account.id, email: account.email }, changed: ended > 0, result: ended };
    });
  }
}

/** The account row, locked until the transaction ends: concurrent changes to one account take turns. */
export function lockAccount(trx: Database, id: string) {
  return trx.selectFrom('accounts').select(['id', 'email', 'operator_since', 'disabled_at']).where('id', '=', id).forUpdate().executeTakeFirst();
}
