// promote-ami-parameter as a capability: the promotion, then (for a protected label) deregistration
// protection for what it recorded. A failure after a region was written still reports it.
import { defineCapability } from '../core/capability.js';
import type { ActionContext } from '../core/context.js';
import { PartialFailure } from '../core/errors.js';
import { promoteSpec } from './inputs.js';
import { promoteOptions, promoteOutputs, type PromoteRunOptions } from './options.js';
import { promote } from './promote.js';
import { protectPromoted } from './protect.js';
import { renderPromoteSummary } from './summary.js';
import type { PromoteResult } from './types.js';

async function promoteAndProtect(ctx: ActionContext, o: PromoteRunOptions): Promise<PromoteResult> {
  const result = await promote(ctx, o);
  // The parameter stands written when protection fails: the step fails, reporting what was written.
  if (o.protect)
    await protectPromoted(ctx, result).catch((err: unknown) => {
      throw PartialFailure.carrying(err, result);
    });
  return result;
}

export const promoteCapability = defineCapability({
  spec: promoteSpec,
  toOptions: promoteOptions,
  run: promoteAndProtect,
  outputs: promoteOutputs,
  summary: renderPromoteSummary,
});
