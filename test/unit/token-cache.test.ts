import { describe, expect, it } from '@jest/globals';
import type { CacheBus, CacheChange } from '../../src/db/notify.js';
import { ReadCache } from '../../src/oidc/token-cache.js';

/** A bus driven by the test: notices and the listener's state by hand. */
class ManualBus implements CacheBus {
  live = true;
  private listeners: CacheChange[] = [];
  subscribe(listener: CacheChange): void {
    this.listeners.push(listener);
  }
  notify(key: string | null): void {
    for (const listener of this.listeners) listener(key);
  }
  async settle(): Promise<void> {}
  async close(): Promise<void> {}
}

describe('ReadCache', () => {
  it('serves what was put, and drops it on its notice (a grant notice takes its release too)', () => {
    const bus = new ManualBus();
    const cache = new ReadCache(bus);
    cache.put('at:x', 'token', cache.generation);
    cache.put('g:1', 'grant', cache.generation);
    cache.put('r:1', 'jwe', cache.generation);
    expect(cache.get('at:x')).toBe('token');
    bus.notify('at:x');
    bus.notify('g:1');
    expect(cache.get('at:x')).toBeUndefined();
    expect(cache.get('g:1')).toBeUndefined();
    expect(cache.get('r:1')).toBeUndefined();
  });

  it('does not store a read that a notice overtook', () => {
    const bus = new ManualBus();
    const cache = new ReadCache(bus);
    const before = cache.generation;
    bus.notify('at:x'); // the row changed while the SELECT that saw the old one was in flight
    cache.put('at:x', 'stale', before);
    expect(cache.get('at:x')).toBeUndefined();
  });

  it('neither serves nor stores while the listener is down, and is empty when it is back', () => {
    const bus = new ManualBus();
    const cache = new ReadCache(bus);
    cache.put('at:x', 'token', cache.generation);
    bus.live = false;
    bus.notify(null);
    expect(cache.get('at:x')).toBeUndefined();
    cache.put('at:y', 'token', cache.generation);
    bus.live = true;
    bus.notify(null);
    expect(cache.get('at:x')).toBeUndefined();
    expect(cache.get('at:y')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('is bounded by entries and bytes, oldest first, and honours expiry', () => {
    const cache = new ReadCache(new ManualBus(), { entries: 3, bytes: 1600 });
    for (const key of ['a', 'b', 'c', 'd']) cache.put(key, key, cache.generation, Infinity, 10);
    expect(cache.size).toBe(3);
    expect(cache.get('a')).toBeUndefined();
    cache.put('big', 'x', cache.generation, Infinity, 95);
    cache.put('big2', 'x', cache.generation, Infinity, 95);
    expect(cache.size).toBeLessThanOrEqual(3);
    cache.put('gone', 'x', cache.generation, Date.now() - 1, 10);
    expect(cache.get('gone')).toBeUndefined();
    cache.put('huge', 'x', cache.generation, Infinity, 1000);
    expect(cache.get('huge')).toBeUndefined();
  });
});
