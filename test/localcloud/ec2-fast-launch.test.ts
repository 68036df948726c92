// Windows fast launch in localcloud through the AWS SDK v3: enabling → enabled, disabling → gone,
// Windows AMIs only, MaxParallelLaunches of 6 or more, no re-enable while disabling.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DescribeFastLaunchImagesCommand,
  DisableFastLaunchCommand,
  EC2Client,
  EnableFastLaunchCommand,
} from '@aws-sdk/client-ec2';
import { start, type Localcloud } from './index.js';
import { seedImage } from './seed.js';
import { clientConfig, until } from './test-support.js';

let lc: Localcloud;
let ec2: EC2Client;

beforeAll(async () => {
  lc = await start({ port: 0, durations: { imageAvailable: 200 } });
  ec2 = new EC2Client(clientConfig(lc));
});
afterAll(async () => {
  ec2.destroy();
  await lc.stop();
});

const stateOf = async (ImageId: string) =>
  (await ec2.send(new DescribeFastLaunchImagesCommand({ ImageIds: [ImageId] }))).FastLaunchImages?.[0]?.State;

describe('Windows fast launch', () => {
  it('enables (enabling → enabled) and disables (disabling → no longer listed); no re-enable while disabling', async () => {
    const { imageId } = seedImage(lc.world.region('us-east-1'), { name: 'win-fast', windows: true });
    const on = await ec2.send(
      new EnableFastLaunchCommand({ ImageId: imageId, ResourceType: 'snapshot', MaxParallelLaunches: 6 }),
    );
    expect(on).toMatchObject({ ImageId: imageId, State: 'enabling', MaxParallelLaunches: 6 });
    await until('enabled', async () => ((await stateOf(imageId)) === 'enabled' ? true : undefined));
    const off = await ec2.send(new DisableFastLaunchCommand({ ImageId: imageId }));
    expect(off.State).toBe('disabling');
    await expect(ec2.send(new EnableFastLaunchCommand({ ImageId: imageId }))).rejects.toMatchObject({
      name: 'IncorrectState',
    });
    await until('disabled', async () => ((await stateOf(imageId)) === undefined ? true : undefined));
  });

  it('refuses a Linux AMI and fewer than 6 parallel launches', async () => {
    const linux = seedImage(lc.world.region('us-east-1'), { name: 'linux-fast' }).imageId;
    await expect(ec2.send(new EnableFastLaunchCommand({ ImageId: linux }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    const win = seedImage(lc.world.region('us-east-1'), { name: 'win-five', windows: true }).imageId;
    await expect(
      ec2.send(new EnableFastLaunchCommand({ ImageId: win, MaxParallelLaunches: 5 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });
});
