// The one poller for waits without an SDK waiter (backoff, jitter, deadline, abort) and deadlines.
import type { Clock } from './clock.js';
import { AbortedError, TimeoutError } from './errors.js';

export type PollResult<T> = { done: true; value: T } | { done: false; progress?: string; delayMs?: number };

export interface PollOptions<T> {
  /** Names the phase in timeout messages ("waiting for builder to stop"). */
  phase: string;
  check: (attempt: number) => Promise<PollResult<T>>;
  clock: Clock;
  signal?: AbortSignal;
  /** Absolute deadline (clock ms). The phase fails with TimeoutError once it passes. */
  deadline: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Growth of the delay per unchanged poll; progress resets it to minDelayMs. */
  factor?: number;
  /** Fraction of the delay randomised (0..1) so many pollers never move in step. */
  jitter?: number;
  random?: () => number;
  onProgress?: (progress: string, attempt: number) => void;
  /** Errors for which the poll keeps going (throttling, 5xx); others end the poll. */
  isTransient?: (err: unknown) => boolean;
  onTransient?: (err: unknown, attempt: number) => void;
}

/**
 * One poller for every wait without an SDK waiter: deadline, exponential backoff with
 * jitter that resets when progress changes, abort, and a progress callback.
 */
export async function poll<T>(opts: PollOptions<T>): Promise<T> {
  const { clock, signal } = opts;
  const minDelay = opts.minDelayMs ?? 2_000;
  const maxDelay = Math.max(minDelay, opts.maxDelayMs ?? 30_000);
  const factor = opts.factor ?? 1.5;
  const jitter = opts.jitter ?? 0.2;
  const random = opts.random ?? Math.random;
  let delay = minDelay;
  let lastProgress: string | undefined;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw new AbortedError(`cancelled while ${opts.phase}`);
    let result: PollResult<T>;
    try {
      result = await opts.check(attempt);
    } catch (err) {
      if (signal?.aborted) throw new AbortedError(`cancelled while ${opts.phase}`);
      if (!opts.isTransient?.(err)) throw err;
      opts.onTransient?.(err, attempt);
      result = { done: false };
    }
    if (result.done) return result.value;
    if (result.progress !== undefined) {
      opts.onProgress?.(result.progress, attempt);
      if (result.progress !== lastProgress) delay = minDelay;
      lastProgress = result.progress;
    }
    const base = Math.min(result.delayMs ?? delay, maxDelay);
    const wait = Math.max(0, Math.round(base * (1 - jitter + 2 * jitter * random())));
    const now = clock.now();
    if (now >= opts.deadline) throw timeout(opts, lastProgress);
    await clock.sleep(Math.min(wait, Math.max(0, opts.deadline - now)), signal).catch((err: unknown) => {
      throw err instanceof AbortedError ? new AbortedError(`cancelled while ${opts.phase}`) : err;
    });
    delay = Math.min(maxDelay, delay * factor);
  }
}

function timeout(opts: PollOptions<unknown>, lastProgress: string | undefined): TimeoutError {
  const seen = lastProgress ? ` (last seen: ${lastProgress})` : '';
  return new TimeoutError(opts.phase, `timed out while ${opts.phase}${seen}`);
}

/** A deadline shared by several phases, so the whole action honours one timeout. */
export interface Deadline {
  at: number;
  remainingMs(): number;
}

export function deadlineAfter(clock: Clock, ms: number): Deadline {
  const at = clock.now() + ms;
  return { at, remainingMs: () => Math.max(0, at - clock.now()) };
}
