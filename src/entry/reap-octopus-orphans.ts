// Entry of reap-octopus-orphans: inputs → reap → outputs and job summary.
import { EC2Client } from '@aws-sdk/client-ec2';
import { runAction } from '../core/run.js';
import { createOctopusClient } from '../octopus/client.js';
import { reapSpec } from '../reap/inputs.js';
import { octopusConnection, reapOptions, reapOutputs } from '../reap/options.js';
import { ReapDeleteFailed, ReapRefused, reapOrphans } from '../reap/reap.js';
import { renderReapSummary } from '../reap/summary.js';

// The SDK clients this action uses: the only ones its bundle loads.
const services = { ec2: EC2Client };

await runAction(reapSpec, services, async (inputs, ctx, io) => {
  const octopus = createOctopusClient(octopusConnection(inputs), ctx.clock);
  try {
    const result = await reapOrphans(
      { ...ctx, clients: { ec2: (r) => ctx.clients.ec2(r), octopus } },
      reapOptions(inputs),
    );
    io.setOutputs(reapOutputs(result));
    await io.summary(renderReapSummary(result));
  } catch (err) {
    // Refused or stopped part-way: still say exactly what was (not) deleted, then fail.
    const partial =
      err instanceof ReapRefused ? err.result : err instanceof ReapDeleteFailed ? err.partial : undefined;
    if (partial) {
      io.setOutputs(reapOutputs(partial));
      await io.summary(renderReapSummary(partial, err instanceof Error ? err.message : String(err)));
    }
    throw err;
  }
});
