// The record of one started instance refresh: roll-asg writes a JSON list of these as its
// `refreshes` output, wait-healthy (and deploy-ami) read the same list back as input.
import { InputProblem } from '../core/input-fields.js';

export interface RefreshRecord {
  region: string;
  /** Auto Scaling group name. */
  group: string;
  refreshId: string;
  /** The AMI the group is being moved onto. */
  amiId: string;
  /** The AMI the group's template gave before (for a rollback), when known. */
  previousAmiId?: string;
  /** Where the group's image comes from: a literal ImageId in the template, or `resolve:ssm:`. */
  imageSource?: 'launch-template' | 'ssm-parameter';
  /**
   * The launch template the refresh moves the group to. `version` is always a number (never
   * $Latest/$Default) so AWS can roll back; `previousVersion` is what the group used before.
   * Absent for groups whose refresh names no desired configuration.
   */
  launchTemplate?: { id: string; name?: string; version: string; previousVersion?: string };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * Validates a parsed `refreshes` JSON value (for a `json()` input field): returns the records or
 * an InputProblem naming the first bad entry.
 */
export function validateRefreshRecords(value: unknown): RefreshRecord[] | InputProblem {
  if (!Array.isArray(value)) return new InputProblem('is not a JSON list');
  const out: RefreshRecord[] = [];
  for (const [i, item] of value.entries()) {
    const at = `entry ${i}`;
    if (!isObject(item)) return new InputProblem(`${at} is not an object`);
    for (const key of ['region', 'group', 'refreshId', 'amiId'] as const)
      if (!isText(item[key])) return new InputProblem(`${at} has no ${key}`);
    const record: RefreshRecord = {
      region: item.region as string,
      group: item.group as string,
      refreshId: item.refreshId as string,
      amiId: item.amiId as string,
    };
    if (isText(item.previousAmiId)) record.previousAmiId = item.previousAmiId;
    if (item.imageSource === 'launch-template' || item.imageSource === 'ssm-parameter')
      record.imageSource = item.imageSource;
    const lt = item.launchTemplate;
    if (lt !== undefined && lt !== null) {
      if (!isObject(lt) || !isText(lt.id) || !isText(lt.version))
        return new InputProblem(`${at} has a launchTemplate without id and version`);
      record.launchTemplate = { id: lt.id, version: lt.version };
      if (isText(lt.name)) record.launchTemplate.name = lt.name;
      if (isText(lt.previousVersion)) record.launchTemplate.previousVersion = lt.previousVersion;
    }
    out.push(record);
  }
  return out;
}

/** The JSON text of the `refreshes` output. */
export const formatRefreshRecords = (records: readonly RefreshRecord[]): string => JSON.stringify(records);
