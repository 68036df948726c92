// wait-healthy's toOptions: its inputs to WaitOptions, the one place their seconds and minutes become ms.
import type { StepEnv } from '../core/context.js';
import { ConfigurationError } from '../core/errors.js';
import { followPace } from '../core/input-fields.js';
import type { WaitHealthyInputs } from './inputs.js';
import { queueUrlProblem } from './queue-url.js';
import type { WaitOptions } from './types.js';

/** The input's seconds (decimals allowed) in whole ms (roll-asg rounds its poll interval alike). */
const ms = (seconds: number) => Math.round(seconds * 1000);

/** wait-healthy's toOptions: the one place its inputs' seconds and minutes become ms. */
export function healthOptions(inputs: WaitHealthyInputs, step: Pick<StepEnv, 'env'>) {
  const problem = queueUrlProblem(inputs.eventsQueueUrl, step.env);
  if (problem) throw new ConfigurationError([problem]);
  return {
    refreshes: inputs.refreshes,
    asgNames: inputs.asgNames,
    asgTags: inputs.asgTags,
    regions: inputs.regions.length ? inputs.regions : [inputs.region],
    expectedAmiId: inputs.expectedAmiId,
    healthUrl: inputs.healthUrl,
    expectedVersion: inputs.expectedVersion,
    healthUrlTimeoutMs: ms(inputs.healthUrlTimeout),
    unhealthyGraceMs: ms(inputs.unhealthyGrace),
    timeoutMs: ms(inputs.timeout),
    rollbackOnFailure: inputs.rollbackOnFailure,
    maxRequestsPerSecond: inputs.maxRequestsPerSecond,
    pollIntervalMs: ms(followPace(inputs).pollInterval),
    maxPollIntervalMs: ms(followPace(inputs).maxPollInterval),
    eventsQueueUrl: inputs.eventsQueueUrl,
  } satisfies WaitOptions;
}
