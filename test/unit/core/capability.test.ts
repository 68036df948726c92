// The capability contract's core pieces: one partial-failure type the boundary reports, and an
// action's inputs as another action passes them (given fields, else the declared defaults), and the
// boundary reporting a failure once.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { defineCapability, inputsWith } from '../../../src/core/capability.js';
import { runCapability } from '../../../src/core/run.js';
import { AbortedError, ActionFailure, describeError, PartialFailure } from '../../../src/core/errors.js';
import { boolean, integer, list, string } from '../../../src/core/input-fields.js';
import { defineAction } from '../../../src/core/inputs.js';

const spec = defineAction({
  name: 'example',
  inputs: {
    'asg-names': list({ default: 'web,api' }),
    'max-reap': integer({ default: '10', min: 0, max: 100 }),
    'dry-run': boolean({ default: 'false' }),
    label: string(),
  },
  outputs: {},
});

describe('PartialFailure', () => {
  test('carries the result and reports its own line', () => {
    const f = new PartialFailure('rolling failed part way', { started: 1 });
    expect(f).toBeInstanceOf(ActionFailure);
    expect(f.result).toEqual({ started: 1 });
    expect(f.reason).toBe(f);
  });

  test('carrying keeps the error as it is: its line, its kind and its AWS code', () => {
    const aws = Object.assign(new Error('denied'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403, requestId: 'req-1' },
    });
    const f = PartialFailure.carrying(aws, { written: true });
    expect(f.message).toBe('denied');
    expect(describeError(f.reason)).toBe('denied (code AccessDenied, request id req-1)');
    expect(PartialFailure.carrying(new AbortedError('cancelled by SIGINT'), {}).reason).toBeInstanceOf(
      AbortedError,
    );
  });
});

describe('inputsWith', () => {
  test('given fields win, others take the declared default parsed by their field', () => {
    expect(inputsWith(spec, { maxReap: 3, label: undefined })).toEqual({
      asgNames: ['web', 'api'],
      maxReap: 3,
      dryRun: false,
      label: undefined,
    });
  });

  test("fields the spec does not declare are left out (the caller's own inputs)", () => {
    const caller = { maxReap: 5, environment: 'staging' };
    expect(Object.keys(inputsWith(spec, caller)).sort()).toEqual(['asgNames', 'dryRun', 'label', 'maxReap']);
  });
});

describe('runCapability', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'capability-'));
  const files = { GITHUB_STEP_SUMMARY: join(tmp, 'summary.md'), GITHUB_OUTPUT: join(tmp, 'output') };
  const example = (run: () => Promise<{ n: number }>) =>
    defineCapability({
      spec: defineAction({
        name: 'example',
        inputs: { region: string({ default: 'us-east-1' }) },
        outputs: { n: 'n' },
      }),
      toOptions: () => ({}),
      run,
      outputs: (r) => ({ n: r.n }),
      summary: (r, failure) =>
        failure ? `### ❌ example: failed after ${r.n}\n\n${failure}\n` : `### example: ${r.n}\n`,
    });
  const step = async (c: ReturnType<typeof example>) => {
    for (const f of Object.values(files)) writeFileSync(f, '');
    Object.assign(process.env, files);
    try {
      await runCapability(c, () => ({ destroy: () => undefined }) as never, { ...process.env, ...files });
    } finally {
      process.exitCode = undefined;
      for (const k of Object.keys(files)) delete process.env[k];
    }
    return {
      summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
      output: readFileSync(files.GITHUB_OUTPUT, 'utf8'),
    };
  };

  test('a PartialFailure is reported once: its outputs and its own summary, no second heading', async () => {
    const r = await step(example(() => Promise.reject(new PartialFailure('stopped after 2 of 3', { n: 2 }))));
    expect(r.summary).toBe('### ❌ example: failed after 2\n\nstopped after 2 of 3\n\n');
    expect(r.output).toContain('n<<');
  });

  test('an output too large to pass on as an input is written, with a warning naming it', async () => {
    const big = (n: number) =>
      defineCapability({ ...example(async () => ({ n })), outputs: () => ({ n: 'x'.repeat(n) }) });
    const written: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => written.push(String(chunk)) > 0) as typeof write;
    try {
      await step(big(131_008));
      expect(written.join('')).not.toContain('::warning::');
      await step(big(131_009));
    } finally {
      process.stdout.write = write;
    }
    expect(written.join('')).toContain('::warning::output n is 128 KiB: over the 128 KiB Linux allows');
  });

  test('an error with no result gets the boundary heading with its one line', async () => {
    const r = await step(example(() => Promise.reject(new ActionFailure('no such group'))));
    expect(r.summary).toBe('### ❌ example: failed\n\n```\nno such group\n```\n\n');
  });
});
