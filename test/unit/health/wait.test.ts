// waitHealthy against localcloud in-process (./cloud.ts): real groups, launch templates, target
// groups and instance refreshes; the outcomes asserted are the result and localcloud's state.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { seedGroup, setAlarm } from '../../localcloud/aws/autoscaling-seed.js';
import { renderSummary } from '../../../src/health/summary.js';
import { waitHealthy, type WaitOptions } from '../../../src/health/wait.js';
import { newAmi, oldAmi, startHealthCloud, type HealthCloud } from './cloud.js';

const EU = 'eu-west-1';
const US = 'us-east-1';

let cloud: HealthCloud;
beforeAll(async () => {
  cloud = await startHealthCloud();
});
afterAll(() => cloud.stop());
beforeEach(() => cloud.reset());

function setup() {
  const ctx = cloud.context();
  const run = (o: WaitOptions) =>
    waitHealthy(ctx, { pollIntervalMs: 5000, maxPollIntervalMs: 30_000, unhealthyGraceMs: 60_000, ...o });
  return { log: ctx.log, run, clock: cloud.clock };
}

/** Auto Scaling calls localcloud answered (faulted ones too), with their region and time. */
const autoScalingCalls = (operation?: string) =>
  cloud.lc.logs.calls.query({ service: 'autoscaling', ...(operation ? { operation } : {}) });

/** Health checks fail, but Auto Scaling waits out a long grace period: the refresh stalls on them. */
const stalls = { healthCheckGracePeriod: 600 };

describe('waitHealthy', () => {
  it('proves several groups in two regions healthy, every instance on the new AMI', async () => {
    const { run, log } = setup();
    const checkpoints = { CheckpointPercentages: [50, 100], CheckpointDelay: 0 };
    const refreshes = await cloud.rollout(
      { region: EU, name: 'web', desired: 4, preferences: checkpoints },
      { region: EU, name: 'api', desired: 4, preferences: checkpoints },
      { region: US, name: 'worker', desired: 4, preferences: checkpoints },
    );
    const result = await run({ refreshes });

    expect(result.status).toBe('healthy');
    for (const [region, name] of [
      [EU, 'web'],
      [EU, 'api'],
      [US, 'worker'],
    ] as const) {
      expect(cloud.instanceImages(region, name)).toEqual(Array(4).fill(newAmi(region)));
    }
    expect(result.groups.map((g) => [g.group, g.status, g.onExpected, g.healthyTargets])).toEqual([
      ['web', 'healthy', 4, 4],
      ['api', 'healthy', 4, 4],
      ['worker', 'healthy', 4, 4],
    ]);
    // Progress lines carry status, percentage, instances left and an ETA; checkpoints are reported.
    expect(log.lines).toContainEqual(
      expect.stringMatching(
        /^eu-west-1\/web: InProgress \d+% · \d instances? left · ETA (\d+s|\d+m\d\ds|unknown)$/,
      ),
    );
    expect(log.lines).toContain('eu-west-1/web: checkpoint 50% reached (AWS pauses 0s before going on)');
    expect(result.groups[0]!.timeline.checkpoints.map((c) => c.percent)).toEqual([50]);
    // No health-url given: no health-url count ("0 / 4 passed" would read as a failed check).
    expect(result.groups.map((g) => g.httpOk)).toEqual([undefined, undefined, undefined]);
    expect(renderSummary(result)).not.toContain('health-url passed');
  });

  it('finds groups by name and by tags and watches their latest refresh, deriving the expected AMI', async () => {
    const { run } = setup();
    const staging = { tags: { Environment: 'staging' } };
    const [web, api] = await cloud.rollout(
      { region: EU, name: 'web', ...staging },
      { region: EU, name: 'api', ...staging },
    );
    seedGroup(cloud.lc.world, EU, { name: 'prod-web', tags: { Environment: 'production' } });

    const byTags = await run({ asgTags: { Environment: 'staging' }, regions: [EU] });
    expect(byTags.status).toBe('healthy');
    expect(byTags.groups.map((g) => [g.group, g.refreshId, g.expectedVersion, g.expectedAmiId])).toEqual([
      ['api', api!.refreshId, '2', newAmi(EU)],
      ['web', web!.refreshId, '2', newAmi(EU)],
    ]);
    await expect(run({ asgNames: ['web', 'nope'], regions: [EU] })).rejects.toThrow(
      'asg-names: no Auto Scaling group named nope in eu-west-1',
    );
    await expect(run({ asgTags: { Environment: 'qa' }, regions: [EU] })).rejects.toThrow(
      'no Auto Scaling group matches tags Environment=qa in eu-west-1',
    );
  });

  it('rolls back a refresh whose instances fail health checks: the group ends on the previous version', async () => {
    const { run } = setup();
    const bad = cloud.ownImage(EU, 'web-bad', 'unhealthy');
    const [web] = await cloud.rollout({ region: EU, name: 'web', to: bad, desired: 3, ...stalls });
    const result = await run({ refreshes: [web!] });

    expect(result.status).toBe('rolled-back');
    expect(cloud.refresh(EU, 'web').status).toBe('RollbackSuccessful');
    expect(cloud.asg(EU, 'web').config.LaunchTemplate?.Version).toBe('1');
    expect(cloud.instanceImages(EU, 'web')).toEqual(Array(3).fill(oldAmi(EU)));
    const [r] = result.groups;
    expect(r).toMatchObject({ status: 'rolled-back', action: 'rolled-back', groupVersion: '1' });
    expect(result.failures[0]).toMatch(
      /^eu-west-1\/web: rolled-back: 1 instance unhealthy for more than 60s .*target group web-tg: i-\w+ unhealthy.*; rolled back: group back on launch template version 1$/,
    );
  });

  it('with rollbackOnFailure false it fails and leaves the refresh as AWS has it', async () => {
    const { run } = setup();
    const bad = cloud.ownImage(EU, 'web-bad', 'unhealthy');
    const [web] = await cloud.rollout({ region: EU, name: 'web', to: bad, desired: 3, ...stalls });
    const result = await run({ refreshes: [web!], rollbackOnFailure: false });

    expect(result.status).toBe('failed');
    expect(cloud.refresh(EU, 'web').status).toBe('InProgress');
    expect(cloud.instanceImages(EU, 'web')).toContain(bad);
    expect(autoScalingCalls('RollbackInstanceRefresh')).toEqual([]);
    expect(autoScalingCalls('CancelInstanceRefresh')).toEqual([]);
    expect(result.groups[0]!.message).toMatch(
      /rollback-on-failure is off, so the refresh \(InProgress\) was left as it is$/,
    );
  });

  it('cancels when AWS cannot roll the refresh back, and says why', async () => {
    const { run } = setup();
    const bad = cloud.ownImage(EU, 'web-bad', 'unhealthy');
    // The template takes its image from SSM: AWS refuses RollbackInstanceRefresh.
    const [web] = await cloud.rollout({ region: EU, name: 'web', to: bad, viaSsm: true, ...stalls });
    const result = await run({ refreshes: [web!] });

    expect(result.status).toBe('failed');
    expect(cloud.refresh(EU, 'web').status).toBe('Cancelled');
    expect(result.groups[0]).toMatchObject({ action: 'cancelled' });
    const refused = autoScalingCalls('RollbackInstanceRefresh');
    expect(refused.map((c) => c.errorCode)).toEqual(['IrreversibleInstanceRefresh']);
    expect(result.groups[0]!.message).toMatch(
      new RegExp(
        `AWS cannot roll this refresh back \\(The instance refresh can't be rolled back: the launch template takes its ImageId from a Systems Manager parameter\\. \\(code IrreversibleInstanceRefresh, request id ${refused[0]!.requestId}\\)\\), so it was cancelled instead`,
      ),
    );
  });

  it("reports AWS's own rollback as rolled-back, and a Failed refresh with AWS's reason", async () => {
    const { run, clock } = setup();
    const doomed = cloud.ownImage(EU, 'api-next');
    const [web, api] = await cloud.rollout(
      {
        region: EU,
        name: 'web',
        preferences: { AutoRollback: true, AlarmSpecification: { Alarms: ['web-5xx'] } },
      },
      { region: EU, name: 'api', to: doomed },
    );
    // 30 s in, web's alarm goes off; AWS deregisters the image api's replacements launch from.
    cloud.lc.control.deregisterImage(doomed, EU);
    void clock.sleep(30_000).then(() => setAlarm(cloud.lc.world, EU, 'web-5xx', 'ALARM'));
    const result = await run({ refreshes: [web!, api!] });

    expect(result.status).toBe('failed');
    expect(result.groups[0]).toMatchObject({
      status: 'rolled-back',
      action: 'rolled-back-by-aws',
      groupVersion: '1',
    });
    expect(result.groups[0]!.message).toBe(
      'AWS rolled the refresh back: The instance refresh failed because CloudWatch alarm web-5xx is in ALARM state.; group on launch template version 1',
    );
    expect(cloud.instanceImages(EU, 'web')).toEqual([oldAmi(EU), oldAmi(EU)]);
    const failed = cloud.refresh(EU, 'api');
    expect(failed.status).toBe('Failed');
    expect(result.groups[1]).toMatchObject({ status: 'failed', action: 'not-possible' });
    expect(result.groups[1]!.message).toBe(
      `refresh Failed: ${failed.statusReason}; AWS rolls back only an active refresh and this one is Failed, so nothing was rolled back`,
    );
    expect(failed.statusReason).toContain(doomed);
  });

  it('catches instances serving the wrong version through health-url while baking, and rolls back', async () => {
    const { run } = setup();
    const [web] = await cloud.rollout({
      region: EU,
      name: 'web',
      desired: 3,
      preferences: { BakeTime: 600 },
    });
    const urls: string[] = [];
    const fakeFetch = (async (url: string | URL) => {
      urls.push(String(url));
      // The new AMI still carries the old build: the version endpoint gives it away.
      return new Response('1.4.1\n', { status: 200 });
    }) as typeof fetch;
    const result = await run({
      refreshes: [web!],
      healthUrl: 'http://{private-ip}:8080/version?id={instance-id}',
      expectedVersion: '1.4.2',
      fetch: fakeFetch,
    });

    expect(result.status).toBe('rolled-back');
    expect(cloud.asg(EU, 'web').config.LaunchTemplate?.Version).toBe('1');
    expect(cloud.instanceImages(EU, 'web')).toEqual(Array(3).fill(oldAmi(EU)));
    expect(result.groups[0]!.message).toMatch(/health-url: i-\w+ serves "1.4.1", not 1.4.2/);
    const [, ip, id] = /^http:\/\/(127\.10\.\d+\.\d+):8080\/version\?id=(i-\w+)$/.exec(urls[0]!)!;
    expect(cloud.instance(id!)?.privateIp).toBe(ip);
  });

  it('a finished refresh that fails health-url is reported failed: AWS can no longer roll it back', async () => {
    const { run } = setup();
    const [web] = await cloud.rollout({ region: EU, name: 'web', desired: 3 });
    const fakeFetch = (async () => new Response('oops', { status: 503 })) as unknown as typeof fetch;
    const result = await run({
      refreshes: [web!],
      healthUrl: 'http://{private-dns}/health',
      fetch: fakeFetch,
    });

    expect(result.status).toBe('failed');
    expect(cloud.refresh(EU, 'web').status).toBe('Successful');
    expect(cloud.asg(EU, 'web').config.LaunchTemplate?.Version).toBe('2');
    expect(result.groups[0]!.message).toMatch(
      /^3 instances unhealthy for more than 60s \(unhealthy-grace\): health-url: i-\w+ HTTP 503, .*; AWS rolls back only an active refresh and this one is Successful, so nothing was rolled back$/,
    );
  });

  it('times out, rolls the refresh back and reports timed-out', async () => {
    const { run } = setup();
    // Each new instance warms up for 10 minutes before it counts: 0% for the whole wait.
    const [web] = await cloud.rollout({ region: EU, name: 'web', preferences: { InstanceWarmup: 600 } });
    const result = await run({ refreshes: [web!], timeoutMs: 5 * 60_000 });

    expect(result.status).toBe('timed-out');
    expect(cloud.refresh(EU, 'web').status).toBe('RollbackSuccessful');
    expect(result.groups[0]!.message).toMatch(
      /^timed out after 5 minute\(s\) \(timeout\) with the refresh InProgress at 0%; rolled back/,
    );
  });

  it('ends by timeout when no DescribeInstanceRefreshes ever succeeds, without polling faster after it', async () => {
    const { run, clock } = setup();
    const [web] = await cloud.rollout({ region: EU, name: 'web' });
    cloud.lc.faults.add({
      service: 'autoscaling',
      operation: 'DescribeInstanceRefreshes',
      kind: 'error',
      status: 503,
      message: 'Service Unavailable',
    });
    const start = clock.now();
    const result = await run({ refreshes: [web!], timeoutMs: 2 * 60_000 });

    expect(result.status).toBe('timed-out');
    expect(result.groups[0]!.message).toMatch(
      /^timed out after 2 minute\(s\) \(timeout\) without reading the refresh once \(last error: describing the refresh of web: Service Unavailable .*\); nothing was rolled back/,
    );
    const reads = autoScalingCalls('DescribeInstanceRefreshes');
    expect(reads.every((c) => c.fault === 'error')).toBe(true);
    // Spaced by the poll interval and back-off until the deadline, none after it.
    expect(reads.every((c) => c.ts <= start + 2 * 60_000)).toBe(true);
    expect(reads.length).toBeLessThanOrEqual((2 * 60) / 5 + 1);
  });

  it('keeps the same outcome when a third of Auto Scaling calls are throttled, and never exceeds the budget', async () => {
    const { run, log } = setup();
    const groups = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ region: EU, name, desired: 2 }));
    const refreshes = await cloud.rollout(...groups, { region: US, name: 'f', desired: 2 });
    const start = cloud.lc.logs.calls.query().at(-1)!.seq;
    cloud.lc.faults.add({ service: 'autoscaling', kind: 'throttle', sequence: '..x'.repeat(2000) });
    const result = await run({ refreshes, maxRequestsPerSecond: 2, pollIntervalMs: 1000 });

    expect(result.status).toBe('healthy');
    for (const g of [...groups, { region: US, name: 'f' }])
      expect(cloud.instanceImages(g.region, g.name)).toEqual([newAmi(g.region), newAmi(g.region)]);
    const calls = autoScalingCalls().filter((c) => c.seq > start);
    expect(calls.filter((c) => c.fault === 'throttle').length).toBeGreaterThan(5);
    expect(
      log.lines.some(
        (l) => l.startsWith('warning: eu-west-1: describing the refresh of') && l.includes('Rate exceeded'),
      ),
    ).toBe(true);
    for (const region of [EU, US]) {
      const times = calls.filter((c) => c.region === region).map((c) => c.ts);
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(500);
    }
    expect(result.requests['autoscaling:eu-west-1']).toBe(calls.filter((c) => c.region === EU).length);
  });

  it('checks a refresh an event source names at once, not at its next poll', async () => {
    const { run, clock } = setup();
    const [web] = await cloud.rollout({ region: EU, name: 'web', desired: 1 });
    const woken: number[] = [];
    // An event source that hears the refresh end within a second and says so.
    const pause = async (ms: number, signal: AbortSignal): Promise<ReadonlySet<string>> => {
      const until = clock.now() + ms;
      while (clock.now() < until) {
        await clock.sleep(Math.min(1000, until - clock.now()), signal);
        if (!woken.length && cloud.refresh(EU, 'web').status === 'Successful') {
          woken.push(clock.now());
          return new Set([web!.refreshId!, 'refresh-of-someone-else']);
        }
      }
      return new Set();
    };
    const options = { refreshes: [web!], pollIntervalMs: 60_000 };
    const heard = await run({ ...options, pause });
    const ended = cloud.refresh(EU, 'web').endTime!;

    expect(heard.status).toBe('healthy');
    expect(woken).toEqual([expect.any(Number)]);
    expect(woken[0]! - ended).toBeLessThanOrEqual(1000);
    expect(heard.groups[0]!.timeline.end).toBeLessThanOrEqual(woken[0]! + 1000);
    // The same wait without the event source: the group looked as the refresh leaves it before the
    // end (its instance warming up), so the scans came as soon as the budget allows (2/s, half for
    // scans: every second), not every minute, and saw the end within about a second of it.
    cloud.reset();
    const [again] = await cloud.rollout({ region: EU, name: 'web', desired: 1 });
    const polled = await run({ ...options, refreshes: [again!] });
    expect(polled.status).toBe('healthy');
    expect(polled.groups[0]!.timeline.end! - cloud.refresh(EU, 'web').endTime!).toBeLessThanOrEqual(2000);
  });

  it('reads 100 groups per DescribeAutoScalingGroups and a refresh only when paced or finished', async () => {
    const { run } = setup();
    const names = Array.from({ length: 150 }, (_, i) => `g${i}`);
    // Replacements of seconds, not a minute: a refresh of about 30 s, 150 of them still quick to run.
    cloud.lc.control.setDurations({ instanceBoot: 5000, instanceTerminate: 5000, healthCheckDelay: 5000 });
    const refreshes = await cloud.rollout(...names.map((name) => ({ region: EU, name, desired: 1 })));
    const start = cloud.lc.logs.calls.query().at(-1)!.seq;
    const result = await run({ refreshes, maxRequestsPerSecond: 20 });

    expect(result.status).toBe('healthy');
    const calls = (op: string) => autoScalingCalls(op).filter((c) => c.seq > start);
    const reads = calls('DescribeInstanceRefreshes').length;
    const scans = calls('DescribeAutoScalingGroups');
    // Every refresh read at the start, at most twice at its pace, and once it ended.
    expect(reads).toBeLessThanOrEqual(4 * names.length);
    // At most two calls (100 + 50 names) per round, rounds a poll interval apart, or while a refresh
    // is about to end as soon as half the budget (20/s) allows: two calls every 200 ms.
    expect(scans.length / 2).toBeLessThanOrEqual((result.endedAt - result.startedAt) / 200 + 1);
    const asked = scans.map(
      (c) => (c.params as { AutoScalingGroupNames?: string[] }).AutoScalingGroupNames ?? [],
    );
    expect(Math.max(...asked.map((n) => n.length))).toBe(100);
  }, 60_000); // 150 groups: a harness bound for a loaded machine, not a speed assertion

  it("proves refreshes Successful by the groups' switch to their desired configuration, without reading them after they end", async () => {
    const { run } = setup();
    const names = Array.from({ length: 20 }, (_, i) => `s${i}`);
    const refreshes = await cloud.rollout(...names.map((name) => ({ region: EU, name, desired: 2 })));
    const start = cloud.lc.logs.calls.query().at(-1)!.seq;
    // A budget that reads every refresh once in the first round, and no scheduled read after that
    // within the rollout: what remains to read is only what the end itself would need.
    const result = await run({ refreshes, maxRequestsPerSecond: 10, maxPollIntervalMs: 300_000 });

    expect(result.status).toBe('healthy');
    const lastEnd = Math.max(...names.map((n) => cloud.refresh(EU, n).endTime!));
    const after = (service: string, operation: string) =>
      cloud.lc.logs.calls.query({ service, operation }).filter((c) => c.seq > start && c.ts > lastEnd);
    // The switch is read in the bulk answer: no refresh is read once it ended, no target group is
    // described (each group's ELB health check stands for it), the instances in one call.
    for (const n of names) {
      const reads = autoScalingCalls('DescribeInstanceRefreshes').filter(
        (c) => c.seq > start && (c.params as { AutoScalingGroupName?: string }).AutoScalingGroupName === n,
      );
      expect([n, reads.filter((c) => c.ts >= cloud.refresh(EU, n).endTime!).length]).toEqual([n, 0]);
    }
    expect(after('autoscaling', 'DescribeInstanceRefreshes')).toHaveLength(0);
    expect(after('elasticloadbalancing', 'DescribeTargetHealth')).toHaveLength(0);
    expect(after('ec2', 'DescribeInstances').length).toBeLessThanOrEqual(1);
    for (const g of result.groups) {
      expect(g).toMatchObject({
        refreshStatus: 'Successful (desired configuration applied)',
        refreshStatusFrom: 'desired-configuration',
        targetsFrom: 'auto-scaling',
        onExpected: 2,
        healthyTargets: 2,
      });
      expect(g.message).toMatch(
        /^healthy: refresh Successful by the group's switch to its desired configuration/,
      );
    }
  });

  it('describes each instance once, however many looks its group takes while baking', async () => {
    const { run } = setup();
    const [web] = await cloud.rollout({
      region: EU,
      name: 'web',
      desired: 3,
      preferences: { BakeTime: 120 },
    });
    const start = cloud.lc.logs.calls.query().at(-1)!.seq;
    const result = await run({ refreshes: [web!] });

    expect(result.status).toBe('healthy');
    expect(result.groups[0]!.polls).toBeGreaterThan(3);
    // An instance's AMI and address do not change while it lives.
    const described = cloud.lc.logs.calls
      .query({ service: 'ec2', operation: 'DescribeInstances' })
      .filter((c) => c.seq > start)
      .flatMap((c) => (c.params as { Filters: { Name: string; Values: string[] }[] }).Filters[0]!.Values);
    const live = [...cloud.asg(EU, 'web').instances.keys()];
    expect(described.sort()).toEqual(live.sort());
  });

  it('reports an empty refreshes list as nothing to watch, and rejects options that name nothing', async () => {
    const { run, log } = setup();
    await expect(run({ refreshes: [] })).resolves.toMatchObject({ status: 'healthy', groups: [] });
    expect(log.lines).toContain('warning: refreshes is an empty list: no instance refresh to watch');
    await expect(run({})).rejects.toThrow(
      'Invalid input: at least one of refreshes, asg-names, asg-tags is required',
    );
  });
});
