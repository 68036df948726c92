// Creating, updating and deleting Auto Scaling groups, with the validation AWS applies.
import { randomUUID } from 'node:crypto';
import { activeRefresh, memberInstances, resolveConfig, terminateFromGroup } from './autoscaling-fleet.js';
import type { AsgRegion } from './autoscaling-state.js';
import type {
  AutoScalingGroup,
  GroupTag,
  InstanceMaintenancePolicy,
  LaunchConfig,
  LaunchTemplateRef,
  MixedInstancesPolicy,
} from './autoscaling-types.js';
import { requireLaunchConfiguration } from './autoscaling-launch-configs.js';
import { parseTrafficSources } from './autoscaling-traffic.js';
import { terminateWarm, warmInstances } from './autoscaling-warm-pool.js';
import { AwsError } from './service.js';

export interface TagInput {
  ResourceId?: string;
  ResourceType?: string;
  Key?: string;
  Value?: string;
  PropagateAtLaunch?: boolean;
}

export interface GroupInput {
  AutoScalingGroupName?: string;
  LaunchTemplate?: LaunchTemplateRef;
  MixedInstancesPolicy?: MixedInstancesPolicy;
  LaunchConfigurationName?: string;
  InstanceId?: string;
  MinSize?: number;
  MaxSize?: number;
  DesiredCapacity?: number;
  DefaultCooldown?: number;
  AvailabilityZones?: string[];
  VPCZoneIdentifier?: string;
  TargetGroupARNs?: string[];
  TrafficSources?: { Identifier?: string; Type?: string }[];
  HealthCheckType?: string;
  HealthCheckGracePeriod?: number;
  DefaultInstanceWarmup?: number;
  NewInstancesProtectedFromScaleIn?: boolean;
  TerminationPolicies?: string[];
  Tags?: TagInput[];
  InstanceMaintenancePolicy?: { MinHealthyPercentage?: number; MaxHealthyPercentage?: number };
}

function invalid(message: string): AwsError {
  return new AwsError('ValidationError', message);
}

/**
 * InstanceMaintenancePolicy: "Both MinHealthyPercentage and MaxHealthyPercentage must be specified,
 * and the difference between them cannot be greater than 100"; -1 for both clears it (null).
 */
function maintenancePolicyOf(
  p: GroupInput['InstanceMaintenancePolicy'],
): InstanceMaintenancePolicy | null | undefined {
  if (p === undefined) return undefined;
  const { MinHealthyPercentage: min, MaxHealthyPercentage: max } = p;
  if (min === -1 && max === -1) return null;
  if (min === undefined || max === undefined)
    throw invalid('Both MinHealthyPercentage and MaxHealthyPercentage must be specified.');
  if (!Number.isInteger(min) || min < 0 || min > 100)
    throw invalid('MinHealthyPercentage must be an integer between 0 and 100.');
  if (!Number.isInteger(max) || max < 100 || max > 200)
    throw invalid('MaxHealthyPercentage must be an integer between 100 and 200.');
  if (max - min > 100)
    throw invalid(
      'The difference between MaxHealthyPercentage and MinHealthyPercentage cannot be greater than 100.',
    );
  return { MinHealthyPercentage: min, MaxHealthyPercentage: max };
}

export function requireGroup(region: AsgRegion, name: unknown): AutoScalingGroup {
  const group = typeof name === 'string' ? region.groups.get(name) : undefined;
  if (!group || group.deleting) {
    throw invalid(`AutoScalingGroup name not found - AutoScalingGroup ${String(name)} not found`);
  }
  return group;
}

function checkTemplateRef(ref: LaunchTemplateRef): void {
  if ((ref.LaunchTemplateId === undefined) === (ref.LaunchTemplateName === undefined)) {
    throw invalid('Valid requests must contain either launchTemplateId or LaunchTemplateName');
  }
}

/** The launch source of a request, or undefined when it names none. */
function launchConfigOf(input: GroupInput): LaunchConfig | undefined {
  const given = [input.LaunchTemplate, input.MixedInstancesPolicy, input.LaunchConfigurationName].filter(
    (x) => x !== undefined,
  );
  if (given.length === 0) return undefined;
  if (given.length > 1) {
    throw invalid(
      'Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.',
    );
  }
  if (input.LaunchTemplate) {
    checkTemplateRef(input.LaunchTemplate);
    return { LaunchTemplate: structuredClone(input.LaunchTemplate) };
  }
  if (input.MixedInstancesPolicy) {
    const spec = input.MixedInstancesPolicy.LaunchTemplate?.LaunchTemplateSpecification;
    if (!spec) throw invalid('MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification is required.');
    checkTemplateRef(spec);
    return { MixedInstancesPolicy: structuredClone(input.MixedInstancesPolicy) };
  }
  return { LaunchConfigurationName: input.LaunchConfigurationName as string };
}

/** EC2 would refuse every launch: AWS refuses to save such a group (wording from its ValidationError). */
function checkLaunchable(region: AsgRegion, config: LaunchConfig): void {
  const launch = resolveConfig(region, config);
  if (!launch || !region.platform.launchProblem) return;
  const types = [
    launch.instanceType,
    ...(config.MixedInstancesPolicy?.LaunchTemplate?.Overrides ?? []).flatMap((o) =>
      o.InstanceType ? [o.InstanceType] : [],
    ),
  ];
  for (const instanceType of new Set(types)) {
    const problem = region.platform.launchProblem({ ...launch, instanceType });
    if (problem) throw invalid(`You must use a valid fully-formed launch template. ${problem}`);
  }
}

/** AWS fills AvailabilityZones from the subnets of VPCZoneIdentifier. */
function zonesOf(region: AsgRegion, vpcZoneIdentifier: string): string[] {
  const ids = vpcZoneIdentifier
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  return region.platform.subnetZones ? region.platform.subnetZones(ids) : [];
}

function checkSizes(min: number, max: number, desired: number): void {
  if (min > max) throw invalid(`Max bound, ${max}, must be greater than or equal to min bound, ${min}`);
  if (desired < min || desired > max) {
    throw invalid(
      `Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}`,
    );
  }
}

function checkTargetGroups(region: AsgRegion, arns: readonly string[]): void {
  for (const arn of arns) {
    if (!region.targetGroups.has(arn)) {
      throw invalid(
        `Provided Target Groups may not be valid. Please ensure they exist and try again. (${arn})`,
      );
    }
  }
}

function healthCheckType(value: string | undefined): 'EC2' | 'ELB' {
  if (value === undefined || value === 'EC2') return 'EC2';
  if (value === 'ELB') return 'ELB';
  throw invalid(`Invalid health check type: ${value}. Valid values: EC2, ELB`);
}

export function groupTags(name: string, tags: readonly TagInput[] | undefined): GroupTag[] {
  const out: GroupTag[] = [];
  for (const t of tags ?? []) {
    if (!t.Key) throw invalid('Tag key cannot be empty.');
    if (t.ResourceId !== undefined && t.ResourceId !== name) {
      throw invalid(`Tag ResourceId ${t.ResourceId} does not match the group ${name}.`);
    }
    const existing = out.find((x) => x.Key === t.Key);
    const tag = { Key: t.Key, Value: t.Value ?? '', PropagateAtLaunch: t.PropagateAtLaunch ?? false };
    if (existing) Object.assign(existing, tag);
    else out.push(tag);
  }
  return out;
}

export function createGroup(region: AsgRegion, input: GroupInput): AutoScalingGroup {
  const name = input.AutoScalingGroupName;
  if (!name) throw invalid('AutoScalingGroupName is required.');
  if (region.groups.has(name)) {
    throw new AwsError(
      'AlreadyExists',
      `AutoScalingGroup by this name already exists - A group with the name ${name} already exists`,
    );
  }
  const config = launchConfigOf(input);
  if (!config) {
    throw invalid(
      'Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.',
    );
  }
  if (config.LaunchConfigurationName) requireLaunchConfiguration(region, config.LaunchConfigurationName);
  else checkLaunchable(region, config);
  const maintenance = maintenancePolicyOf(input.InstanceMaintenancePolicy);
  const min = input.MinSize ?? 0;
  const max = input.MaxSize ?? 0;
  const desired = input.DesiredCapacity ?? min;
  checkSizes(min, max, desired);
  const targetGroupArns = [...(input.TargetGroupARNs ?? [])];
  checkTargetGroups(region, targetGroupArns);
  const trafficSources = parseTrafficSources(region, input.TrafficSources);
  const group: AutoScalingGroup = {
    name,
    arn: `arn:aws:autoscaling:${region.region}:${region.accountId}:autoScalingGroup:${randomUUID()}:autoScalingGroupName/${name}`,
    createdAt: region.platform.now(),
    config,
    min,
    max,
    desired,
    defaultCooldown: input.DefaultCooldown ?? 300,
    availabilityZones: input.VPCZoneIdentifier
      ? zonesOf(region, input.VPCZoneIdentifier)
      : (input.AvailabilityZones ?? region.platform.availabilityZones()),
    targetGroupArns,
    trafficSources,
    healthCheckType: healthCheckType(input.HealthCheckType),
    healthCheckGracePeriod: input.HealthCheckGracePeriod ?? 0,
    newInstancesProtectedFromScaleIn: input.NewInstancesProtectedFromScaleIn ?? false,
    terminationPolicies: input.TerminationPolicies ?? ['Default'],
    tags: groupTags(name, input.Tags),
    instances: new Map(),
    deleting: false,
  };
  if (input.VPCZoneIdentifier !== undefined) group.vpcZoneIdentifier = input.VPCZoneIdentifier;
  if (input.DefaultInstanceWarmup !== undefined) group.defaultInstanceWarmup = input.DefaultInstanceWarmup;
  if (maintenance) group.instanceMaintenancePolicy = maintenance;
  region.groups.set(name, group);
  return group;
}

export function updateGroup(region: AsgRegion, input: GroupInput): AutoScalingGroup {
  const group = requireGroup(region, input.AutoScalingGroupName);
  const config = launchConfigOf(input);
  if (config && activeRefresh(region, group.name)?.desiredConfiguration) {
    throw invalid(
      'An active instance refresh with a desired configuration exists. All configuration options derived from the ' +
        'desired configuration are not available for update while the instance refresh is active.',
    );
  }
  if (config?.LaunchConfigurationName) requireLaunchConfiguration(region, config.LaunchConfigurationName);
  else if (config) checkLaunchable(region, config);
  const maintenance = maintenancePolicyOf(input.InstanceMaintenancePolicy);
  const min = input.MinSize ?? group.min;
  const max = input.MaxSize ?? group.max;
  // Like AWS, narrowing min/max without a desired capacity pulls the desired capacity inside them.
  const desired = input.DesiredCapacity ?? Math.min(max, Math.max(min, group.desired));
  checkSizes(min, max, desired);
  if (config) group.config = config;
  Object.assign(group, { min, max, desired });
  if (input.HealthCheckType !== undefined) group.healthCheckType = healthCheckType(input.HealthCheckType);
  if (input.HealthCheckGracePeriod !== undefined) group.healthCheckGracePeriod = input.HealthCheckGracePeriod;
  if (input.DefaultInstanceWarmup !== undefined) group.defaultInstanceWarmup = input.DefaultInstanceWarmup;
  if (input.DefaultCooldown !== undefined) group.defaultCooldown = input.DefaultCooldown;
  if (input.AvailabilityZones !== undefined) group.availabilityZones = input.AvailabilityZones;
  if (input.VPCZoneIdentifier !== undefined) {
    group.availabilityZones = zonesOf(region, input.VPCZoneIdentifier);
    group.vpcZoneIdentifier = input.VPCZoneIdentifier;
  }
  if (input.TerminationPolicies !== undefined) group.terminationPolicies = input.TerminationPolicies;
  if (maintenance === null) delete group.instanceMaintenancePolicy;
  else if (maintenance) group.instanceMaintenancePolicy = maintenance;
  if (input.NewInstancesProtectedFromScaleIn !== undefined) {
    group.newInstancesProtectedFromScaleIn = input.NewInstancesProtectedFromScaleIn;
  }
  return group;
}

export function setDesiredCapacity(region: AsgRegion, name: unknown, desired: number): void {
  const group = requireGroup(region, name);
  if (desired < group.min) {
    throw invalid(
      `New SetDesiredCapacity value ${desired} is below min value ${group.min} for the AutoScalingGroup.`,
    );
  }
  if (desired > group.max) {
    throw invalid(
      `New SetDesiredCapacity value ${desired} is above max value ${group.max} for the AutoScalingGroup.`,
    );
  }
  group.desired = desired;
}

export function deleteGroup(region: AsgRegion, name: unknown, force: boolean): void {
  const group = requireGroup(region, name);
  if (!force && (group.instances.size > 0 || (group.warmPool?.instances.size ?? 0) > 0)) {
    throw new AwsError(
      'ResourceInUse',
      'You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.',
    );
  }
  if (activeRefresh(region, group.name) && !force) {
    throw new AwsError('ResourceInUse', 'An instance refresh is in progress for this AutoScalingGroup.');
  }
  for (const r of region.refreshesOf(group.name)) {
    if (r.endTime === undefined) {
      r.status = 'Cancelled';
      r.endTime = region.platform.now();
    }
  }
  group.deleting = true;
  for (const inst of memberInstances(group)) terminateFromGroup(region, group, inst.instanceId);
  for (const inst of warmInstances(group)) terminateWarm(region, group, inst);
  if (group.instances.size === 0 && !group.warmPool?.instances.size) {
    region.groups.delete(group.name);
    region.refreshes.delete(group.name);
  }
}
