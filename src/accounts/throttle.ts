import { sql, type RawBuilder } from 'kysely';
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
}

export interface Counter {
  key: string;
  limit: Limit;
}

/** The outcome of counting one attempt: `allowed` when the new count is within the limit. */
export interface Attempt {
  allowed: boolean;
  count: number;
  retryAfterSeconds: number;
}

interface AttemptRow {
  i: number;
  count: number;
  lock_left: number | null;
  window_left: number;
}

/**
 * Fixed-window counters in the database, so every node sees the same counts.
 * An attempt is counted before the work it guards, in the statement that reads the
 * new count, so requests in flight at the same time cannot all pass.
 */
export class Throttle {
  constructor(private readonly db: Database) {}

  /**
   * Counts one attempt on each counter, in order, in one statement; a counter is
   * touched only if every one before it allowed the attempt (so a refused IP cannot
   * lock someone's account). Counters not reached come back undefined.
   */
  async take(counters: Counter[]): Promise<(Attempt | undefined)[]> {
    const ctes = counters.map(({ key, limit }, i) => {
      const prev = i === 0 ? sql`` : sql`from ${sql.raw(`c${i - 1}`)} as p where p.count <= ${counters[i - 1]!.limit.max}`;
      return sql`${sql.raw(`c${i}`)} as (${upsert(key, limit, prev)})`;
    });
    const selects = counters.map((_, i) => sql`select ${sql.lit(i)}::int as i, * from ${sql.raw(`c${i}`)}`);
    const { rows } = await sql<AttemptRow>`with ${sql.join(ctes)} ${sql.join(selects, sql` union all `)}`.execute(this.db);
    return counters.map(({ limit }, i) => {
      const row = rows.find((r) => r.i === i);
      if (!row) return undefined;
      const allowed = row.count <= limit.max;
      const retryAfterSeconds = allowed ? 0 : Math.max(0, Number(row.lock_left ?? 0), Number(row.window_left));
      return { allowed, count: row.count, retryAfterSeconds };
    });
  }

  /** Counts one hit; returns the count in the current window. */
  async hit(key: string, limit: Limit): Promise<number> {
    return (await this.take([{ key, limit }]))[0]!.count;
  }

  /** Whether the next attempt would be refused (read only). */
  async check(key: string, limit: Limit): Promise<ThrottleState> {
    const row = await this.db
      .selectFrom('throttle')
      .select([
        'count',
        sql<number>`extract(epoch from (now() - window_start))`.as('age'),
        sql<number | null>`extract(epoch from (locked_until - now()))`.as('lock_left'),
      ])
      .where('key', '=', key)
      .executeTakeFirst();
    if (!row) return { blocked: false, retryAfterSeconds: 0 };
    const lockLeft = Number(row.lock_left ?? 0);
    if (lockLeft > 0) return { blocked: true, retryAfterSeconds: lockLeft };
    const windowLeft = limit.windowSeconds - Number(row.age);
    if (windowLeft > 0 && row.count >= limit.max) return { blocked: true, retryAfterSeconds: windowLeft };
    return { blocked: false, retryAfterSeconds: 0 };
  }

  /**
   * After a success: `clear` drops counters (and their locks), `forgive` takes back
   * one counted attempt. One statement: the forgiven rows (the IP) are locked before
   * the cleared ones (the account), the order `take` locks them in, so the two never
   * wait for each other in a cycle. The delete's condition reads the update's result,
   * which makes PostgreSQL run the update first.
   */
  async settle({ clear = [], forgive = [] }: { clear?: string[]; forgive?: string[] }): Promise<void> {
    if (clear.length === 0 && forgive.length === 0) return;
    await sql`with forgiven as (
        update throttle set count = greatest(count - 1, 0) where key = any(${forgive}::text[]) returning 1
      )
      delete from throttle where key = any(${clear}::text[]) and (select count(*) from forgiven) >= 0`.execute(this.db);
  }

  async clear(key: string): Promise<void> {
    await this.settle({ clear: [key] });
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

/**
 * One counter's increment. A window that is over (and not held by a lock) starts
 * again at 1. The lock is set once, by the attempt that brings the count to `max`;
 * later attempts are refused by the count itself until the window and lock are over.
 */
function upsert(key: string, limit: Limit, from: RawBuilder<unknown>): RawBuilder<unknown> {
  const window = sql`make_interval(secs => ${limit.windowSeconds})`;
  const lockUntil = limit.lockSeconds ? sql`now() + make_interval(secs => ${limit.lockSeconds})` : sql`null`;
  const firstLock = limit.max <= 1 ? lockUntil : sql`null`;
  const over = sql`t.window_start <= now() - ${window} and (t.locked_until is null or t.locked_until <= now())`;
  return sql`insert into throttle as t (key, window_start, count, locked_until)
    select ${key}, now(), 1, (${firstLock})::timestamptz ${from}
    on conflict (key) do update set
      window_start = case when ${over} then now() else t.window_start end,
      count = case when ${over} then 1 else t.count + 1 end,
      locked_until = case when ${over} then (${firstLock})::timestamptz
        when t.count + 1 = ${limit.max} then (${lockUntil})::timestamptz else t.locked_until end
    returning t.count,
      extract(epoch from (t.locked_until - now()))::float8 as lock_left,
      (extract(epoch from (t.window_start - now())) + ${limit.windowSeconds})::float8 as window_left`;
}
