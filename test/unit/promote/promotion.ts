// The promotion the promote unit tests start from: one parameter, fast validation polling.
import type { PromoteOptions, PromoteTarget } from '../../../src/promote/types.js';

export const PARAMETER = '/golden-ami/web';

export function promotion(targets: PromoteTarget[], over: Partial<PromoteOptions> = {}): PromoteOptions {
  return {
    parameterName: PARAMETER,
    targets,
    allowOlder: false,
    tags: {},
    dryRun: false,
    validationTimeoutMs: 60_000,
    pollIntervalMs: 100,
    ...over,
  };
}
