// startGroup (src/roll/start.ts), round by round against aws-sdk-client-mock: a fake is clearer
// than a cloud for "AWS refuses the start once" and "the SDK retried a start that succeeded".
import { describe, expect, test } from '@jest/globals';
import {
  StartInstanceRefreshCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateVersionCommand } from '@aws-sdk/client-ec2';
import type { GroupPlan } from '../../../src/roll/plan.js';
import { startGroup, type StartSettings } from '../../../src/roll/start.js';
import { VersionLedger } from '../../../src/roll/version-ledger.js';
import { fakeClock } from '../../support/fake-clock.js';
import { asg, ec2, mockedContext as context, refreshIs } from './mocked.js';

const AMI = 'ami-00000000000000002';

/** A group on launch template lt-1 at `requested` (version 3, on the old AMI). */
function plan(requested: string, more: Partial<GroupPlan> = {}): GroupPlan {
  const group: AutoScalingGroup = {
    AutoScalingGroupName: 'web',
    LaunchTemplate: { LaunchTemplateId: 'lt-1', LaunchTemplateName: 'web', Version: requested },
  } as AutoScalingGroup;
  return {
    region: 'us-east-1',
    name: 'web',
    group,
    amiId: AMI,
    kind: 'launch-template',
    imageSource: 'launch-template',
    templates: [{ id: 'lt-1', name: 'web', requested, version: 3, imageId: 'ami-00000000000000001' }],
    instances: { total: 2, onAmi: 0 },
    replacing: ['i-1', 'i-2'],
    warnings: [],
    alreadyCurrent: false,
    ...more,
  };
}

const settings: StartSettings = {
  preferences: { checkpointPercentages: [], skipMatching: true, autoRollback: true, alarms: [] },
  ifRefreshInProgress: 'fail',
  timing: { deadline: Infinity, pollIntervalMs: 1000, maxPollIntervalMs: 1000 },
};

const awsError = (name: string, status = 400) =>
  Object.assign(new Error(name), { name, $fault: 'client', $metadata: { httpStatusCode: status } });

const noReplan = (p: GroupPlan) => Promise.resolve(p);

/** The pauses the context's fake clock was asked for. */
const sleepsOf = (ctx: ReturnType<typeof context>) => (ctx.clock as ReturnType<typeof fakeClock>).sleeps;

describe('startGroup', () => {
  test('makes the numbered version with the AMI and starts the refresh pinned to it', async () => {
    ec2.on(CreateLaunchTemplateVersionCommand).resolves({ LaunchTemplateVersion: { VersionNumber: 4 } });
    asg.on(StartInstanceRefreshCommand).resolves({ InstanceRefreshId: 'rf-1' });
    const ledger = new VersionLedger();
    const out = await startGroup(context(), plan('3'), settings, ledger, noReplan);
    expect(out).toMatchObject({
      status: 'refresh-started',
      refreshId: 'rf-1',
      template: { id: 'lt-1', previousVersion: 3, version: 4, created: true },
    });
    expect(asg.commandCalls(StartInstanceRefreshCommand)[0]!.args[0].input.DesiredConfiguration).toEqual({
      LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '4' },
    });
    expect(await ledger.settled()).toEqual([
      expect.objectContaining({ region: 'us-east-1', version: 4, used: true }),
    ]);
  });

  test("a start throttled past the SDK's attempts is sent again after a growing pause; throttled for good, it fails", async () => {
    ec2.on(CreateLaunchTemplateVersionCommand).resolves({ LaunchTemplateVersion: { VersionNumber: 4 } });
    asg
      .on(StartInstanceRefreshCommand)
      .rejectsOnce(awsError('Throttling'))
      .rejectsOnce(awsError('Throttling'))
      .resolves({ InstanceRefreshId: 'rf-1' });
    const ctx = context();
    const out = await startGroup(ctx, plan('3'), settings, new VersionLedger(), noReplan);
    expect(out).toMatchObject({ status: 'refresh-started', refreshId: 'rf-1' });
    expect(asg.commandCalls(StartInstanceRefreshCommand)).toHaveLength(3);
    expect(sleepsOf(ctx)).toEqual([1000, 2000]);

    asg.reset();
    asg.on(StartInstanceRefreshCommand).rejects(awsError('Throttling'));
    const stuck = context();
    await expect(startGroup(stuck, plan('3'), settings, new VersionLedger(), noReplan)).rejects.toThrow(
      /starting the instance refresh of us-east-1\/web: Throttling/,
    );
    expect(asg.commandCalls(StartInstanceRefreshCommand)).toHaveLength(5);
    expect(sleepsOf(stuck)).toEqual([1000, 2000, 4000, 8000]);
  });

  test('a group on $Latest is pinned first, and put back when the start is refused', async () => {
    ec2.on(CreateLaunchTemplateVersionCommand).resolves({ LaunchTemplateVersion: { VersionNumber: 4 } });
    asg.on(UpdateAutoScalingGroupCommand).resolves({});
    asg.on(StartInstanceRefreshCommand).rejects(awsError('ValidationError'));
    const ledger = new VersionLedger();
    await expect(startGroup(context(), plan('$Latest'), settings, ledger, noReplan)).rejects.toThrow(
      /starting the instance refresh of us-east-1\/web/,
    );
    const updates = asg
      .commandCalls(UpdateAutoScalingGroupCommand)
      .map((c) => c.args[0].input.LaunchTemplate);
    expect(updates).toEqual([
      { LaunchTemplateId: 'lt-1', Version: '3' },
      { LaunchTemplateId: 'lt-1', Version: '$Latest' },
    ]);
    // Refused outright: no refresh uses the version, so finishVersions deletes it.
    expect(await ledger.settled()).toEqual([expect.objectContaining({ version: 4, used: false })]);
  });

  test("another refresh got in first: the next round settles it (if-refresh-in-progress fail), and an earlier round's pin goes back", async () => {
    ec2.on(CreateLaunchTemplateVersionCommand).resolves({ LaunchTemplateVersion: { VersionNumber: 4 } });
    asg.on(UpdateAutoScalingGroupCommand).resolves({});
    asg.on(StartInstanceRefreshCommand).rejects(awsError('InstanceRefreshInProgress'));
    refreshIs({ InstanceRefreshId: 'rf-other', Status: 'InProgress', PercentageComplete: 10 });
    const ctx = context();
    await expect(startGroup(ctx, plan('$Latest'), settings, new VersionLedger(), noReplan)).rejects.toThrow(
      /us-east-1\/web has instance refresh rf-other \(InProgress, 10% complete\) .*if-refresh-in-progress is fail/,
    );
    expect(asg.commandCalls(UpdateAutoScalingGroupCommand)).toHaveLength(2);
  });

  test('a start the SDK retried after it had succeeded counts as ours', async () => {
    ec2.on(CreateLaunchTemplateVersionCommand).resolves({ LaunchTemplateVersion: { VersionNumber: 4 } });
    asg.on(StartInstanceRefreshCommand).rejects(awsError('InstanceRefreshInProgress'));
    refreshIs({
      InstanceRefreshId: 'rf-ours',
      Status: 'Pending',
      StartTime: new Date(1_000_000),
      DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '4' } },
    });
    const out = await startGroup(context(), plan('3'), settings, new VersionLedger(), noReplan);
    expect(out).toMatchObject({ status: 'refresh-started', refreshId: 'rf-ours' });
  });

  test('a running refresh in the plan is waited out, then the next round looks at the group again', async () => {
    refreshIs({ InstanceRefreshId: 'rf-other', Status: 'Successful' });
    const looked: GroupPlan[] = [];
    const ctx = context();
    const out = await startGroup(
      ctx,
      plan('3', { active: { id: 'rf-other', status: 'InProgress' } }),
      { ...settings, ifRefreshInProgress: 'wait' },
      new VersionLedger(),
      (p) => {
        looked.push(p);
        return Promise.resolve(plan('3', { alreadyCurrent: true }));
      },
    );
    expect(looked).toHaveLength(1);
    expect(out).toMatchObject({
      status: 'already-current',
      previousRefresh: { id: 'rf-other', finalStatus: 'Successful', cancelled: false },
    });
    expect(asg.commandCalls(StartInstanceRefreshCommand)).toHaveLength(0);
    expect(ctx.log.lines).toContainEqual(
      expect.stringMatching(/us-east-1\/web: already current once the earlier refresh ended/),
    );
  });
});
