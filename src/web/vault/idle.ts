/**
 * Locks the vault after a stretch without activity. Activity only stamps a time
 * (mousemove fires often); one timer checks the stamp when it runs out and
 * re-arms for the remainder. `check()` covers a laptop waking up: timers in a
 * sleeping tab run late, so the page checks again when it becomes visible.
 */

export const IDLE_LOCK_MS = 5 * 60 * 1000;
export const ACTIVITY_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'input', 'wheel', 'touchstart', 'scroll'] as const;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface IdleTimerOptions {
  timeoutMs: number;
  onIdle(): void;
  /** Where activity events are listened for (the document). */
  target: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;
  events?: readonly string[];
  clock?: Clock;
}

export class IdleTimer {
  private last = 0;
  private handle: unknown;
  private running = false;
  private readonly clock: Clock;
  private readonly events: readonly string[];
  private readonly touch = () => {
    this.last = this.clock.now();
  };

  constructor(private readonly options: IdleTimerOptions) {
    this.clock = options.clock ?? realClock;
    this.events = options.events ?? ACTIVITY_EVENTS;
  }

  get active(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.last = this.clock.now();
    for (const type of this.events) this.options.target.addEventListener(type, this.touch, { capture: true, passive: true });
    this.arm(this.options.timeoutMs);
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    for (const type of this.events) this.options.target.removeEventListener(type, this.touch, { capture: true });
  }

  /** Fires now if the time is already up (e.g. after the machine slept). */
  check(): void {
    if (!this.running) return;
    const remaining = this.last + this.options.timeoutMs - this.clock.now();
    if (remaining <= 0) {
      this.stop();
      this.options.onIdle();
    } else {
      this.arm(remaining);
    }
  }

  private arm(ms: number): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = this.clock.setTimeout(() => {
      this.handle = undefined;
      this.check();
    }, ms);
  }
}
