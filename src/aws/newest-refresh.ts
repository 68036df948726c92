// The newest instance refresh of a group, chosen by StartTime: DescribeInstanceRefreshes documents
// no order, so list position never decides which refresh is "the latest".
import type { InstanceRefresh } from '@aws-sdk/client-auto-scaling';

/** The refresh with the latest StartTime (a refresh without one counts as oldest). */
export function newestRefresh(refreshes: readonly InstanceRefresh[]): InstanceRefresh | undefined {
  let best: InstanceRefresh | undefined;
  for (const r of refreshes)
    if (!best || (r.StartTime?.getTime() ?? -Infinity) > (best.StartTime?.getTime() ?? -Infinity)) best = r;
  return best;
}

/** AWS's largest page; every page is read, so the newest is found whatever the order. */
export const REFRESH_PAGE = 100;
