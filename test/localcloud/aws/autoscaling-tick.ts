// One tick of a region's Auto Scaling world: follow EC2, advance refreshes, keep capacity.
import {
  activeRefresh,
  liveInstances,
  maintainCapacity,
  memberInstances,
  syncGroup,
  terminateFromGroup,
} from './autoscaling-fleet.js';
import type { AsgRegion } from './autoscaling-state.js';
import { purgeDrained } from './elbv2-state.js';
import { stepRefresh } from './refresh-engine.js';
import {
  drawFromWarmPool,
  maintainWarmPool,
  syncWarmPool,
  terminateWarm,
  warmInstances,
} from './autoscaling-warm-pool.js';

export function tickRegion(region: AsgRegion): void {
  const now = region.platform.now();
  for (const tg of region.targetGroups.values()) purgeDrained(tg, now, region.timings);
  for (const group of [...region.groups.values()]) {
    syncGroup(region, group);
    syncWarmPool(region, group);
    if (group.deleting) {
      for (const inst of memberInstances(group)) terminateFromGroup(region, group, inst.instanceId);
      for (const inst of warmInstances(group)) terminateWarm(region, group, inst);
      if (group.instances.size === 0 && !group.warmPool?.instances.size) {
        region.groups.delete(group.name);
        region.refreshes.delete(group.name);
      }
      continue;
    }
    const refresh = activeRefresh(region, group.name);
    if (refresh) stepRefresh(region, group, refresh);
    // While a refresh replaces instances it owns the fleet; baking or done, the group keeps itself.
    const still = activeRefresh(region, group.name);
    // The warm pool refills from what the refresh moves to, or from the group's own configuration.
    maintainWarmPool(region, group, still?.phase?.target ?? still?.desiredConfiguration ?? group.config);
    if (still && still.status !== 'Baking') continue;
    drawFromWarmPool(region, group, group.desired - liveInstances(group).length);
    maintainCapacity(region, group, still?.desiredConfiguration ?? group.config);
  }
}
