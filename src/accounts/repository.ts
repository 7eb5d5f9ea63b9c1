import type { Database } from '../db/index.js';
import type { AccountRow } from '../db/schema.js';

export type PublicAccount = Pick<AccountRow, 'id' | 'email' | 'created_at'>;

export function accountRepository(db: Database) {
  return {
    findByEmail(email: string): Promise<AccountRow | undefined> {
      return db.selectFrom('accounts').selectAll().where('email', '=', email).executeTakeFirst();
    },
    findById(id: string): Promise<PublicAccount | undefined> {
      return db.selectFrom('accounts').select(['id', 'email', 'created_at']).where('id', '=', id).executeTakeFirst();
    },
    /** Inserts unless the email is taken; returns undefined when it is. */
    async create(email: string, passwordHash: string): Promise<PublicAccount | undefined> {
      return db
        .insertInto('accounts')
        .values({ email, password_hash: passwordHash, updated_at: new Date() })
        .onConflict((oc) => oc.column('email').doNothing())
        .returning(['id', 'email', 'created_at'])
        .executeTakeFirst();
    },
    async updateHash(id: string, passwordHash: string): Promise<void> {
      await db.updateTable('accounts').set({ password_hash: passwordHash, updated_at: new Date() }).where('id', '=', id).execute();
    },
    list(limit: number, offset: number): Promise<PublicAccount[]> {
      return db.selectFrom('accounts').select(['id', 'email', 'created_at']).orderBy('created_at').limit(limit).offset(offset).execute();
    },
    async delete(id: string): Promise<boolean> {
      const result = await db.deleteFrom('accounts').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}

export type AccountRepository = ReturnType<typeof accountRepository>;
