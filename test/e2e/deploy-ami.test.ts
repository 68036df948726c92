// The root action through its dist/ bundle, as a workflow step runs it, against a localcloud fleet:
// plan, roll, prove healthy, record the label and then reap, for one environment in one step.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { localcloudEnv, runActionStep, type ActionRun } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { DEFAULT_API_KEY } from '../localcloud/octopus/auth.js';
import { baseImageId } from '../localcloud/seed.js';
import { REGION, seedFleet, type Fleet } from '../workflow/fleet.js';
import { groupAmis, parameterValue } from '../workflow/fleet-state.js';

jest.setTimeout(120_000);

describe('deploy-ami', () => {
  let lc: Localcloud;
  let fleet: Fleet;
  let run: ActionRun;
  let refused: ActionRun;
  let refusedMutations: string[];
  // Another public image than the one the groups run, so there is something to roll: Amazon's, which
  // this account did not bake, so only allow-foreign-ami lets it through.
  const target = baseImageId(REGION, 'al2023-ami-2023.6.20241111.0-kernel-6.1-x86_64');
  const inputs = {
    'ami-id': target,
    'parameter-name': '/golden-ami/web',
    environment: 'production',
    reap: true,
    'poll-interval': '0.3',
  };

  beforeAll(async () => {
    lc = await start({ port: 0, seed: 21 });
    fleet = await seedFleet(lc);
    const before = lc.logs.mutations.query().at(-1)?.seq ?? 0;
    const env = {
      ...localcloudEnv(lc.url, REGION),
      OCTOPUS_URL: `${lc.url}/octopus`,
      OCTOPUS_API_KEY: DEFAULT_API_KEY,
    };
    refused = await runActionStep('deploy-ami', { inputs, env });
    refusedMutations = lc.logs.mutations.query({ since: before }).map((m) => `${m.service} ${m.operation}`);
    run = await runActionStep('deploy-ami', {
      inputs: { ...inputs, 'allow-foreign-ami': true },
      env,
    });
  });
  afterAll(async () => {
    fleet.stop();
    await lc.stop();
  });

  test('a public AMI this account did not bake is refused before any change', () => {
    expect(refused.exitCode).toBe(1);
    expect(refused.outputs.status).toBe('refused');
    expect(refused.errors.join('\n')).toContain(
      `${target} in ${REGION} is not an AMI this pipeline baked: it is owned by an account not in allowed-owners (self); set allow-foreign-ami: true to record it anyway`,
    );
    expect(refusedMutations).toEqual([]);
  });

  test('with allow-foreign-ami the environment ends healthy on the AMI, recorded under its label, orphans reaped', async () => {
    expect(run.warnings.join('\n')).toContain('recording it because allow-foreign-ami is true');
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs.status).toBe('healthy');
    expect(run.outputs.changed).toBe('true');
    // Reaped after the fleet was healthy: the seeded orphan and the targets of the replaced instances.
    const deleted = lc.octopus.logs.mutations
      .filter((m) => m.operation === 'machines.delete')
      .map((m) => (m.params as { Name?: string }).Name ?? '');
    expect(run.outputs['reaped-count']).toBe(String(deleted.length));
    expect(deleted).toContain(fleet.orphans.production![0]);
    expect(deleted).not.toContain('legacy-production-box');
    const live = new Set(
      [...lc.world.region(REGION).ec2.instances.values()]
        .filter((i) => i.state === 'running')
        .map((i) => i.instanceId),
    );
    expect(deleted.filter((d) => live.has(d))).toEqual([]);
    expect(run.outputs['asg-names']!.split(',').sort()).toEqual(['api-production', 'web-production']);
    expect(JSON.parse(run.outputs.refreshes!)).toHaveLength(2);
    expect(await groupAmis(lc, 'web-production')).toEqual([target]);
    expect(await groupAmis(lc, 'api-production')).toEqual([target]);
    expect(await groupAmis(lc, 'web-staging')).toEqual([fleet.baseAmiId]);
    expect(await parameterValue(lc, '/golden-ami/web:production')).toBe(target);
    expect(run.summary).toContain('deploy-ami');
  });

  test('the same deployment again changes nothing and waits for nothing', async () => {
    const again = await runActionStep('deploy-ami', {
      inputs: {
        'ami-id': target,
        'parameter-name': '/golden-ami/web',
        environment: 'production',
        'allow-foreign-ami': true,
      },
      env: localcloudEnv(lc.url, REGION),
    });
    expect(again.exitCode).toBe(0);
    expect(again.outputs).toMatchObject({ changed: 'false', refreshes: '[]', status: 'healthy' });
  });

  test('bad inputs fail before any call, all named at once', async () => {
    const before = lc.logs.calls.query().length;
    const bad = await runActionStep('deploy-ami', {
      inputs: { 'ami-id': 'ami-nope', environment: 'production', reap: true },
      env: localcloudEnv(lc.url, REGION),
    });
    expect(bad.exitCode).toBe(1);
    expect(bad.errors.join('\n')).toMatch(/ami-id[\s\S]*parameter-name/);
    expect(lc.logs.calls.query().length).toBe(before);
  });
});
