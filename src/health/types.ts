// The typed options and result of waitHealthy.
// Shared by wait-healthy, roll-asg (`wait: true`) and deploy-ami.
import type { WatchedRefresh } from './watched-refresh.js';

export type HealthStatus = 'healthy' | 'failed' | 'rolled-back' | 'timed-out';

export interface WaitOptions {
  /** The refreshes to watch (roll-asg's records). Or name groups with asgNames/asgTags. */
  refreshes?: readonly WatchedRefresh[];
  /** Groups whose latest refresh to watch, looked up in each of `regions`. */
  asgNames?: readonly string[];
  /** Groups carrying all of these tags, in each of `regions`. */
  asgTags?: Readonly<Record<string, string>>;
  /** Where to look up asgNames/asgTags; defaults to the clients' default region. */
  regions?: readonly string[];
  /** The AMI every instance must run; by default from the refresh record or its template version. */
  expectedAmiId?: string;
  /** `http://{private-ip}:8080/version`-style template; each InService instance must answer 2xx. */
  healthUrl?: string;
  /** With healthUrl: text each response body must contain. */
  expectedVersion?: string;
  /** Defaults below are action.yml's (see defaults.ts). Durations are in ms. */
  healthUrlTimeoutMs?: number;
  unhealthyGraceMs?: number;
  timeoutMs?: number;
  rollbackOnFailure?: boolean;
  /** With rollbackOnFailure off: who puts a failure back instead, named in the group's message. */
  leftFor?: string;
  maxRequestsPerSecond?: number;
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** The HTTP client for healthUrl; Node's global fetch unless a test injects one. */
  fetch?: typeof fetch;
  /** An SQS queue of Auto Scaling's instance refresh events to long-poll between rounds (events.ts). */
  eventsQueueUrl?: string;
  /**
   * The pause between two polling rounds of a region: by default a sleep on the clock that
   * returns an empty set. An event source may end the pause early and name the refreshes it heard
   * about (their InstanceRefreshIds); those become due at once. `onlyRefreshes`: every live group
   * is waiting on its refresh alone (none is being verified or rolled back), so an event source may
   * stretch the pause to its safety-net interval.
   */
  pause?: (ms: number, signal: AbortSignal, onlyRefreshes: boolean) => Promise<ReadonlySet<string>>;
}

/** What was done about a failure. */
export type FailureAction =
  | 'none'
  | 'rollback-started'
  | 'rolled-back'
  | 'rollback-failed'
  | 'cancelled'
  | 'rolled-back-by-aws'
  | 'not-possible';

export interface Checkpoint {
  percent: number;
  at: number;
}

/** Times (clock ms) of the phases of one group, for the log, the results and the gantt chart. */
export interface GroupTimeline {
  watchStart: number;
  refreshStart?: number;
  refreshEnd?: number;
  checkpoints: Checkpoint[];
  /** The refresh reached Baking or Successful: full verification began. */
  verifyStart?: number;
  verifiedAt?: number;
  failedAt?: number;
  rollbackStart?: number;
  rollbackEnd?: number;
  end?: number;
}

export interface GroupResult {
  region: string;
  group: string;
  refreshId?: string;
  status: HealthStatus;
  /**
   * AWS's status of the refresh at the end (Successful, Failed, RollbackSuccessful, ...) as
   * DescribeInstanceRefreshes read it; `Successful (desired configuration applied)` when it was not
   * read but proven by the group taking the refresh's desired configuration.
   */
  refreshStatus?: string;
  /** What refreshStatus rests on: `read`, or `desired-configuration` (the group's switch). */
  refreshStatusFrom?: 'read' | 'desired-configuration';
  statusReason?: string;
  percentageComplete?: number;
  expectedVersion?: string;
  expectedAmiId?: string;
  previousVersion?: string;
  /** The launch template version the group names at the end. */
  groupVersion?: string;
  desired?: number;
  inService?: number;
  onExpected?: number;
  healthyTargets?: number;
  totalTargets?: number;
  /** Where target health came from: `described` (DescribeTargetHealth) or `auto-scaling` (the group's ELB health check). */
  targetsFrom?: 'described' | 'auto-scaling';
  httpOk?: number;
  action: FailureAction;
  /** One line: why it failed and what was done; or what was proven. */
  message: string;
  polls: number;
  timeline: GroupTimeline;
}

export interface HealthResult {
  status: HealthStatus;
  groups: GroupResult[];
  /** One line per group that is not healthy; empty when all are. */
  failures: string[];
  startedAt: number;
  endedAt: number;
  /** Requests made per service:region, SDK retries included. */
  requests: Record<string, number>;
  maxRequestsPerSecond: number;
}
