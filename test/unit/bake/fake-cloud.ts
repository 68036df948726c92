// A small stateful EC2 + SSM behind aws-sdk-client-mock, so bake tests assert on what exists
// afterwards (images, tags, instances, snapshots) rather than on calls. Instances and images
// move one step per poll: no clock, no sleeping.
import {
  CopyImageCommand,
  CreateImageCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotAttributeCommand,
  DescribeSnapshotsCommand,
  DescribeSubnetsCommand,
  EC2Client,
  GetConsoleOutputCommand,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type CopyImageCommandInput,
  type Filter,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  GetParameterCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import type { AwsClients } from '../../../src/aws/clients.js';
import { memoryLog } from '../../../src/core/log.js';
import type { ActionContext } from '../../../src/core/context.js';
import { fakeClock } from '../../support/fake-clock.js';

export const REGION = 'us-east-1';

export function awsError(name: string, status = 400, message = name): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: `req-${name}` },
  });
}

export interface FakeImage {
  id: string;
  region: string;
  name: string;
  state: 'pending' | 'available' | 'failed';
  owner: 'self' | 'amazon';
  platform?: string;
  created: string;
  tags: Record<string, string>;
  snapshots: string[];
  launchPermissions: string[];
  description?: string;
  /** Polls left before pending becomes available (or failed). */
  pollsLeft: number;
  failReason?: string;
  deregistered?: boolean;
}

export interface FakeInstance {
  id: string;
  region: string;
  state: string;
  tags: Record<string, string>;
  request?: RunInstancesCommandInput;
  userData: string;
  console: string[];
  /** Polls left in the current transition. */
  pollsLeft: number;
  stateReason?: string;
}

export interface FakeCommand {
  id: string;
  instanceId: string;
  document: string;
  script: string;
  pollsLeft: number;
}

/** How builders behave; tests change it before a bake. */
export interface Behaviour {
  provisionPolls: number;
  /** Lines the provisioning prints to the console. */
  console: string[];
  /** The builder terminates itself while provisioning. */
  terminate: boolean;
  /** The builder never stops. */
  hang: boolean;
  /** Images of this bake end failed with this reason. */
  imageFail?: string;
  imagePolls: number;
  /** Exit code of a provision script containing the key. */
  scriptExit: Record<string, number>;
  agentPolls: number;
}

export class FakeCloud {
  images = new Map<string, FakeImage>();
  instances = new Map<string, FakeInstance>();
  snapshots = new Map<
    string,
    {
      id: string;
      region: string;
      tags: Record<string, string>;
      description: string;
      deleted?: boolean;
      createVolumeUserIds?: string[];
    }
  >();
  parameters = new Map<string, string>();
  commands = new Map<string, FakeCommand>();
  subnets = new Set<string>(['subnet-0123456789abcdef0']);
  securityGroups = new Set<string>(['sg-0123456789abcdef0']);
  behaviour: Behaviour = {
    provisionPolls: 2,
    console: [],
    terminate: false,
    hang: false,
    imagePolls: 1,
    scriptExit: {},
    agentPolls: 1,
  };
  /** Every mutating call, in order: what a test checks when nothing may change. */
  mutations: string[] = [];
  private seq = 0;
  readonly ec2Clients = new Map<string, EC2Client>();
  readonly ssmClient = new SSMClient({
    region: REGION,
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  readonly stubs: AwsClientStub<EC2Client>[] = [];
  readonly ssmStub: AwsClientStub<SSMClient>;

  constructor(regions = [REGION, 'eu-west-1', 'ap-southeast-2']) {
    for (const region of regions) {
      const client = new EC2Client({ region, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
      this.ec2Clients.set(region, client);
      this.stubs.push(this.wireEc2(mockClient(client), region));
    }
    this.ssmStub = this.wireSsm(mockClient(this.ssmClient));
  }

  id(prefix: string): string {
    this.seq += 1;
    return `${prefix}-${this.seq.toString(16).padStart(17, '0')}`;
  }

  addImage(partial: Partial<FakeImage> & { name: string }): FakeImage {
    const image: FakeImage = {
      id: this.id('ami'),
      region: REGION,
      state: 'available',
      owner: 'amazon',
      created: '2024-01-01T00:00:00.000Z',
      tags: {},
      snapshots: [],
      launchPermissions: [],
      pollsLeft: 0,
      ...partial,
    };
    this.images.set(image.id, image);
    return image;
  }

  liveImages(): FakeImage[] {
    return [...this.images.values()].filter((i) => !i.deregistered);
  }

  liveInstances(): FakeInstance[] {
    return [...this.instances.values()].filter(
      (i) => i.state !== 'terminated' && i.state !== 'shutting-down',
    );
  }

  clients(): AwsClients {
    const ec2 = (r?: string) => {
      const c = this.ec2Clients.get(r ?? REGION);
      if (!c) throw new Error(`no fake EC2 for ${r}`);
      return c;
    };
    return {
      defaultRegion: REGION,
      ec2,
      ssm: () => this.ssmClient,
      autoScaling: () => {
        throw new Error('not used by bake');
      },
      elbv2: () => {
        throw new Error('not used by bake');
      },
      sts: () => {
        throw new Error('not used by bake');
      },
      destroy: () => undefined,
    };
  }

  restore(): void {
    for (const s of this.stubs) s.restore();
    this.ssmStub.restore();
  }

  private mutate(op: string): void {
    this.mutations.push(op);
  }

  private step(i: FakeInstance): void {
    if (i.pollsLeft > 0) {
      i.pollsLeft -= 1;
      return;
    }
    const b = this.behaviour;
    switch (i.state) {
      case 'pending':
        i.state = 'running';
        i.pollsLeft = b.provisionPolls;
        i.console.push('cloud-init: running user data', ...b.console);
        break;
      case 'running':
        if (b.terminate) {
          i.state = 'terminated';
          i.stateReason = 'Client.InternalError: the instance terminated';
        } else if (!b.hang && /shutdown|sysprep/.test(i.userData)) {
          i.state = 'stopping';
        }
        break;
      case 'stopping':
        i.state = 'stopped';
        break;
      case 'shutting-down':
        i.state = 'terminated';
        break;
    }
  }

  private stepImage(image: FakeImage): void {
    if (image.state !== 'pending') return;
    if (image.pollsLeft > 0) {
      image.pollsLeft -= 1;
      return;
    }
    if (image.failReason) image.state = 'failed';
    else image.state = 'available';
  }

  private wireEc2(stub: AwsClientStub<EC2Client>, region: string): AwsClientStub<EC2Client> {
    const inRegion = <T extends { region: string }>(xs: Iterable<T>) =>
      [...xs].filter((x) => x.region === region);
    stub
      .on(DescribeImagesCommand)
      .callsFake(async (input: { ImageIds?: string[]; Owners?: string[]; Filters?: Filter[] }) => {
        let images = inRegion(this.liveImages());
        if (input.ImageIds) {
          const missing = input.ImageIds.filter((id) => !images.some((i) => i.id === id));
          if (missing.length)
            throw awsError(
              'InvalidAMIID.NotFound',
              400,
              `The image id '[${missing.join(', ')}]' does not exist`,
            );
          images = images.filter((i) => input.ImageIds!.includes(i.id));
        }
        if (input.Owners) images = images.filter((i) => input.Owners!.includes(i.owner));
        images = images.filter((i) => matches(input.Filters, { ...i, 'image-id': i.id }, i.tags));
        images.forEach((i) => this.stepImage(i));
        return {
          Images: images.map((i) => ({
            ImageId: i.id,
            Name: i.name,
            State: i.state,
            CreationDate: i.created,
            Description: i.description,
            Platform: i.platform as 'Windows' | undefined,
            RootDeviceName: '/dev/xvda',
            Tags: Object.entries(i.tags).map(([Key, Value]) => ({ Key, Value })),
            BlockDeviceMappings: i.snapshots.map((SnapshotId) => ({
              DeviceName: '/dev/xvda',
              Ebs: { SnapshotId },
            })),
            StateReason:
              i.failReason && i.state === 'failed'
                ? { Code: 'Client.ImageFailed', Message: i.failReason }
                : undefined,
          })),
        };
      });
    stub
      .on(DescribeInstancesCommand)
      .callsFake(async (input: { InstanceIds?: string[]; Filters?: Filter[] }) => {
        let instances = inRegion(this.instances.values());
        if (input.InstanceIds) {
          const missing = input.InstanceIds.filter((id) => !instances.some((i) => i.id === id));
          if (missing.length) throw awsError('InvalidInstanceID.NotFound');
          instances = instances.filter((i) => input.InstanceIds!.includes(i.id));
          instances.forEach((i) => this.step(i));
        }
        instances = instances.filter((i) =>
          matches(input.Filters, { 'instance-id': i.id, 'instance-state-name': i.state }, i.tags),
        );
        return {
          Reservations: instances.length
            ? [
                {
                  Instances: instances.map((i) => ({
                    InstanceId: i.id,
                    State: { Name: i.state as 'running' },
                    StateReason: i.stateReason ? { Message: i.stateReason } : undefined,
                    Tags: Object.entries(i.tags).map(([Key, Value]) => ({ Key, Value })),
                  })),
                },
              ]
            : [],
        };
      });
    stub.on(RunInstancesCommand).callsFake(async (input: RunInstancesCommandInput) => {
      this.mutate('RunInstances');
      const tags = Object.fromEntries(
        (input.TagSpecifications?.find((t) => t.ResourceType === 'instance')?.Tags ?? []).map((t) => [
          t.Key!,
          t.Value!,
        ]),
      );
      const i: FakeInstance = {
        id: this.id('i'),
        region,
        state: 'pending',
        tags,
        request: input,
        userData: input.UserData ? Buffer.from(input.UserData, 'base64').toString('utf8') : '',
        console: ['Linux version 6.1'],
        pollsLeft: 0,
      };
      this.instances.set(i.id, i);
      return { Instances: [{ InstanceId: i.id, State: { Name: 'pending' } }] };
    });
    stub.on(GetConsoleOutputCommand).callsFake(async (input: { InstanceId: string }) => {
      const i = this.instances.get(input.InstanceId);
      if (!i) throw awsError('InvalidInstanceID.NotFound');
      return { InstanceId: i.id, Output: Buffer.from(i.console.join('\n')).toString('base64') };
    });
    stub.on(StopInstancesCommand).callsFake(async (input: { InstanceIds: string[] }) => {
      this.mutate('StopInstances');
      for (const id of input.InstanceIds) {
        const i = this.instances.get(id);
        if (i?.state === 'running') i.state = 'stopping';
      }
      return {};
    });
    stub.on(TerminateInstancesCommand).callsFake(async (input: { InstanceIds: string[] }) => {
      this.mutate('TerminateInstances');
      for (const id of input.InstanceIds) {
        const i = this.instances.get(id);
        if (!i) throw awsError('InvalidInstanceID.NotFound');
        if (i.state !== 'terminated') i.state = 'shutting-down';
      }
      return {};
    });
    stub
      .on(CreateImageCommand)
      .callsFake(
        async (input: {
          InstanceId: string;
          Name: string;
          Description?: string;
          TagSpecifications?: { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[];
        }) => {
          this.mutate('CreateImage');
          if (
            this.liveImages().some((i) => i.region === region && i.owner === 'self' && i.name === input.Name)
          )
            throw awsError(
              'InvalidAMIName.Duplicate',
              400,
              `AMI name ${input.Name} is already in use by AMI`,
            );
          const tagsOf = (type: string) =>
            Object.fromEntries(
              (input.TagSpecifications?.find((t) => t.ResourceType === type)?.Tags ?? []).map((t) => [
                t.Key!,
                t.Value!,
              ]),
            );
          const snap = {
            id: this.id('snap'),
            region,
            tags: tagsOf('snapshot'),
            description: `Created by CreateImage(${input.InstanceId})`,
          };
          this.snapshots.set(snap.id, snap);
          const image = this.addImage({
            name: input.Name,
            region,
            owner: 'self',
            state: 'pending',
            created: new Date(1_700_000_000_000 + this.seq).toISOString(),
            tags: tagsOf('image'),
            snapshots: [snap.id],
            description: input.Description,
            pollsLeft: this.behaviour.imagePolls,
            failReason: this.behaviour.imageFail,
          });
          return { ImageId: image.id };
        },
      );
    stub.on(CopyImageCommand).callsFake(async (input: CopyImageCommandInput) => {
      this.mutate(`CopyImage:${region}`);
      const tagsOf = (type: string) =>
        Object.fromEntries(
          (input.TagSpecifications ?? [])
            .filter((t) => t.ResourceType === type)
            .flatMap((t) => t.Tags ?? [])
            .map((t) => [t.Key ?? '', t.Value ?? '']),
        );
      const source = this.images.get(input.SourceImageId ?? '');
      if (!source || source.region !== input.SourceRegion) throw awsError('InvalidAMIID.NotFound');
      const image = this.addImage({
        name: input.Name ?? '',
        region,
        owner: 'self',
        state: 'pending',
        pollsLeft: this.behaviour.imagePolls,
        tags: tagsOf('image'),
      });
      const snap = {
        id: this.id('snap'),
        region,
        tags: tagsOf('snapshot'),
        description: `Copied for DestinationAmi ${image.id} from SourceAmi ${source.id}`,
      };
      this.snapshots.set(snap.id, snap);
      image.snapshots.push(snap.id);
      return { ImageId: image.id };
    });
    stub
      .on(CreateTagsCommand)
      .callsFake(async (input: { Resources: string[]; Tags: { Key: string; Value: string }[] }) => {
        this.mutate('CreateTags');
        for (const id of input.Resources) {
          const target = this.images.get(id) ?? this.snapshots.get(id) ?? this.instances.get(id);
          if (!target) throw awsError('InvalidID');
          for (const t of input.Tags) target.tags[t.Key] = t.Value;
        }
        return {};
      });
    stub.on(DescribeImageAttributeCommand).callsFake(async (input: { ImageId: string }) => ({
      ImageId: input.ImageId,
      LaunchPermissions: (this.images.get(input.ImageId)?.launchPermissions ?? []).map((UserId) => ({
        UserId,
      })),
    }));
    stub
      .on(ModifyImageAttributeCommand)
      .callsFake(async (input: { ImageId: string; LaunchPermission?: { Add?: { UserId?: string }[] } }) => {
        this.mutate('ModifyImageAttribute');
        const image = this.images.get(input.ImageId);
        if (!image) throw awsError('InvalidAMIID.NotFound');
        for (const p of input.LaunchPermission?.Add ?? [])
          if (p.UserId) image.launchPermissions.push(p.UserId);
        return {};
      });
    stub.on(DescribeSnapshotAttributeCommand).callsFake(async (input: { SnapshotId: string }) => {
      const snapshot = this.snapshots.get(input.SnapshotId);
      if (!snapshot || snapshot.deleted) throw awsError('InvalidSnapshot.NotFound');
      return {
        SnapshotId: snapshot.id,
        CreateVolumePermissions: (snapshot.createVolumeUserIds ?? []).map((UserId) => ({ UserId })),
      };
    });
    stub
      .on(ModifySnapshotAttributeCommand)
      .callsFake(
        async (input: { SnapshotId: string; CreateVolumePermission?: { Add?: { UserId?: string }[] } }) => {
          this.mutate('ModifySnapshotAttribute');
          const snapshot = this.snapshots.get(input.SnapshotId);
          if (!snapshot || snapshot.deleted) throw awsError('InvalidSnapshot.NotFound');
          for (const p of input.CreateVolumePermission?.Add ?? [])
            if (p.UserId) (snapshot.createVolumeUserIds ??= []).push(p.UserId);
          return {};
        },
      );
    stub.on(DeregisterImageCommand).callsFake(async (input: { ImageId: string }) => {
      this.mutate('DeregisterImage');
      const image = this.images.get(input.ImageId);
      if (!image || image.deregistered) throw awsError('InvalidAMIID.NotFound');
      image.deregistered = true;
      return {};
    });
    stub.on(DescribeSnapshotsCommand).callsFake(async (input: { Filters?: Filter[] }) => ({
      Snapshots: inRegion(this.snapshots.values())
        .filter((s) => !s.deleted && matches(input.Filters, { description: s.description }, s.tags))
        .map((s) => ({ SnapshotId: s.id })),
    }));
    stub.on(DeleteSnapshotCommand).callsFake(async (input: { SnapshotId: string }) => {
      this.mutate('DeleteSnapshot');
      const s = this.snapshots.get(input.SnapshotId);
      if (!s || s.deleted) throw awsError('InvalidSnapshot.NotFound');
      s.deleted = true;
      return {};
    });
    stub.on(DescribeSubnetsCommand).callsFake(async (input: { SubnetIds?: string[] }) => {
      if (input.SubnetIds?.some((s) => !this.subnets.has(s))) throw awsError('InvalidSubnetID.NotFound');
      return { Subnets: (input.SubnetIds ?? []).map((SubnetId) => ({ SubnetId })) };
    });
    stub.on(DescribeSecurityGroupsCommand).callsFake(async (input: { GroupIds?: string[] }) => {
      if (input.GroupIds?.some((s) => !this.securityGroups.has(s))) throw awsError('InvalidGroup.NotFound');
      return { SecurityGroups: (input.GroupIds ?? []).map((GroupId) => ({ GroupId })) };
    });
    return stub;
  }

  private wireSsm(stub: AwsClientStub<SSMClient>): AwsClientStub<SSMClient> {
    stub.on(GetParameterCommand).callsFake(async (input: { Name: string }) => {
      const value = this.parameters.get(input.Name);
      if (value === undefined) throw awsError('ParameterNotFound');
      return { Parameter: { Name: input.Name, Value: value } };
    });
    let agentPolls = 0;
    stub
      .on(DescribeInstanceInformationCommand)
      .callsFake(async (input: { Filters?: { Key: string; Values: string[] }[] }) => {
        const id = input.Filters?.[0]?.Values[0] ?? '';
        const i = this.instances.get(id);
        agentPolls += 1;
        const online = i?.state === 'running' && agentPolls > this.behaviour.agentPolls;
        return { InstanceInformationList: i && online ? [{ InstanceId: id, PingStatus: 'Online' }] : [] };
      });
    stub
      .on(SendCommandCommand)
      .callsFake(
        async (input: {
          InstanceIds: string[];
          DocumentName: string;
          Parameters: Record<string, string[]>;
        }) => {
          this.mutate(`SendCommand:${input.DocumentName}`);
          const instanceId = input.InstanceIds[0]!;
          const script = input.Parameters.commands?.[0] ?? '';
          const c: FakeCommand = {
            id: this.id('cmd'),
            instanceId,
            document: input.DocumentName,
            script,
            pollsLeft: 1,
          };
          this.commands.set(c.id, c);
          // Sysprep --shutdown (or a shutdown line) powers the builder off.
          const i = this.instances.get(instanceId);
          if (i && /sysprep[^\n]*--shutdown|shutdown -h/.test(script)) i.state = 'stopping';
          return { Command: { CommandId: c.id } };
        },
      );
    stub.on(GetCommandInvocationCommand).callsFake(async (input: { CommandId: string }) => {
      const c = this.commands.get(input.CommandId);
      if (!c) throw awsError('InvocationDoesNotExist');
      if (c.pollsLeft > 0) {
        c.pollsLeft -= 1;
        return { Status: 'InProgress', StandardOutputContent: 'starting\n' };
      }
      const failing = Object.entries(this.behaviour.scriptExit).find(([key]) => c.script.includes(key));
      const code = failing?.[1] ?? 0;
      return {
        Status: code === 0 ? 'Success' : 'Failed',
        ResponseCode: code,
        StandardOutputContent: `starting\nran ${c.script.split('\n')[0]}\n`,
        StandardErrorContent: code === 0 ? '' : 'E: package not found',
      };
    });
    return stub;
  }
}

function wildcard(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(value);
}

/** EC2 filters: every filter must match; any value of a filter may match (with * and ? wildcards). */
function matches(
  filters: Filter[] | undefined,
  fields: Record<string, unknown>,
  tags: Record<string, string>,
): boolean {
  return (filters ?? []).every((f) => {
    const name = f.Name ?? '';
    const values = f.Values ?? [];
    if (name === 'tag-key') return values.some((v) => v in tags);
    const actual = name.startsWith('tag:') ? tags[name.slice(4)] : fields[name];
    return typeof actual === 'string' && values.some((v) => wildcard(v, actual));
  });
}

export function context(
  cloud: FakeCloud,
  signal = new AbortController().signal,
): ActionContext & { log: ReturnType<typeof memoryLog>; clock: ReturnType<typeof fakeClock> } {
  return { clients: cloud.clients(), clock: fakeClock(1_700_000_000_000), log: memoryLog(), signal };
}
