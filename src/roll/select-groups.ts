// The Auto Scaling groups to roll, by names and/or tags in every region, with consent checked.
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { ActionFailure, withContext } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import { describeGroups } from '../aws/groups.js';
import { mapBounded } from '../core/bounded.js';
import { requireConsent } from './consent.js';

export interface SelectedGroup {
  region: string;
  name: string;
  group: AutoScalingGroup;
}

export interface Selection {
  regions: string[];
  names: string[];
  tags: Record<string, string>;
  /** The golden-ami:parameter value groups found by tags alone must carry (consent.ts). */
  consent?: string;
  maxConcurrency: number;
}

const describeSearch = (s: Selection): string =>
  [
    s.names.length ? `names ${s.names.join(', ')}` : '',
    Object.keys(s.tags).length
      ? `tags ${Object.entries(s.tags)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}`
      : '',
  ]
    .filter(Boolean)
    .join(' and ');

/**
 * The groups to roll, in every region: named ones and/or those carrying every tag (AWS applies
 * names and tag filters together). A name found in no region, or nothing found at all, is an error;
 * so is a group found by tags alone that has not consented to be rolled onto `consent`.
 */
export async function selectGroups(ctx: ActionContext, s: Selection): Promise<SelectedGroup[]> {
  const perRegion = await mapBounded(s.regions, { limit: s.maxConcurrency }, async (region) => {
    const found = await describeGroups(
      ctx.clients.autoScaling(region),
      { names: s.names, tags: s.tags },
      { signal: ctx.signal },
    ).catch((err: unknown) => {
      throw withContext(`listing Auto Scaling groups in ${region}`, err);
    });
    return found.map((group) => ({ region, name: group.AutoScalingGroupName ?? '', group }));
  });
  const selected: SelectedGroup[] = [];
  for (const r of perRegion) {
    if (!r.ok) throw 'error' in r ? r.error : new ActionFailure('listing Auto Scaling groups was cancelled');
    selected.push(...r.value);
  }
  const where = s.regions.join(', ');
  if (!selected.length)
    throw new ActionFailure(`No Auto Scaling group matched: searched ${where} for ${describeSearch(s)}.`);
  const missing = s.names.filter((n) => !selected.some((g) => g.name === n));
  if (missing.length) {
    const tags = Object.keys(s.tags).length ? ' carrying the asg-tags' : '';
    throw new ActionFailure(
      `asg-names: no group named ${missing.join(', ')}${tags} in ${where}; nothing was changed.`,
    );
  }
  const sorted = selected.sort((a, b) => a.region.localeCompare(b.region) || a.name.localeCompare(b.name));
  if (!s.names.length) requireConsent(sorted, s.consent ?? '');
  return sorted;
}
