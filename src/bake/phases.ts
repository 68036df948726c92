// The bake's phases: each in a log group, timed, and every failure named after its phase.
import type { Clock } from '../core/clock.js';
import {
  AbortedError,
  ActionFailure,
  ConfigurationError,
  describeError,
  TimeoutError,
} from '../core/errors.js';
import type { Log } from '../core/log.js';
import type { Deadline } from '../core/poll.js';

export interface PhaseTiming {
  phase: string;
  ms: number;
  outcome: 'ok' | 'failed';
}

/**
 * Runs the bake's phases in log groups, times them, and makes every failure name its phase:
 * "phase provision failed: ...", "cancelled during phase image", "timeout (60m) ran out during phase image".
 */
export class Phases {
  readonly timings: PhaseTiming[] = [];
  current: string | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly log: Log,
    private readonly deadline: Deadline,
    /** timeout, in ms. */
    private readonly timeoutMs: number,
    private readonly signal: AbortSignal,
  ) {}

  async run<T>(phase: string, title: string, fn: () => Promise<T>): Promise<T> {
    this.current = phase;
    const start = this.clock.now();
    let outcome: PhaseTiming['outcome'] = 'failed';
    try {
      const value = await this.log.group(title, fn);
      outcome = 'ok';
      return value;
    } catch (err) {
      throw this.explain(phase, err);
    } finally {
      this.timings.push({ phase, ms: this.clock.now() - start, outcome });
    }
  }

  /** Milliseconds left before timeout runs out, failing the phase when none are. */
  remainingMs(phase: string): number {
    const ms = this.deadline.remainingMs();
    if (ms <= 0) throw this.timeout(phase, 'no time was left');
    return ms;
  }

  timeout(phase: string, detail: string): TimeoutError {
    return new TimeoutError(
      phase,
      `timeout (${this.timeoutMs % 60_000 ? `${this.timeoutMs / 1000}s` : `${this.timeoutMs / 60_000}m`}) ran out during phase ${phase}: ${detail}`,
    );
  }

  private explain(phase: string, err: unknown): Error {
    if (err instanceof ConfigurationError) return err;
    if (err instanceof TimeoutError) {
      return err.message.startsWith('timeout (') ? err : this.timeout(phase, err.message);
    }
    // Once cancelled, whatever the interrupted call threw ("Request aborted") is the cancellation.
    if (this.signal.aborted || err instanceof AbortedError) {
      if (err instanceof AbortedError && err.message.includes('during phase')) return err;
      const reason = this.signal.reason instanceof Error ? this.signal.reason.message : 'cancelled';
      const detail = err instanceof AbortedError && err.message !== reason ? ` (${err.message})` : '';
      return new AbortedError(`${reason} during phase ${phase}${detail}`);
    }
    if (err instanceof ActionFailure && err.message.startsWith('phase ')) return err;
    return new ActionFailure(`phase ${phase} failed: ${describeError(err)}`, { cause: err });
  }
}
