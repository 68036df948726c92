// Auto Scaling state rendered as the botocore output shapes (SDK member names) the serializer expects.
import type { AsgRegion } from './autoscaling-state.js';
import { allTrafficSources, elbv2TargetGroups } from './autoscaling-traffic.js';
import type {
  AutoScalingGroup,
  GroupInstance,
  GroupTag,
  InstanceRefresh,
  LaunchTemplateRef,
  RefreshProgress,
} from './autoscaling-types.js';

/** AWS echoes both the id and the name of a group's launch template, and the version as given. */
function templateView(region: AsgRegion, ref: LaunchTemplateRef): Required<LaunchTemplateRef> {
  const version = ref.Version ?? '$Default';
  try {
    const r = region.platform.resolveLaunchTemplate({ ...ref, Version: '$Default' });
    return { LaunchTemplateId: r.templateId, LaunchTemplateName: r.templateName, Version: version };
  } catch {
    return {
      LaunchTemplateId: ref.LaunchTemplateId ?? '',
      LaunchTemplateName: ref.LaunchTemplateName ?? '',
      Version: version,
    };
  }
}

export function instanceView(inst: GroupInstance): Record<string, unknown> {
  return {
    InstanceId: inst.instanceId,
    InstanceType: inst.instanceType,
    AvailabilityZone: inst.availabilityZone,
    LifecycleState: inst.lifecycle,
    HealthStatus: inst.health,
    ...(inst.launchTemplate ? { LaunchTemplate: { ...inst.launchTemplate } } : {}),
    ...(inst.launchConfigurationName ? { LaunchConfigurationName: inst.launchConfigurationName } : {}),
    ImageId: inst.imageId,
    ProtectedFromScaleIn: inst.protectedFromScaleIn,
  };
}

export function instanceDetailsView(group: AutoScalingGroup, inst: GroupInstance): Record<string, unknown> {
  return { ...instanceView(inst), AutoScalingGroupName: group.name, HealthStatus: inst.health.toUpperCase() };
}

export function tagView(group: AutoScalingGroup, tag: GroupTag): Record<string, unknown> {
  return {
    ResourceId: group.name,
    ResourceType: 'auto-scaling-group',
    Key: tag.Key,
    Value: tag.Value,
    PropagateAtLaunch: tag.PropagateAtLaunch,
  };
}

export function groupView(region: AsgRegion, group: AutoScalingGroup): Record<string, unknown> {
  const view: Record<string, unknown> = {
    AutoScalingGroupName: group.name,
    AutoScalingGroupARN: group.arn,
    MinSize: group.min,
    MaxSize: group.max,
    DesiredCapacity: group.desired,
    DefaultCooldown: group.defaultCooldown,
    AvailabilityZones: [...group.availabilityZones],
    LoadBalancerNames: [],
    TargetGroupARNs: region.readings.trafficSourcesInTargetGroupArns
      ? elbv2TargetGroups(group)
      : [...group.targetGroupArns],
    HealthCheckType: group.healthCheckType,
    HealthCheckGracePeriod: group.healthCheckGracePeriod,
    Instances: [...group.instances.values()].map(instanceView),
    CreatedTime: new Date(group.createdAt),
    SuspendedProcesses: [],
    EnabledMetrics: [],
    Tags: group.tags.map((t) => tagView(group, t)),
    TerminationPolicies: [...group.terminationPolicies],
    NewInstancesProtectedFromScaleIn: group.newInstancesProtectedFromScaleIn,
    ServiceLinkedRoleARN: `arn:aws:iam::${region.accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
    CapacityRebalance: false,
    TrafficSources: allTrafficSources(group),
  };
  if (group.config.LaunchTemplate) view.LaunchTemplate = templateView(region, group.config.LaunchTemplate);
  if (group.config.MixedInstancesPolicy)
    view.MixedInstancesPolicy = structuredClone(group.config.MixedInstancesPolicy);
  if (group.config.LaunchConfigurationName)
    view.LaunchConfigurationName = group.config.LaunchConfigurationName;
  if (group.vpcZoneIdentifier !== undefined) view.VPCZoneIdentifier = group.vpcZoneIdentifier;
  if (group.defaultInstanceWarmup !== undefined) view.DefaultInstanceWarmup = group.defaultInstanceWarmup;
  if (group.deleting) view.Status = 'Delete in progress';
  if (group.warmPool) {
    view.WarmPoolConfiguration = {
      ...structuredClone(group.warmPool.settings),
      ...(group.warmPool.deleting ? { Status: 'PendingDelete' } : {}),
    };
    view.WarmPoolSize = [...group.warmPool.instances.values()].filter(
      (i) => i.lifecycle !== 'Warmed:Terminating',
    ).length;
  }
  if (group.instanceMaintenancePolicy)
    view.InstanceMaintenancePolicy = { ...group.instanceMaintenancePolicy };
  return view;
}

function progressView(p: RefreshProgress): Record<string, unknown> {
  const live = p.livePool ?? p;
  const warm = p.warmPool ?? { percentageComplete: 100, instancesToUpdate: 0 };
  return {
    LivePoolProgress: {
      PercentageComplete: live.percentageComplete,
      InstancesToUpdate: live.instancesToUpdate,
    },
    WarmPoolProgress: {
      PercentageComplete: warm.percentageComplete,
      InstancesToUpdate: warm.instancesToUpdate,
    },
  };
}

export function refreshView(refresh: InstanceRefresh): Record<string, unknown> {
  const view: Record<string, unknown> = {
    InstanceRefreshId: refresh.id,
    AutoScalingGroupName: refresh.groupName,
    Status: refresh.status,
    StartTime: new Date(refresh.startTime),
    PercentageComplete: refresh.progress.percentageComplete,
    InstancesToUpdate: refresh.progress.instancesToUpdate,
    ProgressDetails: progressView(refresh.progress),
    Preferences: structuredClone(refresh.preferences),
    Strategy: refresh.strategy,
  };
  if (refresh.statusReason !== undefined) view.StatusReason = refresh.statusReason;
  if (refresh.endTime !== undefined) view.EndTime = new Date(refresh.endTime);
  if (refresh.desiredConfiguration) view.DesiredConfiguration = structuredClone(refresh.desiredConfiguration);
  if (refresh.rollback) {
    view.RollbackDetails = {
      RollbackReason: refresh.rollback.reason,
      RollbackStartTime: new Date(refresh.rollback.startTime),
      PercentageCompleteOnRollback: refresh.rollback.onRollback.percentageComplete,
      InstancesToUpdateOnRollback: refresh.rollback.onRollback.instancesToUpdate,
      ProgressDetailsOnRollback: progressView(refresh.rollback.progress),
    };
  }
  return view;
}
