// The workflows' trust boundaries and release rules, read from the files: every job that assumes an
// AWS role runs in a GitHub environment and takes the role from it, Octopus secrets are not passed
// from repository scope, image releases never run on version tags, publish runs only on them, CI
// keeps no credentials and tests two Node versions, and the two bakes share a concurrency group.
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../harness/action-metadata.js';

type Step = { uses?: string; with?: Record<string, unknown> };
type Job = {
  environment?: string | { name: string };
  concurrency?: { group: string };
  steps?: Step[];
  uses?: string;
  secrets?: unknown;
  strategy?: { matrix?: Record<string, unknown> };
};
type Workflow = { on: Record<string, unknown>; permissions?: unknown; jobs: Record<string, Job> };

const dir = join(repoRoot, '.github/workflows');
const load = (file: string) => parse(readFileSync(join(dir, file), 'utf8')) as Workflow;
const files = readdirSync(dir).filter((f) => f.endsWith('.yml'));

describe('trust boundaries', () => {
  test.each(files)(
    '%s: each job assuming an AWS role runs in an environment and takes its role from it',
    (file) => {
      const wf = load(file);
      expect(wf.permissions).toEqual({});
      for (const [id, job] of Object.entries(wf.jobs)) {
        const aws = (job.steps ?? []).filter((s) =>
          s.uses?.startsWith('aws-actions/configure-aws-credentials@'),
        );
        for (const step of aws) {
          expect([id, step.with?.['role-to-assume']]).toEqual([id, '${{ vars.AWS_ROLE_ARN }}']);
          expect([id, job.environment]).toEqual([id, expect.anything()]);
        }
        // Environment secrets reach the called workflow's job; nothing is passed from repository scope.
        if (job.uses) expect([id, job.secrets]).toEqual([id, undefined]);
      }
    },
  );

  test('every step of every workflow is pinned by commit SHA', () => {
    for (const file of files)
      for (const job of Object.values(load(file).jobs))
        for (const step of job.steps ?? [])
          if (step.uses && !step.uses.startsWith('./'))
            expect([file, step.uses]).toEqual([file, expect.stringMatching(/@[0-9a-f]{40}$/)]);
  });
});

describe('release rules', () => {
  test('release.yml bakes on image changes and by hand, never on a tag', () => {
    const on = load('release.yml').on as { push?: { tags?: unknown; paths?: string[]; branches?: string[] } };
    expect(on.push?.tags).toBeUndefined();
    expect(on.push?.paths).toEqual(['image/**']);
    expect(Object.keys(on).sort()).toEqual(['push', 'workflow_dispatch']);
  });

  test('publish.yml runs only on vX.Y.Z tags and never assumes an AWS role', () => {
    const wf = load('publish.yml');
    expect(wf.on).toEqual({ push: { tags: ['v[0-9]+.[0-9]+.[0-9]+'] } });
    const uses = Object.values(wf.jobs).flatMap((j) => (j.steps ?? []).map((s) => s.uses ?? ''));
    expect(uses.some((u) => u.includes('configure-aws-credentials'))).toBe(false);
  });

  test('the nightly and release bakes share one concurrency group', () => {
    expect(load('release.yml').jobs.bake?.concurrency?.group).toBe('golden-ami-bake');
    expect(load('nightly-bake.yml').jobs.bake?.concurrency?.group).toBe('golden-ami-bake');
  });

  test('ci.yml checks out without persisted credentials and tests on Node 20 and 24', () => {
    const test = load('ci.yml').jobs.test!;
    expect(test.strategy?.matrix?.node).toEqual([20, 24]);
    const checkout = test.steps!.find((s) => s.uses?.startsWith('actions/checkout@'));
    expect(checkout?.with?.['persist-credentials']).toBe(false);
  });

  test('dependabot watches npm and github-actions', () => {
    const config = parse(readFileSync(join(repoRoot, '.github/dependabot.yml'), 'utf8')) as {
      updates: Array<{ 'package-ecosystem': string }>;
    };
    expect(config.updates.map((u) => u['package-ecosystem']).sort()).toEqual(['github-actions', 'npm']);
  });
});
