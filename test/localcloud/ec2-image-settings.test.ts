// Image settings in localcloud through the AWS SDK v3: launch permission by organization and OU ARN
// (ModifyImageAttribute structured and flat, DescribeImageAttribute, a malformed ARN refused, a copy
// unshared), ImdsSupport v2.0 (one way), and a root volume's type, IOPS and throughput kept by the image.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CopyImageCommand,
  CreateImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  EC2Client,
  ModifyImageAttributeCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { start, type Localcloud } from './index.js';
import { seedImage } from './seed.js';
import { clientConfig, until } from './test-support.js';

let lc: Localcloud;
let ec2: EC2Client;

beforeAll(async () => {
  lc = await start({ port: 0 });
  ec2 = new EC2Client(clientConfig(lc));
});
afterAll(async () => {
  ec2.destroy();
  await lc.stop();
});

const ORG = 'arn:aws:organizations::123456789012:organization/o-abcd123456';
const OU = 'arn:aws:organizations::123456789012:ou/o-abcd123456/ou-ab12-cdef3456';
const permissions = async (client: EC2Client, ImageId: string) =>
  (await client.send(new DescribeImageAttributeCommand({ ImageId, Attribute: 'launchPermission' })))
    .LaunchPermissions ?? [];

describe('launch permission by organization and OU', () => {
  it('ModifyImageAttribute adds an organization and an OU; DescribeImageAttribute lists both', async () => {
    const { imageId } = seedImage(lc.world.region('us-east-1'), { name: 'org-shared' });
    await ec2.send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        LaunchPermission: { Add: [{ OrganizationArn: ORG }, { OrganizationalUnitArn: OU }] },
      }),
    );
    expect(await permissions(ec2, imageId)).toEqual([
      { OrganizationArn: ORG },
      { OrganizationalUnitArn: OU },
    ]);
    // The flat form removes as the structured one does.
    await ec2.send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        Attribute: 'launchPermission',
        OperationType: 'remove',
        OrganizationalUnitArns: [OU],
      }),
    );
    expect(await permissions(ec2, imageId)).toEqual([{ OrganizationArn: ORG }]);
  });

  it('a malformed organization ARN is refused; a copy starts unshared', async () => {
    const { imageId } = seedImage(lc.world.region('us-east-1'), { name: 'org-copied' });
    await expect(
      ec2.send(
        new ModifyImageAttributeCommand({
          ImageId: imageId,
          LaunchPermission: { Add: [{ OrganizationArn: 'o-abcd123456' }] },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await ec2.send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        LaunchPermission: { Add: [{ OrganizationArn: ORG }] },
      }),
    );
    const west = new EC2Client(clientConfig(lc, 'eu-west-1'));
    const copy = await west.send(
      new CopyImageCommand({ SourceImageId: imageId, SourceRegion: 'us-east-1', Name: 'org-copied' }),
    );
    expect(await permissions(west, copy.ImageId!)).toEqual([]);
    west.destroy();
  });
});

describe('IMDS support and root volume performance', () => {
  it('ImdsSupport v2.0 is set once and for all; another value is refused', async () => {
    const { imageId } = seedImage(lc.world.region('us-east-1'), { name: 'imds' });
    await expect(
      ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, ImdsSupport: { Value: 'v1.0' } })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, ImdsSupport: { Value: 'v2.0' } }));
    const out = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    expect(out.Images![0]!.ImdsSupport).toBe('v2.0');
    const launched = await ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 }));
    expect(launched.Instances![0]!.MetadataOptions?.HttpTokens).toBe('required');
  });

  it('RunInstances takes gp3 IOPS and throughput, refuses them where EBS does; CreateImage keeps them', async () => {
    const { imageId } = seedImage(lc.world.region('us-east-1'), { name: 'volumes' });
    const launch = (Ebs: Record<string, unknown>) =>
      ec2.send(
        new RunInstancesCommand({
          ImageId: imageId,
          MinCount: 1,
          MaxCount: 1,
          BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs }],
        }),
      );
    await expect(launch({ VolumeType: 'gp2', Iops: 4000 })).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
    });
    await expect(launch({ VolumeType: 'io1' })).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
    });
    await expect(launch({ VolumeType: 'io2', Iops: 4000, Throughput: 500 })).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
    });
    await expect(launch({ VolumeType: 'gp3', Iops: 20_000 })).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    const ok = await launch({ VolumeType: 'gp3', Iops: 4000, Throughput: 250 });
    const instanceId = ok.Instances![0]!.InstanceId!;
    const region = lc.world.region('us-east-1');
    await until('running', () =>
      region.ec2.instances.get(instanceId)?.state === 'running' ? true : undefined,
    );
    const image = await ec2.send(
      new CreateImageCommand({ InstanceId: instanceId, Name: 'volumes-image', NoReboot: true }),
    );
    const out = await ec2.send(new DescribeImagesCommand({ ImageIds: [image.ImageId!] }));
    expect(out.Images![0]!.BlockDeviceMappings![0]!.Ebs).toMatchObject({
      VolumeType: 'gp3',
      Iops: 4000,
      Throughput: 250,
    });
  });
});
