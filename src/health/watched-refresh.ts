// What one watched refresh is, and how roll-asg's `refreshes` JSON becomes it. roll-asg owns the
// record it writes (src/roll/refresh-record.ts); this reads it defensively because the input may
// also be written by hand or by another tool.
import { InputProblem } from '../core/input-fields.js';

/** One refresh to watch, as far as wait-healthy needs to know it. */
export interface WatchedRefresh {
  region: string;
  group: string;
  /** Absent when only the group was named: its latest refresh is watched. */
  refreshId?: string;
  /** The launch template version the refresh deploys ("3"); from the refresh itself when absent. */
  newVersion?: string;
  /** The version the group ran before; named in failure messages so a human can go back. */
  previousVersion?: string;
  /** The AMI every instance must run at the end. */
  amiId?: string;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const AMI = /^ami-[0-9a-f]{8,17}$/;

const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;

/**
 * Validates the `refreshes` JSON: a list of objects with at least region and group. Accepts the
 * spellings roll-asg and people use (group/asgName/autoScalingGroupName, refreshId/instanceRefreshId).
 */
export function parseRefreshes(value: unknown): WatchedRefresh[] | InputProblem {
  if (!Array.isArray(value)) return new InputProblem('is not a JSON list');
  if (value.length === 0) return new InputProblem('is an empty list');
  const out: WatchedRefresh[] = [];
  for (const [i, item] of value.entries()) {
    if (!item || typeof item !== 'object' || Array.isArray(item))
      return new InputProblem(`entry ${i} is not an object`);
    const o = item as Record<string, unknown>;
    const region = str(o.region);
    const group = str(o.group) ?? str(o.asgName) ?? str(o.autoScalingGroupName);
    if (!region || !REGION.test(region)) return new InputProblem(`entry ${i} has no valid "region"`);
    if (!group) return new InputProblem(`entry ${i} has no "group"`);
    const amiId = str(o.amiId) ?? str(o.ami);
    if (amiId !== undefined && !AMI.test(amiId))
      return new InputProblem(`entry ${i} has "amiId" ${JSON.stringify(amiId)}, not an AMI id`);
    const refreshId = str(o.refreshId) ?? str(o.instanceRefreshId);
    const newVersion = str(o.newVersion) ?? str(o.newTemplateVersion);
    const previousVersion = str(o.previousVersion) ?? str(o.previousTemplateVersion);
    out.push({
      region,
      group,
      ...(refreshId ? { refreshId } : {}),
      ...(newVersion ? { newVersion } : {}),
      ...(previousVersion ? { previousVersion } : {}),
      ...(amiId ? { amiId } : {}),
    });
  }
  const seen = new Set<string>();
  for (const r of out) {
    const key = `${r.region}/${r.group}`;
    if (seen.has(key)) return new InputProblem(`lists group ${r.group} in ${r.region} twice`);
    seen.add(key);
  }
  return out;
}
