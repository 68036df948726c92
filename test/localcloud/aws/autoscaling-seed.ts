// Seeding helpers and control hooks for Auto Scaling and ELBv2: build a launch template, a target
// group and a group in one call, add template versions, drive CloudWatch alarm states, and set the
// shared Auto Scaling token bucket. Used by tests, the demo and the `/_localcloud/autoscaling/*` routes.
import type { World } from '../state.js';
import { createGroup } from './autoscaling-groups.js';
import { asgRegionOf } from './autoscaling-platform.js';
import type { AlarmState } from './autoscaling-state.js';
import { TokenBucket } from './autoscaling-throttle.js';
import { createTargetGroup } from './elbv2.js';
import { AwsError } from './service.js';
import { architecturesOf } from './ec2-instance-types.js';
import { addLaunchTemplate } from './ec2-launch-templates.js';

export interface SeedGroupOptions {
  name: string;
  /** AMI for version 1 of the template; defaults to the region's newest available Amazon-owned image. */
  imageId?: string;
  /** Use `resolve:ssm:<parameter>` as the template's ImageId instead of an AMI id. */
  imageParameter?: string;
  instanceType?: string;
  min?: number;
  max?: number;
  desired?: number;
  /** The group's template version: a number (default `1`), `$Latest` or `$Default`. */
  version?: string;
  /** Target group name to create and attach; `false` for none. Default `<name>-tg`. */
  targetGroup?: string | false;
  /** Default `ELB` when a target group is attached, else `EC2`. */
  healthCheckType?: 'EC2' | 'ELB';
  healthCheckGracePeriod?: number;
  defaultInstanceWarmup?: number;
  /** Group tags, propagated to instances at launch. */
  tags?: Record<string, string>;
  /**
   * Consent to be rolled: tags the group and its launch template `golden-ami:parameter=<consent>`, as
   * a fleet set up for this pipeline is (roll-asg's consent rule and the IAM policies require it).
   */
  consent?: string;
}

export interface SeededGroup {
  groupName: string;
  launchTemplateId: string;
  launchTemplateName: string;
  targetGroupArn?: string;
}

/** The newest available Linux image the instance type can run (a t3 group never starts on arm64). */
function defaultImage(world: World, regionName: string, instanceType: string): string {
  const runs = architecturesOf(instanceType) ?? [];
  const images = [...world.region(regionName).ec2.images.values()]
    .filter((i) => i.state === 'available' && runs.includes(i.architecture))
    .sort((a, b) => b.creationDate - a.creationDate);
  const image = images.find((i) => i.platform !== 'windows') ?? images[0];
  if (!image)
    throw new AwsError('ValidationError', `No available image in ${regionName} to seed a group with.`);
  return image.imageId;
}

/** Creates a launch template (version 1), a target group and an Auto Scaling group using them. */
export function seedGroup(world: World, regionName: string, opts: SeedGroupOptions): SeededGroup {
  const region = world.region(regionName);
  const asg = asgRegionOf(region);
  const now = world.clock.now();
  const templateName = `${opts.name}-lt`;
  if ([...region.ec2.launchTemplates.values()].some((t) => t.name === templateName)) {
    throw new AwsError('AlreadyExists', `Launch template ${templateName} already exists.`);
  }
  const imageId = opts.imageParameter
    ? `resolve:ssm:${opts.imageParameter}`
    : (opts.imageId ?? defaultImage(world, regionName, opts.instanceType ?? 't3.micro'));
  const template = addLaunchTemplate(
    region,
    templateName,
    { data: { ImageId: imageId, InstanceType: opts.instanceType ?? 't3.micro' } },
    opts.consent ? [{ Key: 'golden-ami:parameter', Value: opts.consent }] : [],
    now,
  );
  const tgName = opts.targetGroup === undefined ? `${opts.name}-tg` : opts.targetGroup;
  const tg =
    tgName === false ? undefined : createTargetGroup(asg, { Name: tgName, Port: 80, Protocol: 'HTTP' });
  const desired = opts.desired ?? 2;
  createGroup(asg, {
    AutoScalingGroupName: opts.name,
    LaunchTemplate: { LaunchTemplateId: template.launchTemplateId, Version: opts.version ?? '1' },
    MinSize: opts.min ?? 0,
    MaxSize: opts.max ?? Math.max(desired * 2, 1),
    DesiredCapacity: desired,
    ...(tg ? { TargetGroupARNs: [tg.arn] } : {}),
    HealthCheckType: opts.healthCheckType ?? (tg ? 'ELB' : 'EC2'),
    HealthCheckGracePeriod: opts.healthCheckGracePeriod ?? 0,
    ...(opts.defaultInstanceWarmup !== undefined
      ? { DefaultInstanceWarmup: opts.defaultInstanceWarmup }
      : {}),
    Tags: [
      ...Object.entries(opts.tags ?? {}).map(([Key, Value]) => ({ Key, Value, PropagateAtLaunch: true })),
      ...(opts.consent
        ? [{ Key: 'golden-ami:parameter', Value: opts.consent, PropagateAtLaunch: false }]
        : []),
    ],
  });
  return {
    groupName: opts.name,
    launchTemplateId: template.launchTemplateId,
    launchTemplateName: template.name,
    ...(tg ? { targetGroupArn: tg.arn } : {}),
  };
}

/** Adds a launch template version (copying the latest one's data) and returns its number. */
export function seedTemplateVersion(
  world: World,
  regionName: string,
  launchTemplateId: string,
  data: { imageId?: string; imageParameter?: string; instanceType?: string },
): number {
  const template = world.region(regionName).ec2.launchTemplates.get(launchTemplateId);
  if (!template) throw new AwsError('ValidationError', `Launch template ${launchTemplateId} does not exist.`);
  const base = template.versions.get(template.latestVersion)?.data ?? {};
  const number = template.latestVersion + 1;
  const imageId = data.imageParameter ? `resolve:ssm:${data.imageParameter}` : data.imageId;
  template.versions.set(number, {
    versionNumber: number,
    createTime: world.clock.now(),
    data: {
      ...base,
      ...(imageId ? { ImageId: imageId } : {}),
      ...(data.instanceType ? { InstanceType: data.instanceType } : {}),
    },
  });
  template.latestVersion = number;
  return number;
}

/** Sets a CloudWatch alarm's state, as watched by a refresh's AlarmSpecification. */
export function setAlarm(world: World, regionName: string, name: string, state: AlarmState): void {
  if (!['OK', 'ALARM', 'INSUFFICIENT_DATA'].includes(state)) {
    throw new AwsError(
      'ValidationError',
      `Alarm state must be OK, ALARM or INSUFFICIENT_DATA, not ${state}.`,
    );
  }
  asgRegionOf(world.region(regionName)).alarms.set(name, state);
}

/** Turns the region's shared Auto Scaling token bucket on (capacity = burst, refill per second) or off. */
export function setAutoScalingThrottle(
  world: World,
  regionName: string,
  bucket: { capacity: number; refillPerSecond: number } | null,
): void {
  const asg = asgRegionOf(world.region(regionName));
  if (!bucket) {
    asg.throttle = undefined;
    return;
  }
  if (!(bucket.capacity >= 1) || !(bucket.refillPerSecond >= 0)) {
    throw new AwsError('ValidationError', 'capacity must be at least 1 and refillPerSecond non-negative.');
  }
  asg.throttle = new TokenBucket(bucket, world.clock.now());
}
