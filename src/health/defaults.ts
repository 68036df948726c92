// waitHealthy's defaults are action.yml's, read from the one spec so they cannot drift.
import { waitHealthySpec } from './inputs.js';
import type { WaitOptions } from './types.js';

const d = (name: keyof typeof waitHealthySpec.inputs): string => {
  const v = waitHealthySpec.inputs[name].default;
  if (v === undefined) throw new Error(`bug: ${name} has no default`);
  return v;
};

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
  >
> &
  Pick<WaitOptions, 'expectedAmiId' | 'healthUrl' | 'expectedVersion' | 'pause'>;

export function resolveOptions(o: WaitOptions): ResolvedOptions {
  const pollIntervalSeconds = o.pollIntervalSeconds ?? Number(d('poll-interval-seconds'));
  return {
    expectedAmiId: o.expectedAmiId,
    healthUrl: o.healthUrl,
    expectedVersion: o.expectedVersion,
    healthUrlTimeoutSeconds: o.healthUrlTimeoutSeconds ?? Number(d('health-url-timeout-seconds')),
    unhealthyGraceSeconds: o.unhealthyGraceSeconds ?? Number(d('unhealthy-grace-seconds')),
    timeoutMinutes: o.timeoutMinutes ?? Number(d('timeout-minutes')),
    rollbackOnFailure: o.rollbackOnFailure ?? d('rollback-on-failure') === 'true',
    maxRequestsPerSecond: o.maxRequestsPerSecond ?? Number(d('max-requests-per-second')),
    pollIntervalSeconds,
    // An unset maximum never sits below the minimum.
    maxPollIntervalSeconds: Math.max(
      pollIntervalSeconds,
      o.maxPollIntervalSeconds ?? Number(d('max-poll-interval-seconds')),
    ),
    fetch: o.fetch ?? globalThis.fetch,
    pause: o.pause,
  };
}
