// The instance refresh scenario table, run through the real AWS SDK v3 clients against a running
// localcloud: each scenario seeds a group on an old image, refreshes it to a template version on a
// new image, and asserts the refresh's outcome and the group's instances and their images.
import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  CancelInstanceRefreshCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  RollbackInstanceRefreshCommand,
  StartInstanceRefreshCommand,
  type AutoScalingGroup,
  type InstanceRefresh,
  type RefreshPreferences,
} from '@aws-sdk/client-auto-scaling';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { seedGroup, seedTemplateVersion, type SeedGroupOptions } from './aws/autoscaling-seed.js';
import { seedParameter } from './aws/ssm-parameters.js';
import { autoScalingCloud } from './test-support.js';

const REGION = 'us-east-1';
const TERMINAL = ['Successful', 'Failed', 'Cancelled', 'RollbackSuccessful', 'RollbackFailed'];
const POLL_MS = 25;
const MAX_POLLS = 800;

const cloud = autoScalingCloud(REGION);
let oldImage: string;
let newImage: string;
let badImage: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function group(name: string): Promise<AutoScalingGroup> {
  const out = await cloud.asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return out.AutoScalingGroups![0]!;
}

function imageOf(instanceId: string): string | undefined {
  return cloud.lc.world.region(REGION).ec2.instances.get(instanceId)?.imageId;
}

/** Images of the group's InService instances, once the group has settled on its desired capacity. */
async function settledImages(name: string): Promise<string[]> {
  for (let i = 0; i < MAX_POLLS; i++) {
    const g = await group(name);
    const live = (g.Instances ?? []).filter((x) => x.LifecycleState !== 'Terminating');
    if (
      live.length === g.DesiredCapacity &&
      live.every((x) => x.LifecycleState === 'InService' && x.HealthStatus === 'Healthy')
    ) {
      // The API and EC2 must agree on each instance's image.
      for (const x of live) expect(x.ImageId).toBe(imageOf(x.InstanceId!));
      return live.map((x) => x.ImageId!).sort();
    }
    await sleep(POLL_MS);
  }
  throw new Error(`group ${name} did not settle`);
}

interface Watch {
  refresh: InstanceRefresh;
  statuses: string[];
  reasons: string[];
  maxInstances: number;
  minInService: number;
}

async function watch(
  name: string,
  id: string,
  onPoll?: (r: InstanceRefresh) => Promise<void>,
): Promise<Watch> {
  const w: Watch = { refresh: {}, statuses: [], reasons: [], maxInstances: 0, minInService: Infinity };
  for (let i = 0; i < MAX_POLLS; i++) {
    const out = await cloud.asg.send(
      new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: name, InstanceRefreshIds: [id] }),
    );
    const r = out.InstanceRefreshes![0]!;
    w.refresh = r;
    if (w.statuses.at(-1) !== r.Status) w.statuses.push(r.Status!);
    if (r.StatusReason && w.reasons.at(-1) !== r.StatusReason) w.reasons.push(r.StatusReason);
    const g = await group(name);
    const live = (g.Instances ?? []).filter((x) => x.LifecycleState !== 'Terminating');
    w.maxInstances = Math.max(w.maxInstances, live.length);
    w.minInService = Math.min(w.minInService, live.filter((x) => x.LifecycleState === 'InService').length);
    if (TERMINAL.includes(r.Status!)) return w;
    if (onPoll) await onPoll(r);
    await sleep(POLL_MS);
  }
  throw new Error(`refresh ${id} did not finish: ${JSON.stringify(w.statuses)}`);
}

interface Prepared {
  name: string;
  templateId: string;
  targetGroupArn?: string;
  next: number;
}

/** Seeds a group on the old image (waits until it is healthy) and a template version on `image`. */
async function prepare(
  name: string,
  opts: Partial<SeedGroupOptions> = {},
  image = newImage,
): Promise<Prepared> {
  const seeded = seedGroup(cloud.lc.world, REGION, { name, imageId: oldImage, desired: 2, ...opts });
  const next = seedTemplateVersion(cloud.lc.world, REGION, seeded.launchTemplateId, { imageId: image });
  expect(await settledImages(name)).toEqual(Array(opts.desired ?? 2).fill(oldImage));
  return {
    name,
    templateId: seeded.launchTemplateId,
    next,
    ...(seeded.targetGroupArn ? { targetGroupArn: seeded.targetGroupArn } : {}),
  };
}

async function startRefresh(
  p: Prepared,
  prefs: RefreshPreferences,
  version = String(p.next),
): Promise<string> {
  const out = await cloud.asg.send(
    new StartInstanceRefreshCommand({
      AutoScalingGroupName: p.name,
      DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: p.templateId, Version: version } },
      Preferences: prefs,
    }),
  );
  return out.InstanceRefreshId!;
}

beforeAll(async () => {
  oldImage = cloud.seedImage('web-1.0');
  newImage = cloud.seedImage('web-1.1');
  badImage = cloud.seedImage('web-1.2-broken', 'unhealthy');
});

describe('instance refresh scenarios (AWS SDK v3 against localcloud)', () => {
  it('plain success: every instance replaced, group moved to the new version, targets healthy', async () => {
    const p = await prepare('plain', { desired: 3 });
    const w = await watch(p.name, await startRefresh(p, { MinHealthyPercentage: 60 }));
    expect(w.refresh.Status).toBe('Successful');
    expect(w.refresh.PercentageComplete).toBe(100);
    expect(w.refresh.InstancesToUpdate).toBe(0);
    expect(w.maxInstances).toBeLessThanOrEqual(3);
    expect(await settledImages(p.name)).toEqual([newImage, newImage, newImage]);
    const g = await group(p.name);
    expect(g.LaunchTemplate).toEqual({
      LaunchTemplateId: p.templateId,
      LaunchTemplateName: 'plain-lt',
      Version: String(p.next),
    });
    const health = await cloud.elb.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: p.targetGroupArn! }),
    );
    const byState = new Map<string, string[]>();
    for (const d of health.TargetHealthDescriptions ?? []) {
      byState.set(d.TargetHealth!.State!, [...(byState.get(d.TargetHealth!.State!) ?? []), d.Target!.Id!]);
    }
    expect((byState.get('healthy') ?? []).map(imageOf)).toEqual([newImage, newImage, newImage]);
  });

  it('the group takes the desired configuration only when the refresh is Successful: never while InProgress or Baking', async () => {
    const p = await prepare('switch', { desired: 2 });
    const id = await startRefresh(p, { MinHealthyPercentage: 50, BakeTime: 300 });
    const before = new Map<string, Set<string>>();
    for (let i = 0; i < MAX_POLLS; i++) {
      // The group read first: if the refresh, read after it, has not succeeded, neither had it then.
      const version = (await group(p.name)).LaunchTemplate?.Version ?? '';
      const out = await cloud.asg.send(
        new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: p.name, InstanceRefreshIds: [id] }),
      );
      const status = out.InstanceRefreshes![0]!.Status!;
      if (status === 'Successful') break;
      before.set(status, new Set([...(before.get(status) ?? []), version]));
      await sleep(POLL_MS);
    }
    expect([...before.keys()]).toEqual(expect.arrayContaining(['InProgress', 'Baking']));
    for (const [status, versions] of before) expect([status, [...versions]]).toEqual([status, ['1']]);
    expect((await group(p.name)).LaunchTemplate?.Version).toBe(String(p.next));
  });

  it('MinHealthyPercentage 100 with MaxHealthyPercentage 200 launches first and never drops below desired', async () => {
    const p = await prepare('surge', { desired: 2, max: 4 });
    const w = await watch(
      p.name,
      await startRefresh(p, { MinHealthyPercentage: 100, MaxHealthyPercentage: 200 }),
    );
    expect(w.refresh.Status).toBe('Successful');
    expect(w.refresh.Preferences).toMatchObject({ MinHealthyPercentage: 100, MaxHealthyPercentage: 200 });
    expect(w.minInService).toBeGreaterThanOrEqual(2);
    expect(w.maxInstances).toBeGreaterThan(2);
    expect(w.maxInstances).toBeLessThanOrEqual(4);
    expect(await settledImages(p.name)).toEqual([newImage, newImage]);
  });

  it('checkpoints: pauses at 50% with a StatusReason, then completes', async () => {
    const p = await prepare('checkpoints', { desired: 2 });
    let imagesAtCheckpoint: string[] = [];
    const w = await watch(
      p.name,
      await startRefresh(p, {
        MinHealthyPercentage: 50,
        CheckpointPercentages: [50, 100],
        CheckpointDelay: 150,
      }),
      async (r) => {
        if (r.StatusReason?.includes('Checkpoint 1 of 2') && imagesAtCheckpoint.length === 0) {
          imagesAtCheckpoint = await settledImages(p.name);
        }
      },
    );
    expect(w.reasons.some((r) => /Checkpoint 1 of 2 reached: 50%/.test(r))).toBe(true);
    expect(imagesAtCheckpoint).toEqual([newImage, oldImage].sort());
    expect(w.refresh.Status).toBe('Successful');
    expect(await settledImages(p.name)).toEqual([newImage, newImage]);
  });

  it('skip matching with nothing to do succeeds at once and keeps every instance', async () => {
    const p = await prepare('skip', { desired: 2 });
    const before = (await group(p.name)).Instances!.map((i) => i.InstanceId).sort();
    const w = await watch(p.name, await startRefresh(p, { SkipMatching: true }, '1'));
    expect(w.refresh.Status).toBe('Successful');
    expect(w.refresh.PercentageComplete).toBe(100);
    expect((await group(p.name)).Instances!.map((i) => i.InstanceId).sort()).toEqual(before);
    expect(await settledImages(p.name)).toEqual([oldImage, oldImage]);
  });

  it('unhealthy new image: the refresh fails and auto-rolls back onto the previous version and image', async () => {
    const p = await prepare('broken', { desired: 2 }, badImage);
    const w = await watch(p.name, await startRefresh(p, { MinHealthyPercentage: 50, AutoRollback: true }));
    // RollbackInProgress is brief: a poll over HTTP on a loaded machine may miss it, so the status
    // sequence is asserted on the engine's fake clock (refresh-engine.test.ts); here, what it leaves.
    expect(w.refresh.Status).toBe('RollbackSuccessful');
    expect(w.refresh.RollbackDetails?.RollbackReason).toMatch(/health checks/);
    expect(w.refresh.RollbackDetails?.RollbackStartTime).toBeInstanceOf(Date);
    expect((await group(p.name)).LaunchTemplate?.Version).toBe('1');
    expect(await settledImages(p.name)).toEqual([oldImage, oldImage]);
  });

  it('a second refresh while one is in progress is refused with InstanceRefreshInProgress', async () => {
    const p = await prepare('twice', { desired: 2 });
    const id = await startRefresh(p, { MinHealthyPercentage: 50 });
    await expect(startRefresh(p, {})).rejects.toMatchObject({ name: 'InstanceRefreshInProgressFault' });
    expect((await watch(p.name, id)).refresh.Status).toBe('Successful');
  });

  // Cancel and rollback act while the refresh holds at a checkpoint, so the moment is deterministic.
  const HOLD = { CheckpointPercentages: [50, 100], CheckpointDelay: 100_000 };

  it('cancel: Cancelled, replaced instances stay replaced, the group keeps its version', async () => {
    const p = await prepare('cancel', { desired: 2 });
    const id = await startRefresh(p, { MinHealthyPercentage: 50, ...HOLD });
    const w = await watch(p.name, id, async (r) => {
      if (r.Status === 'InProgress' && r.StatusReason?.includes('Checkpoint 1 of 2')) {
        const out = await cloud.asg.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: p.name }));
        expect(out.InstanceRefreshId).toBe(id);
      }
    });
    expect(w.refresh.Status).toBe('Cancelled');
    expect(w.statuses).not.toContain('Successful');
    expect(await settledImages(p.name)).toEqual([newImage, oldImage].sort());
    expect((await group(p.name)).LaunchTemplate?.Version).toBe('1');
    await expect(
      cloud.asg.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: p.name })),
    ).rejects.toMatchObject({
      name: 'ActiveInstanceRefreshNotFoundFault',
    });
  });

  it('manual RollbackInstanceRefresh returns every instance to the previous image', async () => {
    const p = await prepare('rollback', { desired: 2 });
    const id = await startRefresh(p, { MinHealthyPercentage: 50, ...HOLD });
    const w = await watch(p.name, id, async (r) => {
      if (r.Status === 'InProgress' && r.StatusReason?.includes('Checkpoint 1 of 2')) {
        await cloud.asg.send(new RollbackInstanceRefreshCommand({ AutoScalingGroupName: p.name }));
      }
    });
    // The brief RollbackInProgress is asserted on the engine's fake clock (refresh-engine.test.ts).
    expect(w.refresh.Status).toBe('RollbackSuccessful');
    expect(w.refresh.RollbackDetails?.PercentageCompleteOnRollback).toBe(50);
    expect(w.refresh.RollbackDetails?.ProgressDetailsOnRollback?.LivePoolProgress?.PercentageComplete).toBe(
      100,
    );
    expect((await group(p.name)).LaunchTemplate?.Version).toBe('1');
    expect(await settledImages(p.name)).toEqual([oldImage, oldImage]);
  });

  it('rollback is refused for a group on $Latest', async () => {
    const p = await prepare('latest', { desired: 1, version: '$Latest' }, oldImage);
    const id = await startRefresh(p, { MinHealthyPercentage: 0 }, '$Latest');
    await expect(
      cloud.asg.send(new RollbackInstanceRefreshCommand({ AutoScalingGroupName: p.name })),
    ).rejects.toMatchObject({
      name: 'IrreversibleInstanceRefreshFault',
    });
    expect((await watch(p.name, id)).refresh.Status).toBe('Successful');
  });

  it('rollback is refused for a template whose image comes from resolve:ssm:', async () => {
    seedParameter(cloud.lc.world.region(REGION), '/golden/ssm-web', newImage, 'aws:ec2:image');
    const seeded = seedGroup(cloud.lc.world, REGION, { name: 'ssm', imageId: oldImage, desired: 1 });
    const next = seedTemplateVersion(cloud.lc.world, REGION, seeded.launchTemplateId, {
      imageParameter: '/golden/ssm-web',
    });
    await settledImages('ssm');
    const p: Prepared = { name: 'ssm', templateId: seeded.launchTemplateId, next };
    const id = await startRefresh(p, { MinHealthyPercentage: 0 });
    await expect(
      cloud.asg.send(new RollbackInstanceRefreshCommand({ AutoScalingGroupName: 'ssm' })),
    ).rejects.toMatchObject({
      name: 'IrreversibleInstanceRefreshFault',
    });
    expect((await watch('ssm', id)).refresh.Status).toBe('Successful');
    expect(await settledImages('ssm')).toEqual([newImage]);
  });
});
