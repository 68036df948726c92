// localcloud in-process for the wait-healthy unit tests (test/unit/support/localcloud-context.ts):
// Auto Scaling, EC2 and ELBv2 through real SDK clients on the concurrent virtual clock, AWS's own
// durations (one tick a second), groups seeded healthy and refreshes started as roll-asg starts them.
import type { RefreshPreferences } from '@aws-sdk/client-auto-scaling';
import { asgRegionOf } from '../../localcloud/aws/autoscaling-platform.js';
import type { AutoScalingGroup, InstanceRefresh } from '../../localcloud/aws/autoscaling-types.js';
import { seedGroup, type SeedGroupOptions } from '../../localcloud/aws/autoscaling-seed.js';
import { refreshToNewVersion } from '../../e2e/refresh-rollout.js';
import { seedParameter } from '../../localcloud/aws/ssm-parameters.js';
import { REALISTIC_DURATIONS } from '../../localcloud/durations.js';
import { baseImageId, seedImage } from '../../localcloud/seed.js';
import type { WaitOptions } from '../../../src/health/types.js';
import { startCloud, type UnitCloud } from '../support/localcloud-context.js';

/** The Amazon Linux image every group starts on, and the one most refreshes roll out. */
const OLD_NAME = 'al2023-ami-2023.6.20241111.0-kernel-6.1-x86_64';
const NEW_NAME = 'al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64';
export const oldAmi = (region: string) => baseImageId(region, OLD_NAME);
export const newAmi = (region: string) => baseImageId(region, NEW_NAME);

type RefreshRecord = NonNullable<WaitOptions['refreshes']>[number];

export interface Rollout extends Omit<SeedGroupOptions, 'imageId' | 'imageParameter'> {
  region: string;
  /** The image the refresh rolls out (default the newer Amazon Linux). */
  to?: string;
  /** Both template versions take their image from SSM parameters (AWS cannot roll such a refresh back). */
  viaSsm?: boolean;
  preferences?: RefreshPreferences;
}

export interface HealthCloud extends UnitCloud {
  /** An image the account owns; `unhealthy`: its instances fail their health checks. */
  ownImage(region: string, name: string, health?: 'unhealthy'): string;
  /**
   * Groups on the old image, left to be InService and healthy, then a refresh of each to its `to`,
   * started as roll-asg starts them: roll-asg's records, in order.
   */
  rollout(...groups: Rollout[]): Promise<RefreshRecord[]>;
  asg(region: string, name: string): AutoScalingGroup;
  /** The group's newest refresh as localcloud holds it. */
  refresh(region: string, group: string): InstanceRefresh;
  /** The images the group's InService instances run. */
  instanceImages(region: string, group: string): string[];
  /** Lets `ms` of AWS time pass. */
  settle(ms: number): void;
}

export async function startHealthCloud(): Promise<HealthCloud> {
  const base = await startCloud({
    durations: REALISTIC_DURATIONS,
    tickMs: 1000,
    autoScaling: true,
    elbv2: true,
    concurrent: true,
  });
  const world = base.lc.world;
  const asgRegion = (region: string) => asgRegionOf(world.region(region));
  const cloud: HealthCloud = {
    ...base,
    reset() {
      base.reset();
      base.lc.control.setDurations('realistic');
    },
    ownImage: (region, name, health) =>
      seedImage(world.region(region), { name, ...(health ? { health } : {}) }).imageId,
    rollout: (...groups) => rollout(cloud, groups),
    asg(region, name) {
      const g = asgRegion(region).groups.get(name);
      if (!g) throw new Error(`no group ${name} in ${region}`);
      return g;
    },
    refresh: (region, group) => asgRegion(region).refreshesOf(group).at(-1)!,
    instanceImages: (region, group) =>
      [...cloud.asg(region, group).instances.values()]
        .filter((i) => i.lifecycle === 'InService')
        .map((i) => i.imageId),
    settle: (ms) => base.clock.advance(ms),
  };
  return cloud;
}

async function rollout(cloud: HealthCloud, groups: Rollout[]): Promise<RefreshRecord[]> {
  const world = cloud.lc.world;
  const templates = groups.map(({ region, to: _to, viaSsm, preferences: _p, ...group }) => {
    if (viaSsm) seedParameter(world.region(region), `/golden/${group.name}`, oldAmi(region));
    return seedGroup(world, region, {
      ...group,
      ...(viaSsm ? { imageParameter: `/golden/${group.name}` } : { imageId: oldAmi(region) }),
    }).launchTemplateId;
  });
  // Boot and health checks: every instance InService and healthy before the rollouts.
  cloud.settle(120_000);
  return Promise.all(groups.map((g, i) => startRefresh(cloud, g, templates[i]!)));
}

async function startRefresh(cloud: HealthCloud, o: Rollout, template: string): Promise<RefreshRecord> {
  const { region, name, to = newAmi(region) } = o;
  if (o.viaSsm) seedParameter(cloud.lc.world.region(region), `/golden/${name}-next`, to);
  const image = o.viaSsm ? { imageParameter: `/golden/${name}-next` } : { imageId: to };
  const setup = { lc: cloud.lc, asg: cloud.clients.autoScaling(region), region };
  // AWS's default MinHealthyPercentage, as roll-asg sends it.
  return refreshToNewVersion(setup, name, template, image, to, {
    MinHealthyPercentage: 90,
    ...o.preferences,
  });
}
