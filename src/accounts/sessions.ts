import { sql } from 'kysely';
import type { Database } from '../db/index.js';
import { TtlCache } from '../oidc/adapter.js';
import { coarseNetwork, describeDevice } from './device.js';

/** "Last seen" is kept to this many seconds: a busy browser writes at most once per period. */
export const SEEN_GRANULARITY_SECONDS = 60;

/** The signed-in browser of a request: oidc-provider's session uid and its account. */
export interface SessionRef {
  uid: string;
  accountId: string;
}

/** A browser signed in to the account, as the account page lists it. */
export interface SignedInBrowser {
  uid: string;
  browser: string | null;
  os: string | null;
  network: string | null;
  /** When the account signed in on it (oidc-provider's loginTs). */
  signedInAt: Date | null;
  /** Null for a session that has not been seen since this was recorded (it shows its sign-in time). */
  lastSeenAt: Date | null;
  current: boolean;
}

interface SessionRow {
  uid: string;
  login_ts: string | number | null;
  browser: string | null;
  os: string | null;
  network: string | null;
  last_seen_at: Date | string | null;
}

/**
 * The account's signed-in browsers (issue "People's accounts", point 6). The
 * sessions are oidc-provider's (kind 'Session' in oidc_payloads); this keeps beside
 * them, in the database so every node and restart sees it, a coarse description of
 * each and when it was last seen. Signing a browser out deletes its session row,
 * which is all it takes: the cookie then names nothing, and tokens that expire with
 * the session stop working.
 */
export class AccountSessions {
  /** Sessions this node recorded within the period: their next requests write nothing. */
  private readonly recent = new TtlCache<true>(SEEN_GRANULARITY_SECONDS * 1000);

  constructor(private readonly db: Database) {}

  /**
   * Records that the session was used now, from this User-Agent and address. At most
   * once a period per session: skipped on this node by memory, and on every node by
   * the statement itself, which only replaces a row older than the period (or one
   * that named another account on the same browser).
   */
  async seen(session: SessionRef, userAgent: string | undefined, ip: string | undefined): Promise<void> {
    const key = `${session.uid}|${session.accountId}`;
    if (this.recent.get(key)) return;
    this.recent.set(key, true);
    const { browser, os } = describeDevice(userAgent);
    const network = coarseNetwork(ip);
    await this.db
      .insertInto('account_sessions')
      .values({ uid: session.uid, account_id: session.accountId, browser, os, network, last_seen_at: sql<Date>`now()` })
      .onConflict((oc) =>
        oc
          .column('uid')
          .doUpdateSet({
            account_id: (eb) => eb.ref('excluded.account_id'),
            browser: (eb) => eb.ref('excluded.browser'),
            os: (eb) => eb.ref('excluded.os'),
            network: (eb) => eb.ref('excluded.network'),
            last_seen_at: sql<Date>`now()`,
          })
          .where((eb) =>
            eb.or([
              eb('account_sessions.last_seen_at', '<=', sql<Date>`now() - make_interval(secs => ${SEEN_GRANULARITY_SECONDS})`),
              eb('account_sessions.account_id', '<>', eb.ref('excluded.account_id')),
            ]),
          ),
      )
      .execute();
  }

  /** The account's live sessions: this browser's (`currentUid`) first, then the most recently seen. */
  async list(accountId: string, currentUid?: string): Promise<SignedInBrowser[]> {
    const { rows } = await sql<SessionRow>`
      select s.uid, s.payload->>'loginTs' as login_ts, a.browser, a.os, a.network, a.last_seen_at
      from oidc_payloads s
      left join account_sessions a on a.uid = s.uid and a.account_id = ${accountId}::uuid
      where s.kind = 'Session' and s.payload->>'accountId' = ${accountId}
        and (s.expires_at is null or s.expires_at > now())
      order by s.uid = ${currentUid ?? ''} desc, coalesce(a.last_seen_at, to_timestamp((s.payload->>'loginTs')::float8)) desc nulls last, s.uid`.execute(this.db);
    return rows.map((row) => ({
      uid: row.uid,
      browser: row.browser,
      os: row.os,
      network: row.network,
      signedInAt: row.login_ts === null ? null : new Date(Number(row.login_ts) * 1000),
      lastSeenAt: row.last_seen_at === null ? null : new Date(row.last_seen_at),
      current: row.uid === currentUid,
    }));
  }

  /**
   * Signs one browser out (never the caller's own: that is the ordinary sign-out,
   * which also ends its sign-ins at services). False when the account has no such session.
   */
  async signOut(accountId: string, uid: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const gone = await trx
        .deleteFrom('oidc_payloads')
        .where('kind', '=', 'Session')
        .where('uid', '=', uid)
        .where(sql<string>`payload->>'accountId'`, '=', accountId)
        .executeTakeFirst();
      await trx.deleteFrom('account_sessions').where('uid', '=', uid).where('account_id', '=', accountId).execute();
      this.recent.invalidate(`${uid}|${accountId}`);
      return gone.numDeletedRows > 0n;
    });
  }

  /** Signs out every browser of the account but `keepUid`; returns how many went. */
  async signOutOthers(accountId: string, keepUid: string): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const gone = await trx
        .deleteFrom('oidc_payloads')
        .where('kind', '=', 'Session')
        .where(sql<string>`payload->>'accountId'`, '=', accountId)
        .where('uid', '<>', keepUid)
        .returning('uid')
        .execute();
      await trx.deleteFrom('account_sessions').where('account_id', '=', accountId).where('uid', '<>', keepUid).execute();
      for (const { uid } of gone) if (uid) this.recent.invalidate(`${uid}|${accountId}`);
      return gone.length;
    });
  }

  /** Descriptions whose session is over (expired, signed out, or ended at /session/end). */
  async removeStale(): Promise<void> {
    await sql`delete from account_sessions a where not exists (
      select 1 from oidc_payloads s where s.kind = 'Session' and s.uid = a.uid and (s.expires_at is null or s.expires_at > now()))`.execute(this.db);
  }
}
