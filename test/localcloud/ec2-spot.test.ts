// Spot in localcloud through the AWS SDK v3: RunInstances InstanceMarketOptions, a persistent request
// reopening when its instance is terminated uncancelled, a one-time Spot instance that cannot be
// stopped, CancelSpotInstanceRequests, and the capacity switch.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CancelSpotInstanceRequestsCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type InstanceMarketOptionsRequest,
} from '@aws-sdk/client-ec2';
import { spotOf } from './aws/ec2-spot.js';
import { start, type Localcloud } from './index.js';
import { seedImage } from './seed.js';
import { clientConfig } from './test-support.js';

let lc: Localcloud;
let ec2: EC2Client;
let imageId: string;

beforeAll(async () => {
  lc = await start({ port: 0 });
  ec2 = new EC2Client(clientConfig(lc));
  imageId = seedImage(lc.world.region('us-east-1'), { name: 'spot-base' }).imageId;
});
afterAll(async () => {
  ec2.destroy();
  await lc.stop();
});

const PERSISTENT: InstanceMarketOptionsRequest = {
  MarketType: 'spot',
  SpotOptions: { SpotInstanceType: 'persistent', InstanceInterruptionBehavior: 'stop' },
};
const launch = async (InstanceMarketOptions: InstanceMarketOptionsRequest) =>
  (
    await ec2.send(
      new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, InstanceMarketOptions }),
    )
  ).Instances![0]!;
const request = (id: string) => spotOf(lc.world.region('us-east-1')).requests.get(id)!;

describe('Spot instances', () => {
  it('a persistent request reopens when its instance is terminated, unless cancelled first', async () => {
    const a = await launch(PERSISTENT);
    expect(a).toMatchObject({
      InstanceLifecycle: 'spot',
      SpotInstanceRequestId: expect.stringMatching(/^sir-/),
    });
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [a.InstanceId!] }));
    expect(described.Reservations![0]!.Instances![0]!.SpotInstanceRequestId).toBe(a.SpotInstanceRequestId);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [a.InstanceId!] }));
    expect(request(a.SpotInstanceRequestId!).state).toBe('open');

    const b = await launch(PERSISTENT);
    const cancelled = await ec2.send(
      new CancelSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [b.SpotInstanceRequestId!] }),
    );
    expect(cancelled.CancelledSpotInstanceRequests).toEqual([
      { SpotInstanceRequestId: b.SpotInstanceRequestId, State: 'cancelled' },
    ]);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [b.InstanceId!] }));
    expect(request(b.SpotInstanceRequestId!).state).toBe('cancelled');
  });

  it('refuses a persistent request that terminates on interruption, and stopping a one-time Spot instance', async () => {
    await expect(
      launch({ MarketType: 'spot', SpotOptions: { SpotInstanceType: 'persistent' } }),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    const once = await launch({ MarketType: 'spot' });
    await expect(
      ec2.send(new StopInstancesCommand({ InstanceIds: [once.InstanceId!] })),
    ).rejects.toMatchObject({
      name: 'UnsupportedOperation',
    });
  });

  it('without Spot capacity RunInstances answers InsufficientInstanceCapacity; On-Demand still launches', async () => {
    spotOf(lc.world.region('us-east-1')).capacity = 'insufficient';
    try {
      await expect(launch(PERSISTENT)).rejects.toMatchObject({ name: 'InsufficientInstanceCapacity' });
      const onDemand = await ec2.send(
        new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 }),
      );
      expect(onDemand.Instances![0]!.InstanceLifecycle).toBeUndefined();
    } finally {
      spotOf(lc.world.region('us-east-1')).capacity = 'available';
    }
  });
});
