// The arithmetic and bookkeeping behind bench figures: rates, wrong deletions, policy replay, the
// secrets search, and the bad-input table's agreement with every action.yml.
import { describe, expect, it } from '@jest/globals';
import { CASES } from '../../../bench/bad-inputs.js';
import { deniedUnder, withStatements, type ScenarioRun } from '../../../bench/least-privilege.js';
import { wrong } from '../../../bench/reap.js';
import { peakRate } from '../../../bench/roll.js';
import { scan } from '../../../bench/secrets.js';
import { loadAction } from '../../harness/action-metadata.js';
import { statements, type PolicyDocument } from '../../localcloud/iam.js';

describe('peakRate', () => {
  it('measures requests spaced at the budget as exactly the budget, whatever the alignment', () => {
    const every = (ms: number, n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i * ms);
    expect(peakRate(every(500, 10), 1000)).toBe(2);
    expect(peakRate(every(500, 10, 137), 1000)).toBe(2);
    // Three requests in a quarter second: a burst, but the one-second estimate says 2/s.
    expect(peakRate(every(250, 3), 1000)).toBe(2);
    expect(peakRate(every(1000 / 12, 40), 1000)).toBe(12);
    expect(peakRate([], 1000)).toBe(0);
    expect(peakRate([5], 1000)).toBe(0);
  });

  it('finds the busiest window in an uneven series', () => {
    expect(peakRate([0, 2000, 2100, 2200, 2300, 5000], 1000)).toBe(3);
  });
});

describe('wrong', () => {
  it('counts deletions of live targets and orphans left behind', () => {
    const orphans = new Set(['i-1', 'i-2']);
    expect(wrong(['i-1', 'i-2'], orphans)).toBe(0);
    expect(wrong(['i-1', 'i-3'], orphans)).toBe(2);
    expect(wrong([], orphans)).toBe(2);
  });
});

describe('least-privilege replay', () => {
  const policy: PolicyDocument = {
    Statement: [
      {
        Sid: 'Read',
        Effect: 'Allow',
        Action: ['ec2:DescribeImages', 'ec2:DescribeInstances'],
        Resource: '*',
      },
      { Sid: 'Tag', Effect: 'Allow', Action: 'ec2:CreateTags', Resource: '*' },
    ],
  };
  const run = (...actions: string[]): ScenarioRun => ({
    records: actions.map((action, i) => ({
      seq: i,
      service: 'ec2',
      region: 'us-east-1',
      operation: action.split(':')[1]!,
      allowed: true,
      checks: [{ action, resource: '*', allowed: true, statement: 0 }],
    })),
  });

  it('says which recorded runs would meet a denial under a reduced policy', () => {
    const runs = [run('ec2:DescribeImages'), run('ec2:CreateTags')];
    expect(deniedUnder(withStatements(policy, statements(policy)), runs)).toEqual([false, false]);
    const withoutTag = withStatements(policy, statements(policy).slice(0, 1));
    expect(deniedUnder(withoutTag, runs)).toEqual([false, true]);
  });

  it('turns an empty statement list into a policy that allows nothing', () => {
    const none = withStatements(policy, []);
    expect(none.Statement).toEqual([{ Effect: 'Deny', Action: 'localcloud:Nothing', Resource: '*' }]);
    expect(deniedUnder(none, [run('ec2:DescribeImages')])).toEqual([true]);
  });
});

describe('secrets scan', () => {
  const transcript = (log: string, summary = '') => ({
    label: 't',
    action: 'reap-octopus-orphans',
    texts: { log, summary },
  });

  it('finds a secret as is, URL-encoded or base64, anywhere but in add-mask commands', () => {
    const key = 'API-SECRET+/=1';
    const found = scan(
      [
        transcript(`::add-mask::${key}\nall good`),
        transcript('oops', `header ${Buffer.from(key).toString('base64')}`),
        transcript(`url ?key=${encodeURIComponent(key)}`),
      ],
      { key },
    );
    expect(found.found.key).toEqual(['t (reap-octopus-orphans) summary', 't (reap-octopus-orphans) log']);
    expect(found.masked.key).toBe(1);
    expect(found.texts).toBe(6);
  });
});

describe('bad-input table', () => {
  it('has at least 50 cases over every action, each naming real inputs of its action', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(50);
    expect(new Set(CASES.map((c) => c.action))).toEqual(
      new Set([
        'bake-ami',
        'promote-ami-parameter',
        'roll-asg',
        'wait-healthy',
        'reap-octopus-orphans',
        'retire-amis',
        'deploy-ami',
      ]),
    );
    for (const c of CASES) {
      const inputs = Object.keys(loadAction(c.action).inputs);
      for (const name of [...c.names, ...Object.keys(c.set)])
        expect([c.action, name, inputs.includes(name)]).toEqual([c.action, name, true]);
    }
  });
});
