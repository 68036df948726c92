// The record of one started instance refresh: roll-asg writes a JSON list of these as its
// `refreshes` output; wait-healthy (and deploy-ami) read the same list back as their input.
import { InputProblem } from '../core/input-fields.js';

export interface RefreshRecord {
  region: string;
  /** Auto Scaling group name. */
  group: string;
  refreshId: string;
  /** The AMI every instance of the group runs once the refresh succeeds. */
  amiId: string;
  /** The AMI the group launched before, when known: what a rollback returns to. */
  previousAmiId?: string;
  /** Where the group's image comes from: a literal ImageId in the template, or `resolve:ssm:`. */
  imageSource?: 'launch-template' | 'ssm-parameter';
  /**
   * The launch template version the refresh deploys, always a number (never $Latest/$Default) so
   * AWS can roll it back. Absent when the refresh names no template (SSM-resolved images).
   */
  launchTemplate?: { id: string; name?: string; version: string };
  /** Same as launchTemplate.version, flat for readers that take versions by these names. */
  newVersion?: string;
  /** The launch template version (a number) the group ran before the refresh: the rollback target. */
  previousVersion?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;

/**
 * Validates a parsed `refreshes` JSON value (for a `json()` input field): returns the records, or
 * an InputProblem naming the first bad entry.
 */
export function validateRefreshRecords(value: unknown): RefreshRecord[] | InputProblem {
  if (!Array.isArray(value)) return new InputProblem('is not a JSON list');
  const out: RefreshRecord[] = [];
  for (const [i, item] of value.entries()) {
    const at = `entry ${i}`;
    if (!isObject(item)) return new InputProblem(`${at} is not an object`);
    const [region, group, refreshId, amiId] = [item.region, item.group, item.refreshId, item.amiId].map(text);
    if (!region || !group || !refreshId || !amiId)
      return new InputProblem(`${at} needs "region", "group", "refreshId" and "amiId"`);
    const record: RefreshRecord = { region, group, refreshId, amiId };
    const previousAmiId = text(item.previousAmiId);
    if (previousAmiId) record.previousAmiId = previousAmiId;
    if (item.imageSource === 'launch-template' || item.imageSource === 'ssm-parameter')
      record.imageSource = item.imageSource;
    const lt = item.launchTemplate;
    if (lt !== undefined && lt !== null) {
      const [id, version, name] = isObject(lt) ? [lt.id, lt.version, lt.name].map(text) : [];
      if (!id || !version) return new InputProblem(`${at} has a "launchTemplate" without "id" and "version"`);
      record.launchTemplate = name ? { id, name, version } : { id, version };
    }
    const newVersion = text(item.newVersion);
    if (newVersion) record.newVersion = newVersion;
    const previousVersion = text(item.previousVersion);
    if (previousVersion) record.previousVersion = previousVersion;
    out.push(record);
  }
  return out;
}
