// wait-healthy as a capability: its inputs to WaitOptions, the wait, the outputs and summary. A
// fleet that did not end healthy fails the step with the result, whose summary heads with it.
import { defineCapability } from '../core/capability.js';
import type { StepEnv } from '../core/context.js';
import { ConfigurationError, PartialFailure } from '../core/errors.js';
import { waitHealthyHearing } from './events.js';
import { waitHealthySpec, type WaitHealthyInputs } from './inputs.js';
import { renderSummary, resultsOutput } from './summary.js';
import { queueUrlProblem } from './queue-url.js';
import type { HealthResult, WaitOptions } from './wait.js';

/** The input's seconds (decimals allowed) in whole ms, as roll-asg's toOptions rounds them. */
const ms = (seconds: number) => Math.round(seconds * 1000);

/** wait-healthy's toOptions: the one place its inputs' seconds and minutes become ms. */
export function healthOptions(inputs: WaitHealthyInputs, step: Pick<StepEnv, 'env'>): WaitOptions {
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
    healthUrlTimeoutMs: ms(inputs.healthUrlTimeoutSeconds),
    unhealthyGraceMs: ms(inputs.unhealthyGraceSeconds),
    timeoutMs: inputs.timeoutMinutes * 60_000,
    rollbackOnFailure: inputs.rollbackOnFailure,
    maxRequestsPerSecond: inputs.maxRequestsPerSecond,
    pollIntervalMs: ms(inputs.pollIntervalSeconds),
    maxPollIntervalMs: ms(inputs.maxPollIntervalSeconds),
    eventsQueueUrl: inputs.eventsQueueUrl,
  };
}

export const healthCapability = defineCapability({
  spec: waitHealthySpec,
  toOptions: healthOptions,
  async run(ctx, options: WaitOptions): Promise<HealthResult> {
    const result = await waitHealthyHearing(ctx, options);
    if (result.status !== 'healthy')
      throw new PartialFailure(`wait-healthy ${result.status}: ${result.failures.join(' | ')}`, result);
    return result;
  },
  outputs: (r) => ({ status: r.status, results: resultsOutput(r) }),
  summary: (r) => renderSummary(r),
});
