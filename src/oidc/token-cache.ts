import type { CacheBus } from '../db/notify.js';

/**
 * What userinfo reads, kept on this node so a warm request makes no SQL statement:
 * access tokens (`at:<digest>`), grants (`g:<id>`) and passport release JWEs
 * (`r:<grant id>`). Correct across nodes only through the bus (migration 0017's
 * triggers): an entry goes when its row changes anywhere, within the notification's
 * delivery time. While the bus is not live nothing is served or stored.
 *
 * A read that raced a change must not be stored: a notice can arrive while the
 * SELECT that still saw the old row is in flight. So `generation` is taken before the
 * read and `put` stores only if no notice (for any key) came in between.
 *
 * Bounded by entries and by an estimate of bytes; the oldest entries go first.
 * Entries also expire with their row and after `maxAgeMs` at most.
 */
export interface ReadCacheLimits {
  entries: number;
  bytes: number;
  maxAgeMs: number;
}

const DEFAULTS: ReadCacheLimits = { entries: 10_000, bytes: 16 * 1024 * 1024, maxAgeMs: 5 * 60_000 };

interface Entry {
  value: unknown;
  expires: number;
  bytes: number;
}

export class ReadCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private gen = 0;
  readonly limits: ReadCacheLimits;

  constructor(
    private readonly bus: CacheBus,
    limits: Partial<ReadCacheLimits> = {},
  ) {
    this.limits = { ...DEFAULTS, ...limits };
    bus.subscribe((key) => this.changed(key));
  }

  get size(): number {
    return this.entries.size;
  }

  get generation(): number {
    return this.gen;
  }

  get<T>(key: string): T | undefined {
    if (!this.bus.live) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires > Date.now()) return entry.value as T;
    this.remove(key);
    return undefined;
  }

  /**
   * Stores `value` read at `generation` unless anything changed since. `expiresAt`
   * (ms) is the row's own expiry; `bytes` a rough size (strings count their length).
   */
  put(key: string, value: unknown, generation: number, expiresAt = Infinity, bytes = 1024): void {
    if (!this.bus.live || generation !== this.gen || bytes > this.limits.bytes / 16) return;
    const expires = Math.min(expiresAt, Date.now() + this.limits.maxAgeMs);
    if (expires <= Date.now()) return;
    this.remove(key);
    while (this.entries.size >= this.limits.entries || this.bytes + bytes > this.limits.bytes) {
      const oldest = this.entries.keys().next().value as string | undefined;
      if (oldest === undefined) break;
      this.remove(oldest);
    }
    this.entries.set(key, { value, expires, bytes });
    this.bytes += bytes;
  }

  /** Waits until the notices of what this node just committed have been applied (CacheBus.settle). */
  settle(): Promise<void> {
    return this.bus.settle();
  }

  /** This node changed the row: gone now, before the notice comes back. */
  invalidate(key: string): void {
    this.changed(key);
  }

  /** Drops every entry `test` picks (a scan: for rare changes only, such as a revoked grant). */
  dropIf(test: (key: string, value: unknown) => boolean): void {
    this.gen++;
    for (const [key, entry] of this.entries) if (test(key, entry.value)) this.remove(key);
  }

  private changed(key: string | null): void {
    this.gen++;
    if (key === null) {
      this.entries.clear();
      this.bytes = 0;
      return;
    }
    this.remove(key);
    // A grant's notice covers its release too (both are keyed by the grant id).
    if (key.startsWith('g:')) this.remove(`r:${key.slice(2)}`);
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}
