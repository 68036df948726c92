// The request budget: one token bucket per service and region, spaced on the injectable Clock.
// AWS throttles all Auto Scaling APIs of an account and region from one bucket, so every group we
// watch in a region draws from one bucket of ours (unit tests prove the rate without sleeping).
import type { Clock } from '../core/clock.js';

/**
 * A token bucket without burst: capacity one, refilled at `ratePerSecond`. Callers reserve a
 * slot and sleep until it comes, so concurrent callers queue without a list and requests are
 * never closer together than 1/rate seconds — any one-second window holds at most `rate` of them.
 */
export class TokenBucket {
  /** When the next token is available: the bucket is full whenever this is not in the future. */
  private nextFree: number;
  /** Requests granted so far, for the job summary. */
  granted = 0;

  constructor(
    private readonly clock: Clock,
    readonly ratePerSecond: number,
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be positive, got ${ratePerSecond}`);
    this.nextFree = clock.now();
  }

  /** When the last request was let onto the wire (see onWire). */
  private lastWire = -Infinity;

  /**
   * The last gate, just before a request is signed and sent: keeps requests on the wire 1/rate
   * apart even when the SDK's own pipeline (serialisation, its adaptive rate limiter, retry
   * backoff) delayed some of them after their token was taken.
   */
  async onWire(signal?: AbortSignal): Promise<void> {
    const now = this.clock.now();
    const at = Math.max(now, this.lastWire + 1000 / this.ratePerSecond);
    this.lastWire = at;
    if (at > now) await this.clock.sleep(Math.ceil(at - now), signal);
  }

  /**
   * Reserves the next slot (capacity one, so idle time never saves up a burst) and sleeps until
   * it comes. Slots are kept exact (not fractional tokens summed up), so float rounding never
   * lets a request in a millisecond early.
   */
  async take(signal?: AbortSignal): Promise<void> {
    const now = this.clock.now();
    const at = Math.max(now, this.nextFree);
    this.nextFree = at + 1000 / this.ratePerSecond;
    this.granted++;
    if (at > now) await this.clock.sleep(Math.ceil(at - now), signal);
  }
}

export type BudgetedService = 'autoscaling' | 'ec2' | 'elbv2';

/** One bucket per service and region, created on first use and shared by every watched group. */
export class RequestBudget {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly clock: Clock,
    readonly ratePerSecond: number,
  ) {}

  bucket(service: BudgetedService, region: string): TokenBucket {
    const key = `${service}:${region}`;
    let b = this.buckets.get(key);
    if (!b) {
      b = new TokenBucket(this.clock, this.ratePerSecond);
      this.buckets.set(key, b);
    }
    return b;
  }

  /** Requests made per service:region, including SDK retries. */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.buckets].map(([k, b]) => [k, b.granted]));
  }
}
