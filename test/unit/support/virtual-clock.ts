// A clock for tests with concurrent sleepers (one scheduler per region, token-bucket waits):
// time jumps to the earliest pending sleep once every other promise has settled, so nothing
// really waits and concurrent timelines stay consistent. Hooks let another world's time
// (localcloud's) be the clock, and hold the jump while work the test cannot see is under way.
import type { Clock } from '../../../src/core/clock.js';
import { AbortedError } from '../../../src/core/errors.js';

interface Timer {
  at: number;
  seq: number;
  resolve(): void;
}

export interface VirtualClockHooks {
  /** The world's time (default: the clock's own). */
  now?(): number;
  /** Moves the world forward by `ms` before the next sleeper wakes. */
  advance?(ms: number): void;
  /** True while time must not jump (a request in flight); call `wake()` when that ends. */
  busy?(): boolean;
}

export function virtualClock(
  start = 1_700_000_000_000,
  hooks: VirtualClockHooks = {},
): Clock & { sleeps: number; wake(): void } {
  let own = start;
  let seq = 0;
  let scheduled = false;
  const timers: Timer[] = [];
  const now = hooks.now ?? (() => own);
  const advance = hooks.advance ?? ((ms: number) => (own += ms));
  const clock = {
    sleeps: 0,
    now,
    wake: schedule,
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
      if (signal?.aborted) return Promise.reject(new AbortedError());
      clock.sleeps++;
      return new Promise<void>((resolve, reject) => {
        const timer: Timer = { at: now() + Math.max(0, ms), seq: seq++, resolve };
        timers.push(timer);
        signal?.addEventListener(
          'abort',
          () => {
            const i = timers.indexOf(timer);
            if (i >= 0) timers.splice(i, 1);
            reject(new AbortedError());
          },
          { once: true },
        );
        schedule();
      });
    },
  };
  // setImmediate runs after every pending microtask: all work that could add a sleep has run.
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    setImmediate(fire);
  }
  function fire() {
    scheduled = false;
    if (!timers.length || hooks.busy?.()) return;
    timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const t = timers.shift()!;
    if (t.at > now()) advance(t.at - now());
    t.resolve();
    if (timers.length) schedule();
  }
  return clock;
}
