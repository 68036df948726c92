// What we know about one watched group between polls.
import type { InstanceRefresh } from '@aws-sdk/client-auto-scaling';
import { Pace } from './pace.js';
import { watching, type Lifecycle, type RevertTarget } from './lifecycle.js';
import type { GroupResult } from './types.js';
import type { Expected } from './verify.js';
import { newVersionOf, type WatchedRefresh } from './watched-refresh.js';

/**
 * One watched group: what it is and must become, what was read of it, when it is read next, and
 * its result. Where it stands in its lifecycle is `life` (lifecycle.ts), which only `next` there
 * changes; data only one state needs lives in that state.
 */
export interface GroupState {
  region: string;
  group: string;
  refreshId?: string;
  expected: Expected;
  /** Expected version/AMI are known (from the record, the refresh, or the group). */
  expectedKnown: boolean;
  life: Lifecycle;
  refresh?: InstanceRefresh;
  pace: Pace;
  nextAt: number;
  /** The group's launch template version when first scanned (before the refresh could apply). */
  firstGroupVersion?: string;
  /**
   * What `refresh.Status` rests on: `read` (DescribeInstanceRefreshes, or a group already current),
   * or `desired-configuration` — the group took the refresh's desired configuration, which AWS does
   * only once the refresh succeeds (round.ts).
   */
  statusFrom: 'read' | 'desired-configuration';
  /** Instances seen in the group's scans: one launched since on another version is a rollback's sign. */
  seen?: Set<string>;
  /** What a scan since the last read showed that the group's switch cannot decide (round.ts `undecided`). */
  undecided?: string;
  /** When the refresh was last read (DescribeInstanceRefreshes). */
  readAt: number;
  /**
   * The last scan showed the group as a finished refresh leaves it (every InService instance on the
   * refresh's version, at desired capacity) before the switch that proves it: the refresh is about
   * to end (its last instance warming up), so the next scan comes sooner (wait.ts).
   */
  ending?: boolean;
  /**
   * Where a refresh that already ended Successful could go back to when a check fails after it,
   * from roll-asg's record; a refresh back, once started, carries it in its state.
   */
  revert?: RevertTarget;
  deadlineAt: number;
  result: GroupResult;
}

export function newGroupState(
  w: WatchedRefresh,
  now: number,
  deadlineAt: number,
  minMs: number,
  maxMs: number,
  expectedAmiId?: string,
): GroupState {
  const expected: Expected = { version: newVersionOf(w), amiId: expectedAmiId ?? w.amiId };
  const previous = w.previousVersion;
  const revert =
    w.launchTemplate?.id && previous && /^\d+$/.test(previous) && previous !== expected.version
      ? {
          templateId: w.launchTemplate.id,
          version: previous,
          ...(w.previousAmiId ? { amiId: w.previousAmiId } : {}),
        }
      : undefined;
  return {
    ...(revert ? { revert } : {}),
    // Nothing to read: judged as a refresh that ended Successful (needsRead is then false).
    ...(w.verifyOnly ? { refresh: { Status: 'Successful', PercentageComplete: 100 } } : {}),
    region: w.region,
    group: w.group,
    refreshId: w.refreshId,
    statusFrom: 'read',
    readAt: -Infinity,
    expected,
    expectedKnown: Boolean(expected.version && expected.amiId),
    life: watching(),
    pace: new Pace(minMs, maxMs),
    nextAt: now,
    deadlineAt,
    result: {
      region: w.region,
      group: w.group,
      refreshId: w.refreshId,
      status: 'failed',
      previousVersion: w.previousVersion,
      expectedVersion: expected.version,
      expectedAmiId: expected.amiId,
      action: 'none',
      message: '',
      polls: 0,
      timeline: { watchStart: now, checkpoints: [] },
    },
  };
}

export const label = (s: GroupState) => `${s.region}/${s.group}`;
