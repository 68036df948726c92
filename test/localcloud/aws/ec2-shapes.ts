import {
  INSTANCE_STATE_CODES,
  type Image,
  type Instance,
  type KeyPair,
  type LaunchTemplate,
  type LaunchTemplateVersion,
  type RegionState,
  type SecurityGroup,
  type Snapshot,
  type Subnet,
  type Volume,
  type Vpc,
} from '../state.js';

/** State objects rendered in the SDK's member names, for the serializer to write per the model. */

/** Where a live instance sits on the network: its subnet, address and one attached interface. */
function networkShape(instance: Instance, region: RegionState) {
  const attached = {
    AttachmentId: `eni-attach-${instance.instanceId.slice(2)}`,
    DeviceIndex: 0,
    Status: 'attached',
    AttachTime: new Date(instance.launchTime),
    DeleteOnTermination: true,
  };
  return {
    SubnetId: instance.subnetId,
    VpcId: instance.vpcId,
    PrivateIpAddress: instance.privateIp,
    NetworkInterfaces: [
      {
        NetworkInterfaceId: `eni-${instance.instanceId.slice(2)}`,
        SubnetId: instance.subnetId,
        VpcId: instance.vpcId,
        OwnerId: region.world.accountId,
        Status: 'in-use',
        PrivateIpAddress: instance.privateIp,
        PrivateDnsName: instance.privateDnsName,
        SourceDestCheck: true,
        Groups: instance.securityGroups,
        Attachment: attached,
        PrivateIpAddresses: [
          { Primary: true, PrivateIpAddress: instance.privateIp, PrivateDnsName: instance.privateDnsName },
        ],
        InterfaceType: 'interface',
      },
    ],
  };
}

function blockDeviceShape(d: Instance['blockDevices'][number]) {
  return {
    DeviceName: d.DeviceName,
    Ebs: {
      AttachTime: new Date(d.AttachTime),
      DeleteOnTermination: d.DeleteOnTermination,
      Status: 'attached',
      VolumeId: d.VolumeId,
    },
  };
}

export function instanceShape(instance: Instance, region: RegionState) {
  return {
    InstanceId: instance.instanceId,
    ImageId: instance.imageId,
    State: { Code: INSTANCE_STATE_CODES[instance.state], Name: instance.state },
    PrivateDnsName: instance.state === 'terminated' ? '' : instance.privateDnsName,
    PublicDnsName: '',
    StateTransitionReason: instance.stateTransitionReason,
    ...(instance.keyName ? { KeyName: instance.keyName } : {}),
    AmiLaunchIndex: instance.amiLaunchIndex,
    ProductCodes: [],
    InstanceType: instance.instanceType,
    ...(instance.spotInstanceRequestId
      ? { InstanceLifecycle: 'spot', SpotInstanceRequestId: instance.spotInstanceRequestId }
      : {}),
    LaunchTime: new Date(instance.launchTime),
    Placement: { AvailabilityZone: instance.availabilityZone, GroupName: '', Tenancy: 'default' },
    ...(instance.platform ? { Platform: instance.platform } : {}),
    PlatformDetails: instance.platform === 'windows' ? 'Windows' : 'Linux/UNIX',
    UsageOperation: instance.platform === 'windows' ? 'RunInstances:0002' : 'RunInstances',
    Monitoring: { State: instance.monitoring ? 'enabled' : 'disabled' },
    ...(instance.state === 'terminated' ? {} : networkShape(instance, region)),
    Architecture: instance.architecture,
    RootDeviceType: 'ebs',
    RootDeviceName: instance.blockDevices[0]?.DeviceName ?? '/dev/xvda',
    BlockDeviceMappings: instance.blockDevices.map(blockDeviceShape),
    VirtualizationType: 'hvm',
    ClientToken: instance.clientToken ?? '',
    Tags: instance.tags.length > 0 ? instance.tags : undefined,
    SecurityGroups: instance.securityGroups,
    SourceDestCheck: true,
    Hypervisor: 'xen',
    EbsOptimized: false,
    EnaSupport: true,
    ...(instance.iamInstanceProfile ? { IamInstanceProfile: instance.iamInstanceProfile } : {}),
    ...(instance.stateReason ? { StateReason: instance.stateReason } : {}),
    MetadataOptions: { State: 'applied', ...instance.metadataOptions },
    CpuOptions: { CoreCount: 1, ThreadsPerCore: 2 },
    HibernationOptions: { Configured: false },
    EnclaveOptions: { Enabled: false },
    PrivateDnsNameOptions: {
      HostnameType: 'ip-name',
      EnableResourceNameDnsARecord: false,
      EnableResourceNameDnsAAAARecord: false,
    },
    MaintenanceOptions: { AutoRecovery: 'default' },
  };
}

export function imageShape(image: Image) {
  return {
    ImageId: image.imageId,
    ImageLocation: image.imageLocation,
    State: image.state,
    OwnerId: image.ownerId,
    CreationDate: new Date(image.creationDate).toISOString(),
    Public: image.public,
    Architecture: image.architecture,
    ImageType: 'machine',
    Name: image.name,
    ...(image.description !== undefined ? { Description: image.description } : {}),
    ...(image.ownerAlias ? { ImageOwnerAlias: image.ownerAlias } : {}),
    ...(image.platform ? { Platform: image.platform } : {}),
    PlatformDetails: image.platformDetails,
    UsageOperation: image.usageOperation,
    RootDeviceType: 'ebs',
    RootDeviceName: image.rootDeviceName,
    BlockDeviceMappings: image.blockDeviceMappings,
    VirtualizationType: image.virtualizationType,
    Hypervisor: 'xen',
    EnaSupport: image.enaSupport,
    SriovNetSupport: 'simple',
    ...(image.bootMode ? { BootMode: image.bootMode } : {}),
    ...(image.imdsSupport ? { ImdsSupport: image.imdsSupport } : {}),
    ...(image.deprecationTime !== undefined
      ? { DeprecationTime: new Date(image.deprecationTime).toISOString() }
      : {}),
    ...(image.stateReason ? { StateReason: image.stateReason } : {}),
    Tags: image.tags.length > 0 ? image.tags : undefined,
  };
}

export function snapshotShape(snapshot: Snapshot) {
  return {
    SnapshotId: snapshot.snapshotId,
    VolumeId: snapshot.volumeId,
    State: snapshot.state,
    StartTime: new Date(snapshot.startTime),
    Progress: snapshot.state === 'completed' ? '100%' : '0%',
    OwnerId: snapshot.ownerId,
    Description: snapshot.description,
    VolumeSize: snapshot.volumeSize,
    Encrypted: snapshot.encrypted,
    ...(snapshot.kmsKeyId ? { KmsKeyId: snapshot.kmsKeyId } : {}),
    StorageTier: 'standard',
    Tags: snapshot.tags.length > 0 ? snapshot.tags : undefined,
  };
}

export function launchTemplateShape(template: LaunchTemplate, accountId: string) {
  return {
    LaunchTemplateId: template.launchTemplateId,
    LaunchTemplateName: template.name,
    CreateTime: new Date(template.createTime),
    CreatedBy: `arn:aws:iam::${accountId}:user/localcloud`,
    DefaultVersionNumber: template.defaultVersion,
    LatestVersionNumber: template.latestVersion,
    Tags: template.tags.length > 0 ? template.tags : undefined,
  };
}

export function launchTemplateVersionShape(
  template: LaunchTemplate,
  version: LaunchTemplateVersion,
  accountId: string,
  data: Record<string, unknown> = version.data,
) {
  return {
    LaunchTemplateId: template.launchTemplateId,
    LaunchTemplateName: template.name,
    VersionNumber: version.versionNumber,
    ...(version.description !== undefined ? { VersionDescription: version.description } : {}),
    CreateTime: new Date(version.createTime),
    CreatedBy: `arn:aws:iam::${accountId}:user/localcloud`,
    DefaultVersion: template.defaultVersion === version.versionNumber,
    LaunchTemplateData: data,
  };
}

export function keyPairShape(k: KeyPair) {
  return {
    KeyPairId: k.keyPairId,
    KeyFingerprint: k.fingerprint,
    KeyName: k.keyName,
    KeyType: k.keyType,
    CreateTime: new Date(k.createTime),
    Tags: k.tags,
  };
}

export function securityGroupShape(g: SecurityGroup, accountId: string) {
  return {
    GroupId: g.groupId,
    GroupName: g.groupName,
    Description: g.description,
    VpcId: g.vpcId,
    OwnerId: accountId,
    IpPermissions: g.ingress,
    IpPermissionsEgress: g.egress,
    Tags: g.tags,
  };
}

export function vpcShape(v: Vpc, accountId: string) {
  return {
    VpcId: v.vpcId,
    CidrBlock: v.cidrBlock,
    State: 'available',
    IsDefault: v.isDefault,
    OwnerId: accountId,
    InstanceTenancy: 'default',
    DhcpOptionsId: 'dopt-00000000',
    CidrBlockAssociationSet: [
      {
        AssociationId: `${v.vpcId}-cidr-assoc`,
        CidrBlock: v.cidrBlock,
        CidrBlockState: { State: 'associated' },
      },
    ],
    Tags: v.tags,
  };
}

export function subnetShape(s: Subnet, region: string, accountId: string) {
  return {
    SubnetId: s.subnetId,
    SubnetArn: `arn:aws:ec2:${region}:${accountId}:subnet/${s.subnetId}`,
    VpcId: s.vpcId,
    AvailabilityZone: s.availabilityZone,
    AvailabilityZoneId: s.availabilityZoneId,
    CidrBlock: s.cidrBlock,
    State: 'available',
    DefaultForAz: s.defaultForAz,
    MapPublicIpOnLaunch: false,
    AvailableIpAddressCount: 16_000,
    OwnerId: accountId,
    Tags: s.tags,
  };
}

export function volumeShape(v: Volume) {
  return {
    VolumeId: v.volumeId,
    Size: v.size,
    ...(v.snapshotId ? { SnapshotId: v.snapshotId } : {}),
    AvailabilityZone: v.availabilityZone,
    State: v.state,
    CreateTime: new Date(v.createTime),
    Attachments: v.attachment
      ? [
          {
            ...v.attachment,
            AttachTime: new Date(v.attachment.AttachTime),
            State: 'attached',
            VolumeId: v.volumeId,
          },
        ]
      : [],
    VolumeType: v.volumeType,
    Encrypted: v.encrypted,
    Iops: v.iops ?? 3000,
    ...(v.throughput !== undefined ? { Throughput: v.throughput } : {}),
    Tags: v.tags,
  };
}
