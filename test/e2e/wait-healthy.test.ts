// wait-healthy through dist/, run as the runner runs it, against localcloud's Auto Scaling, EC2
// and ELBv2. Refreshes are started here with the AWS SDK, as roll-asg would start them.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  type RefreshPreferences,
} from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { localcloudEnv, runActionStep } from '../harness/run-action.js';
import { start } from '../localcloud/index.js';
import { seedImage } from '../localcloud/seed.js';
import { startRollout } from './refresh-rollout.js';

jest.setTimeout(120_000);

type Cloud = Awaited<ReturnType<typeof start>>;
let lc: Cloud;
const region = 'us-east-1';
/** Where instances serve /version; a port of its own so parallel localclouds do not collide. */
const VERSION_PORT = 18467;
const credentials = {
  accessKeyId: 'AKIALOCALCLOUD000000',
  secretAccessKey: 'localcloud-secret-key-do-not-use-000000',
};
let asg: AutoScalingClient;
let ec2: EC2Client;
const images = new Map<string, string>();

beforeAll(async () => {
  lc = await start({ port: 0, instanceHttpPort: VERSION_PORT });
  asg = new AutoScalingClient({ region, endpoint: lc.url, credentials });
  ec2 = new EC2Client({ region, endpoint: lc.url, credentials });
});
afterAll(async () => {
  asg?.destroy();
  ec2?.destroy();
  await lc?.stop();
});

/** An AMI whose instances serve `version` on /version, and fail health checks when `unhealthy`. */
function image(version: string, unhealthy = false): string {
  const key = `${version}:${unhealthy}`;
  const known = images.get(key);
  if (known) return known;
  const id = seedImage(lc.world.region(region), {
    name: `app-${version}-${unhealthy ? 'bad' : 'ok'}`,
    version,
    ...(unhealthy ? { health: 'unhealthy' as const } : {}),
  }).imageId;
  images.set(key, id);
  return id;
}

async function group(name: string) {
  const g = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return g.AutoScalingGroups![0]!;
}

async function instanceAmis(name: string): Promise<string[]> {
  const ids = (await group(name))
    .Instances!.filter((i) => i.LifecycleState === 'InService')
    .map((i) => i.InstanceId!);
  const d = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
  return d.Reservations!.flatMap((r) => r.Instances!.map((i) => i.ImageId!));
}

interface Rollout {
  name: string;
  oldAmi: string;
  newAmi: string;
  record: Record<string, string>;
}

/** A group of `desired` healthy instances on `from`, then a refresh towards a new template version on `to`. */
async function rollout(
  name: string,
  from: string,
  to: string,
  preferences: RefreshPreferences = {},
  desired = 3,
): Promise<Rollout> {
  const record = await startRollout({ lc, asg, region }, name, from, to, preferences, desired);
  return { name, oldAmi: from, newAmi: to, record };
}

const fast = {
  'poll-interval': '0.2',
  'max-poll-interval': '1',
  'max-requests-per-second': '10',
};
const env = () => localcloudEnv(lc.url, region);
const results = (outputs: Record<string, string>) =>
  JSON.parse(outputs.results ?? '[]') as Array<Record<string, unknown>>;

describe('wait-healthy e2e', () => {
  it('proves a healthy rollout of several groups: every instance on the new AMI', async () => {
    const [v1, v2] = [image('1.0.0'), image('2.0.0')];
    const rolls = [
      await rollout('healthy-web', v1, v2, { CheckpointPercentages: [50, 100], CheckpointDelay: 10 }),
      await rollout('healthy-api', v1, v2),
      await rollout('healthy-worker', v1, v2, {}, 2),
    ];
    const r = await runActionStep('wait-healthy', {
      env: env(),
      inputs: {
        refreshes: JSON.stringify(rolls.map((x) => x.record)),
        ...fast,
      },
    });

    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.outputs.status).toBe('healthy');
    for (const x of rolls) {
      const amis = await instanceAmis(x.name);
      expect(amis.length).toBe((await group(x.name)).DesiredCapacity);
      expect(new Set(amis)).toEqual(new Set([v2]));
    }
    expect(
      results(r.outputs).map((g) => [
        g.group,
        g.status,
        g.onExpected === g.desired,
        g.healthyTargets === g.desired,
      ]),
    ).toEqual([
      ['healthy-web', 'healthy', true, true],
      ['healthy-api', 'healthy', true, true],
      ['healthy-worker', 'healthy', true, true],
    ]);
    expect(r.log).toMatch(/us-east-1\/healthy-web: InProgress \d+% · \d instances? left · ETA/);
    expect(r.log).toContain('us-east-1/healthy-web: checkpoint 50% reached');
    expect(r.summary).toContain('```mermaid\ngantt');
    expect(r.summary).toContain('section us-east-1/healthy-api');
  });

  it('an image whose instances fail health checks ends rolled-back, the group back on the previous version', async () => {
    const [v1, bad] = [image('1.0.0'), image('2.0.0', true)];
    const x = await rollout('unhealthy-rb', v1, bad, { AutoRollback: true });
    const r = await runActionStep('wait-healthy', {
      env: env(),
      inputs: { refreshes: JSON.stringify([x.record]), ...fast },
    });

    expect(r.exitCode).toBe(1);
    expect(r.outputs.status).toBe('rolled-back');
    const g = await group('unhealthy-rb');
    expect(g.LaunchTemplate?.Version).toBe('1');
    expect(new Set(await instanceAmis('unhealthy-rb'))).toEqual(new Set([v1]));
    expect(results(r.outputs)[0]).toMatchObject({
      status: 'rolled-back',
      refreshStatus: 'RollbackSuccessful',
      groupVersion: '1',
    });
    expect(r.errors.join('\n')).toMatch(
      /us-east-1\/unhealthy-rb: rolled-back: AWS rolled the refresh back: .*health checks/,
    );
  });

  it('with rollback-on-failure false a failing refresh ends failed and AWS state is left as it is', async () => {
    const [v1, bad] = [image('1.0.0'), image('2.0.0', true)];
    const x = await rollout('unhealthy-keep', v1, bad);
    const before = lc.logs.mutations.query({ service: 'autoscaling' }).length;
    const r = await runActionStep('wait-healthy', {
      env: env(),
      inputs: {
        refreshes: JSON.stringify([x.record]),
        'rollback-on-failure': 'false',
        'unhealthy-grace': '0',
        ...fast,
      },
    });

    if (r.exitCode !== 1) console.log(r.log);
    expect(r.exitCode).toBe(1);
    expect(r.outputs.status).toBe('failed');
    expect(
      lc.logs.mutations
        .query({ service: 'autoscaling' })
        .slice(before)
        .map((m) => m.operation),
    ).toEqual([]);
    expect(r.errors.join('\n')).toMatch(
      /us-east-1\/unhealthy-keep: failed: .*rollback-on-failure is off, so the refresh \((InProgress|Failed)\) was left as it is/,
    );
  });

  it('health-url catches instances serving the wrong version while baking, and rolls the refresh back', async () => {
    // The "new" AMI of stale-code still carries the old build: only the version endpoint can tell.
    // fresh-code, watched in the same run, serves the right one and passes.
    const [v1, v2, stale] = [image('1.0.0'), image('2.0.0'), image('1.0.0-stale')];
    const x = await rollout('stale-code', v1, stale, { BakeTime: 3000 });
    const ok = await rollout('fresh-code', v1, v2);
    const r = await runActionStep('wait-healthy', {
      env: env(),
      inputs: {
        refreshes: JSON.stringify([x.record, ok.record]),
        'health-url': `http://{private-ip}:${VERSION_PORT}/version`,
        'expected-version': '2.0.0',
        'unhealthy-grace': '0',
        ...fast,
      },
    });

    if (r.outputs.status !== 'rolled-back') console.log(r.log);
    expect(r.exitCode).toBe(1);
    expect(r.outputs.status).toBe('rolled-back');
    expect(results(r.outputs).map((g) => [g.group, g.status, g.httpOk === g.desired])).toEqual([
      ['stale-code', 'rolled-back', false],
      ['fresh-code', 'healthy', true],
    ]);
    expect(new Set(await instanceAmis('fresh-code'))).toEqual(new Set([v2]));
    expect((await group('stale-code')).LaunchTemplate?.Version).toBe('1');
    expect(new Set(await instanceAmis('stale-code'))).toEqual(new Set([v1]));
    const refresh = await asg.send(
      new DescribeInstanceRefreshesCommand({
        AutoScalingGroupName: 'stale-code',
        InstanceRefreshIds: [x.record.refreshId!],
      }),
    );
    expect(refresh.InstanceRefreshes?.[0]?.Status).toBe('RollbackSuccessful');
    expect(r.errors.join('\n')).toMatch(
      /stale-code: rolled-back: .*health-url: i-\w+ serves "1\.0\.0-stale", not 2\.0\.0.*; rolled back: group back on launch template version 1/,
    );
  });

  it('a third of Auto Scaling calls throttled does not change the outcome, and the request rate stays within budget', async () => {
    const [v1, v2] = [image('1.0.0'), image('2.0.0')];
    const rolls = [
      await rollout('throttled-a', v1, v2),
      await rollout('throttled-b', v1, v2),
      await rollout('throttled-c', v1, v2),
    ];
    const since = lc.logs.calls.query({}).at(-1)?.seq ?? 0;
    lc.faults.add({ service: 'autoscaling', kind: 'throttle', rate: 1 / 3 });
    const budget = 4;
    let r;
    try {
      r = await runActionStep('wait-healthy', {
        env: env(),
        inputs: {
          refreshes: JSON.stringify(rolls.map((x) => x.record)),
          ...fast,
          'max-requests-per-second': String(budget),
        },
      });
    } finally {
      lc.faults.clear();
    }
    // Taken before the assertions below make calls of their own.
    const calls = lc.logs.calls.query({ service: 'autoscaling', since });

    expect(r.exitCode).toBe(0);
    expect(r.outputs.status).toBe('healthy');
    for (const x of rolls) expect(new Set(await instanceAmis(x.name))).toEqual(new Set([v2]));
    const throttled = calls.filter((c) => c.errorCode === 'Throttling').length;
    expect(throttled).toBeGreaterThan(0);
    expect(r.log).toContain('Rate exceeded');
    // Every request on the wire, SDK retries included, is spaced by the budget: no one-second
    // window holds more than the budget (+1 for arrival jitter at a window's edge).
    const times = calls.map((c) => c.ts);
    const worst = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1000).length));
    expect(worst).toBeLessThanOrEqual(budget + 1);
    // No check of single gaps: arrival times shift with the machine's load (the server runs in
    // this process); the gate's spacing itself is unit-tested on a fake clock (budget.test.ts).
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    console.log(
      `wait-healthy throttle e2e: ${calls.length} Auto Scaling calls, ${throttled} throttled, busiest second ${worst}, closest two ${Math.min(...gaps)} ms apart (budget ${budget}/s)`,
    );
  });
});
