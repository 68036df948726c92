// From parsed inputs to the capability's options and back out to the step's outputs.
import { DAY_MS } from './decide.js';
import type { RetireInputs } from './inputs.js';
import type { RetireOptions, RetireResult } from './types.js';

/** The capability's toOptions. */
export function retireOptions(i: RetireInputs): RetireOptions {
  return {
    names: i.names,
    regions: i.regions.length ? i.regions : [i.region],
    keepCount: i.keepCount,
    keepMs: Math.round(i.keepFor * DAY_MS),
    graceMs: Math.round(i.deregisterAfter * DAY_MS),
    parameters: i.parameters,
    keepParameterVersions: i.keepParameterVersions,
    launchTemplateVersions: i.launchTemplateVersions,
    includeShared: i.includeShared,
    maxRetire: i.maxRetire,
    maxRetirePercent: i.maxRetirePercent,
    dryRun: i.dryRun,
  };
}

const entry = (o: RetireResult['regions'][number]['outcomes'][number]) => ({
  region: o.image.region,
  imageId: o.image.imageId,
  name: o.image.imageName,
});

/** Outputs count what was done; in a dry run, what would be. */
export function retireOutputs(r: RetireResult) {
  const all = r.regions.flatMap((x) => x.outcomes);
  const did = (action: string) => all.filter((o) => o.action === action && (o.done || r.dryRun));
  return {
    retired: did('deregister').map(entry),
    disabled: did('disable').map(entry),
    'kept-count': all.filter((o) => o.action === 'keep' || o.action === 'enable').length,
  };
}
