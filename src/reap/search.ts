// Where each target's instance is looked for. First the regions the step was given; then, for an
// instance not found there, the region its target's address names (EC2 host names carry it), or
// else every region enabled for the account. So a live instance in a region nobody listed never
// makes its target look orphaned: `not-found` means absent from every place it could be.
import type { EC2Client } from '@aws-sdk/client-ec2';
import { awsErrorCode, withContext } from '../core/errors.js';
import { hasCode } from '../aws/errors.js';
import { enabledRegions } from '../aws/regions.js';
import { keepMoreAlive, LIVE, lookupInstances, type InstanceFact, type LookupResult } from './instances.js';
import type { MatchBy } from './mapping.js';

/** One mapped target: its instance key and the region its address names, if any. */
export interface Wanted {
  key: string;
  region?: string;
}

export interface SearchResult {
  facts: Map<string, InstanceFact>;
  /** DescribeInstances requests made (pages included). */
  calls: number;
  /** Regions asked beyond the given ones, sorted. */
  widened: string[];
  /** For each key still not found: where it was looked for, said for its target's reason. */
  where: Map<string, string>;
  /** Keys that could not be looked for where they could be, with why: their targets are left alone. */
  unchecked: Map<string, string>;
}

export interface SearchClients {
  /** The EC2 client of a region; without one, the step's own region (which asks DescribeRegions). */
  ec2(region?: string): EC2Client;
}

/**
 * Settled: a live instance, or (instance ids and private DNS names being unique) any instance at
 * all. A private IP is not unique across regions and VPCs: until a live instance holds it, every
 * region could have one.
 */
function settled(fact: InstanceFact | undefined, matchBy: MatchBy): boolean {
  if (!fact || fact.state === 'not-found') return false;
  return matchBy !== 'private-ip' || LIVE.has(fact.state);
}

/** Per open key, the regions its targets' addresses name; null when some target's names none. */
function namedRegions(wanted: Wanted[], open: Set<string>): Map<string, Set<string> | null> {
  const named = new Map<string, Set<string> | null>();
  for (const { key, region } of wanted) {
    if (!open.has(key)) continue;
    const known = named.get(key);
    if (known === null) continue;
    if (!region) named.set(key, null);
    else named.set(key, (known ?? new Set<string>()).add(region));
  }
  return named;
}

/**
 * Answers that mean "this principal may not look in that region" (an SCP that denies the region,
 * a policy scoped by aws:RequestedRegion, a region not opted in): an instance there cannot be
 * ruled out, so the keys asked there are left alone rather than failing the whole run.
 */
const DENIED = [
  'UnauthorizedOperation',
  'AccessDenied',
  'AccessDeniedException',
  'AuthFailure',
  'OptInRequired',
];

/**
 * Asks each region about its own keys, side by side. A region that denies the lookup is reported
 * in `denied`; any other failure (the first in region order) is thrown: nothing may be deleted
 * on a partial answer.
 */
async function askEach(
  clients: SearchClients,
  plan: Map<string, string[]>,
  matchBy: MatchBy,
  signal: AbortSignal | undefined,
) {
  const regions = [...plan.keys()].sort();
  const answers = await Promise.allSettled(
    regions.map((r) => lookupInstances((x) => clients.ec2(x), [r], plan.get(r)!, matchBy, signal)),
  );
  const denied = new Map<string, string>();
  const found: LookupResult[] = [];
  answers.forEach((a, i) => {
    if (a.status === 'fulfilled') return void found.push(a.value);
    // lookupInstances wraps the SDK's error with where it happened; the code is on the cause.
    const sdkError = (a.reason as Error).cause ?? a.reason;
    if (hasCode(sdkError, ...DENIED)) denied.set(regions[i]!, awsErrorCode(sdkError)!);
  });
  const failed = answers.find((a, i) => a.status === 'rejected' && !denied.has(regions[i]!)) as
    PromiseRejectedResult | undefined;
  if (failed) throw failed.reason;
  return { found, denied };
}

/** Where each open key is looked for next, how its reason will say so, and which cannot be. */
function planSearch(open: Set<string>, wanted: Wanted[], enabled: string[], given: string[]) {
  const isEnabled = new Set(enabled);
  const asked = new Set(given);
  const plan = new Map<string, string[]>();
  const where = new Map<string, string>();
  const unchecked = new Map<string, string>();
  const named = namedRegions(wanted, open);
  for (const key of open) {
    const regions = named.get(key);
    const candidates = regions ? [...regions].sort() : enabled;
    for (const r of candidates) {
      if (!isEnabled.has(r) || asked.has(r)) continue;
      const keysThere = plan.get(r);
      if (keysThere) keysThere.push(key);
      else plan.set(r, [key]);
    }
    where.set(
      key,
      regions
        ? `${candidates.join(', ')}, the region${candidates.length > 1 ? 's' : ''} its target's address names`
        : `any of the ${enabled.length} regions enabled for the account`,
    );
    const off = candidates.filter((r) => !isEnabled.has(r));
    if (off.length)
      unchecked.set(
        key,
        `its target's address names ${off.join(', ')}, not among the regions enabled for this account (DescribeRegions), so EC2 there cannot be asked`,
      );
  }
  return { plan, where, unchecked };
}

export async function findInstances(
  clients: SearchClients,
  given: string[],
  wanted: Wanted[],
  matchBy: MatchBy,
  signal?: AbortSignal,
): Promise<SearchResult> {
  const keys = [...new Set(wanted.map((w) => w.key))];
  const first = await lookupInstances((r) => clients.ec2(r), given, keys, matchBy, signal);
  const { facts } = first;
  let calls = first.calls;
  const open = new Set(keys.filter((k) => !settled(facts.get(k), matchBy)));
  if (!open.size) return { facts, calls, widened: [], where: new Map(), unchecked: new Map() };

  const enabled = await enabledRegions(clients.ec2(), signal).catch((err: unknown) => {
    throw withContext(
      `EC2 DescribeRegions (to look for ${open.size} instance(s) not found in ${given.join(', ')} in every region enabled for the account)`,
      err,
    );
  });
  const { plan, where, unchecked } = planSearch(open, wanted, enabled, given);
  const { found, denied } = await askEach(clients, plan, matchBy, signal);
  for (const { facts: more, calls: n } of found) {
    calls += n;
    for (const [key, fact] of more) if (fact.state !== 'not-found') keepMoreAlive(facts, key, fact);
  }
  for (const [region, code] of denied)
    for (const key of plan.get(region)!)
      if (!unchecked.has(key))
        unchecked.set(
          key,
          `EC2 in ${region} refused DescribeInstances (${code}), so an instance there cannot be ruled out`,
        );
  // Settled after all (found live, or an id found at all): what EC2 said stands.
  for (const key of [...unchecked.keys()]) if (settled(facts.get(key), matchBy)) unchecked.delete(key);
  return { facts, calls, widened: [...plan.keys()].sort(), where, unchecked };
}
