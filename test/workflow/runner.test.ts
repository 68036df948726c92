// The local workflow runner against fixture workflows and a fixture node action: outputs through
// steps, jobs and workflow_call; if: with status functions; env carried by GITHUB_ENV; post steps;
// environment approvals and what a rejection does to dependent jobs.
import { beforeAll, describe, expect, jest, test } from '@jest/globals';
import { runWorkflow } from './runner.js';
import type { ApprovalRequest, JobRecord, RunEvent, WorkflowRun } from './types.js';

jest.setTimeout(60_000);

const F = 'test/workflow/fixtures/workflows';
const job = (run: WorkflowRun, key: string): JobRecord => {
  const j = run.jobs.find((x) => x.key === key);
  if (!j) throw new Error(`no job ${key} in ${run.jobs.map((x) => x.key).join(', ')}`);
  return j;
};
const step = (j: JobRecord, name: string) => {
  const s = j.steps.find((x) => x.name === name);
  if (!s) throw new Error(`no step ${name} in ${j.steps.map((x) => x.name).join(', ')}`);
  return s;
};

describe('basics', () => {
  let run: WorkflowRun;
  const events: RunEvent[] = [];
  beforeAll(async () => {
    run = await runWorkflow(`${F}/basics.yml`, {
      event: { name: 'workflow_dispatch', inputs: { who: 'ada' } },
      onEvent: (e) => events.push(e),
    });
  });

  test('step outputs become job outputs and reach dependent jobs through needs', () => {
    expect(run.result).toBe('success');
    expect(job(run, 'first').outputs).toEqual({ greeting: 'hello hi-ada!', word: 'hi-ada' });
    expect(job(run, 'second').outputs).toEqual({ combined: 'hello hi-ada! and success' });
  });

  test('a false if: skips the step or job; a boolean input defaults to false', () => {
    expect(step(job(run, 'first'), 'Only when loud').conclusion).toBe('skipped');
    expect(job(run, 'never').result).toBe('skipped');
    expect(job(run, 'never').steps).toEqual([]);
  });

  test('workflow, job and GITHUB_ENV variables reach later steps and the env context', () => {
    const first = job(run, 'first');
    expect(step(first, 'Pick a word').log).toContain('levels from-workflow from-job');
    expect(step(first, 'Sees the exported variable').outputs).toEqual({ seen: 'carried/carried' });
  });

  test('a local node action gets its inputs with defaults, and its post step runs with its state', () => {
    const first = job(run, 'first');
    const names = first.steps.map((s) => s.name);
    expect(names.at(-1)).toBe('Post Run ./test/workflow/fixtures/actions/greet');
    expect(first.steps.at(-1)!.summary).toBe('post saw hi-ada\n');
    expect(step(first, 'Run ./test/workflow/fixtures/actions/greet').summary).toBe('### greeted hi-ada\n');
  });

  test('progress events name every job start and end, second after first', () => {
    const order = events
      .filter((e) => e.type === 'job-start' || e.type === 'job-end')
      .map((e) => `${e.type}:${e.job}`);
    expect(order.indexOf('job-end:first')).toBeLessThan(order.indexOf('job-start:second'));
    expect(order).not.toContain('job-start:never');
  });
});

describe('failures', () => {
  let run: WorkflowRun;
  beforeAll(async () => {
    run = await runWorkflow(`${F}/failures.yml`, {});
  });

  test('a failing step fails the job, skips later steps, and runs failure()/always() steps and post steps', () => {
    const breaks = job(run, 'breaks');
    expect(breaks.result).toBe('failure');
    expect(step(breaks, 'Skipped after the failure').conclusion).toBe('skipped');
    expect(step(breaks, 'Reports the failure').log).toContain(
      'tolerated outcome failure, conclusion success',
    );
    expect(step(breaks, 'Post Greets, and its post step still runs').conclusion).toBe('success');
  });

  test('dependents of a failed job are skipped, transitively, unless they ask for failure()', () => {
    expect(job(run, 'dependent').result).toBe('skipped');
    expect(job(run, 'transitive').result).toBe('skipped');
    expect(job(run, 'on-failure').result).toBe('success');
    expect(run.result).toBe('failure');
  });

  test('a step over its timeout-minutes is stopped and fails', () => {
    const t = job(run, 'timed-out');
    expect(t.result).toBe('failure');
    expect(step(t, 'Too slow').errors.join()).toMatch(/timed out/);
  });
});

describe('workflow_call and environment approvals', () => {
  const secrets = { DEPLOY_TOKEN: 'deploy-token-123', TOKEN: 'inherited-token-4567' };
  const environments = {
    production: { reviewers: true, vars: { PER_ENVIRONMENT: 'prod-var' } },
    staging: { vars: { PER_ENVIRONMENT: 'stage-var' } },
  };

  test('inputs (typed, with defaults), secrets and outputs flow through called workflows; approval granted', async () => {
    const asked: ApprovalRequest[] = [];
    const run = await runWorkflow(`${F}/caller.yml`, {
      secrets,
      environments,
      approve: async (r) => {
        asked.push(r);
        return true;
      },
    });
    expect(run.result).toBe('success');
    expect(job(run, 'staging').outputs).toEqual({ echoed: 'art-1/true/stage-var/16' });
    expect(job(run, 'production').outputs).toEqual({ echoed: 'art-1/true/stage-var/16/false/prod-var/20' });
    expect(job(run, 'production/deploy').name).toBe('production / deploy to production');
    expect(asked.map((a) => a.environment)).toEqual(['production']);
    expect(job(run, 'production/deploy').approval).toBe('approved');
  });

  test('secrets are masked in step logs', async () => {
    const run = await runWorkflow(`${F}/caller.yml`, { secrets, environments, approve: async () => true });
    const log = job(run, 'staging/deploy').steps[0]!.log;
    expect(log).toContain('token is ***');
    expect(log).not.toContain(secrets.DEPLOY_TOKEN);
  });

  test('a rejected approval fails the job and its dependents do not start', async () => {
    const run = await runWorkflow(`${F}/caller.yml`, { secrets, environments, approve: async () => false });
    expect(job(run, 'staging').result).toBe('success');
    expect(job(run, 'production/deploy').result).toBe('failure');
    expect(job(run, 'production/deploy').error).toBe('The deployment to production was rejected');
    expect(job(run, 'production/deploy').steps).toEqual([]);
    expect(job(run, 'production').result).toBe('failure');
    expect(job(run, 'report').steps[0]!.log).toContain('staging success, production failure');
  });

  test('a failed called job fails the caller job and skips what needs it', async () => {
    const run = await runWorkflow(`${F}/caller.yml`, {
      secrets,
      environments,
      vars: { ARTIFACT: 'explode' },
      approve: async () => true,
    });
    expect(job(run, 'staging/deploy').result).toBe('failure');
    expect(job(run, 'staging').result).toBe('failure');
    expect(job(run, 'production').result).toBe('skipped');
    expect(run.jobs.some((j) => j.key.startsWith('production/'))).toBe(false);
  });

  test('a missing required secret fails the call before any called job runs', async () => {
    const run = await runWorkflow(`${F}/caller.yml`, {
      secrets: { TOKEN: 'only-inherited' },
      environments,
      approve: async () => true,
    });
    expect(job(run, 'staging').error).toMatch(/Secret TOKEN is required/);
    expect(run.jobs.some((j) => j.key.startsWith('staging/'))).toBe(false);
  });
});
