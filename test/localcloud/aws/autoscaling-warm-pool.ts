// Warm pools: pre-initialized instances beside a group (PutWarmPool / DescribeWarmPool /
// DeleteWarmPool). They are listed by DescribeWarmPool, not in the group's Instances; the group
// draws on them to scale out, and an instance refresh replaces them after the live pool.
import { completeActivity, recordActivity } from './autoscaling-activities.js';
import { launchInto, matches, resolveConfig } from './autoscaling-fleet.js';
import { paginate } from './autoscaling-paging.js';
import type { AsgRegion } from './autoscaling-state.js';
import type {
  AutoScalingGroup,
  GroupInstance,
  LaunchConfig,
  ResolvedLaunch,
  WarmPool,
  WarmPoolSettings,
} from './autoscaling-types.js';
import { elbv2TargetGroups } from './autoscaling-traffic.js';
import { registerTarget } from './elbv2-state.js';
import { AwsError } from './service.js';
import { instanceView } from './autoscaling-views.js';

export interface WarmPoolInput {
  MinSize?: number;
  MaxGroupPreparedCapacity?: number;
  PoolState?: string;
  InstanceReusePolicy?: { ReuseOnScaleIn?: boolean };
}

function invalid(message: string): AwsError {
  return new AwsError('ValidationError', message);
}

const POOL_STATES = ['Stopped', 'Running', 'Hibernated'] as const;

/** Creates or updates the group's warm pool (PutWarmPool). */
export function putWarmPool(group: AutoScalingGroup, p: WarmPoolInput): WarmPool {
  // "This operation cannot be called on an Auto Scaling group that has a mixed instances policy" (PutWarmPool).
  if (group.config.MixedInstancesPolicy)
    throw invalid('You cannot add a warm pool to an Auto Scaling group that has a mixed instances policy.');
  const state = p.PoolState ?? group.warmPool?.settings.PoolState ?? 'Stopped';
  if (!(POOL_STATES as readonly string[]).includes(state))
    throw invalid(`PoolState must be one of ${POOL_STATES.join(', ')}.`);
  const minSize = p.MinSize ?? group.warmPool?.settings.MinSize ?? 0;
  const prepared = p.MaxGroupPreparedCapacity ?? group.warmPool?.settings.MaxGroupPreparedCapacity ?? -1;
  if (!Number.isInteger(minSize) || minSize < 0) throw invalid('MinSize must be 0 or more.');
  if (!Number.isInteger(prepared) || prepared < -1)
    throw invalid('MaxGroupPreparedCapacity must be -1 or more.');
  const settings: WarmPoolSettings = {
    MinSize: minSize,
    MaxGroupPreparedCapacity: prepared,
    PoolState: state as WarmPoolSettings['PoolState'],
    ...(p.InstanceReusePolicy ? { InstanceReusePolicy: structuredClone(p.InstanceReusePolicy) } : {}),
  };
  group.warmPool = { settings, instances: group.warmPool?.instances ?? new Map(), deleting: false };
  return group.warmPool;
}

/** DeleteWarmPool: the pool is PendingDelete while its instances terminate (at once with ForceDelete). */
export function deleteWarmPool(region: AsgRegion, group: AutoScalingGroup, force: boolean): void {
  const pool = group.warmPool;
  if (!pool) throw invalid(`No warm pool found for Auto Scaling group ${group.name}.`);
  pool.deleting = true;
  for (const inst of warmInstances(group)) terminateWarm(region, group, inst);
  if (force || pool.instances.size === 0) delete group.warmPool;
}

export function describeWarmPool(
  group: AutoScalingGroup,
  maxRecords: number | undefined,
  nextToken: string | undefined,
): Record<string, unknown> {
  const pool = group.warmPool;
  if (!pool) return { Instances: [] };
  const all = [...pool.instances.values()].sort((a, b) => a.launchedAt - b.launchedAt);
  const page = paginate(all, 'wp', maxRecords, nextToken, { default: 50, max: 50 });
  return {
    WarmPoolConfiguration: {
      ...structuredClone(pool.settings),
      ...(pool.deleting ? { Status: 'PendingDelete' } : {}),
    },
    Instances: page.items.map(instanceView),
    ...(page.nextToken ? { NextToken: page.nextToken } : {}),
  };
}

/** Warm instances not on their way out. */
export function warmInstances(group: AutoScalingGroup): GroupInstance[] {
  return [...(group.warmPool?.instances.values() ?? [])].filter((i) => i.lifecycle !== 'Warmed:Terminating');
}

/** In the pool's state, ready to be drawn (launched and, for Stopped/Hibernated, stopped). */
export const settled = (i: GroupInstance) =>
  i.lifecycle === 'Warmed:Stopped' || i.lifecycle === 'Warmed:Running' || i.lifecycle === 'Warmed:Hibernated';

/**
 * How many instances the pool keeps: MaxGroupPreparedCapacity (the group's MaxSize when -1) minus
 * the desired capacity, but never fewer than MinSize.
 */
export function warmPoolTarget(group: AutoScalingGroup): number {
  const s = group.warmPool?.settings;
  if (!s || group.warmPool?.deleting) return 0;
  const prepared = s.MaxGroupPreparedCapacity === -1 ? group.max : s.MaxGroupPreparedCapacity;
  return Math.max(s.MinSize, prepared - group.desired, 0);
}

export function terminateWarm(
  region: AsgRegion,
  group: AutoScalingGroup,
  inst: GroupInstance,
  why?: string,
): void {
  if (inst.lifecycle === 'Warmed:Terminating') return;
  const at = new Date(region.platform.now()).toISOString();
  recordActivity(region, group, {
    instanceId: inst.instanceId,
    description: `Terminating EC2 instance in warm pool: ${inst.instanceId}`,
    cause: why ?? `At ${at} an instance was taken out of the warm pool.`,
    statusCode: 'InProgress',
    availabilityZone: inst.availabilityZone,
  });
  inst.lifecycle = 'Warmed:Terminating';
  region.platform.terminateInstance(inst.instanceId);
}

/** Follows EC2: Warmed:Pending until running, then (stopped for a Stopped/Hibernated pool) the pool's state. */
export function syncWarmPool(region: AsgRegion, group: AutoScalingGroup): void {
  const pool = group.warmPool;
  if (!pool) return;
  for (const inst of [...pool.instances.values()]) {
    const status = region.platform.instanceStatus(inst.instanceId);
    if (!status || status.state === 'terminated') {
      pool.instances.delete(inst.instanceId);
      completeActivity(region, inst.instanceId);
      continue;
    }
    if (inst.lifecycle !== 'Warmed:Pending') continue;
    const want = `Warmed:${pool.settings.PoolState}` as const;
    if (pool.settings.PoolState === 'Running' ? status.state === 'running' : status.state === 'stopped') {
      inst.lifecycle = want;
      completeActivity(region, inst.instanceId);
    } else if (status.state === 'running') {
      if (region.platform.stopInstance) region.platform.stopInstance(inst.instanceId);
      else inst.lifecycle = want;
    }
  }
  if (pool.deleting && pool.instances.size === 0) delete group.warmPool;
}

/** Scale-out draws on the warm pool first: settled instances move into the group, oldest first. */
export function drawFromWarmPool(region: AsgRegion, group: AutoScalingGroup, wanted: number): number {
  const pool = group.warmPool;
  if (!pool || pool.deleting || wanted <= 0) return 0;
  const ready = [...pool.instances.values()].filter(settled).sort((a, b) => a.launchedAt - b.launchedAt);
  const now = region.platform.now();
  let drawn = 0;
  for (const inst of ready.slice(0, wanted)) {
    pool.instances.delete(inst.instanceId);
    inst.lifecycle = 'Pending';
    delete inst.inServiceAt;
    if (region.platform.instanceStatus(inst.instanceId)?.state === 'stopped')
      region.platform.startInstance?.(inst.instanceId);
    group.instances.set(inst.instanceId, inst);
    recordActivity(region, group, {
      instanceId: inst.instanceId,
      description: `Launching a new EC2 instance from warm pool: ${inst.instanceId}`,
      cause: `At ${new Date(now).toISOString()} an instance was started in response to a difference between desired and actual capacity.`,
      statusCode: 'InProgress',
      availabilityZone: inst.availabilityZone,
    });
    for (const arn of elbv2TargetGroups(group)) {
      const tg = region.targetGroups.get(arn);
      if (tg) registerTarget(tg, inst.instanceId, now);
    }
    drawn++;
  }
  return drawn;
}

/** Keeps the pool at its size from `config`: launches what is missing, removes the surplus (stale first). */
export function maintainWarmPool(region: AsgRegion, group: AutoScalingGroup, config: LaunchConfig): void {
  if (!group.warmPool || group.warmPool.deleting) return;
  const target = warmPoolTarget(group);
  const warm = warmInstances(group);
  let launch: ResolvedLaunch | undefined;
  try {
    launch = resolveConfig(region, config);
  } catch {
    return;
  }
  if (!launch) return;
  if (warm.length > target) {
    const current = launch;
    const surplus = warm
      .sort(
        (a, b) => Number(matches(a, current)) - Number(matches(b, current)) || a.launchedAt - b.launchedAt,
      )
      .slice(0, warm.length - target);
    for (const inst of surplus) terminateWarm(region, group, inst);
    return;
  }
  const now = region.platform.now();
  if (group.nextLaunchAttempt !== undefined && now < group.nextLaunchAttempt) return;
  for (let n = warm.length; n < target; n++) if (!launchInto(region, group, launch, undefined, true)) break;
}
