// The snapshot, diff and invariant checker the interruption tests rely on can fail: a reading repeats
// when nothing changed, and a hand-made change — a label moved, a $Latest group pinned, another
// team's parameter relabelled — is reported by path, and fails the invariant whatever status is given.
import { UpdateAutoScalingGroupCommand, AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { LabelParameterVersionCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import {
  checkInvariant,
  diffFromBefore,
  snapshot,
  type Intent,
  type Scope,
  type Snapshot,
} from '../support/observables.js';
import { CREDENTIALS, ENVIRONMENT, OTHER_PARAMETER, PARAMETER, PRIMARY, type Estate } from './brownfield.js';
import { startDriverCloud, type DriverCloud } from './interruptions.js';

jest.setTimeout(60_000);

let cloud: DriverCloud;
let estate: Estate;
let scope: Scope;
let intent: Intent;
let before: Snapshot;
const cfg = () => ({ region: PRIMARY, endpoint: cloud.lc.url, credentials: CREDENTIALS });

beforeAll(async () => {
  cloud = await startDriverCloud(12);
  ({ estate, scope, intent } = await cloud.fresh());
  before = await snapshot(scope);
});
afterAll(async () => {
  await cloud.stop();
});

describe('the snapshot', () => {
  test('reads every observable of the estate', () => {
    expect(before.parameters[PARAMETER]?.labels[ENVIRONMENT]).toEqual({ version: 1, value: estate.baseAmi });
    expect(before.groups['us-east-1/web-latest']?.source).toEqual({
      LaunchTemplate: expect.objectContaining({ LaunchTemplateName: 'web-latest-lt', Version: '$Latest' }),
    });
    expect(before.groups['us-east-1/web-mixed']?.source).toMatchObject({
      MixedInstancesPolicy: {
        LaunchTemplate: { Overrides: [{}, { LaunchTemplateSpecification: { Version: '1' } }] },
        InstancesDistribution: { OnDemandBaseCapacity: 1, OnDemandPercentageAboveBaseCapacity: 50 },
      },
    });
    expect(before.groups['us-east-1/web-ssm']?.launches).toEqual([estate.baseAmi]);
    expect(before.groups['eu-west-1/web-eu']?.amis).toEqual([estate.secondaryAmi, estate.secondaryAmi]);
    expect(before.templates['us-east-1/web-default-lt']).toMatchObject({
      default: { version: 1, ami: estate.baseAmi },
      latest: { version: 2, ami: estate.baseAmi },
    });
    expect(before.octopus.fixed).toEqual(
      expect.arrayContaining([expect.stringMatching(/^legacy-production-box /)]),
    );
    expect(before.octopus.instanceTargets).toHaveLength(12);
  });

  test('repeats when nothing changed', async () => {
    expect(diffFromBefore(before, await snapshot(scope))).toEqual([]);
  });
});

describe('a change by hand is reported and fails the invariant', () => {
  const ssm = () => new SSMClient(cfg());

  test('a label moved: reported by path; neither as before nor intended, whatever the status', async () => {
    const client = ssm();
    await client.send(
      new LabelParameterVersionCommand({ Name: PARAMETER, ParameterVersion: 2, Labels: [ENVIRONMENT] }),
    );
    try {
      const after = await snapshot(scope);
      expect(diffFromBefore(before, after)).toEqual([
        `parameters.${PARAMETER}.labels.${ENVIRONMENT}.version: 1 → 2`,
        `parameters.${PARAMETER}.labels.${ENVIRONMENT}.value: "${estate.baseAmi}" → "${estate.olderAmi}"`,
        // The resolve:ssm group now launches what the label names.
        `groups.us-east-1/web-ssm.launches: -${estate.baseAmi}, +${estate.olderAmi}`,
        `templates.us-east-1/web-ssm-lt.latest.ami: "${estate.baseAmi}" → "${estate.olderAmi}"`,
        `templates.us-east-1/web-ssm-lt.default.ami: "${estate.baseAmi}" → "${estate.olderAmi}"`,
      ]);
      for (const status of ['healthy', 'rolled-back', ''])
        expect(
          checkInvariant(before, after, intent, { status, cancelled: true, post: { exitCode: 0 } }),
        ).toMatchObject({
          ok: false,
          ending: 'neither',
        });
      // A put-back AWS refused for good passes only when status is failed and every resource left
      // is listed with its command; the resolve:ssm template follows from its listed parameter.
      const left = (groups: string) =>
        checkInvariant(before, after, intent, {
          status: 'failed',
          cancelled: false,
          failureLines: [
            `production: NOT put back: label ${ENVIRONMENT} of ${PARAMETER} still names x (finish with: aws ssm label-parameter-version …)${groups}`,
          ],
        }).ok;
      expect(left('; us-east-1/web-ssm: not refreshed back (finish with: aws autoscaling …)')).toBe(true);
      expect(left('')).toBe(false);
    } finally {
      await client.send(
        new LabelParameterVersionCommand({ Name: PARAMETER, ParameterVersion: 1, Labels: [ENVIRONMENT] }),
      );
      client.destroy();
    }
    expect(diffFromBefore(before, await snapshot(scope))).toEqual([]);
  });

  test("a $Latest group pinned to a number, and the other team's label moved, are reported", async () => {
    const asg = new AutoScalingClient(cfg());
    const client = ssm();
    try {
      await asg.send(
        new UpdateAutoScalingGroupCommand({
          AutoScalingGroupName: 'web-latest',
          LaunchTemplate: { LaunchTemplateName: 'web-latest-lt', Version: '1' },
        }),
      );
      await client.send(
        new LabelParameterVersionCommand({ Name: OTHER_PARAMETER, ParameterVersion: 1, Labels: ['canary'] }),
      );
      const lines = diffFromBefore(before, await snapshot(scope));
      expect(lines).toEqual([
        `parameters.${OTHER_PARAMETER}.labels.canary: (absent) → {"version":1,"value":"${estate.otherAmi}"}`,
        'groups.us-east-1/web-latest.source.LaunchTemplate.Version: "$Latest" → "1"',
      ]);
    } finally {
      asg.destroy();
      client.destroy();
    }
  });
});

describe('the status must say which', () => {
  test('as before: failed/rolled-back/timed-out/refused pass; healthy or no status fail, unless a post step put it back', () => {
    const same = structuredClone(before);
    const check = (status: string, cancelled = false, post?: number) =>
      checkInvariant(before, same, intent, {
        status,
        cancelled,
        ...(post !== undefined ? { post: { exitCode: post } } : {}),
      });
    for (const s of ['failed', 'rolled-back', 'timed-out', 'refused']) expect(check(s).ok).toBe(true);
    expect(check('healthy').violations).toEqual(['the environment is as before, but status is "healthy"']);
    expect(check('').ok).toBe(false);
    expect(check('', true).violations).toEqual([
      'the environment is as before and no status was written, but no post step ran',
    ]);
    expect(check('', true, 1).ok).toBe(false);
    expect(check('', true, 0).ok).toBe(true);
  });
});
