// wait-healthy's inputs: parsing, action.yml's defaults, problems, and healthOptions' ms.
import { ConfigurationError } from '../../../src/core/errors.js';
import { parseInputs, type InputSource } from '../../../src/core/inputs.js';
import { healthOptions } from '../../../src/health/options.js';
import { waitHealthySpec } from '../../../src/health/inputs.js';

const source = (
  inputs: Record<string, string>,
  env: Record<string, string> = { AWS_REGION: 'eu-west-1' },
): InputSource => ({
  input: (n) => inputs[n] ?? '',
  env: (n) => env[n],
});

function problems(inputs: Record<string, string>): string[] {
  try {
    parseInputs(waitHealthySpec, source(inputs));
  } catch (err) {
    if (err instanceof ConfigurationError) return err.problems;
    throw err;
  }
  return [];
}

describe('wait-healthy inputs', () => {
  it("reads roll-asg's refreshes and applies action.yml's defaults", () => {
    const v = parseInputs(
      waitHealthySpec,
      source({
        refreshes: JSON.stringify([
          {
            region: 'eu-west-1',
            group: 'web',
            refreshId: 'r-1',
            amiId: 'ami-0123456789abcdef0',
            newVersion: 3,
            previousVersion: '2',
          },
        ]),
      }),
    );
    expect(v).toMatchObject({
      refreshes: [
        {
          region: 'eu-west-1',
          group: 'web',
          refreshId: 'r-1',
          amiId: 'ami-0123456789abcdef0',
          newVersion: '3',
          previousVersion: '2',
        },
      ],
      region: 'eu-west-1',
      unhealthyGrace: 300,
      timeout: 3600,
      rollbackOnFailure: true,
      maxRequestsPerSecond: 2,
      pollInterval: 15,
      maxPollInterval: 60,
      healthUrlTimeout: 5,
    });
  });

  it('reports every bad input at once, naming it and what is accepted', () => {
    expect(
      problems({
        refreshes: '[{"region":"eu-west-1"}]',
        'health-url': 'http://10.0.0.1/version',
        'max-requests-per-second': 'fast',
        'poll-interval': '0',
        'rollback-on-failure': 'yes',
      }),
    ).toEqual([
      'refreshes: entry 0 needs "region", "group", "refreshId" and "amiId"; expected roll-asg\'s refreshes output: a JSON list of {"region", "group", "refreshId", ...}',
      'health-url: "http://10.0.0.1/version" is not accepted; expected an http(s) URL whose host is {private-ip} or {private-dns}, e.g. http://{private-ip}:8080/version ({instance-id} may appear in the path)',
      'rollback-on-failure: "yes" is not a boolean; accepted: true or false',
      'max-requests-per-second: "fast" is not a number of requests per second; accepted: e.g. 15 or 0.5',
      'poll-interval: 0 seconds is out of range; accepted: 0.1 to 3600 seconds',
    ]);
  });

  it('needs something to watch, and refreshes alone', () => {
    expect(problems({})).toEqual(['at least one of refreshes, asg-names, asg-tags is required']);
    expect(problems({ refreshes: '[]', 'asg-names': 'web' })).toEqual([
      'refreshes and asg-names: give at most one of refreshes, asg-names',
    ]);
    expect(problems({ 'asg-names': 'web', 'expected-version': '1.2.3' })).toEqual([
      'expected-version: needs health-url as well',
    ]);
    expect(problems({ 'asg-names': 'web', 'poll-interval': '30', 'max-poll-interval': '10' })).toEqual([
      'max-poll-interval: 10 seconds is below poll-interval (30 seconds); accepted: at least poll-interval',
    ]);
    // By their old names, as the user wrote them, wherever the line names them.
    expect(
      problems({ 'asg-names': 'web', 'poll-interval-seconds': '30', 'max-poll-interval-seconds': '10' }),
    ).toEqual([
      'max-poll-interval-seconds: 10 seconds is below poll-interval-seconds (30 seconds); accepted: at least poll-interval-seconds',
    ]);
    expect(
      problems({ 'asg-names': 'web', 'poll-interval-seconds': '30', 'max-poll-interval': '10s' }),
    ).toEqual([
      'max-poll-interval: 10 seconds is below poll-interval-seconds (30 seconds); accepted: at least poll-interval-seconds',
    ]);
    expect(problems({ 'asg-names': 'web', 'poll-interval': '120' })).toEqual([]);
    // Only one given: the other follows it, whichever it is.
    expect(problems({ 'asg-names': 'web', 'max-poll-interval': '10' })).toEqual([]);
    expect(problems({ 'asg-names': 'web', 'max-poll-interval-seconds': '10' })).toEqual([]);
  });

  it('with only one of poll-interval and max-poll-interval given, the other follows it', () => {
    const pace = (inputs: Record<string, string>) => {
      const o = healthOptions(parseInputs(waitHealthySpec, source({ 'asg-names': 'web', ...inputs })), {
        env: () => undefined,
      });
      return [o.pollIntervalMs, o.maxPollIntervalMs];
    };
    expect(pace({})).toEqual([15_000, 60_000]);
    expect(pace({ 'poll-interval': '2m' })).toEqual([120_000, 120_000]);
    expect(pace({ 'max-poll-interval': '10s' })).toEqual([10_000, 10_000]);
    expect(pace({ 'max-poll-interval': '60s' })).toEqual([15_000, 60_000]);
    expect(pace({ 'poll-interval': '5s', 'max-poll-interval': '10s' })).toEqual([5000, 10_000]);
  });

  it('rejects a group listed twice in refreshes', () => {
    const r = { region: 'eu-west-1', group: 'web', refreshId: 'r-1', amiId: 'ami-0123456789abcdef0' };
    expect(problems({ refreshes: JSON.stringify([r, r]) })[0]).toMatch(
      /^refreshes: lists group web in eu-west-1 twice/,
    );
  });

  it("healthOptions turns the inputs' seconds and minutes into ms, decimals to the ms", () => {
    const inputs = { 'asg-names': 'web', 'poll-interval': '0.25', timeout: '2m' };
    const o = healthOptions(parseInputs(waitHealthySpec, source(inputs)), { env: () => undefined });
    expect(o).toMatchObject({
      pollIntervalMs: 250,
      maxPollIntervalMs: 60_000,
      timeoutMs: 120_000,
      unhealthyGraceMs: 300_000,
      healthUrlTimeoutMs: 5000,
    });
  });
});
