import { resolveKmsKey } from './accounts.js';
import {
  INSTANCE_STATE_CODES,
  privateDnsName,
  tagValue,
  type BlockDevice,
  type Image,
  type Instance,
  type InstanceStateName,
  type RegionState,
  type Tag,
  type Volume,
} from '../state.js';
import { bootConsole, decodeUserData, emptyPlan, planFromScript, scriptConsole } from '../userdata.js';
import { ebsPerformance } from './ec2-volume-performance.js';
import { checkSpotStop, onSpotTerminated } from './ec2-spot.js';
import { AwsError } from './service.js';
import { checkArchitecture } from './ec2-instance-types.js';

/**
 * Instance lifecycle: launch, stop/start/terminate, and the tick that moves instances through
 * pending → running → (user data runs) → stopping → stopped, and shutting-down → terminated.
 * Auto Scaling launches and terminates through launchInstance()/terminateInstance() too.
 */

export interface BlockDeviceRequest {
  DeviceName?: string;
  Ebs?: {
    VolumeSize?: number;
    VolumeType?: string;
    Iops?: number;
    Throughput?: number;
    DeleteOnTermination?: boolean;
    SnapshotId?: string;
    Encrypted?: boolean;
    KmsKeyId?: string;
  };
  NoDevice?: string;
}

export interface LaunchSpec {
  imageId: string;
  instanceType?: string;
  /** Base64, as RunInstances takes it. */
  userData?: string;
  tags?: Tag[];
  volumeTags?: Tag[];
  keyName?: string;
  securityGroupIds?: string[];
  securityGroupNames?: string[];
  subnetId?: string;
  availabilityZone?: string;
  metadataOptions?: {
    HttpTokens?: string;
    HttpEndpoint?: string;
    HttpPutResponseHopLimit?: number;
    InstanceMetadataTags?: string;
  };
  blockDeviceMappings?: BlockDeviceRequest[];
  iamInstanceProfile?: { Arn?: string; Name?: string };
  launchTemplate?: { LaunchTemplateId: string; LaunchTemplateName: string; Version: string };
  shutdownBehavior?: 'stop' | 'terminate';
  clientToken?: string;
  monitoring?: boolean;
  reservationId?: string;
  amiLaunchIndex?: number;
}

const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;

/** An image RunInstances may use: it exists here and is available. */
export function launchableImage(region: RegionState, imageId: string): Image {
  if (!/^ami-[0-9a-f]{8,17}$/.test(imageId)) {
    throw new AwsError('InvalidAMIID.Malformed', `Invalid id: "${imageId}" (expecting "ami-...")`);
  }
  const image = region.ec2.images.get(imageId);
  if (!image || image.state === 'deregistered') {
    throw new AwsError('InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);
  }
  if (image.state !== 'available') {
    throw new AwsError(
      'InvalidAMIID.Unavailable',
      `The image id '[${imageId}]' is not available (state ${image.state})`,
    );
  }
  return image;
}

function chooseSubnet(region: RegionState, spec: LaunchSpec) {
  const subnets = [...region.ec2.subnets.values()];
  if (spec.subnetId) {
    const subnet = region.ec2.subnets.get(spec.subnetId);
    if (!subnet)
      throw new AwsError('InvalidSubnetID.NotFound', `The subnet ID '${spec.subnetId}' does not exist`);
    return subnet;
  }
  if (spec.availabilityZone) {
    const subnet = subnets.find((s) => s.defaultForAz && s.availabilityZone === spec.availabilityZone);
    if (!subnet) {
      throw new AwsError('InvalidParameterValue', `Invalid availability zone: [${spec.availabilityZone}]`);
    }
    return subnet;
  }
  const defaults = subnets.filter((s) => s.defaultForAz);
  if (defaults.length === 0) throw new AwsError('VPCIdNotSpecified', 'No default VPC for this user.');
  // Spread instances over zones the way AWS balances a default placement.
  return defaults[region.ec2.instances.size % defaults.length]!;
}

function securityGroups(region: RegionState, spec: LaunchSpec, vpcId: string) {
  const groups = [...region.ec2.securityGroups.values()];
  const chosen = [
    ...(spec.securityGroupIds ?? []).map((id) => {
      const g = region.ec2.securityGroups.get(id);
      if (!g) throw new AwsError('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
      return g;
    }),
    ...(spec.securityGroupNames ?? []).map((name) => {
      const g = groups.find((x) => x.groupName === name && x.vpcId === vpcId);
      if (!g)
        throw new AwsError(
          'InvalidGroup.NotFound',
          `The security group '${name}' does not exist in default VPC '${vpcId}'`,
        );
      return g;
    }),
  ];
  if (chosen.length === 0) {
    const fallback = groups.find((g) => g.groupName === 'default' && g.vpcId === vpcId);
    if (fallback) chosen.push(fallback);
  }
  return chosen.map((g) => ({ GroupId: g.groupId, GroupName: g.groupName }));
}

/** What RunInstances refuses before anything is made: the image, type, key pair, user data. */
function checkLaunch(region: RegionState, spec: LaunchSpec) {
  const image = launchableImage(region, spec.imageId);
  const instanceType = spec.instanceType ?? 'm1.small';
  if (!INSTANCE_TYPE.test(instanceType)) {
    throw new AwsError('InvalidParameterValue', `Invalid value '${instanceType}' for InstanceType.`);
  }
  checkArchitecture(image, instanceType);
  if (spec.keyName && !region.ec2.keyPairs.has(spec.keyName)) {
    throw new AwsError('InvalidKeyPair.NotFound', `The key pair '${spec.keyName}' does not exist`);
  }
  const userDataText = decodeUserData(spec.userData);
  if (Buffer.byteLength(userDataText) > 16 * 1024) {
    throw new AwsError('InvalidParameterValue', 'User data is limited to 16384 bytes');
  }
  let plan = emptyPlan();
  try {
    plan = planFromScript(userDataText);
  } catch (err) {
    throw new AwsError('InvalidParameterValue', (err as Error).message);
  }
  return { image, instanceType, plan };
}

/** The instance a volume is attached to at launch. */
interface Attachment {
  instanceId: string;
  now: number;
  zone: string;
  tags: Tag[];
}

type VolumeFields = Pick<
  Volume,
  'size' | 'volumeType' | 'iops' | 'throughput' | 'snapshotId' | 'encrypted' | 'kmsKeyId'
>;

function attachVolume(
  region: RegionState,
  at: Attachment,
  volumeId: string,
  device: string,
  deleteOnTermination: boolean,
  fields: VolumeFields,
): BlockDevice {
  region.ec2.volumes.set(volumeId, {
    volumeId,
    ...fields,
    availabilityZone: at.zone,
    state: 'in-use',
    createTime: at.now,
    attachment: {
      InstanceId: at.instanceId,
      Device: device,
      AttachTime: at.now,
      DeleteOnTermination: deleteOnTermination,
    },
    tags: [...at.tags],
  });
  return {
    DeviceName: device,
    VolumeId: volumeId,
    DeleteOnTermination: deleteOnTermination,
    AttachTime: at.now,
  };
}

/** The image's volumes, as the request's mappings override them (or drop them with NoDevice). */
function imageVolumes(region: RegionState, spec: LaunchSpec, image: Image, at: Attachment): BlockDevice[] {
  const devices: BlockDevice[] = [];
  for (const mapping of image.blockDeviceMappings) {
    const override = spec.blockDeviceMappings?.find((m) => m.DeviceName === mapping.DeviceName);
    if (override?.NoDevice !== undefined || !mapping.Ebs) continue;
    const volumeId = region.world.newId('vol');
    const deleteOnTermination = override?.Ebs?.DeleteOnTermination ?? mapping.Ebs.DeleteOnTermination ?? true;
    const encrypted = override?.Ebs?.Encrypted ?? mapping.Ebs.Encrypted ?? false;
    const fromSnapshot = region.ec2.snapshots.get(mapping.Ebs.SnapshotId ?? '')?.kmsKeyId;
    const kmsKeyId = override?.Ebs?.KmsKeyId
      ? resolveKmsKey(region, override.Ebs.KmsKeyId).arn
      : (fromSnapshot ?? (encrypted ? resolveKmsKey(region, undefined).arn : undefined));
    devices.push(
      attachVolume(region, at, volumeId, mapping.DeviceName, deleteOnTermination, {
        size: override?.Ebs?.VolumeSize ?? mapping.Ebs.VolumeSize ?? 8,
        ...ebsPerformance(override?.Ebs, mapping.Ebs),
        ...(mapping.Ebs.SnapshotId ? { snapshotId: mapping.Ebs.SnapshotId } : {}),
        encrypted,
        ...(encrypted && kmsKeyId ? { kmsKeyId } : {}),
      }),
    );
  }
  return devices;
}

/** Extra EBS volumes named only in the request. */
function extraVolumes(region: RegionState, spec: LaunchSpec, image: Image, at: Attachment): BlockDevice[] {
  const devices: BlockDevice[] = [];
  for (const extra of spec.blockDeviceMappings ?? []) {
    if (
      !extra.DeviceName ||
      !extra.Ebs ||
      image.blockDeviceMappings.some((m) => m.DeviceName === extra.DeviceName)
    )
      continue;
    const volumeId = region.world.newId('vol');
    devices.push(
      attachVolume(region, at, volumeId, extra.DeviceName, extra.Ebs.DeleteOnTermination ?? true, {
        size: extra.Ebs.VolumeSize ?? 8,
        ...ebsPerformance(extra.Ebs, undefined),
        encrypted: extra.Ebs.Encrypted ?? false,
        ...(extra.Ebs.Encrypted ? { kmsKeyId: resolveKmsKey(region, extra.Ebs.KmsKeyId).arn } : {}),
      }),
    );
  }
  return devices;
}

/** IMDS settings: an image that supports only IMDSv2 defaults to tokens required and two hops. */
function metadataOptions(spec: LaunchSpec, image: Image): Instance['metadataOptions'] {
  const v2 = image.imdsSupport === 'v2.0';
  return {
    HttpTokens: spec.metadataOptions?.HttpTokens ?? (v2 ? 'required' : 'optional'),
    HttpEndpoint: spec.metadataOptions?.HttpEndpoint ?? 'enabled',
    HttpPutResponseHopLimit: spec.metadataOptions?.HttpPutResponseHopLimit ?? (v2 ? 2 : 1),
    InstanceMetadataTags: spec.metadataOptions?.InstanceMetadataTags ?? 'disabled',
    HttpProtocolIpv6: 'disabled',
  };
}

function instanceProfile(region: RegionState, spec: LaunchSpec): Pick<Instance, 'iamInstanceProfile'> {
  const profile = spec.iamInstanceProfile;
  if (!profile) return {};
  const world = region.world;
  return {
    iamInstanceProfile: {
      Arn: profile.Arn ?? `arn:aws:iam::${world.accountId}:instance-profile/${profile.Name ?? 'profile'}`,
      Id: `AIPA${world.rng.hex(17).toUpperCase()}`,
    },
  };
}

export function launchInstance(region: RegionState, spec: LaunchSpec): Instance {
  const world = region.world;
  const now = world.clock.now();
  const { image, instanceType, plan } = checkLaunch(region, spec);
  const subnet = chooseSubnet(region, spec);
  const groups = securityGroups(region, spec, subnet.vpcId);
  const instanceId = world.newId('i');
  const ip = world.allocatePrivateIp();
  const at: Attachment = { instanceId, now, zone: subnet.availabilityZone, tags: spec.volumeTags ?? [] };
  const blockDevices = [...imageVolumes(region, spec, image, at), ...extraVolumes(region, spec, image, at)];
  const version = tagValue(image.tags, 'localcloud:version') ?? tagValue(image.tags, 'Version');
  const instance: Instance = {
    instanceId,
    imageId: image.imageId,
    instanceType,
    state: 'pending',
    stateTransitionReason: '',
    launchTime: now,
    nextAt: now + world.durations.instanceBoot,
    scriptDone: !spec.userData,
    region: region.name,
    availabilityZone: subnet.availabilityZone,
    subnetId: subnet.subnetId,
    vpcId: subnet.vpcId,
    privateIp: ip,
    privateDnsName: privateDnsName(ip, region.name),
    ...(spec.keyName ? { keyName: spec.keyName } : {}),
    securityGroups: groups,
    tags: [...(spec.tags ?? [])],
    ...(spec.userData ? { userData: spec.userData } : {}),
    script: plan,
    metadataOptions: metadataOptions(spec, image),
    blockDevices,
    ...instanceProfile(region, spec),
    ...(spec.launchTemplate ? { launchTemplate: spec.launchTemplate } : {}),
    shutdownBehavior: spec.shutdownBehavior ?? 'stop',
    ...(image.platform === 'windows' ? { platform: 'windows' as const } : {}),
    architecture: image.architecture,
    console: [],
    ...(spec.clientToken ? { clientToken: spec.clientToken } : {}),
    monitoring: spec.monitoring ?? false,
    amiLaunchIndex: spec.amiLaunchIndex ?? 0,
    reservationId: spec.reservationId ?? world.newId('r'),
    healthy: launchesHealthy(image.tags, spec.tags ?? []),
    ...(version !== undefined ? { version } : {}),
  };
  region.ec2.instances.set(instanceId, instance);
  return instance;
}

export function findInstance(region: RegionState, instanceId: string): Instance {
  if (!/^i-[0-9a-f]{8,17}$/.test(instanceId)) {
    throw new AwsError('InvalidInstanceID.Malformed', `Invalid id: "${instanceId}"`);
  }
  const instance = region.ec2.instances.get(instanceId);
  if (!instance)
    throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`);
  return instance;
}

/** All ids must exist (EC2 names every unknown one in a single error). */
export function findInstances(region: RegionState, ids: readonly string[]): Instance[] {
  for (const id of ids) {
    if (!/^i-[0-9a-f]{8,17}$/.test(id))
      throw new AwsError('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
  }
  const missing = ids.filter((id) => !region.ec2.instances.has(id));
  if (missing.length === 1)
    throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
  if (missing.length > 1) {
    throw new AwsError('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
  }
  return ids.map((id) => region.ec2.instances.get(id)!);
}

export interface StateChange {
  InstanceId: string;
  CurrentState: { Code: number; Name: InstanceStateName };
  PreviousState: { Code: number; Name: InstanceStateName };
}

function stateOf(name: InstanceStateName) {
  return { Code: INSTANCE_STATE_CODES[name], Name: name };
}

/** Moves an instance to a state and schedules the end of transitional states. */
export function setInstanceState(
  region: RegionState,
  instance: Instance,
  state: InstanceStateName,
  reason?: { Code: string; Message: string },
): StateChange {
  const previous = instance.state;
  const now = region.world.clock.now();
  const d = region.world.durations;
  instance.state = state;
  delete instance.nextAt;
  if (reason) {
    instance.stateReason = reason;
    instance.stateTransitionReason = `${reason.Message} (${new Date(now).toISOString()})`;
  }
  switch (state) {
    case 'pending':
      instance.nextAt = now + d.instanceBoot;
      break;
    case 'stopping':
      instance.nextAt = now + d.instanceStop;
      // A stop interrupts a running script; cloud-init does not run user data again on the next boot.
      delete instance.scriptEndsAt;
      instance.scriptDone = true;
      break;
    case 'shutting-down':
      instance.nextAt = now + d.instanceTerminate;
      delete instance.scriptEndsAt;
      break;
    case 'terminated':
      instance.terminatedAt = now;
      break;
    default:
      break;
  }
  if (state !== 'running') delete instance.runningSince;
  return { InstanceId: instance.instanceId, CurrentState: stateOf(state), PreviousState: stateOf(previous) };
}

/** A stop, start or terminate asked of an instance already on its way there: nothing changes. */
function unchanged(instance: Instance): StateChange {
  return {
    InstanceId: instance.instanceId,
    CurrentState: stateOf(instance.state),
    PreviousState: stateOf(instance.state),
  };
}

const USER_SHUTDOWN = {
  Code: 'Client.UserInitiatedShutdown',
  Message: 'Client.UserInitiatedShutdown: User initiated shutdown',
};

export function terminateInstance(region: RegionState, instanceId: string): StateChange {
  const instance = findInstance(region, instanceId);
  onSpotTerminated(region, instance);
  if (instance.state === 'terminated' || instance.state === 'shutting-down') {
    return unchanged(instance);
  }
  return setInstanceState(region, instance, 'shutting-down', USER_SHUTDOWN);
}

export function stopInstance(region: RegionState, instanceId: string): StateChange {
  const instance = findInstance(region, instanceId);
  checkSpotStop(region, instance);
  if (instance.state === 'terminated' || instance.state === 'shutting-down') {
    throw new AwsError(
      'IncorrectInstanceState',
      `This instance '${instanceId}' is not in a state from which it can be stopped.`,
    );
  }
  if (instance.state === 'stopped' || instance.state === 'stopping') {
    return unchanged(instance);
  }
  return setInstanceState(region, instance, 'stopping', USER_SHUTDOWN);
}

export function startInstance(region: RegionState, instanceId: string): StateChange {
  const instance = findInstance(region, instanceId);
  if (instance.state === 'running' || instance.state === 'pending') {
    return unchanged(instance);
  }
  if (instance.state !== 'stopped') {
    throw new AwsError(
      'IncorrectInstanceState',
      `The instance '${instanceId}' is not in a state from which it can be started.`,
    );
  }
  delete instance.stateReason;
  instance.stateTransitionReason = '';
  return setInstanceState(region, instance, 'pending');
}

function becomeRunning(region: RegionState, instance: Instance, now: number): void {
  setInstanceState(region, instance, 'running');
  instance.runningSince = now;
  const windows = instance.platform === 'windows';
  instance.console.push(
    ...bootConsole(windows, instance.instanceId, new Date(now), region.world.ec2Readings.cloudInit),
  );
  if (instance.scriptDone) return;
  if (instance.script.hang) {
    // The script starts and never returns.
    instance.console.push(
      ...scriptConsole(windows, instance.script, new Date(now), false, region.world.ec2Readings.cloudInit),
    );
    instance.scriptDone = true;
    return;
  }
  instance.scriptEndsAt = now + (instance.script.provisionMs ?? region.world.durations.provision);
}

function finishScript(region: RegionState, instance: Instance, now: number): void {
  delete instance.scriptEndsAt;
  instance.scriptEndedAt = now;
  instance.scriptDone = true;
  const plan = instance.script;
  instance.console.push(
    ...scriptConsole(
      instance.platform === 'windows',
      plan,
      new Date(now),
      !plan.terminate,
      region.world.ec2Readings.cloudInit,
    ),
  );
  if (plan.terminate) {
    setInstanceState(region, instance, 'shutting-down', {
      Code: 'Server.InternalError',
      Message: 'Server.InternalError: Internal error on launch',
    });
    return;
  }
  if (plan.exitCode !== 0 ? !plan.shutdownOnFailure : !plan.shutdown) return;
  shutDownFromInside(region, instance);
}

/** The instance shut itself down: it stops, or terminates with InstanceInitiatedShutdownBehavior. */
export function shutDownFromInside(region: RegionState, instance: Instance): void {
  setInstanceState(
    region,
    instance,
    instance.shutdownBehavior === 'terminate' ? 'shutting-down' : 'stopping',
    {
      Code: 'Client.InstanceInitiatedShutdown',
      Message: 'Client.InstanceInitiatedShutdown: Instance initiated shutdown',
    },
  );
}

function finishTermination(region: RegionState, instance: Instance): void {
  setInstanceState(region, instance, 'terminated');
  region.world.releasePrivateIp(instance.privateIp);
  for (const device of instance.blockDevices) {
    const volume = region.ec2.volumes.get(device.VolumeId);
    if (!volume) continue;
    if (device.DeleteOnTermination) region.ec2.volumes.delete(device.VolumeId);
    else {
      volume.state = 'available';
      delete volume.attachment;
    }
  }
}

/**
 * "By default, the console output returns buffered information that was posted shortly after an
 * instance transition state (start, stop, reboot, or terminate)" (GetConsoleOutput): each of
 * those transitions schedules a post of the console as it then is, `consolePost` later.
 */
function postConsole(region: RegionState, instance: Instance, now: number): void {
  if (
    ['running', 'stopped', 'terminated'].includes(instance.state) &&
    instance.consolePostFor !== instance.state
  ) {
    instance.consolePostFor = instance.state;
    instance.consolePostAt = now + region.world.durations.consolePost;
  }
  if (instance.consolePostAt !== undefined && now >= instance.consolePostAt) {
    instance.postedConsole = [...instance.console];
    instance.consolePostedAt = now;
    delete instance.consolePostAt;
  }
}

/** Advances every instance of a region whose timer is due. */
export function tickInstances(region: RegionState, now: number): void {
  const visibleFor = region.world.durations.terminatedVisible;
  for (const instance of region.ec2.instances.values()) {
    postConsole(region, instance, now);
    if (instance.state === 'terminated') {
      if (instance.terminatedAt !== undefined && now >= instance.terminatedAt + visibleFor) {
        region.ec2.instances.delete(instance.instanceId);
      }
      continue;
    }
    if (instance.nextAt !== undefined && now >= instance.nextAt) {
      if (instance.state === 'pending') becomeRunning(region, instance, now);
      else if (instance.state === 'stopping') setInstanceState(region, instance, 'stopped');
      else if (instance.state === 'shutting-down') finishTermination(region, instance);
    }
    if (instance.state === 'running' && instance.scriptEndsAt !== undefined && now >= instance.scriptEndsAt) {
      finishScript(region, instance, now);
    }
  }
}

/**
 * Whether an instance of this image passes its health checks: not when the image is tagged
 * `localcloud:health=unhealthy`, nor when `localcloud:unhealthy-groups` (comma-separated group names)
 * names the Auto Scaling group launching it (an image that fails in one group only).
 */
function launchesHealthy(imageTags: readonly Tag[], instanceTags: readonly Tag[]): boolean {
  if (tagValue(imageTags, 'localcloud:health') === 'unhealthy') return false;
  const groups = (tagValue(imageTags, 'localcloud:unhealthy-groups') ?? '').split(',').filter(Boolean);
  const group = tagValue(instanceTags, 'aws:autoscaling:groupName');
  return !(group && groups.includes(group));
}
