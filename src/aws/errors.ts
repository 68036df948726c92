// Reading AWS SDK errors: throttling, transient failures worth waiting out, and error codes.
import { awsErrorCode } from '../core/errors.js';

const THROTTLE_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
]);

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'TimeoutError',
]);

export function isThrottle(err: unknown): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && THROTTLE_CODES.has(code);
}

/**
 * Errors worth waiting out inside a poll: throttling, 5xx and dropped connections. The SDK has
 * already retried these; a long wait should not fail because one poll hit a bad moment.
 */
export function isTransient(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  if (isThrottle(err)) return true;
  const e = err as { $metadata?: { httpStatusCode?: number }; $fault?: string; code?: string; name?: string };
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  if (e.$fault === 'server') return true;
  return NETWORK_CODES.has(e.code ?? '') || NETWORK_CODES.has(e.name ?? '');
}

/** True when the error is AWS's "no such thing" for the given codes. */
export function hasCode(err: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && codes.includes(code);
}
