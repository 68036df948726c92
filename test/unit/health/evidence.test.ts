// What one DescribeAutoScalingGroups answer proves about a watched group (round.ts): the refresh's
// success by the group's switch to its desired configuration, what that switch cannot decide, and
// when Auto Scaling's ELB health check stands for the group's targets.
import { describe, expect, it } from '@jest/globals';
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { Instance } from '@aws-sdk/client-ec2';
import { newGroupState } from '../../../src/health/group-state.js';
import { provableVersion, targetsByAutoScaling, undecided } from '../../../src/health/round.js';

const TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef';

function state(record: { newVersion?: string; previousVersion?: string } = {}) {
  const { newVersion = '5', previousVersion = '4' } = record;
  return newGroupState(
    {
      region: 'eu-west-1',
      group: 'web',
      refreshId: 'r-1',
      amiId: 'ami-0123456789abcdef0',
      launchTemplate: { id: 'lt-1', version: newVersion },
      newVersion,
      previousVersion,
    },
    0,
    60_000,
    1000,
    5000,
  );
}

type Member = NonNullable<AutoScalingGroup['Instances']>[number];
const member = (id: string, version: string, more: Partial<Member> = {}): Member => ({
  InstanceId: id,
  LifecycleState: 'InService',
  HealthStatus: 'Healthy',
  LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: version },
  AvailabilityZone: 'eu-west-1a',
  ProtectedFromScaleIn: false,
  ...more,
});
const group = (
  version: string,
  instances: Member[],
  more: Partial<AutoScalingGroup> = {},
): AutoScalingGroup =>
  ({
    AutoScalingGroupName: 'web',
    LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: version },
    DesiredCapacity: instances.length,
    MinSize: 0,
    MaxSize: 10,
    AvailabilityZones: ['eu-west-1a'],
    CreatedTime: new Date(0),
    HealthCheckType: 'ELB',
    HealthCheckGracePeriod: 60,
    TargetGroupARNs: [TG],
    Instances: instances,
    ...more,
  }) as AutoScalingGroup;

describe("the group's switch to its refresh's desired configuration", () => {
  it('proves the version the refresh, once read, names in its desired configuration, the group naming another before', () => {
    const s = state();
    // Never read: what roll-asg's record says it sent is not what AWS runs.
    expect(provableVersion(s)).toBeUndefined();
    s.refresh = {
      Status: 'InProgress',
      InstanceRefreshId: 'r-1',
      DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '5' } },
    };
    expect(provableVersion(s)).toBe('5');
    // Nothing to switch: the group already named it.
    const current = state({ newVersion: '4', previousVersion: '4' });
    current.refresh = s.refresh;
    expect(provableVersion(current)).toBeUndefined();
  });

  it('a refresh read without a desired configuration proves nothing', () => {
    const s = state();
    s.refresh = { Status: 'InProgress', InstanceRefreshId: 'r-1' };
    expect(provableVersion(s)).toBeUndefined();
  });
});

describe('what the answer shows that the switch cannot decide', () => {
  it('a refresh running as refreshes do: nothing', () => {
    const s = state();
    expect(undecided(s, group('4', [member('i-1', '4'), member('i-2', '4')]))).toBeUndefined();
    // Old instances leave, new ones come on the new version: progress.
    expect(
      undecided(
        s,
        group('4', [
          member('i-1', '4', { LifecycleState: 'Terminating' }),
          member('i-3', '5', { LifecycleState: 'Pending' }),
        ]),
      ),
    ).toBeUndefined();
  });

  it('an instance unhealthy, a new one leaving, one launched on the old version, a third version, the group gone', () => {
    const s = state();
    expect(undecided(s, group('4', [member('i-1', '4')]))).toBeUndefined();
    expect(undecided(s, group('4', [member('i-1', '4', { HealthStatus: 'Unhealthy' })]))).toBe(
      'i-1 unhealthy',
    );
    expect(
      undecided(
        s,
        group('4', [member('i-1', '4'), member('i-3', '5', { LifecycleState: 'Terminating:Wait' })]),
      ),
    ).toBe('i-3, on version 5, leaving');
    // A rollback launches instances on the previous version.
    expect(
      undecided(s, group('4', [member('i-1', '4'), member('i-4', '4', { LifecycleState: 'Pending' })])),
    ).toBe('i-4 launched on version 4');
    expect(undecided(s, group('7', [member('i-1', '4')]))).toBe('the group names version 7');
    expect(undecided(s, undefined)).toBe('the group is not in the answer');
  });
});

describe("Auto Scaling's ELB health check standing for the targets", () => {
  const now = Date.parse('2026-12-07T12:00:00Z');
  const launched = (secondsAgo: number): Map<string, Instance> =>
    new Map(
      ['i-1', 'i-2'].map((id) => [id, { InstanceId: id, LaunchTime: new Date(now - secondsAgo * 1000) }]),
    );
  const users = new Map([[TG, 1]]);
  const g = group('5', [member('i-1', '5'), member('i-2', '5')]);

  it('health check type ELB, every InService instance Healthy past its grace period, a target group of its own', () => {
    expect(targetsByAutoScaling(g, launched(120), users, now)).toBe(true);
  });

  it('not within the grace period (Auto Scaling does not check yet), nor with EC2 checks only', () => {
    expect(targetsByAutoScaling(g, launched(30), users, now)).toBe(false);
    expect(targetsByAutoScaling({ ...g, HealthCheckType: 'EC2' }, launched(120), users, now)).toBe(false);
  });

  it('not with an instance Unhealthy, an instance not described, or a target group another watched group shares', () => {
    const sick = group('5', [member('i-1', '5'), member('i-2', '5', { HealthStatus: 'Unhealthy' })]);
    expect(targetsByAutoScaling(sick, launched(120), users, now)).toBe(false);
    expect(targetsByAutoScaling(g, new Map([...launched(120)].slice(0, 1)), users, now)).toBe(false);
    expect(targetsByAutoScaling(g, launched(120), new Map([[TG, 2]]), now)).toBe(false);
  });
});
