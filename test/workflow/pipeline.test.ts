// Our real workflow files, run by the local runner through the built actions (dist/) against
// localcloud: a release end to end, a manual rollback through deploy.yml's workflow_dispatch, the
// nightly bake twice (the second reuses the AMI and launches nothing), a nightly bake during the
// production approval, and a broken image whose staging rollout is undone so production never
// starts. Each checks the parameter's versions and labels, template versions and instances' AMIs.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { baseImageId } from '../localcloud/seed.js';
import { upsertTags } from '../localcloud/state.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { REGION, seedFleet, type Fleet } from './fleet.js';
import { groupAmis, parameterHistory, parameterValue, templateState } from './fleet-state.js';
import { pipelineOptions } from './pipeline-env.js';
import { runWorkflow } from './runner.js';
import type { ApprovalRequest, JobRecord, RunnerOptions, WorkflowRun } from './types.js';

jest.setTimeout(180_000);

const job = (run: WorkflowRun, key: string): JobRecord => {
  const j = run.jobs.find((x) => x.key === key);
  if (!j) throw new Error(`no job ${key} in ${run.jobs.map((x) => `${x.key}:${x.result}`).join(', ')}`);
  return j;
};
const deleted = (lc: Localcloud) =>
  lc.octopus.logs.mutations
    .filter((m) => m.operation === 'machines.delete')
    .map((m) => (m.params as { Name?: string }).Name);
const launches = (lc: Localcloud) =>
  lc.logs.mutations.query({ service: 'ec2', operation: 'RunInstances' }).length;
const failureSummary = (run: WorkflowRun) =>
  run.jobs
    .filter((j) => j.result === 'failure')
    .map((j) => `${j.key}: ${j.error ?? ''} ${j.steps.flatMap((s) => s.errors).join(' | ')}`)
    .join('\n');

async function fleetOn(lc: Localcloud, fleet: Fleet, environment: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const g of fleet.groups.filter((x) => x.environment === environment))
    out[g.groupName] = await groupAmis(lc, g.groupName);
  return out;
}

describe('release.yml, then a manual rollback with deploy.yml', () => {
  let lc: Localcloud;
  let fleet: Fleet;
  let run: WorkflowRun;
  let ami: string;
  const approvals: ApprovalRequest[] = [];

  beforeAll(async () => {
    lc = await start({ port: 0, seed: 11 });
    fleet = await seedFleet(lc);
    run = await runWorkflow(
      '.github/workflows/release.yml',
      pipelineOptions(lc, {
        event: { name: 'push', ref: 'refs/tags/v1.2.0' },
        approve: async (r) => {
          approvals.push(r);
          return true;
        },
      }),
    );
    ami = job(run, 'bake').outputs['ami-id'] ?? '';
  });
  afterAll(async () => {
    fleet.stop();
    await lc.stop();
  });

  test('bakes a new AMI and both environments end on it, production after its approval', async () => {
    expect(failureSummary(run)).toBe('');
    expect(run.result).toBe('success');
    expect(ami).toMatch(/^ami-[0-9a-f]+$/);
    expect(ami).not.toBe(fleet.baseAmiId);
    expect(job(run, 'bake').outputs.reused).toBe('false');
    expect(await fleetOn(lc, fleet, 'staging')).toEqual({ 'web-staging': [ami] });
    expect(await fleetOn(lc, fleet, 'production')).toEqual({
      'web-production': [ami],
      'api-production': [ami],
    });
    expect(approvals.map((a) => a.environment)).toEqual(['production']);
    expect(job(run, 'production/deploy').startedAt).toBeGreaterThanOrEqual(
      job(run, 'staging/deploy').startedAt + job(run, 'staging/deploy').durationMs,
    );
  });

  test("bake-ami's amis flow from the bake job through the called workflow to its outputs", () => {
    const amis = JSON.stringify({ [REGION]: ami });
    expect(job(run, 'bake').outputs.amis).toBe(amis);
    // With amis every value that is a region's is a map by region; previous-ami-id leaves out a
    // region that ran no AMI of the parameter before, so it can be passed back as amis.
    const previous = JSON.stringify({});
    expect(job(run, 'staging').outputs).toEqual({
      'ami-id': '',
      amis,
      'previous-ami-id': previous,
      status: 'healthy',
    });
    // production's label was on no version: the parameter's newest value (staging's) is not what it ran.
    expect(job(run, 'production').outputs).toEqual({
      'ami-id': '',
      amis,
      'previous-ami-id': previous,
      status: 'healthy',
    });
  });

  test('the parameter records the AMI with a label per environment', async () => {
    expect(await parameterValue(lc, '/golden-ami/web')).toBe(ami);
    expect(await parameterValue(lc, '/golden-ami/web:staging')).toBe(ami);
    expect(await parameterValue(lc, '/golden-ami/web:production')).toBe(ami);
  });

  test('orphaned Octopus targets are reaped once each rollout is healthy; live and unmappable ones are kept', () => {
    const gone = deleted(lc);
    for (const orphan of [...fleet.orphans.staging!, ...fleet.orphans.production!])
      expect(gone).toContain(orphan);
    expect(gone).not.toContain('legacy-staging-box');
    expect(gone).not.toContain('legacy-production-box');
    const running = [...lc.world.region(REGION).ec2.instances.values()]
      .filter((i) => i.state === 'running')
      .map((i) => i.instanceId);
    expect(gone.filter((g) => running.includes(g ?? ''))).toEqual([]);
  });

  test('job summaries of every action are collected', () => {
    const summaries = run.jobs.flatMap((j) => j.steps.map((s) => s.summary)).join('\n');
    for (const action of ['bake-ami', 'promote', 'roll', 'reap', 'healthy'])
      expect(summaries.toLowerCase()).toContain(action);
  });

  /** deploy.yml dispatched by hand to production, its reviewers approving. */
  const dispatchToProduction = (inputs: Record<string, string | boolean>) =>
    runWorkflow(
      '.github/workflows/deploy.yml',
      pipelineOptions(lc, {
        approve: async () => true,
        event: { name: 'workflow_dispatch', inputs: { environment: 'production', ...inputs } },
      }),
    );

  test('deploy.yml by hand refuses an AMI this pipeline did not bake before anything changes', async () => {
    const before = lc.logs.mutations.query().length;
    const refused = await dispatchToProduction({ 'ami-id': fleet.baseAmiId });
    const step = job(refused, 'deploy').steps.find((s) => s.name.startsWith('Deploy the AMI'));
    expect(step?.errors.join()).toMatch(
      /^production: refused before any change, nothing was changed: .*is not an AMI this pipeline baked: it is owned by an account not in allowed-owners \(self\); set allow-foreign-ami: true/,
    );
    expect(job(refused, 'deploy').outputs.status).toBe('refused');
    expect(lc.logs.mutations.query().length).toBe(before);
  });

  test('deploy.yml by hand without allow-older refuses an older AMI before anything rolls', async () => {
    const before = lc.logs.mutations.query({ service: 'autoscaling' }).length;
    const refused = await dispatchToProduction({ 'ami-id': fleet.baseAmiId, 'allow-foreign-ami': true });
    expect(job(refused, 'deploy').approval).toBe('approved');
    expect(job(refused, 'deploy').result).toBe('failure');
    const step = job(refused, 'deploy').steps.find((s) => s.name.startsWith('Deploy the AMI'));
    expect(step?.conclusion).toBe('failure');
    expect(step?.errors.join()).toMatch(
      /^production: refused before any change, nothing was changed: .*older than/,
    );
    expect(job(refused, 'deploy').outputs.status).toBe('refused');
    expect(lc.logs.mutations.query({ service: 'autoscaling' }).length).toBe(before);
  });
  test('deploy.yml by hand rolls staging back to the previous AMI (allow-older), leaving production alone', async () => {
    const rollback = await runWorkflow(
      '.github/workflows/deploy.yml',
      pipelineOptions(lc, {
        event: {
          name: 'workflow_dispatch',
          // The fleet's first image is Amazon's, which this pipeline did not bake.
          inputs: {
            environment: 'staging',
            'ami-id': fleet.baseAmiId,
            'allow-older': true,
            'allow-foreign-ami': true,
          },
        },
      }),
    );
    expect(failureSummary(rollback)).toBe('');
    expect(job(rollback, 'deploy').outputs).toEqual({
      'ami-id': fleet.baseAmiId,
      amis: '',
      'previous-ami-id': ami,
      status: 'healthy',
    });
    expect(await fleetOn(lc, fleet, 'staging')).toEqual({ 'web-staging': [fleet.baseAmiId] });
    expect(await parameterValue(lc, '/golden-ami/web:staging')).toBe(fleet.baseAmiId);
    expect(await fleetOn(lc, fleet, 'production')).toEqual({
      'web-production': [ami],
      'api-production': [ami],
    });
  });
});

describe('nightly-bake.yml twice', () => {
  let lc: Localcloud;
  let fleet: Fleet;
  const nightly = (extra: Partial<RunnerOptions> = {}) =>
    runWorkflow(
      '.github/workflows/nightly-bake.yml',
      pipelineOptions(lc, { event: { name: 'schedule' }, ...extra }),
    );
  beforeAll(async () => {
    lc = await start({ port: 0, seed: 12 });
    fleet = await seedFleet(lc);
  });
  afterAll(async () => {
    fleet.stop();
    await lc.stop();
  });

  test('the first night bakes and labels the AMI nightly; the second reuses it and launches nothing', async () => {
    const first = await nightly();
    expect(failureSummary(first)).toBe('');
    const ami = job(first, 'bake').outputs['ami-id'];
    expect(job(first, 'bake').outputs.reused).toBe('false');
    expect(await parameterValue(lc, '/golden-ami/web:nightly')).toBe(ami);
    expect(job(first, 'staging').result).toBe('skipped');

    const launched = launches(lc);
    const second = await nightly();
    expect(failureSummary(second)).toBe('');
    expect(job(second, 'bake').outputs).toEqual({
      'ami-id': ami,
      amis: JSON.stringify({ [REGION]: ami }),
      reused: 'true',
    });
    expect(launches(lc)).toBe(launched);
    expect(await parameterValue(lc, '/golden-ami/web:nightly')).toBe(ami);
  });

  test('dispatched with roll-staging, it deploys the nightly AMI to staging only', async () => {
    const run = await nightly({ event: { name: 'workflow_dispatch', inputs: { 'roll-staging': true } } });
    expect(failureSummary(run)).toBe('');
    const ami = job(run, 'bake').outputs['ami-id']!;
    expect(job(run, 'staging').outputs.status).toBe('healthy');
    expect(await groupAmis(lc, 'web-staging')).toEqual([ami]);
    expect(await groupAmis(lc, 'web-production')).not.toContain(ami);
  });
});

describe('release.yml while the nightly bake runs during the production approval', () => {
  let lc: Localcloud;
  let fleet: Fleet;
  let run: WorkflowRun;
  let nightlyAmi = '';

  beforeAll(async () => {
    lc = await start({ port: 0, seed: 14 });
    fleet = await seedFleet(lc);
    // production is recorded on the AMI it runs.
    const recorded = await runWorkflow(
      '.github/workflows/deploy.yml',
      pipelineOptions(lc, {
        approve: async () => true,
        event: {
          name: 'workflow_dispatch',
          inputs: { environment: 'production', 'ami-id': fleet.baseAmiId, 'allow-foreign-ami': true },
        },
      }),
    );
    expect(failureSummary(recorded)).toBe('');
    run = await runWorkflow(
      '.github/workflows/release.yml',
      pipelineOptions(lc, {
        event: { name: 'workflow_dispatch' },
        approve: async () => {
          // The reviewers take their time; meanwhile the nightly bakes a newer AMI and labels it.
          // (From another source image than the release, so it is a new bake rather than a reuse.)
          const nightly = await runWorkflow(
            '.github/workflows/nightly-bake.yml',
            pipelineOptions(lc, {
              event: { name: 'schedule' },
              vars: {
                GOLDEN_AMI_SOURCE: baseImageId(REGION, 'al2023-ami-2023.6.20241111.0-kernel-6.1-x86_64'),
              },
            }),
          );
          expect(failureSummary(nightly)).toBe('');
          nightlyAmi = job(nightly, 'bake').outputs['ami-id'] ?? '';
          return true;
        },
      }),
    );
  });
  afterAll(async () => {
    fleet.stop();
    await lc.stop();
  });

  test('production deploys the release AMI without allow-older; nightly keeps its label', async () => {
    expect(failureSummary(run)).toBe('');
    const ami = job(run, 'bake').outputs['ami-id']!;
    expect(nightlyAmi).toMatch(/^ami-/);
    expect(nightlyAmi).not.toBe(ami);
    expect(job(run, 'production').outputs.status).toBe('healthy');
    expect(await fleetOn(lc, fleet, 'production')).toEqual({
      'web-production': [ami],
      'api-production': [ami],
    });
    expect(await parameterValue(lc, '/golden-ami/web:production')).toBe(ami);
    expect(await parameterValue(lc, '/golden-ami/web:staging')).toBe(ami);
    expect(await parameterValue(lc, '/golden-ami/web:nightly')).toBe(nightlyAmi);
    // base (recorded for production), the release for staging, the nightly, the release for production.
    expect(await parameterHistory(lc, '/golden-ami/web')).toEqual([
      `1:${fleet.baseAmiId}`,
      `2:${ami}[staging]`,
      `3:${nightlyAmi}[nightly]`,
      `4:${ami}[production]`,
    ]);
    for (const g of ['web-production', 'api-production', 'web-staging']) {
      const t = await templateState(lc, g);
      expect([g, t.groupVersion, t.versions[Number(t.groupVersion)]]).toEqual([g, '2', ami]);
    }
  });
});

describe('a release whose image fails its health checks', () => {
  let lc: Localcloud;
  let fleet: Fleet;
  let run: WorkflowRun;
  const approvals: ApprovalRequest[] = [];

  beforeAll(async () => {
    lc = await start({ port: 0, seed: 13 });
    fleet = await seedFleet(lc);
    run = await runWorkflow(
      '.github/workflows/release.yml',
      pipelineOptions(lc, {
        event: { name: 'workflow_dispatch' },
        approve: async (r) => {
          approvals.push(r);
          return true;
        },
        // The freshly baked image is broken: its instances fail their health checks.
        onEvent: (e) => {
          if (e.type !== 'job-end' || e.job !== 'bake') return;
          const image = lc.world.region(REGION).ec2.images.get(e.outputs['ami-id'] ?? '');
          if (!image) throw new Error(`bake produced no image: ${JSON.stringify(e)}`);
          upsertTags(image.tags, [{ Key: 'localcloud:health', Value: 'unhealthy' }]);
        },
      }),
    );
  });
  afterAll(async () => {
    fleet.stop();
    await lc.stop();
  });

  test('staging fails and rolls back; production never starts and is never asked for', async () => {
    // On an unexpected result, show every job and failed step so a flaky run explains itself.
    const story = run.jobs
      .map(
        (j) =>
          `${j.key}: ${j.result}${j.error ? ` (${j.error})` : ''}` +
          j.steps
            .filter((s) => s.outcome === 'failure')
            .map((s) => `\n  step ${s.name}: ${s.errors.join('; ')}\n${s.log.slice(-2000)}`)
            .join(''),
      )
      .join('\n');
    expect(`staging: ${job(run, 'staging').result}\n${story}`).toMatch(/^staging: failure\n/);
    expect(job(run, 'production').result).toBe('skipped');
    expect(run.jobs.some((j) => j.key.startsWith('production/'))).toBe(false);
    expect(approvals).toEqual([]);
    expect(await fleetOn(lc, fleet, 'staging')).toEqual({ 'web-staging': [fleet.baseAmiId] });
    expect(await fleetOn(lc, fleet, 'production')).toEqual({
      'web-production': [fleet.baseAmiId],
      'api-production': [fleet.baseAmiId],
    });
    // deploy.yml's status tells the truth, and nothing records or launches the broken AMI.
    expect(['rolled-back', 'failed']).toContain(job(run, 'staging').outputs.status);
    expect(await parameterHistory(lc, '/golden-ami/web')).toEqual([]);
    expect(await templateState(lc, 'web-staging')).toEqual({
      groupVersion: '1',
      versions: { 1: fleet.baseAmiId },
      latest: 1,
      default: 1,
    });
  });

  test('the next good AMI, older than the broken one, deploys to staging without allow-older', async () => {
    const good = lc.control.seed({ images: [{ name: 'web-fixed', creationDate: Date.now() - 3_600_000 }] })
      .images[0]!.imageId;
    const fixed = await runWorkflow(
      '.github/workflows/deploy.yml',
      pipelineOptions(lc, {
        event: { name: 'workflow_dispatch', inputs: { environment: 'staging', 'ami-id': good } },
      }),
    );
    expect(failureSummary(fixed)).toBe('');
    expect(job(fixed, 'deploy').outputs.status).toBe('healthy');
    expect(await fleetOn(lc, fleet, 'staging')).toEqual({ 'web-staging': [good] });
    expect(await parameterHistory(lc, '/golden-ami/web')).toEqual([`1:${good}[staging]`]);
    const t = await templateState(lc, 'web-staging');
    expect([t.groupVersion, t.versions[Number(t.groupVersion)]]).toEqual([String(t.latest), good]);
  });
});
