// A group's warm pool: its instances are listed by DescribeWarmPool, not in the group's Instances,
// and instance refreshes replace them too — so "every instance runs the AMI" must count them.
import {
  paginateDescribeWarmPool,
  type AutoScalingClient,
  type AutoScalingGroup,
  type Instance,
} from '@aws-sdk/client-auto-scaling';
import { paginatorArgs, type Paging } from './paging.js';

/** DescribeWarmPool's MaxRecords: "The maximum value is 50." */
const WARM_POOL_PAGE = 50;

/** Whether DescribeAutoScalingGroups shows a warm pool (only then is DescribeWarmPool worth a call). */
export const hasWarmPool = (g: AutoScalingGroup): boolean => g.WarmPoolConfiguration !== undefined;

/** Warmed:Terminating (and its :Wait/:Proceed/:Retained hook states) or Warmed:Terminated. */
const leaving = (state: string | undefined) => state?.startsWith('Warmed:Terminat') === true;

/** The group's warm-pool instances, all pages, leaving out those on their way out. */
export async function warmPoolInstances(
  client: AutoScalingClient,
  group: string,
  paging: Paging = {},
): Promise<Instance[]> {
  const [config, options] = paginatorArgs(client, paging, WARM_POOL_PAGE);
  const out: Instance[] = [];
  for await (const page of paginateDescribeWarmPool(config, { AutoScalingGroupName: group }, options))
    out.push(...(page.Instances ?? []).filter((i) => !leaving(i.LifecycleState)));
  return out;
}
