// waitHealthy's defaults are action.yml's, read from the one spec so they cannot drift; in ms.
import { inputsWith } from '../core/capability.js';
import { waitHealthySpec } from './inputs.js';
import { healthOptions } from './options.js';
import type { WaitOptions } from './types.js';

/** action.yml's defaults through the same toOptions as the inputs (fields without a default stay empty). */
const defaults = healthOptions(inputsWith(waitHealthySpec, {}), { env: () => undefined });

export type ResolvedOptions = Required<
  Omit<
    WaitOptions,
    | 'refreshes'
    | 'asgNames'
    | 'asgTags'
    | 'regions'
    | 'expectedAmiId'
    | 'healthUrl'
    | 'expectedVersion'
    | 'pause'
    | 'eventsQueueUrl'
    | 'leftFor'
  >
> &
  Pick<WaitOptions, 'expectedAmiId' | 'healthUrl' | 'expectedVersion' | 'leftFor'>;

export function resolveOptions(o: WaitOptions): ResolvedOptions {
  const pollIntervalMs = o.pollIntervalMs ?? defaults.pollIntervalMs;
  return {
    expectedAmiId: o.expectedAmiId,
    healthUrl: o.healthUrl,
    expectedVersion: o.expectedVersion,
    healthUrlTimeoutMs: o.healthUrlTimeoutMs ?? defaults.healthUrlTimeoutMs,
    unhealthyGraceMs: o.unhealthyGraceMs ?? defaults.unhealthyGraceMs,
    timeoutMs: o.timeoutMs ?? defaults.timeoutMs,
    rollbackOnFailure: o.rollbackOnFailure ?? defaults.rollbackOnFailure,
    leftFor: o.leftFor,
    maxRequestsPerSecond: o.maxRequestsPerSecond ?? defaults.maxRequestsPerSecond,
    pollIntervalMs,
    // An unset maximum never sits below the minimum.
    maxPollIntervalMs: Math.max(pollIntervalMs, o.maxPollIntervalMs ?? defaults.maxPollIntervalMs),
    fetch: o.fetch ?? globalThis.fetch,
  };
}
