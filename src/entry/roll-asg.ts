// Entry of roll-asg: inputs → roll (and optional wait) → outputs and job summary.
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { runAction, type StepIO } from '../core/run.js';
import { rollSpec } from '../roll/inputs.js';
import { rollOptionsFrom } from '../roll/options.js';
import { roll, RollFailure, type RollResult } from '../roll/roll.js';
import { renderRollSummary } from '../roll/summary.js';

async function report(io: StepIO, r: RollResult): Promise<void> {
  io.setOutputs({ refreshes: r.refreshes, 'asg-names': r.asgNames.join(',') });
  await io.summary(renderRollSummary(r));
}

// The SDK clients this action uses: the only ones its bundle loads (ELBv2: wait: true checks target health).
const services = {
  autoScaling: AutoScalingClient,
  ec2: EC2Client,
  ssm: SSMClient,
  elbv2: ElasticLoadBalancingV2Client,
};

await runAction(rollSpec, services, async (inputs, ctx, io) => {
  try {
    await report(io, await roll(ctx, rollOptionsFrom(inputs)));
  } catch (err) {
    // Refreshes that did start keep running: their records must still reach the outputs.
    if (err instanceof RollFailure) await report(io, err.result);
    throw err;
  }
});
