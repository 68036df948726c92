// localcloud in-process for the roll unit tests (test/unit/support/localcloud-context.ts: one
// virtual clock, real SDK clients at lc.url, Auto Scaling among them), with seeding in localcloud's
// own world and reads of what it holds.
import { asgRegionOf } from '../../localcloud/aws/autoscaling-platform.js';
import type { AutoScalingGroup, InstanceRefresh } from '../../localcloud/aws/autoscaling-types.js';
import {
  seedGroup,
  seedTemplateVersion,
  type SeedGroupOptions,
} from '../../localcloud/aws/autoscaling-seed.js';
import { baseImageId } from '../../localcloud/seed.js';
import { REGION, startCloud, type UnitCloud } from '../support/localcloud-context.js';

/** Two Amazon Linux images every seeded region holds: the one groups run, the one rolled out. */
export const OLD_NAME = 'al2023-ami-2023.6.20241111.0-kernel-6.1-x86_64';
export const NEW_NAME = 'al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64';
export const OLD = baseImageId(REGION, OLD_NAME);
export const NEW = baseImageId(REGION, NEW_NAME);

export interface RollCloud extends UnitCloud {
  /** A launch template (version 1 on `imageId`, default OLD) and a group on it, no target group. */
  group(o: SeedGroupOptions, region?: string): ReturnType<typeof seedGroup>;
  /** A launch template's versions' data by number, and its default version. */
  template(
    id: string,
    region?: string,
  ): { versions: Map<number, Record<string, unknown>>; defaultVersion: number };
  /** Refreshes of a group as localcloud holds them, newest first. */
  refreshes(group: string, region?: string): InstanceRefresh[];
  /** Adds a launch template version copying the latest, with `data` over it; returns its number. */
  addVersion(id: string, data: Record<string, unknown>, region?: string): number;
  /** Lets time pass (launches, health checks, refreshes) until the work settles: 30 min of AWS time. */
  settle(): void;
  /** The images a group's instances run, by instance id order. */
  instanceImages(group: string, region?: string): string[];
  /** A group as localcloud holds it. */
  asg(name: string, region?: string): AutoScalingGroup | undefined;
}

export async function startRollCloud(): Promise<RollCloud> {
  const base = await startCloud({ autoScaling: true });
  const world = base.lc.world;
  return {
    ...base,
    group: (o, region = REGION) => seedGroup(world, region, { imageId: OLD, targetGroup: false, ...o }),
    template(id, region = REGION) {
      const t = world.region(region).ec2.launchTemplates.get(id);
      if (!t) throw new Error(`no launch template ${id}`);
      return {
        versions: new Map([...t.versions].map(([n, v]) => [n, v.data as Record<string, unknown>])),
        defaultVersion: t.defaultVersion,
      };
    },
    refreshes: (group, region = REGION) =>
      [...asgRegionOf(world.region(region)).refreshesOf(group)].reverse(),
    addVersion(id, data, region = REGION) {
      const n = seedTemplateVersion(world, region, id, {});
      const v = world.region(region).ec2.launchTemplates.get(id)!.versions.get(n)!;
      v.data = { ...v.data, ...data };
      return n;
    },
    settle: () => base.clock.advance(30 * 60),
    instanceImages: (group, region = REGION) =>
      [...(asgRegionOf(world.region(region)).groups.get(group)?.instances.values() ?? [])]
        .filter((i) => i.lifecycle === 'InService')
        .map((i) => i.imageId),
    asg: (name, region = REGION) => asgRegionOf(world.region(region)).groups.get(name),
  };
}
