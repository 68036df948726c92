// The actions, through dist/, against the AWS behaviours FIDELITY.md records: a $Latest group
// rolled with working auto rollback, cancel of a running rollback, both refresh orders, a group
// behind a traffic source, an AMI of the wrong architecture, and a proxy's HTML answer.
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import {
  AttachTrafficSourcesCommand,
  AutoScalingClient,
  CancelInstanceRefreshCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  RollbackInstanceRefreshCommand,
  StartInstanceRefreshCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { localcloudEnv, runActionStep, type ActionRun } from '../harness/run-action.js';
import { seedGroup, seedTemplateVersion } from '../localcloud/aws/autoscaling-seed.js';
import { start } from '../localcloud/index.js';
import { baseImageId, seedImage } from '../localcloud/seed.js';

// Each run is a real process against localcloud's timed state machines: seconds, not milliseconds.
jest.setTimeout(120_000);

type Cloud = Awaited<ReturnType<typeof start>>;
const region = 'us-east-1';
const credentials = {
  accessKeyId: 'AKIALOCALCLOUD000000',
  secretAccessKey: 'localcloud-secret-key-do-not-use-000000',
};
let lc: Cloud;
let asg: AutoScalingClient;
let ec2: EC2Client;
let elb: ElasticLoadBalancingV2Client;

beforeAll(async () => {
  lc = await start({ port: 0 });
  asg = new AutoScalingClient({ region, endpoint: lc.url, credentials });
  ec2 = new EC2Client({ region, endpoint: lc.url, credentials });
  elb = new ElasticLoadBalancingV2Client({ region, endpoint: lc.url, credentials });
});
afterAll(async () => {
  asg?.destroy();
  ec2?.destroy();
  elb?.destroy();
  await lc?.stop();
});
beforeEach(() => {
  lc.control.reset();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await sleep(100);
  }
}

const fast = { 'poll-interval': '0.2', 'max-poll-interval': '1' };
const env = () => localcloudEnv(lc.url, region);
const readings = (body: Record<string, unknown>) => lc.control.call('POST /autoscaling/readings', body);
const image = (name: string, unhealthy = false) =>
  seedImage(lc.world.region(region), { name, ...(unhealthy ? { health: 'unhealthy' as const } : {}) })
    .imageId;
const lastSeq = () => lc.logs.calls.query().at(-1)?.seq ?? 0;
const mutationsSince = (seq: number) =>
  lc.logs.mutations.query({ since: seq }).map((m) => `${m.service}.${m.operation}`);

async function group(name: string) {
  return (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })))
    .AutoScalingGroups![0]!;
}
async function refreshes(name: string) {
  return (await asg.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: name })))
    .InstanceRefreshes!;
}
async function inService(name: string, count: number) {
  await until(`${name} in service`, async () => {
    const g = await group(name);
    const ok = g.Instances?.filter((i) => i.LifecycleState === 'InService' && i.HealthStatus === 'Healthy');
    return ok?.length === count && g.Instances?.length === count ? true : undefined;
  });
}
async function amis(name: string): Promise<string[]> {
  const ids = (await group(name))
    .Instances!.filter((i) => i.LifecycleState === 'InService')
    .map((i) => i.InstanceId!);
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
  return out.Reservations!.flatMap((r) => r.Instances!.map((i) => i.ImageId!));
}
function roll(inputs: Record<string, string>): Promise<ActionRun> {
  return runActionStep('roll-asg', { env: env(), inputs: { ...fast, ...inputs } });
}

describe.each(['refuse-at-start', 'fail-later'] as const)('roll-asg on a $Latest group (%s)', (reading) => {
  it('pins the group to its number, so auto rollback works when the AMI is unhealthy', async () => {
    await readings({ impossibleAutoRollback: reading });
    const [good, bad] = [image('latest-good'), image('latest-bad', true)];
    const seeded = seedGroup(lc.world, region, {
      name: 'latest',
      imageId: good,
      version: '$Latest',
      desired: 2,
    });
    await inService('latest', 2);

    const r = await roll({ 'asg-names': 'latest', 'ami-id': bad, 'min-healthy-percentage': '50' });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.log).toContain('pinned');

    const [refresh] = await until('the refresh to roll back', async () => {
      const rs = await refreshes('latest');
      return rs[0]?.Status === 'RollbackSuccessful' ? rs : undefined;
    });
    expect(refresh!.RollbackDetails?.RollbackReason).toBeDefined();
    const g = await group('latest');
    expect(g.LaunchTemplate).toMatchObject({ LaunchTemplateId: seeded.launchTemplateId, Version: '1' });
    await inService('latest', 2);
    expect(new Set(await amis('latest'))).toEqual(new Set([good]));
  });
});

describe('roll-asg with if-refresh-in-progress: cancel', () => {
  it('cancels a running rollback, then starts its own refresh', async () => {
    const [v1, v2, v3] = [image('cr-1'), image('cr-2'), image('cr-3')];
    const seeded = seedGroup(lc.world, region, { name: 'cr', imageId: v1, desired: 4, targetGroup: false });
    await inService('cr', 4);
    const version = seedTemplateVersion(lc.world, region, seeded.launchTemplateId, { imageId: v2 });
    const other = await asg.send(
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: 'cr',
        DesiredConfiguration: {
          LaunchTemplate: { LaunchTemplateId: seeded.launchTemplateId, Version: String(version) },
        },
        Preferences: { MinHealthyPercentage: 50 },
      }),
    );
    await until('the refresh to have replaced two instances', async () =>
      (await amis('cr')).filter((a) => a === v2).length >= 2 ? true : undefined,
    );
    // Slow launches, so the rollback (which launches v1 instances again) is still running when roll-asg looks.
    lc.control.setDurations({ instanceBoot: 5_000 });
    await asg.send(new RollbackInstanceRefreshCommand({ AutoScalingGroupName: 'cr' }));
    expect((await refreshes('cr'))[0]!.Status).toBe('RollbackInProgress');
    const since = lastSeq();

    const r = await roll({ 'asg-names': 'cr', 'ami-id': v3, 'if-refresh-in-progress': 'cancel' }).finally(
      () => lc.control.setDurations({ instanceBoot: 300 }),
    );

    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    const cancels = lc.logs.calls.query({ operation: 'CancelInstanceRefresh', since });
    expect(cancels.map((c) => c.status)).toEqual([200]);
    const all = await refreshes('cr');
    expect(all.find((x) => x.InstanceRefreshId === other.InstanceRefreshId)!.Status).toBe('Cancelled');
    const ours = JSON.parse(r.outputs.refreshes!) as { refreshId: string }[];
    expect(all.map((x) => x.InstanceRefreshId)).toContain(ours[0]!.refreshId);
  });
});

describe.each(['newest-first', 'oldest-first'] as const)('DescribeInstanceRefreshes %s', (order) => {
  it('wait-healthy by asg-names watches the newest refresh by StartTime', async () => {
    await readings({ refreshOrder: order });
    const [v1, v2] = [image(`order-${order}-1`), image(`order-${order}-2`)];
    const name = `order-${order}`;
    const seeded = seedGroup(lc.world, region, { name, imageId: v1, desired: 1 });
    await inService(name, 1);
    const version = seedTemplateVersion(lc.world, region, seeded.launchTemplateId, { imageId: v2 });
    const desired = {
      LaunchTemplate: { LaunchTemplateId: seeded.launchTemplateId, Version: String(version) },
    };
    // An older refresh that was cancelled, then the one that counts.
    await asg.send(
      new StartInstanceRefreshCommand({ AutoScalingGroupName: name, DesiredConfiguration: desired }),
    );
    await asg.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: name }));
    await until('the first refresh to end', async () =>
      (await refreshes(name)).every((x) => x.EndTime) ? true : undefined,
    );
    await sleep(20); // a later StartTime, whatever the clock's resolution
    await asg.send(
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: name,
        DesiredConfiguration: desired,
        Preferences: { MinHealthyPercentage: 0 },
      }),
    );

    const r = await runActionStep('wait-healthy', {
      env: env(),
      inputs: { 'asg-names': name, 'expected-ami-id': v2, ...fast, 'max-requests-per-second': '10' },
    });

    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.outputs.status).toBe('healthy');
  });
});

describe.each([false, true])('a group behind a traffic source (also in TargetGroupARNs: %s)', (listed) => {
  it('is proven healthy by the targets of a target group attached with AttachTrafficSources', async () => {
    await readings({ trafficSourcesInTargetGroupArns: listed });
    const [v1, v2] = [image('ts-1'), image('ts-2')];
    const seeded = seedGroup(lc.world, region, { name: 'ts', imageId: v1, desired: 2, targetGroup: false });
    const tg = await elb.send(new CreateTargetGroupCommand({ Name: 'ts-tg', Protocol: 'HTTP', Port: 80 }));
    const arn = tg.TargetGroups![0]!.TargetGroupArn!;
    await asg.send(
      new AttachTrafficSourcesCommand({
        AutoScalingGroupName: 'ts',
        TrafficSources: [{ Identifier: arn, Type: 'elbv2' }],
      }),
    );
    expect((await group('ts')).TargetGroupARNs).toEqual(listed ? [arn] : []);
    await inService('ts', 2);
    const version = seedTemplateVersion(lc.world, region, seeded.launchTemplateId, { imageId: v2 });
    await asg.send(
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: 'ts',
        DesiredConfiguration: {
          LaunchTemplate: { LaunchTemplateId: seeded.launchTemplateId, Version: String(version) },
        },
        Preferences: { MinHealthyPercentage: 50 },
      }),
    );
    const since = lastSeq();

    const r = await runActionStep('wait-healthy', {
      env: env(),
      inputs: { 'asg-names': 'ts', 'expected-ami-id': v2, ...fast, 'max-requests-per-second': '10' },
    });

    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    const [result] = JSON.parse(r.outputs.results!) as { healthyTargets: number; desired: number }[];
    expect(result).toMatchObject({ healthyTargets: 2, desired: 2 });
    const looked = lc.logs.calls.query({ operation: 'DescribeTargetHealth', since });
    expect(looked.some((c) => (c.params as { TargetGroupArn?: string }).TargetGroupArn === arn)).toBe(true);
  });
});

describe('roll-asg and the AMI architecture', () => {
  it('refuses an arm64 AMI for a t3 group before any change', async () => {
    seedGroup(lc.world, region, { name: 'x86', desired: 1, targetGroup: false });
    const arm = baseImageId(region, 'al2023-ami-2023.6.20241212.0-kernel-6.1-arm64');
    const since = lastSeq();

    const r = await roll({ 'asg-names': 'x86', 'ami-id': arm });

    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(
      new RegExp(
        `^Nothing was changed: group us-east-1/x86: ${arm} is arm64, but instance type t3\\.micro \\(launch template x86-lt \\(lt-\\w+\\) version 1\\) runs x86_64;`,
      ),
    );
    expect(mutationsSince(since)).toEqual([]);
  });
});

describe('roll-asg and the AMI architecture of a mixed instances group', () => {
  it('names every override type that cannot run the AMI, and changes nothing', async () => {
    const seeded = seedGroup(lc.world, region, { name: 'mixed-x86', desired: 0, targetGroup: false });
    await asg.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: 'mixed-x86',
        MixedInstancesPolicy: {
          LaunchTemplate: {
            LaunchTemplateSpecification: { LaunchTemplateId: seeded.launchTemplateId, Version: '1' },
            Overrides: [{ InstanceType: 't3.small' }, { InstanceType: 'm5.large' }],
          },
        },
      }),
    );
    const arm = baseImageId(region, 'al2023-ami-2023.6.20241212.0-kernel-6.1-arm64');
    const since = lastSeq();

    const r = await roll({ 'asg-names': 'mixed-x86', 'ami-id': arm });

    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain(
      `${arm} is arm64, but instance type t3.small (mixed instances override 1) runs x86_64; m5.large (mixed instances override 2) runs x86_64;`,
    );
    expect(mutationsSince(since)).toEqual([]);
  });
});

describe('an answer that is not AWS', () => {
  it('an HTML 500 for one operation fails in one line naming the operation, status and endpoint', async () => {
    seedGroup(lc.world, region, { name: 'proxied', desired: 1, targetGroup: false });
    lc.faults.add({
      service: 'autoscaling',
      operation: 'DescribeAutoScalingGroups',
      kind: 'html',
      status: 500,
    });
    const since = lastSeq();

    const r = await roll({ 'asg-names': 'proxied', 'ami-id': image('proxied-2') });

    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(
      /DescribeAutoScalingGroups: http:\/\/127\.0\.0\.1:\d+ answered HTTP 500 with text\/html: "500 Internal Server Error", not an AWS response \(\d attempts\)/,
    );
    expect(r.errors[0]).not.toContain('$response');
    const attempts = lc.logs.calls.query({ operation: 'DescribeAutoScalingGroups', since });
    expect(attempts.length).toBeGreaterThan(1);
    expect(attempts.length).toBeLessThanOrEqual(5);
    expect(mutationsSince(since)).toEqual([]);
  });
});
