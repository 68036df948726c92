// EC2 in localcloud through the AWS SDK v3: images, the instance lifecycle driven by user data,
// DescribeInstances semantics, imaging, copies and permissions, launch templates, tags, health.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  CopyImageCommand,
  CreateImageCommand,
  CreateKeyPairCommand,
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteSecurityGroupCommand,
  DeleteLaunchTemplateVersionsCommand,
  DeleteSnapshotCommand,
  DeleteTagsCommand,
  DeregisterImageCommand,
  DescribeAvailabilityZonesCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSnapshotsCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DescribeVolumesCommand,
  EC2Client,
  GetConsoleOutputCommand,
  ModifyImageAttributeCommand,
  ModifyLaunchTemplateCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  waitUntilImageAvailable,
  waitUntilInstanceRunning,
  waitUntilInstanceStopped,
  type Instance,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { start, type Localcloud } from './index.js';
import { baseImageId } from './seed.js';
import { seedImage } from './seed.js';
import { b64, clientConfig, errorOf, QUICK_BAKE_DURATIONS, until } from './test-support.js';

// A bound for slow shared CI machines, not a performance assertion (bench/ measures speed).
jest.setTimeout(30_000);

const REGION = 'us-east-1';
const AL2023 = 'al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64';
const WAIT = { minDelay: 1, maxDelay: 1, maxWaitTime: 30 };

let lc: Localcloud;
let ec2: EC2Client;
let baseAmi: string;

beforeAll(async () => {
  lc = await start({
    durations: { ...QUICK_BAKE_DURATIONS, imageAvailable: 200, imageCopy: 200, ssmValidation: 50 },
  });
  ec2 = new EC2Client(clientConfig(lc, REGION));
  baseAmi = baseImageId(REGION, AL2023);
});

afterAll(async () => {
  ec2.destroy();
  await lc.stop();
});

async function run(input: Partial<RunInstancesCommandInput> = {}): Promise<Instance> {
  const out = await ec2.send(
    new RunInstancesCommand({
      ImageId: baseAmi,
      InstanceType: 't3.micro',
      MinCount: 1,
      MaxCount: 1,
      ...input,
    }),
  );
  return out.Instances![0]!;
}

async function describe1(id: string): Promise<Instance> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return out.Reservations![0]!.Instances![0]!;
}

async function stateOf(id: string): Promise<string | undefined> {
  return (await describe1(id)).State?.Name;
}

async function consoleOf(id: string): Promise<string> {
  const out = await ec2.send(new GetConsoleOutputCommand({ InstanceId: id }));
  return Buffer.from(out.Output ?? '', 'base64').toString('utf8');
}

describe('images', () => {
  it('finds the public base images by owner and name wildcard, with their snapshots', async () => {
    const out = await ec2.send(
      new DescribeImagesCommand({
        Owners: ['amazon'],
        Filters: [{ Name: 'name', Values: ['al2023-ami-*-kernel-6.1-x86_64'] }],
      }),
    );
    const names = out.Images!.map((i) => i.Name).sort();
    expect(names).toEqual([
      'al2023-ami-2023.6.20241111.0-kernel-6.1-x86_64',
      'al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64',
    ]);
    const newest = out.Images!.sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''))[0]!;
    expect(newest.ImageId).toBe(baseAmi);
    expect(newest.State).toBe('available');
    expect(newest.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId).toMatch(/^snap-/);

    const windows = await ec2.send(
      new DescribeImagesCommand({
        Filters: [
          { Name: 'platform', Values: ['windows'] },
          { Name: 'name', Values: ['Windows_Server-2022-*'] },
        ],
      }),
    );
    expect(windows.Images).toHaveLength(1);
    expect(windows.Images![0]!.Platform).toBe('windows');
  });

  it('pages DescribeImages with MaxResults and NextToken', async () => {
    const first = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], MaxResults: 3 }));
    const rest = await ec2.send(
      new DescribeImagesCommand({ Owners: ['amazon'], MaxResults: 3, NextToken: first.NextToken }),
    );
    expect([first.Images!.length, rest.Images!.length, rest.NextToken]).toEqual([3, 1, undefined]);
  });

  it('answers unknown and malformed image ids with the EC2 error codes', async () => {
    expect(await errorOf(ec2.send(new DescribeImagesCommand({ ImageIds: ['ami-0123456789abcdef0'] })))).toBe(
      'InvalidAMIID.NotFound',
    );
    expect(await errorOf(ec2.send(new DescribeImagesCommand({ ImageIds: ['not-an-ami'] })))).toBe(
      'InvalidAMIID.Malformed',
    );
  });

  it('filters images by tag', async () => {
    const image = seedImage(lc.world.region(REGION), {
      name: 'tagged-image',
      tags: [{ Key: 'Team', Value: 'platform' }],
    });
    const out = await ec2.send(
      new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:Team', Values: ['plat*'] }] }),
    );
    expect(out.Images!.map((i) => i.ImageId)).toEqual([image.imageId]);
  });
});

describe('instance lifecycle', () => {
  it('runs user data that shuts the machine down: pending → running → stopped, with what was asked for', async () => {
    const script =
      '#!/bin/bash\n# localcloud: console provisioning step one\nyum -y update\nshutdown -h now\n';
    const launched = await run({
      UserData: b64(script),
      TagSpecifications: [
        { ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'builder' }] },
        { ResourceType: 'volume', Tags: [{ Key: 'Owner', Value: 'bake' }] },
      ],
      MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2 },
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 20, VolumeType: 'gp3' } }],
    });
    expect(launched.State?.Name).toBe('pending');
    // Loopback only: tests must never send traffic to a real private network.
    expect(launched.PrivateIpAddress).toMatch(/^127\.10\.\d+\.\d+$/);

    // SDK's InstanceStopped waiter fails on `pending`, as against AWS: poll instead while it boots.
    await until('the shutdown', async () =>
      (await stateOf(launched.InstanceId!)) === 'stopped' ? true : undefined,
    );
    const stopped = await describe1(launched.InstanceId!);
    expect(stopped.StateReason?.Code).toBe('Client.InstanceInitiatedShutdown');
    expect(stopped.Tags).toEqual([{ Key: 'Name', Value: 'builder' }]);
    expect(stopped.MetadataOptions?.HttpTokens).toBe('required');
    expect(stopped.MetadataOptions?.HttpPutResponseHopLimit).toBe(2);
    const volumes = await ec2.send(
      new DescribeVolumesCommand({
        Filters: [{ Name: 'attachment.instance-id', Values: [launched.InstanceId!] }],
      }),
    );
    expect(volumes.Volumes?.map((v) => [v.Size, v.Tags])).toEqual([[20, [{ Key: 'Owner', Value: 'bake' }]]]);
    // The buffered console is posted shortly after the stop, not at once.
    const output = await until('the console post after the stop', async () => {
      const text = await consoleOf(launched.InstanceId!);
      return text.includes('finished') ? text : undefined;
    });
    expect(output).toContain('provisioning step one');
    // The current cloud-init's wording (ec2 readings: cloudInit 'current', the default).
    expect(output).toContain('Cloud-init v. 25.1.4-0ubuntu0~24.04.1 finished');
  });

  it('scripts failures with directives: a failing script, a hang and an early termination', async () => {
    const failing = await run({ UserData: b64('#!/bin/bash\n# localcloud: exit 3\nshutdown -h now\n') });
    const hanging = await run({ UserData: b64('#!/bin/bash\n# localcloud: hang\nshutdown -h now\n') });
    const dying = await run({ UserData: b64('#!/bin/bash\n# localcloud: terminate\n') });
    await until('the early termination', async () =>
      (await stateOf(dying.InstanceId!)) === 'terminated' ? true : undefined,
    );
    expect((await describe1(dying.InstanceId!)).StateReason?.Code).toBe('Server.InternalError');
    await until('the failing script to finish', async () =>
      (await consoleOf(failing.InstanceId!)).includes('Failed to run module scripts_user') ? true : undefined,
    );
    // Neither reached its shutdown.
    expect(await stateOf(failing.InstanceId!)).toBe('running');
    expect(await stateOf(hanging.InstanceId!)).toBe('running');
    expect(await consoleOf(hanging.InstanceId!)).not.toContain('finished');
  });

  it('refuses user data with an unknown directive, launching nothing', async () => {
    const before = lc.world.region(REGION).ec2.instances.size;
    expect(await errorOf(run({ UserData: b64('# localcloud: explode\n') }))).toBe('InvalidParameterValue');
    expect(lc.world.region(REGION).ec2.instances.size).toBe(before);
  });

  it('stops, starts and terminates on request; terminated instances stay visible', async () => {
    const { InstanceId: id } = await run();
    await waitUntilInstanceRunning({ client: ec2, ...WAIT }, { InstanceIds: [id!] });
    const stopping = await ec2.send(new StopInstancesCommand({ InstanceIds: [id!] }));
    expect(stopping.StoppingInstances?.[0]?.CurrentState?.Name).toBe('stopping');
    await waitUntilInstanceStopped({ client: ec2, ...WAIT }, { InstanceIds: [id!] });
    await ec2.send(new StartInstancesCommand({ InstanceIds: [id!] }));
    await waitUntilInstanceRunning({ client: ec2, ...WAIT }, { InstanceIds: [id!] });
    const terminating = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id!] }));
    expect(terminating.TerminatingInstances?.[0]?.PreviousState?.Name).toBe('running');
    await until('termination', async () => ((await stateOf(id!)) === 'terminated' ? true : undefined));
    expect(await errorOf(ec2.send(new StartInstancesCommand({ InstanceIds: [id!] })))).toBe(
      'IncorrectInstanceState',
    );
  });
});

describe('DescribeInstances', () => {
  let ids: string[];
  beforeAll(async () => {
    const out = await ec2.send(
      new RunInstancesCommand({
        ImageId: baseAmi,
        MinCount: 7,
        MaxCount: 7,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Fleet', Value: 'paging' }] }],
      }),
    );
    ids = out.Instances!.map((i) => i.InstanceId!);
  });

  it('fails the whole call when one id is unknown, while the instance-id filter returns what exists', async () => {
    const ghost = 'i-0123456789abcdef0';
    expect(await errorOf(ec2.send(new DescribeInstancesCommand({ InstanceIds: [ids[0]!, ghost] })))).toBe(
      'InvalidInstanceID.NotFound',
    );
    const out = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: [ids[0]!, ghost] }] }),
    );
    expect(out.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId))).toEqual([ids[0]]);
  });

  it('pages with MaxResults, refuses MaxResults with ids, and caps filter values at 200', async () => {
    const filters = [{ Name: 'tag:Fleet', Values: ['paging'] }];
    const first = await ec2.send(new DescribeInstancesCommand({ Filters: filters, MaxResults: 5 }));
    const second = await ec2.send(
      new DescribeInstancesCommand({ Filters: filters, MaxResults: 5, NextToken: first.NextToken }),
    );
    const seen = [first, second].flatMap((page) =>
      page.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId)),
    );
    expect(seen.sort()).toEqual([...ids].sort());
    expect(second.NextToken).toBeUndefined();
    expect(await errorOf(ec2.send(new DescribeInstancesCommand({ InstanceIds: ids, MaxResults: 5 })))).toBe(
      'InvalidParameterCombination',
    );
    const many = Array.from({ length: 201 }, (_, i) => `i-${i.toString(16).padStart(17, '0')}`);
    expect(
      await errorOf(
        ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: many }] })),
      ),
    ).toBe('FilterLimitExceeded');
  });

  it('filters by state', async () => {
    await until('the fleet to be running', async () => {
      const out = await ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: 'tag:Fleet', Values: ['paging'] },
            { Name: 'instance-state-name', Values: ['running'] },
          ],
        }),
      );
      return out.Reservations!.flatMap((r) => r.Instances!).length === 7 ? true : undefined;
    });
  });
});

describe('imaging', () => {
  async function stoppedBuilder(extraScript = ''): Promise<string> {
    const { InstanceId } = await run({ UserData: b64(`#!/bin/bash\n${extraScript}\npoweroff\n`) });
    await until('the shutdown', async () => ((await stateOf(InstanceId!)) === 'stopped' ? true : undefined));
    return InstanceId!;
  }

  it('CreateImage makes a pending AMI that turns available, tags on image and snapshot, unique names', async () => {
    const builder = await stoppedBuilder();
    const { ImageId } = await ec2.send(
      new CreateImageCommand({
        InstanceId: builder,
        Name: 'golden-1.0.0',
        TagSpecifications: [
          { ResourceType: 'image', Tags: [{ Key: 'Version', Value: '1.0.0' }] },
          { ResourceType: 'snapshot', Tags: [{ Key: 'Version', Value: '1.0.0' }] },
        ],
      }),
    );
    const pending = await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }));
    expect(pending.Images![0]!.State).toBe('pending');
    await waitUntilImageAvailable({ client: ec2, ...WAIT }, { ImageIds: [ImageId!] });
    const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0]!;
    expect(image.Tags).toEqual([{ Key: 'Version', Value: '1.0.0' }]);
    const snapshotId = image.BlockDeviceMappings![0]!.Ebs!.SnapshotId!;
    const snapshot = (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] })))
      .Snapshots![0]!;
    expect([snapshot.State, snapshot.Tags]).toEqual(['completed', [{ Key: 'Version', Value: '1.0.0' }]]);
    expect(
      await errorOf(ec2.send(new CreateImageCommand({ InstanceId: builder, Name: 'golden-1.0.0' }))),
    ).toBe('InvalidAMIName.Duplicate');
  });

  it('an image of an instance scripted to fail imaging ends failed, and the waiter gives up at once', async () => {
    const builder = await stoppedBuilder('# localcloud: image-fail disk full');
    const { ImageId } = await ec2.send(new CreateImageCommand({ InstanceId: builder, Name: 'doomed' }));
    await expect(
      waitUntilImageAvailable({ client: ec2, ...WAIT }, { ImageIds: [ImageId!] }),
    ).rejects.toThrow();
    const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0]!;
    expect(image.State).toBe('failed');
    expect(image.StateReason?.Message).toBe('disk full');
  });

  it('copies an image to another region, shares it, and deregisters it', async () => {
    const source = seedImage(lc.world.region(REGION), {
      name: 'to-copy',
      tags: [{ Key: 'Version', Value: '2.0.0' }],
      baked: false,
    });
    const west = new EC2Client(clientConfig(lc, 'eu-west-1'));
    const { ImageId } = await west.send(
      new CopyImageCommand({
        SourceImageId: source.imageId,
        SourceRegion: REGION,
        Name: 'copied',
        CopyImageTags: true,
        TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'Copy', Value: 'west' }] }],
      }),
    );
    await waitUntilImageAvailable({ client: west, ...WAIT }, { ImageIds: [ImageId!] });
    const copy = (await west.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0]!;
    expect(copy.Tags).toEqual([
      { Key: 'Version', Value: '2.0.0' },
      { Key: 'Copy', Value: 'west' },
    ]);
    expect(await errorOf(ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] })))).toBe(
      'InvalidAMIID.NotFound',
    );

    await west.send(
      new ModifyImageAttributeCommand({
        ImageId,
        LaunchPermission: { Add: [{ UserId: '111122223333' }, { Group: 'all' }] },
      }),
    );
    const shared = await west.send(
      new DescribeImageAttributeCommand({ ImageId, Attribute: 'launchPermission' }),
    );
    expect(shared.LaunchPermissions).toEqual([{ Group: 'all' }, { UserId: '111122223333' }]);
    await west.send(
      new ModifyImageAttributeCommand({ ImageId, LaunchPermission: { Remove: [{ Group: 'all' }] } }),
    );
    const unshared = await west.send(
      new DescribeImageAttributeCommand({ ImageId, Attribute: 'launchPermission' }),
    );
    expect(unshared.LaunchPermissions).toEqual([{ UserId: '111122223333' }]);

    const snapshotId = copy.BlockDeviceMappings![0]!.Ebs!.SnapshotId!;
    expect(await errorOf(west.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })))).toBe(
      'InvalidSnapshot.InUse',
    );
    await west.send(new DeregisterImageCommand({ ImageId }));
    expect(await errorOf(west.send(new DescribeImagesCommand({ ImageIds: [ImageId!] })))).toBe(
      'InvalidAMIID.NotFound',
    );
    await west.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    expect(await errorOf(west.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] })))).toBe(
      'InvalidSnapshot.NotFound',
    );
    // AWS's own images are not yours to deregister.
    expect(await errorOf(ec2.send(new DeregisterImageCommand({ ImageId: baseAmi })))).toBe('AuthFailure');
    west.destroy();
  });
});

describe('launch templates', () => {
  it('keeps numbered versions, inherits from a source version, and resolves $Latest, $Default and resolve:ssm', async () => {
    const ssm = new SSMClient(clientConfig(lc, REGION));
    const other = seedImage(lc.world.region(REGION), { name: 'lt-v2-image' });
    const created = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'web',
        LaunchTemplateData: { ImageId: baseAmi, InstanceType: 't3.small' },
      }),
    );
    const id = created.LaunchTemplate!.LaunchTemplateId!;
    expect(
      await errorOf(
        ec2.send(
          new CreateLaunchTemplateCommand({
            LaunchTemplateName: 'web',
            LaunchTemplateData: { ImageId: baseAmi },
          }),
        ),
      ),
    ).toBe('InvalidLaunchTemplateName.AlreadyExistsException');

    const v2 = await ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: id,
        SourceVersion: '1',
        LaunchTemplateData: { ImageId: other.imageId },
      }),
    );
    expect(v2.LaunchTemplateVersion?.VersionNumber).toBe(2);
    expect(v2.LaunchTemplateVersion?.LaunchTemplateData?.InstanceType).toBe('t3.small');

    await ssm.send(
      new PutParameterCommand({ Name: '/golden/web/ami', Value: other.imageId, Type: 'String' }),
    );
    await ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: id,
        LaunchTemplateData: { ImageId: 'resolve:ssm:/golden/web/ami' },
      }),
    );
    await ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: id, DefaultVersion: '2' }));
    const versions = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: ['$Latest', '$Default'] }),
    );
    expect(versions.LaunchTemplateVersions!.map((v) => [v.VersionNumber, v.DefaultVersion])).toEqual([
      [3, false],
      [2, true],
    ]);

    const byDefault = await run({
      ImageId: undefined,
      InstanceType: undefined,
      LaunchTemplate: { LaunchTemplateId: id },
    });
    expect([byDefault.ImageId, byDefault.InstanceType]).toEqual([other.imageId, 't3.small']);
    const viaSsm = await run({
      ImageId: undefined,
      InstanceType: undefined,
      LaunchTemplate: { LaunchTemplateName: 'web', Version: '$Latest' },
    });
    expect(viaSsm.ImageId).toBe(other.imageId);
    expect(viaSsm.Tags).toEqual(
      expect.arrayContaining([{ Key: 'aws:ec2launchtemplate:version', Value: '3' }]),
    );
    expect(
      await errorOf(run({ ImageId: undefined, LaunchTemplate: { LaunchTemplateId: id, Version: '9' } })),
    ).toBe('InvalidLaunchTemplateId.VersionNotFound');
    ssm.destroy();
  });
});

describe('launch template versions: idempotency and deletion', () => {
  it('returns the same version for a retried ClientToken, refuses it with other parameters, and deletes versions', async () => {
    const { LaunchTemplate } = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'idem',
        LaunchTemplateData: { ImageId: baseAmi },
      }),
    );
    const id = LaunchTemplate!.LaunchTemplateId!;
    const create = (imageId: string) =>
      ec2.send(
        new CreateLaunchTemplateVersionCommand({
          LaunchTemplateId: id,
          ClientToken: 'token-1',
          LaunchTemplateData: { ImageId: imageId },
        }),
      );
    const first = await create(baseAmi);
    const retry = await create(baseAmi);
    expect([first.LaunchTemplateVersion?.VersionNumber, retry.LaunchTemplateVersion?.VersionNumber]).toEqual([
      2, 2,
    ]);
    const other = seedImage(lc.world.region(REGION), { name: 'idem-other' }).imageId;
    expect(await errorOf(create(other))).toBe('IdempotentParameterMismatch');

    const deleted = await ec2.send(
      new DeleteLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: ['2', '1', '7'] }),
    );
    expect(deleted.SuccessfullyDeletedLaunchTemplateVersions?.map((v) => v.VersionNumber)).toEqual([2]);
    expect(
      deleted.UnsuccessfullyDeletedLaunchTemplateVersions?.map((v) => [
        v.VersionNumber,
        v.ResponseError?.Code,
      ]),
    ).toEqual([
      [1, 'launchTemplateVersionIsDefaultVersion'],
      [7, 'launchTemplateVersionDoesNotExist'],
    ]);
    // Deleted numbers are not handed out again.
    const next = await ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: id,
        LaunchTemplateData: { ImageId: baseAmi },
      }),
    );
    expect(next.LaunchTemplateVersion?.VersionNumber).toBe(3);
  });
});

describe('tags', () => {
  it('creates, describes and deletes tags on instances and images', async () => {
    const { InstanceId } = await run();
    const image = seedImage(lc.world.region(REGION), { name: 'tag-target' });
    await ec2.send(
      new CreateTagsCommand({
        Resources: [InstanceId!, image.imageId],
        Tags: [
          { Key: 'Stage', Value: 'qa' },
          { Key: 'Keep', Value: 'yes' },
        ],
      }),
    );
    const tagged = await ec2.send(
      new DescribeTagsCommand({
        Filters: [
          { Name: 'key', Values: ['Stage'] },
          { Name: 'resource-id', Values: [InstanceId!, image.imageId] },
        ],
      }),
    );
    expect(tagged.Tags!.map((t) => [t.ResourceType, t.Value]).sort()).toEqual([
      ['image', 'qa'],
      ['instance', 'qa'],
    ]);
    // A value given to DeleteTags must match.
    await ec2.send(
      new DeleteTagsCommand({
        Resources: [InstanceId!],
        Tags: [{ Key: 'Stage', Value: 'prod' }, { Key: 'Keep' }],
      }),
    );
    expect((await describe1(InstanceId!)).Tags).toEqual([{ Key: 'Stage', Value: 'qa' }]);
    expect(
      await errorOf(
        ec2.send(new CreateTagsCommand({ Resources: [InstanceId!], Tags: [{ Key: 'aws:x', Value: '1' }] })),
      ),
    ).toBe('InvalidParameterValue');
    expect(
      await errorOf(
        ec2.send(
          new CreateTagsCommand({ Resources: ['i-0123456789abcdef0'], Tags: [{ Key: 'a', Value: 'b' }] }),
        ),
      ),
    ).toBe('InvalidInstanceID.NotFound');
  });
});

describe('health and the things Packer looks up', () => {
  it('instances from an image tagged localcloud:health=unhealthy fail their status checks', async () => {
    const bad = seedImage(lc.world.region(REGION), { name: 'bad-build', health: 'unhealthy' });
    const sick = await run({ ImageId: bad.imageId });
    const well = await run();
    const statuses = await until('both status checks to settle', async () => {
      const out = await ec2.send(
        new DescribeInstanceStatusCommand({ InstanceIds: [sick.InstanceId!, well.InstanceId!] }),
      );
      const byId = new Map(out.InstanceStatuses!.map((s) => [s.InstanceId, s.InstanceStatus?.Status]));
      const pair = [byId.get(sick.InstanceId), byId.get(well.InstanceId)];
      return pair.every((s) => s === 'ok' || s === 'impaired') ? pair : undefined;
    });
    expect(statuses).toEqual(['impaired', 'ok']);
  });

  it('serves key pairs, security groups, zones and default subnets', async () => {
    const key = await ec2.send(new CreateKeyPairCommand({ KeyName: 'temp' }));
    expect(key.KeyMaterial).toContain('BEGIN RSA PRIVATE KEY');
    expect(await errorOf(ec2.send(new CreateKeyPairCommand({ KeyName: 'temp' })))).toBe(
      'InvalidKeyPair.Duplicate',
    );
    const zones = await ec2.send(new DescribeAvailabilityZonesCommand({}));
    expect(zones.AvailabilityZones!.map((z) => z.ZoneName)).toEqual([
      'us-east-1a',
      'us-east-1b',
      'us-east-1c',
    ]);
    const subnets = await ec2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }),
    );
    expect(subnets.Subnets!.every((s) => s.CidrBlock?.startsWith('127.10.'))).toBe(true);

    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: 'builder', Description: 'temp' }),
    );
    const user = await run({ SecurityGroupIds: [GroupId!] });
    expect(await errorOf(ec2.send(new DeleteSecurityGroupCommand({ GroupId })))).toBe('DependencyViolation');
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [user.InstanceId!] }));
    await until('termination', async () =>
      (await stateOf(user.InstanceId!)) === 'terminated' ? true : undefined,
    );
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId }));
  });
});
