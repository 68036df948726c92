// Auto Scaling state owned by localcloud's autoscaling service, and the port through which it
// reaches EC2 (instances, launch templates) so the group controller and refresh engine stay pure.

export interface LaunchTemplateRef {
  LaunchTemplateId?: string;
  LaunchTemplateName?: string;
  Version?: string;
}

/** Kept as the caller sent it (botocore MixedInstancesPolicy shape) so Describe returns it unchanged. */
export interface MixedInstancesPolicy {
  LaunchTemplate?: {
    LaunchTemplateSpecification?: LaunchTemplateRef;
    Overrides?: { InstanceType?: string; WeightedCapacity?: string }[];
  };
  InstancesDistribution?: Record<string, unknown>;
}

/** What a group (or a refresh's DesiredConfiguration) launches from. */
export interface LaunchConfig {
  LaunchTemplate?: LaunchTemplateRef;
  MixedInstancesPolicy?: MixedInstancesPolicy;
  /** A legacy launch configuration (autoscaling-launch-configs.ts); refreshes cannot target one. */
  LaunchConfigurationName?: string;
}

/** A launch template version resolved to what EC2 will actually launch. */
export interface ResolvedLaunch {
  /** Empty for a launch configuration, which has no template. */
  templateId: string;
  templateName: string;
  version: number;
  /** Set when the group launches from a launch configuration instead of a template. */
  launchConfigurationName?: string;
  /** The AMI id after `resolve:ssm:` substitution. */
  imageId: string;
  /** The template's ImageId takes its value from an SSM parameter (blocks rollback). */
  imageFromSsm: boolean;
  instanceType: string;
}

export interface PlatformInstance {
  state: 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';
  /** When the instance last entered `running` (ms on the world clock). */
  runningSince?: number;
  /** Launched from an image tagged `localcloud:health=unhealthy`. */
  imageUnhealthy: boolean;
}

export interface LaunchRequest {
  groupName: string;
  launch: ResolvedLaunch;
  /** One of the two: a subnet decides the zone itself. */
  availabilityZone?: string;
  subnetId?: string;
  tags: { Key: string; Value: string }[];
}

export interface LaunchedInstance {
  instanceId: string;
  availabilityZone: string;
}

/** The EC2 side as Auto Scaling sees it. Implemented over LC-A's world state, and by a fake in tests. */
export interface AsgPlatform {
  now(): number;
  /** Throws AwsError(ValidationError) when the template or version does not exist. */
  resolveLaunchTemplate(ref: LaunchTemplateRef): ResolvedLaunch;
  /** Throws AwsError when EC2 refuses (unknown or deregistered image, …). */
  launchInstance(req: LaunchRequest): LaunchedInstance;
  terminateInstance(instanceId: string): void;
  /** Undefined once EC2 has forgotten the instance. */
  instanceStatus(instanceId: string): PlatformInstance | undefined;
  availabilityZones(): string[];
  /** The zones of the given subnets; throws AwsError(ValidationError) naming an unknown one. */
  subnetZones?(subnetIds: string[]): string[];
  /** Why this image cannot be named by a launch configuration (it does not exist), else undefined. */
  imageProblem?(imageId: string): string | undefined;
  /** Warm pools: stop an instance entering a Stopped/Hibernated pool, start one drawn from it. */
  stopInstance?(instanceId: string): void;
  startInstance?(instanceId: string): void;
  /** Why EC2 would refuse to launch this (architecture mismatch), checked when a group is saved. */
  launchProblem?(launch: ResolvedLaunch): string | undefined;
  /** Sends an `aws.autoscaling` event to EventBridge (aws/eventbridge.ts), as the refresh engine's state changes. */
  emit?(group: AutoScalingGroup, detailType: string, detail: Record<string, string>): void;
}

export type LifecycleState =
  | 'Pending'
  | 'InService'
  | 'Terminating'
  | 'Standby'
  // Warm pool states (DescribeWarmPool): launched, then held in the pool's state until drawn.
  | 'Warmed:Pending'
  | 'Warmed:Stopped'
  | 'Warmed:Running'
  | 'Warmed:Hibernated'
  | 'Warmed:Terminating';
export type HealthStatus = 'Healthy' | 'Unhealthy';

export interface GroupInstance {
  instanceId: string;
  availabilityZone: string;
  lifecycle: LifecycleState;
  health: HealthStatus;
  /** Absent for an instance launched from a launch configuration. */
  launchTemplate?: { LaunchTemplateId: string; LaunchTemplateName: string; Version: string };
  launchConfigurationName?: string;
  imageId: string;
  instanceType: string;
  launchedAt: number;
  inServiceAt?: number;
  protectedFromScaleIn: boolean;
  /** Set when localcloud launched it as a refresh replacement (so the engine can track it). */
  refreshId?: string;
}

/** A traffic source as AttachTrafficSources takes it (`elbv2`: a target group ARN). */
export interface TrafficSourceRef {
  Identifier: string;
  Type: string;
}

export interface GroupTag {
  Key: string;
  Value: string;
  PropagateAtLaunch: boolean;
}

/** PutWarmPool's settings, as DescribeWarmPool's WarmPoolConfiguration returns them. */
export interface WarmPoolSettings {
  MinSize: number;
  /** -1 (the default): the group's MaxSize is the limit. */
  MaxGroupPreparedCapacity: number;
  PoolState: 'Stopped' | 'Running' | 'Hibernated';
  InstanceReusePolicy?: { ReuseOnScaleIn?: boolean };
}

export interface WarmPool {
  settings: WarmPoolSettings;
  /** Warm instances by id; their lifecycle is one of the `Warmed:*` states. */
  instances: Map<string, GroupInstance>;
  /** DeleteWarmPool was called: the pool drains, then disappears. */
  deleting: boolean;
}

/** The group's own MinHealthyPercentage/MaxHealthyPercentage for replacements (refreshes included). */
export interface InstanceMaintenancePolicy {
  MinHealthyPercentage: number;
  MaxHealthyPercentage: number;
}

export interface AutoScalingGroup {
  name: string;
  arn: string;
  createdAt: number;
  config: LaunchConfig;
  min: number;
  max: number;
  desired: number;
  defaultCooldown: number;
  availabilityZones: string[];
  vpcZoneIdentifier?: string;
  targetGroupArns: string[];
  /** Attached with AttachTrafficSources (or CreateAutoScalingGroup TrafficSources). */
  trafficSources: TrafficSourceRef[];
  healthCheckType: 'EC2' | 'ELB';
  /** Seconds, as the API has it. */
  healthCheckGracePeriod: number;
  defaultInstanceWarmup?: number;
  newInstancesProtectedFromScaleIn: boolean;
  terminationPolicies: string[];
  tags: GroupTag[];
  instances: Map<string, GroupInstance>;
  /** Set while DeleteAutoScalingGroup drains the group. */
  deleting: boolean;
  warmPool?: WarmPool;
  instanceMaintenancePolicy?: InstanceMaintenancePolicy;
  /** After a failed launch the group waits before trying again, as AWS backs off. */
  nextLaunchAttempt?: number;
  lastLaunchError?: string;
}

export type RefreshStatus =
  | 'Pending'
  | 'InProgress'
  | 'Baking'
  | 'Successful'
  | 'Failed'
  | 'Cancelling'
  | 'Cancelled'
  | 'RollbackInProgress'
  | 'RollbackSuccessful'
  | 'RollbackFailed';

export const ACTIVE_REFRESH_STATUSES: readonly RefreshStatus[] = [
  'Pending',
  'InProgress',
  'Baking',
  'Cancelling',
  'RollbackInProgress',
];

export interface RefreshPreferences {
  MinHealthyPercentage?: number;
  MaxHealthyPercentage?: number;
  InstanceWarmup?: number;
  CheckpointPercentages?: number[];
  CheckpointDelay?: number;
  SkipMatching?: boolean;
  AutoRollback?: boolean;
  ScaleInProtectedInstances?: 'Refresh' | 'Ignore' | 'Wait';
  StandbyInstances?: 'Terminate' | 'Ignore' | 'Wait';
  AlarmSpecification?: { Alarms?: string[] };
  BakeTime?: number;
}

/** One old instance being replaced by one new one. */
export interface ReplacementJob {
  oldId: string;
  newId?: string;
  oldTerminated: boolean;
  done: boolean;
}

export interface RefreshProgress {
  percentageComplete: number;
  instancesToUpdate: number;
  /** Present when the group has a warm pool: the headline counts both pools, these each one. */
  livePool?: { percentageComplete: number; instancesToUpdate: number };
  warmPool?: { percentageComplete: number; instancesToUpdate: number };
}

/** The forward replacement, or the rollback that replaces it back: same mechanics, other target. */
export interface RefreshPhase {
  kind: 'forward' | 'rollback';
  target: LaunchConfig;
  startedAt: number;
  /** Instances this phase must replace (grows when a `$Latest` target moves on). */
  toReplace: Set<string>;
  /** Instances already on the target when the phase began (SkipMatching), counted as updated. */
  skipped: Set<string>;
  /** Instances this phase launched. */
  launched: Set<string>;
  /** Group size the percentages are of. */
  total: number;
  /** Warm-pool instances this phase must replace (after the live pool); their count when it began. */
  warmToReplace: Set<string>;
  warmTotal: number;
  /** Standby instances a `StandbyInstances: Wait` refresh waits for; replaced once back in service. */
  standbyWait: Set<string>;
  jobs: ReplacementJob[];
  failures: number;
  /** EC2's message when a replacement could not even launch. */
  lastLaunchError?: string;
}

export interface InstanceRefresh {
  id: string;
  groupName: string;
  status: RefreshStatus;
  statusReason?: string;
  startTime: number;
  endTime?: number;
  strategy: 'Rolling';
  /** As described back: defaults filled in. */
  preferences: RefreshPreferences;
  desiredConfiguration?: LaunchConfig;
  /** The group's configuration when the refresh started: what a rollback returns to. */
  previousConfiguration: LaunchConfig;
  phase?: RefreshPhase;
  progress: RefreshProgress;
  checkpointIndex: number;
  checkpointUntil?: number;
  bakeUntil?: number;
  rollback?: {
    reason: string;
    startTime: number;
    /** Forward progress frozen when the rollback began. */
    onRollback: RefreshProgress;
    progress: RefreshProgress;
  };
}

/** Timings in ms of world time; API seconds are scaled by `secondMs` so tests run in well under a second. */
export interface AsgTimings {
  /** World milliseconds per second given in the API (InstanceWarmup, CheckpointDelay, BakeTime, grace period). */
  secondMs: number;
  /** From `running` until health checks (EC2 status / ELB target) give a verdict. */
  healthCheckDelayMs: number;
  /** How long a deregistered target stays `draining`. */
  deregistrationDelayMs: number;
  /** Replacements that fail health checks before a refresh gives up. */
  maxReplacementFailures: number;
}

export const DEFAULT_ASG_TIMINGS: AsgTimings = {
  secondMs: 2,
  healthCheckDelayMs: 150,
  deregistrationDelayMs: 150,
  maxReplacementFailures: 2,
};

export interface ScalingActivity {
  id: string;
  groupName: string;
  groupArn: string;
  instanceId?: string;
  description: string;
  cause: string;
  startTime: number;
  endTime?: number;
  statusCode: 'InProgress' | 'Successful' | 'Failed';
  statusMessage?: string;
  availabilityZone?: string;
}

export interface LaunchConfiguration {
  name: string;
  arn: string;
  imageId: string;
  instanceType: string;
  createdAt: number;
  /** Kept as given so Describe returns it (KeyName, SecurityGroups, UserData, IamInstanceProfile, …). */
  extra: Record<string, unknown>;
}
