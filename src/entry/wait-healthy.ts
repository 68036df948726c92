import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ConfigurationError, SummarizedFailure } from '../core/errors.js';
import { withRefreshEvents } from '../health/events.js';
import { runAction } from '../core/run.js';
import { waitHealthySpec } from '../health/inputs.js';
import { queueUrlProblem } from '../health/queue-url.js';
import { renderSummary, resultsOutput } from '../health/summary.js';
import { waitHealthy } from '../health/wait.js';

// The SDK clients this action uses: the only ones its bundle loads.
const services = {
  autoScaling: AutoScalingClient,
  ec2: EC2Client,
  elbv2: ElasticLoadBalancingV2Client,
  sqs: SQSClient,
};

await runAction(waitHealthySpec, services, async (inputs, ctx, io) => {
  const problem = queueUrlProblem(inputs.eventsQueueUrl, (name) => io.env(name));
  if (problem) throw new ConfigurationError([problem]);
  const events = {
    queueUrl: inputs.eventsQueueUrl,
    timeoutMinutes: inputs.timeoutMinutes,
    maxPollIntervalSeconds: Math.max(inputs.pollIntervalSeconds, inputs.maxPollIntervalSeconds),
  };
  const result = await withRefreshEvents(ctx, events, (pause) =>
    waitHealthy(ctx, {
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
      pause,
    }),
  );
  io.setOutputs({ status: result.status, results: resultsOutput(result) });
  await io.summary(renderSummary(result));
  if (result.status !== 'healthy')
    throw new SummarizedFailure(`wait-healthy ${result.status}: ${result.failures.join(' | ')}`);
});
