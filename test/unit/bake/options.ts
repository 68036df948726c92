import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BakeOptions } from '../../../src/bake/types.js';
import { bakeSpec } from '../../../src/bake/inputs.js';
import type { ProcessRunner } from '../../../src/bake/packer-process.js';
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

export function bakeOptions(
  inputs: Record<string, string>,
  extra: Partial<BakeOptions> & { workingDirectory: string },
): BakeOptions & { saved: Record<string, string> } {
  const saved: Record<string, string> = {};
  return {
    ...parse({ 'poll-interval-seconds': '0.01', ...inputs }),
    bakeId: '4242-1-abcd0123',
    commit: '0123456789abcdef0123456789abcdef01234567',
    runUrl: 'https://github.com/example/golden-ami/actions/runs/4242',
    record: (name, value) => {
      saved[name] = value;
    },
    processRunner: noPacker,
    saved,
    ...extra,
  };
}
