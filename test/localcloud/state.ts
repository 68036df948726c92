import { createHash } from 'node:crypto';
import { Clock, Ticker } from './clock.js';
import { resolveDurations, type Durations, type DurationsInput } from './durations.js';
import { Rng } from './rng.js';

/**
 * The simulated account: one World holding per-region state. EC2 and SSM state live here as
 * plain data; services owned by other modules keep theirs through RegionState.serviceState().
 */

export const DEFAULT_ACCOUNT_ID = '000000000000';
export const AMAZON_OWNER_ID = '137112412989';
export const MICROSOFT_OWNER_ID = '801119661308';

export interface Tag {
  Key: string;
  Value: string;
}

export type InstanceStateName =
  'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

export const INSTANCE_STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/** What the instance's user data does once it runs (see userdata.ts for the directives). */
export interface ScriptPlan {
  /** The script ends by shutting the machine down. */
  shutdown: boolean;
  /** `# localcloud: hang` — never finishes. */
  hang: boolean;
  /** `# localcloud: terminate` — the instance dies early. */
  terminate: boolean;
  /** `# localcloud: exit <n>` — the script fails with this code (and so never reaches its shutdown). */
  exitCode: number;
  /** `# localcloud: console <text>` lines, printed when the script runs. */
  consoleLines: string[];
  /** `# localcloud: provision-ms <n>` overrides the provisioning duration. */
  provisionMs?: number;
  /** `# localcloud: image-fail <reason>` — images created from this instance end `failed`. */
  imageFailReason?: string;
  /** `# localcloud: sysprep-fail <code>` — a later EC2Launch sysprep on this instance exits with this code. */
  sysprepFailCode?: number;
  /** What the script itself writes to the console (Linux `echo` to /dev/console, Windows `Write-Console`). */
  consoleWrites?: ConsoleWrite[];
  /** An error trap shuts the machine down, so a failing script still stops it. */
  shutdownOnFailure?: boolean;
}

/** A console write and when it happens: before any failure, only on success, or in the error trap. */
export interface ConsoleWrite {
  text: string;
  when: 'always' | 'success' | 'failure';
}

export interface BlockDevice {
  DeviceName: string;
  VolumeId: string;
  DeleteOnTermination: boolean;
  AttachTime: number;
}

export interface Instance {
  instanceId: string;
  /** A Spot instance's request (aws/ec2-spot.ts); absent for On-Demand. */
  spotInstanceRequestId?: string;
  imageId: string;
  instanceType: string;
  state: InstanceStateName;
  stateReason?: { Code: string; Message: string };
  stateTransitionReason: string;
  launchTime: number;
  /** When the current transitional state (pending, stopping, …) or the running script completes. */
  nextAt?: number;
  /** Set while the user data script is running (first boot only, as cloud-init/EC2Launch do). */
  scriptEndsAt?: number;
  /** When the script ended (its last console lines were written), clock ms. */
  scriptEndedAt?: number;
  scriptDone: boolean;
  /** Set by a Run Command script's `sysprep-fail`: sysprep on this instance exits with this code. */
  sysprepFails?: number;
  /** When it reached `running` last; health-check delays count from here. */
  runningSince?: number;
  terminatedAt?: number;
  region: string;
  availabilityZone: string;
  subnetId: string;
  vpcId: string;
  privateIp: string;
  privateDnsName: string;
  keyName?: string;
  securityGroups: { GroupId: string; GroupName: string }[];
  tags: Tag[];
  /** Base64 as RunInstances received it. */
  userData?: string;
  script: ScriptPlan;
  metadataOptions: {
    HttpTokens: string;
    HttpEndpoint: string;
    HttpPutResponseHopLimit: number;
    InstanceMetadataTags: string;
    HttpProtocolIpv6: string;
  };
  blockDevices: BlockDevice[];
  iamInstanceProfile?: { Arn: string; Id: string };
  launchTemplate?: { LaunchTemplateId: string; LaunchTemplateName: string; Version: string };
  shutdownBehavior: 'stop' | 'terminate';
  platform?: 'windows';
  architecture: string;
  console: string[];
  /** What GetConsoleOutput returns without Latest: the console as of its last post. */
  postedConsole?: string[];
  consolePostedAt?: number;
  /** A post is due at this time, for the transition into `consolePostFor`. */
  consolePostAt?: number;
  consolePostFor?: string;
  clientToken?: string;
  monitoring: boolean;
  amiLaunchIndex: number;
  reservationId: string;
  /** False when its image carries `localcloud:health=unhealthy`. */
  healthy: boolean;
  /** What the instance's /version endpoint serves (image tag `localcloud:version` or `Version`). */
  version?: string;
}

export type ImageState =
  'pending' | 'available' | 'failed' | 'deregistered' | 'invalid' | 'error' | 'disabled';

export interface ImageBlockDevice {
  DeviceName: string;
  Ebs?: {
    SnapshotId?: string;
    VolumeSize?: number;
    VolumeType?: string;
    DeleteOnTermination?: boolean;
    Encrypted?: boolean;
    KmsKeyId?: string;
    Iops?: number;
    Throughput?: number;
  };
  VirtualName?: string;
  NoDevice?: string;
}

export interface Image {
  imageId: string;
  name: string;
  description?: string;
  ownerId: string;
  ownerAlias?: string;
  state: ImageState;
  stateReason?: { Code: string; Message: string };
  creationDate: number;
  nextAt?: number;
  /** Why it will fail when its pending time is up, if it will. */
  failReason?: string;
  architecture: string;
  platform?: 'windows';
  platformDetails: string;
  usageOperation: string;
  rootDeviceName: string;
  virtualizationType: string;
  enaSupport: boolean;
  bootMode?: string;
  imdsSupport?: string;
  blockDeviceMappings: ImageBlockDevice[];
  tags: Tag[];
  public: boolean;
  launchPermissionUserIds: Set<string>;
  /** Launch permission by organization ARN and by OU ARN (ModifyImageAttribute LaunchPermission). */
  launchPermissionOrganizationArns?: Set<string>;
  launchPermissionOrganizationalUnitArns?: Set<string>;
  sourceInstanceId?: string;
  sourceImageId?: string;
  sourceRegion?: string;
  imageLocation: string;
  deprecationTime?: number;
  /** Deregistration protection (see aws/ec2-image-lifecycle.ts): on, and whether with a cooldown. */
  deregistrationProtection?: { cooldown: boolean };
  /** After protection with cooldown was turned off: DeregisterImage is refused until then. */
  protectedUntil?: number;
}

export interface Snapshot {
  snapshotId: string;
  volumeId: string;
  volumeSize: number;
  state: 'pending' | 'completed' | 'error';
  startTime: number;
  nextAt?: number;
  ownerId: string;
  description: string;
  tags: Tag[];
  encrypted: boolean;
  /** ARN of the KMS key an encrypted snapshot is encrypted with (see aws/accounts.ts). */
  kmsKeyId?: string;
  /** Accounts granted createVolumePermission (ModifySnapshotAttribute). */
  createVolumeUserIds?: Set<string>;
  /** createVolumePermission for group all (public snapshots, such as those of Amazon's AMIs). */
  createVolumePublic?: boolean;
}

export interface Volume {
  volumeId: string;
  size: number;
  volumeType: string;
  /** Provisioned IOPS (gp3, io1, io2) and throughput in MiB/s (gp3). */
  iops?: number;
  throughput?: number;
  availabilityZone: string;
  state: 'creating' | 'available' | 'in-use' | 'deleting' | 'deleted';
  snapshotId?: string;
  createTime: number;
  encrypted: boolean;
  kmsKeyId?: string;
  attachment?: { InstanceId: string; Device: string; AttachTime: number; DeleteOnTermination: boolean };
  tags: Tag[];
}

export interface LaunchTemplateVersion {
  versionNumber: number;
  description?: string;
  /** CreateLaunchTemplateVersion's idempotency token and the request it came with. */
  clientToken?: { token: string; request: string };
  createTime: number;
  /** RequestLaunchTemplateData as given (SDK member names); resolved again at launch time. */
  data: Record<string, unknown>;
}

export interface LaunchTemplate {
  launchTemplateId: string;
  name: string;
  createTime: number;
  defaultVersion: number;
  latestVersion: number;
  /** Highest number ever handed out: numbers of deleted versions are not reused. */
  highestVersion?: number;
  versions: Map<number, LaunchTemplateVersion>;
  tags: Tag[];
}

export interface KeyPair {
  keyName: string;
  keyPairId: string;
  fingerprint: string;
  keyType: string;
  createTime: number;
  tags: Tag[];
}

export interface IpPermission {
  IpProtocol?: string;
  FromPort?: number;
  ToPort?: number;
  IpRanges?: { CidrIp?: string; Description?: string }[];
  Ipv6Ranges?: { CidrIpv6?: string; Description?: string }[];
  UserIdGroupPairs?: { GroupId?: string; UserId?: string; Description?: string }[];
  PrefixListIds?: { PrefixListId?: string }[];
}

export interface SecurityGroup {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  ingress: IpPermission[];
  egress: IpPermission[];
  tags: Tag[];
}

export interface Vpc {
  vpcId: string;
  cidrBlock: string;
  isDefault: boolean;
  tags: Tag[];
}

export interface Subnet {
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  availabilityZoneId: string;
  cidrBlock: string;
  defaultForAz: boolean;
  tags: Tag[];
}

export interface Ec2State {
  instances: Map<string, Instance>;
  images: Map<string, Image>;
  snapshots: Map<string, Snapshot>;
  volumes: Map<string, Volume>;
  launchTemplates: Map<string, LaunchTemplate>;
  keyPairs: Map<string, KeyPair>;
  securityGroups: Map<string, SecurityGroup>;
  vpcs: Map<string, Vpc>;
  subnets: Map<string, Subnet>;
}

export interface ParameterVersion {
  version: number;
  value: string;
  lastModifiedDate: number;
  labels: string[];
  description?: string;
  allowedPattern?: string;
  tier: string;
  policies: string[];
  lastModifiedUser: string;
}

export interface Parameter {
  name: string;
  type: 'String' | 'StringList' | 'SecureString';
  dataType: string;
  keyId?: string;
  /** Accepted versions, oldest first (at most 100). */
  versions: ParameterVersion[];
  /** Highest version number handed out, including versions later rejected by validation. */
  lastVersionNumber: number;
  tags: Tag[];
}

/** A PutParameter waiting for SSM's asynchronous aws:ec2:image check. */
export interface PendingParameterVersion {
  name: string;
  type: Parameter['type'];
  dataType: string;
  keyId?: string;
  version: ParameterVersion;
  tags: Tag[];
  checkAt: number;
}

export type CommandStatus = 'Pending' | 'InProgress' | 'Success' | 'Cancelled' | 'Failed' | 'TimedOut';

export interface CommandInvocation {
  commandId: string;
  instanceId: string;
  instanceName: string;
  status: CommandStatus;
  statusDetails: string;
  requestedAt: number;
  startedAt?: number;
  endsAt?: number;
  finishedAt?: number;
  responseCode: number;
  stdout: string;
  stderr: string;
  /** The script exited 3010 (194 on Linux) once: the agent rebooted the instance and runs it again. */
  rebooted?: boolean;
}

export interface Command {
  commandId: string;
  documentName: string;
  comment?: string;
  parameters: Record<string, string[]>;
  instanceIds: string[];
  targets: { Key: string; Values: string[] }[];
  requestedAt: number;
  timeoutSeconds: number;
  invocations: Map<string, CommandInvocation>;
}

export interface SsmState {
  parameters: Map<string, Parameter>;
  pending: PendingParameterVersion[];
  commands: Map<string, Command>;
}

export class RegionState {
  readonly ec2: Ec2State = {
    instances: new Map(),
    images: new Map(),
    snapshots: new Map(),
    volumes: new Map(),
    launchTemplates: new Map(),
    keyPairs: new Map(),
    securityGroups: new Map(),
    vpcs: new Map(),
    subnets: new Map(),
  };
  readonly ssm: SsmState = { parameters: new Map(), pending: [], commands: new Map() };
  private readonly services = new Map<string, unknown>();

  constructor(
    readonly name: string,
    readonly world: World,
  ) {}

  /** State owned by another module (Auto Scaling, ELBv2), created on first use and dropped on reset. */
  serviceState<T>(key: string, create: () => T): T {
    if (!this.services.has(key)) this.services.set(key, create());
    return this.services.get(key) as T;
  }
}

export interface WorldOptions {
  accountId?: string;
  seed?: number;
  durations?: DurationsInput;
  tickMs?: number;
}

/** Seeds a new region with base images, networking and public parameters (set by index.ts). */
export type RegionSeeder = (region: RegionState) => void;

/**
 * EC2 behaviours with more than one faithful reading (FIDELITY.md, "EC2 console"): which guest
 * software writes the console, and what GetConsoleOutput Latest=true answers.
 */
export interface Ec2Readings {
  /** cloud-init's wording: current upstream (Ubuntu LTS), 22.2 (Amazon Linux 2023) or 19.3 (Amazon Linux 2). */
  cloudInit: 'current' | '22.2' | '19.3';
  /** Latest=true: the serial console as it is now, or (the docs leave it open) the buffered post. */
  latestConsole: 'live' | 'buffered';
}

export class World {
  readonly accountId: string;
  readonly clock = new Clock();
  readonly ec2Readings: Ec2Readings = { cloudInit: 'current', latestConsole: 'live' };
  readonly ticker: Ticker;
  durations: Durations;
  rng: Rng;
  readonly seed: number;
  private regionMap = new Map<string, RegionState>();
  private readonly seeders: RegionSeeder[] = [];
  private ipCounter = 0;
  private readonly usedIps = new Set<string>();

  constructor(options: WorldOptions = {}) {
    this.accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
    this.seed = options.seed ?? 1;
    this.rng = new Rng(this.seed);
    this.durations = resolveDurations(options.durations);
    this.ticker = new Ticker(this.clock, options.tickMs ?? 50);
  }

  addSeeder(seeder: RegionSeeder): void {
    this.seeders.push(seeder);
  }

  /** Region state, created (and seeded) on first use. */
  region(name: string): RegionState {
    let state = this.regionMap.get(name);
    if (!state) {
      state = new RegionState(name, this);
      this.regionMap.set(name, state);
      for (const seed of this.seeders) seed(state);
    }
    return state;
  }

  regions(): RegionState[] {
    return [...this.regionMap.values()];
  }

  /** Forgets every region and restarts ids from the seed; durations stay as configured. */
  reset(): void {
    this.regionMap = new Map();
    this.rng = new Rng(this.seed);
    this.ipCounter = 0;
    this.usedIps.clear();
  }

  /** `prefix-` plus 17 hex digits, as EC2 ids look. */
  newId(prefix: string, length = 17): string {
    return `${prefix}-${this.rng.hex(length)}`;
  }

  /** Next free private address in 127.10.0.0/16: traffic to instances must stay on loopback. */
  allocatePrivateIp(): string {
    for (let i = 0; i < 65_536; i++) {
      const n = this.ipCounter++ % 65_536;
      const ip = `127.10.${n >> 8}.${n & 255}`;
      // Like AWS, skip the network/broadcast-looking ends of each /24.
      if ((n & 255) < 4 || (n & 255) === 255 || this.usedIps.has(ip)) continue;
      this.usedIps.add(ip);
      return ip;
    }
    throw new Error('localcloud: 127.10.0.0/16 is exhausted');
  }

  releasePrivateIp(ip: string): void {
    this.usedIps.delete(ip);
  }
}

/** Stable ids for seeded resources, so docs and tests can name the base images. */
export function stableId(prefix: string, ...parts: string[]): string {
  return `${prefix}-${createHash('sha256').update(parts.join('/')).digest('hex').slice(0, 17)}`;
}

export function privateDnsName(ip: string, region: string): string {
  const host = `ip-${ip.replaceAll('.', '-')}`;
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}

export function tagValue(tags: readonly Tag[], key: string): string | undefined {
  return tags.find((t) => t.Key === key)?.Value;
}

/** Applies tags as CreateTags does: a key that exists gets the new value. */
export function upsertTags(target: Tag[], tags: readonly { Key?: string; Value?: string }[]): void {
  for (const tag of tags) {
    if (tag.Key === undefined) continue;
    const existing = target.find((t) => t.Key === tag.Key);
    if (existing) existing.Value = tag.Value ?? '';
    else target.push({ Key: tag.Key, Value: tag.Value ?? '' });
  }
}
