import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../db/index.js';
import type { AccountLinkTable } from '../db/schema.js';

/**
 * Single-use links mailed to people: a 256-bit token in the URL, only its SHA-256
 * in the database (looked up by digest). Used once: the statement that marks it
 * used is the one that checks it, so two clicks at once cannot both pass.
 */
export type LinkPurpose = AccountLinkTable['purpose'];

/** How long a link works: a day to verify an address, half an hour to reset a password. */
export const LINK_TTL_SECONDS: Record<LinkPurpose, number> = { verify_email: 24 * 3600, reset_password: 30 * 60 };

export type LinkProblem = 'link_unknown' | 'link_used' | 'link_expired';

/** Why a link does not work; `code` doubles as the i18n key of the message. */
export class LinkError extends Error {
  constructor(readonly code: LinkProblem | 'link_stale') {
    super(code);
    this.name = 'LinkError';
  }
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function linkDigest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export interface LinkTarget {
  account_id: string;
  email: string;
}

export function accountLinks(db: Database) {
  return {
    /** A new link for the account; returns the token (mailed, never stored). */
    async create(accountId: string, purpose: LinkPurpose, email: string): Promise<string> {
      const token = randomBytes(32).toString('base64url');
      await db
        .insertInto('account_links')
        .values({
          digest: linkDigest(token),
          account_id: accountId,
          purpose,
          email,
          expires_at: sql<Date>`now() + make_interval(secs => ${LINK_TTL_SECONDS[purpose]})`,
        })
        .execute();
      return token;
    },

    /** What the link is for, without using it (a page that asks for a new password first). */
    async peek(token: unknown, purpose: LinkPurpose): Promise<LinkTarget> {
      if (typeof token !== 'string' || !TOKEN.test(token)) throw new LinkError('link_unknown');
      const row = await db
        .selectFrom('account_links')
        .select(['account_id', 'email', 'used_at', sql<boolean>`expires_at <= now()`.as('expired')])
        .where('digest', '=', linkDigest(token))
        .where('purpose', '=', purpose)
        .executeTakeFirst();
      if (!row) throw new LinkError('link_unknown');
      if (row.used_at) throw new LinkError('link_used');
      if (row.expired) throw new LinkError('link_expired');
      return { account_id: row.account_id, email: row.email };
    },

    /** Uses the link (once, atomically) or says why it cannot be used. Run it inside the transaction that acts on it. */
    async consume(token: unknown, purpose: LinkPurpose): Promise<LinkTarget> {
      if (typeof token !== 'string' || !TOKEN.test(token)) throw new LinkError('link_unknown');
      const digest = linkDigest(token);
      const used = await db
        .updateTable('account_links')
        .set({ used_at: sql<Date>`now()` })
        .where('digest', '=', digest)
        .where('purpose', '=', purpose)
        .where('used_at', 'is', null)
        .where('expires_at', '>', sql<Date>`now()`)
        .returning(['account_id', 'email'])
        .executeTakeFirst();
      if (used) return used;
      await this.peek(token, purpose); // throws the reason
      throw new LinkError('link_used'); // lost a race between the update and the read
    },

    /** Every unused link of the account for this purpose stops working (a reset, an address change). */
    async revokeAll(accountId: string, purpose: LinkPurpose): Promise<void> {
      await db
        .updateTable('account_links')
        .set({ used_at: sql<Date>`now()` })
        .where('account_id', '=', accountId)
        .where('purpose', '=', purpose)
        .where('used_at', 'is', null)
        .execute();
    },

    /** Links past their time, used or not, are of no use to anyone. */
    async removeStale(): Promise<void> {
      await db.deleteFrom('account_links').where('expires_at', '<', sql<Date>`now() - interval '1 day'`).execute();
    },
  };
}
