import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type {
  AuthorizeSecurityGroupIngressRequest,
  CreateKeyPairRequest,
  CreateSecurityGroupRequest,
  DeleteKeyPairRequest,
  DeleteSecurityGroupRequest,
  DescribeAvailabilityZonesRequest,
  DescribeKeyPairsRequest,
  DescribeRegionsRequest,
  DescribeSecurityGroupsRequest,
  DescribeSubnetsRequest,
  DescribeVolumesRequest,
  DescribeVpcsRequest,
  ImportKeyPairRequest,
} from '@aws-sdk/client-ec2';
import type { IpPermission, KeyPair, RegionState, SecurityGroup, Subnet, Volume, Vpc } from '../state.js';
import {
  applyFilters,
  described,
  paginate,
  tagsFor,
  type FilterFields,
  type FilterInput,
  filterTagged,
} from './ec2-filters.js';
import { keyPairShape, securityGroupShape, subnetShape, volumeShape, vpcShape } from './ec2-shapes.js';
import { AwsError, type AwsHandler } from './service.js';
import { ec2Resource, onAnyResource, type IamMapping } from '../iam-context.js';

/** What Packer and the CLI look up around an instance: key pairs, security groups, VPCs, zones, volumes. */

export const REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'eu-west-1',
  'eu-west-2',
  'eu-central-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
];

export function zonesOf(region: string): string[] {
  return ['a', 'b', 'c'].map((letter) => `${region}${letter}`);
}

/** Zone ids as AWS names them: us-east-1a → use1-az1. */
export function zoneId(region: string, zone: string): string {
  const [area = '', direction = '', number = ''] = region.split('-');
  return `${area}${direction.charAt(0)}${number}-az${zone.charCodeAt(zone.length - 1) - 96}`;
}

function fingerprint(der: Buffer, algorithm: 'sha1' | 'md5'): string {
  return createHash(algorithm).update(der).digest('hex').match(/../g)!.join(':');
}

const createKeyPair: AwsHandler = (req, { region, world, now }) => {
  const p = req.params as unknown as CreateKeyPairRequest;
  const name = p.KeyName ?? '';
  if (region.ec2.keyPairs.has(name))
    throw new AwsError('InvalidKeyPair.Duplicate', `The keypair '${name}' already exists.`);
  const type = p.KeyType ?? 'rsa';
  const pair =
    type === 'ed25519'
      ? generateKeyPairSync('ed25519', {
          privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
          publicKeyEncoding: { type: 'spki', format: 'der' },
        })
      : generateKeyPairSync('rsa', {
          modulusLength: 2048,
          privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
          publicKeyEncoding: { type: 'spki', format: 'der' },
        });
  const keyPair: KeyPair = {
    keyName: name,
    keyPairId: world.newId('key'),
    fingerprint: fingerprint(pair.publicKey, 'sha1'),
    keyType: type,
    createTime: now,
    tags: tagsFor(p.TagSpecifications, 'key-pair'),
  };
  region.ec2.keyPairs.set(name, keyPair);
  return {
    KeyFingerprint: keyPair.fingerprint,
    KeyMaterial: pair.privateKey,
    KeyName: name,
    KeyPairId: keyPair.keyPairId,
    Tags: keyPair.tags,
  };
};

const importKeyPair: AwsHandler = (req, { region, world, now }) => {
  const p = req.params as unknown as ImportKeyPairRequest;
  const name = p.KeyName ?? '';
  if (region.ec2.keyPairs.has(name))
    throw new AwsError('InvalidKeyPair.Duplicate', `The keypair '${name}' already exists.`);
  const material = Buffer.from(String(p.PublicKeyMaterial ?? ''), 'base64')
    .toString('utf8')
    .trim();
  let der: Buffer;
  try {
    der = material.startsWith('ssh-')
      ? Buffer.from(material.split(/\s+/)[1] ?? '', 'base64')
      : createPublicKey(material).export({ type: 'spki', format: 'der' });
  } catch {
    throw new AwsError('InvalidKey.Format', 'Key is not in valid OpenSSH public key format');
  }
  const keyPair: KeyPair = {
    keyName: name,
    keyPairId: world.newId('key'),
    fingerprint: fingerprint(der, 'md5'),
    keyType: material.startsWith('ssh-ed25519') ? 'ed25519' : 'rsa',
    createTime: now,
    tags: tagsFor(p.TagSpecifications, 'key-pair'),
  };
  region.ec2.keyPairs.set(name, keyPair);
  return {
    KeyFingerprint: keyPair.fingerprint,
    KeyName: name,
    KeyPairId: keyPair.keyPairId,
    Tags: keyPair.tags,
  };
};

const deleteKeyPair: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as DeleteKeyPairRequest;
  // Deleting a key pair that does not exist succeeds, as in EC2.
  for (const [name, key] of region.ec2.keyPairs) {
    if (name === p.KeyName || key.keyPairId === p.KeyPairId) region.ec2.keyPairs.delete(name);
  }
  return {};
};

const KEY_PAIR_FILTERS: FilterFields<KeyPair> = {
  'key-name': (k) => k.keyName,
  'key-pair-id': (k) => k.keyPairId,
  fingerprint: (k) => k.fingerprint,
};

const describeKeyPairs: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as DescribeKeyPairsRequest;
  let keys = [...region.ec2.keyPairs.values()];
  for (const name of p.KeyNames ?? []) {
    if (!region.ec2.keyPairs.has(name))
      throw new AwsError('InvalidKeyPair.NotFound', `The key pair '${name}' does not exist`);
  }
  if (p.KeyNames?.length) keys = keys.filter((k) => p.KeyNames!.includes(k.keyName));
  if (p.KeyPairIds?.length) {
    const missing = p.KeyPairIds.find((id) => !keys.some((k) => k.keyPairId === id));
    if (missing) throw new AwsError('InvalidKeyPair.NotFound', `The key pair '${missing}' does not exist`);
    keys = keys.filter((k) => p.KeyPairIds!.includes(k.keyPairId));
  }
  const filtered = filterTagged(keys, p.Filters, KEY_PAIR_FILTERS);
  return {
    KeyPairs: filtered.map(keyPairShape),
  };
};

function defaultVpcId(region: RegionState): string {
  const vpc = [...region.ec2.vpcs.values()].find((v) => v.isDefault);
  if (!vpc) throw new AwsError('VPCIdNotSpecified', 'No default VPC for this user');
  return vpc.vpcId;
}

function findGroup(region: RegionState, id: string | undefined, name: string | undefined): SecurityGroup {
  const group = id
    ? region.ec2.securityGroups.get(id)
    : [...region.ec2.securityGroups.values()].find(
        (g) => g.groupName === name && g.vpcId === defaultVpcId(region),
      );
  if (!group)
    throw new AwsError('InvalidGroup.NotFound', `The security group '${id ?? name}' does not exist`);
  return group;
}

const createSecurityGroup: AwsHandler = (req, { region, world }) => {
  const p = req.params as unknown as CreateSecurityGroupRequest;
  // Packer sends an empty VpcId to mean the default VPC.
  const vpcId = p.VpcId || defaultVpcId(region);
  if (!region.ec2.vpcs.has(vpcId))
    throw new AwsError('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
  if ([...region.ec2.securityGroups.values()].some((g) => g.groupName === p.GroupName && g.vpcId === vpcId)) {
    throw new AwsError(
      'InvalidGroup.Duplicate',
      `The security group '${p.GroupName}' already exists for VPC '${vpcId}'`,
    );
  }
  const group: SecurityGroup = {
    groupId: world.newId('sg'),
    groupName: p.GroupName ?? '',
    description: p.Description ?? '',
    vpcId,
    ingress: [],
    egress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    tags: tagsFor(p.TagSpecifications, 'security-group'),
  };
  region.ec2.securityGroups.set(group.groupId, group);
  return { GroupId: group.groupId, Tags: group.tags };
};

const deleteSecurityGroup: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as DeleteSecurityGroupRequest;
  const group = findGroup(region, p.GroupId, p.GroupName);
  const user = [...region.ec2.instances.values()].find(
    (i) => i.state !== 'terminated' && i.securityGroups.some((g) => g.GroupId === group.groupId),
  );
  if (user) throw new AwsError('DependencyViolation', `resource ${group.groupId} has a dependent object`);
  region.ec2.securityGroups.delete(group.groupId);
  return {};
};

function sameRule(a: IpPermission, b: IpPermission): boolean {
  return (
    JSON.stringify([a.IpProtocol, a.FromPort, a.ToPort, a.IpRanges]) ===
    JSON.stringify([b.IpProtocol, b.FromPort, b.ToPort, b.IpRanges])
  );
}

const authorizeIngress: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as AuthorizeSecurityGroupIngressRequest;
  const group = findGroup(region, p.GroupId, p.GroupName);
  const rules: IpPermission[] = p.IpPermissions?.length
    ? (p.IpPermissions as IpPermission[])
    : [
        {
          IpProtocol: p.IpProtocol ?? '-1',
          FromPort: p.FromPort,
          ToPort: p.ToPort,
          IpRanges: [{ CidrIp: p.CidrIp ?? '0.0.0.0/0' }],
        },
      ];
  for (const rule of rules) {
    if (group.ingress.some((r) => sameRule(r, rule))) {
      throw new AwsError(
        'InvalidPermission.Duplicate',
        `the specified rule "peer: ${rule.IpRanges?.[0]?.CidrIp}, ${rule.IpProtocol}" already exists`,
      );
    }
  }
  group.ingress.push(...rules);
  return { Return: true };
};

/** DescribeSecurityGroups' filters (`owner-id` is the account's). */
const securityGroupFilters = (accountId: string): FilterFields<SecurityGroup> => ({
  'group-id': (g) => g.groupId,
  'group-name': (g) => g.groupName,
  'vpc-id': (g) => g.vpcId,
  description: (g) => g.description,
  'owner-id': () => accountId,
});

const describeSecurityGroups: AwsHandler = (req, { region, world }) => {
  const p = req.params as unknown as DescribeSecurityGroupsRequest;
  let groups = [...region.ec2.securityGroups.values()];
  if (p.GroupIds?.length) groups = p.GroupIds.map((id) => findGroup(region, id, undefined));
  if (p.GroupNames?.length) groups = p.GroupNames.map((name) => findGroup(region, undefined, name));
  const filtered = filterTagged(groups, p.Filters, securityGroupFilters(world.accountId));
  const { page, NextToken } = paginate(filtered, p.MaxResults, p.NextToken);
  return {
    SecurityGroups: page.map((g) => securityGroupShape(g, world.accountId)),
    NextToken,
  };
};

/** DescribeVpcs' filters (`owner-id` is the account's). */
const vpcFilters = (accountId: string): FilterFields<Vpc> => ({
  'vpc-id': (v) => v.vpcId,
  'is-default': (v) => String(v.isDefault),
  'cidr-block': (v) => v.cidrBlock,
  cidr: (v) => v.cidrBlock,
  state: () => 'available',
  'owner-id': () => accountId,
});

const vpcNotFound = (id: string): [string, string] => [
  'InvalidVpcID.NotFound',
  `The vpc ID '${id}' does not exist`,
];

const SUBNET_FILTERS: FilterFields<Subnet> = {
  'subnet-id': (s) => s.subnetId,
  'vpc-id': (s) => s.vpcId,
  'availability-zone': (s) => s.availabilityZone,
  'availability-zone-id': (s) => s.availabilityZoneId,
  'default-for-az': (s) => String(s.defaultForAz),
  'cidr-block': (s) => s.cidrBlock,
  state: () => 'available',
};

const subnetNotFound = (id: string): [string, string] => [
  'InvalidSubnetID.NotFound',
  `The subnet ID '${id}' does not exist`,
];

const VOLUME_FILTERS: FilterFields<Volume> = {
  'volume-id': (v) => v.volumeId,
  status: (v) => v.state,
  'attachment.instance-id': (v) => v.attachment?.InstanceId,
  'attachment.device': (v) => v.attachment?.Device,
  'availability-zone': (v) => v.availabilityZone,
  'snapshot-id': (v) => v.snapshotId,
  'volume-type': (v) => v.volumeType,
  size: (v) => v.size,
};

const volumeNotFound = (id: string): [string, string] => [
  'InvalidVolume.NotFound',
  `The volume '${id}' does not exist.`,
];

const describeVpcs: AwsHandler = (req, { region, world }) => {
  const p = req.params as unknown as DescribeVpcsRequest;
  const filtered = described(region.ec2.vpcs, p.VpcIds, vpcNotFound, p.Filters, vpcFilters(world.accountId));
  return {
    Vpcs: filtered.map((v) => vpcShape(v, world.accountId)),
  };
};

const describeSubnets: AwsHandler = (req, { region, world }) => {
  const p = req.params as unknown as DescribeSubnetsRequest;
  const filtered = described(region.ec2.subnets, p.SubnetIds, subnetNotFound, p.Filters, SUBNET_FILTERS);
  const { page, NextToken } = paginate(filtered, p.MaxResults, p.NextToken);
  return {
    Subnets: page.map((s) => subnetShape(s, region.name, world.accountId)),
    NextToken,
  };
};

/**
 * Opt-in regions this account has not enabled: DescribeRegions lists them only with AllRegions (or
 * by name), as `not-opted-in`; every region of REGIONS is enabled (`opt-in-not-required`).
 */
export const NOT_OPTED_IN_REGIONS = ['af-south-1', 'ap-east-1', 'me-south-1'];

const describeRegions: AwsHandler = (req) => {
  const p = req.params as unknown as DescribeRegionsRequest;
  const regions = [
    ...REGIONS.map((name) => ({ name, optIn: 'opt-in-not-required' })),
    ...NOT_OPTED_IN_REGIONS.map((name) => ({ name, optIn: 'not-opted-in' })),
  ];
  // Without AllRegions, only enabled regions; RegionNames may name any region, enabled or not.
  const named = p.RegionNames?.length
    ? regions.filter((r) => p.RegionNames!.includes(r.name))
    : regions.filter((r) => p.AllRegions || r.optIn !== 'not-opted-in');
  const filtered = applyFilters(named, p.Filters as FilterInput[] | undefined, {
    'region-name': (r) => r.name,
    endpoint: (r) => `ec2.${r.name}.amazonaws.com`,
    'opt-in-status': (r) => r.optIn,
  });
  return {
    Regions: filtered.map((r) => ({
      RegionName: r.name,
      Endpoint: `ec2.${r.name}.amazonaws.com`,
      OptInStatus: r.optIn,
    })),
  };
};

const describeAvailabilityZones: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as DescribeAvailabilityZonesRequest;
  const zones = zonesOf(region.name).map((name) => ({ name, id: zoneId(region.name, name) }));
  if (p.ZoneNames?.length) {
    const unknown = p.ZoneNames.find((z) => !zones.some((x) => x.name === z));
    if (unknown) throw new AwsError('InvalidParameterValue', `Invalid availability zone: [${unknown}]`);
  }
  const named = zones.filter(
    (z) =>
      (!p.ZoneNames?.length || p.ZoneNames.includes(z.name)) &&
      (!p.ZoneIds?.length || p.ZoneIds.includes(z.id)),
  );
  const filtered = applyFilters(named, p.Filters as FilterInput[] | undefined, {
    'zone-name': (z) => z.name,
    'zone-id': (z) => z.id,
    state: () => 'available',
    'region-name': () => region.name,
    'zone-type': () => 'availability-zone',
    'opt-in-status': () => 'opt-in-not-required',
  });
  return {
    AvailabilityZones: filtered.map((z) => ({
      ZoneName: z.name,
      ZoneId: z.id,
      State: 'available',
      RegionName: region.name,
      ZoneType: 'availability-zone',
      GroupName: region.name,
      NetworkBorderGroup: region.name,
      OptInStatus: 'opt-in-not-required',
      Messages: [],
    })),
  };
};

const describeVolumes: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as DescribeVolumesRequest;
  const filtered = described(region.ec2.volumes, p.VolumeIds, volumeNotFound, p.Filters, VOLUME_FILTERS);
  const { page, NextToken } = paginate(filtered, p.MaxResults, p.NextToken);
  return {
    Volumes: page.map((v) => volumeShape(v)),
    NextToken,
  };
};

const describeAccountAttributes: AwsHandler = (_req, { region }) => {
  const vpc = [...region.ec2.vpcs.values()].find((v) => v.isDefault);
  return {
    AccountAttributes: [
      { AttributeName: 'supported-platforms', AttributeValues: [{ AttributeValue: 'VPC' }] },
      { AttributeName: 'default-vpc', AttributeValues: [{ AttributeValue: vpc?.vpcId ?? 'none' }] },
      { AttributeName: 'max-instances', AttributeValues: [{ AttributeValue: '100' }] },
    ],
  };
};

export const networkHandlers: Record<string, AwsHandler> = {
  CreateKeyPair: createKeyPair,
  ImportKeyPair: importKeyPair,
  DeleteKeyPair: deleteKeyPair,
  DescribeKeyPairs: describeKeyPairs,
  CreateSecurityGroup: createSecurityGroup,
  DeleteSecurityGroup: deleteSecurityGroup,
  AuthorizeSecurityGroupIngress: authorizeIngress,
  DescribeSecurityGroups: describeSecurityGroups,
  DescribeVpcs: describeVpcs,
  DescribeSubnets: describeSubnets,
  DescribeRegions: describeRegions,
  DescribeAvailabilityZones: describeAvailabilityZones,
  DescribeVolumes: describeVolumes,
  DescribeAccountAttributes: describeAccountAttributes,
};

const onKeyPair =
  (...keys: string[]): IamMapping =>
  ({ action, params: p, arns }) => {
    const name = keys.map((k) => p[k]).find((v) => v !== undefined && v !== null);
    return [{ action, resource: arns.ec2('key-pair', String(name ?? '*')), context: {} }];
  };

/** The group a request names by id or (default VPC) name. */
const onSecurityGroup: IamMapping = ({ action, params: p, region: r, arns }) => {
  const id = p.GroupId
    ? String(p.GroupId)
    : [...r.ec2.securityGroups.values()].find((g) => g.groupName === p.GroupName)?.groupId;
  return [{ action, ...ec2Resource(r, arns, id ?? 'sg-*') }];
};

export const networkIam: Record<string, IamMapping> = {
  CreateKeyPair: onKeyPair('KeyName'),
  ImportKeyPair: onKeyPair('KeyName'),
  DeleteKeyPair: onKeyPair('KeyName', 'KeyPairId'),
  DescribeKeyPairs: onAnyResource,
  CreateSecurityGroup: ({ action, params: p, region: r, arns }) => [
    { action, resource: arns.ec2('security-group', '*'), context: {} },
    ...(p.VpcId ? [{ action, ...ec2Resource(r, arns, String(p.VpcId)) }] : []),
  ],
  DeleteSecurityGroup: onSecurityGroup,
  AuthorizeSecurityGroupIngress: onSecurityGroup,
  DescribeSecurityGroups: onAnyResource,
  DescribeVpcs: onAnyResource,
  DescribeSubnets: onAnyResource,
  DescribeRegions: onAnyResource,
  DescribeAvailabilityZones: onAnyResource,
  DescribeVolumes: onAnyResource,
  DescribeAccountAttributes: onAnyResource,
};
