import { SummarizedFailure } from '../core/errors.js';
import { runAction } from '../core/run.js';
import { waitHealthySpec } from '../health/inputs.js';
import { renderSummary, resultsOutput } from '../health/summary.js';
import { waitHealthy } from '../health/wait.js';

await runAction(waitHealthySpec, async (inputs, ctx, io) => {
  const result = await waitHealthy(ctx, {
    refreshes: inputs.refreshes,
    asgNames: inputs.asgNames,
    asgTags: inputs.asgTags,
    regions: inputs.regions.length ? inputs.regions : [inputs.region],
    expectedAmiId: inputs.expectedAmiId,
    healthUrl: inputs.healthUrl,
    expectedVersion: inputs.expectedVersion,
    healthUrlTimeoutSeconds: inputs.healthUrlTimeoutSeconds,
    unhealthyGraceSeconds: inputs.unhealthyGraceSeconds,
    timeoutMinutes: inputs.timeoutMinutes,
    rollbackOnFailure: inputs.rollbackOnFailure,
    maxRequestsPerSecond: inputs.maxRequestsPerSecond,
    pollIntervalSeconds: inputs.pollIntervalSeconds,
    maxPollIntervalSeconds: inputs.maxPollIntervalSeconds,
  });
  io.setOutputs({ status: result.status, results: resultsOutput(result) });
  await io.summary(renderSummary(result));
  if (result.status !== 'healthy')
    throw new SummarizedFailure(`wait-healthy ${result.status}: ${result.failures.join(' | ')}`);
});
