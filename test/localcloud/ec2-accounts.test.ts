// localcloud's KMS keys and second account: encrypted snapshots record their key, and an AMI
// shared with another account launches there only on a customer-managed key, copies only with
// its snapshots' createVolumePermission.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CopyImageCommand,
  CreateImageCommand,
  DescribeImagesCommand,
  DescribeSnapshotAttributeCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
  RunInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { SECOND_ACCOUNT } from './aws/accounts.js';
import { start, type Localcloud } from './index.js';
import { clientConfig, until } from './test-support.js';

let lc: Localcloud;
let ec2: EC2Client;
let other: EC2Client;
const REGION = 'us-east-1';

beforeAll(async () => {
  lc = await start({ port: 0 });
  ec2 = new EC2Client(clientConfig(lc));
  other = new EC2Client({
    ...clientConfig(lc),
    credentials: { accessKeyId: SECOND_ACCOUNT.accessKeyId, secretAccessKey: 'localcloud' },
  });
});
afterAll(async () => {
  await lc.stop();
});

const baseImage = () =>
  [...lc.world.region(REGION).ec2.images.values()].find((i) => i.name.startsWith('al2023'))!.imageId;

/** An available AMI of this account whose root snapshot is encrypted with `kmsKeyId` (default: aws/ebs). */
async function encryptedImage(name: string, kmsKeyId?: string): Promise<string> {
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: baseImage(),
      InstanceType: 't3.micro',
      MinCount: 1,
      MaxCount: 1,
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, KmsKeyId: kmsKeyId } }],
    }),
  );
  const instanceId = run.Instances![0]!.InstanceId!;
  const region = lc.world.region(REGION);
  await until('running', () =>
    region.ec2.instances.get(instanceId)?.state === 'running' ? true : undefined,
  );
  await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
  await until('stopped', () =>
    region.ec2.instances.get(instanceId)?.state === 'stopped' ? true : undefined,
  );
  const { ImageId } = await ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: name }));
  await until('available', () => (region.ec2.images.get(ImageId!)?.state === 'available' ? true : undefined));
  return ImageId!;
}

const snapshotOf = (imageId: string) =>
  lc.world.region(REGION).ec2.images.get(imageId)!.blockDeviceMappings[0]!.Ebs!.SnapshotId!;
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => ({ name: (e as Error).name, message: (e as Error).message }),
  );
const launchByOther = (ImageId: string) =>
  other.send(new RunInstancesCommand({ ImageId, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }));

describe('localcloud KMS keys and a second account', () => {
  it('STS names the second account for its access key', async () => {
    const sts = new STSClient({
      ...clientConfig(lc),
      credentials: { accessKeyId: SECOND_ACCOUNT.accessKeyId, secretAccessKey: 'localcloud' },
    });
    expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe('210987654321');
  });

  it("encrypted snapshots record their key: the region's aws/ebs key by default, a customer key when given", async () => {
    const keys = lc.control.call('GET /kms/keys', { region: REGION }) as { arn: string; aliases: string[] }[];
    const managed = keys.find((k) => k.aliases.includes('alias/aws/ebs'))!;
    const customer = lc.control.createKmsKey(REGION, 'golden');
    const onManaged = await encryptedImage('kms-managed');
    const onCustomer = await encryptedImage('kms-customer', 'alias/golden');
    const shown = await ec2.send(
      new DescribeSnapshotsCommand({ SnapshotIds: [snapshotOf(onManaged), snapshotOf(onCustomer)] }),
    );
    expect(shown.Snapshots!.map((s) => [s.Encrypted, s.KmsKeyId])).toEqual([
      [true, managed.arn],
      [true, customer.arn],
    ]);
  });

  it('launching an AMI not shared with the second account fails as "does not exist"', async () => {
    const imageId = await encryptedImage('kms-private', lc.control.createKmsKey(REGION).arn);
    expect(await errorOf(launchByOther(imageId))).toEqual({
      name: 'InvalidAMIID.NotFound',
      message: `The image id '[${imageId}]' does not exist`,
    });
  });

  it("a share on the AWS managed key fails to launch in the second account, and its snapshot can't be shared", async () => {
    const imageId = await encryptedImage('kms-shared-managed');
    await ec2.send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        LaunchPermission: { Add: [{ UserId: SECOND_ACCOUNT.accountId }] },
      }),
    );
    const err = await errorOf(launchByOther(imageId));
    expect(err?.name).toBe('UnauthorizedOperation');
    expect(err?.message).toMatch(/AWS managed key aws\/ebs of account 000000000000/);
    expect(
      await errorOf(
        ec2.send(
          new ModifySnapshotAttributeCommand({
            SnapshotId: snapshotOf(imageId),
            Attribute: 'createVolumePermission',
            CreateVolumePermission: { Add: [{ UserId: SECOND_ACCOUNT.accountId }] },
          }),
        ),
      ),
    ).toEqual({ name: 'OperationNotPermitted', message: expect.stringMatching(/cannot be shared/) });
    const runningForOther = [...lc.world.region(REGION).ec2.instances.values()].filter(
      (i) => i.imageId === imageId,
    );
    expect(runningForOther).toEqual([]);
  });

  it("a share on a customer-managed key launches in the second account; its copy needs the snapshot's createVolumePermission", async () => {
    const key = lc.control.createKmsKey(REGION);
    const imageId = await encryptedImage('kms-shared-customer', key.arn);
    await ec2.send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        LaunchPermission: { Add: [{ UserId: SECOND_ACCOUNT.accountId }] },
      }),
    );
    const launched = await launchByOther(imageId);
    expect(launched.Instances![0]!.ImageId).toBe(imageId);
    const seen = await other.send(new DescribeImagesCommand({ ExecutableUsers: ['self'] }));
    expect(seen.Images!.map((i) => i.ImageId)).toContain(imageId);
    expect(seen.Images!.map((i) => i.Name)).not.toContain('kms-private');

    const copy = () =>
      other.send(new CopyImageCommand({ Name: 'theirs', SourceImageId: imageId, SourceRegion: REGION }));
    expect(await errorOf(copy())).toEqual({
      name: 'AuthFailure',
      message: 'You do not have permission to access the storage of this ami',
    });
    const SnapshotId = snapshotOf(imageId);
    await ec2.send(
      new ModifySnapshotAttributeCommand({
        SnapshotId,
        Attribute: 'createVolumePermission',
        CreateVolumePermission: { Add: [{ UserId: SECOND_ACCOUNT.accountId }] },
      }),
    );
    const attribute = await ec2.send(
      new DescribeSnapshotAttributeCommand({ SnapshotId, Attribute: 'createVolumePermission' }),
    );
    expect(attribute.CreateVolumePermissions).toEqual([{ UserId: SECOND_ACCOUNT.accountId }]);
    const { ImageId } = await copy();
    expect(lc.world.region(REGION).ec2.images.get(ImageId!)!.ownerId).toBe(SECOND_ACCOUNT.accountId);
  });
});
