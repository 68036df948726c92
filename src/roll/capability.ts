// roll-asg as a capability. Refreshes that did start keep running when the run fails part way:
// RollFailure carries the result, so their records still reach the outputs.
import { defineCapability } from '../core/capability.js';
import { rollSpec } from './inputs.js';
import { rollOptionsFrom } from './options.js';
import { rollOutputs } from './result.js';
import { roll } from './roll.js';
import { renderRollSummary } from './summary.js';

export const rollCapability = defineCapability({
  spec: rollSpec,
  toOptions: rollOptionsFrom,
  run: roll,
  outputs: rollOutputs,
  summary: renderRollSummary,
});
