// Every operation localcloud serves declares its IAM resource mapping; one without is an error
// naming the operation, never a silent authorization on `*`.
import { describe, expect, it } from '@jest/globals';
import { SERVICES } from './aws/services.js';
import { operations } from './aws/service.js';
import { onAnyResource } from './iam-context.js';
import { authorizationsFor } from './iam-resources.js';
import { World } from './state.js';

const region = new World({}).region('us-east-1');

describe('IAM resource mappings', () => {
  it('refuses an operation without a mapping, naming it', () => {
    expect(() => authorizationsFor('ec2', 'DescribeFoo', {}, region)).toThrow(
      /no IAM resource mapping for ec2:DescribeFoo/,
    );
    expect(() => authorizationsFor('nosuchservice', 'GetBar', {}, region)).toThrow(/nosuchservice:GetBar/);
  });

  it('has a mapping for every operation each service serves', () => {
    const unmapped = SERVICES.flatMap((s) =>
      Object.keys(s.handlers)
        .filter((op) => !s.iam[op])
        .map((op) => `${s.signingName}:${op}`),
    );
    expect(unmapped).toEqual([]);
    for (const s of SERVICES)
      for (const op of Object.keys(s.handlers))
        expect(() => authorizationsFor(s.signingName, op, {}, region)).not.toThrow();
  });

  it('refuses to load a handler module that serves an operation without a mapping', () => {
    const handler = () => ({});
    expect(() =>
      operations(
        { handlers: { DescribeFoo: handler }, iam: { DescribeFoo: onAnyResource } },
        { handlers: { DescribeBar: handler }, iam: {} },
      ),
    ).toThrow(/no IAM resource mapping for DescribeBar/);
    expect(() => operations({ handlers: {}, iam: { DescribeBaz: onAnyResource } })).toThrow(
      /DescribeBaz, which has no handler/,
    );
  });
});
