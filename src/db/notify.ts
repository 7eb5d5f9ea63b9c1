import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** The channel migration 0017's triggers notify on; the payload is one cache key. */
export const CACHE_CHANNEL = 'wathiqa_cache';
/** Notices of settle(): a node's own marker, not a cache key (other nodes ignore it). */
const SYNC = 'sync:';

/** Keys that changed, or `null`: anything may have changed (the listener was lost or is back). */
export type CacheChange = (key: string | null) => void;

/**
 * Cache invalidation through the database: the triggers of migration 0017 send the key
 * of every row changed or deleted, at commit, to every node listening. Caches may serve
 * only while `live`: a notification sent while nobody listened is lost, so on losing the
 * listener every cache is flushed and bypassed until the listener is back and LISTENs
 * again (and flushed once more then, for reads made during the gap).
 */
export interface CacheBus {
  readonly live: boolean;
  subscribe(listener: CacheChange): void;
  /**
   * Resolves once every notice of a transaction committed before the call has reached
   * this node's caches: read-your-writes for a change made here by direct SQL, whose
   * notice comes back through the listener a moment after the commit.
   */
  settle(): Promise<void>;
  close(): Promise<void>;
}

abstract class BusBase implements CacheBus {
  private readonly listeners: CacheChange[] = [];
  protected alive = false;

  get live(): boolean {
    return this.alive;
  }

  subscribe(listener: CacheChange): void {
    this.listeners.push(listener);
  }

  protected emit(key: string | null): void {
    for (const listener of this.listeners) listener(key);
  }

  settle(): Promise<void> {
    return Promise.resolve();
  }

  abstract close(): Promise<void>;
}

/** The embedded engine delivers notifications in-process, before the writing query returns. */
export class PgliteCacheBus extends BusBase {
  private stop?: () => Promise<void>;

  static async start(pglite: PGlite): Promise<PgliteCacheBus> {
    const bus = new PgliteCacheBus();
    bus.stop = await pglite.listen(CACHE_CHANNEL, (key) => bus.emit(key));
    bus.alive = true;
    return bus;
  }

  async close(): Promise<void> {
    this.alive = false;
    this.emit(null);
    await this.stop?.().catch(() => undefined);
  }
}

export interface PgBusOptions {
  /** Told when the listener is lost and when it is back (never given the connection string). */
  onState?: (live: boolean, reason?: string) => void;
  /** How often the listening connection is checked; a silently dead one stops the caches. */
  heartbeatMs?: number;
}

/**
 * PostgreSQL: one connection of its own per node, outside the pool, that only LISTENs.
 * A terminated backend or a restart ends it ('error'/'end'); a half-open TCP connection
 * is caught by a `select 1` every second that must answer within the next one. Either
 * way the caches flush and stop serving, and it reconnects with a growing delay.
 */
export class PgCacheBus extends BusBase {
  private client?: pg.Client;
  private closed = false;
  private retryMs = 100;
  private timer?: NodeJS.Timeout;
  private readonly heartbeat: NodeJS.Timeout;
  private beatPending = false;

  constructor(
    private readonly connectionString: string,
    private readonly options: PgBusOptions = {},
  ) {
    super();
    const every = options.heartbeatMs ?? 1000;
    this.heartbeat = setInterval(() => this.beat(every), every);
    this.heartbeat.unref();
    void this.connect();
  }

  private readonly waiting = new Map<string, () => void>();
  private syncs = 0;

  /**
   * PostgreSQL delivers notices in commit order: once a notice this node sends now comes
   * back, every notice committed before it has been handled. If it does not come back
   * within a second, the caches are flushed instead (never served stale).
   */
  override async settle(): Promise<void> {
    const client = this.client;
    if (!this.alive || !client) return; // nothing is served while the listener is away
    const token = `${SYNC}${process.pid}:${++this.syncs}`;
    const back = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 1000);
      timer.unref();
      this.waiting.set(token, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    try {
      await client.query('select pg_notify($1, $2)', [CACHE_CHANNEL, token]);
      if (!(await back)) this.emit(null);
    } catch {
      this.emit(null);
    } finally {
      this.waiting.delete(token);
    }
  }

  private synced(token: string): void {
    this.waiting.get(token)?.();
  }

  /** The listening connection's backend (tests terminate it). */
  get backendPid(): number | undefined {
    return (this.client as { processID?: number } | undefined)?.processID;
  }

  /** Resolves once listening (or after `timeoutMs`); for start-up and tests. */
  async ready(timeoutMs = 5000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (!this.alive && !this.closed && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    return this.alive;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({
      connectionString: this.connectionString,
      keepAlive: true,
      connectionTimeoutMillis: 5000,
      application_name: 'wathiqa cache listener',
    });
    this.client = client;
    client.on('notification', (message) => {
      if (message.channel !== CACHE_CHANNEL || !message.payload) return;
      if (message.payload.startsWith(SYNC)) return this.synced(message.payload);
      this.emit(message.payload);
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CACHE_CHANNEL}`);
    } catch (error) {
      this.lost(client, error as Error);
      return;
    }
    if (this.client !== client || this.closed) return;
    this.retryMs = 100;
    this.alive = true;
    // Reads made before LISTEN took effect may predate a change whose notice went nowhere.
    this.emit(null);
    this.options.onState?.(true);
  }

  private beat(timeoutMs: number): void {
    const client = this.client;
    if (!this.alive || !client || this.beatPending) return;
    this.beatPending = true;
    const timer = setTimeout(() => this.lost(client, new Error('heartbeat timed out')), timeoutMs);
    client.query('select 1').then(
      () => {
        clearTimeout(timer);
        this.beatPending = false;
      },
      (error: Error) => {
        clearTimeout(timer);
        this.beatPending = false;
        this.lost(client, error);
      },
    );
  }

  private lost(client: pg.Client, error?: Error): void {
    if (this.client !== client) return; // an older connection's late event
    this.client = undefined;
    this.beatPending = false;
    const wasLive = this.alive;
    this.alive = false;
    this.emit(null);
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.closed) return;
    if (wasLive) this.options.onState?.(false, (error as { code?: string } | undefined)?.code ?? error?.message ?? 'connection ended');
    this.timer = setTimeout(() => void this.connect(), this.retryMs);
    this.timer.unref();
    this.retryMs = Math.min(this.retryMs * 2, 2000);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.timer);
    this.alive = false;
    this.emit(null);
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners('end');
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
    }
  }
}
