// What roll returns: per-group outcomes, the refresh records, and the failure that carries them.
import { PartialFailure } from '../core/errors.js';
import type { HealthResult } from '../health/wait.js';
import type { GroupPlan } from './plan.js';
import { sourcesOf, type LaunchSource } from './pin.js';
import type { RefreshRecord } from '../aws/refresh-record.js';
import { groupLabel } from '../aws/group-label.js';

export type GroupStatus =
  /** A refresh was started (or, in a dry run, would be). */
  | 'refresh-started'
  | 'would-refresh'
  /** Already on the AMI with skip matching: nothing to do. */
  | 'already-current'
  | 'failed'
  /** Not attempted because another group failed first or the run was cancelled. */
  | 'not-started';

export interface GroupOutcome {
  region: string;
  group: string;
  status: GroupStatus;
  imageSource: 'launch-template' | 'ssm-parameter';
  amiId: string;
  previousAmiId?: string;
  /** The group's main launch template: the version it used, and the one the refresh moves it to. */
  template: {
    id: string;
    name?: string;
    /** What the group named before: "3", "$Latest" or "$Default". */
    requested: string;
    previousVersion: number;
    /** Absent when the template takes its image from SSM (the version does not change). */
    version?: number;
    /** True when roll-asg made `version` (rather than finding the AMI already in the template). */
    created: boolean;
  };
  instances: { total: number; onAmi: number };
  /** Instances the refresh replaces (not on the AMI), for deploy-ami's reap forecast. */
  replacing?: string[];
  /**
   * The launch source as the group had it before (what a put-back restores, field by field), and
   * the same with each `$Latest`/`$Default` pinned to the number it resolved to (a refresh back).
   */
  before: { source: LaunchSource; pinned: LaunchSource };
  refreshId?: string;
  /** A refresh that was running before, and how it ended after waiting for or cancelling it. */
  previousRefresh?: { id: string; finalStatus: string; cancelled: boolean };
  error?: string;
}

export interface RollResult {
  dryRun: boolean;
  /** The AMI per region. */
  amiIds: Record<string, string>;
  /** Every selected group's name, refreshed or already current: the `asg-names` output. */
  asgNames: string[];
  groups: GroupOutcome[];
  /** One record per started refresh: the `refreshes` output. */
  refreshes: RefreshRecord[];
  /** With `wait`: what wait-healthy found. */
  health?: HealthResult;
}

const who = (g: GroupOutcome) => groupLabel(g.region, g.group);

/** Says exactly which groups are rolling, which failed and which were not started. */
export function startFailureMessage(result: RollResult, what?: string): string {
  const started = result.groups.filter((g) => g.status === 'refresh-started');
  const failed = result.groups.filter((g) => g.status === 'failed');
  const notStarted = result.groups.filter((g) => g.status === 'not-started');
  const parts = [
    what ?? failed.map((g) => `failed for ${who(g)}: ${g.error ?? 'unknown error'}`).join('; '),
    started.length
      ? `still rolling (refreshes started): ${started.map((g) => `${who(g)} ${g.refreshId}`).join(', ')}`
      : 'no refresh was started',
    notStarted.length ? `not started: ${notStarted.map(who).join(', ')}` : '',
  ];
  return `Rolling ${result.groups.length} group(s) failed: ${parts.filter(Boolean).join('; ')}.`;
}

/**
 * Starting refreshes failed part way, or the health wait failed. Its result still reaches the
 * outputs and the summary: the refreshes that did start keep running.
 */
export class RollFailure extends PartialFailure<RollResult> {
  constructor(result: RollResult, message = startFailureMessage(result)) {
    super(message, result);
  }
}

/** The `refreshes` record of a group whose refresh started. */
export function refreshRecord(g: GroupOutcome): RefreshRecord | undefined {
  if (g.status !== 'refresh-started' || !g.refreshId) return undefined;
  const t = g.template;
  return {
    region: g.region,
    group: g.group,
    refreshId: g.refreshId,
    amiId: g.amiId,
    ...(g.previousAmiId ? { previousAmiId: g.previousAmiId } : {}),
    imageSource: g.imageSource,
    ...(t.version !== undefined
      ? {
          launchTemplate: { id: t.id, ...(t.name ? { name: t.name } : {}), version: String(t.version) },
          newVersion: String(t.version),
        }
      : {}),
    previousVersion: String(t.previousVersion),
  };
}

/** A group's outcome as planned: its template before the roll, and the version when no new one is needed. */
export function outcomeOf(p: GroupPlan, status: GroupStatus, error?: string): GroupOutcome {
  const main = p.templates[0]!;
  return {
    region: p.region,
    group: p.name,
    status,
    imageSource: p.imageSource,
    amiId: p.amiId,
    ...(p.previousAmiId ? { previousAmiId: p.previousAmiId } : {}),
    template: {
      id: main.id,
      ...(main.name ? { name: main.name } : {}),
      requested: main.requested,
      previousVersion: main.version,
      ...(p.alreadyCurrent || (main.imageId === p.amiId && main.ssmParameter === undefined)
        ? { version: main.version }
        : {}),
      created: false,
    },
    instances: p.instances,
    ...(p.alreadyCurrent ? {} : { replacing: p.replacing }),
    before: sourcesOf(p),
    ...(error ? { error } : {}),
  };
}

/** The `refreshes` and `asg-names` outputs. */
export function rollOutputs(r: RollResult) {
  return { refreshes: r.refreshes, 'asg-names': r.asgNames.join(',') };
}
