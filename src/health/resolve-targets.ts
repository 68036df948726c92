// Which refreshes to watch: roll-asg's records, or the latest refresh of named or tagged groups.
// Groups named by asg-names/asg-tags are looked up in each region; names that exist nowhere are an
// error listing what was searched.
import { ActionFailure } from '../core/errors.js';
import type { Log } from '../core/log.js';
import type { HealthApi } from './aws-calls.js';
import type { WatchedRefresh } from './watched-refresh.js';

export interface TargetQuery {
  refreshes?: readonly WatchedRefresh[];
  asgNames?: readonly string[];
  asgTags?: Readonly<Record<string, string>>;
  regions: readonly string[];
}

const describeTags = (tags: Readonly<Record<string, string>>) =>
  Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

export async function resolveTargets(api: HealthApi, q: TargetQuery, log: Log): Promise<WatchedRefresh[]> {
  if (q.refreshes?.length) return [...q.refreshes];
  const names = q.asgNames ?? [];
  const tags = q.asgTags ?? {};
  if (!names.length && !Object.keys(tags).length)
    throw new ActionFailure('nothing to watch: give refreshes, asg-names or asg-tags');
  const found: WatchedRefresh[] = [];
  const seenNames = new Set<string>();
  for (const region of q.regions) {
    const groups = new Map<string, true>();
    if (names.length) {
      for (const g of await api.groupsByName(region, names)) {
        if (!g.AutoScalingGroupName) continue;
        seenNames.add(g.AutoScalingGroupName);
        // Named and tagged together: a group must satisfy both.
        if (Object.keys(tags).length && !hasTags(g.Tags, tags)) continue;
        groups.set(g.AutoScalingGroupName, true);
      }
    } else {
      for (const g of await api.groupsByTags(region, tags))
        if (g.AutoScalingGroupName) groups.set(g.AutoScalingGroupName, true);
    }
    for (const group of [...groups.keys()].sort()) found.push({ region, group });
  }
  const missing = names.filter((n) => !seenNames.has(n));
  if (missing.length)
    throw new ActionFailure(
      `asg-names: no Auto Scaling group named ${missing.join(', ')} in ${q.regions.join(', ')}`,
    );
  if (!found.length) {
    const what = [
      names.length && `names ${names.join(', ')}`,
      Object.keys(tags).length && `tags ${describeTags(tags)}`,
    ]
      .filter(Boolean)
      .join(' and ');
    throw new ActionFailure(`no Auto Scaling group matches ${what} in ${q.regions.join(', ')}`);
  }
  log.info(`Watching ${found.length} group(s): ${found.map((f) => `${f.region}/${f.group}`).join(', ')}`);
  return found;
}

function hasTags(
  have: readonly { Key?: string; Value?: string }[] | undefined,
  want: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(want).every(([k, v]) => have?.some((t) => t.Key === k && t.Value === v));
}
