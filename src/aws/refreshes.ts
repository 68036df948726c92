// A group's instance refreshes: the newest by StartTime, or one by id. The SDKs' reference says
// newest first, the API reference names no order: list position never decides which is "the latest".
import {
  paginateDescribeInstanceRefreshes,
  type AutoScalingClient,
  type InstanceRefresh,
} from '@aws-sdk/client-auto-scaling';
import { paginatorArgs, type Paging } from './paging.js';

/** The refresh with the latest StartTime (a refresh without one counts as oldest). */
export function newestRefresh(refreshes: readonly InstanceRefresh[]): InstanceRefresh | undefined {
  let best: InstanceRefresh | undefined;
  for (const r of refreshes)
    if (!best || (r.StartTime?.getTime() ?? -Infinity) > (best.StartTime?.getTime() ?? -Infinity)) best = r;
  return best;
}

/** AWS's largest page; every page is read, so the newest is found whatever the order. */
const REFRESH_PAGE = 100;

/** The refresh with the given id, or the group's newest by StartTime; undefined when there is none. */
export async function latestRefresh(
  client: AutoScalingClient,
  group: string,
  o: Paging & { id?: string } = {},
): Promise<InstanceRefresh | undefined> {
  const all: InstanceRefresh[] = [];
  const [config, options] = paginatorArgs(client, o, o.id ? undefined : REFRESH_PAGE);
  const pages = paginateDescribeInstanceRefreshes(
    config,
    { AutoScalingGroupName: group, ...(o.id ? { InstanceRefreshIds: [o.id] } : {}) },
    options,
  );
  for await (const page of pages) all.push(...(page.InstanceRefreshes ?? []));
  return o.id ? all.find((r) => r.InstanceRefreshId === o.id) : newestRefresh(all);
}
