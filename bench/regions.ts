// deploy-ami over three regions in two waves (issue 29): us-east-1, then eu-west-1 and
// ap-southeast-2 in parallel, from bake-ami-shaped `amis`.
// Figure: wall time (deploy-ami spawn → exit, plan and labels included) over the sum of each wave's
// slowest refresh as localcloud timed it, in AWS time (process start-up counted once; time runs
// COMPRESSION× faster than AWS, as in the roll section); and that the second wave started only
// after the first wave's last refresh ended.
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { asgRegionOf } from '../test/localcloud/aws/autoscaling-platform.js';
import { seedGroup } from '../test/localcloud/aws/autoscaling-seed.js';
import { seedImage } from '../test/localcloud/seed.js';
import { startCloud, until, type BenchCloud } from './cloud.js';
import { groupsReady } from './fleet.js';
import { ratio, type BenchOptions, type Figure, type Section } from './report.js';
import { firstError, runStep } from './steps.js';
import { durations as rollDurations } from './roll.js';

const WAVES = [['us-east-1'], ['eu-west-1', 'ap-southeast-2']];
const REGIONS = WAVES.flat();
const PARAM = '/golden-ami/regions';
const DESIRED = 2;
/** wait-healthy's poll-interval default, in AWS time. */
const POLL_S = 15;
const hour = 3_600_000;

/** roll's durations, and parameter validation for the regions' parameters. */
const durations = (compression: number) => ({
  ...rollDurations(compression),
  ssmValidation: Math.round(2000 / compression),
});

/** Per region: an old and a new AMI, the parameter on the old, `groups` groups on it, in service. */
async function seed(
  cloud: BenchCloud,
  groups: number,
): Promise<{ amis: Record<string, string>; names: string[] }> {
  const amis: Record<string, string> = {};
  const names = Array.from({ length: groups }, (_, i) => `regions-g${String(i).padStart(2, '0')}`);
  for (const regionName of REGIONS) {
    const region = cloud.lc.world.region(regionName);
    const now = cloud.lc.world.clock.now();
    const oldAmi = seedImage(region, { name: 'regions-v1', creationDate: now - hour }).imageId;
    amis[regionName] = seedImage(region, { name: 'regions-v2', creationDate: now }).imageId;
    await cloud
      .ssm(regionName)
      .send(
        new PutParameterCommand({ Name: PARAM, Value: oldAmi, Type: 'String', DataType: 'aws:ec2:image' }),
      );
    for (const name of names)
      seedGroup(cloud.lc.world, regionName, {
        name,
        imageId: oldAmi,
        desired: DESIRED,
        tags: { Environment: 'bench' },
        consent: PARAM,
      });
  }
  await until(
    `${groups} groups in service in ${REGIONS.length} regions`,
    () => (REGIONS.every((r) => groupsReady(cloud, r, names, DESIRED)) ? true : undefined),
    300_000,
    250,
  );
  return { amis, names };
}

export async function regions(opts: BenchOptions): Promise<Omit<Section, 'ms'>> {
  const compression = opts.quick ? 12 : 6;
  const groups = opts.quick ? 2 : 5;
  const cloud = await startCloud({ seed: opts.seed, durations: durations(compression) });
  try {
    const { amis, names } = await seed(cloud, groups);
    const sec = (s: number) => String(s / compression);
    const from = cloud.mark();
    const started = Date.now();
    const run = await runStep(`deploy-ami ${REGIONS.length} regions`, 'deploy-ami', {
      env: cloud.env(REGIONS[0]),
      inputs: {
        environment: 'bench',
        'parameter-name': PARAM,
        amis: JSON.stringify(amis),
        'region-waves': WAVES.map((w) => w.join(',')).join('\n'),
        'instance-warmup': '30',
        'poll-interval': sec(POLL_S),
        'max-poll-interval': sec(60),
      },
      timeoutMs: 1_800_000,
    });
    const wallMs = Date.now() - started;
    if (run.exitCode !== 0 || run.outputs.status !== 'healthy')
      throw new Error(
        `deploy-ami over ${REGIONS.length} regions ended ${run.outputs.status}: ${firstError(run)}`,
      );

    const refreshes = WAVES.map((wave) =>
      wave.flatMap((r) => {
        const asg = asgRegionOf(cloud.lc.world.region(r));
        return names.map((n) => ({ region: r, ...asg.refreshesOf(n).at(-1)! }));
      }),
    );
    if (refreshes.flat().some((r) => r.status !== 'Successful' || r.endTime === undefined))
      throw new Error('not every refresh of the regions deployment ended Successful');
    const slowest = refreshes.map((w) => Math.max(...w.map((r) => r.endTime! - r.startTime)));
    const sumMs = slowest.reduce((a, b) => a + b, 0);
    const firstWaveEnd = Math.max(...refreshes[0]!.map((r) => r.endTime!));
    const secondWaveStart = Math.min(...refreshes[1]!.map((r) => r.startTime));
    // Process start-up (spawn → first request) is real time, not compressed: it counts once in AWS time.
    const startupMs = cloud.lc.logs.calls.query({ since: from })[0]!.ts - started;
    const wallAwsMs = (wallMs - startupMs) * compression + startupMs;
    const sumAwsMs = sumMs * compression;
    const aws = (ms: number) => Math.round(ms / 100) / 10;
    opts.log(
      `  regions: wall ${wallMs} ms, slowest refresh per wave ${slowest.join(' + ')} ms, second wave started ${secondWaveStart - firstWaveEnd} ms after the first wave's last refresh ended`,
    );
    const scope = `${REGIONS.length} regions × ${groups} groups × ${DESIRED} instances in ${WAVES.length} waves`;
    const figures: Figure[] = [
      {
        metric: `${scope}: wall time over the sum of each wave's slowest refresh`,
        ours: ratio(wallAwsMs, sumAwsMs),
        note: `${aws(wallAwsMs)} s vs ${aws(sumAwsMs)} s in AWS time (plan, recording and start-up, ${startupMs} ms, included); compressed as run: ${ratio(wallMs, sumMs)}`,
        target: '≤ 1.1',
        met: wallAwsMs / sumAwsMs <= 1.1,
      },
      {
        metric: `${scope}: second wave's first refresh after the first wave's last refresh ended`,
        ours: aws((secondWaveStart - firstWaveEnd) * compression),
        unit: 's',
        note: 'AWS time; the first wave is proven before the second starts',
        target: '> 0',
        met: secondWaveStart > firstWaveEnd,
      },
    ];
    return { name: `deploy-ami across regions (time ${compression}× compressed)`, figures };
  } finally {
    await cloud.stop();
  }
}
