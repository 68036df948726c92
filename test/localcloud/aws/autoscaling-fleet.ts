// The group controller: follows each instance's EC2 state into Auto Scaling lifecycle and health,
// registers instances in the group's target groups, and keeps the desired capacity by launching
// from the group's launch template and replacing unhealthy instances.
import { completeActivity, recordActivity, type ScalingActivity } from './autoscaling-activities.js';
import { healthVerdict } from './autoscaling-health.js';
import { resolveLaunchConfiguration } from './autoscaling-launch-configs.js';
import type { AsgRegion } from './autoscaling-state.js';
import {
  ACTIVE_REFRESH_STATUSES,
  type AutoScalingGroup,
  type GroupInstance,
  type InstanceRefresh,
  type LaunchConfig,
  type LaunchTemplateRef,
  type ResolvedLaunch,
} from './autoscaling-types.js';
import { elbv2TargetGroups } from './autoscaling-traffic.js';
import { deregisterTarget, registerTarget } from './elbv2-state.js';

/** Upper bound on launches per group per tick, so a huge desired capacity cannot stall the ticker. */
const MAX_LAUNCHES_PER_TICK = 50;

export function launchRefOf(config: LaunchConfig): LaunchTemplateRef | undefined {
  return config.LaunchTemplate ?? config.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
}

/** Resolves a group's or refresh's configuration to what EC2 launches (throws AwsError when it cannot). */
export function resolveConfig(region: AsgRegion, config: LaunchConfig): ResolvedLaunch | undefined {
  if (config.LaunchConfigurationName)
    return resolveLaunchConfiguration(region, config.LaunchConfigurationName);
  const ref = launchRefOf(config);
  if (!ref) return undefined;
  const resolved = region.platform.resolveLaunchTemplate(ref);
  const override = config.MixedInstancesPolicy?.LaunchTemplate?.Overrides?.[0]?.InstanceType;
  return override ? { ...resolved, instanceType: override } : resolved;
}

/** Whether the instance already runs the given configuration (what SkipMatching compares). */
export function matches(inst: GroupInstance, launch: ResolvedLaunch): boolean {
  if (launch.launchConfigurationName) return inst.launchConfigurationName === launch.launchConfigurationName;
  return (
    inst.launchTemplate?.LaunchTemplateId === launch.templateId &&
    inst.launchTemplate.Version === String(launch.version)
  );
}

export function activeRefresh(region: AsgRegion, groupName: string): InstanceRefresh | undefined {
  return region.refreshesOf(groupName).find((r) => ACTIVE_REFRESH_STATUSES.includes(r.status));
}

/** Instances that count toward the desired capacity: not on their way out, not in Standby. */
export function liveInstances(group: AutoScalingGroup): GroupInstance[] {
  return [...group.instances.values()].filter(
    (i) => i.lifecycle !== 'Terminating' && i.lifecycle !== 'Standby',
  );
}

/** Every instance of the group not on its way out, Standby included (what deleting the group ends). */
export function memberInstances(group: AutoScalingGroup): GroupInstance[] {
  return [...group.instances.values()].filter((i) => i.lifecycle !== 'Terminating');
}

function pickPlacement(
  region: AsgRegion,
  group: AutoScalingGroup,
): { availabilityZone?: string; subnetId?: string } {
  const subnets = (group.vpcZoneIdentifier ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const count = group.instances.size;
  if (subnets.length > 0) return { subnetId: subnets[count % subnets.length] };
  const zones =
    group.availabilityZones.length > 0 ? group.availabilityZones : region.platform.availabilityZones();
  // Balance across zones: the zone with the fewest live instances wins.
  const load = new Map(zones.map((z) => [z, 0]));
  for (const i of liveInstances(group)) load.set(i.availabilityZone, (load.get(i.availabilityZone) ?? 0) + 1);
  let best = zones[0];
  for (const z of zones) if ((load.get(z) ?? 0) < (load.get(best ?? '') ?? Infinity)) best = z;
  return best === undefined ? {} : { availabilityZone: best };
}

function launchCause(group: AutoScalingGroup, now: number, refreshId: string | undefined): string {
  const at = new Date(now).toISOString();
  return refreshId
    ? `At ${at} an instance was launched in response to instance refresh ${refreshId}.`
    : `At ${at} an instance was started in response to a difference between desired and actual capacity, ` +
        `increasing the capacity from ${liveInstances(group).length} to ${group.desired}.`;
}

/**
 * Launches one instance into the group, or into its warm pool (no target registration, `Warmed:Pending`);
 * undefined when EC2 refused (the group then backs off).
 */
export function launchInto(
  region: AsgRegion,
  group: AutoScalingGroup,
  launch: ResolvedLaunch,
  refreshId?: string,
  warm = false,
): GroupInstance | undefined {
  const now = region.platform.now();
  const tags = [
    ...group.tags.filter((t) => t.PropagateAtLaunch).map((t) => ({ Key: t.Key, Value: t.Value })),
    { Key: 'aws:autoscaling:groupName', Value: group.name },
  ];
  let launched;
  try {
    launched = region.platform.launchInstance({
      groupName: group.name,
      launch,
      tags,
      ...pickPlacement(region, group),
    });
  } catch (err) {
    group.lastLaunchError = err instanceof Error ? err.message : String(err);
    group.nextLaunchAttempt = now + region.timings.healthCheckDelayMs;
    recordActivity(region, group, {
      description: `Launching a new EC2 instance.  Status Reason: ${group.lastLaunchError} Launching EC2 instance failed.`,
      cause: launchCause(group, now, refreshId),
      endTime: now,
      statusCode: 'Failed',
      statusMessage: `${group.lastLaunchError} Launching EC2 instance failed.`,
    });
    return undefined;
  }
  recordActivity(region, group, {
    instanceId: launched.instanceId,
    description: `Launching a new EC2 instance${warm ? ' into warm pool' : ''}: ${launched.instanceId}`,
    cause: launchCause(group, now, refreshId),
    statusCode: 'InProgress',
    availabilityZone: launched.availabilityZone,
  });
  const inst: GroupInstance = {
    instanceId: launched.instanceId,
    availabilityZone: launched.availabilityZone,
    lifecycle: warm ? 'Warmed:Pending' : 'Pending',
    health: 'Healthy',
    ...(launch.launchConfigurationName
      ? { launchConfigurationName: launch.launchConfigurationName }
      : {
          launchTemplate: {
            LaunchTemplateId: launch.templateId,
            LaunchTemplateName: launch.templateName,
            Version: String(launch.version),
          },
        }),
    imageId: launch.imageId,
    instanceType: launch.instanceType,
    launchedAt: now,
    protectedFromScaleIn: group.newInstancesProtectedFromScaleIn,
    ...(refreshId ? { refreshId } : {}),
  };
  if (warm && group.warmPool) {
    group.warmPool.instances.set(inst.instanceId, inst);
    return inst;
  }
  group.instances.set(inst.instanceId, inst);
  for (const arn of elbv2TargetGroups(group)) {
    const tg = region.targetGroups.get(arn);
    if (tg) registerTarget(tg, inst.instanceId, now);
  }
  return inst;
}

/** Starts terminating an instance of the group: it drains from its target groups, then EC2 ends it. */
export function terminateFromGroup(
  region: AsgRegion,
  group: AutoScalingGroup,
  instanceId: string,
  why?: string,
): ScalingActivity | undefined {
  const inst = group.instances.get(instanceId);
  if (!inst || inst.lifecycle === 'Terminating') return undefined;
  const now = region.platform.now();
  const at = new Date(now).toISOString();
  const activity = recordActivity(region, group, {
    instanceId,
    description: `Terminating EC2 instance: ${instanceId}`,
    cause:
      why ??
      (inst.health === 'Unhealthy'
        ? `At ${at} an instance was taken out of service in response to a health check indicating it is unhealthy.`
        : `At ${at} an instance was taken out of service.`),
    statusCode: 'InProgress',
    availabilityZone: inst.availabilityZone,
  });
  inst.lifecycle = 'Terminating';
  for (const arn of elbv2TargetGroups(group)) {
    const tg = region.targetGroups.get(arn);
    if (tg) deregisterTarget(tg, instanceId, now);
  }
  region.platform.terminateInstance(instanceId);
  return activity;
}

/** Healthy by every check that applies and past its warmup: what a refresh waits for. */
export function isReady(region: AsgRegion, inst: GroupInstance, warmupMs: number): boolean {
  if (inst.lifecycle !== 'InService' || inst.health !== 'Healthy' || inst.inServiceAt === undefined)
    return false;
  const now = region.platform.now();
  const status = region.platform.instanceStatus(inst.instanceId);
  return (
    healthVerdict(status, now, region.timings.healthCheckDelayMs) === 'healthy' &&
    now >= inst.inServiceAt + warmupMs
  );
}

/** Follows EC2: Pending → InService once running; Unhealthy when health checks fail after the grace period. */
export function syncGroup(region: AsgRegion, group: AutoScalingGroup): void {
  const now = region.platform.now();
  const graceMs = group.healthCheckGracePeriod * region.timings.secondMs;
  for (const inst of [...group.instances.values()]) {
    const status = region.platform.instanceStatus(inst.instanceId);
    const gone = !status || status.state === 'terminated';
    if (inst.lifecycle === 'Terminating' || (inst.lifecycle === 'Pending' && gone)) {
      if (gone) {
        group.instances.delete(inst.instanceId);
        completeActivity(region, inst.instanceId);
      }
      continue;
    }
    if (inst.lifecycle === 'Pending' && status?.state === 'running') {
      inst.lifecycle = 'InService';
      inst.inServiceAt = now;
      completeActivity(region, inst.instanceId);
    }
    if (inst.lifecycle !== 'InService' || inst.health === 'Unhealthy') continue;
    // An instance stopped or terminated behind the group's back is unhealthy at once; failed
    // health checks only count once the grace period is over.
    if (!status || status.state !== 'running') inst.health = 'Unhealthy';
    else if (
      now >= inst.launchedAt + graceMs &&
      healthVerdict(status, now, region.timings.healthCheckDelayMs) === 'unhealthy'
    ) {
      inst.health = 'Unhealthy';
    }
  }
}

/** Which instance goes first on scale-in: not on the current configuration, then the oldest. */
function scaleInOrder(group: AutoScalingGroup, current: ResolvedLaunch | undefined): GroupInstance[] {
  return liveInstances(group)
    .filter((i) => !i.protectedFromScaleIn)
    .sort((a, b) => {
      const am = current && matches(a, current) ? 1 : 0;
      const bm = current && matches(b, current) ? 1 : 0;
      return am - bm || a.launchedAt - b.launchedAt;
    });
}

/** Replaces unhealthy instances and converges on the desired capacity using `config`. */
export function maintainCapacity(region: AsgRegion, group: AutoScalingGroup, config: LaunchConfig): void {
  for (const inst of liveInstances(group)) {
    if (inst.health === 'Unhealthy') terminateFromGroup(region, group, inst.instanceId);
  }
  const now = region.platform.now();
  let live = liveInstances(group).length;
  if (live < group.desired && (group.nextLaunchAttempt === undefined || now >= group.nextLaunchAttempt)) {
    let launch: ResolvedLaunch | undefined;
    try {
      launch = resolveConfig(region, config);
    } catch (err) {
      group.lastLaunchError = err instanceof Error ? err.message : String(err);
      group.nextLaunchAttempt = now + region.timings.healthCheckDelayMs;
    }
    for (let n = 0; launch && live < group.desired && n < MAX_LAUNCHES_PER_TICK; n++) {
      if (!launchInto(region, group, launch)) break;
      live++;
    }
  } else if (live > group.desired) {
    let current: ResolvedLaunch | undefined;
    try {
      current = resolveConfig(region, config);
    } catch {
      current = undefined;
    }
    const why =
      `At ${new Date(now).toISOString()} an instance was taken out of service in response to a difference ` +
      `between desired and actual capacity, shrinking the capacity from ${live} to ${group.desired}.`;
    for (const inst of scaleInOrder(group, current).slice(0, live - group.desired)) {
      terminateFromGroup(region, group, inst.instanceId, why);
    }
  }
}
