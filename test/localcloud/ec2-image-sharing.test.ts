// Launch permission by organization and OU ARN in localcloud through the AWS SDK v3:
// ModifyImageAttribute (structured and flat forms), DescribeImageAttribute, a malformed ARN refused,
// and a copy that starts unshared.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CopyImageCommand,
  DescribeImageAttributeCommand,
  EC2Client,
  ModifyImageAttributeCommand,
} from '@aws-sdk/client-ec2';
import { start, type Localcloud } from './index.js';
import { seedImage } from './seed.js';
import { clientConfig } from './test-support.js';

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
