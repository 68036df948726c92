// Asks EC2 what became of the instances behind the targets: batches of up to 200 values with a
// filter (never InstanceIds, which fails the whole call for one unknown id), in every region.
import { DescribeInstancesCommand, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { withContext } from '../core/errors.js';
import type { MatchBy } from './mapping.js';

/** EC2 states plus `not-found`: the instance is in none of the regions asked. */
export type InstanceState =
  'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated' | 'not-found';

export const INSTANCE_STATES: readonly InstanceState[] = [
  'pending',
  'running',
  'stopping',
  'stopped',
  'shutting-down',
  'terminated',
  'not-found',
];

/** Most alive first: when a key matches several instances (an IP reused by a replacement), the most alive wins. */
const ALIVENESS: Record<InstanceState, number> = {
  running: 6,
  pending: 5,
  stopping: 4,
  stopped: 3,
  'shutting-down': 2,
  terminated: 1,
  'not-found': 0,
};

export const FILTER_LIMIT = 200;

export interface InstanceFact {
  state: InstanceState;
  instanceId?: string;
  region?: string;
}

const FILTER_NAME: Record<MatchBy, string> = {
  'instance-id': 'instance-id',
  'private-ip': 'private-ip-address',
  'private-dns': 'private-dns-name',
};

function keyOf(i: Instance, matchBy: MatchBy): string | undefined {
  if (matchBy === 'instance-id') return i.InstanceId;
  if (matchBy === 'private-ip') return i.PrivateIpAddress;
  return i.PrivateDnsName?.toLowerCase();
}

export interface LookupResult {
  facts: Map<string, InstanceFact>;
  /** DescribeInstances requests made (pages included). */
  calls: number;
}

/**
 * The state of every key, across regions. Any failure fails the whole lookup: a partial
 * answer would make live instances look gone.
 */
export async function lookupInstances(
  ec2: (region: string) => EC2Client,
  regions: string[],
  keys: string[],
  matchBy: MatchBy,
  signal?: AbortSignal,
): Promise<LookupResult> {
  const unique = [...new Set(keys)];
  const facts = new Map<string, InstanceFact>(unique.map((k) => [k, { state: 'not-found' }]));
  let calls = 0;
  for (const region of regions) {
    const client = ec2(region);
    for (let start = 0; start < unique.length; start += FILTER_LIMIT) {
      const batch = unique.slice(start, start + FILTER_LIMIT);
      let nextToken: string | undefined;
      // At most 200 values can match 200+ instances only by address reuse; a few pages bound it.
      for (let page = 0; page < 50; page++) {
        calls++;
        let out;
        try {
          out = await client.send(
            new DescribeInstancesCommand({
              Filters: [{ Name: FILTER_NAME[matchBy], Values: batch }],
              MaxResults: 1000,
              NextToken: nextToken,
            }),
            { abortSignal: signal },
          );
        } catch (err) {
          throw withContext(
            `EC2 DescribeInstances in ${region} (batch ${start / FILTER_LIMIT + 1} of ${Math.ceil(unique.length / FILTER_LIMIT)})`,
            err,
          );
        }
        for (const i of (out.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
          const key = keyOf(i, matchBy);
          const state = i.State?.Name as InstanceState | undefined;
          const known = key === undefined ? undefined : facts.get(key);
          if (!known || !state || !(state in ALIVENESS)) continue;
          if (ALIVENESS[state] > ALIVENESS[known.state])
            facts.set(key!, { state, ...(i.InstanceId ? { instanceId: i.InstanceId } : {}), region });
        }
        nextToken = out.NextToken;
        if (!nextToken) break;
      }
    }
  }
  return { facts, calls };
}
