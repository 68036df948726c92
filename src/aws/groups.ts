// Auto Scaling group lookups on the SDK's paginator: by names (100 a call), by tags, or every group.
import {
  paginateDescribeAutoScalingGroups,
  type AutoScalingClient,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { batches } from './batches.js';
import { paginatorArgs, type Paging } from './paging.js';

/** DescribeAutoScalingGroups takes at most 100 names per call, and returns at most 100 groups a page. */
export const GROUP_NAMES_PER_CALL = 100;

export interface GroupQuery {
  /** Only these groups (none: any group). */
  names?: readonly string[];
  /** Only groups carrying every one of these tags. */
  tags?: Readonly<Record<string, string>>;
}

/**
 * Every group in the client's region matching the query, all pages. AWS applies names and tag
 * filters together, so with both a group must be named and carry every tag.
 */
export async function describeGroups(
  client: AutoScalingClient,
  query: GroupQuery = {},
  paging: Paging = {},
): Promise<AutoScalingGroup[]> {
  const filters = Object.entries(query.tags ?? {}).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] }));
  const nameBatches: (string[] | undefined)[] = query.names?.length
    ? batches(query.names, GROUP_NAMES_PER_CALL)
    : [undefined];
  const found: AutoScalingGroup[] = [];
  for (const names of nameBatches) {
    const [config, options] = paginatorArgs(client, paging, GROUP_NAMES_PER_CALL);
    const pages = paginateDescribeAutoScalingGroups(
      config,
      { ...(names ? { AutoScalingGroupNames: names } : {}), ...(filters.length ? { Filters: filters } : {}) },
      options,
    );
    for await (const page of pages) found.push(...(page.AutoScalingGroups ?? []));
  }
  return found;
}
