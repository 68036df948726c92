import { ConfigurationError } from '../../../src/core/errors.js';
import { parseInputs } from '../../../src/core/inputs.js';
import { rollSpec } from '../../../src/roll/inputs.js';
import { rollOptionsFrom } from '../../../src/roll/options.js';

const AMI = 'ami-0123456789abcdef0';

function parse(inputs: Record<string, string>, env: Record<string, string> = { AWS_REGION: 'us-east-1' }) {
  return parseInputs(rollSpec, { input: (n) => inputs[n] ?? '', env: (n) => env[n] });
}

function problems(inputs: Record<string, string>): string[] {
  try {
    parse(inputs);
  } catch (err) {
    if (err instanceof ConfigurationError) return err.problems;
    throw err;
  }
  return [];
}

describe('roll-asg inputs', () => {
  it('turns the action.yml defaults into the preferences AWS documents as defaults, healthy percentages left to the group, regions from AWS_REGION', () => {
    const o = rollOptionsFrom(parse({ 'asg-names': 'web', 'ami-id': AMI }));
    expect(o).toMatchObject({
      regions: ['us-east-1'],
      names: ['web'],
      ami: { id: AMI },
      ifRefreshInProgress: 'fail',
      maxConcurrency: 10,
      timeoutMs: 3_600_000,
      pollIntervalMs: 15_000,
      maxPollIntervalMs: 60_000,
      dryRun: false,
      wait: false,
      setDefaultVersion: false,
    });
    // No healthy percentages unless given: the group's instance maintenance policy (else AWS's 90/100) applies.
    expect(o.preferences).toEqual({
      checkpointPercentages: [],
      skipMatching: true,
      autoRollback: true,
      alarms: [],
    });
  });

  it('with only one of poll-interval and max-poll-interval given, the other follows it', () => {
    const pace = (inputs: Record<string, string>) => {
      const o = rollOptionsFrom(parse({ 'asg-names': 'web', 'ami-id': AMI, ...inputs }));
      return [o.pollIntervalMs, o.maxPollIntervalMs];
    };
    expect(pace({ 'poll-interval': '2m' })).toEqual([120_000, 120_000]);
    expect(pace({ 'max-poll-interval': '10s' })).toEqual([10_000, 10_000]);
    expect(pace({ 'max-poll-interval-seconds': '10' })).toEqual([10_000, 10_000]);
    expect(pace({ 'poll-interval': '1s', 'max-poll-interval': '10s' })).toEqual([1000, 10_000]);
  });

  it('parses every preference as given', () => {
    const o = rollOptionsFrom(
      parse({
        'asg-tags': 'Environment=staging\nTeam=web',
        regions: 'us-east-1, eu-west-1',
        'ami-parameter': '/golden-ami/web:staging',
        'min-healthy-percentage': '50',
        'max-healthy-percentage': '150',
        'instance-warmup': '5m',
        'checkpoint-percentages': '20,50,100',
        'checkpoint-delay': '10m',
        alarms: 'web-5xx\nweb-latency',
        'scale-in-protected-instances': 'Ignore',
        'standby-instances': 'Terminate',
        'bake-time': '90',
        'poll-interval': '0.5',
      }),
    );
    expect(o.tags).toEqual({ Environment: 'staging', Team: 'web' });
    expect(o.regions).toEqual(['us-east-1', 'eu-west-1']);
    expect(o.ami).toEqual({ parameter: '/golden-ami/web:staging' });
    expect(o.pollIntervalMs).toBe(500);
    expect(o.preferences).toEqual({
      minHealthyPercentage: 50,
      maxHealthyPercentage: 150,
      instanceWarmupMs: 300_000,
      checkpointPercentages: [20, 50, 100],
      checkpointDelayMs: 600_000,
      skipMatching: true,
      autoRollback: true,
      alarms: ['web-5xx', 'web-latency'],
      scaleInProtectedInstances: 'Ignore',
      standbyInstances: 'Terminate',
      bakeTimeMs: 90_000,
    });
  });

  it.each([
    [
      { 'checkpoint-percentages': '50,20,100' },
      'checkpoint-percentages: 50,20,100 is not strictly ascending',
    ],
    [{ 'checkpoint-percentages': '20,50' }, 'checkpoint-percentages: 20,50 does not end in 100'],
    [{ 'checkpoint-percentages': '0,100' }, 'checkpoint-percentages: 0 out of range; accepted: 1 to 100'],
    [{ 'checkpoint-delay': '1h' }, 'checkpoint-delay: needs checkpoint-percentages as well'],
    [
      { 'max-healthy-percentage': '250' },
      'max-healthy-percentage: 250 is out of range; accepted: 100 to 200',
    ],
    [{ 'max-healthy-percentage': '150' }, 'max-healthy-percentage: needs min-healthy-percentage as well'],
    [
      { 'min-healthy-percentage': '10', 'max-healthy-percentage': '200' },
      'max-healthy-percentage (200) is more than 100 above min-healthy-percentage (10)',
    ],
    [
      { 'if-refresh-in-progress': 'skip' },
      'if-refresh-in-progress: "skip" is not accepted; accepted: fail, wait, cancel',
    ],
    [
      { 'standby-instances': 'Refresh' },
      'standby-instances: "Refresh" is not accepted; accepted: Terminate, Ignore, Wait',
    ],
    [{ 'max-concurrency': '0' }, 'max-concurrency: 0 is out of range; accepted: 1 to 100'],
    [
      { 'poll-interval': '5', 'max-poll-interval': '2' },
      'max-poll-interval: 2 seconds is below poll-interval (5 seconds)',
    ],
  ])('%j is reported: %s', (extra, message) => {
    expect(problems({ 'asg-names': 'web', 'ami-id': AMI, ...extra }).join('\n')).toContain(message);
  });

  it('accepts the edges AWS accepts: min 100 with max 100, a spread of exactly 100, a single checkpoint of 100', () => {
    const edges: Record<string, string>[] = [
      { 'min-healthy-percentage': '100', 'max-healthy-percentage': '100' },
      { 'min-healthy-percentage': '0', 'max-healthy-percentage': '100' },
      { 'min-healthy-percentage': '100', 'max-healthy-percentage': '200' },
      { 'checkpoint-percentages': '100', 'checkpoint-delay': '0' },
      // Only the minimum: AWS takes the maximum from the group's instance maintenance policy (or 100).
      { 'min-healthy-percentage': '50' },
    ];
    for (const extra of edges) expect(problems({ 'asg-names': 'web', 'ami-id': AMI, ...extra })).toEqual([]);
  });

  it('reports every problem at once: no target, no AMI, a bad AMI id shape', () => {
    expect(problems({})).toEqual([
      'one of ami-id, ami-parameter is required',
      'at least one of asg-names, asg-tags is required',
    ]);
    expect(problems({ 'asg-names': 'web', 'ami-id': 'ami-XYZ', 'ami-parameter': '/x' })).toEqual([
      'ami-id: "ami-XYZ" is not accepted; expected an AMI id such as ami-0123456789abcdef0',
      'ami-id and ami-parameter: give only one of ami-id, ami-parameter',
    ]);
  });
});
