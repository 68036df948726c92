import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { ConfigurationError } from '../core/errors.js';
import { runAction, type StepIO } from '../core/run.js';
import { deploy, DeployFailure, type DeployResult } from '../deploy/deploy.js';
import { deploySpec } from '../deploy/inputs.js';
import { deploySteps } from '../deploy/steps.js';
import { renderDeploySummary } from '../deploy/summary.js';
import { queueUrlProblem } from '../health/queue-url.js';
import { resultsOutput } from '../health/summary.js';

function writeOutputs(io: StepIO, r: DeployResult): void {
  const p = r.promoted ?? r.planned?.promote;
  io.setOutputs({
    'previous-ami-id': p?.previousAmiId ?? '',
    // Only a version that holds the AMI now; empty when nothing was (or, in a dry run, would be) written yet.
    version: r.promoted?.version ?? (r.dryRun && p?.outcome === 'unchanged' ? (p.version ?? '') : ''),
    changed: r.promoted?.changed ?? false,
    refreshes: r.rolled?.refreshes ?? [],
    'asg-names': (r.rolled ?? r.planned?.roll)?.asgNames.join(',') ?? '',
    status: r.status,
    results: r.wait ? resultsOutput(r.wait) : [],
    'reaped-count': r.reap?.result && !r.reap.result.dryRun ? r.reap.result.reaped.length : 0,
  });
}

// The SDK clients this action uses: the only ones its bundle loads.
const services = {
  autoScaling: AutoScalingClient,
  ec2: EC2Client,
  elbv2: ElasticLoadBalancingV2Client,
  ssm: SSMClient,
  sqs: SQSClient,
};

await runAction(deploySpec, services, async (inputs, ctx, io) => {
  const problem = queueUrlProblem(inputs.eventsQueueUrl, (name) => io.env(name));
  if (problem) throw new ConfigurationError([problem]);
  try {
    const result = await deploy(ctx, inputs, deploySteps(inputs));
    writeOutputs(io, result);
    await io.summary(renderDeploySummary(result));
  } catch (err) {
    if (err instanceof DeployFailure) {
      writeOutputs(io, err.result);
      await io.summary(renderDeploySummary(err.result));
    }
    throw err;
  }
});
