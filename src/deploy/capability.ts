// deploy-ami as a capability: the transaction over the four actions' steps, its outputs and its
// summary, which heads with the outcome (so a failed deployment's summary is its own).
import { defineCapability } from '../core/capability.js';
import type { StepEnv, StepIO } from '../core/context.js';
import { resultsOutput } from '../health/summary.js';
import { deploy, type DeployPlan, type DeployResult } from './deploy.js';
import { Journal, startedRefreshes } from './journal.js';
import { deployment, deploySpec, type DeployInputs } from './inputs.js';
import { deploySteps, stepOptions, type DeploySteps } from './steps.js';
import { renderDeploySummary } from './summary.js';

export type DeployOptions = DeployPlan & { steps: DeploySteps };

/**
 * The capability's toOptions: the transaction's settings, its steps with their typed options, and
 * the journal, saved to step state (for the post step) and written as `refreshes` as they start.
 */
export function deployOptions(
  inputs: DeployInputs,
  step: Pick<StepEnv, 'env'> & Partial<Pick<StepIO, 'saveState' | 'setOutputs'>>,
): DeployOptions {
  const v = deployment(inputs);
  const journal = new Journal(step.saveState, (j) =>
    // Not yet proven: a run that ends here without writing its outputs ended put back or unfinished.
    step.setOutputs?.({ refreshes: startedRefreshes(j), status: 'failed' }),
  );
  return {
    journal,
    rollbackOnFailure: v.rollbackOnFailure,
    setDefaultVersion: v.setDefaultVersion,
    environment: v.environment,
    amiId: v.amiId,
    parameterName: v.parameterName,
    label: v.label,
    dryRun: v.dryRun,
    reap: v.reap,
    reapFailure: v.reapFailure,
    steps: deploySteps(stepOptions(v, step)),
  };
}

export function deployOutputs(r: DeployResult) {
  const p = r.promoted ?? r.planned?.promote;
  return {
    // What the environment ran: its label's AMI (the parameter's newest value only before any label).
    'previous-ami-id': (p?.label ? p.label.previousAmiId : p?.previousAmiId) ?? '',
    // Only a version that holds the AMI now; empty when nothing was (or, in a dry run, would be) written yet.
    version: r.promoted?.version ?? (r.dryRun && p?.outcome === 'unchanged' ? (p.version ?? '') : ''),
    changed: r.promoted?.changed ?? false,
    refreshes: r.rolled?.refreshes ?? [],
    'asg-names': (r.rolled ?? r.planned?.roll)?.asgNames.join(',') ?? '',
    status: r.status,
    results: r.wait ? resultsOutput(r.wait) : [],
    'reaped-count': r.reap?.result && !r.reap.result.dryRun ? r.reap.result.reaped.length : 0,
  };
}

export const deployCapability = defineCapability({
  spec: deploySpec,
  toOptions: deployOptions,
  run: (ctx, o: DeployOptions) => deploy(ctx, o, o.steps),
  outputs: deployOutputs,
  summary: (r) => renderDeploySummary(r),
  // Invalid inputs change nothing: a workflow branching on status sees it as a refusal.
  refusedOutputs: { status: 'refused' },
});
