// roll-asg as a capability. Refreshes that did start keep running when the run fails part way:
// RollFailure carries the result, so their records still reach the outputs. Each change is
// journaled in a file under RUNNER_TEMP (its path in step state), so the post step puts back what a cancelled run changed.
import { defineCapability } from '../core/capability.js';
import { rollSpec } from './inputs.js';
import type { StepEnv } from '../core/context.js';
import { stateFiles } from '../core/state-files.js';
import { Journal, startedRefreshes } from '../deploy/journal.js';
import { rollJournaled } from './journaled-run.js';
import { rollOptionsFrom } from './options.js';
import type { RollInputs } from './inputs.js';
import { rollOutputs } from './result.js';
import { renderRollSummary } from './summary.js';

export const rollCapability = defineCapability({
  spec: rollSpec,
  toOptions: (inputs: RollInputs, step: StepEnv) => ({
    ...rollOptionsFrom(inputs),
    journal: new Journal(stateFiles(step), (j) => step.setOutputs?.({ refreshes: startedRefreshes(j) })),
  }),
  run: rollJournaled,
  outputs: rollOutputs,
  summary: renderRollSummary,
});
