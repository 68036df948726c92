// The capability contract's core pieces: one partial-failure type the boundary reports, and an
// action's inputs as another action passes them (given fields, else the declared defaults).
import { describe, expect, test } from '@jest/globals';
import { inputsWith } from '../../../src/core/capability.js';
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
