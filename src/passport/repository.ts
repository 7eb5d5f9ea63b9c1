import type { Database } from '../db/index.js';

export function releaseRepository(db: Database) {
  return {
    async create(release: { grant_id: string; account_id: string; client_id: string; jwe: string; element_types: string[]; file_ids: string[] }) {
      return db
        .insertInto('releases')
        .values({ ...release, element_types: JSON.stringify(release.element_types), file_ids: JSON.stringify(release.file_ids) })
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
        .select(['id', 'client_id', 'grant_id', 'element_types', 'created_at', 'revoked_at'])
        .where('account_id', '=', accountId)
        .orderBy('created_at', 'desc')
        .limit(200)
        .execute();
    },
    find(accountId: string, id: string) {
      return db.selectFrom('releases').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
    },
  };
}
