// reap-octopus-orphans as a capability. A refused or stopped run still reports exactly what was
// (not) deleted: ReapRefused and ReapDeleteFailed carry the result.
import { defineCapability } from '../core/capability.js';
import type { ActionContext } from '../core/context.js';
import { createOctopusClient } from '../octopus/client.js';
import { reapSpec } from './inputs.js';
import { reapOptions, reapOutputs, type ReapRunOptions } from './options.js';
import { reapOrphans, type ReapResult } from './reap.js';
import { renderReapSummary } from './summary.js';

/** Reaps with the step's EC2 clients and an Octopus client for `o.octopus`. */
export function runReap(ctx: ActionContext, o: ReapRunOptions): Promise<ReapResult> {
  const octopus = createOctopusClient(o.octopus, ctx.clock);
  return reapOrphans({ ...ctx, clients: { ec2: (region) => ctx.clients.ec2(region), octopus } }, o);
}

export const reapCapability = defineCapability({
  spec: reapSpec,
  toOptions: reapOptions,
  run: runReap,
  outputs: reapOutputs,
  summary: renderReapSummary,
});
