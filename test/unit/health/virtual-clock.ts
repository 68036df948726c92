// A clock for tests with concurrent sleepers (one scheduler per region, token-bucket waits):
// time jumps to the earliest pending sleep once every other promise has settled, so nothing
// really waits and concurrent timelines stay consistent.
import type { Clock } from '../../../src/core/clock.js';
import { AbortedError } from '../../../src/core/errors.js';

interface Timer {
  at: number;
  seq: number;
  resolve(): void;
}

export function virtualClock(start = 1_700_000_000_000): Clock & { sleeps: number } {
  let now = start;
  let seq = 0;
  let scheduled = false;
  const timers: Timer[] = [];
  const clock = {
    sleeps: 0,
    now: () => now,
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
      if (signal?.aborted) return Promise.reject(new AbortedError());
      clock.sleeps++;
      return new Promise<void>((resolve, reject) => {
        const timer: Timer = { at: now + Math.max(0, ms), seq: seq++, resolve };
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
    if (!timers.length) return;
    timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const t = timers.shift()!;
    now = Math.max(now, t.at);
    t.resolve();
    if (timers.length) schedule();
  }
  return clock;
}
