// deploy-ami composes roll-asg and wait-healthy by their specs: each of their rules and their
// cross-field checks runs in deploy-ami over the inputs it passes them, with the same message.
import { jest } from '@jest/globals';
import { partInputs } from '../../../src/core/compose.js';
import { ConfigurationError } from '../../../src/core/errors.js';
import { parseInputs, type ActionSpec, type Fields, type Rule } from '../../../src/core/inputs.js';
import { deploySpec, rollPart, waitPart } from '../../../src/deploy/inputs.js';
import { waitHealthySpec } from '../../../src/health/inputs.js';
import { rollSpec } from '../../../src/roll/inputs.js';

const env = { AWS_REGION: 'us-east-1' };
const AMI = 'ami-0123456789abcdef0';
const deployBase = { 'ami-id': AMI, 'parameter-name': '/golden-ami/web', environment: 'staging' };
const alone = {
  'roll-asg': { spec: rollSpec as ActionSpec<Fields>, base: { 'asg-names': 'web', 'ami-id': AMI } },
  'wait-healthy': { spec: waitHealthySpec as ActionSpec<Fields>, base: { 'asg-names': 'web' } },
};

function problems(spec: ActionSpec<Fields>, raw: Record<string, string>): string[] {
  try {
    parseInputs(spec, { input: (n) => raw[n] ?? '', env: (n) => env[n as 'AWS_REGION'] });
  } catch (err) {
    if (err instanceof ConfigurationError) return err.problems;
    throw err;
  }
  return [];
}

/** A rule deploy-ami's user can break: inputs that break it, in both actions. */
type Broken = { rule: Rule; raw: Record<string, string> };
/** A rule deploy-ami keeps itself, by what it passes the action. */
type Kept = { rule: Rule; because: string };

const rollRules: (Broken | Kept)[] = [
  { rule: { exactlyOne: ['ami-id', 'ami-parameter'] }, because: 'ami-id is required' },
  { rule: { atLeastOne: ['asg-names', 'asg-tags'] }, because: 'groups default to Environment=<environment>' },
  { rule: { requires: ['checkpoint-delay', 'checkpoint-percentages'] }, raw: { 'checkpoint-delay': '60' } },
  {
    rule: { requires: ['max-healthy-percentage', 'min-healthy-percentage'] },
    raw: { 'max-healthy-percentage': '150' },
  },
];
const waitRules: (Broken | Kept)[] = [
  { rule: { atLeastOne: ['refreshes', 'asg-names', 'asg-tags'] }, because: 'the refreshes are the roll’s' },
  { rule: { atMostOne: ['refreshes', 'asg-names'] }, because: 'the wait takes no asg-names' },
  { rule: { atMostOne: ['refreshes', 'asg-tags'] }, because: 'the wait takes no asg-tags' },
  { rule: { requires: ['expected-version', 'health-url'] }, raw: { 'expected-version': '1.2.3' } },
];

/** The cross-field checks' problems deploy-ami's user can cause. */
const checks: { action: keyof typeof alone; raw: Record<string, string>; says: RegExp }[] = [
  {
    action: 'roll-asg',
    raw: { 'min-healthy-percentage': '0', 'max-healthy-percentage': '200' },
    says: /^max-healthy-percentage \(200\) is more than 100 above min-healthy-percentage \(0\)/,
  },
  {
    action: 'roll-asg',
    raw: { 'poll-interval': '30', 'max-poll-interval': '20' },
    says: /^max-poll-interval: 20 seconds is below poll-interval \(30 seconds\)/,
  },
  {
    action: 'wait-healthy',
    raw: { 'poll-interval': '30', 'max-poll-interval': '20' },
    says: /^max-poll-interval: 20 seconds is below poll-interval \(30 seconds\)/,
  },
];

describe('deploy-ami composes roll-asg and wait-healthy with their rules and checks', () => {
  test('refuses min-healthy-percentage 0 with max-healthy-percentage 200, as roll-asg does', () => {
    const raw = { 'min-healthy-percentage': '0', 'max-healthy-percentage': '200' };
    const roll = problems(alone['roll-asg'].spec, { ...alone['roll-asg'].base, ...raw });
    expect(roll).toHaveLength(1);
    expect(problems(deploySpec as ActionSpec<Fields>, { ...deployBase, ...raw })).toEqual(roll);
  });

  test('the tables name every rule of both actions, in their order', () => {
    expect(rollRules.map((r) => r.rule)).toEqual(rollSpec.rules);
    expect(waitRules.map((r) => r.rule)).toEqual(waitHealthySpec.rules);
  });

  test.each([
    ...rollRules.map((r) => ['roll-asg', r] as const),
    ...waitRules.map((r) => ['wait-healthy', r] as const),
  ])('%s rule %j runs in deploy-ami', (action, r) => {
    if ('because' in r) {
      expect(problems(deploySpec as ActionSpec<Fields>, deployBase)).toEqual([]);
      return;
    }
    const single = problems(alone[action].spec, { ...alone[action].base, ...r.raw });
    expect(single).toHaveLength(1);
    expect(problems(deploySpec as ActionSpec<Fields>, { ...deployBase, ...r.raw })).toEqual(single);
  });

  test.each(checks)('$action check: $says, in deploy-ami too', ({ action, raw, says }) => {
    expect(problems(alone[action].spec, { ...alone[action].base, ...raw })).toEqual([
      expect.stringMatching(says),
    ]);
    // Once, though both actions say it.
    expect(problems(deploySpec as ActionSpec<Fields>, { ...deployBase, ...raw })).toEqual([
      expect.stringMatching(says),
    ]);
  });

  test('each check runs whole, on the inputs deploy-ami passes that action', () => {
    const roll = jest.spyOn(rollSpec, 'check');
    const wait = jest.spyOn(waitHealthySpec, 'check');
    try {
      expect(problems(deploySpec as ActionSpec<Fields>, deployBase)).toEqual([]);
      expect(roll).toHaveBeenCalledTimes(1);
      expect(wait).toHaveBeenCalledTimes(1);
      expect(roll.mock.calls[0]![0]).toMatchObject({
        asgTags: { Environment: 'staging' },
        consentParameter: '/golden-ami/web',
        amiId: AMI,
      });
      expect(wait.mock.calls[0]![0]).toMatchObject({ asgNames: [], rollbackOnFailure: false });
    } finally {
      roll.mockRestore();
      wait.mockRestore();
    }
  });

  test("the parts' inputs are what their toOptions get", () => {
    const raw = { ...deployBase, 'asg-names': 'web', 'health-url': 'http://{private-ip}/v' };
    const v = parseInputs(deploySpec, {
      input: (n) => raw[n as keyof typeof raw] ?? '',
      env: (n) => env[n as 'AWS_REGION'],
    });
    expect(partInputs(rollPart, v)).toMatchObject({
      asgNames: ['web'],
      asgTags: {},
      setDefaultVersion: false,
    });
    expect(partInputs(waitPart, v)).toMatchObject({ healthUrl: 'http://{private-ip}/v', asgNames: [] });
  });
});
