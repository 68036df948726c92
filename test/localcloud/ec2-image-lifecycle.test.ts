// EC2 image lifecycle in localcloud through the AWS SDK v3: DescribeImageReferences, DisableImage /
// EnableImage, image deprecation and deregistration protection (with its 24-hour cooldown).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CopyImageCommand,
  CreateLaunchTemplateCommand,
  DescribeSnapshotsCommand,
  CreateLaunchTemplateVersionCommand,
  DeregisterImageCommand,
  DescribeImageReferencesCommand,
  DescribeImagesCommand,
  DisableImageCommand,
  DisableImageDeregistrationProtectionCommand,
  EC2Client,
  EnableImageCommand,
  EnableImageDeprecationCommand,
  EnableImageDeregistrationProtectionCommand,
  ModifyImageAttributeCommand,
  DescribeImageAttributeCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { start, type Localcloud } from './index.js';
import { seedImage } from './seed.js';
import { clientConfig, until } from './test-support.js';

let lc: Localcloud;
let ec2: EC2Client;
let ssm: SSMClient;

beforeAll(async () => {
  lc = await start({ port: 0, durations: { ssmValidation: 20 } });
  ec2 = new EC2Client(clientConfig(lc));
  ssm = new SSMClient(clientConfig(lc));
});
afterAll(async () => {
  ec2.destroy();
  ssm.destroy();
  await lc.stop();
});

const ami = (name: string) => seedImage(lc.world.region('us-east-1'), { name }).imageId;
const launch = async (imageId: string) =>
  (
    await ec2.send(
      new RunInstancesCommand({ ImageId: imageId, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }),
    )
  ).Instances![0]!.InstanceId!;
const refs = async (
  ids: string[],
  resourceTypes: NonNullable<
    ConstructorParameters<typeof DescribeImageReferencesCommand>[0]['ResourceTypes']
  >,
) =>
  (
    (await ec2.send(new DescribeImageReferencesCommand({ ImageIds: ids, ResourceTypes: resourceTypes })))
      .ImageReferences ?? []
  ).map((r) => `${r.ImageId} ${r.ResourceType} ${r.Arn!.split(':').pop()}`);

describe('DescribeImageReferences', () => {
  it('accepts at most 10 image ids per call', async () => {
    const ids = Array.from({ length: 11 }, (_, i) => ami(`refs-limit-${i}`));
    await expect(
      ec2.send(
        new DescribeImageReferencesCommand({
          ImageIds: ids,
          ResourceTypes: [{ ResourceType: 'ec2:Instance' }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    expect(await refs(ids.slice(0, 10), [{ ResourceType: 'ec2:Instance' }])).toEqual([]);
  });

  it('finds instances in every state by default, and only the states named by state-name', async () => {
    const a = ami('refs-instances');
    const live = await launch(a);
    const gone = await launch(a);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [gone] }));
    await until('terminated', () =>
      lc.world.region('us-east-1').ec2.instances.get(gone)?.state === 'terminated' ? true : undefined,
    );
    expect((await refs([a], [{ ResourceType: 'ec2:Instance' }])).sort()).toEqual(
      [`${a} ec2:Instance instance/${live}`, `${a} ec2:Instance instance/${gone}`].sort(),
    );
    expect(
      await refs(
        [a],
        [
          {
            ResourceType: 'ec2:Instance',
            ResourceTypeOptions: [
              { OptionName: 'state-name', OptionValues: ['pending', 'running', 'stopped'] },
            ],
          },
        ],
      ),
    ).toEqual([`${a} ec2:Instance instance/${live}`]);
  });

  it('checks only the newest version-depth versions of each launch template', async () => {
    const old = ami('refs-lt-old');
    const current = ami('refs-lt-new');
    const t = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'refs-lt',
        LaunchTemplateData: { ImageId: old },
      }),
    );
    const id = t.LaunchTemplate!.LaunchTemplateId!;
    await ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: id,
        LaunchTemplateData: { ImageId: current },
      }),
    );
    const depth = (n: string) => [
      {
        ResourceType: 'ec2:LaunchTemplate' as const,
        ResourceTypeOptions: [{ OptionName: 'version-depth' as const, OptionValues: [n] }],
      },
    ];
    expect(await refs([old, current], depth('1'))).toEqual([
      `${current} ec2:LaunchTemplate launch-template/${id}`,
    ]);
    expect((await refs([old, current], depth('10'))).sort()).toEqual(
      [
        `${old} ec2:LaunchTemplate launch-template/${id}`,
        `${current} ec2:LaunchTemplate launch-template/${id}`,
      ].sort(),
    );
  });

  it('finds SSM parameters whose current value is the image', async () => {
    const a = ami('refs-ssm-a');
    const b = ami('refs-ssm-b');
    await ssm.send(new PutParameterCommand({ Name: '/refs/web', Value: a, Type: 'String' }));
    await ssm.send(new PutParameterCommand({ Name: '/refs/web', Value: b, Type: 'String', Overwrite: true }));
    expect(await refs([a, b], [{ ResourceType: 'ssm:Parameter' }])).toEqual([
      `${b} ssm:Parameter parameter/refs/web`,
    ]);
  });
});

describe('DisableImage / EnableImage', () => {
  it('a disabled AMI loses its launch permissions, is hidden from DescribeImages by default, and cannot launch; EnableImage brings it back', async () => {
    const a = ami('lifecycle-disable');
    await ec2.send(
      new ModifyImageAttributeCommand({
        ImageId: a,
        LaunchPermission: { Add: [{ UserId: '111122223333' }] },
      }),
    );
    await ec2.send(new DisableImageCommand({ ImageId: a }));
    const listed = async (include: boolean) =>
      (
        (await ec2.send(new DescribeImagesCommand({ Owners: ['self'], IncludeDisabled: include }))).Images ??
        []
      ).find((i) => i.ImageId === a)?.State;
    expect(await listed(false)).toBeUndefined();
    expect(await listed(true)).toBe('disabled');
    await expect(launch(a)).rejects.toMatchObject({ name: 'InvalidAMIID.Unavailable' });
    await ec2.send(new EnableImageCommand({ ImageId: a }));
    expect(await listed(false)).toBe('available');
    const perms = await ec2.send(
      new DescribeImageAttributeCommand({ ImageId: a, Attribute: 'launchPermission' }),
    );
    expect(perms.LaunchPermissions).toEqual([]);
    expect(await launch(a)).toMatch(/^i-/);
  });

  it('deprecation cannot be set in the past', async () => {
    const a = ami('lifecycle-deprecate');
    await expect(
      ec2.send(
        new EnableImageDeprecationCommand({ ImageId: a, DeprecateAt: new Date(Date.now() - 3600_000) }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await ec2.send(
      new EnableImageDeprecationCommand({
        ImageId: a,
        DeprecateAt: new Date(lc.world.clock.now() + 120_000),
      }),
    );
    const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [a] }))).Images![0]!;
    expect(image.DeprecationTime).toBeDefined();
  });
});

describe('deregistration protection', () => {
  it('DeregisterImage is refused while protection is on', async () => {
    const a = ami('protect-on');
    await ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId: a }));
    await expect(ec2.send(new DeregisterImageCommand({ ImageId: a }))).rejects.toMatchObject({
      name: 'OperationNotPermitted',
    });
    await ec2.send(new DisableImageDeregistrationProtectionCommand({ ImageId: a }));
    await ec2.send(new DeregisterImageCommand({ ImageId: a }));
  });

  it('with the cooldown, DeregisterImage stays refused for 24 hours after protection is disabled', async () => {
    const a = ami('protect-cooldown');
    await ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId: a, WithCooldown: true }));
    expect(
      (await ec2.send(new DescribeImagesCommand({ ImageIds: [a] }))).Images![0]!.DeregistrationProtection,
    ).toBe('enabled-with-cooldown');
    await ec2.send(new DisableImageDeregistrationProtectionCommand({ ImageId: a }));
    expect(
      (await ec2.send(new DescribeImagesCommand({ ImageIds: [a] }))).Images![0]!.DeregistrationProtection,
    ).toMatch(/^disabled-until /);
    await expect(ec2.send(new DeregisterImageCommand({ ImageId: a }))).rejects.toMatchObject({
      name: 'OperationNotPermitted',
    });
    lc.control.advanceClock(24 * 3600_000 + 1000);
    await ec2.send(new DeregisterImageCommand({ ImageId: a }));
  });
});

describe('CopyImage', () => {
  it('tags the new snapshots with the snapshot tag specification', async () => {
    const a = ami('copy-tags');
    const out = await ec2.send(
      new CopyImageCommand({
        SourceImageId: a,
        SourceRegion: 'us-east-1',
        Name: 'copy-tags-copy',
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'golden-ami:bake-id', Value: 'b1' }] }],
      }),
    );
    const copy = lc.world.region('us-east-1').ec2.images.get(out.ImageId!)!;
    const snap = await ec2.send(
      new DescribeSnapshotsCommand({ SnapshotIds: [copy.blockDeviceMappings[0]!.Ebs!.SnapshotId!] }),
    );
    expect(snap.Snapshots![0]!.Tags).toEqual([{ Key: 'golden-ami:bake-id', Value: 'b1' }]);
  });
});

describe('DescribeImageReferences under IAM', () => {
  it('needs the read actions of each resource type it searches', async () => {
    const a = ami('refs-iam');
    const allow = (actions: string[]) => ({
      policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] },
    });
    const ask = () =>
      ec2.send(
        new DescribeImageReferencesCommand({
          ImageIds: [a],
          ResourceTypes: [{ ResourceType: 'ec2:Instance' }],
        }),
      );
    lc.control.call('POST /iam', allow(['ec2:DescribeImageReferences']));
    try {
      await expect(ask()).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
      lc.control.call('POST /iam', allow(['ec2:DescribeImageReferences', 'ec2:DescribeInstances']));
      await expect(ask()).resolves.toBeDefined();
    } finally {
      lc.control.call('POST /iam', { policy: null });
    }
  });
});
