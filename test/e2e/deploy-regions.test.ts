// deploy-ami across regions (issue 29), through its dist/ bundles against localcloud: a fleet in
// three regions, each with its own parameter and label, deployed from bake-ami's `amis` as one
// transaction. An unhealthy AMI in the third region leaves all three as before (diffed with every
// observable); healthy AMIs move all three labels, only once every region is proven; with
// region-waves the second wave starts only once the first is proven (both read from the call log).
import { AutoScalingClient, DescribeInstanceRefreshesCommand } from '@aws-sdk/client-auto-scaling';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { localcloudEnv, runActionStep } from '../harness/run-action.js';
import type { Localcloud } from '../localcloud/index.js';
import {
  credentials,
  diffAll,
  ENV,
  estate,
  fleetAmis,
  GROUPS,
  observeAll,
  PARAM,
  REGIONS,
  story,
  type Images,
} from './regions-estate.js';

jest.setTimeout(300_000);

describe('deploy-ami across three regions', () => {
  let lc: Localcloud;
  let images: Images;
  let deploy: Awaited<ReturnType<typeof estate>>['deploy'];
  let amisOf: Awaited<ReturnType<typeof estate>>['amisOf'];

  beforeAll(async () => {
    ({ lc, images, deploy, amisOf } = await estate(29));
  });
  afterAll(async () => {
    await lc.stop();
  });

  test('bad amis and region-waves are refused naming the input and what is accepted, with no call that changes anything', async () => {
    const before = lc.logs.mutations.query().at(-1)?.seq ?? 0;
    const bad = await deploy({ amis: 'us-east-1=ami-nope' });
    expect(bad.exitCode).toBe(1);
    expect(bad.outputs.status).toBe('refused');
    expect(bad.errors.join('\n')).toMatch(/amis: .*is not an AMI id; expected bake-ami's `amis` output/);
    const both = await deploy({ 'ami-id': images['us-east-1'].good, amis: amisOf((i) => i.good) });
    expect(both.exitCode).toBe(1);
    expect(both.errors.join('\n')).toContain('ami-id and amis: give only one of ami-id, amis');
    const waves = await deploy({
      amis: amisOf((i) => i.good),
      'region-waves': 'us-east-1\nus-west-2,eu-west-1',
    });
    expect(waves.exitCode).toBe(1);
    expect(waves.errors.join('\n')).toContain('region-waves: us-west-2 is not a region of amis');
    expect(waves.errors.join('\n')).toContain('region-waves: ap-southeast-2 of amis is in no wave');
    const none = await deploy({ 'region-waves': 'us-east-1' });
    expect(none.errors.join('\n')).toContain('one of ami-id, amis is required');
    expect(none.errors.join('\n')).toContain('region-waves: needs amis as well');
    expect(lc.logs.mutations.query({ since: before })).toEqual([]);
  });

  test("the third region's AMI unhealthy: all three regions as before, status rolled-back", async () => {
    const before = await observeAll(lc);
    const since = lc.logs.mutations.query().at(-1)?.seq ?? 0;
    // bake-ami's `amis` output as is: a JSON object region -> AMI id.
    const r = await deploy({ amis: amisOf((i, region) => (region === 'ap-southeast-2' ? i.bad : i.good)) });
    expect(`${r.outputs.status}\n${story(r)}`).toMatch(/^rolled-back\n/);
    expect(r.exitCode).toBe(1);
    // Every region was changed (so the put-back had something to do in each), and is back.
    const changed = new Set(
      lc.logs.mutations.query({ since, operation: 'StartInstanceRefresh' }).map((m) => m.region),
    );
    expect([...changed].sort()).toEqual([...REGIONS].sort());
    const after = await observeAll(lc, true);
    expect(diffAll(before, after)).toEqual([]);
    for (const region of REGIONS) expect(fleetAmis(after[region])).toEqual([images[region].base]);
    expect(r.errors[0]).toMatch(/^production in ap-southeast-2: /);
    expect(r.errors[0]).toMatch(
      /production in us-east-1: put back, since production in ap-southeast-2 did not end healthy/,
    );
    const regions = JSON.parse(r.outputs.regions!) as { region: string; status: string }[];
    expect(regions.map((x) => x.status)).toEqual(['rolled-back', 'rolled-back', 'rolled-back']);
    // No label moved in any region: they are recorded only once every region is proven.
    expect(lc.logs.mutations.query({ since, operation: 'LabelParameterVersion' })).toEqual([]);
    expect(r.summary).toContain('3 regions to production: rolled-back');
    expect(r.post?.log).toMatch(/main step put back everything/);
  });

  test('healthy AMIs: every region on its AMI, and the three labels move only after every region is proven', async () => {
    const since = lc.logs.calls.query().at(-1)?.seq ?? 0;
    const r = await deploy({ amis: REGIONS.map((region) => `${region}=${images[region].good}`).join('\n') });
    // The run's calls (the post step's included), not the readings below.
    const calls = lc.logs.calls.query({ since });
    expect(`${r.outputs.status}\n${story(r)}`).toMatch(/^healthy\n/);
    const after = await observeAll(lc, true);
    for (const region of REGIONS) {
      expect(fleetAmis(after[region])).toEqual([images[region].good]);
      expect(after[region].parameters[PARAM]?.labels[ENV]?.value).toBe(images[region].good);
      // The $Latest group follows $Latest again.
      expect(after[region].groups[`${region}/api`]?.source).toMatchObject({
        LaunchTemplate: { Version: '$Latest' },
      });
    }
    const labels = calls.filter((c) => c.operation === 'LabelParameterVersion' && c.status === 200);
    expect(labels.map((c) => c.region).sort()).toEqual([...REGIONS].sort());
    // The proof of each region is the wait polling its refreshes until Successful: its last poll.
    const lastProof = Math.max(
      ...REGIONS.map((region) =>
        Math.max(
          ...calls
            .filter((c) => c.region === region && c.operation === 'DescribeInstanceRefreshes')
            .map((c) => c.seq),
        ),
      ),
    );
    expect(Math.min(...labels.map((c) => c.seq))).toBeGreaterThan(lastProof);
    await expectRefreshesSuccessful(lc, JSON.parse(r.outputs.refreshes!) as Refresh[]);
    const regions = JSON.parse(r.outputs.regions!) as {
      region: string;
      status: string;
      'previous-ami-id': string;
    }[];
    expect(regions).toEqual(
      REGIONS.map((region) =>
        expect.objectContaining({ region, status: 'healthy', 'previous-ami-id': images[region].base }),
      ),
    );
    expect(JSON.parse(r.outputs['previous-ami-id']!)).toEqual(
      Object.fromEntries(REGIONS.map((region) => [region, images[region].base])),
    );
    expect(r.outputs.changed).toBe('true');
  });

  test('region-waves, the second wave failing: the first wave, already proven, is put back too', async () => {
    const before = await observeAll(lc);
    const since = lc.logs.mutations.query().at(-1)?.seq ?? 0;
    const r = await deploy({
      amis: amisOf((i, region) => (region === 'ap-southeast-2' ? i.bad : i.newer)),
      'region-waves': 'us-east-1\neu-west-1,ap-southeast-2',
    });
    expect(`${r.outputs.status}\n${story(r)}`).toMatch(/^rolled-back\n/);
    // The first wave was proven healthy (its own refreshes ended Successful) before the second started.
    expect(r.log).toMatch(/Wave 1 proven healthy: us-east-1/);
    const started = lc.logs.mutations.query({ since, operation: 'StartInstanceRefresh' });
    expect([...new Set(started.map((m) => m.region))].sort()).toEqual([...REGIONS].sort());
    expect(diffAll(before, await observeAll(lc, true))).toEqual([]);
    expect(lc.logs.mutations.query({ since, operation: 'LabelParameterVersion' })).toEqual([]);
  });

  test('region-waves: the second wave refreshes only after the first wave is proven', async () => {
    const since = lc.logs.calls.query().at(-1)?.seq ?? 0;
    const r = await deploy({
      amis: amisOf((i) => i.newer),
      'region-waves': 'us-east-1\neu-west-1,ap-southeast-2',
    });
    expect(`${r.outputs.status}\n${story(r)}`).toMatch(/^healthy\n/);
    const calls = lc.logs.calls.query({ since });
    const proofOfWave1 = Math.max(
      ...calls
        .filter((c) => c.region === 'us-east-1' && c.operation === 'DescribeInstanceRefreshes')
        .map((c) => c.seq),
    );
    const wave2Changes = calls.filter(
      (c) => c.region !== 'us-east-1' && /^(Create|Start|Update|Put|Label)/.test(c.operation),
    );
    const wave2Starts = wave2Changes.filter((c) => c.operation === 'StartInstanceRefresh');
    expect(wave2Starts.map((c) => c.region).sort()).toEqual([
      'ap-southeast-2',
      'ap-southeast-2',
      'eu-west-1',
      'eu-west-1',
    ]);
    // Nothing in the second wave's regions changed before the first wave was proven.
    expect(Math.min(...wave2Changes.map((c) => c.seq))).toBeGreaterThan(proofOfWave1);
    // The first wave's refreshes had started (and ended) before.
    const wave1Starts = calls.filter(
      (c) => c.region === 'us-east-1' && c.operation === 'StartInstanceRefresh',
    );
    expect(wave1Starts).toHaveLength(2);
    await expectRefreshesSuccessful(lc, JSON.parse(r.outputs.refreshes!) as Refresh[]);
    const after = await observeAll(lc, true);
    for (const region of REGIONS) expect(fleetAmis(after[region])).toEqual([images[region].newer]);
    expect(r.summary).toMatch(/Waves: 1\. us-east-1 → 2\. eu-west-1, ap-southeast-2/);
  });

  /** A healthy deploy across regions, ended by the runner once a region was proving. */
  async function endedMidRefresh(firstSignal?: 'SIGKILL') {
    const before = await observeAll(lc);
    const since = lc.logs.mutations.query().at(-1)?.seq ?? 0;
    const r = await runActionStep('deploy-ami', {
      inputs: {
        environment: ENV,
        'parameter-name': PARAM,
        amis: amisOf((i) => i.good),
        'allow-older': true,
        'poll-interval': '0.3',
        'max-poll-interval': '1',
        timeout: '3m',
      },
      env: localcloudEnv(lc.url, 'us-east-1'),
      cancel: { whenOutput: /Prove production in/, ...(firstSignal ? { firstSignal } : {}) },
      timeoutMs: 240_000,
    });
    // Ended once a region was proving: refreshes had started.
    expect(lc.logs.mutations.query({ since, operation: 'StartInstanceRefresh' }).length).toBeGreaterThan(0);
    expect({ post: r.post?.exitCode, log: r.post?.log.slice(-3000) }).toMatchObject({ post: 0 });
    expect(r.post?.log).toMatch(/did not finish: putting back/);
    expect(diffAll(before, await observeAll(lc, true))).toEqual([]);
    return r;
  }

  test('cancelled mid-refresh (SIGINT): every region stops and the post step finishes putting each back', async () => {
    const r = await endedMidRefresh();
    expect(r.exitCode === 0).toBe(false);
  });

  test('killed outright mid-refresh: the post step puts every region back', async () => {
    const r = await endedMidRefresh('SIGKILL');
    expect(r.killedBy).toBe('SIGKILL');
  });
});

type Refresh = { region: string; group: string; refreshId: string };

/** Every refresh the run started ended Successful (the proof the labels waited for). */
async function expectRefreshesSuccessful(lc: Localcloud, refreshes: Refresh[]): Promise<void> {
  expect(refreshes).toHaveLength(REGIONS.length * GROUPS.length);
  for (const x of refreshes) {
    const asg = new AutoScalingClient({ region: x.region, endpoint: lc.url, credentials });
    try {
      const out = await asg.send(
        new DescribeInstanceRefreshesCommand({
          AutoScalingGroupName: x.group,
          InstanceRefreshIds: [x.refreshId],
        }),
      );
      expect(`${x.region}/${x.group} ${out.InstanceRefreshes?.[0]?.Status}`).toBe(
        `${x.region}/${x.group} Successful`,
      );
    } finally {
      asg.destroy();
    }
  }
}
