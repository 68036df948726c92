// When a bake polls: each phase's expected duration (AWS-time priors), and the paced poller that waits for it.
import { isTransient } from '../aws/errors.js';
import type { Clock } from '../core/clock.js';
import { AbortedError } from '../core/errors.js';
import { poll, type PollResult } from '../core/poll.js';
import type { ActionContext } from '../core/context.js';
import type { Platform } from './lookup/source.js';

/**
 * Priors, in AWS seconds at the default poll-interval (10s): how long each phase usually
 * takes. They are what localcloud's realistic preset uses (test/localcloud/durations.ts) for an
 * 8 GiB Amazon Linux root on a t3: pending → running 30 s, stopping → stopped 20 s, CreateImage →
 * available 180 s, CopyImage → available 240 s. Windows stops more slowly (EC2Launch), bare-metal
 * types take minutes to boot, and the SSM agent registers some seconds after the boot.
 */
const PRIOR_S = {
  boot: 30,
  metalBoot: 600,
  agent: 15,
  stop: 20,
  windowsStop: 60,
  image: 180,
  // One early look at a new image: one that cannot be made fails long before the 180 s.
  imageProbe: 15,
  copy: 240,
};

/**
 * The poll times of a bake. A phase whose end can be expected (boot, stop, imaging, copy) is polled
 * first at its expected end, then at `shortMs`, growing ×1.5 up to `intervalMs`. A phase whose end
 * cannot be expected (a user-data build, a Run Command script) is polled every `intervalMs`, and a
 * user-data build every `buildMs`: short enough to see the builder `stopping`, so the stop's end
 * can be expected in turn.
 */
export interface Schedule {
  intervalMs: number;
  shortMs: number;
  buildMs: number;
  /** Expected durations on this bake's clock, ms. */
  expect: { boot: number; agent: number; stop: number; image: number; imageProbe: number; copy: number };
}

/**
 * The schedule at a poll interval. The priors are AWS's; `timeScale` (1 on AWS) shrinks them for a
 * simulator that runs faster, which says so itself (GOLDEN_AMI_TIME_SCALE): the poll interval, a
 * user's input, changes how often a wait is polled, never when a phase is expected to end.
 */
export function scheduleFor(
  pollIntervalMs: number,
  o: { platform: Platform; instanceType: string; timeScale: number },
): Schedule {
  const intervalMs = Math.round(pollIntervalMs);
  const scale = o.timeScale;
  const ms = (s: number) => Math.round(s * 1000 * scale);
  const stop = ms(o.platform === 'windows' ? PRIOR_S.windowsStop : PRIOR_S.stop);
  return {
    intervalMs,
    shortMs: Math.max(1, Math.round(intervalMs / 10)),
    // Within the stop prior, so the stop is seen starting; at most twice the interval, so a failure
    // the console shows is seen soon.
    buildMs: Math.max(intervalMs, Math.min(Math.round(stop * 0.9), 2 * intervalMs)),
    expect: {
      boot: ms(/\.metal/.test(o.instanceType) ? PRIOR_S.metalBoot : PRIOR_S.boot),
      agent: ms(PRIOR_S.agent),
      stop,
      image: ms(PRIOR_S.image),
      imageProbe: ms(PRIOR_S.imageProbe),
      copy: ms(PRIOR_S.copy),
    },
  };
}

/** The delays of one wait: none before the expected end, then short ones growing to the interval. */
export class Pace {
  private late = 0;

  /**
   * `probeAt`: one early poll before the expected end (clock ms), for a phase that fails fast
   * when it fails (an image AWS cannot create turns `failed` in seconds).
   */
  constructor(
    private readonly schedule: Schedule,
    private readonly clock: Clock,
    private expectedAt: number,
    private probeAt?: number,
  ) {}

  /** The phase is now expected to end at `at` (clock ms); polls resume from there. */
  expect(at: number): void {
    if (at === this.expectedAt) return;
    this.expectedAt = at;
    this.late = 0;
  }

  /** Milliseconds to the first poll: at the expected end (at once when that has passed). */
  first(): number {
    const at = Math.min(this.probeAt ?? this.expectedAt, this.expectedAt);
    this.probeAt = undefined;
    return Math.max(0, at - this.clock.now());
  }

  /** Milliseconds to the next poll. */
  next(): number {
    const early = this.expectedAt - this.clock.now();
    if (early > 0) return early;
    return Math.min(this.schedule.intervalMs, Math.round(this.schedule.shortMs * 1.5 ** this.late++));
  }
}

export interface PacedPoll<T> {
  /** Names the wait in progress and timeout messages. */
  phase: string;
  pace: Pace;
  /** Clock ms. */
  deadline: number;
  check: () => Promise<PollResult<T>>;
  onProgress?: (progress: string) => void;
  onTransient?: (err: unknown) => void;
  isTransient?: (err: unknown) => boolean;
}

/** Polls at the pace's times: the first poll at the expected end, not at once. */
export async function pollPaced<T>(ctx: ActionContext, o: PacedPoll<T>): Promise<T> {
  const wait = Math.min(o.pace.first(), Math.max(0, o.deadline - ctx.clock.now()));
  if (wait > 0)
    await ctx.clock.sleep(wait, ctx.signal).catch((err: unknown) => {
      throw err instanceof AbortedError ? new AbortedError(`cancelled while ${o.phase}`) : err;
    });
  return poll({
    phase: o.phase,
    clock: ctx.clock,
    signal: ctx.signal,
    deadline: o.deadline,
    minDelayMs: 0,
    maxDelayMs: Number.MAX_SAFE_INTEGER,
    jitter: 0,
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    check: async () => {
      let r: PollResult<T>;
      try {
        r = await o.check();
      } catch (err) {
        // Throttling and 5xx: the next poll comes at the pace's time, like any other.
        if (ctx.signal.aborted || !(o.isTransient ?? isTransient)(err)) throw err;
        o.onTransient?.(err);
        r = { done: false };
      }
      return r.done ? r : { ...r, delayMs: o.pace.next() };
    },
  });
}
