// retire-amis as a capability. A refused or stopped run still reports exactly what was (not)
// changed: RetireRefused and RetireFailed carry the result.
import { defineCapability } from '../core/capability.js';
import { retireSpec } from './inputs.js';
import { retireOptions, retireOutputs } from './options.js';
import { retireAmis } from './retire.js';
import { renderRetireSummary } from './summary.js';

export const retireCapability = defineCapability({
  spec: retireSpec,
  toOptions: retireOptions,
  run: retireAmis,
  outputs: retireOutputs,
  summary: renderRetireSummary,
});
