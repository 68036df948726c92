// A group's instance refreshes: the newest by StartTime, or one by id. The SDKs' reference says
// newest first, the API reference names no order: list position never decides which is "the latest".
import {
  paginateDescribeInstanceRefreshes,
  type AutoScalingClient,
  type InstanceRefresh,
} from '@aws-sdk/client-auto-scaling';
import { paginatorArgs, type Paging } from './paging.js';

/**
 * A refresh that has not ended: AWS's statuses for it (InstanceRefresh Status, as
 * DescribeInstanceRefreshes returns it: https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceRefresh.html):
 * Pending ("has not started"), InProgress, Baking ("waiting the specified bake time after an
 * instance refresh has finished updating instances"), Cancelling ("being cancelled") and
 * RollbackInProgress ("being rolled back"). Successful, Failed, Cancelled, RollbackSuccessful and
 * RollbackFailed have ended. StartInstanceRefresh refuses a group with an active one.
 */
export const ACTIVE_STATUSES: ReadonlySet<string> = new Set([
  'Pending',
  'InProgress',
  'Baking',
  'Cancelling',
  'RollbackInProgress',
]);

export const isActive = (r: InstanceRefresh | undefined): boolean => ACTIVE_STATUSES.has(r?.Status ?? '');

/**
 * Active and going its own way, neither being cancelled nor rolled back: what RollbackInstanceRefresh
 * can still undo ("You can roll back an instance refresh that is still in progress") and what a put-back stops.
 */
export const RUNNING_STATUSES: ReadonlySet<string> = new Set(
  [...ACTIVE_STATUSES].filter((s) => s !== 'Cancelling' && s !== 'RollbackInProgress'),
);

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
