// Asks EC2 what became of the instances behind the targets: batches of up to 200 values with a
// filter (never InstanceIds, which fails the whole call for one unknown id), in every region,
// regions side by side and a few batches at once in each.
import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import { bounded } from '../core/bounded.js';
import { withContext } from '../core/errors.js';
import { batches as inBatches } from '../aws/batches.js';
import { FILTER_VALUES_PER_CALL, instancePages } from '../aws/instances.js';
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

/** Live instances: their targets are never orphans. */
export const LIVE: ReadonlySet<InstanceState> = new Set(['running', 'pending']);

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
 * DescribeInstances calls in flight per region. EC2 "throttles EC2 API requests for each AWS
 * account on a per-Region basis", and a non-mutating action's bucket holds 100 tokens refilled
 * at 20 a second (EC2 developer guide, Request throttling): regions run side by side, and a
 * few calls at once per region spends a 10k-target lookup's 50 calls well inside one bucket.
 */
export const LOOKUP_CONCURRENCY = 5;

interface Seen {
  key: string;
  state: InstanceState;
  instanceId?: string;
}

/** Every instance matching one batch of values in one region, all pages. */
async function describeBatch(
  client: EC2Client,
  batch: string[],
  matchBy: MatchBy,
  signal: AbortSignal | undefined,
  count: () => void,
): Promise<Seen[]> {
  const seen: Seen[] = [];
  const pages = instancePages(
    client,
    { name: FILTER_NAME[matchBy], values: batch },
    { signal, pageSize: 1000 },
  );
  // At most 200 values can match 200+ instances only by address reuse; a few pages bound it.
  let page = 0;
  for await (const instances of pages) {
    count();
    for (const i of instances) {
      const key = keyOf(i, matchBy);
      const state = i.State?.Name as InstanceState | undefined;
      if (key === undefined || !state || !(state in ALIVENESS)) continue;
      seen.push({ key, state, ...(i.InstanceId ? { instanceId: i.InstanceId } : {}) });
    }
    if (++page >= 50) break;
  }
  return seen;
}

/**
 * The state of every key, across regions. Regions are asked side by side, and within a region
 * up to LOOKUP_CONCURRENCY batches at once. Any failure fails the whole lookup: a partial
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
  const batches = inBatches(unique, FILTER_VALUES_PER_CALL);
  let calls = 0;
  // Answers and failures land in [region][batch] slots and are read in that order, so neither the
  // result nor the error reported depends on which call came back first.
  const answers = regions.map(() => new Array<Seen[]>(batches.length));
  const failed = regions.map(() => new Array<unknown>(batches.length));
  await Promise.all(
    regions.map((region, r) => {
      const client = ec2(region);
      return bounded(batches, LOOKUP_CONCURRENCY, async (batch, b) => {
        try {
          answers[r]![b] = await describeBatch(client, batch, matchBy, signal, () => calls++);
        } catch (err) {
          failed[r]![b] = withContext(
            `EC2 DescribeInstances in ${region} (batch ${b + 1} of ${batches.length})`,
            err,
          );
          throw err;
        }
      });
    }),
  );
  const failure = failed.flat().find((f) => f !== undefined);
  if (failure) throw failure;

  const facts = new Map<string, InstanceFact>(unique.map((k) => [k, { state: 'not-found' }]));
  regions.forEach((region, r) => {
    for (const seen of answers[r]!)
      for (const { key, state, instanceId } of seen)
        keepMoreAlive(facts, key, { state, ...(instanceId ? { instanceId } : {}), region });
  });
  return { facts, calls };
}

/** Records `fact` for `key` when it is more alive than what `facts` holds (or holds nothing). */
export function keepMoreAlive(facts: Map<string, InstanceFact>, key: string, fact: InstanceFact): void {
  const known = facts.get(key);
  if (!known || ALIVENESS[fact.state] > ALIVENESS[known.state]) facts.set(key, fact);
}
