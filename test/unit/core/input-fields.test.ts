// The one duration syntax (src/core/input-fields.ts): every duration input of every action takes
// 90 (its own unit), 90s, 5m, 1h, 1h30m, 500ms, and says what it accepts otherwise.
import { describe, expect, test } from '@jest/globals';
import {
  compactDuration,
  duration,
  InputProblem,
  parseDurationMs,
  seconds,
  waitPaceProblem,
  waitTimeout,
} from '../../../src/core/input-fields.js';
import { bakeSpec } from '../../../src/bake/inputs.js';
import { deploySpec } from '../../../src/deploy/inputs.js';
import { waitHealthySpec } from '../../../src/health/inputs.js';
import { promoteSpec } from '../../../src/promote/inputs.js';
import { retireSpec } from '../../../src/retire/inputs.js';
import { rollSpec } from '../../../src/roll/inputs.js';

describe('parseDurationMs', () => {
  test.each([
    ['90', 's', 90_000],
    ['90', 'm', 5_400_000],
    ['0.5', 's', 500],
    ['90s', 'm', 90_000],
    ['5m', 's', 300_000],
    ['1h', 's', 3_600_000],
    ['1h30m', 's', 5_400_000],
    ['1.5m', 's', 90_000],
    ['500ms', 's', 500],
    ['1m30s', 'ms', 90_000],
    ['14d', 'd', 1_209_600_000],
  ] as const)('%s (bare in %s) is %d ms', (raw, unit, ms) => {
    expect(parseDurationMs(raw, unit)).toBe(ms);
  });

  test.each(['', 'fast', '5 minutes', '1h 30m', '-5', '5x', 'm5', '1.s'])('%j is no duration', (raw) => {
    expect(parseDurationMs(raw, 's')).toBeUndefined();
  });
});

describe('duration fields', () => {
  const warmup = duration({ min: 0, max: 3600 });
  test('whole seconds by default: 500ms is refused where AWS takes whole seconds', () => {
    expect(warmup.parse('2m')).toBe(120);
    expect(() => warmup.parse('500ms')).toThrow(
      new InputProblem('"500ms" is not a whole number of seconds; accepted: 0 to 3600 seconds'),
    );
  });

  test('seconds take fractions; a wait timeout is seconds too, its old name minutes', () => {
    const poll = seconds({ default: '15s', min: 0.1, max: 3600, description: 'x' });
    expect(poll.parse('500ms')).toBe(0.5);
    expect(poll.parse('1m')).toBe(60);
    expect(() => poll.parse('50ms')).toThrow('"50ms" is out of range; accepted: 0.1 to 3600 seconds');
    const timeout = waitTimeout('x');
    expect(timeout.parse('90s')).toBe(90);
    expect(() => timeout.parse('90')).toThrow(
      '"90" has no unit: a bare number would be 90 seconds; give the unit, such as 90m',
    );
    expect(timeout.parse('1h30m')).toBe(5400);
    expect(timeout.formerly?.name).toBe('timeout-minutes');
    expect(timeout.formerly?.parse('90')).toBe(5400);
    expect(timeout.formerly?.parse('90s')).toBe(90);
  });

  test('a day-scale input needs its unit: a bare number would be seconds', () => {
    const keep = duration({
      unit: 'd',
      unitRequired: true,
      whole: false,
      min: 0,
      max: 3650,
      formerly: { name: 'keep-days', unit: 'd' },
    });
    expect(keep.parse('14d')).toBe(14);
    expect(keep.parse('36h')).toBe(1.5);
    expect(() => keep.parse('14')).toThrow(
      '"14" has no unit: a bare number would be 14 seconds; give the unit, such as 14d',
    );
    expect(keep.formerly?.parse('14')).toBe(14);
  });

  test('a renamed input takes a bare number only where its old name took seconds', () => {
    const keepFor = duration({ min: 3600, max: 604_800, formerly: { name: 'keep-hours', unit: 'h' } });
    expect(() => keepFor.parse('24')).toThrow(
      '"24" has no unit: a bare number would be 24 seconds; give the unit, such as 24h',
    );
    expect(keepFor.formerly?.parse('24')).toBe(86_400);
    const grace = duration({ min: 0, max: 600, formerly: { name: 'grace-seconds', unit: 's' } });
    expect(grace.parse('90')).toBe(90);
  });

  test('each unit at most once, largest first: 1m1m and 30m1h are refused', () => {
    const d = duration({ min: 0, max: 864_000 });
    expect(d.parse('1h30m')).toBe(5400);
    expect(d.parse('1d2h3m4s')).toBe(93_784);
    for (const bad of ['1m1m', '30m1h', '1s1m', '5ms5s'])
      expect(() => d.parse(bad)).toThrow(
        `"${bad}" is not a duration; accepted: seconds (90) or with units ms/s/m/h/d (90s, 15m, 1h30m; each unit once, largest first)`,
      );
  });

  test('an out-of-range value is shown as typed; ranges of hours and days read as durations', () => {
    const age = duration({
      unit: 'd',
      unitRequired: true,
      whole: false,
      min: 1 / 24,
      max: 3650,
      formerly: { name: 'age-days', unit: 'd' },
    });
    expect(() => age.parse('5m')).toThrow('"5m" is out of range; accepted: 1h to 3650d');
    expect(() => age.parse('500ms')).toThrow('"500ms" is out of range; accepted: 1h to 3650d');
    // Under its old name the range is in days, as the old name counted.
    expect(() => age.formerly!.parse('0.04')).toThrow(
      '0.04 days is out of range; accepted: 0.0417 to 3650 days (1h to 3650d)',
    );
    // A day-scale input offers days, though 500ms is in its range.
    expect(() => age.parse('abc')).toThrow('with units ms/s/m/h/d (1d, 7d, 30d; each unit once');
    // Never rounded (onto the bound it is outside of, or off it), nor float noise, nor "1 minutes".
    const timeout = waitTimeout('x');
    expect(() => timeout.parse('59999ms')).toThrow(
      '"59999ms" is out of range; accepted: 60 to 86400 seconds (1m to 1d)',
    );
    expect(() => timeout.parse('86400.4s')).toThrow('86400.4 seconds is out of range');
    expect(() => timeout.parse('1234567.891s')).toThrow('1234567.891 seconds is out of range');
    expect(() => timeout.parse('99999999999999999999h')).toThrow('"99999999999999999999h" is out of range');
    expect(() => timeout.formerly!.parse('0.9999')).toThrow(
      '0.9999 minutes is out of range; accepted: 1 to 1440 minutes (60 to 86400 seconds)',
    );
    expect(() => timeout.formerly!.parse('30s')).toThrow(
      '"30s" is out of range; accepted: 1 to 1440 minutes',
    );
    const short = duration({ min: 120, max: 600, formerly: { name: 'short-minutes', unit: 'm' } });
    expect(() => short.formerly!.parse('1')).toThrow(
      '1 minute is out of range; accepted: 2 to 10 minutes (120 to 600 seconds)',
    );
    expect(() => short.parse('1')).toThrow('"1" has no unit: a bare number would be 1 second; give the unit');
    const poll = seconds({ default: '15s', min: 0.1, max: 3600, description: 'x' });
    expect(() => poll.parse('0.0004')).toThrow(
      '0.0004 seconds is out of range; accepted: 0.1 to 3600 seconds',
    );
    // Examples the field accepts: not 500ms for a timeout of at least a minute.
    expect(() => timeout.parse('abc')).toThrow('(90s, 15m, 1h30m; each unit once');
    expect(compactDuration(5_400_500)).toBe('1h30m500ms');
    const grace = duration({ min: 0, max: 86_400, formerly: { name: 'unhealthy-grace-seconds', unit: 's' } });
    expect(() => grace.formerly!.parse('-1')).toThrow(
      '"-1" is not a duration; accepted: seconds (90) or with units ms/s/m/h/d (90s, 15m, 1h30m; each unit once, largest first)',
    );
  });

  test('a max-poll-interval below poll-interval is never shown equal to it', () => {
    const pace = (pollInterval: number, maxPollInterval: number) =>
      waitPaceProblem({ pollInterval, maxPollInterval }, () => true);
    expect(pace(120, 119.9)).toBe(
      'max-poll-interval: 119.9 seconds is below poll-interval (120 seconds); accepted: at least poll-interval',
    );
    expect(pace(15.001, 15)).toMatch(
      /^max-poll-interval: 15 seconds is below poll-interval \(15.001 seconds\)/,
    );
    expect(pace(30, 10)).toMatch(/^max-poll-interval: 10 seconds is below poll-interval \(30 seconds\)/);
  });

  const specs = [bakeSpec, rollSpec, waitHealthySpec, deploySpec, promoteSpec, retireSpec];

  test('every duration input of every action takes the syntax, under a name without a unit', () => {
    const durations = specs.flatMap((spec) =>
      Object.entries(spec.inputs)
        .filter(([, f]) => f.kind === 'duration')
        .map(([name, f]) => [`${spec.name} ${name}`, f] as const),
    );
    expect(durations.map(([n]) => n)).toEqual(
      expect.arrayContaining([
        'bake-ami timeout',
        'bake-ami poll-interval',
        'bake-ami reuse-max-age',
        'bake-ami deprecate-after',
        'roll-asg timeout',
        'roll-asg poll-interval',
        'roll-asg max-poll-interval',
        'wait-healthy unhealthy-grace',
        'wait-healthy health-url-timeout',
        'deploy-ami put-back-timeout',
        'deploy-ami timeout',
        'promote-ami-parameter poll-interval',
        'retire-amis keep-for',
        'retire-amis deregister-after',
      ]),
    );
    for (const [, f] of durations) expect(typeof f.parse(f.default ?? '1d')).toBe('number');
    // No input name says a unit, and no duration input is left on another kind.
    const named = specs.flatMap((spec) =>
      Object.keys(spec.inputs)
        .filter((name) => /-(minutes|seconds|hours|days)$/.test(name))
        .map((name) => `${spec.name} ${name}`),
    );
    expect(named).toEqual([]);
    const others = specs.flatMap((spec) =>
      Object.entries(spec.inputs)
        .filter(
          ([name, f]) =>
            /timeout|interval|warmup|delay|bake-time|grace|keep-for|max-age|-after$/.test(name) &&
            f.kind !== 'duration',
        )
        .map(([name]) => `${spec.name} ${name}`),
    );
    expect(others).toEqual([]);
  });
});
