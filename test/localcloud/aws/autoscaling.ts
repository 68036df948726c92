// The Auto Scaling service (Query protocol): groups, their instances and tags, and instance refreshes.
import type { World } from '../state.js';
import { activityView } from './autoscaling-activities.js';
import { asgRegionOf } from './autoscaling-platform.js';
import {
  createGroup,
  deleteGroup,
  groupTags,
  requireGroup,
  setDesiredCapacity,
  updateGroup,
  type GroupInput,
  type TagInput,
} from './autoscaling-groups.js';
import {
  createLaunchConfiguration,
  deleteLaunchConfiguration,
  launchConfigurationView,
  type LaunchConfigurationInput,
} from './autoscaling-launch-configs.js';
import { paginate } from './autoscaling-paging.js';
import { enterStandby, exitStandby } from './autoscaling-standby.js';
import {
  deleteWarmPool,
  describeWarmPool,
  putWarmPool,
  type WarmPoolInput,
} from './autoscaling-warm-pool.js';
import type { AsgRegion } from './autoscaling-state.js';
import { throttlingError } from './autoscaling-throttle.js';
import { tickRegion } from './autoscaling-tick.js';
import { liveInstances, terminateFromGroup } from './autoscaling-fleet.js';
import {
  allTrafficSources,
  elbv2TargetGroups,
  parseTrafficSources,
  trafficSourceState,
} from './autoscaling-traffic.js';
import { deregisterTarget, registerTarget } from './elbv2-state.js';
import type { AutoScalingGroup } from './autoscaling-types.js';
import { groupView, instanceDetailsView, refreshView, tagView } from './autoscaling-views.js';
import { cancelRefresh, rollbackRefresh, startRefresh, type StartRefreshInput } from './refresh-engine.js';
import { AwsError, type AwsHandler, type AwsService, type HandlerContext } from './service.js';
import { onAnyResource } from '../iam-context.js';
import { onGroups } from './autoscaling-iam.js';

type Params = Record<string, unknown>;
type AsgHandler = (p: Params, region: AsgRegion, ctx: HandlerContext) => object;

interface Filter {
  Name?: string;
  Values?: string[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

function invalid(message: string): AwsError {
  return new AwsError('ValidationError', message);
}

function groupMatchesFilters(group: AutoScalingGroup, filters: readonly Filter[]): boolean {
  return filters.every((f) => {
    const values = f.Values ?? [];
    const name = f.Name ?? '';
    if (name === 'tag-key') return group.tags.some((t) => values.includes(t.Key));
    if (name === 'tag-value') return group.tags.some((t) => values.includes(t.Value));
    if (name.startsWith('tag:')) {
      const key = name.slice(4);
      return group.tags.some((t) => t.Key === key && values.includes(t.Value));
    }
    throw invalid(`Filter name ${name} is not valid. Valid names: tag-key, tag-value, tag:<key>.`);
  });
}

function findGroupOfInstance(region: AsgRegion, instanceId: string): AutoScalingGroup | undefined {
  for (const g of region.groups.values()) if (g.instances.has(instanceId)) return g;
  return undefined;
}

const handlers: Record<string, AsgHandler> = {
  CreateAutoScalingGroup(p, region) {
    createGroup(region, p as GroupInput);
    return {};
  },

  UpdateAutoScalingGroup(p, region) {
    updateGroup(region, p as GroupInput);
    return {};
  },

  DeleteAutoScalingGroup(p, region) {
    deleteGroup(region, p.AutoScalingGroupName, p.ForceDelete === true);
    return {};
  },

  DescribeAutoScalingGroups(p, region) {
    const names = list<string>(p.AutoScalingGroupNames);
    if (names.length > 100) throw invalid('The number of AutoScalingGroupNames cannot exceed 100.');
    const filters = list<Filter>(p.Filters);
    const groups = [...region.groups.values()]
      .filter((g) => names.length === 0 || names.includes(g.name))
      .filter((g) => groupMatchesFilters(g, filters))
      .sort((a, b) => a.name.localeCompare(b.name));
    const page = paginate(groups, 'asg', num(p.MaxRecords), str(p.NextToken), { default: 50, max: 100 });
    return {
      AutoScalingGroups: page.items.map((g) => groupView(region, g)),
      ...(page.nextToken ? { NextToken: page.nextToken } : {}),
    };
  },

  DescribeAutoScalingInstances(p, region) {
    const ids = list<string>(p.InstanceIds);
    if (ids.length > 50) throw invalid('The number of InstanceIds cannot exceed 50.');
    const rows = [...region.groups.values()]
      .flatMap((g) => [...g.instances.values()].map((i) => ({ g, i })))
      .filter(({ i }) => ids.length === 0 || ids.includes(i.instanceId))
      .sort((a, b) => a.i.instanceId.localeCompare(b.i.instanceId));
    const page = paginate(rows, 'asi', num(p.MaxRecords), str(p.NextToken), { default: 50, max: 50 });
    return {
      AutoScalingInstances: page.items.map(({ g, i }) => instanceDetailsView(g, i)),
      ...(page.nextToken ? { NextToken: page.nextToken } : {}),
    };
  },

  SetDesiredCapacity(p, region) {
    const desired = num(p.DesiredCapacity);
    if (desired === undefined) throw invalid('DesiredCapacity is required.');
    setDesiredCapacity(region, p.AutoScalingGroupName, desired);
    return {};
  },

  SetInstanceHealth(p, region) {
    const id = str(p.InstanceId) ?? '';
    const group = findGroupOfInstance(region, id);
    const inst = group?.instances.get(id);
    if (!inst) throw invalid(`Instance Id not found - No managed instance found for instance ID: ${id}`);
    const status = str(p.HealthStatus);
    if (status !== 'Healthy' && status !== 'Unhealthy')
      throw invalid('HealthStatus must be Healthy or Unhealthy.');
    inst.health = status;
    return {};
  },

  EnterStandby(p, region) {
    const group = requireGroup(region, p.AutoScalingGroupName);
    if (typeof p.ShouldDecrementDesiredCapacity !== 'boolean')
      throw invalid('ShouldDecrementDesiredCapacity is required.');
    const acts = enterStandby(region, group, list<string>(p.InstanceIds), p.ShouldDecrementDesiredCapacity);
    return { Activities: acts.map(activityView) };
  },

  ExitStandby(p, region) {
    const group = requireGroup(region, p.AutoScalingGroupName);
    return { Activities: exitStandby(region, group, list<string>(p.InstanceIds)).map(activityView) };
  },

  SetInstanceProtection(p, region) {
    const group = requireGroup(region, p.AutoScalingGroupName);
    const ids = list<string>(p.InstanceIds);
    if (ids.length > 50) throw invalid('The number of InstanceIds cannot exceed 50.');
    for (const id of ids)
      if (!group.instances.has(id))
        throw invalid(`The instance ${id} is not part of Auto Scaling group ${group.name}.`);
    for (const id of ids) group.instances.get(id)!.protectedFromScaleIn = p.ProtectedFromScaleIn === true;
    return {};
  },

  TerminateInstanceInAutoScalingGroup(p, region, ctx) {
    const id = str(p.InstanceId) ?? '';
    const group = findGroupOfInstance(region, id);
    if (!group) throw invalid(`Instance Id not found - No managed instance found for instance ID: ${id}`);
    const decrement = p.ShouldDecrementDesiredCapacity === true;
    if (decrement) {
      if (group.desired <= group.min) {
        throw invalid(
          `Currently, desiredSize equals minSize (${group.min}). Terminating instance without replacement will violate ` +
            "group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.",
        );
      }
      group.desired -= 1;
    }
    const at = new Date(ctx.now).toISOString();
    const why =
      `At ${at} instance ${id} was taken out of service in response to a user request` +
      (decrement ? `, shrinking the capacity from ${group.desired + 1} to ${group.desired}.` : '.');
    const recorded = terminateFromGroup(region, group, id, why);
    return recorded ? { Activity: activityView(recorded) } : {};
  },

  DescribeScalingActivities(p, region) {
    const ids = list<string>(p.ActivityIds);
    const name = str(p.AutoScalingGroupName);
    const includeDeleted = p.IncludeDeletedGroups === true;
    const rows = [...region.activities]
      .reverse()
      .filter((a) => (name === undefined || a.groupName === name) && (ids.length === 0 || ids.includes(a.id)))
      .filter((a) => includeDeleted || region.groups.has(a.groupName));
    const page = paginate(rows, 'act', num(p.MaxRecords), str(p.NextToken), { default: 100, max: 100 });
    return {
      Activities: page.items.map(activityView),
      ...(page.nextToken ? { NextToken: page.nextToken } : {}),
    };
  },

  DescribeTags(p, region) {
    const filters = list<Filter>(p.Filters);
    const rows = [...region.groups.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((g) => g.tags.map((t) => ({ g, t })))
      .filter(({ g, t }) =>
        filters.every((f) => {
          const values = f.Values ?? [];
          switch (f.Name) {
            case 'auto-scaling-group':
              return values.includes(g.name);
            case 'key':
              return values.includes(t.Key);
            case 'value':
              return values.includes(t.Value);
            case 'propagate-at-launch':
              return values.includes(String(t.PropagateAtLaunch));
            default:
              throw invalid(`Filter name ${f.Name ?? ''} is not valid.`);
          }
        }),
      );
    const page = paginate(rows, 'tags', num(p.MaxRecords), str(p.NextToken), { default: 50, max: 100 });
    return {
      Tags: page.items.map(({ g, t }) => tagView(g, t)),
      ...(page.nextToken ? { NextToken: page.nextToken } : {}),
    };
  },

  CreateOrUpdateTags(p, region) {
    for (const tag of list<TagInput>(p.Tags)) {
      const group = requireGroup(region, tag.ResourceId);
      const [parsed] = groupTags(group.name, [tag]);
      if (!parsed) continue;
      const existing = group.tags.find((t) => t.Key === parsed.Key);
      if (existing) Object.assign(existing, parsed);
      else group.tags.push(parsed);
    }
    return {};
  },

  DeleteTags(p, region) {
    for (const tag of list<TagInput>(p.Tags)) {
      const group = requireGroup(region, tag.ResourceId);
      group.tags = group.tags.filter((t) => t.Key !== tag.Key);
    }
    return {};
  },

  StartInstanceRefresh(p, region) {
    const group = requireGroup(region, p.AutoScalingGroupName);
    const refresh = startRefresh(region, group, p as StartRefreshInput);
    return { InstanceRefreshId: refresh.id };
  },

  DescribeInstanceRefreshes(p, region) {
    const group = requireGroup(region, p.AutoScalingGroupName);
    const ids = list<string>(p.InstanceRefreshIds);
    // AWS documents no order: the reading decides, so the actions are tested under both.
    const stored = [...region.refreshesOf(group.name)];
    const refreshes = (region.readings.refreshOrder === 'newest-first' ? stored.reverse() : stored).filter(
      (r) => ids.length === 0 || ids.includes(r.id),
    );
    const page = paginate(refreshes, 'irf', num(p.MaxRecords), str(p.NextToken), { default: 50, max: 100 });
    return {
      InstanceRefreshes: page.items.map(refreshView),
      ...(page.nextToken ? { NextToken: page.nextToken } : {}),
    };
  },

  AttachTrafficSources(p, region) {
    const group = requireGroup(region, p.AutoScalingGroupName);
    const now = region.platform.now();
    for (const source of parseTrafficSources(region, p.TrafficSources)) {
      if (group.trafficSources.some((s) => s.Identifier === source.Identifier && s.Type === source.Type))
        continue;
      group.trafficSources.push(source);
      const tg = source.Type === 'elbv2' ? region.targetGroups.get(source.Identifier) : undefined;
      if (tg) for (const inst of liveInstances(group)) registerTarget(tg, inst.instanceId, now);
    }
    return {};
  },

  DetachTrafficSources(p, region) {
    const group = requireGroup(region, p.AutoScalingGroupName);
    const now = region.platform.now();
    for (const source of parseTrafficSources(region, p.TrafficSources)) {
      group.trafficSources = group.trafficSources.filter(
        (s) => !(s.Identifier === source.Identifier && s.Type === source.Type),
      );
      const tg = region.targetGroups.get(source.Identifier);
      if (tg && !elbv2TargetGroups(group).includes(source.Identifier))
        for (const inst of group.instances.values()) deregisterTarget(tg, inst.instanceId, now);
    }
    return {};
  },

  DescribeTrafficSources(p, region) {
    const group = requireGroup(region, p.AutoScalingGroupName);
    const type = str(p.TrafficSourceType);
    const rows = allTrafficSources(group).filter((s) => type === undefined || s.Type === type);
    const page = paginate(rows, 'trs', num(p.MaxRecords), str(p.NextToken), { default: 50, max: 50 });
    return {
      TrafficSources: page.items.map((s) => ({
        TrafficSource: s.Identifier,
        Identifier: s.Identifier,
        Type: s.Type,
        State: trafficSourceState(region, group, s),
      })),
      ...(page.nextToken ? { NextToken: page.nextToken } : {}),
    };
  },

  PutWarmPool(p, region) {
    putWarmPool(requireGroup(region, p.AutoScalingGroupName), p as WarmPoolInput);
    return {};
  },

  DescribeWarmPool(p, region) {
    return describeWarmPool(
      requireGroup(region, p.AutoScalingGroupName),
      num(p.MaxRecords),
      str(p.NextToken),
    );
  },

  DeleteWarmPool(p, region) {
    deleteWarmPool(region, requireGroup(region, p.AutoScalingGroupName), p.ForceDelete === true);
    return {};
  },

  CreateLaunchConfiguration(p, region) {
    createLaunchConfiguration(region, p as LaunchConfigurationInput);
    return {};
  },

  DescribeLaunchConfigurations(p, region) {
    const names = list<string>(p.LaunchConfigurationNames);
    if (names.length > 50) throw invalid('The number of LaunchConfigurationNames cannot exceed 50.');
    const rows = [...region.launchConfigurations.values()]
      .filter((lc) => names.length === 0 || names.includes(lc.name))
      .sort((a, b) => a.name.localeCompare(b.name));
    const page = paginate(rows, 'lcs', num(p.MaxRecords), str(p.NextToken), { default: 50, max: 100 });
    return {
      LaunchConfigurations: page.items.map(launchConfigurationView),
      ...(page.nextToken ? { NextToken: page.nextToken } : {}),
    };
  },

  DeleteLaunchConfiguration(p, region) {
    deleteLaunchConfiguration(region, p.LaunchConfigurationName);
    return {};
  },

  CancelInstanceRefresh(p, region) {
    const group = requireGroup(region, p.AutoScalingGroupName);
    return { InstanceRefreshId: cancelRefresh(region, group).id };
  },

  RollbackInstanceRefresh(p, region) {
    const group = requireGroup(region, p.AutoScalingGroupName);
    return { InstanceRefreshId: rollbackRefresh(region, group).id };
  },
};

/** Every Auto Scaling call draws from the region's one token bucket when one is set. */
function withThrottle(handler: AsgHandler): AwsHandler {
  return (req, ctx) => {
    const region = asgRegionOf(ctx.region);
    if (region.throttle && !region.throttle.take(ctx.now)) throw throttlingError();
    return handler(req.params, region, ctx);
  };
}

export function tickAutoScaling(world: World): void {
  for (const region of world.regions()) tickRegion(asgRegionOf(region));
}

export const autoscalingService: AwsService = {
  signingName: 'autoscaling',
  protocol: 'query',
  model: 'autoscaling',
  handlers: Object.fromEntries(Object.entries(handlers).map(([op, h]) => [op, withThrottle(h)])),
  // Describe* on `*`; every other operation on the groups it names (autoscaling-iam.ts).
  iam: Object.fromEntries(
    Object.keys(handlers).map((op) => [op, /^Describe/.test(op) ? onAnyResource : onGroups]),
  ),
  tick: (world) => tickAutoScaling(world),
};
