import { ConfigurationError } from '../../../src/core/errors.js';
import {
  boolean,
  choice,
  duration,
  integer,
  json,
  keyValues,
  list,
  string,
  InputProblem,
  renamed,
} from '../../../src/core/input-fields.js';
import { declaredInputs, defineAction, parseInputs, type InputSource } from '../../../src/core/inputs.js';

const source = (inputs: Record<string, string>, env: Record<string, string> = {}): InputSource => ({
  input: (n) => inputs[n] ?? '',
  env: (n) => env[n],
});

const spec = defineAction({
  name: 'example',
  inputs: {
    name: string({ required: true, pattern: /^[a-z-]{3,20}$/, accepted: '3-20 lowercase letters or dashes' }),
    'dry-run': boolean({ default: 'false' }),
    'max-concurrency': integer({ default: '10', min: 1, max: 50 }),
    'bake-time': duration({ min: 0, max: 7200 }),
    regions: list({ pattern: /^[a-z]{2}-[a-z]+-\d$/, accepted: 'AWS region names such as eu-west-1' }),
    tags: keyValues(),
    mode: choice(['fail', 'wait', 'cancel'] as const, { default: 'fail' }),
    'ami-id': string({ pattern: /^ami-[0-9a-f]{8,17}$/, accepted: 'an AMI id (ami-0123456789abcdef0)' }),
    amis: json(
      (v) =>
        v && typeof v === 'object' && !Array.isArray(v)
          ? (v as Record<string, string>)
          : new InputProblem('not an object'),
      {
        accepted: 'a JSON object of region to AMI id',
      },
    ),
    token: string({
      env: ['EXAMPLE_TOKEN'],
      secret: true,
      pattern: /^tok-/,
      accepted: 'a token starting tok-',
    }),
  },
  outputs: { result: 'The result.' },
  rules: [{ exactlyOne: ['ami-id', 'amis'] }],
  check(v, problem) {
    if (v.dryRun && v.mode === 'cancel') problem('mode: cancel cannot be combined with dry-run');
  },
});

describe('parseInputs', () => {
  it('parses every kind into typed camelCase values, applying defaults', () => {
    const v = parseInputs(
      spec,
      source({
        name: 'web-app',
        'bake-time': '1h30m',
        regions: 'eu-west-1, us-east-1\nus-east-1',
        tags: 'Team=platform\nCost Center=42',
        'ami-id': 'ami-0123456789abcdef0',
        'max-concurrency': '10',
      }),
    );
    expect(v).toMatchObject({
      name: 'web-app',
      dryRun: false,
      maxConcurrency: 10,
      bakeTime: 5400,
      regions: ['eu-west-1', 'us-east-1', 'us-east-1'],
      tags: { Team: 'platform', 'Cost Center': '42' },
      mode: 'fail',
      amiId: 'ami-0123456789abcdef0',
      amis: undefined,
    });
  });

  it('reports every problem at once, each naming its input and what is accepted', () => {
    let error: unknown;
    try {
      parseInputs(
        spec,
        source({
          'dry-run': 'yes',
          'max-concurrency': '0',
          'bake-time': '5 minutes',
          regions: 'eu-west-1,mars',
          mode: 'panic',
        }),
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const problems = (error as ConfigurationError).problems;
    expect(problems).toEqual([
      'name: is required',
      'dry-run: "yes" is not a boolean; accepted: true or false',
      'max-concurrency: 0 is out of range; accepted: 1 to 50',
      'bake-time: "5 minutes" is not a duration; accepted: seconds (90) or with units ms/s/m/h/d (90s, 15m, 1h30m; each unit once, largest first)',
      'regions: "mars" is not accepted; expected AWS region names such as eu-west-1',
      'mode: "panic" is not accepted; accepted: fail, wait, cancel',
      'one of ami-id, amis is required',
    ]);
  });

  it('enforces mutually exclusive inputs and runs cross-field checks', () => {
    expect(() =>
      parseInputs(
        spec,
        source({ name: 'web', 'ami-id': 'ami-12345678', amis: '{"eu-west-1":"ami-12345678"}' }),
      ),
    ).toThrow('ami-id and amis: give only one of ami-id, amis');
    expect(() =>
      parseInputs(spec, source({ name: 'web', 'ami-id': 'ami-12345678', 'dry-run': 'true', mode: 'cancel' })),
    ).toThrow('mode: cancel cannot be combined with dry-run');
  });

  it('reports a bad field and a cross-field problem in the same run', () => {
    let message = '';
    try {
      parseInputs(
        spec,
        source({
          name: 'web',
          'ami-id': 'ami-12345678',
          'dry-run': 'true',
          mode: 'cancel',
          'bake-time': 'forever',
        }),
      );
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('bake-time:');
    expect(message).toContain('mode: cancel cannot be combined with dry-run');
  });

  it('reads environment fallbacks and never echoes a secret in an error', () => {
    const ok = parseInputs(
      spec,
      source({ name: 'web', 'ami-id': 'ami-12345678' }, { EXAMPLE_TOKEN: 'tok-abc' }),
    );
    expect(ok.token).toBe('tok-abc');
    let message = '';
    try {
      parseInputs(spec, source({ name: 'web', 'ami-id': 'ami-12345678', token: 'hunter2-secret' }));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('token:');
    expect(message).not.toContain('hunter2-secret');
  });

  it('accepts only YAML 1.2 core booleans', () => {
    for (const [raw, want] of [
      ['true', true],
      ['True', true],
      ['FALSE', false],
    ] as const) {
      expect(
        parseInputs(spec, source({ name: 'web', 'ami-id': 'ami-12345678', 'dry-run': raw })).dryRun,
      ).toBe(want);
    }
    for (const raw of ['yes', 'on', '1', 'tRue']) {
      expect(() =>
        parseInputs(spec, source({ name: 'web', 'ami-id': 'ami-12345678', 'dry-run': raw })),
      ).toThrow('dry-run');
    }
  });

  it('rejects malformed JSON and key=value input clearly', () => {
    expect(() => parseInputs(spec, source({ name: 'web', amis: '{nope' }))).toThrow(
      'amis: is not valid JSON; expected a JSON object of region to AMI id',
    );
    expect(() => parseInputs(spec, source({ name: 'web', amis: '[1]' }))).toThrow(
      'amis: not an object; expected a JSON object',
    );
    expect(() =>
      parseInputs(spec, source({ name: 'web', 'ami-id': 'ami-12345678', tags: 'novalue' })),
    ).toThrow('tags: "novalue" is not a key=value pair');
  });
});

describe('renamed inputs', () => {
  const renamedSpec = defineAction({
    name: 'example',
    inputs: {
      timeout: duration({
        default: '60m',
        min: 60,
        max: 86_400,
        whole: false,
        formerly: { name: 'timeout-minutes', unit: 'm' },
      }),
      'poll-interval': renamed(duration({ min: 1, max: 60 }), 'poll-interval-seconds'),
    },
    outputs: {},
    rules: [{ requires: ['poll-interval', 'timeout'] }],
  });
  const parsed = (inputs: Record<string, string>) => {
    const warnings: string[] = [];
    return { v: parseInputs(renamedSpec, source(inputs), (m) => warnings.push(m)), warnings };
  };

  it('takes the new name without a warning, a bare number only where the old name was seconds too', () => {
    expect(parsed({ timeout: '90m', 'poll-interval': '5' })).toEqual({
      v: { timeout: 5400, pollInterval: 5 },
      warnings: [],
    });
    // timeout-minutes: 90 carried over as timeout: 90 would silently be 90 seconds.
    expect(() => parsed({ timeout: '90' })).toThrow(
      'timeout: "90" has no unit: a bare number would be 90 seconds; give the unit, such as 90m',
    );
  });

  it('takes the old name for one minor version, a bare number in its old unit, with a warning giving the new', () => {
    // action.yml declares no default for a renamed input, so the runner leaves the new name empty.
    const { v, warnings } = parsed({ 'timeout-minutes': '90', 'poll-interval-seconds': '5' });
    expect(v).toEqual({ timeout: 5400, pollInterval: 5 });
    expect(warnings).toEqual([
      'timeout-minutes is deprecated and will be removed in the next minor version: timeout-minutes: 90 → timeout: 90m',
      'poll-interval-seconds is deprecated and will be removed in the next minor version: poll-interval-seconds: 5 → poll-interval: 5',
    ]);
    expect(parsed({ 'timeout-minutes': '2h' }).warnings).toEqual([
      expect.stringMatching(/timeout-minutes: 2h → timeout: 2h$/),
    ]);
    const badWarnings: string[] = [];
    expect(() =>
      parseInputs(renamedSpec, source({ 'timeout-minutes': '-1' }), (m) => badWarnings.push(m)),
    ).toThrow('timeout-minutes: "-1" is not a duration');
    // No value to suggest for a bad one.
    expect(badWarnings).toEqual([
      'timeout-minutes is deprecated and will be removed in the next minor version: use timeout instead',
    ]);
  });

  it('refuses the old and the new name together, even the new one written as its default', () => {
    for (const written of ['2h', '60m', '1h'])
      expect(() => parsed({ timeout: written, 'timeout-minutes': '90' })).toThrow(
        'timeout-minutes: is the old name of timeout; give only timeout',
      );
  });

  it("reports an old value by its own name, in its old unit's terms", () => {
    expect(() => parsed({ 'timeout-minutes': '0' })).toThrow(
      'timeout-minutes: 0 minutes is out of range; accepted: 1 to 1440 minutes (60 to 86400 seconds)',
    );
    expect(() => parsed({ 'timeout-minutes': '30s' })).toThrow(
      'timeout-minutes: "30s" is out of range; accepted: 1 to 1440 minutes (60 to 86400 seconds)',
    );
  });

  it('names the old name the user wrote in rule and cross-field problems too', () => {
    const checked = defineAction({
      ...renamedSpec,
      check(v, problem, isSet) {
        if (isSet('poll-interval') && (v.pollInterval ?? 0) * 60 > v.timeout)
          problem(`poll-interval: ${v.pollInterval} seconds is too slow for timeout`);
      },
    });
    const problems = (inputs: Record<string, string>) => {
      try {
        parseInputs(checked, source(inputs));
        return [];
      } catch (err) {
        return (err as ConfigurationError).problems;
      }
    };
    expect(problems({ 'poll-interval-seconds': '60', timeout: '2m' })).toEqual([
      'poll-interval-seconds: 60 seconds is too slow for timeout',
    ]);
    expect(problems({ 'poll-interval': '60', timeout: '2m' })).toEqual([
      'poll-interval: 60 seconds is too slow for timeout',
    ]);
    // Where a message mentions another renamed input, it too is named as the user wrote it.
    expect(problems({ 'poll-interval-seconds': '60', 'timeout-minutes': '2' })).toEqual([
      'poll-interval-seconds: 60 seconds is too slow for timeout-minutes',
    ]);
    expect(problems({ 'poll-interval': '60', 'timeout-minutes': '2' })).toEqual([
      'poll-interval: 60 seconds is too slow for timeout-minutes',
    ]);
    // A bad old value is reported once, by its old name; the check about the same field is left out.
    expect(problems({ 'poll-interval-seconds': '600', timeout: '2m' })).toEqual([
      'poll-interval-seconds: 600 seconds is out of range; accepted: 1 to 60 seconds',
    ]);
  });

  it('declares the old name in action.yml right after the new one, deprecated, and the new one without a default', () => {
    expect(declaredInputs(renamedSpec).map((i) => [i.name, i.default, i.shownDefault])).toEqual([
      ['timeout', undefined, '60m'],
      ['timeout-minutes', undefined, undefined],
      ['poll-interval', undefined, undefined],
      ['poll-interval-seconds', undefined, undefined],
    ]);
    expect(declaredInputs(renamedSpec).map((i) => [i.name, i.deprecationMessage])).toEqual([
      ['timeout', undefined],
      [
        'timeout-minutes',
        'timeout-minutes is renamed timeout and will be removed in the next minor version; use timeout, a duration with its unit such as 60m.',
      ],
      ['poll-interval', undefined],
      ['poll-interval-seconds', expect.stringMatching(/^poll-interval-seconds is renamed poll-interval/)],
    ]);
  });
});
