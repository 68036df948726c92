// waitHealthy's defaults are action.yml's, read from the one spec so they cannot drift; in ms.
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

/** A seconds or minutes default of action.yml in ms, rounded as health's toOptions rounds inputs. */
const msOf = (name: keyof typeof waitHealthySpec.inputs, unitMs: number): number =>
  Math.round(Number(d(name)) * unitMs);

export function resolveOptions(o: WaitOptions): ResolvedOptions {
  const pollIntervalMs = o.pollIntervalMs ?? msOf('poll-interval-seconds', 1000);
  return {
    expectedAmiId: o.expectedAmiId,
    healthUrl: o.healthUrl,
    expectedVersion: o.expectedVersion,
    healthUrlTimeoutMs: o.healthUrlTimeoutMs ?? msOf('health-url-timeout-seconds', 1000),
    unhealthyGraceMs: o.unhealthyGraceMs ?? msOf('unhealthy-grace-seconds', 1000),
    timeoutMs: o.timeoutMs ?? msOf('timeout-minutes', 60_000),
    rollbackOnFailure: o.rollbackOnFailure ?? d('rollback-on-failure') === 'true',
    maxRequestsPerSecond: o.maxRequestsPerSecond ?? Number(d('max-requests-per-second')),
    pollIntervalMs,
    // An unset maximum never sits below the minimum.
    maxPollIntervalMs: Math.max(
      pollIntervalMs,
      o.maxPollIntervalMs ?? msOf('max-poll-interval-seconds', 1000),
    ),
    fetch: o.fetch ?? globalThis.fetch,
    pause: o.pause,
  };
}
