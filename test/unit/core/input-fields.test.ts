// The one duration syntax (src/core/input-fields.ts): every duration input of every action takes
// 90 (its own unit), 90s, 5m, 1h, 1h30m, 500ms, and says what it accepts otherwise.
import { describe, expect, test } from '@jest/globals';
import { duration, InputProblem, minutes, parseDurationMs, seconds } from '../../../src/core/input-fields.js';
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

  test('seconds and minutes take fractions; ranges are in their unit', () => {
    const poll = seconds({ default: '15', min: 0.1, max: 3600, description: 'x' });
    expect(poll.parse('500ms')).toBe(0.5);
    expect(poll.parse('1m')).toBe(60);
    expect(() => poll.parse('50ms')).toThrow('0.05 seconds is out of range; accepted: 0.1 to 3600 seconds');
    const timeout = minutes({ default: '60', min: 1, max: 1440, description: 'x' });
    expect(timeout.parse('90')).toBe(90);
    expect(timeout.parse('1h30m')).toBe(90);
    expect(timeout.parse('90s')).toBe(1.5);
  });

  test('every duration input of roll-asg, wait-healthy, deploy-ami, promote and retire takes the syntax', () => {
    const durations = [rollSpec, waitHealthySpec, deploySpec, promoteSpec, retireSpec].flatMap((spec) =>
      Object.entries(spec.inputs)
        .filter(([, f]) => f.kind === 'duration')
        .map(([name, f]) => [`${spec.name} ${name}`, f] as const),
    );
    expect(durations.map(([n]) => n)).toEqual(
      expect.arrayContaining([
        'roll-asg timeout-minutes',
        'roll-asg poll-interval-seconds',
        'wait-healthy unhealthy-grace-seconds',
        'deploy-ami put-back-minutes',
        'promote-ami-parameter poll-interval',
        'retire-amis keep-days',
      ]),
    );
    for (const [, f] of durations) expect(typeof f.parse(f.default ?? '1')).toBe('number');
    // No duration input left on another kind: a name that says a unit is a duration field.
    const others = [rollSpec, waitHealthySpec, deploySpec, promoteSpec, retireSpec].flatMap((spec) =>
      Object.entries(spec.inputs)
        .filter(
          ([name, f]) =>
            /-(minutes|seconds|days)$|timeout|interval|warmup|delay|bake-time/.test(name) &&
            f.kind !== 'duration',
        )
        .map(([name]) => `${spec.name} ${name}`),
    );
    expect(others).toEqual([]);
  });
});
