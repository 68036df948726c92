// EC2 instance lookups on the SDK's paginator: the instances one filter of up to 200 values matches.
import { paginateDescribeInstances, type EC2Client, type Instance } from '@aws-sdk/client-ec2';

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
  options: { signal?: AbortSignal; pageSize?: number } = {},
): AsyncGenerator<Instance[]> {
  const pages = paginateDescribeInstances(
    { client, ...(options.pageSize ? { pageSize: options.pageSize } : {}) },
    { Filters: [{ Name: filter.name, Values: filter.values }] },
    { abortSignal: options.signal },
  );
  for await (const page of pages) yield (page.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}
