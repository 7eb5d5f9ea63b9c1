import { sql } from 'kysely';
import type { Database } from '../db/index.js';
import type { AccountAudit, Outcome } from './admin.js';
import { lockAccount } from './admin.js';

export interface Operator {
  id: string;
  email: string;
  operator_since: Date;
}

/**
 * The operator role (issue #13, point 1): an account with `operator_since` set may
 * use the console. Granted and revoked by email (CLI, admin API, console). A disabled
 * account is no operator while it stays disabled.
 */
export class Operators {
  constructor(private readonly db: Database) {}

  /** The operator behind an account id, if it is one (and not disabled). */
  async find(accountId: string): Promise<Operator | undefined> {
    const row = await this.db
      .selectFrom('accounts')
      .select(['id', 'email', 'operator_since'])
      .where('id', '=', accountId)
      .where('operator_since', 'is not', null)
      .where('disabled_at', 'is', null)
      .executeTakeFirst();
    return row ? { id: row.id, email: row.email, operator_since: row.operator_since! } : undefined;
  }

  async isOperator(accountId: string): Promise<boolean> {
    return (await this.find(accountId)) !== undefined;
  }

  /** Every operator, oldest first. */
  async list(): Promise<Operator[]> {
    const rows = await this.db
      .selectFrom('accounts')
      .select(['id', 'email', 'operator_since'])
      .where('operator_since', 'is not', null)
      .orderBy('operator_since')
      .execute();
    return rows.map((r) => ({ id: r.id, email: r.email, operator_since: r.operator_since! }));
  }

  /** Makes the account with this (normalized) email an operator; granting twice changes nothing. */
  grant(email: string, audit?: AccountAudit): Promise<Outcome> {
    return this.set(email, true, audit);
  }

  revoke(email: string, audit?: AccountAudit): Promise<Outcome> {
    return this.set(email, false, audit);
  }

  private set(email: string, on: boolean, audit?: AccountAudit): Promise<Outcome> {
    return this.db.transaction().execute(async (trx) => {
      const found = await trx.selectFrom('accounts').select('id').where('email', '=', email).executeTakeFirst();
      const account = found && (await lockAccount(trx, found.id));
      if (!account) return undefined;
      const result = { account: { id: account.id, email: account.email }, changed: false };
      if ((account.operator_since !== null) === on) return result;
      await trx
        .updateTable('accounts')
        .set({ operator_since: on ? sql<Date>`now()` : null, updated_at: new Date() })
        .where('id', '=', account.id)
        .execute();
      await audit?.(trx, result.account);
      return { ...result, changed: true };
    });
  }
}
