import { sql } from 'kysely';
import type { Database } from '../db/index.js';
import type { AccountRow } from '../db/schema.js';

export type PublicAccount = Pick<AccountRow, 'id' | 'email' | 'created_at' | 'email_verified_at'>;
/** The account row and whether it has a second factor (a confirmed TOTP, a passkey). */
export type SignInRow = AccountRow & { has_totp: boolean; has_passkeys: boolean };
const PUBLIC = ['id', 'email', 'created_at', 'email_verified_at'] as const;

export function accountRepository(db: Database) {
  return {
    findByEmail(email: string): Promise<AccountRow | undefined> {
      return db.selectFrom('accounts').selectAll().where('email', '=', email).executeTakeFirst();
    },
    /** What a password sign-in reads, in one statement: the row and its second factors. */
    findForSignIn(email: string): Promise<SignInRow | undefined> {
      return db
        .selectFrom('accounts')
        .selectAll('accounts')
        .select((eb) => [
          eb.exists(eb.selectFrom('account_totp').select(sql`1`.as('one')).whereRef('account_totp.account_id', '=', 'accounts.id').where('account_totp.confirmed_at', 'is not', null)).as('has_totp'),
          eb.exists(eb.selectFrom('account_passkeys').select(sql`1`.as('one')).whereRef('account_passkeys.account_id', '=', 'accounts.id')).as('has_passkeys'),
        ])
        .where('email', '=', email)
        .executeTakeFirst() as Promise<SignInRow | undefined>;
    },
    findById(id: string): Promise<PublicAccount | undefined> {
      return db.selectFrom('accounts').select(PUBLIC).where('id', '=', id).executeTakeFirst();
    },
    /** Inserts unless the email is taken; returns undefined when it is. */
    async create(email: string, passwordHash: string): Promise<PublicAccount | undefined> {
      return db
        .insertInto('accounts')
        .values({ email, password_hash: passwordHash, updated_at: new Date() })
        .onConflict((oc) => oc.column('email').doNothing())
        .returning(PUBLIC)
        .executeTakeFirst();
    },
    async updateHash(id: string, passwordHash: string): Promise<void> {
      await db.updateTable('accounts').set({ password_hash: passwordHash, updated_at: new Date() }).where('id', '=', id).execute();
    },
    /** A new address, not yet verified; false when another account has it. */
    async setEmail(id: string, email: string): Promise<boolean> {
      const result = await db
        .updateTable('accounts')
        .set({ email, email_verified_at: null, updated_at: new Date() })
        .where('id', '=', id)
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('accounts as other').select('other.id').where('other.email', '=', email).where('other.id', '<>', id))))
        .executeTakeFirst()
        .catch((error: { code?: string }) => {
          if (error.code === '23505') return { numUpdatedRows: 0n }; // unique_violation: taken meanwhile
          throw error;
        });
      return result.numUpdatedRows > 0n;
    },
    /** Marks the address verified, if it is still the account's address. */
    async markVerified(id: string, email: string): Promise<boolean> {
      const result = await db.updateTable('accounts').set({ email_verified_at: new Date() }).where('id', '=', id).where('email', '=', email).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    list(limit: number, offset: number): Promise<PublicAccount[]> {
      return db.selectFrom('accounts').select(PUBLIC).orderBy('created_at').limit(limit).offset(offset).execute();
    },
    async delete(id: string): Promise<boolean> {
      const result = await db.deleteFrom('accounts').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}

export type AccountRepository = ReturnType<typeof accountRepository>;
