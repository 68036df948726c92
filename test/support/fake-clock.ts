import type { Clock } from '../../src/core/clock.js';
import { AbortedError } from '../../src/core/errors.js';

/** A clock that advances only when slept on, recording each sleep: unit tests never really wait. */
export function fakeClock(start = 0): Clock & { sleeps: number[]; advance(ms: number): void } {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    advance: (ms) => void (now += ms),
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw new AbortedError();
      sleeps.push(ms);
      now += ms;
    },
  };
}
