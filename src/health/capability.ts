// wait-healthy as a capability: its inputs to WaitOptions (options.ts), the wait, the outputs and summary. A
// fleet that did not end healthy fails the step with the result, whose summary heads with it.
import { defineCapability } from '../core/capability.js';
import { PartialFailure } from '../core/errors.js';
import { waitHealthyHearing } from './events.js';
import { waitHealthySpec } from './inputs.js';
import { healthOptions } from './options.js';
import { renderSummary, resultsOutput } from './summary.js';
import type { HealthResult, WaitOptions } from './wait.js';

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
