// Rolling 1, 10 and 50 groups (one region) and 500 (five regions) onto a new AMI: roll-asg, then
// wait-healthy on its `refreshes`.
// Figures: wall time (roll-asg spawn → wait-healthy exit) over the slowest single group's refresh
// as localcloud timed it; the peak Auto Scaling request rate of the busiest region against
// wait-healthy's budget (per region); the AWS calls per group; and the
// detection lag from a refresh ending in localcloud to wait-healthy reporting that group healthy.
//
// Time runs COMPRESSION× faster than AWS: boot and health checks take 1/COMPRESSION of the realistic
// 30 s, an API second (InstanceWarmup) lasts 1000/COMPRESSION ms, and wait-healthy's defaults (polls
// every 15–60 s, 2 requests/s) are compressed alike, so every ratio is the one AWS time would give.
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { seedGroup } from '../test/localcloud/aws/autoscaling-seed.js';
import { asgRegionOf } from '../test/localcloud/aws/autoscaling-platform.js';
import { seedImage } from '../test/localcloud/seed.js';
import { EventBridgeRule, REFRESH_EVENT_TYPES } from '../test/localcloud/sqs-events-support.js';
import { CREDENTIALS, startCloud, until, type BenchCloud } from './cloud.js';
import { groupsReady } from './fleet.js';
import { median, ratio, type BenchOptions, type Figure, type Section } from './report.js';
import { firstError, runStep } from './steps.js';

const REGION = 'us-east-1';
const REGIONS = ['us-east-1', 'eu-west-1', 'us-west-2', 'ap-southeast-2', 'eu-central-1'];
const DESIRED = 2;
const BUDGET_RPS = 2;
/** wait-healthy's poll-interval default, in AWS time. */
const POLL_S = 15;

const timesIn = (calls: { region: string; ts: number }[], region: string) =>
  calls.filter((x) => x.region === region).map((x) => x.ts);

/** localcloud's durations at `compression` × AWS speed (AWS seconds as localcloud times them). */
export function durations(compression: number) {
  const ms = (s: number) => Math.round((s * 1000) / compression);
  return {
    instanceBoot: ms(30),
    healthCheckDelay: ms(30),
    instanceTerminate: ms(30),
    instanceStop: ms(20),
    apiSecond: ms(1),
  };
}

/**
 * The highest rate over any closed `windowMs` window: (requests − 1) ÷ window, so requests spaced
 * exactly at the budget's pace measure exactly the budget whatever the window's alignment.
 */
export function peakRate(times: number[], windowMs: number): number {
  const t = [...times].sort((a, b) => a - b);
  let most = 1;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i]! - t[j]! > windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return ((most - 1) * 1000) / windowMs;
}

interface RollCase {
  groups: number;
  regions: number;
  /** Run at this compression instead of the section's (1: AWS time, uncompressed). */
  compression?: number;
}

/** Seeds the groups (evenly over the regions) and an SSM parameter naming each region's new AMI. */
async function seed(
  cloud: BenchCloud,
  c: RollCase,
  tag: string,
): Promise<{ names: Map<string, string[]>; ami: string }> {
  const names = new Map<string, string[]>();
  let ami = '';
  const perRegion = c.groups / c.regions;
  for (const regionName of REGIONS.slice(0, c.regions)) {
    const region = cloud.lc.world.region(regionName);
    const oldAmi = seedImage(region, { name: `${tag}-v1`, version: '1.0.0' }).imageId;
    const newAmi = seedImage(region, { name: `${tag}-v2`, version: '2.0.0' }).imageId;
    ami ||= newAmi;
    // Several regions: each region's AMI through ami-parameter (one region passes ami-id).
    if (c.regions > 1)
      await cloud
        .ssm(regionName)
        .send(new PutParameterCommand({ Name: `/golden-ami/${tag}`, Value: newAmi, Type: 'String' }));
    const list = Array.from({ length: perRegion }, (_, i) => `${tag}-g${String(i).padStart(3, '0')}`);
    for (const name of list)
      seedGroup(cloud.lc.world, regionName, {
        name,
        imageId: oldAmi,
        desired: DESIRED,
        tags: { Bench: tag },
        consent: `/golden-ami/${tag}`,
      });
    names.set(regionName, list);
  }
  await until(
    `${c.groups} groups in service`,
    () => ([...names].every(([r, n]) => groupsReady(cloud, r, n, DESIRED)) ? true : undefined),
    300_000,
    250,
  );
  return { names, ami };
}

/** One environment variable holds at most 128 KiB on Linux, a runner's inputs included. */
const MAX_INPUT = 128 * 1024;

/**
 * What wait-healthy watches: roll-asg's `refreshes`, or — when they are too long for one input
 * (500 groups' records are) — the same groups by tag in the same regions, newest refresh each.
 */
function watched(refreshes: string, tag: string, regions: string[]): Record<string, string> {
  // The limit is on the whole `INPUT_REFRESHES=<value>` string, NUL included.
  const bytes = Buffer.byteLength(`INPUT_REFRESHES=${refreshes}`) + 1;
  if (bytes <= MAX_INPUT) return { refreshes };
  console.log(`  refreshes is ${bytes} bytes, over one input's ${MAX_INPUT}: watching by asg-tags`);
  return { 'asg-tags': `Bench=${tag}`, regions: regions.join(',') };
}

async function rollOnce(
  cloud: BenchCloud,
  c: RollCase,
  compression: number,
  opts: BenchOptions,
): Promise<Figure[]> {
  const { groups } = c;
  const tag = `roll-${groups}`;
  const { names, ami } = await seed(cloud, c, tag);
  const home = REGIONS[0]!;

  const sec = (s: number) => String(s / compression);
  const rollFrom = cloud.mark();
  const started = Date.now();
  const roll = await runStep(`roll ${groups} groups`, 'roll-asg', {
    env: cloud.env(home),
    inputs: {
      'asg-tags': `Bench=${tag}`,
      'consent-parameter': `/golden-ami/${tag}`,
      ...(c.regions > 1
        ? { 'ami-parameter': `/golden-ami/${tag}`, regions: [...names.keys()].join(',') }
        : { 'ami-id': ami }),
      'instance-warmup': '30',
    },
    // Its post step runs when the job ends, after wait-healthy: not part of roll + wait.
    post: false,
    timeoutMs: 900_000,
  });
  if (roll.exitCode !== 0) throw new Error(`roll-asg over ${groups} groups failed: ${firstError(roll)}`);
  const waitFrom = cloud.mark();
  if (process.env.BENCH_DEBUG) {
    const ops = new Map<string, number>();
    for (const x of cloud.lc.logs.calls.query({ since: rollFrom }))
      ops.set(x.operation, (ops.get(x.operation) ?? 0) + 1);
    console.log(`[roll-asg calls] ${[...ops].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  const waitStarted = Date.now();
  const wait = await runStep(`wait-healthy ${groups} groups`, 'wait-healthy', {
    env: cloud.env(home),
    inputs: {
      ...watched(roll.outputs.refreshes ?? '[]', tag, [...names.keys()]),
      'poll-interval': sec(POLL_S),
      'max-poll-interval': sec(60),
      'max-requests-per-second': String(BUDGET_RPS * compression),
    },
    timeoutMs: 1_800_000,
  });
  const wallMs = Date.now() - started;
  if (wait.exitCode !== 0 || wait.outputs.status !== 'healthy')
    throw new Error(`wait-healthy over ${groups} groups ended ${wait.outputs.status}: ${firstError(wait)}`);

  const refreshes = [...names].flatMap(([r, list]) => {
    const asg = asgRegionOf(cloud.lc.world.region(r));
    return list.map((n) => ({ region: r, ...asg.refreshesOf(n).at(-1)! }));
  });
  if (refreshes.some((r) => r.status !== 'Successful' || r.endTime === undefined))
    throw new Error(`not every refresh of ${tag} ended Successful`);
  const slowestMs = Math.max(...refreshes.map((r) => r.endTime! - r.startTime));
  // Where the time beyond the slowest refresh goes: refreshes starting over roll-asg's start phase,
  // and wait-healthy's tail after the last refresh ended.
  const startSpreadMs =
    Math.max(...refreshes.map((r) => r.startTime)) - Math.min(...refreshes.map((r) => r.startTime));
  const tailMs = started + wallMs - Math.max(...refreshes.map((r) => r.endTime!));
  const endOf = new Map(refreshes.map((r) => [`${r.region}/${r.groupName}`, r.endTime!]));
  const results = JSON.parse(wait.outputs.results ?? '[]') as Array<{
    region: string;
    group: string;
    endedAt: string;
  }>;
  const lags = results.map((r) => Date.parse(r.endedAt) - endOf.get(`${r.region}/${r.group}`)!);
  const asgCalls = cloud.lc.logs.calls.query({ service: 'autoscaling', since: waitFrom });
  // The budget is per region: the busiest region's busiest window.
  const peak = Math.max(...[...names.keys()].map((r) => peakRate(timesIn(asgCalls, r), 1000))) / compression;
  const busiest = Math.max(...[...names.keys()].map((r) => timesIn(asgCalls, r).length));
  const span = (asgCalls.at(-1)!.ts - asgCalls[0]!.ts || 1) / 1000;
  const mean = busiest / span / compression;
  const perGroup = (op: string) =>
    Math.round((asgCalls.filter((x) => x.operation === op).length / groups) * 10) / 10;
  opts.log(
    `  roll ${groups}: wall ${wallMs} ms (roll-asg ${waitStarted - started} ms), slowest refresh ${slowestMs} ms, ${asgCalls.length} Auto Scaling calls while waiting, lags ${lags.join(', ')} ms`,
  );
  // Process start-up (spawn → first request) is real time, not compressed: it counts once in AWS time.
  const firstCall = (since: number) => cloud.lc.logs.calls.query({ since })[0]!.ts;
  const startupMs = firstCall(rollFrom) - started + (firstCall(waitFrom) - waitStarted);
  const wallAwsMs = (wallMs - startupMs) * compression + startupMs;
  const slowestAwsMs = slowestMs * compression;
  const where = c.regions > 1 ? ` in ${c.regions} regions` : '';
  const scope = `${groups} group${groups === 1 ? '' : 's'}${where} × ${DESIRED} instances`;
  const aws = (ms: number) => Math.round((ms * compression) / 100) / 10;
  return [
    {
      metric: `${scope}: wall time over the slowest group's refresh`,
      ours: ratio(wallAwsMs, slowestAwsMs),
      note: `${Math.round(wallAwsMs / 100) / 10} s vs ${Math.round(slowestAwsMs / 100) / 10} s in AWS time (two process start-ups, ${startupMs} ms, counted once); compressed as run: ${ratio(wallMs, slowestMs)}; roll-asg ${aws(waitStarted - started)} s, its refreshes starting over ${aws(startSpreadMs)} s; last refresh end → wait-healthy exit ${aws(tailMs)} s`,
      target: '≤ 1.1',
      met: wallAwsMs / slowestAwsMs <= 1.1,
    },
    {
      metric: `${scope}: peak Auto Scaling requests/s while waiting (AWS time)`,
      ours: Math.round(peak * 100) / 100,
      peer: BUDGET_RPS,
      peerName: 'budget, max-requests-per-second',
      ratio: ratio(peak, BUDGET_RPS),
      note: `busiest ${compression} s window${c.regions > 1 ? ' of the busiest region' : ''}; mean ${Math.round(mean * 100) / 100}/s`,
      target: '≤ budget',
      met: peak <= BUDGET_RPS,
    },
    {
      metric: `${scope}: detection lag, refresh end → wait-healthy reports it (AWS time)`,
      ours: aws(median(lags)),
      unit: 's',
      note: `median; max ${aws(Math.max(...lags))} s`,
      target: `≤ ${POLL_S} s (one poll interval)`,
      met: median(lags) * compression <= POLL_S * 1000,
    },
    {
      metric: `${scope}: Auto Scaling calls per group while waiting`,
      ours: Math.round((asgCalls.length / groups) * 10) / 10,
      note: `DescribeInstanceRefreshes ${perGroup('DescribeInstanceRefreshes')}, DescribeAutoScalingGroups ${perGroup('DescribeAutoScalingGroups')}`,
    },
  ];
}

export async function roll(opts: BenchOptions): Promise<Omit<Section, 'ms'>> {
  const cases: RollCase[] = opts.quick
    ? [{ groups: 10, regions: 1 }]
    : [
        { groups: 1, regions: 1 },
        { groups: 10, regions: 1 },
        { groups: 50, regions: 1 },
        // Uncompressed: roll-asg's own CPU at 500 groups (some seconds of parsing 2,000 answers) is
        // real time, which compression would count 6×; at AWS speed it counts once, as on AWS.
        { groups: 500, regions: 5, compression: 1 },
      ];
  // ROLL_GROUPS=500 runs only the cases of those sizes (for working on one of them).
  const only = process.env.ROLL_GROUPS?.split(',').map(Number);
  const compression = opts.quick ? 12 : 6;
  const figures: Figure[] = [];
  for (const c of cases.filter((x) => !only || only.includes(x.groups))) {
    const k = c.compression ?? compression;
    const cloud = await startCloud({ seed: opts.seed, durations: durations(k) });
    try {
      figures.push(...(await rollOnce(cloud, c, k, opts)));
    } finally {
      await cloud.stop();
    }
  }
  return {
    name: `roll-asg + wait-healthy (time ${compression}× compressed; 500 groups at AWS speed)`,
    figures,
  };
}

// ─── events vs polling (issue 19, events-queue-url) ─────────────────────────────────────────────
// The same rollout waited for twice, in two localclouds with the same seed: wait-healthy polling as
// above, and wait-healthy long-polling an SQS queue that the README's EventBridge rule fills with
// the instance refresh events. Figures: detection lag and Auto Scaling calls per group. The events
// arrive in real time (not compressed); lags are converted to AWS time like the rest, which
// overstates the events run's lag, never understates it.

interface WaitCost {
  lagsMs: number[];
  describesPerGroup: number;
  asgCallsPerGroup: number;
  receives: number;
}

async function waitCost(
  groups: number,
  compression: number,
  opts: BenchOptions,
  withEvents: boolean,
): Promise<WaitCost> {
  const cloud = await startCloud({ seed: opts.seed, durations: durations(compression) });
  const sqs = new SQSClient({ region: REGION, endpoint: cloud.url, credentials: CREDENTIALS });
  try {
    const events: Record<string, string> = {};
    if (withEvents) {
      const name = 'golden-ami-refresh-events-bench';
      events['events-queue-url'] = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
      await new EventBridgeRule(cloud.lc, REGION).put(
        'golden-ami-refresh-events',
        { source: ['aws.autoscaling'], 'detail-type': REFRESH_EVENT_TYPES },
        `arn:aws:sqs:${REGION}:000000000000:${name}`,
      );
    }
    const region = cloud.lc.world.region(REGION);
    const tag = `events-${withEvents ? 'on' : 'off'}-${groups}`;
    const [oldAmi, newAmi] = ['1.0.0', '2.0.0'].map(
      (version) => seedImage(region, { name: `${tag}-${version}`, version }).imageId,
    );
    const names = Array.from({ length: groups }, (_, i) => `${tag}-g${i}`);
    for (const n of names)
      seedGroup(cloud.lc.world, REGION, {
        name: n,
        imageId: oldAmi!,
        desired: DESIRED,
        tags: { Bench: tag },
      });
    await until('groups in service', () => (groupsReady(cloud, REGION, names, DESIRED) ? true : undefined));
    const roll = await runStep(`roll ${tag}`, 'roll-asg', {
      env: cloud.env(REGION),
      inputs: { 'asg-names': names.join(','), 'ami-id': newAmi!, 'instance-warmup': '30' },
    });
    if (roll.exitCode !== 0) throw new Error(`roll-asg ${tag} failed: ${firstError(roll)}`);
    const from = cloud.mark();
    const sec = (s: number) => String(s / compression);
    const wait = await runStep(`wait-healthy ${tag}`, 'wait-healthy', {
      env: cloud.env(REGION),
      inputs: {
        refreshes: roll.outputs.refreshes ?? '[]',
        'poll-interval': sec(15),
        'max-poll-interval': sec(60),
        'max-requests-per-second': String(BUDGET_RPS * compression),
        ...events,
      },
      timeoutMs: 600_000,
    });
    if (wait.outputs.status !== 'healthy') throw new Error(`wait-healthy ${tag}: ${firstError(wait)}`);
    const asg = asgRegionOf(region);
    const endOf = new Map(names.map((n) => [n, asg.refreshesOf(n).at(-1)!.endTime!]));
    const results = JSON.parse(wait.outputs.results ?? '[]') as Array<{ group: string; endedAt: string }>;
    const calls = cloud.lc.logs.calls.query({ service: 'autoscaling', since: from });
    return {
      lagsMs: results.map((r) => (Date.parse(r.endedAt) - endOf.get(r.group)!) * compression),
      describesPerGroup: calls.filter((c) => c.operation === 'DescribeInstanceRefreshes').length / groups,
      asgCallsPerGroup: calls.length / groups,
      receives: cloud.lc.logs.calls.query({ service: 'sqs', operation: 'ReceiveMessage', since: from })
        .length,
    };
  } finally {
    sqs.destroy();
    await cloud.stop();
  }
}

export async function rollEvents(opts: BenchOptions): Promise<Omit<Section, 'ms'>> {
  const sizes = opts.quick ? [10] : [1, 10];
  const compression = opts.quick ? 12 : 6;
  const figures: Figure[] = [];
  const round = (n: number) => Math.round(n * 10) / 10;
  for (const groups of sizes) {
    const polling = await waitCost(groups, compression, opts, false);
    const events = await waitCost(groups, compression, opts, true);
    const scope = `${groups} group${groups === 1 ? '' : 's'} × ${DESIRED} instances`;
    opts.log(
      `  ${scope}: lags polling ${polling.lagsMs.join(', ')} / events ${events.lagsMs.join(', ')} ms (AWS time); ` +
        `DescribeInstanceRefreshes per group ${polling.describesPerGroup} / ${events.describesPerGroup}; ` +
        `${events.receives} ReceiveMessage`,
    );
    const lag = (c: WaitCost) => round(median(c.lagsMs) / 1000);
    figures.push(
      {
        metric: `${scope}: detection lag, refresh end → reported (AWS time)`,
        ours: lag(events),
        peer: lag(polling),
        peerName: 'polling',
        unit: 's',
        ratio: ratio(median(events.lagsMs), median(polling.lagsMs)),
        note: `median; max ${round(Math.max(...events.lagsMs) / 1000)} s with events, ${round(Math.max(...polling.lagsMs) / 1000)} s polling`,
      },
      {
        metric: `${scope}: DescribeInstanceRefreshes per group`,
        ours: round(events.describesPerGroup),
        peer: round(polling.describesPerGroup),
        peerName: 'polling',
        ratio: ratio(events.describesPerGroup, polling.describesPerGroup),
        note: `all Auto Scaling calls per group: ${round(events.asgCallsPerGroup)} vs ${round(polling.asgCallsPerGroup)}; ${events.receives} SQS long polls`,
      },
    );
  }
  return { name: `wait-healthy: events-queue-url vs polling (time ${compression}× compressed)`, figures };
}
// ─── end of events vs polling ───────────────────────────────────────────────────────────────────
