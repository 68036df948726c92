// Every built entry, run as the runner runs it with missing or invalid inputs: a non-zero exit,
// one ::error:: naming the input, no stack trace unless step debug is on.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadAction, repoRoot } from '../harness/action-metadata.js';
import { runActionStep } from '../harness/run-action.js';

const actions = [
  ...readdirSync(join(repoRoot, 'actions')).filter((d) =>
    existsSync(join(repoRoot, 'actions', d, 'action.yml')),
  ),
  ...(existsSync(join(repoRoot, 'action.yml')) ? ['deploy-ami'] : []),
];

// Nothing listens here: an entry that called AWS before validating would fail differently.
const env = {
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'y',
};
const STACK_LINE = /^\s+at .+\(?.*:\d+:\d+\)?$/m;

describe.each(actions)('%s entry', (action) => {
  const meta = loadAction(action);
  const inputNames = Object.keys(meta.inputs);

  it('fails with one error naming an input when required inputs are missing', async () => {
    const r = await runActionStep(action, { env, post: false });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(inputNames.some((n) => r.errors[0]!.includes(n))).toBe(true);
    expect(r.log).not.toMatch(STACK_LINE);
    expect(r.summary).toContain('invalid inputs');
  });

  it('names an invalid value and what is accepted', async () => {
    const numeric = Object.entries(meta.inputs).find(([, i]) => /^\d+$/.test(String(i.default ?? '')));
    const boolish = Object.entries(meta.inputs).find(([, i]) =>
      /^(true|false)$/.test(String(i.default ?? '')),
    );
    const target = boolish ?? numeric;
    expect(target).toBeDefined();
    const [name] = target!;
    const r = await runActionStep(action, { env, inputs: { [name]: 'not-a-valid-value' }, post: false });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toContain(`${name}: "not-a-valid-value"`);
    expect(r.errors.join('\n')).toMatch(/accepted|expected/);
  });

  it('prints the stack only under ACTIONS_STEP_DEBUG', async () => {
    const r = await runActionStep(action, { env: { ...env, ACTIONS_STEP_DEBUG: 'true' }, post: false });
    expect(r.exitCode).toBe(1);
    expect(r.debug.join('\n')).toMatch(/ConfigurationError[\s\S]*\n\s+at /);
  });
});
