import { readFileSync } from 'node:fs';
import { ConfigurationError, describeError, withContext } from '../../../src/core/errors.js';
import { isThrottle, isTransient } from '../../../src/aws/errors.js';
import { VERSION } from '../../../src/core/version.js';

const awsError = (name: string, status: number, requestId = 'req-123') =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status, requestId } });

describe('describeError', () => {
  it('puts the AWS error code and request id on one line', () => {
    expect(describeError(awsError('InvalidAMIID.NotFound', 400))).toBe(
      'InvalidAMIID.NotFound happened (code InvalidAMIID.NotFound, request id req-123)',
    );
    expect(describeError(withContext('launching the builder', awsError('UnauthorizedOperation', 403)))).toBe(
      'launching the builder: UnauthorizedOperation happened (code UnauthorizedOperation, request id req-123)',
    );
  });

  it('lists every configuration problem', () => {
    expect(describeError(new ConfigurationError(['name: is required', 'regions: "x" is not accepted']))).toBe(
      'Invalid inputs (2):\n  - name: is required\n  - regions: "x" is not accepted',
    );
  });
});

describe('transient classification', () => {
  it('treats throttling, 5xx and dropped connections as transient, client errors not', () => {
    expect(isThrottle(awsError('RequestLimitExceeded', 503))).toBe(true);
    expect(isTransient(awsError('Throttling', 400))).toBe(true);
    expect(isTransient(awsError('InternalError', 500))).toBe(true);
    expect(isTransient(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransient(awsError('ValidationError', 400))).toBe(false);
    expect(isTransient(new Error('plain bug'))).toBe(false);
  });
});

it('VERSION matches package.json', () => {
  expect(VERSION).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
});
