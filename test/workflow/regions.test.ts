// The workflows over a fleet in two regions (GOLDEN_AMI_COPY_REGIONS): nightly-bake.yml copies the
// AMI, labels it nightly in each region's parameter and deploys staging in both as one transaction;
// deploy.yml by parameter-label resolves the label in every region, so a deployment (or rollback)
// by label moves both regions, never only the bake region.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { start, type Localcloud } from '../localcloud/index.js';
import { REGION, seedFleet, seedGroups, type Fleet } from './fleet.js';
import { groupAmis, parameterValue } from './fleet-state.js';
import { pipelineOptions } from './pipeline-env.js';
import { runWorkflow } from './runner.js';
import type { JobRecord, RunnerOptions, WorkflowRun } from './types.js';

jest.setTimeout(180_000);

const COPY = 'eu-west-1';
const job = (run: WorkflowRun, key: string): JobRecord => {
  const j = run.jobs.find((x) => x.key === key);
  if (!j) throw new Error(`no job ${key} in ${run.jobs.map((x) => `${x.key}:${x.result}`).join(', ')}`);
  return j;
};
const failures = (run: WorkflowRun) =>
  run.jobs
    .filter((j) => j.result === 'failure')
    .map((j) => `${j.key}: ${j.error ?? ''} ${j.steps.flatMap((s) => s.errors).join(' | ')}`)
    .join('\n');

describe('a fleet in two regions', () => {
  let lc: Localcloud;
  let fleet: Fleet;
  let euBase = '';
  let amis: Record<string, string> = {};
  const options = (extra: Partial<RunnerOptions>) =>
    pipelineOptions(lc, { ...extra, vars: { GOLDEN_AMI_COPY_REGIONS: COPY, ...extra.vars } });

  beforeAll(async () => {
    lc = await start({ port: 0, seed: 13 });
    fleet = await seedFleet(lc);
    euBase = await seedGroups(lc, COPY, [
      { environment: 'staging', groupName: 'web-staging', desired: 2 },
      { environment: 'production', groupName: 'web-production', desired: 2 },
    ]);
  });
  afterAll(async () => {
    fleet.stop();
    await lc.stop();
  });

  test('nightly-bake.yml copies the AMI, labels it nightly in each region and deploys staging in both', async () => {
    const run = await runWorkflow(
      '.github/workflows/nightly-bake.yml',
      options({ event: { name: 'workflow_dispatch', inputs: { 'roll-staging': true } } }),
    );
    expect(failures(run)).toBe('');
    amis = JSON.parse(job(run, 'bake').outputs.amis ?? '{}') as Record<string, string>;
    expect(Object.keys(amis).sort()).toEqual([COPY, REGION].sort());
    for (const region of [REGION, COPY]) {
      expect(await parameterValue(lc, '/golden-ami/web:nightly', region)).toBe(amis[region]);
      expect(await groupAmis(lc, 'web-staging', region)).toEqual([amis[region]]);
      expect(await parameterValue(lc, '/golden-ami/web:staging', region)).toBe(amis[region]);
    }
    expect(job(run, 'staging').outputs.status).toBe('healthy');
    expect(await groupAmis(lc, 'web-production', COPY)).toEqual([euBase]);
  });

  test('deploy.yml by parameter-label deploys the label of each region to both regions', async () => {
    const run = await runWorkflow(
      '.github/workflows/deploy.yml',
      options({
        event: {
          name: 'workflow_dispatch',
          inputs: { environment: 'production', 'parameter-label': 'nightly' },
        },
        approve: async () => true,
      }),
    );
    expect(failures(run)).toBe('');
    const deploy = job(run, 'deploy');
    expect(deploy.outputs.status).toBe('healthy');
    expect(JSON.parse(deploy.outputs.amis ?? '{}')).toEqual(amis);
    for (const region of [REGION, COPY]) {
      expect(await groupAmis(lc, 'web-production', region)).toEqual([amis[region]]);
      expect(await parameterValue(lc, '/golden-ami/web:production', region)).toBe(amis[region]);
    }
  });
});
