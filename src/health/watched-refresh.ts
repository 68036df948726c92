// What one watched refresh is, and the `refreshes` input's parser. roll-asg owns the record it
// writes (src/aws/refresh-record.ts) and its validator; wait-healthy reads the same records, and
// needs only region and group from callers that name groups.
import { InputProblem } from '../core/input-fields.js';
import { validateRefreshRecords, type RefreshRecord } from '../aws/refresh-record.js';
import { REGION } from '../core/input-fields.js';

/**
 * A refresh to watch: a RefreshRecord, or just a group whose latest refresh counts. `verifyOnly`:
 * a group already current, which no refresh moves: its instances, targets and health-url are
 * judged as after a Successful refresh, whatever refreshes it had before.
 */
export type WatchedRefresh = Pick<RefreshRecord, 'region' | 'group'> &
  Partial<
    Pick<
      RefreshRecord,
      'refreshId' | 'amiId' | 'newVersion' | 'previousVersion' | 'previousAmiId' | 'launchTemplate'
    >
  > & { verifyOnly?: boolean };

/** The template version a record says its refresh deploys. */
export const newVersionOf = (w: WatchedRefresh): string | undefined =>
  w.newVersion ?? w.launchTemplate?.version;

/**
 * The `refreshes` input: roll-asg's records (its validator), plus what matters to a watcher: a
 * real region name and each group once.
 */
export function parseRefreshes(value: unknown): RefreshRecord[] | InputProblem {
  const records = validateRefreshRecords(value);
  if (records instanceof InputProblem) return records;
  const seen = new Set<string>();
  for (const [i, r] of records.entries()) {
    if (!REGION.test(r.region))
      return new InputProblem(`entry ${i} has region ${JSON.stringify(r.region)}, not a region name`);
    const key = `${r.region}/${r.group}`;
    if (seen.has(key)) return new InputProblem(`lists group ${r.group} in ${r.region} twice`);
    seen.add(key);
  }
  return records;
}
