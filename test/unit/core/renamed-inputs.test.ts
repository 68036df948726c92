// Issue 30: every duration input has a name without a unit and takes the one duration syntax (a
// bare number is seconds, and refused where the old name's unit was not seconds). Each old name is still accepted for one minor version, its bare number
// in its old unit, with a warning naming the new one; both names together are refused.
import { describe, expect, test } from '@jest/globals';
import { bakeSpec } from '../../../src/bake/inputs.js';
import { ConfigurationError } from '../../../src/core/errors.js';
import {
  declaredInputs,
  defineAction,
  parseInputs,
  type ActionSpec,
  type Fields,
} from '../../../src/core/inputs.js';
import { deploySpec } from '../../../src/deploy/inputs.js';
import { waitHealthySpec } from '../../../src/health/inputs.js';
import { retireSpec } from '../../../src/retire/inputs.js';
import { rollSpec } from '../../../src/roll/inputs.js';

/** The renames of CHANGELOG's table: old name, new name, an old value and the same with the new name. */
const RENAMES: Record<string, [old: string, now: string, oldValue: string, newValue: string][]> = {
  'bake-ami': [
    ['timeout-minutes', 'timeout', '90', '90m'],
    ['poll-interval-seconds', 'poll-interval', '0.5', '500ms'],
    ['reuse-max-age-days', 'reuse-max-age', '30', '30d'],
    ['deprecate-after-days', 'deprecate-after', '90', '90d'],
    ['keep-hours', 'keep-builder-for', '6', '6h'],
  ],
  'roll-asg': [
    ['timeout-minutes', 'timeout', '90', '90m'],
    ['poll-interval-seconds', 'poll-interval', '0.5', '0.5'],
    ['max-poll-interval-seconds', 'max-poll-interval', '30', '30s'],
  ],
  'wait-healthy': [
    ['timeout-minutes', 'timeout', '2', '2m'],
    ['poll-interval-seconds', 'poll-interval', '0.5', '500ms'],
    ['max-poll-interval-seconds', 'max-poll-interval', '30', '30'],
    ['unhealthy-grace-seconds', 'unhealthy-grace', '120', '2m'],
    ['health-url-timeout-seconds', 'health-url-timeout', '10', '10s'],
  ],
  'deploy-ami': [
    ['timeout-minutes', 'timeout', '90', '1h30m'],
    ['poll-interval-seconds', 'poll-interval', '0.5', '500ms'],
    ['max-poll-interval-seconds', 'max-poll-interval', '30', '30s'],
    ['unhealthy-grace-seconds', 'unhealthy-grace', '120', '120'],
    ['put-back-minutes', 'put-back-timeout', '10', '10m'],
  ],
  'retire-amis': [
    ['keep-days', 'keep-for', '14', '336h'],
    ['grace-days', 'deregister-after', '7', '168h'],
  ],
};

const specs: ActionSpec<Fields>[] = [bakeSpec, rollSpec, waitHealthySpec, deploySpec, retireSpec].map(
  (s) => s as unknown as ActionSpec<Fields>,
);

/** The action's own field, alone, read from `inputs` (the runner fills action.yml's default when not given). */
function read(spec: ActionSpec<Fields>, name: string, inputs: Record<string, string>) {
  const field = spec.inputs[name]!;
  const one = defineAction({ name: spec.name, inputs: { [name]: field }, outputs: {} });
  const warnings: string[] = [];
  const declared = declaredInputs(one).find((i) => i.name === name)!;
  const all = { [name]: declared.default ?? '', ...inputs };
  const v = parseInputs(one, { input: (n) => all[n] ?? '', env: () => undefined }, (m) => warnings.push(m));
  return { value: Object.values(v)[0], warnings };
}

describe.each(specs.map((s) => [s.name, s] as const))('%s', (action, spec) => {
  const renames = RENAMES[action]!;

  test('every renamed input is in the table, and every old name is declared on its field', () => {
    const declared = Object.entries(spec.inputs)
      .filter(([, f]) => f.formerly)
      .map(([name, f]) => [f.formerly!.name, name]);
    expect(declared.sort()).toEqual(renames.map(([old, now]) => [old, now]).sort());
  });

  test('the old name still works, its bare number in the old unit, and warns naming the new', () => {
    for (const [old, now, oldValue, newValue] of renames) {
      const byOld = read(spec, now, { [old]: oldValue });
      expect([old, byOld.value]).toEqual([old, read(spec, now, { [now]: newValue }).value]);
      expect(byOld.warnings).toEqual([
        expect.stringMatching(
          new RegExp(
            `^${old} is deprecated and will be removed in the next minor version: ${old}: ${oldValue} → ${now}: `,
          ),
        ),
      ]);
      // The value the warning suggests means what the old one did.
      const suggested = byOld.warnings[0]!.split(`${now}: `).pop()!;
      expect([old, read(spec, now, { [now]: suggested }).value]).toEqual([old, byOld.value]);
    }
  });

  test('a bare number under the new name is refused where the old name was not in seconds', () => {
    for (const [old, now, oldValue] of renames) {
      const field = spec.inputs[now]!;
      const oldUnit = field.formerly!.unit;
      let err: unknown;
      try {
        read(spec, now, { [now]: oldValue });
      } catch (e) {
        err = e;
      }
      if (oldUnit === 's') expect([old, err]).toEqual([old, undefined]);
      else
        expect([old, (err as ConfigurationError).problems]).toEqual([
          old,
          [
            `${now}: "${oldValue}" has no unit: a bare number would be ${oldValue} seconds; give the unit, such as ${oldValue}${oldUnit}`,
          ],
        ]);
    }
  });

  test('action.yml declares no default for a renamed input, so the new name written as its default is seen', () => {
    for (const [old, now, oldValue] of renames) {
      const field = spec.inputs[now]!;
      const declared = declaredInputs(spec).find((i) => i.name === now)!;
      expect([now, declared.default, declared.shownDefault]).toEqual([now, undefined, field.default]);
      if (field.default === undefined) continue;
      expect(() => read(spec, now, { [old]: oldValue, [now]: field.default! })).toThrow(
        `${old}: is the old name of ${now}; give only ${now}`,
      );
    }
  });

  test('the old and the new name together are refused', () => {
    for (const [old, now, oldValue, newValue] of renames) {
      let err: unknown;
      try {
        read(spec, now, { [old]: oldValue, [now]: newValue });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigurationError);
      expect((err as ConfigurationError).problems).toContain(
        `${old}: is the old name of ${now}; give only ${now}`,
      );
    }
  });
});
