// Entry of retire-amis: inputs → retireAmis → outputs and job summary.
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { runAction } from '../core/run.js';
import { retireSpec } from '../retire/inputs.js';
import { retireOptions, retireOutputs } from '../retire/options.js';
import { RetireFailed, RetireRefused, retireAmis } from '../retire/retire.js';
import { renderRetireSummary } from '../retire/summary.js';

// The SDK clients this action uses: the only ones its bundle loads.
const services = { autoScaling: AutoScalingClient, ec2: EC2Client, ssm: SSMClient };

await runAction(retireSpec, services, async (inputs, ctx, io) => {
  try {
    const result = await retireAmis(ctx, retireOptions(inputs));
    io.setOutputs(retireOutputs(result));
    await io.summary(renderRetireSummary(result));
  } catch (err) {
    // Refused or stopped part-way: still say exactly what was (not) changed, then fail.
    const partial =
      err instanceof RetireRefused ? err.result : err instanceof RetireFailed ? err.partial : undefined;
    if (partial) {
      io.setOutputs(retireOutputs(partial));
      await io.summary(renderRetireSummary(partial, err instanceof Error ? err.message : String(err)));
    }
    throw err;
  }
});
