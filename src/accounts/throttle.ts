import { sql } from 'kysely';
import type { Database } from '../db/index.js';

export interface Limit {
  max: number;
  windowSeconds: number;
  /** When set, reaching `max` locks the key for this long, past the window's end. */
  lockSeconds?: number;
}

export interface ThrottleState {
  blocked: boolean;
  retryAfterSeconds: number;
  /** A counter row exists (so there is something to clear). */
  exists: boolean;
}

/**
 * Fixed-window counters in the database, so every node sees the same counts.
 * One statement per hit; no read-modify-write race.
 */
export class Throttle {
  constructor(private readonly db: Database) {}

  async check(key: string, limit: Limit): Promise<ThrottleState> {
    return (await this.checkAll([{ key, limit }]))[0]!;
  }

  /** Several counters in one round trip, in the order given. */
  async checkAll(counters: { key: string; limit: Limit }[]): Promise<ThrottleState[]> {
    const rows = await this.db
      .selectFrom('throttle')
      .select([
        'key',
        'count',
        sql<number>`extract(epoch from (now() - window_start))`.as('age'),
        sql<number | null>`extract(epoch from (locked_until - now()))`.as('lock_left'),
      ])
      .where(
        'key',
        'in',
        counters.map((c) => c.key),
      )
      .execute();
    return counters.map(({ key, limit }) => {
      const row = rows.find((r) => r.key === key);
      if (!row) return { blocked: false, retryAfterSeconds: 0, exists: false };
      const lockLeft = Number(row.lock_left ?? 0);
      if (lockLeft > 0) return { blocked: true, retryAfterSeconds: lockLeft, exists: true };
      const windowLeft = limit.windowSeconds - Number(row.age);
      if (windowLeft > 0 && row.count >= limit.max) return { blocked: true, retryAfterSeconds: windowLeft, exists: true };
      return { blocked: false, retryAfterSeconds: 0, exists: true };
    });
  }

  /** Counts one hit; returns the count in the current window. */
  async hit(key: string, limit: Limit): Promise<number> {
    const expired = sql<boolean>`throttle.window_start <= now() - make_interval(secs => ${limit.windowSeconds})`;
    const row = await this.db
      .insertInto('throttle')
      .values({ key, window_start: sql<Date>`now()`, count: 1, locked_until: null })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          window_start: sql<Date>`case when ${expired} then now() else throttle.window_start end`,
          count: sql<number>`case when ${expired} then 1 else throttle.count + 1 end`,
        }),
      )
      .returning('count')
      .executeTakeFirstOrThrow();
    if (limit.lockSeconds && row.count >= limit.max) {
      await this.db
        .updateTable('throttle')
        .set({ locked_until: sql<Date>`now() + make_interval(secs => ${limit.lockSeconds})` })
        .where('key', '=', key)
        .execute();
    }
    return row.count;
  }

  async clear(key: string): Promise<void> {
    await this.db.deleteFrom('throttle').where('key', '=', key).execute();
  }

  /** Drops counters whose window and lock are both over. */
  async removeStale(maxWindowSeconds: number): Promise<void> {
    await this.db
      .deleteFrom('throttle')
      .where('window_start', '<', sql<Date>`now() - make_interval(secs => ${maxWindowSeconds})`)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', sql<Date>`now()`)]))
      .execute();
  }
}
