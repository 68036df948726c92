// The deploy-ami sequence for one environment: (reap) → promote → roll → wait. The four steps are
// injected so the order and the decisions between them are testable without any AWS client.
import { ActionFailure } from '../core/errors.js';
import type { ActionContext } from '../core/run.js';
import type { DeployInputs } from './inputs.js';

export interface ReapOutcome {
  reapedCount: number;
  keptCount: number;
}

export interface PromoteOutcome {
  previousAmiId?: string;
  version: number;
  changed: boolean;
}

export interface RollOutcome {
  /** roll-asg's refresh records, passed to the wait as they are. */
  refreshes: unknown[];
  asgNames: string[];
}

export type HealthStatus = 'healthy' | 'failed' | 'rolled-back' | 'timed-out';

export interface WaitOutcome {
  status: HealthStatus;
  results: unknown[];
  /** One line naming the groups that failed and what was done, when status is not healthy. */
  failure?: string;
}

export interface DeploySteps {
  reap(ctx: ActionContext, inputs: DeployInputs): Promise<ReapOutcome>;
  promote(ctx: ActionContext, inputs: DeployInputs): Promise<PromoteOutcome>;
  roll(ctx: ActionContext, inputs: DeployInputs): Promise<RollOutcome>;
  wait(ctx: ActionContext, inputs: DeployInputs, refreshes: unknown[]): Promise<WaitOutcome>;
}

export interface DeployResult {
  environment: string;
  amiId: string;
  reap?: ReapOutcome;
  promote: PromoteOutcome;
  roll: RollOutcome;
  /** Absent when no group needed a refresh: there was nothing to wait for. */
  wait?: WaitOutcome;
  status: HealthStatus;
  timings: { phase: string; ms: number }[];
}

/** Thrown when the fleet did not become healthy; carries the result so outputs and summary still appear. */
export class DeployFailure extends ActionFailure {
  constructor(
    message: string,
    readonly result: DeployResult,
  ) {
    super(message);
  }
}

export async function deploy(
  ctx: ActionContext,
  inputs: DeployInputs,
  steps: DeploySteps,
): Promise<DeployResult> {
  const timings: DeployResult['timings'] = [];
  const timed = async <T>(phase: string, fn: () => Promise<T>): Promise<T> => {
    const start = ctx.clock.now();
    try {
      return await ctx.log.group(`${phase} (${inputs.environment})`, fn);
    } finally {
      timings.push({ phase, ms: ctx.clock.now() - start });
    }
  };

  // Reaping first: Octopus must not be left waiting on targets the refresh is about to orphan further.
  const reap = inputs.reap ? await timed('reap', () => steps.reap(ctx, inputs)) : undefined;
  const promote = await timed('promote', () => steps.promote(ctx, inputs));
  const roll = await timed('roll', () => steps.roll(ctx, inputs));
  const base = {
    environment: inputs.environment,
    amiId: inputs.amiId,
    promote,
    roll,
    timings,
    ...(reap ? { reap } : {}),
  };
  if (inputs.dryRun || roll.refreshes.length === 0) {
    ctx.log.info(
      inputs.dryRun
        ? 'Dry run: nothing was started, so there is nothing to wait for.'
        : `Every group already runs ${inputs.amiId}; nothing to wait for.`,
    );
    return { ...base, status: 'healthy' };
  }
  const wait = await timed('wait', () => steps.wait(ctx, inputs, roll.refreshes));
  const result: DeployResult = { ...base, wait, status: wait.status };
  if (wait.status !== 'healthy')
    throw new DeployFailure(
      wait.failure ??
        `${inputs.environment}: the fleet did not become healthy on ${inputs.amiId} (${wait.status})`,
      result,
    );
  return result;
}
