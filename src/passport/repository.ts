import type { Database } from '../db/index.js';

export function releaseRepository(db: Database) {
  return {
    async create(release: {
      grant_id: string;
      account_id: string;
      client_id: string;
      jwe: string;
      element_types: string[];
      file_ids: string[];
      refs?: string[];
      record_id?: string | null;
      sharing_record?: string | null;
    }) {
      return db
        .insertInto('releases')
        .values({ ...release, element_types: JSON.stringify(release.element_types), file_ids: JSON.stringify(release.file_ids), refs: JSON.stringify(release.refs ?? []) })
        .returning(['id', 'created_at'])
        .executeTakeFirstOrThrow();
    },
    /** The live (not revoked) release of a grant. */
    forGrant(grantId: string) {
      return db
        .selectFrom('releases')
        .select(['id', 'jwe', 'account_id', 'file_ids'])
        .where('grant_id', '=', grantId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
    },
    list(accountId: string) {
      return db
        .selectFrom('releases')
        .select(['id', 'client_id', 'grant_id', 'element_types', 'created_at', 'revoked_at', 'record_id', 'errors', 'errors_at'])
        .select((eb) => eb('sharing_record', 'is not', null).as('has_record'))
        .where('account_id', '=', accountId)
        .orderBy('created_at', 'desc')
        .limit(200)
        .execute();
    },
    /** The sealed sharing record of one of the holder's releases. */
    record(accountId: string, id: string) {
      return db.selectFrom('releases').select(['id', 'client_id', 'record_id', 'sharing_record']).where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
    },
    /**
     * Replaces the RP's open errors on a live release, in one statement: a report
     * racing a revocation either lands before it or finds no live row.
     */
    async replaceErrors(id: string, errors: unknown[]) {
      const result = await db
        .updateTable('releases')
        .set({ errors: JSON.stringify(errors), errors_at: new Date() })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    find(accountId: string, id: string) {
      return db.selectFrom('releases').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
    },
  };
}
