// The instance refresh engine driven tick by tick on a fake clock over a fake EC2, so every
// intermediate state (capacity, healthy floor, checkpoints) can be asserted, not just the end.
import { describe, expect, it } from '@jest/globals';
import { isReady, liveInstances } from './aws/autoscaling-fleet.js';
import { createGroup, updateGroup } from './aws/autoscaling-groups.js';
import { AsgRegion } from './aws/autoscaling-state.js';
import { tickRegion } from './aws/autoscaling-tick.js';
import type { AsgTimings, InstanceRefresh, RefreshPreferences } from './aws/autoscaling-types.js';
import { FakePlatform } from './aws/refresh-fake-platform.js';
import { batchBounds, cancelRefresh, rollbackRefresh, startRefresh } from './aws/refresh-engine.js';

const TIMINGS: AsgTimings = {
  secondMs: 1,
  healthCheckDelayMs: 50,
  deregistrationDelayMs: 50,
  maxReplacementFailures: 2,
};
const TICK_MS = 10;

interface Observed {
  maxLive: number;
  minReady: number;
  statuses: string[];
  reasons: string[];
}

function world(desired = 4, version = '1') {
  const platform = new FakePlatform(30, 30);
  const region = new AsgRegion('us-east-1', '000000000000', platform, TIMINGS);
  const lt = platform.addTemplate('web', 'ami-old');
  platform.addVersion(lt, 'ami-new');
  const group = createGroup(region, {
    AutoScalingGroupName: 'web',
    LaunchTemplate: { LaunchTemplateId: lt, Version: version },
    MinSize: 0,
    MaxSize: 20,
    DesiredCapacity: desired,
  });
  const observed: Observed = { maxLive: 0, minReady: Infinity, statuses: [], reasons: [] };
  const tick = (refresh?: InstanceRefresh): void => {
    platform.time += TICK_MS;
    platform.settle();
    tickRegion(region);
    if (!refresh) return;
    observed.maxLive = Math.max(observed.maxLive, liveInstances(group).length);
    const ready = liveInstances(group).filter((i) => isReady(region, i, 0)).length;
    observed.minReady = Math.min(observed.minReady, ready);
    if (observed.statuses.at(-1) !== refresh.status) observed.statuses.push(refresh.status);
    if (refresh.statusReason && observed.reasons.at(-1) !== refresh.statusReason) {
      observed.reasons.push(refresh.statusReason);
    }
  };
  /** Ticks until `done` holds; fails the test after `limit` ticks rather than looping forever. */
  const runUntil = (done: () => boolean, refresh?: InstanceRefresh, limit = 2000): void => {
    for (let i = 0; i < limit && !done(); i++) tick(refresh);
    if (!done()) throw new Error(`condition not reached after ${limit} ticks (status ${refresh?.status})`);
  };
  const steady = (): boolean =>
    liveInstances(group).length === group.desired &&
    liveInstances(group).every((i) => isReady(region, i, 0)) &&
    group.instances.size === group.desired;
  runUntil(steady);
  const start = (prefs: RefreshPreferences = {}, toVersion: string | null = '2') =>
    startRefresh(region, group, {
      ...(toVersion
        ? { DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: lt, Version: toVersion } } }
        : {}),
      Preferences: prefs,
    });
  const terminal = (r: InstanceRefresh) => () => r.endTime !== undefined;
  const images = (): string[] =>
    liveInstances(group).map((i) => platform.instances.get(i.instanceId)!.imageId);
  return { platform, region, group, lt, observed, tick, runUntil, steady, start, terminal, images };
}

describe('batch bounds', () => {
  it('keeps the healthy floor, rounds it up, and replaces at least one at a time without headroom', () => {
    expect(batchBounds(10, 90, 100)).toEqual({ minHealthy: 9, maxCapacity: 10 });
    expect(batchBounds(4, 90, 100)).toEqual({ minHealthy: 3, maxCapacity: 4 });
    expect(batchBounds(4, 100, 200)).toEqual({ minHealthy: 4, maxCapacity: 8 });
    expect(batchBounds(1, 100, 110)).toEqual({ minHealthy: 1, maxCapacity: 2 });
    expect(batchBounds(4, 0, 100)).toEqual({ minHealthy: 0, maxCapacity: 4 });
  });
});

describe('instance refresh engine', () => {
  it('replaces every instance one batch at a time and applies the desired configuration', () => {
    const w = world(4);
    const before = liveInstances(w.group).map((i) => i.instanceId);
    const r = w.start();
    w.runUntil(w.terminal(r), r);
    expect(r.status).toBe('Successful');
    expect(r.progress).toEqual({ percentageComplete: 100, instancesToUpdate: 0 });
    expect(w.group.config.LaunchTemplate?.Version).toBe('2');
    expect(w.images()).toEqual(['ami-new', 'ami-new', 'ami-new', 'ami-new']);
    expect(liveInstances(w.group).some((i) => before.includes(i.instanceId))).toBe(false);
    // MinHealthyPercentage 90 of 4, with no headroom above desired: one instance at a time.
    expect(w.observed.maxLive).toBe(4);
    expect(w.observed.minReady).toBe(3);
    expect(w.observed.statuses).toEqual(['InProgress', 'Successful']);
  });

  it('launches before terminating with MinHealthyPercentage 100 and MaxHealthyPercentage 200', () => {
    const w = world(3);
    const r = w.start({ MinHealthyPercentage: 100, MaxHealthyPercentage: 200 });
    w.runUntil(w.terminal(r), r);
    expect(r.status).toBe('Successful');
    expect(w.images()).toEqual(['ami-new', 'ami-new', 'ami-new']);
    expect(w.observed.minReady).toBe(3);
    expect(w.observed.maxLive).toBe(6);
  });

  it('pauses at each checkpoint for CheckpointDelay and says so in StatusReason', () => {
    const w = world(4);
    const r = w.start({ CheckpointPercentages: [50, 100], CheckpointDelay: 200, MinHealthyPercentage: 50 });
    w.runUntil(() => r.checkpointUntil !== undefined, r);
    expect(r.status).toBe('InProgress');
    expect(r.statusReason).toMatch(/Checkpoint 1 of 2 reached: 50%/);
    expect(r.progress.percentageComplete).toBe(50);
    expect(w.images().sort()).toEqual(['ami-new', 'ami-new', 'ami-old', 'ami-old']);
    // Nothing more is replaced while the checkpoint delay runs.
    for (let i = 0; i < 10; i++) w.tick(r);
    expect(w.images().sort()).toEqual(['ami-new', 'ami-new', 'ami-old', 'ami-old']);
    w.runUntil(w.terminal(r), r);
    expect(r.status).toBe('Successful');
    expect(w.images()).toEqual(['ami-new', 'ami-new', 'ami-new', 'ami-new']);
  });

  it('succeeds at once with SkipMatching when every instance already has the desired configuration', () => {
    const w = world(3, '2');
    const before = liveInstances(w.group).map((i) => i.instanceId);
    const r = w.start({ SkipMatching: true });
    w.tick(r);
    expect(r.status).toBe('Successful');
    expect(r.progress.percentageComplete).toBe(100);
    expect(liveInstances(w.group).map((i) => i.instanceId)).toEqual(before);
  });

  it('replaces only the instances that differ with SkipMatching', () => {
    const w = world(2);
    const r1 = w.start({ MinHealthyPercentage: 50, CheckpointPercentages: [50], CheckpointDelay: 0 });
    w.runUntil(w.terminal(r1), r1);
    expect(r1.status).toBe('Successful');
    expect(w.images().sort()).toEqual(['ami-new', 'ami-old']);
    const kept = liveInstances(w.group).find((i) => i.imageId === 'ami-new')!.instanceId;
    const r2 = w.start({ SkipMatching: true });
    w.runUntil(w.terminal(r2), r2);
    expect(r2.status).toBe('Successful');
    expect(w.images()).toEqual(['ami-new', 'ami-new']);
    expect(w.group.instances.has(kept)).toBe(true);
  });

  it('fails when replacements never turn healthy and rolls back to the previous configuration', () => {
    const w = world(3);
    w.platform.unhealthyImages.add('ami-new');
    const r = w.start({ AutoRollback: true, MinHealthyPercentage: 60 });
    w.runUntil(w.terminal(r), r);
    expect(r.status).toBe('RollbackSuccessful');
    expect(w.observed.statuses).toEqual(['InProgress', 'RollbackInProgress', 'RollbackSuccessful']);
    expect(r.rollback?.reason).toMatch(/failed their health checks/);
    expect(w.group.config.LaunchTemplate?.Version).toBe('1');
    w.runUntil(w.steady);
    expect(w.images()).toEqual(['ami-old', 'ami-old', 'ami-old']);
  });

  it('stays Failed without AutoRollback, and the group heals back onto its own configuration', () => {
    const w = world(2);
    w.platform.unhealthyImages.add('ami-new');
    const r = w.start();
    w.runUntil(w.terminal(r), r);
    expect(r.status).toBe('Failed');
    expect(r.statusReason).toMatch(/failed their health checks/);
    w.runUntil(w.steady);
    expect(w.group.config.LaunchTemplate?.Version).toBe('1');
    expect(w.images()).toEqual(['ami-old', 'ami-old']);
  });

  it("fails with EC2's message when replacements cannot launch, and records failed activities", () => {
    const w = world(2);
    w.platform.missingImages.add('ami-new');
    const r = w.start({ MinHealthyPercentage: 50 });
    w.runUntil(w.terminal(r), r);
    expect(r.status).toBe('Failed');
    expect(r.statusReason).toMatch(
      /Launching replacement instances failed \d+ times: .*ami-new.*does not exist/,
    );
    const failed = w.region.activities.filter((a) => a.statusCode === 'Failed');
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed[0]!.statusMessage).toMatch(/does not exist/);
    w.runUntil(w.steady);
    expect(w.images()).toEqual(['ami-old', 'ami-old']);
  });

  it('refuses a second refresh, and launch template changes to the group, while one is active', () => {
    const w = world(2);
    w.start();
    expect(() => w.start()).toThrow(expect.objectContaining({ code: 'InstanceRefreshInProgress' }));
    expect(() =>
      updateGroup(w.region, {
        AutoScalingGroupName: 'web',
        LaunchTemplate: { LaunchTemplateId: w.lt, Version: '2' },
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'ValidationError',
        message: expect.stringMatching(/active instance refresh/),
      }),
    );
    updateGroup(w.region, { AutoScalingGroupName: 'web', MaxSize: 10 });
    expect(w.group.max).toBe(10);
  });

  it('cancels: replaced instances stay replaced and the group keeps its configuration', () => {
    const w = world(4);
    const r = w.start({ MinHealthyPercentage: 75 });
    w.runUntil(() => r.progress.percentageComplete >= 25, r);
    cancelRefresh(w.region, w.group);
    expect(r.status).toBe('Cancelling');
    w.runUntil(w.terminal(r), r);
    expect(r.status).toBe('Cancelled');
    w.runUntil(w.steady);
    const images = w.images();
    expect(images).toContain('ami-new');
    expect(images).toContain('ami-old');
    expect(w.group.config.LaunchTemplate?.Version).toBe('1');
    expect(() => cancelRefresh(w.region, w.group)).toThrow(
      expect.objectContaining({ code: 'ActiveInstanceRefreshNotFound' }),
    );
  });

  it('cancels a refresh that has not started yet without touching the group', () => {
    const w = world(2);
    const before = liveInstances(w.group).map((i) => i.instanceId);
    const r = w.start();
    cancelRefresh(w.region, w.group);
    w.tick(r);
    expect(r.status).toBe('Cancelled');
    w.runUntil(w.steady);
    expect(liveInstances(w.group).map((i) => i.instanceId)).toEqual(before);
  });

  it('rolls back on request and returns every instance to the previous image', () => {
    const w = world(4);
    const r = w.start({ MinHealthyPercentage: 50 });
    w.runUntil(() => r.progress.percentageComplete >= 50, r);
    rollbackRefresh(w.region, w.group);
    expect(r.status).toBe('RollbackInProgress');
    expect(r.rollback?.onRollback.percentageComplete).toBeGreaterThanOrEqual(50);
    w.runUntil(w.terminal(r), r);
    expect(r.status).toBe('RollbackSuccessful');
    w.runUntil(w.steady);
    expect(w.images()).toEqual(['ami-old', 'ami-old', 'ami-old', 'ami-old']);
    expect(w.group.config.LaunchTemplate?.Version).toBe('1');
  });

  it('refuses to roll back a group on $Latest, and one whose image comes from SSM', () => {
    const latest = world(1, '$Latest');
    latest.start({}, '2');
    expect(() => rollbackRefresh(latest.region, latest.group)).toThrow(
      expect.objectContaining({ code: 'IrreversibleInstanceRefresh' }),
    );

    const ssm = world(1);
    ssm.platform.parameters.set('/golden/web', 'ami-new');
    const v3 = ssm.platform.addVersion(ssm.lt, 'resolve:ssm:/golden/web');
    const r = ssm.start({}, String(v3));
    expect(() => rollbackRefresh(ssm.region, ssm.group)).toThrow(
      expect.objectContaining({ code: 'IrreversibleInstanceRefresh' }),
    );
    ssm.runUntil(ssm.terminal(r), r);
    expect(r.status).toBe('Successful');
    expect(ssm.images()).toEqual(['ami-new']);
  });

  it('refuses AutoRollback at StartInstanceRefresh on a $Latest or $Default group (reading refuse-at-start)', () => {
    for (const version of ['$Latest', '$Default']) {
      const w = world(1, version);
      expect(() => w.start({ AutoRollback: true }, '2')).toThrow(
        expect.objectContaining({
          code: 'ValidationError',
          message: expect.stringMatching(/\$Latest or \$Default/),
        }),
      );
      expect(w.region.refreshesOf('web')).toEqual([]);
    }
  });

  it('does not auto-roll back when rollback is impossible and says why (reading fail-later)', () => {
    const w = world(1, '$Latest');
    w.region.readings.impossibleAutoRollback = 'fail-later';
    w.platform.unhealthyImages.add('ami-new');
    const r = w.start({ AutoRollback: true, MinHealthyPercentage: 0 }, '2');
    w.runUntil(w.terminal(r), r);
    expect(r.status).toBe('Failed');
    expect(r.statusReason).toMatch(/Auto rollback isn't possible: .*\$Latest/);
  });

  it('cancels a rollback in progress: Cancelling, then Cancelled, the rollback stops where it is', () => {
    const w = world(4);
    const r = w.start({ MinHealthyPercentage: 50 }, '2');
    w.runUntil(() => w.images().filter((i) => i === 'ami-new').length >= 2, r);
    rollbackRefresh(w.region, w.group);
    expect(r.status).toBe('RollbackInProgress');
    expect(cancelRefresh(w.region, w.group).id).toBe(r.id);
    expect(r.status).toBe('Cancelling');
    w.runUntil(w.terminal(r), r);
    expect(r.status).toBe('Cancelled');
    expect(() => cancelRefresh(w.region, w.group)).toThrow(
      expect.objectContaining({ code: 'ActiveInstanceRefreshNotFound' }),
    );
  });

  it('rejects AutoRollback without a desired configuration', () => {
    const w = world(1);
    expect(() => w.start({ AutoRollback: true }, null)).toThrow(
      expect.objectContaining({ code: 'ValidationError', message: expect.stringMatching(/AutoRollback/) }),
    );
  });

  it('fails on an alarm and rolls back when asked to', () => {
    const w = world(2);
    const r = w.start({
      AutoRollback: true,
      AlarmSpecification: { Alarms: ['web-5xx'] },
      MinHealthyPercentage: 50,
    });
    w.tick(r);
    w.region.alarms.set('web-5xx', 'ALARM');
    w.runUntil(w.terminal(r), r);
    expect(r.status).toBe('RollbackSuccessful');
    expect(r.rollback?.reason).toMatch(/web-5xx/);
    w.runUntil(w.steady);
    expect(w.images()).toEqual(['ami-old', 'ami-old']);
  });

  it('bakes before succeeding and applies the configuration only then', () => {
    const w = world(1);
    const r = w.start({ BakeTime: 100, MinHealthyPercentage: 0 });
    w.runUntil(() => r.status === 'Baking', r);
    expect(w.group.config.LaunchTemplate?.Version).toBe('1');
    expect(w.images()).toEqual(['ami-new']);
    w.runUntil(w.terminal(r), r);
    expect(w.observed.statuses).toEqual(['InProgress', 'Baking', 'Successful']);
    expect(w.group.config.LaunchTemplate?.Version).toBe('2');
  });

  it('with a $Latest target, a version created mid-refresh gets replaced instances replaced again', () => {
    const w = world(2, '$Latest');
    const r = w.start({ MinHealthyPercentage: 50 }, '$Latest');
    w.runUntil(() => w.images().includes('ami-new'), r);
    const v3 = w.platform.addVersion(w.lt, 'ami-newer');
    w.runUntil(w.terminal(r), r);
    expect(r.status).toBe('Successful');
    w.runUntil(w.steady);
    expect(w.images()).toEqual(['ami-newer', 'ami-newer']);
    expect(liveInstances(w.group).map((i) => i.launchTemplate?.Version)).toEqual([String(v3), String(v3)]);
  });

  it('refreshes a MixedInstancesPolicy group and applies the new policy on success', () => {
    const w = world(2);
    const policy = (version: string) => ({
      LaunchTemplate: {
        LaunchTemplateSpecification: { LaunchTemplateId: w.lt, Version: version },
        Overrides: [{ InstanceType: 'm7g.large' }],
      },
      InstancesDistribution: { OnDemandPercentageAboveBaseCapacity: 100 },
    });
    w.group.config = { MixedInstancesPolicy: policy('1') };
    const r = startRefresh(w.region, w.group, {
      DesiredConfiguration: { MixedInstancesPolicy: policy('2') },
      Preferences: { MinHealthyPercentage: 50, AutoRollback: true },
    });
    w.runUntil(w.terminal(r), r);
    expect(r.status).toBe('Successful');
    expect(w.group.config).toEqual({ MixedInstancesPolicy: policy('2') });
    expect(w.images()).toEqual(['ami-new', 'ami-new']);
    expect(liveInstances(w.group).map((i) => i.instanceType)).toEqual(['m7g.large', 'm7g.large']);
  });

  it('validates preferences as AWS does', () => {
    const w = world(1);
    const bad: RefreshPreferences[] = [
      { MaxHealthyPercentage: 150 },
      { MinHealthyPercentage: 20, MaxHealthyPercentage: 200 },
      { CheckpointPercentages: [50, 20] },
      { CheckpointDelay: 60 },
      { MinHealthyPercentage: 101 },
    ];
    for (const prefs of bad) {
      expect(() => w.start(prefs)).toThrow(expect.objectContaining({ code: 'ValidationError' }));
    }
    const r = w.start({ CheckpointPercentages: [50, 100] });
    expect(r.preferences).toMatchObject({
      MinHealthyPercentage: 90,
      MaxHealthyPercentage: 100,
      CheckpointDelay: 3600,
      SkipMatching: false,
      ScaleInProtectedInstances: 'Wait',
      StandbyInstances: 'Wait',
    });
  });

  it('waits out the instance warmup before counting an instance as updated', () => {
    const w = world(1);
    const r = w.start({ InstanceWarmup: 300, MinHealthyPercentage: 0 });
    w.runUntil(() => w.images()[0] === 'ami-new' && isReady(w.region, liveInstances(w.group)[0]!, 0), r);
    expect(r.progress.percentageComplete).toBe(0);
    w.runUntil(w.terminal(r), r);
    expect(r.status).toBe('Successful');
  });
});
