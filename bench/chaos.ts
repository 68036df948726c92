// The release pipeline under a bad day at AWS: bake-ami → promote-ami-parameter → roll-asg with
// wait, each step run as the runner runs it, with 20 % throttling, 5 % 5xx and added latency on
// every API call of every service, over seeded runs (one fresh localcloud each). Every run must end
// correct: the new AMI everywhere, or a clean failure (a step failed with an error, no builder or
// pending image left, no refresh still running, no group on a mix of AMIs).
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { seedGroup } from '../test/localcloud/aws/autoscaling-seed.js';
import type { ActionRun } from '../test/harness/run-action.js';
import { seedImage } from '../test/localcloud/seed.js';
import { startCloud, until, type BenchCloud } from './cloud.js';
import { groupAmis, groupsReady, lastRefresh } from './fleet.js';
import type { BenchOptions, Section } from './report.js';
import { firstError, runStep } from './steps.js';

const REGION = 'us-east-1';
const GROUP = 'web';
const DESIRED = 2;
const PARAMETER = '/golden-ami/web';
const LATENCY_MS = 25;
// Rules are checked in order and the first failure wins: 5 % of all calls get a 5xx, and 21 % of
// the rest a throttle, so 20 % of all calls are throttled.
const FAULTS = [
  { kind: 'error' as const, status: 500, rate: 0.05 },
  { kind: 'throttle' as const, rate: 0.2 / 0.95 },
  { kind: 'latency' as const, latencyMs: LATENCY_MS },
];
const CONCURRENCY = 4;
const ACTIVE = ['Pending', 'InProgress', 'Baking', 'Cancelling', 'RollbackInProgress'];

interface RunResult {
  deployed: boolean;
  correct: boolean;
  /** Why the run is not a clean success, or how it failed cleanly. */
  story: string;
  faults: number;
  leakedBuilders: number;
  pendingImages: number;
  ms: number;
}

/** Builders (instances no Auto Scaling group owns) still alive, and images still pending. */
function leftovers(cloud: BenchCloud) {
  const r = cloud.lc.world.region(REGION).ec2;
  const builders = [...r.instances.values()].filter(
    (i) =>
      !['terminated', 'shutting-down'].includes(i.state) &&
      !i.tags.some((t) => t.Key === 'aws:autoscaling:groupName'),
  );
  const pending = [...r.images.values()].filter((i) => i.state === 'pending');
  return { builders: builders.length, pending: pending.length };
}

async function parameterValue(cloud: BenchCloud, selector: string): Promise<string | undefined> {
  const out = await cloud
    .ssm(REGION)
    .send(new GetParameterCommand({ Name: selector }))
    .catch(() => undefined);
  return out?.Parameter?.Value;
}

async function pipeline(
  cloud: BenchCloud,
  i: number,
): Promise<{ failed?: [string, ActionRun]; ami?: string }> {
  const env = cloud.env(REGION);
  const bake = await runStep(`chaos ${i}: bake`, 'bake-ami', {
    env,
    inputs: {
      name: 'web',
      'source-ami': 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
      'user-data': '#!/bin/bash\necho provisioning\nshutdown -h now',
      'poll-interval': '0.1',
    },
  });
  if (bake.exitCode !== 0) return { failed: ['bake-ami', bake] };
  const ami = bake.outputs['ami-id']!;
  const promote = await runStep(`chaos ${i}: promote`, 'promote-ami-parameter', {
    env,
    inputs: { 'parameter-name': PARAMETER, 'ami-id': ami, label: 'staging', 'poll-interval': '100ms' },
  });
  if (promote.exitCode !== 0) return { failed: ['promote-ami-parameter', promote], ami };
  const roll = await runStep(`chaos ${i}: roll`, 'roll-asg', {
    env,
    inputs: {
      'asg-names': GROUP,
      'ami-id': ami,
      wait: 'true',
      'instance-warmup': '0',
      'poll-interval': '0.2',
      'max-poll-interval': '1',
      timeout: '5m',
    },
  });
  if (roll.exitCode !== 0) return { failed: ['roll-asg', roll], ami };
  return { ami };
}

async function chaosRun(seed: number, i: number): Promise<RunResult> {
  const cloud = await startCloud({ seed });
  try {
    const oldAmi = seedImage(cloud.lc.world.region(REGION), { name: 'web-1.0.0', version: '1.0.0' }).imageId;
    seedGroup(cloud.lc.world, REGION, { name: GROUP, imageId: oldAmi, desired: DESIRED });
    await until('the group in service', () =>
      groupsReady(cloud, REGION, [GROUP], DESIRED) ? true : undefined,
    );
    for (const f of FAULTS) cloud.lc.faults.add(f);
    const since = cloud.mark();
    const started = Date.now();
    const { failed, ami } = await pipeline(cloud, i);
    const ms = Date.now() - started;
    const faults = cloud.lc.logs.calls
      .query({ since })
      .filter((c) => c.fault === 'throttle' || c.fault === 'error').length;
    // The verdict is read with the faults off.
    cloud.lc.faults.clear();
    const left = leftovers(cloud);
    const amis = groupAmis(cloud, REGION, GROUP);
    const refresh = lastRefresh(cloud, REGION, GROUP);
    const base = { faults, leakedBuilders: left.builders, pendingImages: left.pending, ms };
    if (!failed) {
      const problems: string[] = [];
      if ((await parameterValue(cloud, `${PARAMETER}:staging`)) !== ami)
        problems.push('parameter label not on the AMI');
      if ((await parameterValue(cloud, PARAMETER)) !== ami) problems.push('parameter does not hold the AMI');
      if (amis.length !== 1 || amis[0] !== ami) problems.push(`group runs ${amis.join(', ')}`);
      if (!groupsReady(cloud, REGION, [GROUP], DESIRED)) problems.push('group below capacity');
      if (refresh?.status !== 'Successful') problems.push(`refresh ${refresh?.status}`);
      if (left.builders || left.pending)
        problems.push(`${left.builders} builders, ${left.pending} pending images left`);
      return {
        ...base,
        deployed: problems.length === 0,
        correct: problems.length === 0,
        story: problems.join('; '),
      };
    }
    const [step, run] = failed;
    const problems: string[] = [];
    if (!run.errors.length) problems.push(`${step} failed without an error line`);
    if (left.builders || left.pending)
      problems.push(`${left.builders} builders, ${left.pending} pending images left`);
    if (refresh && ACTIVE.includes(refresh.status)) problems.push(`refresh still ${refresh.status}`);
    if (amis.length !== 1) problems.push(`group on a mix of AMIs: ${amis.join(', ')}`);
    const story = `${step} failed: ${firstError(run).slice(0, 200)}`;
    return {
      ...base,
      deployed: false,
      correct: problems.length === 0,
      story: problems.length ? `${story} — ${problems.join('; ')}` : story,
    };
  } finally {
    await cloud.stop();
  }
}

export async function chaos(opts: BenchOptions): Promise<Omit<Section, 'ms'>> {
  const runs = opts.quick ? 3 : 20;
  const results: RunResult[] = [];
  // Runs wait far more than they compute: a few at once keep the section short. Each has its own
  // localcloud, and nothing here is timed.
  let next = 0;
  const worker = async () => {
    while (next < runs) {
      const i = next++;
      const r = await chaosRun(opts.seed * 1000 + i, i);
      opts.log(
        `  chaos run ${i}: ${r.deployed ? 'deployed' : r.correct ? 'clean failure' : 'WRONG'} in ${r.ms} ms, ${r.faults} faults${r.story ? `: ${r.story}` : ''}`,
      );
      results[i] = r;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const correct = results.filter((r) => r.correct).length;
  const deployed = results.filter((r) => r.deployed).length;
  const cleanFailures = results.filter((r) => r.correct && !r.deployed);
  const sum = (f: (r: RunResult) => number) => results.reduce((n, r) => n + f(r), 0);
  const absorbed = sum((r) => (r.deployed ? r.faults : 0));
  return {
    name: `chaos: bake → promote → roll + wait, 20 % throttling, 5 % 5xx, +${LATENCY_MS} ms on every call`,
    figures: [
      {
        metric: `seeded runs that ended correct`,
        ours: `${correct}/${runs}`,
        target: 'all',
        met: correct === runs,
      },
      {
        metric: 'runs that deployed the new AMI everywhere',
        ours: `${deployed}/${runs}`,
        ...(cleanFailures.length
          ? {
              note: `clean failures: ${cleanFailures
                .map((r) => r.story)
                .join(' / ')
                .replace(/\|/g, '/')}`,
            }
          : {}),
      },
      {
        metric: 'faulted calls (throttles + 5xx) absorbed by retries in deployed runs',
        ours: absorbed,
        note: `${sum((r) => r.faults)} injected in all runs`,
      },
      {
        metric: 'builder instances leaked',
        ours: sum((r) => r.leakedBuilders),
        target: '0',
        met: sum((r) => r.leakedBuilders) === 0,
      },
      {
        metric: 'pending images leaked',
        ours: sum((r) => r.pendingImages),
        target: '0',
        met: sum((r) => r.pendingImages) === 0,
      },
    ],
  };
}
