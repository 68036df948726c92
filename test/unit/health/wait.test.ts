import { memoryLog } from '../../../src/core/log.js';
import type { ActionContext } from '../../../src/core/context.js';
import { renderSummary } from '../../../src/health/summary.js';
import { waitHealthy, type WaitOptions } from '../../../src/health/wait.js';
import { FakeFleet, type FleetOptions } from './fake-fleet.js';
import { virtualClock } from './virtual-clock.js';

function setup(fleetOptions: FleetOptions = {}) {
  const clock = virtualClock();
  const fleet = new FakeFleet(clock, fleetOptions);
  const log = memoryLog();
  const ctx: ActionContext = { clients: fleet.clients, clock, log, signal: new AbortController().signal };
  const run = (o: WaitOptions) =>
    waitHealthy(ctx, { pollIntervalSeconds: 5, maxPollIntervalSeconds: 30, unhealthyGraceSeconds: 60, ...o });
  return { clock, fleet, log, ctx, run };
}

const record = (region: string, group: string) => ({
  region,
  group,
  refreshId: `refresh-${group}`,
  amiId: 'ami-00000000000000002',
  newVersion: '2',
  previousVersion: '1',
});

describe('waitHealthy', () => {
  it('proves several groups in two regions healthy, every instance on the new AMI', async () => {
    const { fleet, run, log } = setup();
    for (const [region, name] of [
      ['eu-west-1', 'web'],
      ['eu-west-1', 'api'],
      ['us-east-1', 'worker'],
    ] as const) {
      fleet.startRefresh(fleet.addGroup(region, name, { desired: 4 }), '2', { checkpoints: [50, 100] });
    }
    const result = await run({
      refreshes: [record('eu-west-1', 'web'), record('eu-west-1', 'api'), record('us-east-1', 'worker')],
    });

    expect(result.status).toBe('healthy');
    for (const g of fleet.groups) {
      expect(g.instances.map((i) => i.ami)).toEqual(Array(4).fill('ami-00000000000000002'));
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
    const { fleet, run } = setup();
    fleet.startRefresh(fleet.addGroup('eu-west-1', 'web', { tags: { Environment: 'staging' } }), '2');
    fleet.startRefresh(fleet.addGroup('eu-west-1', 'api', { tags: { Environment: 'staging' } }), '2');
    fleet.addGroup('eu-west-1', 'prod-web', { tags: { Environment: 'production' } });

    const byTags = await run({ asgTags: { Environment: 'staging' } });
    expect(byTags.status).toBe('healthy');
    expect(byTags.groups.map((g) => [g.group, g.refreshId, g.expectedVersion, g.expectedAmiId])).toEqual([
      ['api', 'refresh-api', '2', 'ami-00000000000000002'],
      ['web', 'refresh-web', '2', 'ami-00000000000000002'],
    ]);
    await expect(run({ asgNames: ['web', 'nope'] })).rejects.toThrow(
      'asg-names: no Auto Scaling group named nope in eu-west-1',
    );
    await expect(run({ asgTags: { Environment: 'qa' } })).rejects.toThrow(
      'no Auto Scaling group matches tags Environment=qa in eu-west-1',
    );
  });

  it('rolls back a refresh whose instances fail health checks: the group ends on the previous version', async () => {
    const { fleet, run } = setup();
    fleet.bad.add('2');
    const g = fleet.addGroup('eu-west-1', 'web');
    fleet.startRefresh(g, '2');
    const result = await run({ refreshes: [record('eu-west-1', 'web')] });

    expect(result.status).toBe('rolled-back');
    expect(g.refresh?.status).toBe('RollbackSuccessful');
    expect(g.version).toBe('1');
    expect(g.instances.every((i) => i.ami === 'ami-00000000000000001')).toBe(true);
    const [r] = result.groups;
    expect(r).toMatchObject({ status: 'rolled-back', action: 'rolled-back', groupVersion: '1' });
    expect(result.failures[0]).toMatch(
      /^eu-west-1\/web: rolled-back: 1 instance unhealthy for more than 60s .*target group web-tg: i-\w+ unhealthy.*; rolled back: group back on launch template version 1$/,
    );
  });

  it('with rollbackOnFailure false it fails and leaves the refresh as AWS has it', async () => {
    const { fleet, run } = setup();
    fleet.bad.add('2');
    const g = fleet.addGroup('eu-west-1', 'web');
    fleet.startRefresh(g, '2');
    const result = await run({ refreshes: [record('eu-west-1', 'web')], rollbackOnFailure: false });

    expect(result.status).toBe('failed');
    expect(g.refresh?.status).toBe('InProgress');
    expect(g.instances.some((i) => i.version === '2')).toBe(true);
    expect(
      fleet.autoScalingCalls.filter(
        (c) => c.op === 'RollbackInstanceRefresh' || c.op === 'CancelInstanceRefresh',
      ),
    ).toEqual([]);
    expect(result.groups[0]!.message).toMatch(
      /rollback-on-failure is off, so the refresh \(InProgress\) was left as it is$/,
    );
  });

  it('cancels when AWS cannot roll the refresh back, and says why', async () => {
    const { fleet, run } = setup();
    fleet.bad.add('2');
    const g = fleet.addGroup('eu-west-1', 'web');
    fleet.startRefresh(g, '2', { irreversible: true });
    const result = await run({ refreshes: [record('eu-west-1', 'web')] });

    expect(result.status).toBe('failed');
    expect(g.refresh?.status).toBe('Cancelled');
    expect(result.groups[0]).toMatchObject({ action: 'cancelled' });
    expect(result.groups[0]!.message).toContain(
      'AWS cannot roll this refresh back (The launch template uses an SSM parameter for ImageId (code IrreversibleInstanceRefresh, request id req-1)), so it was cancelled instead',
    );
  });

  it("reports AWS's own rollback as rolled-back, and a Failed refresh with AWS's reason", async () => {
    const { fleet, run, clock } = setup();
    fleet.startRefresh(fleet.addGroup('eu-west-1', 'web'), '2', { awsRollbackAt: clock.now() + 30_000 });
    fleet.startRefresh(fleet.addGroup('eu-west-1', 'api'), '2', { failAt: clock.now() + 30_000 });
    const result = await run({ refreshes: [record('eu-west-1', 'web'), record('eu-west-1', 'api')] });

    expect(result.status).toBe('failed');
    expect(result.groups[0]).toMatchObject({
      status: 'rolled-back',
      action: 'rolled-back-by-aws',
      groupVersion: '1',
    });
    expect(result.groups[0]!.message).toBe(
      'AWS rolled the refresh back: Alarm web-5xx in ALARM state: rolling back; group on launch template version 1',
    );
    expect(result.groups[1]).toMatchObject({ status: 'failed', action: 'not-possible' });
    expect(result.groups[1]!.message).toBe(
      'refresh Failed: Instances failed to launch: capacity not available; AWS rolls back only an active refresh and this one is Failed, so nothing was rolled back',
    );
  });

  it('catches instances serving the wrong version through health-url while baking, and rolls back', async () => {
    const { fleet, run } = setup();
    const g = fleet.addGroup('eu-west-1', 'web');
    fleet.startRefresh(g, '2', { bakeMs: 600_000 });
    const urls: string[] = [];
    const fakeFetch = (async (url: string | URL) => {
      urls.push(String(url));
      // The new AMI still carries the old build: the version endpoint gives it away.
      return new Response('1.4.1\n', { status: 200 });
    }) as typeof fetch;
    const result = await run({
      refreshes: [record('eu-west-1', 'web')],
      healthUrl: 'http://{private-ip}:8080/version?id={instance-id}',
      expectedVersion: '1.4.2',
      fetch: fakeFetch,
    });

    expect(result.status).toBe('rolled-back');
    expect(g.version).toBe('1');
    expect(result.groups[0]!.message).toMatch(/health-url: i-\w+ serves "1.4.1", not 1.4.2/);
    expect(urls[0]).toMatch(/^http:\/\/127\.10\.0\.\d+:8080\/version\?id=i-\w+$/);
  });

  it('a finished refresh that fails health-url is reported failed: AWS can no longer roll it back', async () => {
    const { fleet, run } = setup();
    const g = fleet.addGroup('eu-west-1', 'web');
    fleet.startRefresh(g, '2');
    const fakeFetch = (async () => new Response('oops', { status: 503 })) as unknown as typeof fetch;
    const result = await run({
      refreshes: [record('eu-west-1', 'web')],
      healthUrl: 'http://{private-dns}/health',
      fetch: fakeFetch,
    });

    expect(result.status).toBe('failed');
    expect(g.version).toBe('2');
    expect(result.groups[0]!.message).toMatch(
      /^3 instances unhealthy for more than 60s \(unhealthy-grace-seconds\): health-url: i-\w+ HTTP 503, .*; AWS rolls back only an active refresh and this one is Successful, so nothing was rolled back$/,
    );
  });

  it('times out, rolls the refresh back and reports timed-out', async () => {
    const { fleet, run } = setup({ stepMs: 600_000 });
    const g = fleet.addGroup('eu-west-1', 'web');
    fleet.startRefresh(g, '2');
    const result = await run({ refreshes: [record('eu-west-1', 'web')], timeoutMinutes: 5 });

    expect(result.status).toBe('timed-out');
    expect(g.refresh?.status).toBe('RollbackSuccessful');
    expect(result.groups[0]!.message).toMatch(
      /^timed out after 5 minute\(s\) \(timeout-minutes\) with the refresh InProgress at 0%; rolled back/,
    );
  });

  it('ends by timeout-minutes when no DescribeInstanceRefreshes ever succeeds, without polling faster after it', async () => {
    const { fleet, run, clock } = setup({ refreshReadsFail: true });
    const start = clock.now();
    fleet.startRefresh(fleet.addGroup('eu-west-1', 'web'), '2');
    const result = await run({ refreshes: [record('eu-west-1', 'web')], timeoutMinutes: 2 });

    expect(result.status).toBe('timed-out');
    expect(result.groups[0]!.message).toMatch(
      /^timed out after 2 minute\(s\) \(timeout-minutes\) without reading the refresh once \(last error: describing the refresh of web: Service Unavailable .*\); nothing was rolled back/,
    );
    const reads = fleet.autoScalingCalls.filter((c) => c.op === 'DescribeInstanceRefreshes');
    // Spaced by the poll interval and back-off until the deadline, none after it.
    expect(reads.every((c) => c.at <= start + 2 * 60_000)).toBe(true);
    expect(reads.length).toBeLessThanOrEqual((2 * 60) / 5 + 1);
  });

  it('keeps the same outcome when a third of Auto Scaling calls are throttled, and never exceeds the budget', async () => {
    const { fleet, run, log } = setup({ throttleEvery: 3 });
    for (const name of ['a', 'b', 'c', 'd', 'e'])
      fleet.startRefresh(fleet.addGroup('eu-west-1', name, { desired: 2 }), '2');
    fleet.startRefresh(fleet.addGroup('us-east-1', 'f', { desired: 2 }), '2');
    const result = await run({
      refreshes: ['a', 'b', 'c', 'd', 'e']
        .map((n) => record('eu-west-1', n))
        .concat(record('us-east-1', 'f')),
      maxRequestsPerSecond: 2,
      pollIntervalSeconds: 1,
    });

    expect(result.status).toBe('healthy');
    expect(fleet.groups.every((g) => g.instances.every((i) => i.ami === 'ami-00000000000000002'))).toBe(true);
    expect(fleet.autoScalingCalls.filter((c) => c.throttled).length).toBeGreaterThan(5);
    expect(
      log.lines.some(
        (l) => l.startsWith('warning: eu-west-1: describing the refresh of') && l.includes('Rate exceeded'),
      ),
    ).toBe(true);
    for (const region of ['eu-west-1', 'us-east-1']) {
      const times = fleet.autoScalingCalls.filter((c) => c.region === region).map((c) => c.at);
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(500);
    }
    expect(result.requests['autoscaling:eu-west-1']).toBe(
      fleet.autoScalingCalls.filter((c) => c.region === 'eu-west-1').length,
    );
  });

  it('checks a refresh an event source names at once, not at its next poll', async () => {
    const { fleet, run, clock } = setup({ stepMs: 20_000 });
    const start = clock.now();
    fleet.startRefresh(fleet.addGroup('eu-west-1', 'web', { desired: 1 }), '2');
    const woken: number[] = [];
    // An event source that hears the refresh end (at 20 s) and says so a second later.
    const pause = async (ms: number, signal: AbortSignal): Promise<ReadonlySet<string>> => {
      const heardAt = start + 21_000;
      if (!woken.length && clock.now() + ms > heardAt) {
        await clock.sleep(heardAt - clock.now(), signal);
        woken.push(clock.now());
        return new Set(['refresh-web', 'refresh-of-someone-else']);
      }
      await clock.sleep(ms, signal);
      return new Set();
    };
    const options = { refreshes: [record('eu-west-1', 'web')], pollIntervalSeconds: 60 };
    const heard = await run({ ...options, pause });

    expect(heard.status).toBe('healthy');
    expect(woken).toEqual([start + 21_000]);
    expect(heard.groups[0]!.timeline.end).toBeLessThan(start + 23_000);
    // The same wait without the event source sees the end at its next poll, a minute in.
    const { fleet: fleet2, run: run2, clock: clock2 } = setup({ stepMs: 20_000 });
    fleet2.startRefresh(fleet2.addGroup('eu-west-1', 'web', { desired: 1 }), '2');
    const polled = await run2(options);
    expect(polled.status).toBe('healthy');
    expect(polled.groups[0]!.timeline.end).toBeGreaterThanOrEqual(clock2.now() - 1000);
    expect(polled.groups[0]!.timeline.end! - polled.startedAt).toBeGreaterThanOrEqual(60_000);
  });

  it('reads 100 groups per DescribeAutoScalingGroups and a refresh only when paced or finished', async () => {
    const { fleet, run } = setup();
    const names = Array.from({ length: 150 }, (_, i) => `g${i}`);
    for (const name of names) fleet.startRefresh(fleet.addGroup('eu-west-1', name, { desired: 2 }), '2');
    const result = await run({
      refreshes: names.map((n) => record('eu-west-1', n)),
      maxRequestsPerSecond: 20,
    });

    expect(result.status).toBe('healthy');
    const calls = (op: string) => fleet.autoScalingCalls.filter((c) => c.op === op).length;
    const reads = calls('DescribeInstanceRefreshes');
    const scans = calls('DescribeAutoScalingGroups');
    // Every refresh read at the start, at most twice at its pace, and once it ended.
    expect(reads).toBeLessThanOrEqual(4 * names.length);
    // At most two calls (100 + 50 names) per round, rounds at least a poll interval apart.
    expect(scans / 2).toBeLessThanOrEqual((result.endedAt - result.startedAt) / 5000 + 1);
    expect(fleet.largestScan).toBe(100);
  });

  it('describes each instance once, however many looks its group takes while baking', async () => {
    const { fleet, run } = setup();
    fleet.startRefresh(fleet.addGroup('eu-west-1', 'web'), '2', { bakeMs: 120_000 });
    const result = await run({ refreshes: [record('eu-west-1', 'web')] });

    expect(result.status).toBe('healthy');
    expect(result.groups[0]!.polls).toBeGreaterThan(3);
    // An instance's AMI and address do not change while it lives.
    expect(fleet.describedInstances.length).toBe(3);
    expect(new Set(fleet.describedInstances).size).toBe(3);
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
