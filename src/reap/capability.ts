// reap-octopus-orphans as a capability. A refused or stopped run still reports exactly what was
// (not) deleted: ReapRefused and ReapDeleteFailed carry the result.
import { defineCapability } from '../core/capability.js';
import { reapSpec } from './inputs.js';
import { reapOptions, reapOutputs } from './options.js';
import { runReap } from './reap.js';
import { renderReapSummary } from './summary.js';

export const reapCapability = defineCapability({
  spec: reapSpec,
  toOptions: reapOptions,
  run: runReap,
  outputs: reapOutputs,
  summary: renderReapSummary,
});
