// Entry of promote-ami-parameter: inputs → promote → outputs and job summary.
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { runAction } from '../core/run.js';
import { promoteSpec } from '../promote/inputs.js';
import { promoteOptions, promoteOutputs } from '../promote/options.js';
import { PromotionError, promote } from '../promote/promote.js';
import { protectPromoted, shouldProtect } from '../promote/protect.js';
import { renderPromoteSummary } from '../promote/summary.js';

// The SDK clients this action uses: the only ones its bundle loads.
const services = { ec2: EC2Client, ssm: SSMClient };

await runAction(promoteSpec, services, async (inputs, ctx, io) => {
  const byRegion = inputs.amis !== undefined;
  try {
    const result = await promote(ctx, promoteOptions(inputs));
    if (shouldProtect(inputs.protect, inputs.label, inputs.protectedLabels)) {
      try {
        await protectPromoted(ctx, result);
      } catch (err) {
        await io.summary(renderPromoteSummary(result, err instanceof Error ? err.message : String(err)));
        io.setOutputs(promoteOutputs(result, byRegion));
        throw err;
      }
    }
    io.setOutputs(promoteOutputs(result, byRegion));
    await io.summary(renderPromoteSummary(result));
  } catch (err) {
    // A promotion that failed part-way still reports exactly what it changed.
    if (err instanceof PromotionError && err.partial.regions.length) {
      io.setOutputs(promoteOutputs(err.partial, byRegion));
      await io.summary(renderPromoteSummary(err.partial, err.message));
    }
    throw err;
  }
});
