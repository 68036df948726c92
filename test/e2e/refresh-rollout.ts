// A group of healthy instances on one image, then an instance refresh towards a new launch
// template version on another: the record roll-asg would output for it (wait-healthy e2e tests;
// the unit tests' ./test/unit/health/cloud.ts starts its refreshes with refreshToNewVersion).
import {
  DescribeAutoScalingGroupsCommand,
  StartInstanceRefreshCommand,
  type AutoScalingClient,
  type RefreshPreferences,
} from '@aws-sdk/client-auto-scaling';
import { seedGroup, seedTemplateVersion } from '../localcloud/aws/autoscaling-seed.js';
import type { Localcloud } from '../localcloud/index.js';
import { until } from '../localcloud/test-support.js';

export interface RolloutSetup {
  lc: Localcloud;
  asg: AutoScalingClient;
  region: string;
}

/** roll-asg's record of a refresh it started (a type, so it is also a Record<string, string>). */
export type RolloutRecord = {
  region: string;
  group: string;
  refreshId: string;
  amiId: string;
  newVersion: string;
  previousVersion: string;
};

export async function startRollout(
  { lc, asg, region }: RolloutSetup,
  name: string,
  from: string,
  to: string,
  preferences: RefreshPreferences = {},
  desired = 3,
): Promise<Record<string, string>> {
  const seeded = seedGroup(lc.world, region, { name, imageId: from, desired });
  // 25 ms a poll: at most 30 s for the group's instances to be InService and healthy.
  await until(
    `${name} InService and healthy`,
    async () => {
      const g = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })))
        .AutoScalingGroups![0]!;
      const ready = g.Instances?.filter(
        (i) => i.LifecycleState === 'InService' && i.HealthStatus === 'Healthy',
      );
      return ready?.length === desired ? true : undefined;
    },
    1200,
  );
  return refreshToNewVersion({ lc, asg, region }, name, seeded.launchTemplateId, { imageId: to }, to, {
    MinHealthyPercentage: 50,
    ...preferences,
  });
}

/**
 * A new version of the group's launch template on `image` (an AMI id or an SSM parameter) and an
 * instance refresh to it, as roll-asg starts one: its record, expecting `amiId`.
 */
export async function refreshToNewVersion(
  { lc, asg, region }: RolloutSetup,
  name: string,
  launchTemplateId: string,
  image: { imageId: string } | { imageParameter: string },
  amiId: string,
  preferences: RefreshPreferences = {},
): Promise<RolloutRecord> {
  const version = String(seedTemplateVersion(lc.world, region, launchTemplateId, image));
  const started = await asg.send(
    new StartInstanceRefreshCommand({
      AutoScalingGroupName: name,
      DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: launchTemplateId, Version: version } },
      Preferences: { InstanceWarmup: 0, SkipMatching: true, ...preferences },
    }),
  );
  return {
    region,
    group: name,
    refreshId: started.InstanceRefreshId!,
    amiId,
    newVersion: version,
    previousVersion: '1',
  };
}
