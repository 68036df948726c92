// All Auto Scaling APIs share one token bucket per account and region; off unless a test or a
// benchmark sets one, so that request budgets can be measured against it.
import { AwsError } from './service.js';

export interface BucketConfig {
  /** Tokens the bucket holds when full (the burst). */
  capacity: number;
  /** Tokens added per second of world time. */
  refillPerSecond: number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly config: BucketConfig,
    now: number,
  ) {
    this.tokens = config.capacity;
    this.last = now;
  }

  /** Takes one token, or returns false when the bucket is empty. */
  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(
      this.config.capacity,
      this.tokens + (elapsed / 1000) * this.config.refillPerSecond,
    );
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export function throttlingError(): AwsError {
  return new AwsError('Throttling', 'Rate exceeded', 400);
}
