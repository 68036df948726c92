import { ConfigurationError } from '../../../src/core/errors.js';
import { parseInputs, type ActionSpec, type Fields } from '../../../src/core/inputs.js';
import { promoteSpec } from '../../../src/promote/inputs.js';
import { promoteOptions, promoteOutputs } from '../../../src/promote/options.js';
import { loadAction } from '../../harness/action-metadata.js';
import { checkSpecAgainstAction, unquotedDefaults } from '../../harness/spec-check.js';

const meta = loadAction('promote-ami-parameter');

/** Inputs as the runner passes them: action.yml defaults, then what the workflow set. */
function parse(given: Record<string, string>, env: Record<string, string> = { AWS_REGION: 'us-east-1' }) {
  const defaults = Object.fromEntries(
    Object.entries(meta.inputs).flatMap(([k, v]) =>
      v.default === undefined ? [] : [[k, String(v.default)]],
    ),
  );
  const all: Record<string, string> = { ...defaults, ...given };
  return parseInputs(promoteSpec, { input: (n) => all[n] ?? '', env: (n) => env[n] });
}

function problems(given: Record<string, string>): string[] {
  try {
    parse(given);
  } catch (err) {
    if (err instanceof ConfigurationError) return err.problems;
    throw err;
  }
  return [];
}

const AMI = 'ami-0123456789abcdef0';

describe('promote-ami-parameter inputs', () => {
  it('matches action.yml: every input, default and output', () => {
    expect(checkSpecAgainstAction(promoteSpec as unknown as ActionSpec<Fields>, meta)).toEqual([]);
    expect(unquotedDefaults(meta.file)).toEqual([]);
    expect(meta.runs).toMatchObject({ using: 'node24', main: '../../dist/promote-ami-parameter/index.js' });
  });

  it('maps a single ami-id to one target in the region', () => {
    const options = promoteOptions(
      parse({ 'parameter-name': '/golden-ami/web', 'ami-id': AMI, label: 'staging' }),
    );
    expect(options).toMatchObject({
      parameterName: '/golden-ami/web',
      targets: [{ region: 'us-east-1', amiId: AMI }],
      label: 'staging',
      allowOlder: false,
      dryRun: false,
      validationTimeoutMs: 120_000,
      pollIntervalMs: 1000,
    });
    expect(options.targets[0]).not.toHaveProperty('expected');
  });

  it('maps amis and regions to one target per region with a per-region compare-and-swap', () => {
    const amis = {
      'us-east-1': AMI,
      'eu-west-1': 'ami-0fedcba9876543210',
      'ap-south-1': 'ami-00000000000000001',
    };
    const options = promoteOptions(
      parse({
        'parameter-name': 'web',
        amis: JSON.stringify(amis),
        regions: 'eu-west-1\nus-east-1',
        'expected-current': JSON.stringify({ 'us-east-1': 'none', 'eu-west-1': 'ami-0000000000000000e' }),
        'poll-interval': '250ms',
      }),
    );
    expect(options.targets).toEqual([
      { region: 'eu-west-1', amiId: 'ami-0fedcba9876543210', expected: 'ami-0000000000000000e' },
      { region: 'us-east-1', amiId: AMI, expected: null },
    ]);
    expect(options.pollIntervalMs).toBe(250);
  });

  it('reports every bad input at once, naming it and what is accepted', () => {
    const found = problems({
      'parameter-name': 'has space',
      'ami-id': 'ami-xyz',
      label: '1st',
      'allow-older': 'yes',
      'poll-interval': 'fast',
      'expected-current': 'latest',
    });
    expect(found).toEqual([
      expect.stringMatching(/^parameter-name: "has space" is not accepted; expected an SSM parameter name/),
      expect.stringMatching(/^ami-id: "ami-xyz" is not accepted; expected an AMI id/),
      expect.stringMatching(
        /^label: "1st" is not accepted; expected a label .* not starting with a digit, aws or ssm/,
      ),
      expect.stringMatching(
        /^expected-current: "latest" is not accepted; expected an AMI id \(ami-...\), none, or a JSON map/,
      ),
      expect.stringMatching(/^allow-older: "yes" is not a boolean; accepted: true or false/),
      expect.stringMatching(
        /^poll-interval: "fast" is not a duration; accepted: seconds \(30\) or with units ms\/s\/m\/h\/d \(500ms, 5s, 30s;/,
      ),
    ]);
  });

  it.each([
    [{}, 'one of ami-id, amis is required'],
    [{ 'ami-id': AMI, amis: `{"us-east-1":"${AMI}"}` }, 'ami-id and amis: give only one of ami-id, amis'],
    [{ 'ami-id': AMI, regions: 'us-east-1' }, 'regions: needs amis as well'],
    [
      { amis: `{"us-east-1":"${AMI}"}`, regions: 'eu-west-1' },
      'regions: eu-west-1 not in amis (it has us-east-1)',
    ],
    [
      { amis: '{}' },
      'amis: names no region; expected a JSON map region -> AMI id such as {"us-east-1":"ami-0123456789abcdef0"}',
    ],
    [
      { amis: `{"us-east-1":"${AMI}","eu-west-1":"${AMI}"}`, 'expected-current': AMI },
      'expected-current: an AMI id belongs to one region; with several regions give a JSON map region -> AMI id',
    ],
    [
      { amis: `{"us-east-1":"${AMI}","eu-west-1":"${AMI}"}`, 'expected-current': `{"us-east-1":"none"}` },
      'expected-current: has no entry for eu-west-1',
    ],
    [
      { 'ami-id': AMI, label: 'aws-prod' },
      'label: "aws-prod" is not accepted; expected a label of letters, digits, . - _ (at most 100), not starting with a digit, aws or ssm',
    ],
    [
      { 'ami-id': AMI, 'validation-timeout': '0' },
      'validation-timeout: 0 seconds is out of range; accepted: 1 to 3600 seconds',
    ],
  ])('rejects %j', (given, message) => {
    expect(problems({ 'parameter-name': '/golden-ami/web', ...given })).toEqual([message]);
  });

  it('needs a region from the input or AWS_REGION', () => {
    expect(() => parse({ 'parameter-name': 'web', 'ami-id': AMI }, {})).toThrow(
      /region: is required \(or set AWS_REGION or AWS_DEFAULT_REGION\)/,
    );
  });

  it('writes plain outputs for ami-id and JSON maps by region for amis', () => {
    const result = {
      changed: true,
      regions: [
        { region: 'us-east-1', previousAmiId: AMI, version: 3, changed: true },
        { region: 'eu-west-1', previousAmiId: undefined, version: 1, changed: true },
      ],
    };
    expect(promoteOutputs({ ...result, regions: result.regions.slice(0, 1) })).toEqual({
      'previous-ami-id': AMI,
      version: '3',
      changed: true,
    });
    expect(promoteOutputs({ ...result, byRegion: true })).toEqual({
      'previous-ami-id': { 'us-east-1': AMI, 'eu-west-1': '' },
      version: { 'us-east-1': 3, 'eu-west-1': 1 },
      changed: true,
    });
  });
});
