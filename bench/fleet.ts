// Reading Auto Scaling state in-process (no API calls, so nothing lands in the call log or meets
// an injected fault): are the groups in service, and on which AMI.
import { asgRegionOf } from '../test/localcloud/aws/autoscaling-platform.js';
import type { InstanceRefresh } from '../test/localcloud/aws/autoscaling-types.js';
import type { BenchCloud } from './cloud.js';

const asgOf = (cloud: BenchCloud, region: string) => asgRegionOf(cloud.lc.world.region(region));

/** True when every group has `desired` instances InService and Healthy. */
export function groupsReady(cloud: BenchCloud, region: string, names: string[], desired: number): boolean {
  const asg = asgOf(cloud, region);
  return names.every((n) => {
    const g = asg.groups.get(n);
    const ready = [...(g?.instances.values() ?? [])].filter(
      (i) => i.lifecycle === 'InService' && i.health === 'Healthy',
    );
    return ready.length === desired;
  });
}

/** The AMIs the group's InService instances run, deduplicated. */
export function groupAmis(cloud: BenchCloud, region: string, name: string): string[] {
  const g = asgOf(cloud, region).groups.get(name);
  return [
    ...new Set(
      [...(g?.instances.values() ?? [])].filter((i) => i.lifecycle === 'InService').map((i) => i.imageId),
    ),
  ];
}

export function lastRefresh(cloud: BenchCloud, region: string, name: string): InstanceRefresh | undefined {
  return asgOf(cloud, region).refreshesOf(name).at(-1);
}
