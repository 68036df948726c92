// A put-back that persists: each call is retried past the SDK's own attempts while AWS throttles,
// answers 5xx or drops the connection, until the put-back's budget runs out. Anything still not
// put back is listed with the AWS CLI command that finishes the job.
import type { ActionContext } from '../core/context.js';
import { describeError, TimeoutError } from '../core/errors.js';
import { poll } from '../core/poll.js';
import { isTransient } from '../aws/errors.js';

export interface PutBackBudget {
  /** Clock ms after which a failing call is given up (and listed). */
  retryUntil: number;
  /** Clock ms until which a refresh (rolled back, or back to the version before) may run. */
  waitUntil: number;
}

/** Something that could not be put back, and the command that puts it back by hand. */
export interface Remaining {
  what: string;
  command: string;
}

/** What a put-back did, one phrase each, and what is left. */
export class PutBackReport {
  readonly restored: string[] = [];
  readonly remaining: Remaining[] = [];
  /** The run had changed something (else there was nothing to put back). */
  touched = false;
  /** Cancelled part way: the post step finishes what is not listed yet. */
  unfinished = false;

  done(line: string): void {
    this.restored.push(line);
  }

  left(what: string, err: unknown, command: string): void {
    this.remaining.push({ what: err === undefined ? what : `${what}: ${describeError(err)}`, command });
  }

  get complete(): boolean {
    return this.remaining.length === 0 && !this.unfinished;
  }
}

/** Transient, or wrapped (withContext) around something transient. */
function transient(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++)
    if (isTransient(e)) return true;
  return false;
}

/** Runs `fn`, retrying transient failures with backoff until the budget's retry deadline. */
export async function persist<T>(
  ctx: ActionContext,
  budget: PutBackBudget,
  what: string,
  fn: () => Promise<T>,
): Promise<T> {
  let last: unknown;
  try {
    return await poll({
      phase: what,
      clock: ctx.clock,
      signal: ctx.signal,
      deadline: budget.retryUntil,
      minDelayMs: 500,
      maxDelayMs: 15_000,
      factor: 2,
      isTransient: transient,
      onTransient: (err) => {
        last = err;
        ctx.log.info(`${what}: ${describeError(err)}; trying again`);
      },
      check: async () => ({ done: true as const, value: await fn() }),
    });
  } catch (err) {
    throw err instanceof TimeoutError && last !== undefined ? last : err;
  }
}

/** A shell word, quoted for the command lines given to the user. */
export const shellWord = (s: string): string =>
  /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
