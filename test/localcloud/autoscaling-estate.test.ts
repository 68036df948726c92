// Groups as users have them, through the SDK against a running localcloud: launch configurations,
// warm pools (and the refresh replacing them), and an instance maintenance policy the refresh uses.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DeleteLaunchConfigurationCommand,
  DeleteWarmPoolCommand,
  DescribeInstanceRefreshesCommand,
  DescribeLaunchConfigurationsCommand,
  DescribeScalingActivitiesCommand,
  DescribeWarmPoolCommand,
  EnterStandbyCommand,
  ExitStandbyCommand,
  PutWarmPoolCommand,
  SetDesiredCapacityCommand,
  StartInstanceRefreshCommand,
  UpdateAutoScalingGroupCommand,
  type InstanceRefresh,
} from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { seedGroup, seedTemplateVersion } from './aws/autoscaling-seed.js';
import { start } from './index.js';
import { seedImage as seedRegionImage } from './seed.js';
import { clientConfig, describeGroup, inService as groupInService, until as poll } from './test-support.js';

/** Bounded poll of up to 20 s: refreshes here take a few hundred milliseconds. */
const until = <T>(what: string, check: () => Promise<T | undefined>) => poll(what, check, 800);

jest.setTimeout(30_000);
const REGION = 'us-east-1';
type Lc = Awaited<ReturnType<typeof start>>;
let lc: Lc;
let asg: AutoScalingClient;
let ec2: EC2Client;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const image = (name: string) => seedRegionImage(lc.world.region(REGION), { name }).imageId;

const group = (name: string) => describeGroup(asg, name);

/** A group without a target group on an old image, and the new image a refresh moves it to. */
function groupToRefresh(name: string, desired: number, max: number) {
  const oldAmi = image(`${name}-old`);
  const newAmi = image(`${name}-new`);
  const seeded = seedGroup(lc.world, REGION, { name, imageId: oldAmi, desired, max, targetGroup: false });
  return { oldAmi, newAmi, seeded };
}
const inService = (name: string, count: number) => groupInService(asg, name, count);

async function warm(name: string) {
  return asg.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: name }));
}

async function imagesOf(ids: string[]): Promise<string[]> {
  if (!ids.length) return [];
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
  return out.Reservations!.flatMap((r) => r.Instances!.map((i) => i.ImageId!)).sort();
}

async function refreshOf(name: string, id: string): Promise<InstanceRefresh> {
  const out = await asg.send(
    new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: name, InstanceRefreshIds: [id] }),
  );
  return out.InstanceRefreshes![0]!;
}

beforeAll(async () => {
  lc = await start({
    port: 0,
    durations: { instanceBoot: 40, instanceTerminate: 40, healthCheckDelay: 40, apiSecond: 1 },
  });
  asg = new AutoScalingClient(clientConfig(lc, REGION));
  ec2 = new EC2Client(clientConfig(lc, REGION));
});

afterAll(async () => {
  asg?.destroy();
  ec2?.destroy();
  await lc?.stop();
});

describe('launch configurations', () => {
  it('are created, described, launched from, and cannot be deleted while a group uses them', async () => {
    const ami = image('lc-image');
    await asg.send(
      new CreateLaunchConfigurationCommand({
        LaunchConfigurationName: 'legacy-lc',
        ImageId: ami,
        InstanceType: 't3.micro',
      }),
    );
    await expect(
      asg.send(
        new CreateLaunchConfigurationCommand({
          LaunchConfigurationName: 'legacy-lc',
          ImageId: ami,
          InstanceType: 't3.micro',
        }),
      ),
    ).rejects.toMatchObject({ name: 'AlreadyExistsFault' });
    await expect(
      asg.send(
        new CreateLaunchConfigurationCommand({
          LaunchConfigurationName: 'bad-lc',
          ImageId: 'ami-0000000000000dead',
          InstanceType: 't3.micro',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationError' });
    const described = await asg.send(
      new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: ['legacy-lc'] }),
    );
    expect(described.LaunchConfigurations).toEqual([
      expect.objectContaining({
        LaunchConfigurationName: 'legacy-lc',
        ImageId: ami,
        InstanceType: 't3.micro',
      }),
    ]);

    await expect(
      asg.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: 'no-such-lc',
          LaunchConfigurationName: 'missing-lc',
          MinSize: 0,
          MaxSize: 1,
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationError' });
    await asg.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'legacy',
        LaunchConfigurationName: 'legacy-lc',
        MinSize: 0,
        MaxSize: 2,
        DesiredCapacity: 2,
      }),
    );
    const running = await until('legacy in service', async () => {
      const g = await group('legacy');
      const ids = (g.Instances ?? [])
        .filter((i) => i.LifecycleState === 'InService')
        .map((i) => i.InstanceId!);
      return ids.length === 2 ? g : undefined;
    });
    expect(running.LaunchConfigurationName).toBe('legacy-lc');
    expect(running.Instances!.map((i) => i.LaunchConfigurationName)).toEqual(['legacy-lc', 'legacy-lc']);
    expect(await imagesOf(running.Instances!.map((i) => i.InstanceId!))).toEqual([ami, ami]);

    await expect(
      asg.send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: 'legacy-lc' })),
    ).rejects.toMatchObject({ name: 'ResourceInUseFault' });
  });
});

describe('warm pools', () => {
  it('keeps warm instances out of Instances, and a refresh replaces them after the live pool', async () => {
    const { oldAmi, newAmi, seeded } = groupToRefresh('warm', 1, 3);
    await asg.send(
      new PutWarmPoolCommand({ AutoScalingGroupName: 'warm', MinSize: 2, PoolState: 'Stopped' }),
    );
    const filled = await until('two stopped warm instances', async () => {
      const w = await warm('warm');
      const stopped = (w.Instances ?? []).filter((i) => i.LifecycleState === 'Warmed:Stopped');
      return stopped.length === 2 ? w : undefined;
    });
    expect(filled.WarmPoolConfiguration).toMatchObject({ MinSize: 2, PoolState: 'Stopped' });
    const g = await group('warm');
    expect(g.WarmPoolSize).toBe(2);
    const warmIds = filled.Instances!.map((i) => i.InstanceId!);
    expect(g.Instances!.map((i) => i.InstanceId)).not.toEqual(expect.arrayContaining([warmIds[0]]));
    expect(await imagesOf(warmIds)).toEqual([oldAmi, oldAmi]);

    const v2 = seedTemplateVersion(lc.world, REGION, seeded.launchTemplateId, { imageId: newAmi });
    const { InstanceRefreshId } = await asg.send(
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: 'warm',
        DesiredConfiguration: {
          LaunchTemplate: { LaunchTemplateId: seeded.launchTemplateId, Version: String(v2) },
        },
        Preferences: { SkipMatching: true, MinHealthyPercentage: 0 },
      }),
    );
    // While the warm pool is stale the refresh is not done, and says so in WarmPoolProgress.
    const livePoolDone = await until('live pool replaced, warm pool pending', async () => {
      const r = await refreshOf('warm', InstanceRefreshId!);
      return r.ProgressDetails?.LivePoolProgress?.InstancesToUpdate === 0 && r.Status === 'InProgress'
        ? r
        : undefined;
    });
    expect(livePoolDone.ProgressDetails!.WarmPoolProgress!.InstancesToUpdate).toBeGreaterThan(0);
    const done = await until('refresh successful', async () => {
      const r = await refreshOf('warm', InstanceRefreshId!);
      return r.Status === 'Successful' ? r : undefined;
    });
    expect(done.ProgressDetails!.WarmPoolProgress).toEqual({ PercentageComplete: 100, InstancesToUpdate: 0 });
    const after = await warm('warm');
    const afterIds = after
      .Instances!.filter((i) => i.LifecycleState === 'Warmed:Stopped')
      .map((i) => i.InstanceId!);
    expect(await imagesOf(afterIds)).toEqual([newAmi, newAmi]);
    expect(after.Instances!.every((i) => i.LaunchTemplate?.Version === String(v2))).toBe(true);
  });

  it('draws on the warm pool to scale out, and DeleteWarmPool empties it', async () => {
    seedGroup(lc.world, REGION, { name: 'draw', desired: 1, max: 3, targetGroup: false });
    await asg.send(
      new PutWarmPoolCommand({
        AutoScalingGroupName: 'draw',
        MinSize: 1,
        MaxGroupPreparedCapacity: 2,
        PoolState: 'Running',
      }),
    );
    const pool = await until('one running warm instance', async () => {
      const w = await warm('draw');
      return w.Instances?.length === 1 && w.Instances[0]!.LifecycleState === 'Warmed:Running' ? w : undefined;
    });
    const drawn = pool.Instances![0]!.InstanceId!;
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'draw', DesiredCapacity: 2 }));
    await until('the warm instance in service in the group', async () => {
      const g = await group('draw');
      return g.Instances!.some((i) => i.InstanceId === drawn && i.LifecycleState === 'InService')
        ? true
        : undefined;
    });
    await asg.send(new DeleteWarmPoolCommand({ AutoScalingGroupName: 'draw' }));
    await until('warm pool gone', async () => {
      const g = await group('draw');
      return g.WarmPoolConfiguration === undefined ? true : undefined;
    });
    expect((await warm('draw')).Instances).toEqual([]);
  });

  it('cannot be added to a mixed instances group', async () => {
    const seeded = seedGroup(lc.world, REGION, { name: 'mixed-warm', desired: 0, targetGroup: false });
    await asg.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: 'mixed-warm',
        MixedInstancesPolicy: {
          LaunchTemplate: {
            LaunchTemplateSpecification: { LaunchTemplateId: seeded.launchTemplateId, Version: '1' },
            Overrides: [{ InstanceType: 't3.micro' }, { InstanceType: 't3.small' }],
          },
        },
      }),
    );
    await expect(
      asg.send(new PutWarmPoolCommand({ AutoScalingGroupName: 'mixed-warm', MinSize: 1 })),
    ).rejects.toMatchObject({ name: 'ValidationError' });
  });
});

describe('instance maintenance policy', () => {
  it('is stored, described, and used by a refresh that gives no percentages', async () => {
    const seeded = seedGroup(lc.world, REGION, { name: 'imp', desired: 2, max: 4, targetGroup: false });
    await asg.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: 'imp',
        InstanceMaintenancePolicy: { MinHealthyPercentage: 50, MaxHealthyPercentage: 150 },
      }),
    );
    expect((await group('imp')).InstanceMaintenancePolicy).toEqual({
      MinHealthyPercentage: 50,
      MaxHealthyPercentage: 150,
    });
    await expect(
      asg.send(
        new UpdateAutoScalingGroupCommand({
          AutoScalingGroupName: 'imp',
          InstanceMaintenancePolicy: { MinHealthyPercentage: 20, MaxHealthyPercentage: 150 },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationError' });
    await inService('imp', 2);
    const v2 = seedTemplateVersion(lc.world, REGION, seeded.launchTemplateId, {});
    const { InstanceRefreshId } = await asg.send(
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: 'imp',
        DesiredConfiguration: {
          LaunchTemplate: { LaunchTemplateId: seeded.launchTemplateId, Version: String(v2) },
        },
      }),
    );
    const r = await refreshOf('imp', InstanceRefreshId!);
    expect(r.Preferences).toMatchObject({ MinHealthyPercentage: 50, MaxHealthyPercentage: 150 });
    await until('refresh successful', async () =>
      (await refreshOf('imp', InstanceRefreshId!)).Status === 'Successful' ? true : undefined,
    );
    // 150% of 2 is 3: the refresh launched a new instance before terminating an old one (at 90/100
    // it would terminate first).
    const acts = await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'imp' }));
    const byRefresh = acts
      .Activities!.filter((a) => a.Cause?.includes(InstanceRefreshId!))
      .sort((a, b) => a.StartTime!.getTime() - b.StartTime!.getTime());
    // Activities of one tick share a StartTime: compare the first of each kind, not list positions.
    const first = (re: RegExp) =>
      Math.min(...byRefresh.filter((a) => re.test(a.Description ?? '')).map((a) => a.StartTime!.getTime()));
    expect(first(/^Launching/)).toBeLessThanOrEqual(first(/^Terminating/));

    await asg.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: 'imp',
        InstanceMaintenancePolicy: { MinHealthyPercentage: -1, MaxHealthyPercentage: -1 },
      }),
    );
    expect((await group('imp')).InstanceMaintenancePolicy).toBeUndefined();
  });
});

describe('Standby instances', () => {
  it('leave the desired capacity; a refresh waits for them (Wait) and replaces them once back, or terminates them (Terminate)', async () => {
    const { oldAmi, newAmi, seeded } = groupToRefresh('sb', 2, 4);
    await inService('sb', 2);
    const [parked] = (await group('sb')).Instances!.map((i) => i.InstanceId!);
    await asg.send(
      new EnterStandbyCommand({
        AutoScalingGroupName: 'sb',
        InstanceIds: [parked!],
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    // Not decremented: a replacement launches, the Standby instance stays a member.
    await until('a replacement in service', async () => {
      const g = await group('sb');
      const states = g.Instances!.map((i) => i.LifecycleState).sort();
      return states.join() === 'InService,InService,Standby' ? true : undefined;
    });

    const v2 = seedTemplateVersion(lc.world, REGION, seeded.launchTemplateId, { imageId: newAmi });
    const desired = { LaunchTemplate: { LaunchTemplateId: seeded.launchTemplateId, Version: String(v2) } };
    const { InstanceRefreshId } = await asg.send(
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: 'sb',
        DesiredConfiguration: desired,
        Preferences: { MinHealthyPercentage: 50, SkipMatching: true },
      }),
    );
    // Both InService instances replaced, yet the refresh waits on the Standby one.
    await until('live instances replaced', async () => {
      const g = await group('sb');
      const live = g.Instances!.filter(
        (i) => i.LifecycleState === 'InService' && i.LaunchTemplate?.Version === String(v2),
      );
      return live.length === 2 ? true : undefined;
    });
    await sleep(300);
    expect((await refreshOf('sb', InstanceRefreshId!)).Status).toBe('InProgress');
    await asg.send(new ExitStandbyCommand({ AutoScalingGroupName: 'sb', InstanceIds: [parked!] }));
    await until('refresh successful', async () =>
      (await refreshOf('sb', InstanceRefreshId!)).Status === 'Successful' ? true : undefined,
    );
    const g = await group('sb');
    expect(g.DesiredCapacity).toBe(3);
    expect(g.Instances!.map((i) => i.InstanceId)).not.toContain(parked);

    const [second] = g.Instances!.map((i) => i.InstanceId!);
    await asg.send(
      new EnterStandbyCommand({
        AutoScalingGroupName: 'sb',
        InstanceIds: [second!],
        ShouldDecrementDesiredCapacity: true,
      }),
    );
    expect((await group('sb')).DesiredCapacity).toBe(2);
    const v3 = seedTemplateVersion(lc.world, REGION, seeded.launchTemplateId, { imageId: oldAmi });
    const terminate = await asg.send(
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: 'sb',
        DesiredConfiguration: { LaunchTemplate: { ...desired.LaunchTemplate, Version: String(v3) } },
        Preferences: { MinHealthyPercentage: 50, StandbyInstances: 'Terminate' },
      }),
    );
    await until('refresh successful', async () =>
      (await refreshOf('sb', terminate.InstanceRefreshId!)).Status === 'Successful' ? true : undefined,
    );
    expect((await group('sb')).Instances!.map((i) => i.InstanceId)).not.toContain(second);
  });
});
