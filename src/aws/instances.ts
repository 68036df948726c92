// EC2 instance lookups on the SDK's paginator: the instances one filter of up to 200 values matches.
import { paginateDescribeInstances, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { batches } from './batches.js';
import { paginatorArgs, type Paging } from './paging.js';

/** An EC2 filter takes at most 200 values. */
export const FILTER_VALUES_PER_CALL = 200;

/**
 * The instances matching a filter (`instance-id`, `private-ip-address`, …) with at most 200
 * values, a page at a time. A filter returns only what exists, so an instance terminated
 * meanwhile does not fail the call as an unknown InstanceIds entry would.
 */
export async function* instancePages(
  client: EC2Client,
  filter: { name: string; values: string[] },
  paging: Paging & { pageSize?: number } = {},
): AsyncGenerator<Instance[]> {
  const [config, options] = paginatorArgs(client, paging, paging.pageSize);
  const pages = paginateDescribeInstances(
    config,
    { Filters: [{ Name: filter.name, Values: filter.values }] },
    options,
  );
  for await (const page of pages) yield (page.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

/** Instances by id (each asked once), 200 ids a call; ids of instances gone are simply absent. */
export async function instancesById(
  client: EC2Client,
  ids: readonly string[],
  paging: Paging = {},
): Promise<Instance[]> {
  const out: Instance[] = [];
  for (const values of batches([...new Set(ids)], FILTER_VALUES_PER_CALL))
    for await (const page of instancePages(client, { name: 'instance-id', values }, paging))
      out.push(...page);
  return out;
}
