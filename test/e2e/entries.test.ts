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

// Issue 30: a renamed input's old name, as a workflow not yet updated gives it, as the built entry reads it.
describe.each(actions)('%s entry, renamed inputs', (action) => {
  const meta = loadAction(action);
  const renamed = Object.entries(meta.inputs).filter(([, i]) => i.deprecationMessage);
  const [old] = renamed[0] ?? [];
  // The new name is the one its deprecationMessage says to use.
  const now = old && /is renamed (\S+) /.exec(meta.inputs[old]!.deprecationMessage!)![1]!;

  (old ? it : it.skip)('takes the old name with a warning naming the new one and its value', async () => {
    const r = await runActionStep(action, { env, inputs: { [old!]: '2' }, post: false });
    expect(r.warnings).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `${old} is deprecated and will be removed in the next minor version: ${old}: 2 → ${now}: 2`,
        ),
      ),
    );
    expect(r.errors.join('\n')).not.toContain(old);
  });

  (old ? it : it.skip)('refuses the old name beside the new one written as its default', async () => {
    // action.yml declares no default for a renamed input, so the runner leaves it empty unless the step sets it.
    expect(meta.inputs[now!]!.default).toBeUndefined();
    const shown = /Default: (\S+)\.$/.exec(meta.inputs[now!]!.description ?? '')?.[1];
    if (!shown) return;
    const r = await runActionStep(action, { env, inputs: { [old!]: '2', [now!]: shown }, post: false });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toContain(`${old}: is the old name of ${now}; give only ${now}`);
  });

  (old ? it : it.skip)('refuses the old and the new name together', async () => {
    const r = await runActionStep(action, { env, inputs: { [old!]: '2', [now!]: '3h' }, post: false });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toContain(`${old}: is the old name of ${now}; give only ${now}`);
  });
});
