import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Bake unit tests' options: parsed inputs through the capability's own toOptions, with a fixed bake id.
import { bakeSpec } from '../../../src/bake/inputs.js';
import { bakeOptions as toOptions, bakeRunOptions } from '../../../src/bake/options.js';
import type { ProcessRunner } from '../../../src/bake/packer/process.js';
import type { BakeRunOptions } from '../../../src/bake/types.js';
import { parseInputs } from '../../../src/core/inputs.js';

/** A workspace with the example files tests refer to by relative path. */
export function workspace(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'bake-unit-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

/** Parses inputs as the runner would hand them over (action.yml defaults applied by the spec). */
export function parse(
  inputs: Record<string, string>,
  env: Record<string, string> = { AWS_REGION: 'us-east-1' },
) {
  return parseInputs(bakeSpec, { input: (n) => inputs[n] ?? '', env: (n) => env[n] });
}

export const noPacker: ProcessRunner = {
  which: async () => undefined,
  run: async () => {
    throw new Error('packer must not run');
  },
};

/** The runner's variables of run 4242, attempt 1, in example/golden-ami. */
const RUNNER: Record<string, string> = {
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_REPOSITORY: 'example/golden-ami',
  GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  // localcloud at 1/1000 of AWS's durations (UNIT_DURATIONS) says so.
  GOLDEN_AMI_TIME_SCALE: '0.001',
};

/** Options as run() hands them to bake(): bake id 4242-1-abcd0123, state saved into `saved`, no Packer. */
export function bakeOptions(
  inputs: Record<string, string>,
  extra: Partial<BakeRunOptions> & { workingDirectory: string },
): BakeRunOptions & { saved: Record<string, string> } {
  const saved: Record<string, string> = {};
  const step = {
    env: (name: string) => RUNNER[name],
    saveState: (name: string, value: string) => {
      saved[name] = value;
    },
  };
  const options = toOptions(parse({ 'poll-interval': '0.01', ...inputs }), step);
  return {
    ...bakeRunOptions(options, { random: 'abcd0123', cwd: extra.workingDirectory }),
    processRunner: noPacker,
    saved,
    ...extra,
  };
}
