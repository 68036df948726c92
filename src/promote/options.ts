// From parsed inputs to the promote capability's options and back out to the step's outputs.
import { targetRegions, type PromoteInputs } from './inputs.js';
import { shouldProtect } from './protect.js';
import type { PromoteOptions, PromoteResult, PromoteTarget, RegionPromotion } from './types.js';

/** What a promote step runs with: the promotion, and whether the recorded AMIs get deregistration protection. */
export type PromoteRunOptions = PromoteOptions & { protect: boolean };

/** The capability's toOptions. */
export function promoteOptions(inputs: PromoteInputs): PromoteRunOptions {
  const expected = inputs.expectedCurrent;
  const targets = targetRegions(inputs).map((region): PromoteTarget => {
    const amiId = inputs.amis ? inputs.amis[region] : inputs.amiId;
    if (!amiId) throw new Error(`bug: no AMI for ${region} after input validation`);
    const target: PromoteTarget = { region, amiId };
    if (expected === null || typeof expected === 'string') target.expected = expected;
    else if (expected) target.expected = expected[region];
    return target;
  });
  return {
    parameterName: inputs.parameterName,
    targets,
    label: inputs.label,
    allowOlder: inputs.allowOlder,
    description: inputs.description,
    tags: inputs.tags,
    dryRun: inputs.dryRun,
    validationTimeoutMs: inputs.validationTimeout * 1000,
    pollIntervalMs: Math.round(inputs.pollInterval * 1000),
    ...(inputs.amis !== undefined ? { byRegion: true } : {}),
    provenance: { allowedOwners: inputs.allowedOwners, allowForeign: inputs.allowForeignAmi },
    protect: shouldProtect(inputs.protect, inputs.label, inputs.protectedLabels),
  };
}

/** Outputs: plain values for one ami-id, JSON maps by region when the input was amis. */
export function promoteOutputs(
  result: Pick<PromoteResult, 'changed' | 'byRegion'> & {
    regions: readonly Pick<RegionPromotion, 'region' | 'previousAmiId' | 'version'>[];
  },
): {
  'previous-ami-id': string | Record<string, string>;
  version: string | Record<string, number>;
  changed: boolean;
} {
  if (result.byRegion) {
    const previous: Record<string, string> = {};
    const versions: Record<string, number> = {};
    for (const r of result.regions) {
      previous[r.region] = r.previousAmiId ?? '';
      if (r.version !== undefined) versions[r.region] = r.version;
    }
    return { 'previous-ami-id': previous, version: versions, changed: result.changed };
  }
  const only = result.regions[0];
  return {
    'previous-ami-id': only?.previousAmiId ?? '',
    version: only?.version === undefined ? '' : String(only.version),
    changed: result.changed,
  };
}
