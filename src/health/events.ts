// Event-driven waiting: long-polls an SQS queue that an EventBridge rule fills with Auto Scaling's
// instance refresh events, so wait-healthy looks at a refresh as soon as it changes instead of at
// its next poll. An event is only a hint: the refresh id it names is made due for a real
// DescribeInstanceRefreshes; nothing else in a message body is trusted. Any error reading the
// queue is one warning, and the run goes on polling as without a queue.
import type { Message } from '@aws-sdk/client-sqs';
import { AbortedError, describeError } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import { queueRegion } from './queue-url.js';
import type { HealthResult, WaitOptions } from './types.js';
import { waitHealthy } from './wait.js';
import { resolveOptions } from './defaults.js';

/** The SQS SDK, loaded at the first receive: a run without a queue never reads it. */
const sqsSdk = () => import('@aws-sdk/client-sqs');

/** SQS's longest long poll ("The maximum long polling wait time is 20 seconds") and largest receive. */
const MAX_WAIT_SECONDS = 20;
const MAX_MESSAGES = 10;

/**
 * The instance refresh detail-types that make a refresh worth a look now: it ended, reached a
 * checkpoint, started baking, or a rollback began or ended. "Started" (Pending → InProgress) is not.
 */
const ACTIONABLE_REFRESH_EVENTS: ReadonlySet<string> = new Set(
  [
    'Succeeded',
    'Failed',
    'Cancelled',
    'Checkpoint Reached',
    'Started Baking',
    'Rollback Started',
    'Rollback Succeeded',
    'Rollback Failed',
  ].map((s) => `EC2 Auto Scaling Instance Refresh ${s}`),
);

/**
 * The refresh id an event names, or undefined for anything else (other sources and detail-types,
 * malformed bodies). Only the id is read, and only in the shape AWS documents.
 */
export function refreshIdOf(body: string | undefined): string | undefined {
  let event: unknown;
  try {
    event = JSON.parse(body ?? '');
  } catch {
    return undefined;
  }
  if (!event || typeof event !== 'object') return undefined;
  const e = event as { source?: unknown; 'detail-type'?: unknown; detail?: unknown };
  if (e.source !== 'aws.autoscaling' || typeof e['detail-type'] !== 'string') return undefined;
  if (!ACTIONABLE_REFRESH_EVENTS.has(e['detail-type'])) return undefined;
  const id = (e.detail as { InstanceRefreshId?: unknown } | null | undefined)?.InstanceRefreshId;
  return typeof id === 'string' && /^[\w-]{1,255}$/.test(id) ? id : undefined;
}

export interface RefreshEvents {
  /**
   * Long-polls the queue for up to `ms` (in receives of at most 20 s); resolves as soon as it hears
   * of a refresh, with the ids heard, else with an empty set after `ms`. Once the queue failed, it
   * only sleeps. Rejects with AbortedError when `signal` aborts.
   */
  wait(ms: number, signal: AbortSignal): Promise<ReadonlySet<string>>;
  /** True once reading the queue failed: the run polls as without a queue. */
  readonly degraded: boolean;
  /** ReceiveMessage calls made, messages received, refresh ids heard. */
  readonly stats: { receives: number; messages: number; heard: number };
  /** Ends an in-flight long poll (the run is over). */
  close(): void;
}

export interface RefreshEventsOptions {
  queueUrl: string;
  region: string;
  signal: AbortSignal;
}

interface Waiter {
  deadline: number;
  wake(ids: ReadonlySet<string>): void;
}

const NOTHING: ReadonlySet<string> = new Set();

/**
 * Opens the queue. Several regions' wait loops may wait at once: one long poll serves them all,
 * and what it hears goes to every waiter (ids heard while nobody waits go to the next one).
 */
export function openRefreshEvents(ctx: ActionContext, options: RefreshEventsOptions): RefreshEvents {
  return new QueueEvents(ctx, options);
}

class QueueEvents implements RefreshEvents {
  readonly stats = { receives: 0, messages: 0, heard: 0 };
  #degraded = false;
  #polling = false;
  readonly #waiters = new Set<Waiter>();
  readonly #unclaimed = new Set<string>();
  readonly #inFlight = new AbortController();

  constructor(
    private readonly ctx: ActionContext,
    private readonly options: RefreshEventsOptions,
  ) {
    options.signal.addEventListener('abort', () => this.close(), { once: true });
  }

  get degraded(): boolean {
    return this.#degraded;
  }

  close(): void {
    this.#inFlight.abort();
  }

  wait(ms: number, signal: AbortSignal): Promise<ReadonlySet<string>> {
    if (signal.aborted) return Promise.reject(new AbortedError());
    if (this.#unclaimed.size) {
      const ids = new Set(this.#unclaimed);
      this.#unclaimed.clear();
      return Promise.resolve(ids);
    }
    return new Promise<ReadonlySet<string>>((resolve, reject) => {
      const timer = new AbortController();
      const onAbort = () => timer.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      let heard: ReadonlySet<string> = NOTHING;
      const waiter: Waiter = {
        deadline: this.ctx.clock.now() + ms,
        wake: (ids) => {
          heard = ids;
          // Out at once, so the long poll does not go on for a wait that has ended.
          this.#waiters.delete(waiter);
          timer.abort();
        },
      };
      this.#waiters.add(waiter);
      const settle = () => {
        this.#waiters.delete(waiter);
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) reject(new AbortedError());
        else resolve(heard);
      };
      this.ctx.clock.sleep(ms, timer.signal).then(settle, settle);
      if (!this.#degraded) void this.#drive();
    });
  }

  #degrade(err: unknown): void {
    if (this.#degraded || this.#inFlight.signal.aborted) return;
    this.#degraded = true;
    this.ctx.log.warning(
      `events-queue-url: reading ${this.options.queueUrl} failed (${describeError(err)}); ` +
        'polling the refreshes instead for the rest of the run',
    );
    // Waiters stretched past their poll time go back to polling now.
    for (const w of [...this.#waiters]) w.wake(NOTHING);
  }

  /** One long poll at a time, for as long as someone waits and there is a whole second to wait. */
  async #drive(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      while (!this.#degraded && !this.#inFlight.signal.aborted && this.#waiters.size) {
        const longest = Math.max(...[...this.#waiters].map((w) => w.deadline)) - this.ctx.clock.now();
        const seconds = Math.min(MAX_WAIT_SECONDS, Math.floor(longest / 1000));
        if (seconds < 1) break;
        try {
          await this.#receiveOnce(seconds);
        } catch (err) {
          this.#degrade(err);
        }
      }
    } finally {
      this.#polling = false;
    }
  }

  async #receiveOnce(seconds: number): Promise<void> {
    const { queueUrl, region } = this.options;
    const sqs = await this.ctx.clients.sqs?.(region);
    if (!sqs) throw new Error('bug: the entry does not pass the SQS client to runAction');
    const { ReceiveMessageCommand, DeleteMessageBatchCommand } = await sqsSdk();
    const abortSignal = this.#inFlight.signal;
    this.stats.receives++;
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        WaitTimeSeconds: seconds,
        MaxNumberOfMessages: MAX_MESSAGES,
      }),
      { abortSignal },
    );
    const messages: Message[] = out.Messages ?? [];
    if (!messages.length) return;
    this.stats.messages += messages.length;
    const ids = new Set(messages.map((m) => refreshIdOf(m.Body)).filter((id): id is string => !!id));
    // Consumed, heard or not: a malformed or irrelevant message would otherwise come back forever.
    const entries = messages
      .filter((m) => m.ReceiptHandle)
      .map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle }));
    if (entries.length)
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }), {
        abortSignal,
      });
    if (!ids.size) return;
    this.stats.heard += ids.size;
    if (!this.#waiters.size) for (const id of ids) this.#unclaimed.add(id);
    for (const w of [...this.#waiters]) w.wake(ids);
  }
}

/**
 * WaitOptions.pause for a run with a queue: while the queue is read, the wait between rounds is
 * stretched to at least `safetyNetMs` (polling becomes the safety net for events AWS sends only
 * "on a best-effort basis"), never past `deadlineAt`; an event ends it early. After a failure it is
 * the plain sleep of a run without a queue.
 */
export function refreshEventsPause(
  ctx: Pick<ActionContext, 'clock'>,
  events: RefreshEvents,
  o: { safetyNetMs: number; deadlineAt: number },
): NonNullable<WaitOptions['pause']> {
  const { clock } = ctx;
  return async (ms, signal, onlyRefreshes) => {
    if (events.degraded) {
      await clock.sleep(ms, signal);
      return NOTHING;
    }
    const stretched = onlyRefreshes ? Math.max(ms, Math.min(o.safetyNetMs, o.deadlineAt - clock.now())) : ms;
    return events.wait(stretched, signal);
  };
}

/**
 * waitHealthy, its pause long-polling `eventsQueueUrl` when one is given (wait-healthy, deploy-ami):
 * the queue is open for the one wait, closed afterwards, and what it heard is logged.
 */
export async function waitHealthyHearing(ctx: ActionContext, o: WaitOptions): Promise<HealthResult> {
  const queueUrl = o.eventsQueueUrl;
  if (!queueUrl) return waitHealthy(ctx, o);
  const { timeoutMs, maxPollIntervalMs } = resolveOptions(o);
  const region = queueRegion(queueUrl, ctx.clients.defaultRegion);
  const events = openRefreshEvents(ctx, { queueUrl, region, signal: ctx.signal });
  // The safety-net poll interval while events flow: max-poll-interval.
  const pause = refreshEventsPause(ctx, events, {
    safetyNetMs: maxPollIntervalMs,
    deadlineAt: ctx.clock.now() + timeoutMs,
  });
  try {
    return await waitHealthy(ctx, { ...o, pause });
  } finally {
    events.close();
    const { receives, messages, heard } = events.stats;
    ctx.log.info(
      `events-queue-url: ${receives} receive(s), ${messages} message(s), ${heard} refresh event(s) heard` +
        (events.degraded ? '; fell back to polling' : ''),
    );
  }
}
