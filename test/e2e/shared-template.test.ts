// One launch template behind two groups, as accounts built by Terraform have them: a group the run
// did not select that follows $Latest would launch the new version the moment it exists, so the
// run refuses before any change. With only our group on it, a failed deploy leaves $Latest where it
// was: a scale-out after it launches the old AMI.
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DeleteAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
} from '@aws-sdk/client-auto-scaling';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { localcloudEnv, runActionStep } from '../harness/run-action.js';
import { seedGroup } from '../localcloud/aws/autoscaling-seed.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { config, groupAmis, templateState } from '../workflow/fleet-state.js';

jest.setTimeout(180_000);

const REGION = 'us-east-1';
const PARAM = '/golden-ami/shared';

describe('a launch template shared with a group the run did not select', () => {
  let lc: Localcloud;
  let asg: AutoScalingClient;
  let base: string;
  let bad: string;
  let templateId: string;

  const deploy = (ami: string) =>
    runActionStep('deploy-ami', {
      inputs: {
        'ami-id': ami,
        'parameter-name': PARAM,
        environment: 'shared',
        'poll-interval': '0.3',
        'max-poll-interval': '1',
        'unhealthy-grace': '2',
        timeout: '2m',
      },
      env: localcloudEnv(lc.url, REGION),
    });

  async function inService(name: string, count: number): Promise<void> {
    for (let i = 0; i < 300; i++) {
      const d = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
      const up = (d.AutoScalingGroups?.[0]?.Instances ?? []).filter(
        (x) => x.LifecycleState === 'InService' && x.HealthStatus === 'Healthy',
      );
      if (up.length >= count) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${name} never had ${count} instances InService`);
  }

  beforeAll(async () => {
    lc = await start({ port: 0, seed: 81 });
    asg = new AutoScalingClient(config(lc));
    [base, bad] = lc.control
      .seed({ images: [{ name: 'shared-base' }, { name: 'shared-bad', health: 'unhealthy' }] })
      .images.map((i) => i.imageId) as [string, string];
    templateId = seedGroup(lc.world, REGION, {
      name: 'ours',
      imageId: base,
      desired: 2,
      max: 4,
      version: '$Latest',
      tags: { Environment: 'shared' },
      consent: PARAM,
    }).launchTemplateId;
    // Another team's group on the same template, following $Latest: not ours to roll.
    await asg.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'theirs',
        LaunchTemplate: { LaunchTemplateId: templateId, Version: '$Latest' },
        MinSize: 0,
        MaxSize: 2,
        DesiredCapacity: 1,
        AvailabilityZones: [`${REGION}a`],
        Tags: [{ Key: 'Environment', Value: 'other', PropagateAtLaunch: true }],
      }),
    );
    await inService('ours', 2);
  });
  afterAll(async () => {
    asg.destroy();
    await lc.stop();
  });

  test('the run refuses before any change, naming the other group and how to proceed', async () => {
    const before = lc.logs.mutations.query({}).length;
    const good = lc.control.seed({ images: [{ name: 'shared-good' }] }).images[0]!.imageId;
    const r = await deploy(good);
    expect(r.exitCode).toBe(1);
    expect(r.outputs.status).toBe('refused');
    expect(r.errors[0]).toMatch(
      /group us-east-1\/theirs was not selected but follows \$Latest of launch template ours-lt .*Select it too \(asg-names \/ asg-tags\), pin it to a version number, or give it its own launch template/,
    );
    expect(lc.logs.mutations.query({}).length).toBe(before);
  });

  test('with only our group on it: after a failed deploy, a scale-out launches the old AMI', async () => {
    await asg.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'theirs', ForceDelete: true }));
    const r = await deploy(bad);
    expect(r.exitCode).toBe(1);
    expect(`${r.outputs.status} ${r.errors.join(' ')}`).toMatch(/^rolled-back /);
    expect(await templateState(lc, 'ours')).toMatchObject({ groupVersion: '$Latest', latest: 1 });
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'ours', DesiredCapacity: 4 }));
    await inService('ours', 4);
    expect(await groupAmis(lc, 'ours')).toEqual([base]);
  });
});
