import type {
  DescribeInstanceAttributeRequest,
  DescribeInstancesRequest,
  DescribeInstanceStatusRequest,
  GetConsoleOutputRequest,
  ModifyInstanceAttributeRequest,
  RunInstancesRequest,
} from '@aws-sdk/client-ec2';
import type { Instance, RegionState } from '../state.js';
import { INSTANCE_STATE_CODES } from '../state.js';
import { applyFilters, paginate, tagsFor, type FilterInput, filterTagged } from './ec2-filters.js';
import {
  findInstance,
  findInstances,
  launchInstance,
  startInstance,
  stopInstance,
  terminateInstance,
  type LaunchSpec,
} from './ec2-instances.js';
import { launchFromTemplate, specFromTemplateData, resolveLaunchTemplate } from './ec2-launch-templates.js';
import { instanceShape } from './ec2-shapes.js';
import { callerAccount, checkLaunchBy } from './accounts.js';
import { findImage } from './ec2-images.js';
import { AwsError, type AwsHandler } from './service.js';
import { attachSpotRequest, spotRequestSpec } from './ec2-spot.js';
import { onAnyResource, onEachInstance, onInstance, type IamMapping } from '../iam-context.js';
import { runInstancesAuth } from '../iam-launch.js';

/** RunInstances, DescribeInstances/-Status, Stop/Start/Terminate/Reboot, console output, attributes. */

const MAX_PER_CALL = 100;

function runInstances(req: { params: Record<string, unknown> }, region: RegionState) {
  const p = req.params as unknown as RunInstancesRequest;
  const min = p.MinCount ?? 1;
  const max = p.MaxCount ?? 1;
  if (min < 1 || max < min) {
    throw new AwsError('InvalidParameterValue', 'MinCount must be at least 1 and not greater than MaxCount.');
  }
  if (max > MAX_PER_CALL) {
    throw new AwsError(
      'InstanceLimitExceeded',
      `You have requested more instances (${max}) than your current instance limit of ${MAX_PER_CALL} allows.`,
    );
  }
  // Idempotency: a retried RunInstances with the same token returns the first result.
  if (p.ClientToken) {
    const earlier = [...region.ec2.instances.values()].filter((i) => i.clientToken === p.ClientToken);
    if (earlier.length > 0) return reservation(earlier, region);
  }
  const explicit: Partial<LaunchSpec> = {
    ...(p.InstanceType ? { instanceType: p.InstanceType } : {}),
    ...(p.UserData ? { userData: p.UserData } : {}),
    ...(p.KeyName ? { keyName: p.KeyName } : {}),
    ...(p.SecurityGroupIds?.length ? { securityGroupIds: p.SecurityGroupIds } : {}),
    ...(p.SecurityGroups?.length ? { securityGroupNames: p.SecurityGroups } : {}),
    ...(p.SubnetId ? { subnetId: p.SubnetId } : {}),
    ...(p.NetworkInterfaces?.[0]?.SubnetId ? { subnetId: p.NetworkInterfaces[0].SubnetId } : {}),
    ...(p.NetworkInterfaces?.[0]?.Groups?.length ? { securityGroupIds: p.NetworkInterfaces[0].Groups } : {}),
    ...(p.Placement?.AvailabilityZone ? { availabilityZone: p.Placement.AvailabilityZone } : {}),
    ...(p.MetadataOptions ? { metadataOptions: p.MetadataOptions as LaunchSpec['metadataOptions'] } : {}),
    ...(p.BlockDeviceMappings
      ? { blockDeviceMappings: p.BlockDeviceMappings as LaunchSpec['blockDeviceMappings'] }
      : {}),
    ...(p.IamInstanceProfile ? { iamInstanceProfile: p.IamInstanceProfile } : {}),
    ...(p.InstanceInitiatedShutdownBehavior ? { shutdownBehavior: p.InstanceInitiatedShutdownBehavior } : {}),
    ...(p.Monitoring?.Enabled !== undefined ? { monitoring: p.Monitoring.Enabled } : {}),
    ...(p.ClientToken ? { clientToken: p.ClientToken } : {}),
  };
  const tags = tagsFor(p.TagSpecifications, 'instance');
  const volumeTags = tagsFor(p.TagSpecifications, 'volume');
  if (!p.LaunchTemplate && !p.ImageId)
    throw new AwsError('MissingParameter', 'The request must contain the parameter ImageId');
  // Validate the whole request once before launching anything, so a bad request launches nothing.
  if (p.LaunchTemplate) {
    const resolved = resolveLaunchTemplate(region, p.LaunchTemplate);
    if (!p.ImageId && !resolved.imageId)
      throw new AwsError('MissingParameter', 'The request must contain the parameter ImageId');
    specFromTemplateData(resolved.version.data);
  }
  const spot = spotRequestSpec(region, p.InstanceMarketOptions);
  const reservationId = region.world.newId('r');
  const launched: Instance[] = [];
  for (let i = 0; i < max; i++) {
    const spec: Partial<LaunchSpec> = {
      ...explicit,
      ...(tags.length ? { tags } : {}),
      ...(volumeTags.length ? { volumeTags } : {}),
      reservationId,
      amiLaunchIndex: i,
    };
    if (p.LaunchTemplate) {
      launched.push(
        launchFromTemplate(region, p.LaunchTemplate, {
          ...spec,
          ...(p.ImageId ? { imageId: p.ImageId } : {}),
        }).instance,
      );
    } else {
      launched.push(launchInstance(region, { ...spec, imageId: p.ImageId! }));
    }
    if (spot) attachSpotRequest(region, launched.at(-1)!, spot);
  }
  return reservation(launched, region);
}

function reservation(instances: Instance[], region: RegionState) {
  const groups = instances[0]?.securityGroups ?? [];
  return {
    ReservationId: instances[0]?.reservationId,
    OwnerId: region.world.accountId,
    Groups: groups,
    Instances: instances.map((i) => instanceShape(i, region)),
  };
}

const instanceFilters = {
  'instance-id': (i: Instance) => i.instanceId,
  'instance-state-name': (i: Instance) => i.state,
  'instance-state-code': (i: Instance) => INSTANCE_STATE_CODES[i.state],
  'image-id': (i: Instance) => i.imageId,
  'instance-type': (i: Instance) => i.instanceType,
  'private-ip-address': (i: Instance) => i.privateIp,
  'private-dns-name': (i: Instance) => i.privateDnsName,
  'subnet-id': (i: Instance) => i.subnetId,
  'vpc-id': (i: Instance) => i.vpcId,
  'availability-zone': (i: Instance) => i.availabilityZone,
  'key-name': (i: Instance) => i.keyName,
  'reservation-id': (i: Instance) => i.reservationId,
  'client-token': (i: Instance) => i.clientToken,
  architecture: (i: Instance) => i.architecture,
  platform: (i: Instance) => i.platform,
  'launch-time': (i: Instance) => new Date(i.launchTime).toISOString(),
  'iam-instance-profile.arn': (i: Instance) => i.iamInstanceProfile?.Arn,
  'instance.group-id': (i: Instance) => i.securityGroups.map((g) => g.GroupId),
  'instance.group-name': (i: Instance) => i.securityGroups.map((g) => g.GroupName),
  'network-interface.addresses.private-ip-address': (i: Instance) => i.privateIp,
  'metadata-options.http-tokens': (i: Instance) => i.metadataOptions.HttpTokens,
};

function checkMaxResults(maxResults: number | undefined, ids: readonly string[] | undefined): void {
  if (maxResults === undefined) return;
  if (ids?.length) {
    throw new AwsError(
      'InvalidParameterCombination',
      'The parameter instancesSet cannot be used with the parameter maxResults',
    );
  }
  if (maxResults < 5 || maxResults > 1000) {
    throw new AwsError(
      'InvalidParameterValue',
      `Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`,
    );
  }
}

const describeInstances: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as DescribeInstancesRequest;
  checkMaxResults(p.MaxResults, p.InstanceIds);
  const base = p.InstanceIds?.length
    ? findInstances(region, p.InstanceIds)
    : [...region.ec2.instances.values()];
  const filtered = filterTagged(base, p.Filters, instanceFilters);
  const { page, NextToken } = paginate(filtered, p.MaxResults, p.NextToken);
  const byReservation = new Map<string, Instance[]>();
  for (const instance of page) {
    const list = byReservation.get(instance.reservationId) ?? [];
    list.push(instance);
    byReservation.set(instance.reservationId, list);
  }
  return { Reservations: [...byReservation.values()].map((list) => reservation(list, region)), NextToken };
};

function statusOf(instance: Instance, region: RegionState, now: number) {
  const running = instance.state === 'running';
  const settled = running && now >= (instance.runningSince ?? now) + region.world.durations.healthCheckDelay;
  const reachability = !running
    ? undefined
    : !settled
      ? 'initializing'
      : instance.healthy
        ? 'passed'
        : 'failed';
  const summary = !running
    ? 'not-applicable'
    : !settled
      ? 'initializing'
      : instance.healthy
        ? 'ok'
        : 'impaired';
  const system = !running ? 'not-applicable' : settled ? 'ok' : 'initializing';
  return {
    InstanceId: instance.instanceId,
    AvailabilityZone: instance.availabilityZone,
    InstanceState: { Code: INSTANCE_STATE_CODES[instance.state], Name: instance.state },
    InstanceStatus: {
      Status: summary,
      ...(reachability ? { Details: [{ Name: 'reachability', Status: reachability }] } : {}),
    },
    SystemStatus: {
      Status: system,
      ...(running
        ? { Details: [{ Name: 'reachability', Status: settled ? 'passed' : 'initializing' }] }
        : {}),
    },
  };
}

const describeInstanceStatus: AwsHandler = (req, { region, now }) => {
  const p = req.params as unknown as DescribeInstanceStatusRequest;
  checkMaxResults(p.MaxResults, p.InstanceIds);
  let base = p.InstanceIds?.length
    ? findInstances(region, p.InstanceIds)
    : [...region.ec2.instances.values()];
  if (!p.IncludeAllInstances) base = base.filter((i) => i.state === 'running');
  const statuses = base.map((i) => ({ instance: i, status: statusOf(i, region, now) }));
  const filtered = applyFilters(statuses, p.Filters as FilterInput[] | undefined, {
    'instance-state-name': (s) => s.instance.state,
    'instance-state-code': (s) => INSTANCE_STATE_CODES[s.instance.state],
    'availability-zone': (s) => s.instance.availabilityZone,
    'instance-status.status': (s) => s.status.InstanceStatus.Status,
    'instance-status.reachability': (s) => s.status.InstanceStatus.Details?.[0]?.Status,
    'system-status.status': (s) => s.status.SystemStatus.Status,
  });
  const { page, NextToken } = paginate(filtered, p.MaxResults, p.NextToken);
  return { InstanceStatuses: page.map((s) => s.status), NextToken };
};

function idsOf(params: Record<string, unknown>): string[] {
  const ids = params.InstanceIds as string[] | undefined;
  if (!ids?.length)
    throw new AwsError('MissingParameter', 'The request must contain the parameter InstanceId');
  return ids;
}

const stopInstances: AwsHandler = (req, { region }) => {
  const ids = idsOf(req.params);
  findInstances(region, ids);
  return { StoppingInstances: ids.map((id) => stopInstance(region, id)) };
};

const startInstances: AwsHandler = (req, { region }) => {
  const ids = idsOf(req.params);
  findInstances(region, ids);
  return { StartingInstances: ids.map((id) => startInstance(region, id)) };
};

const terminateInstances: AwsHandler = (req, { region }) => {
  const ids = idsOf(req.params);
  findInstances(region, ids);
  return { TerminatingInstances: ids.map((id) => terminateInstance(region, id)) };
};

const rebootInstances: AwsHandler = (req, { region, now }) => {
  const instances = findInstances(region, idsOf(req.params));
  for (const instance of instances) {
    if (instance.state === 'terminated') {
      throw new AwsError(
        'IncorrectInstanceState',
        `The instance '${instance.instanceId}' is not in a state from which it can be rebooted.`,
      );
    }
    if (instance.state === 'running')
      instance.console.push(`[${new Date(now).toISOString()}] reboot: Restarting system`);
  }
  return {};
};

const CONSOLE_BYTES = 64 * 1024;

/** Instance families on the Xen hypervisor (everything newer is Nitro-based). */
const XEN_FAMILIES = /^(t1|t2|m1|m2|m3|m4|c1|c3|c4|r3|r4|i2|i3|x1|x1e|d2|h1|g2|g3|p2|p3|f1)\./;

/**
 * Without Latest: the console as last posted (see postConsole). Latest: "You can optionally
 * retrieve the latest serial console output at any time during the instance lifecycle. This option
 * is supported on instance types that use the Nitro hypervisor." Docs silent on Latest elsewhere:
 * localcloud refuses it (UnsupportedOperation), one of the two readings; bake-ami handles both.
 */
const getConsoleOutput: AwsHandler = (req, { region, now }) => {
  const p = req.params as unknown as GetConsoleOutputRequest;
  const instance = findInstance(region, p.InstanceId ?? '');
  const latest = String(p.Latest) === 'true';
  if (latest && XEN_FAMILIES.test(instance.instanceType))
    throw new AwsError(
      'UnsupportedOperation',
      `The instance type ${instance.instanceType} does not support retrieving the latest console output.`,
    );
  // The docs leave open what Latest=true answers outside the serial console's reach: under the
  // `buffered` reading it is the last post, like a call without Latest.
  const live = latest && region.world.ec2Readings.latestConsole === 'live';
  const lines = live ? instance.console : (instance.postedConsole ?? []);
  // "Only the most recent 64 KB of console output is available."
  const tail = lines.length ? Buffer.from(`${lines.join('\n')}\n`).subarray(-CONSOLE_BYTES) : undefined;
  const at = live ? now : (instance.consolePostedAt ?? instance.launchTime ?? now);
  return {
    InstanceId: instance.instanceId,
    Timestamp: new Date(at),
    ...(tail ? { Output: tail.toString('base64') } : {}),
  };
};

const describeInstanceAttribute: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as DescribeInstanceAttributeRequest;
  const instance = findInstance(region, p.InstanceId ?? '');
  const base = { InstanceId: instance.instanceId };
  switch (p.Attribute) {
    case 'userData':
      return { ...base, UserData: instance.userData ? { Value: instance.userData } : {} };
    case 'instanceType':
      return { ...base, InstanceType: { Value: instance.instanceType } };
    case 'instanceInitiatedShutdownBehavior':
      return { ...base, InstanceInitiatedShutdownBehavior: { Value: instance.shutdownBehavior } };
    case 'groupSet':
      return { ...base, Groups: instance.securityGroups };
    case 'enaSupport':
      return { ...base, EnaSupport: { Value: true } };
    default:
      throw new AwsError(
        'InvalidParameterValue',
        `Value (${p.Attribute}) for parameter attribute is invalid.`,
      );
  }
};

const modifyInstanceAttribute: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as ModifyInstanceAttributeRequest;
  const instance = findInstance(region, p.InstanceId ?? '');
  const stoppedOnly = () => {
    if (instance.state !== 'stopped') {
      throw new AwsError(
        'IncorrectInstanceState',
        `The instance '${instance.instanceId}' is not in the 'stopped' state.`,
      );
    }
  };
  if (p.InstanceType?.Value) {
    stoppedOnly();
    instance.instanceType = p.InstanceType.Value;
  }
  if (p.UserData?.Value !== undefined) {
    stoppedOnly();
    // Blobs arrive base64-encoded, which is how the instance keeps user data.
    instance.userData = String(p.UserData.Value);
  }
  if (p.InstanceInitiatedShutdownBehavior?.Value) {
    instance.shutdownBehavior =
      p.InstanceInitiatedShutdownBehavior.Value === 'terminate' ? 'terminate' : 'stop';
  }
  if (p.Groups?.length) {
    instance.securityGroups = p.Groups.map((id) => {
      const g = region.ec2.securityGroups.get(id);
      if (!g) throw new AwsError('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
      return { GroupId: g.groupId, GroupName: g.groupName };
    });
  }
  return {};
};

export const instanceHandlers: Record<string, AwsHandler> = {
  RunInstances: (req, { region, world }) => {
    // Another account's launch: only of an image shared with it, not on the owner's aws/ebs key.
    const p = req.params as unknown as RunInstancesRequest;
    const caller = callerAccount(world, req.headers);
    if (p.ImageId && caller !== world.accountId) checkLaunchBy(region, findImage(region, p.ImageId), caller);
    return runInstances(req, region);
  },
  DescribeInstances: describeInstances,
  DescribeInstanceStatus: describeInstanceStatus,
  StopInstances: stopInstances,
  StartInstances: startInstances,
  TerminateInstances: terminateInstances,
  RebootInstances: rebootInstances,
  GetConsoleOutput: getConsoleOutput,
  DescribeInstanceAttribute: describeInstanceAttribute,
  ModifyInstanceAttribute: modifyInstanceAttribute,
};

export const instanceIam: Record<string, IamMapping> = {
  RunInstances: ({ params, region, arns }) => runInstancesAuth(params, region, arns),
  DescribeInstances: onAnyResource,
  DescribeInstanceStatus: onAnyResource,
  StopInstances: onEachInstance,
  StartInstances: onEachInstance,
  TerminateInstances: onEachInstance,
  RebootInstances: onEachInstance,
  GetConsoleOutput: onInstance,
  DescribeInstanceAttribute: onAnyResource,
  ModifyInstanceAttribute: onInstance,
};
