// The AsgPlatform port over localcloud's EC2 and SSM state: launch templates resolve (including
// `resolve:ssm:` image ids) and instances launch and terminate through the EC2 module's helpers.
import type { RegionState } from '../state.js';
import { AsgRegion } from './autoscaling-state.js';
import type {
  AsgPlatform,
  AsgTimings,
  LaunchTemplateRef,
  PlatformInstance,
  ResolvedLaunch,
} from './autoscaling-types.js';
import { checkArchitecture } from './ec2-instance-types.js';
import { launchInstance, startInstance, stopInstance, terminateInstance } from './ec2-instances.js';
import { launchFromTemplate, resolveLaunchTemplate } from './ec2-launch-templates.js';
import { publishEvent } from './eventbridge.js';
import { AwsError } from './service.js';

/** Auto Scaling reports EC2's launch template errors as its own ValidationError. */
function asValidation<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AwsError && err.code !== 'ValidationError')
      throw new AwsError('ValidationError', err.message);
    throw err;
  }
}

type Platform = AsgPlatform;

function resolveForGroup(region: RegionState, ref: LaunchTemplateRef): ResolvedLaunch {
  return asValidation(() => {
    const r = resolveLaunchTemplate(region, ref);
    if (!r.imageId) {
      throw new AwsError(
        'ValidationError',
        `The launch template ${r.template.launchTemplateId} has no ImageId.`,
      );
    }
    const type = r.version.data.InstanceType;
    return {
      templateId: r.template.launchTemplateId,
      templateName: r.template.name,
      version: r.version.versionNumber,
      imageId: r.imageId,
      imageFromSsm: r.imageFromSsm,
      instanceType: typeof type === 'string' ? type : 'm1.small',
    };
  });
}

function launchForGroup(region: RegionState, req: Parameters<Platform['launchInstance']>[0]) {
  const placement = {
    ...(req.subnetId ? { subnetId: req.subnetId } : {}),
    ...(req.availabilityZone && !req.subnetId ? { availabilityZone: req.availabilityZone } : {}),
  };
  if (req.launch.launchConfigurationName) {
    const instance = launchInstance(region, {
      imageId: req.launch.imageId,
      instanceType: req.launch.instanceType,
      tags: req.tags,
      ...placement,
    });
    return { instanceId: instance.instanceId, availabilityZone: instance.availabilityZone };
  }
  const ref = { LaunchTemplateId: req.launch.templateId, Version: String(req.launch.version) };
  const { instance } = launchFromTemplate(region, ref, {
    // The version resolved when the batch started, so a parameter moving mid-launch cannot split it.
    imageId: req.launch.imageId,
    instanceType: req.launch.instanceType,
    tags: req.tags,
    ...placement,
  });
  return { instanceId: instance.instanceId, availabilityZone: instance.availabilityZone };
}

function instanceStatus(region: RegionState, instanceId: string): PlatformInstance | undefined {
  const inst = region.ec2.instances.get(instanceId);
  if (!inst) return undefined;
  return {
    state: inst.state,
    ...(inst.runningSince !== undefined ? { runningSince: inst.runningSince } : {}),
    imageUnhealthy: !inst.healthy,
  };
}

function subnetZones(region: RegionState, ids: string[]): string[] {
  const zones = ids.map((id) => {
    const subnet = region.ec2.subnets.get(id);
    if (!subnet) throw new AwsError('ValidationError', `The subnet ID '${id}' does not exist`);
    return subnet.availabilityZone;
  });
  return [...new Set(zones)].sort();
}

function launchProblem(region: RegionState, launch: ResolvedLaunch): string | undefined {
  const image = region.ec2.images.get(launch.imageId);
  if (!image) return undefined; // a missing image fails at launch, as on AWS
  try {
    checkArchitecture(image, launch.instanceType);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function emit(
  region: RegionState,
  ...[group, detailType, detail]: Parameters<NonNullable<Platform['emit']>>
): void {
  publishEvent(region, {
    'detail-type': detailType,
    source: 'aws.autoscaling',
    account: region.world.accountId,
    time: new Date(region.world.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: region.name,
    resources: [group.arn],
    detail,
  });
}

export function regionPlatform(region: RegionState): AsgPlatform {
  const known = (instanceId: string) => region.ec2.instances.has(instanceId);
  return {
    now: () => region.world.clock.now(),
    resolveLaunchTemplate: (ref) => resolveForGroup(region, ref),
    launchInstance: (req) => launchForGroup(region, req),
    terminateInstance(instanceId) {
      if (known(instanceId)) terminateInstance(region, instanceId);
    },
    stopInstance(instanceId) {
      if (known(instanceId)) stopInstance(region, instanceId);
    },
    startInstance(instanceId) {
      if (known(instanceId)) startInstance(region, instanceId);
    },
    imageProblem(imageId) {
      const image = region.ec2.images.get(imageId);
      return image && image.state !== 'deregistered'
        ? undefined
        : `The image id '[${imageId}]' does not exist`;
    },
    instanceStatus: (instanceId) => instanceStatus(region, instanceId),
    subnetZones: (ids) => subnetZones(region, ids),
    launchProblem: (launch) => launchProblem(region, launch),
    emit: (...args) => emit(region, ...args),
    availabilityZones() {
      const zones = new Set<string>();
      for (const s of region.ec2.subnets.values()) if (s.defaultForAz) zones.add(s.availabilityZone);
      return [...zones].sort();
    },
  };
}

/** Timings read live from the world's durations, so the control API can change them at any time. */
export function worldTimings(region: RegionState): AsgTimings {
  const d = () => region.world.durations;
  return {
    get secondMs() {
      return d().apiSecond;
    },
    get healthCheckDelayMs() {
      return d().healthCheckDelay;
    },
    get deregistrationDelayMs() {
      return d().healthCheckDelay;
    },
    maxReplacementFailures: 2,
  };
}

/** The Auto Scaling + ELBv2 state of a localcloud region (created on first use, dropped on reset). */
export function asgRegionOf(region: RegionState): AsgRegion {
  return region.serviceState(
    'autoscaling',
    () => new AsgRegion(region.name, region.world.accountId, regionPlatform(region), worldTimings(region)),
  );
}
