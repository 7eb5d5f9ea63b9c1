import { describe, expect, it, jest } from '@jest/globals';
import { IdleTimer, type Clock } from '../../src/web/vault/idle.js';
import { observeVersion, seenVersion, versionKey, type VersionStore } from '../../src/web/vault/rollback.js';
import { BlobUrls, KeyBox, LockedError } from '../../src/web/vault/session.js';

/** A clock whose time and timers move only when told. */
function fakeClock() {
  let now = 1_000_000;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let next = 1;
  const clock: Clock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = next++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (id) => {
      timers = timers.filter((t) => t.id !== id);
    },
  };
  return {
    clock,
    advance(ms: number) {
      const target = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.fn();
      }
      now = target;
    },
    jump(ms: number) {
      now += ms; // time passes while timers do not run (a sleeping laptop)
    },
    pending: () => timers.length,
  };
}

describe('IdleTimer', () => {
  const MINUTES = 60_000;

  it('fires after five quiet minutes, not before, and only once', () => {
    const time = fakeClock();
    const target = new EventTarget();
    const onIdle = jest.fn();
    const timer = new IdleTimer({ timeoutMs: 5 * MINUTES, onIdle, target, clock: time.clock });
    timer.start();
    time.advance(5 * MINUTES - 1);
    expect(onIdle).not.toHaveBeenCalled();
    time.advance(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
    expect(timer.active).toBe(false);
    time.advance(20 * MINUTES);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('pointer, key and input events push the deadline back', () => {
    const time = fakeClock();
    const target = new EventTarget();
    const onIdle = jest.fn();
    const timer = new IdleTimer({ timeoutMs: 5 * MINUTES, onIdle, target, clock: time.clock });
    timer.start();
    for (const type of ['pointermove', 'keydown', 'input', 'pointerdown', 'wheel']) {
      time.advance(4 * MINUTES);
      target.dispatchEvent(new Event(type));
    }
    expect(onIdle).not.toHaveBeenCalled();
    time.advance(5 * MINUTES);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('an unrelated event is not activity; stop() removes the listeners and the timer', () => {
    const time = fakeClock();
    const target = new EventTarget();
    const onIdle = jest.fn();
    const timer = new IdleTimer({ timeoutMs: 5 * MINUTES, onIdle, target, clock: time.clock });
    timer.start();
    time.advance(4 * MINUTES);
    target.dispatchEvent(new Event('message'));
    time.advance(MINUTES);
    expect(onIdle).toHaveBeenCalledTimes(1);

    timer.start();
    timer.stop();
    expect(time.pending()).toBe(0);
    time.advance(10 * MINUTES);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('check() locks at once after the machine slept past the deadline', () => {
    const time = fakeClock();
    const onIdle = jest.fn();
    const timer = new IdleTimer({ timeoutMs: 5 * MINUTES, onIdle, target: new EventTarget(), clock: time.clock });
    timer.start();
    time.jump(30 * MINUTES);
    timer.check();
    expect(onIdle).toHaveBeenCalledTimes(1);
  });
});

class MemoryStore implements VersionStore {
  readonly map = new Map<string, string>();
  getItem(key: string) {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.map.set(key, value);
  }
}

describe('rollback detection', () => {
  const vaultId = '2f1c6d1e-3a5b-4c7d-8e9f-0a1b2c3d4e5f';

  it('remembers the highest version per vault and warns on a lower one', () => {
    const store = new MemoryStore();
    expect(observeVersion(store, vaultId, 3)).toEqual({ rolledBack: false, seen: 0 });
    expect(observeVersion(store, vaultId, 7)).toEqual({ rolledBack: false, seen: 3 });
    expect(observeVersion(store, vaultId, 7)).toEqual({ rolledBack: false, seen: 7 });
    expect(observeVersion(store, vaultId, 5)).toEqual({ rolledBack: true, seen: 7 });
    // A rollback does not lower what was seen: the warning stays.
    expect(seenVersion(store, vaultId)).toBe(7);
    expect(observeVersion(store, vaultId, 6).rolledBack).toBe(true);
    // Another vault has its own record.
    expect(observeVersion(store, '00000000-0000-4000-8000-000000000000', 1).rolledBack).toBe(false);
    expect(store.map.get(versionKey(vaultId))).toBe('7');
  });

  it('stores only a number, and survives broken or missing storage', () => {
    const store = new MemoryStore();
    store.setItem(versionKey(vaultId), 'garbage');
    expect(observeVersion(store, vaultId, 2)).toEqual({ rolledBack: false, seen: 0 });
    const throwing: VersionStore = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
    };
    expect(observeVersion(throwing, vaultId, 2)).toEqual({ rolledBack: false, seen: 0 });
    expect(observeVersion(undefined, vaultId, 2)).toEqual({ rolledBack: false, seen: 0 });
  });
});

describe('KeyBox and BlobUrls', () => {
  it('zeroes the key when dropped or replaced, and refuses use while locked', () => {
    const keys = new KeyBox();
    expect(() => keys.use()).toThrow(LockedError);
    const first = new Uint8Array(32).fill(7);
    keys.hold(first);
    expect(keys.unlocked).toBe(true);
    expect(keys.use()).toBe(first);
    const second = new Uint8Array(32).fill(9);
    keys.hold(second);
    expect(first.every((b) => b === 0)).toBe(true);
    keys.drop();
    expect(second.every((b) => b === 0)).toBe(true);
    expect(keys.unlocked).toBe(false);
    expect(() => keys.use()).toThrow(LockedError);
    // The key is not reachable as a property.
    expect(Object.keys(keys)).toEqual([]);
  });

  it('revokes every URL it made', async () => {
    const blobs = new BlobUrls();
    const a = blobs.create(new Uint8Array([1, 2, 3]), 'image/png');
    const b = blobs.create(new Uint8Array([4]), 'image/png');
    expect(a).toMatch(/^blob:/);
    expect(blobs.size).toBe(2);
    blobs.revoke(a);
    expect(blobs.size).toBe(1);
    blobs.revokeAll();
    expect(blobs.size).toBe(0);
    const { resolveObjectURL } = await import('node:buffer');
    expect(resolveObjectURL(a)).toBeUndefined();
    expect(resolveObjectURL(b)).toBeUndefined();
  });
});
