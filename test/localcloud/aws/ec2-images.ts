import type {
  CopyImageRequest,
  CreateImageRequest,
  DeleteSnapshotRequest,
  DeregisterImageRequest,
  DescribeImageAttributeRequest,
  DescribeImagesRequest,
  DescribeSnapshotAttributeRequest,
  DescribeSnapshotsRequest,
  ModifyImageAttributeRequest,
  ModifySnapshotAttributeRequest,
} from '@aws-sdk/client-ec2';
import type { Image, ImageBlockDevice, ImageState, RegionState, Snapshot, Tag } from '../state.js';
import { byIds, paginate, tagsFor, filterTagged } from './ec2-filters.js';
import { findInstance } from './ec2-instances.js';
import { deregistrationRefusal, protectionText } from './ec2-image-protection.js';
import { imageShape, snapshotShape } from './ec2-shapes.js';
import { AwsError, type AwsHandler } from './service.js';
import { callerAccount, checkCopyBy, kmsKeys, resolveKmsKey } from './accounts.js';
import {
  arr,
  image,
  onAnyResource,
  onEc2Resource,
  onInstance,
  specTags,
  tagOnCreate,
  type IamMapping,
  type IamRequest,
  type TagSpec,
} from '../iam-context.js';

/**
 * AMIs and snapshots: CreateImage/CopyImage go pending → available (or failed) on the ticker,
 * launch permissions, deregistration, and the visibility rules of DescribeImages.
 */

const IMAGE_NAME = /^[a-zA-Z0-9()[\] ./\-'@_]{3,128}$/;

export function findImage(region: RegionState, imageId: string): Image {
  if (!/^ami-[0-9a-f]{8,17}$/.test(imageId)) {
    throw new AwsError('InvalidAMIID.Malformed', `Invalid id: "${imageId}" (expecting "ami-...")`);
  }
  const image = region.ec2.images.get(imageId);
  if (!image || image.state === 'deregistered') {
    throw new AwsError('InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);
  }
  return image;
}

function ownImage(region: RegionState, imageId: string): Image {
  const image = findImage(region, imageId);
  if (image.ownerId !== region.world.accountId) {
    throw new AwsError('AuthFailure', `Not authorized for image:${imageId}`);
  }
  return image;
}

function visible(image: Image, accountId: string): boolean {
  return image.ownerId === accountId || image.public || image.launchPermissionUserIds.has(accountId);
}

const imageFilters = {
  name: (i: Image) => i.name,
  'image-id': (i: Image) => i.imageId,
  state: (i: Image) => i.state,
  'owner-id': (i: Image) => i.ownerId,
  'owner-alias': (i: Image) => i.ownerAlias,
  architecture: (i: Image) => i.architecture,
  platform: (i: Image) => i.platform,
  'platform-details': (i: Image) => i.platformDetails,
  'is-public': (i: Image) => String(i.public),
  'image-type': () => 'machine',
  'root-device-type': () => 'ebs',
  'root-device-name': (i: Image) => i.rootDeviceName,
  'virtualization-type': (i: Image) => i.virtualizationType,
  hypervisor: () => 'xen',
  description: (i: Image) => i.description,
  'creation-date': (i: Image) => new Date(i.creationDate).toISOString(),
  'ena-support': (i: Image) => String(i.enaSupport),
  'block-device-mapping.snapshot-id': (i: Image) => i.blockDeviceMappings.map((m) => m.Ebs?.SnapshotId),
  'block-device-mapping.device-name': (i: Image) => i.blockDeviceMappings.map((m) => m.DeviceName),
  'source-instance-id': (i: Image) => i.sourceInstanceId,
};

/** Members newer than the base shape: where a copy came from, deregistration protection. */
function lifecycleShape(image: Image, now: number) {
  return {
    ...(image.sourceRegion && image.sourceImageId
      ? { SourceImageId: image.sourceImageId, SourceImageRegion: image.sourceRegion }
      : {}),
    DeregistrationProtection: protectionText(image, now),
  };
}

const describeImages: AwsHandler = (req, { region, world, now }) => {
  const p = req.params as unknown as DescribeImagesRequest & {
    MaxResults?: number;
    NextToken?: string;
    IncludeDisabled?: boolean;
  };
  // What the caller's account may see: its own images, public ones and those shared with it.
  const account = callerAccount(world, req.headers);
  let images: Image[];
  if (p.ImageIds?.length) {
    images = p.ImageIds.map((id) => findImage(region, id));
  } else {
    images = [...region.ec2.images.values()].filter((i) => i.state !== 'deregistered' && visible(i, account));
    // Deprecated images are hidden from listings unless asked for (or they are your own).
    if (!p.IncludeDeprecated) {
      images = images.filter(
        (i) => i.ownerId === account || i.deprecationTime === undefined || i.deprecationTime > now,
      );
    }
    // "A disabled AMI does not appear in DescribeImages API calls by default." (DisableImage)
    if (!p.IncludeDisabled) images = images.filter((i) => i.state !== 'disabled');
  }
  if (p.Owners?.length) {
    const owners = p.Owners;
    images = images.filter((i) =>
      owners.some((o) =>
        o === 'self'
          ? i.ownerId === account
          : o === i.ownerId || (i.ownerAlias !== undefined && o === i.ownerAlias),
      ),
    );
  }
  if (p.ExecutableUsers?.length) {
    const users = p.ExecutableUsers;
    images = images.filter((i) =>
      users.some((u) =>
        u === 'all'
          ? i.public
          : u === 'self'
            ? visible(i, account)
            : i.public || i.launchPermissionUserIds.has(u),
      ),
    );
  }
  const filtered = filterTagged(images, p.Filters, imageFilters);
  const { page, NextToken } = paginate(filtered, p.MaxResults, p.NextToken);
  return { Images: page.map((i) => ({ ...imageShape(i), ...lifecycleShape(i, now) })), NextToken };
};

function newSnapshot(
  region: RegionState,
  volumeId: string,
  size: number,
  description: string,
  tags: Tag[],
  nextAt: number,
  kmsKeyId?: string,
): Snapshot {
  const snapshot: Snapshot = {
    snapshotId: region.world.newId('snap'),
    volumeId,
    volumeSize: size,
    state: 'pending',
    startTime: region.world.clock.now(),
    nextAt,
    ownerId: region.world.accountId,
    description,
    tags: [...tags],
    encrypted: kmsKeyId !== undefined,
    ...(kmsKeyId !== undefined ? { kmsKeyId } : {}),
  };
  region.ec2.snapshots.set(snapshot.snapshotId, snapshot);
  return snapshot;
}

function checkName(region: RegionState, name: string | undefined): string {
  if (!name || !IMAGE_NAME.test(name)) {
    throw new AwsError(
      'InvalidAMIName.Malformed',
      `AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/' and '_'`,
    );
  }
  const clash = [...region.ec2.images.values()].find(
    (i) => i.name === name && i.ownerId === region.world.accountId && i.state !== 'deregistered',
  );
  if (clash)
    throw new AwsError(
      'InvalidAMIName.Duplicate',
      `AMI name ${name} is already in use by AMI ${clash.imageId}`,
    );
  return name;
}

const createImage: AwsHandler = (req, { region, world, now }) => {
  const p = req.params as unknown as CreateImageRequest;
  const instance = findInstance(region, p.InstanceId ?? '');
  if (instance.state !== 'running' && instance.state !== 'stopped') {
    throw new AwsError(
      'IncorrectInstanceState',
      `Instance '${instance.instanceId}' is not in a valid state for CreateImage: ${instance.state}`,
    );
  }
  const name = checkName(region, p.Name);
  const source = region.ec2.images.get(instance.imageId);
  const imageId = world.newId('ami');
  const readyAt = now + world.durations.imageAvailable;
  const snapshotTags = tagsFor(p.TagSpecifications, 'snapshot');
  const mappings: ImageBlockDevice[] = instance.blockDevices.map((device) => {
    const volume = region.ec2.volumes.get(device.VolumeId);
    const override = p.BlockDeviceMappings?.find((m) => m.DeviceName === device.DeviceName);
    const size = override?.Ebs?.VolumeSize ?? volume?.size ?? 8;
    const snapshot = newSnapshot(
      region,
      device.VolumeId,
      size,
      `Created by CreateImage(${instance.instanceId}) for ${imageId}`,
      snapshotTags,
      readyAt,
      volume?.encrypted ? (volume.kmsKeyId ?? resolveKmsKey(region, undefined).arn) : undefined,
    );
    return {
      DeviceName: device.DeviceName,
      Ebs: {
        SnapshotId: snapshot.snapshotId,
        VolumeSize: size,
        VolumeType: override?.Ebs?.VolumeType ?? volume?.volumeType ?? 'gp3',
        ...(volume?.iops !== undefined ? { Iops: volume.iops } : {}),
        ...(volume?.throughput !== undefined ? { Throughput: volume.throughput } : {}),
        DeleteOnTermination: override?.Ebs?.DeleteOnTermination ?? device.DeleteOnTermination,
        Encrypted: volume?.encrypted ?? false,
        ...(snapshot.kmsKeyId ? { KmsKeyId: snapshot.kmsKeyId } : {}),
      },
    };
  });
  // A running instance is rebooted for a consistent image unless NoReboot; a stopped one needs none.
  if (instance.state === 'running' && !p.NoReboot) {
    instance.console.push(`[${new Date(now).toISOString()}] reboot: Restarting system (CreateImage)`);
  }
  const image: Image = {
    imageId,
    name,
    ...(p.Description !== undefined ? { description: p.Description } : {}),
    ownerId: world.accountId,
    state: 'pending',
    creationDate: now,
    nextAt: readyAt,
    ...(instance.script.imageFailReason ? { failReason: instance.script.imageFailReason } : {}),
    architecture: instance.architecture,
    ...(instance.platform ? { platform: instance.platform } : {}),
    platformDetails: source?.platformDetails ?? (instance.platform === 'windows' ? 'Windows' : 'Linux/UNIX'),
    usageOperation: source?.usageOperation ?? 'RunInstances',
    rootDeviceName: instance.blockDevices[0]?.DeviceName ?? source?.rootDeviceName ?? '/dev/xvda',
    virtualizationType: 'hvm',
    enaSupport: true,
    ...(source?.bootMode ? { bootMode: source.bootMode } : {}),
    ...(source?.imdsSupport ? { imdsSupport: source.imdsSupport } : {}),
    blockDeviceMappings: mappings,
    tags: tagsFor(p.TagSpecifications, 'image'),
    public: false,
    launchPermissionUserIds: new Set(),
    sourceInstanceId: instance.instanceId,
    sourceImageId: instance.imageId,
    imageLocation: `${world.accountId}/${name}`,
  };
  region.ec2.images.set(imageId, image);
  return { ImageId: imageId };
};

const copyImage: AwsHandler = (req, { region, world, now }) => {
  const p = req.params as unknown as CopyImageRequest & {
    TagSpecifications?: { ResourceType?: string; Tags?: Tag[] }[];
  };
  const sourceRegion = world.region(p.SourceRegion ?? region.name);
  const source = findImage(sourceRegion, p.SourceImageId ?? '');
  const caller = callerAccount(world, req.headers);
  if (!visible(source, caller))
    throw new AwsError('InvalidAMIID.NotFound', `The image id '[${source.imageId}]' does not exist`);
  checkCopyBy(sourceRegion, source, caller);
  if (source.state !== 'available') {
    throw new AwsError(
      'IncorrectState',
      `Image ${source.imageId} is not in the 'available' state (it is '${source.state}').`,
    );
  }
  const name = checkName(region, p.Name);
  const imageId = world.newId('ami');
  const readyAt = now + world.durations.imageCopy;
  // TagSpecifications: "To tag the new snapshots, the value for ResourceType must be snapshot."
  const snapshotTags = tagsFor(p.TagSpecifications, 'snapshot');
  const mappings = source.blockDeviceMappings.map((m) => {
    if (!m.Ebs?.SnapshotId) return m;
    // "Copies of encrypted backing snapshots for the AMI are encrypted"; without KmsKeyId the copy
    // uses the destination region's default key (the AWS managed aws/ebs key here).
    const encrypted = p.Encrypted === true || m.Ebs.Encrypted === true;
    const key = encrypted ? resolveKmsKey(region, p.KmsKeyId).arn : undefined;
    const snapshot = newSnapshot(
      region,
      'vol-ffffffff',
      m.Ebs.VolumeSize ?? 8,
      `Copied for DestinationAmi ${imageId} from SourceAmi ${source.imageId}`,
      snapshotTags,
      readyAt,
      key,
    );
    if (caller !== world.accountId) snapshot.ownerId = caller;
    const { KmsKeyId: _sourceKey, ...ebs } = m.Ebs;
    return {
      ...m,
      Ebs: {
        ...ebs,
        SnapshotId: snapshot.snapshotId,
        Encrypted: encrypted,
        ...(key ? { KmsKeyId: key } : {}),
      },
    };
  });
  const tags = [...(p.CopyImageTags ? source.tags : []), ...tagsFor(p.TagSpecifications, 'image')];
  region.ec2.images.set(imageId, {
    ...source,
    imageId,
    name,
    ...(p.Description !== undefined ? { description: p.Description } : {}),
    ownerId: caller,
    state: 'pending',
    creationDate: now,
    nextAt: readyAt,
    blockDeviceMappings: mappings,
    tags,
    public: false,
    launchPermissionUserIds: new Set(),
    // A copy starts with launch permissions of its own (none), organizations and OUs included.
    launchPermissionOrganizationArns: new Set(),
    launchPermissionOrganizationalUnitArns: new Set(),
    sourceImageId: source.imageId,
    sourceRegion: sourceRegion.name,
    imageLocation: `${caller}/${name}`,
  });
  return { ImageId: imageId };
};

const deregisterImage: AwsHandler = (req, { region, now }) => {
  const p = req.params as unknown as DeregisterImageRequest;
  const image = ownImage(region, p.ImageId ?? '');
  // "When deregistration protection is enabled, the AMI can't be deregistered." The error code is
  // not documented (docs silent); localcloud answers OperationNotPermitted.
  const refusal = deregistrationRefusal(image, now);
  if (refusal) throw new AwsError('OperationNotPermitted', refusal);
  // Deregistered AMIs drop out of DescribeImages at once; their snapshots stay until deleted.
  region.ec2.images.delete(image.imageId);
  return {};
};

const describeSnapshots: AwsHandler = (req, { region, world }) => {
  const p = req.params as unknown as DescribeSnapshotsRequest;
  let snapshots = byIds(region.ec2.snapshots, p.SnapshotIds, (id) => [
    'InvalidSnapshot.NotFound',
    `The snapshot '${id}' does not exist.`,
  ]);
  if (p.OwnerIds?.length) {
    const owners = p.OwnerIds.map((o) => (o === 'self' ? world.accountId : o));
    snapshots = snapshots.filter(
      (s) => owners.includes(s.ownerId) || (owners.includes('amazon') && s.ownerId !== world.accountId),
    );
  }
  const filtered = filterTagged(snapshots, p.Filters, {
    'snapshot-id': (s) => s.snapshotId,
    status: (s) => s.state,
    'volume-id': (s) => s.volumeId,
    'owner-id': (s) => s.ownerId,
    description: (s) => s.description,
    'volume-size': (s) => s.volumeSize,
    encrypted: (s) => String(s.encrypted),
  });
  const { page, NextToken } = paginate(filtered, p.MaxResults, p.NextToken);
  return { Snapshots: page.map(snapshotShape), NextToken };
};

const deleteSnapshot: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as DeleteSnapshotRequest;
  const snapshot = region.ec2.snapshots.get(p.SnapshotId ?? '');
  if (!snapshot)
    throw new AwsError('InvalidSnapshot.NotFound', `The snapshot '${p.SnapshotId}' does not exist.`);
  const user = [...region.ec2.images.values()].find(
    (i) =>
      i.state !== 'deregistered' &&
      i.blockDeviceMappings.some((m) => m.Ebs?.SnapshotId === snapshot.snapshotId),
  );
  if (user) {
    throw new AwsError(
      'InvalidSnapshot.InUse',
      `The snapshot ${snapshot.snapshotId} is currently in use by ${user.imageId}`,
    );
  }
  region.ec2.snapshots.delete(snapshot.snapshotId);
  return {};
};

function ownSnapshot(region: RegionState, snapshotId: string): Snapshot {
  const snapshot = region.ec2.snapshots.get(snapshotId);
  if (!snapshot)
    throw new AwsError('InvalidSnapshot.NotFound', `The snapshot '${snapshotId}' does not exist.`);
  return snapshot;
}

/**
 * createVolumePermission only. "You may add or remove specified AWS account IDs from a snapshot's
 * list of create volume permissions, but you cannot do both in a single operation." and
 * "Snapshots encrypted with your default KMS key cannot be shared with other accounts." (error
 * code docs-silent: localcloud answers OperationNotPermitted).
 */
const modifySnapshotAttribute: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as ModifySnapshotAttributeRequest;
  const snapshot = ownSnapshot(region, p.SnapshotId ?? '');
  if (p.Attribute !== undefined && p.Attribute !== 'createVolumePermission')
    throw new AwsError(
      'InvalidParameterValue',
      `Only createVolumePermission can be modified, not ${p.Attribute}.`,
    );
  const add = [...(p.CreateVolumePermission?.Add ?? [])];
  const remove = [...(p.CreateVolumePermission?.Remove ?? [])];
  if (p.OperationType) {
    const flat = [
      ...(p.UserIds ?? []).map((UserId) => ({ UserId })),
      ...(p.GroupNames ?? []).map((Group) => ({ Group })),
    ];
    (p.OperationType === 'add' ? add : remove).push(...(flat as typeof add));
  }
  if (add.length === 0 && remove.length === 0)
    throw new AwsError('InvalidParameterCombination', 'No attributes specified.');
  if (add.length > 0 && remove.length > 0)
    throw new AwsError(
      'InvalidParameterCombination',
      'You cannot add and remove permissions in one operation.',
    );
  for (const perm of [...add, ...remove]) {
    if (perm.Group !== undefined)
      throw new AwsError(
        'InvalidParameterValue',
        'localcloud shares snapshots with accounts only, not groups.',
      );
    if (perm.UserId === undefined || !/^\d{12}$/.test(perm.UserId))
      throw new AwsError('InvalidParameterValue', `Invalid value '${perm.UserId}' for userId.`);
  }
  const managed = kmsKeys(region).find((k) => k.managed && k.arn === snapshot.kmsKeyId);
  if (add.length > 0 && managed)
    throw new AwsError(
      'OperationNotPermitted',
      `Snapshot ${snapshot.snapshotId} is encrypted with the AWS managed key aws/ebs; snapshots encrypted with your default KMS key cannot be shared with other accounts.`,
    );
  const users = (snapshot.createVolumeUserIds ??= new Set());
  for (const perm of add) users.add(perm.UserId!);
  for (const perm of remove) users.delete(perm.UserId!);
  return {};
};

const describeSnapshotAttribute: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as DescribeSnapshotAttributeRequest;
  const snapshot = ownSnapshot(region, p.SnapshotId ?? '');
  if (p.Attribute === 'productCodes') return { SnapshotId: snapshot.snapshotId, ProductCodes: [] };
  if (p.Attribute !== 'createVolumePermission')
    throw new AwsError('InvalidParameterValue', `Value (${p.Attribute}) for parameter attribute is invalid.`);
  return {
    SnapshotId: snapshot.snapshotId,
    CreateVolumePermissions: [
      ...(snapshot.createVolumePublic ? [{ Group: 'all' }] : []),
      ...[...(snapshot.createVolumeUserIds ?? [])].map((UserId) => ({ UserId })),
    ],
  };
};

const modifyImageAttribute: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as ModifyImageAttributeRequest;
  const image = ownImage(region, p.ImageId ?? '');
  if (p.Description?.Value !== undefined || (p.Attribute === 'description' && p.Value !== undefined)) {
    image.description = p.Description?.Value ?? p.Value ?? '';
    return {};
  }
  const imds = p.ImdsSupport?.Value ?? (p.Attribute === 'imdsSupport' ? p.Value : undefined);
  if (imds !== undefined) return setImdsSupport(image, imds);
  const add = [...(p.LaunchPermission?.Add ?? [])];
  const remove = [...(p.LaunchPermission?.Remove ?? [])];
  // The older flat form: Attribute=launchPermission, OperationType, UserIds, UserGroups,
  // OrganizationArns, OrganizationalUnitArns.
  if (p.OperationType) {
    const flat = [
      ...(p.UserIds ?? []).map((UserId) => ({ UserId })),
      ...(p.UserGroups ?? []).map((Group) => ({ Group })),
      ...(p.OrganizationArns ?? []).map((OrganizationArn) => ({ OrganizationArn })),
      ...(p.OrganizationalUnitArns ?? []).map((OrganizationalUnitArn) => ({ OrganizationalUnitArn })),
    ];
    (p.OperationType === 'add' ? add : remove).push(...(flat as typeof add));
  }
  if (add.length === 0 && remove.length === 0) {
    throw new AwsError('InvalidParameterCombination', 'No attributes specified.');
  }
  for (const perm of [...add, ...remove]) {
    if (perm.Group !== undefined && perm.Group !== 'all') {
      throw new AwsError('InvalidParameterValue', `Invalid value '${perm.Group}' for groupName.`);
    }
    if (perm.UserId !== undefined && !/^\d{12}$/.test(perm.UserId)) {
      throw new AwsError(
        'InvalidAMIAttributeItemValue',
        `Invalid attribute item value "${perm.UserId}" for userId item type.`,
      );
    }
  }
  checkOrganizationArns([...add, ...remove]);
  const orgs = (image.launchPermissionOrganizationArns ??= new Set());
  const units = (image.launchPermissionOrganizationalUnitArns ??= new Set());
  for (const perm of add) {
    if (perm.Group === 'all') image.public = true;
    if (perm.UserId) image.launchPermissionUserIds.add(perm.UserId);
    if (perm.OrganizationArn) orgs.add(perm.OrganizationArn);
    if (perm.OrganizationalUnitArn) units.add(perm.OrganizationalUnitArn);
  }
  for (const perm of remove) {
    if (perm.Group === 'all') image.public = false;
    if (perm.UserId) image.launchPermissionUserIds.delete(perm.UserId);
    if (perm.OrganizationArn) orgs.delete(perm.OrganizationArn);
    if (perm.OrganizationalUnitArn) units.delete(perm.OrganizationalUnitArn);
  }
  return {};
};

/**
 * ImdsSupport: "Set to v2.0 to indicate that IMDSv2 is specified in the AMI … After you set the
 * value to v2.0, you can't undo it." Any other value is refused (InvalidParameterValue, code
 * docs-silent); setting v2.0 again changes nothing.
 */
function setImdsSupport(image: Image, value: string): Record<string, never> {
  if (value !== 'v2.0')
    throw new AwsError(
      'InvalidParameterValue',
      `Invalid value '${value}' for imdsSupport; the only value is v2.0.`,
    );
  image.imdsSupport = 'v2.0';
  return {};
}

const ORGANIZATION_ARN = /^arn:aws[\w-]*:organizations::\d{12}:organization\/o-[a-z0-9]{10,32}$/;
const OU_ARN =
  /^arn:aws[\w-]*:organizations::\d{12}:ou\/o-[a-z0-9]{10,32}\/ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}$/;

/**
 * An organization or OU ARN that is not one is refused. The error code is not documented (docs
 * silent); localcloud answers InvalidParameterValue. Membership of the caller is not modelled.
 */
function checkOrganizationArns(perms: { OrganizationArn?: string; OrganizationalUnitArn?: string }[]): void {
  for (const perm of perms) {
    const [value, pattern] = perm.OrganizationArn
      ? [perm.OrganizationArn, ORGANIZATION_ARN]
      : [perm.OrganizationalUnitArn, OU_ARN];
    if (value !== undefined && !pattern.test(value))
      throw new AwsError(
        'InvalidParameterValue',
        `Invalid value '${value}' for ${pattern === OU_ARN ? 'organizationalUnitArn' : 'organizationArn'}.`,
      );
  }
}

const describeImageAttribute: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as DescribeImageAttributeRequest;
  const image = findImage(region, p.ImageId ?? '');
  switch (p.Attribute) {
    case 'launchPermission':
      return {
        ImageId: image.imageId,
        LaunchPermissions: [
          ...(image.public ? [{ Group: 'all' }] : []),
          ...[...image.launchPermissionUserIds].map((UserId) => ({ UserId })),
          ...[...(image.launchPermissionOrganizationArns ?? [])].map((OrganizationArn) => ({
            OrganizationArn,
          })),
          ...[...(image.launchPermissionOrganizationalUnitArns ?? [])].map((OrganizationalUnitArn) => ({
            OrganizationalUnitArn,
          })),
        ],
      };
    case 'description':
      return {
        ImageId: image.imageId,
        Description: image.description !== undefined ? { Value: image.description } : {},
      };
    case 'blockDeviceMapping':
      return { ImageId: image.imageId, BlockDeviceMappings: image.blockDeviceMappings };
    case 'bootMode':
      return { ImageId: image.imageId, BootMode: image.bootMode ? { Value: image.bootMode } : {} };
    case 'imdsSupport':
      return { ImageId: image.imageId, ImdsSupport: image.imdsSupport ? { Value: image.imdsSupport } : {} };
    case 'sriovNetSupport':
      return { ImageId: image.imageId, SriovNetSupport: { Value: 'simple' } };
    default:
      throw new AwsError('InvalidRequest', `The attribute ${p.Attribute} is not supported by localcloud.`);
  }
};

const TERMINAL_STATES: ImageState[] = ['failed', 'invalid', 'error', 'deregistered', 'disabled'];

/** Finishes image and snapshot creation whose time is up. */
export function tickImages(region: RegionState, now: number): void {
  for (const image of region.ec2.images.values()) {
    if (image.state !== 'pending' || image.nextAt === undefined || now < image.nextAt) continue;
    delete image.nextAt;
    // Tag localcloud:image-state=<state> at creation makes the image end in that terminal state.
    const terminal = image.tags.find((t) => t.Key === 'localcloud:image-state')?.Value;
    if (terminal && TERMINAL_STATES.includes(terminal as ImageState)) {
      image.state = terminal as ImageState;
      image.stateReason = { Code: 'Client.InvalidImage', Message: `localcloud: image ended ${terminal}` };
    } else if (image.failReason) {
      image.state = 'failed';
      image.stateReason = { Code: 'Client.InvalidImage', Message: image.failReason };
    } else {
      image.state = 'available';
    }
    for (const mapping of image.blockDeviceMappings) {
      const snapshot = mapping.Ebs?.SnapshotId ? region.ec2.snapshots.get(mapping.Ebs.SnapshotId) : undefined;
      if (snapshot?.state === 'pending') {
        snapshot.state = image.failReason ? 'error' : 'completed';
        delete snapshot.nextAt;
      }
    }
  }
  for (const snapshot of region.ec2.snapshots.values()) {
    if (snapshot.state === 'pending' && snapshot.nextAt !== undefined && now >= snapshot.nextAt) {
      snapshot.state = 'completed';
      delete snapshot.nextAt;
    }
  }
}

export const imageHandlers: Record<string, AwsHandler> = {
  DescribeImages: describeImages,
  CreateImage: createImage,
  CopyImage: copyImage,
  DeregisterImage: deregisterImage,
  DescribeSnapshots: describeSnapshots,
  DeleteSnapshot: deleteSnapshot,
  ModifySnapshotAttribute: modifySnapshotAttribute,
  DescribeSnapshotAttribute: describeSnapshotAttribute,
  ModifyImageAttribute: modifyImageAttribute,
  DescribeImageAttribute: describeImageAttribute,
};

/** CreateImage: the instance, the image and snapshots it makes (with their request tags), tag-on-create. */
function createImageAuth(q: IamRequest) {
  const { action, params: p, arns: a } = q;
  const tags = arr<TagSpec>(p.TagSpecifications);
  return [
    ...onInstance(q),
    { action, resource: a.image('*'), context: specTags(tags, 'image') },
    { action, resource: a.snapshot('*'), context: specTags(tags, 'snapshot') },
    ...tagOnCreate(a, tags, 'CreateImage', (type) => (type === 'snapshot' ? a.snapshot('*') : a.image('*'))),
  ];
}

/**
 * CopyImage: the source AMI is authorized too since 2024-10-28 ("you can specify resource-level
 * permissions for the CopyImage action on the source AMI", copy-ami-permissions), with ec2:Owner.
 */
function copyImageAuth({ action, params: p, region: r, arns: a }: IamRequest) {
  const tags = arr<TagSpec>(p.TagSpecifications);
  const from = r.world.region(String(p.SourceRegion ?? r.name));
  const source = image(from, String(p.SourceImageId));
  return [
    { action, resource: source.resource, context: { 'ec2:Owner': source.context['ec2:Owner'] } },
    { action, resource: a.image('*'), context: specTags(tags, 'image') },
    ...tagOnCreate(a, tags, 'CopyImage', (type) => (type === 'snapshot' ? a.snapshot('*') : a.image('*'))),
  ];
}

export const imageIam: Record<string, IamMapping> = {
  DescribeImages: onAnyResource,
  CreateImage: createImageAuth,
  CopyImage: copyImageAuth,
  DeregisterImage: onEc2Resource('ImageId'),
  DescribeSnapshots: onAnyResource,
  DeleteSnapshot: onEc2Resource('SnapshotId'),
  ModifySnapshotAttribute: onEc2Resource('SnapshotId'),
  DescribeSnapshotAttribute: onAnyResource,
  ModifyImageAttribute: onEc2Resource('ImageId'),
  DescribeImageAttribute: onAnyResource,
};
