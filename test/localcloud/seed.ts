import { zoneId, zonesOf } from './aws/ec2-network.js';
import { seedParameter } from './aws/ssm-parameters.js';
import { AMAZON_OWNER_ID, stableId, upsertTags, type Image, type RegionState, type Tag } from './state.js';

/**
 * What every region starts with: a default VPC with one subnet per zone (addresses in
 * 127.10.0.0/16), a default security group, AWS's public base images and the public SSM
 * parameters that name them. Also the control API's image seeding.
 */

export interface BaseImage {
  name: string;
  architecture: 'x86_64' | 'arm64';
  windows: boolean;
  created: string;
  /** Public parameters naming this image. */
  parameters: string[];
}

export const BASE_IMAGES: readonly BaseImage[] = [
  {
    name: 'al2023-ami-2023.6.20241111.0-kernel-6.1-x86_64',
    architecture: 'x86_64',
    windows: false,
    created: '2024-11-12T19:20:00.000Z',
    parameters: [],
  },
  {
    name: 'al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64',
    architecture: 'x86_64',
    windows: false,
    created: '2024-12-13T01:10:00.000Z',
    parameters: [
      '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
      '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64',
    ],
  },
  {
    name: 'al2023-ami-2023.6.20241212.0-kernel-6.1-arm64',
    architecture: 'arm64',
    windows: false,
    created: '2024-12-13T01:12:00.000Z',
    parameters: [
      '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64',
      '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64',
    ],
  },
  {
    name: 'Windows_Server-2022-English-Full-Base-2024.12.13',
    architecture: 'x86_64',
    windows: true,
    created: '2024-12-13T08:45:00.000Z',
    parameters: ['/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base'],
  },
];

/** The id a base image has in a region (stable across runs and resets). */
export function baseImageId(region: string, name: string): string {
  return stableId('ami', region, name);
}

/** The platform fields of a Linux or Windows image. */
function platformOf(windows: boolean | undefined) {
  return {
    ...(windows ? { platform: 'windows' as const } : {}),
    platformDetails: windows ? 'Windows' : 'Linux/UNIX',
    usageOperation: windows ? 'RunInstances:0002' : 'RunInstances',
  };
}

/** One unencrypted gp3 root volume from the image's snapshot. */
function rootDisk(device: string, snapshotId: string, size: number) {
  return [
    {
      DeviceName: device,
      Ebs: {
        SnapshotId: snapshotId,
        VolumeSize: size,
        VolumeType: 'gp3',
        DeleteOnTermination: true,
        Encrypted: false,
      },
    },
  ];
}

/** The default VPC: a subnet per zone and the default security group. */
function seedNetwork(region: RegionState): void {
  const e = region.ec2;
  const vpcId = stableId('vpc', region.name, 'default');
  e.vpcs.set(vpcId, { vpcId, cidrBlock: '127.10.0.0/16', isDefault: true, tags: [] });
  zonesOf(region.name).forEach((zone, i) => {
    const subnetId = stableId('subnet', region.name, zone);
    e.subnets.set(subnetId, {
      subnetId,
      vpcId,
      availabilityZone: zone,
      availabilityZoneId: zoneId(region.name, zone),
      cidrBlock: `127.10.${i * 64}.0/18`,
      defaultForAz: true,
      tags: [],
    });
  });
  const sgId = stableId('sg', region.name, 'default');
  e.securityGroups.set(sgId, {
    groupId: sgId,
    groupName: 'default',
    description: 'default VPC security group',
    vpcId,
    ingress: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: sgId, UserId: region.world.accountId }] }],
    egress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    tags: [],
  });
}

/** One of AWS's public images, its snapshot and the public parameters that name it. */
function seedBaseImage(region: RegionState, base: (typeof BASE_IMAGES)[number]): void {
  const e = region.ec2;
  const imageId = baseImageId(region.name, base.name);
  const snapshotId = stableId('snap', region.name, base.name);
  const device = base.windows ? '/dev/sda1' : '/dev/xvda';
  const size = base.windows ? 30 : 8;
  const created = Date.parse(base.created);
  e.snapshots.set(snapshotId, {
    snapshotId,
    volumeId: 'vol-ffffffff',
    volumeSize: size,
    state: 'completed',
    startTime: created,
    ownerId: AMAZON_OWNER_ID,
    description: `Snapshot for ${base.name}`,
    tags: [],
    encrypted: false,
    // Public AMIs' snapshots are public too, so any account can copy them.
    createVolumePublic: true,
  });
  e.images.set(imageId, {
    imageId,
    name: base.name,
    description: base.windows
      ? 'Microsoft Windows Server 2022 Full Locale English AMI provided by Amazon'
      : `Amazon Linux 2023 AMI ${base.name.split('-')[2]} ${base.architecture} HVM kernel-6.1`,
    ownerId: AMAZON_OWNER_ID,
    ownerAlias: 'amazon',
    state: 'available',
    creationDate: created,
    architecture: base.architecture,
    ...platformOf(base.windows),
    rootDeviceName: device,
    virtualizationType: 'hvm',
    enaSupport: true,
    bootMode: base.windows ? 'uefi-preferred' : 'uefi-preferred',
    ...(base.windows ? {} : { imdsSupport: 'v2.0' }),
    blockDeviceMappings: rootDisk(device, snapshotId, size),
    tags: [],
    public: true,
    launchPermissionUserIds: new Set(),
    imageLocation: `amazon/${base.name}`,
  });
  for (const parameter of base.parameters) seedParameter(region, parameter, imageId);
}

export function seedRegion(region: RegionState): void {
  seedNetwork(region);
  for (const base of BASE_IMAGES) seedBaseImage(region, base);
}

export interface ImageSeed {
  name: string;
  /** Served by the instance's /version endpoint (stored as tag `localcloud:version`). */
  version?: string;
  /** `unhealthy` makes instances launched from it fail health checks. */
  health?: 'healthy' | 'unhealthy';
  tags?: Tag[];
  state?: 'available' | 'pending' | 'failed';
  windows?: boolean;
  architecture?: 'x86_64' | 'arm64';
  public?: boolean;
  /** ISO date or epoch ms; default now. */
  creationDate?: string | number;
  /** false: no `golden-ami:bake-id` tag, an image bake-ami did not make (default true). */
  baked?: boolean;
}

/** An image owned by the account, as if baked earlier (the control API's `seed`): tagged with a bake id unless `baked: false`. */
export function seedImage(region: RegionState, seed: ImageSeed): Image {
  const world = region.world;
  const now = world.clock.now();
  const imageId = world.newId('ami');
  const snapshotId = world.newId('snap');
  const device = seed.windows ? '/dev/sda1' : '/dev/xvda';
  const size = seed.windows ? 30 : 8;
  const state = seed.state ?? 'available';
  region.ec2.snapshots.set(snapshotId, {
    snapshotId,
    volumeId: 'vol-ffffffff',
    volumeSize: size,
    state: state === 'available' ? 'completed' : state === 'failed' ? 'error' : 'pending',
    startTime: now,
    ownerId: world.accountId,
    description: `Created by localcloud seed for ${imageId}`,
    tags: [],
    encrypted: false,
  });
  // As if bake-ami made it: its bake id, which promote-ami-parameter and deploy-ami require.
  const tags: Tag[] = seed.baked === false ? [] : [{ Key: 'golden-ami:bake-id', Value: `seed-${imageId}` }];
  upsertTags(tags, seed.tags ?? []);
  if (seed.version !== undefined) upsertTags(tags, [{ Key: 'localcloud:version', Value: seed.version }]);
  if (seed.health) upsertTags(tags, [{ Key: 'localcloud:health', Value: seed.health }]);
  const image: Image = {
    imageId,
    name: seed.name,
    ownerId: world.accountId,
    state,
    creationDate: seed.creationDate !== undefined ? new Date(seed.creationDate).getTime() : now,
    ...(state === 'pending' ? { nextAt: now + world.durations.imageAvailable } : {}),
    ...(state === 'failed'
      ? { stateReason: { Code: 'Client.InvalidImage', Message: 'localcloud: seeded as failed' } }
      : {}),
    architecture: seed.architecture ?? 'x86_64',
    ...platformOf(seed.windows),
    rootDeviceName: device,
    virtualizationType: 'hvm',
    enaSupport: true,
    blockDeviceMappings: rootDisk(device, snapshotId, size),
    tags,
    public: seed.public ?? false,
    launchPermissionUserIds: new Set(),
    imageLocation: `${world.accountId}/${seed.name}`,
  };
  region.ec2.images.set(imageId, image);
  return image;
}
