// deploy-ami as a capability: the transaction over the four actions' steps (one region with
// ami-id, every region of amis with regions.ts), its outputs and its summary, which heads with the
// outcome (so a failed deployment's summary is its own).
import { defineCapability } from '../core/capability.js';
import type { StepEnv, StepIO } from '../core/context.js';
import { stateFiles } from '../core/state-files.js';
import { resultsOutput } from '../health/summary.js';
import { deploy, type DeployPlan } from './deploy.js';
import type { DeployResult } from './result.js';
import { Journal, regionState, startedRefreshes } from './journal.js';
import { deployment, deploySpec, regionDeployments, type DeployInputs, type Deployment } from './inputs.js';
import { wavesOf } from './region-inputs.js';
import { deployRegions, regionStatus, type RegionsPlan, type RegionsResult } from './regions.js';
import { renderRegionsSummary } from './regions-summary.js';
import { deploySteps, stepOptions, type DeploySteps } from './steps.js';
import { renderDeploySummary } from './summary.js';

export type DeployOptions = (DeployPlan & { steps: DeploySteps }) | { regions: RegionsPlan };

type Step = Pick<StepEnv, 'env'> & Partial<Pick<StepIO, 'saveState' | 'setOutputs'>>;

const planOf = (v: Deployment, journal: Journal): DeployPlan => ({
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
});

/**
 * The capability's toOptions: the transaction's settings, its steps with their typed options, and
 * the journal, saved to files under RUNNER_TEMP (for the post step; their directory in step state) and written as `refreshes` as they start.
 */
export function deployOptions(inputs: DeployInputs, step: Step): DeployOptions {
  if (inputs.amis) return { regions: regionsPlan(inputs, step) };
  const v = deployment(inputs);
  const journal = new Journal(stateFiles(step), (j) =>
    // Not yet proven: a run that ends here without writing its outputs ended put back or unfinished.
    step.setOutputs?.({
      refreshes: startedRefreshes(j),
      status: j.settled === 'healthy' ? 'healthy' : 'failed',
    }),
  );
  return { ...planOf(v, journal), steps: deploySteps(stepOptions(v, step)) };
}

/** With amis: one transaction per region, each journal under its region's state names. */
function regionsPlan(inputs: DeployInputs, step: Step): RegionsPlan {
  const journals: Journal[] = [];
  // One directory for the step: each region's journal under its own names.
  const save = stateFiles(step);
  const onRefresh = () =>
    step.setOutputs?.({
      refreshes: journals.flatMap((j) => (j.data ? startedRefreshes(j.data) : [])),
      // Healthy only once every region's transaction is settled healthy.
      status: journals.every((j) => j.data?.settled === 'healthy') ? 'healthy' : 'failed',
    });
  const regions = regionDeployments(inputs).map((v) => {
    const name = regionState(v.region);
    const journal = new Journal((n, value) => save(name(n), value), onRefresh);
    journals.push(journal);
    return {
      plan: { ...planOf(v, journal), oneOfRegions: v.region },
      steps: deploySteps(stepOptions(v, step)),
    };
  });
  return {
    environment: inputs.environment,
    label: inputs.label ?? inputs.environment,
    dryRun: inputs.dryRun,
    reap: inputs.reap,
    regions,
    waves: wavesOf(inputs.amis ?? {}, inputs.regionWaves),
  };
}

function oneRegionOutputs(r: DeployResult) {
  const p = r.promoted ?? r.planned?.promote;
  // What the plan read: the record compares against it, so a later read never names another writer's AMI.
  const before = r.planned?.promote ?? p;
  return {
    // What the environment ran: its label's AMI (the parameter's newest value only before any label).
    'previous-ami-id': (before?.label ? before.label.previousAmiId : before?.previousAmiId) ?? '',
    // Only a version that holds the AMI now; empty when nothing was (or, in a dry run, would be) written yet.
    version: r.promoted?.version ?? (r.dryRun && p?.outcome === 'unchanged' ? (p.version ?? '') : ''),
    changed: r.promoted?.changed ?? false,
    refreshes: r.rolled?.refreshes ?? [],
    'asg-names': (r.rolled ?? r.planned?.roll)?.asgNames ?? [],
    status: r.status,
    results: r.wait ? resultsOutput(r.wait) : [],
    'reaped-count': r.reap?.result && !r.reap.result.dryRun ? r.reap.result.reaped.length : 0,
  };
}

/** Per region in `regions`; in total in the others (maps by region where a value is a region's). */
function regionsOutputs(r: RegionsResult) {
  const each = r.regions.map((d) => ({ region: d.region ?? '', d, o: oneRegionOutputs(d) }));
  return {
    // Only regions that ran an AMI before: the map passed back as amis rolls those back, and leaves
    // alone a region that had none (its row in `regions` has previous-ami-id "").
    'previous-ami-id': Object.fromEntries(
      each.flatMap((e) => (e.o['previous-ami-id'] ? [[e.region, e.o['previous-ami-id']]] : [])),
    ),
    version: Object.fromEntries(each.flatMap((e) => (e.o.version === '' ? [] : [[e.region, e.o.version]]))),
    changed: each.some((e) => e.o.changed),
    refreshes: each.flatMap((e) => e.o.refreshes),
    'asg-names': each.flatMap((e) => e.o['asg-names'].map((n) => `${e.region}/${n}`)).join(','),
    status: r.status,
    results: each.flatMap((e) => e.o.results),
    'reaped-count': each.reduce((n, e) => n + e.o['reaped-count'], 0),
    regions: each.map((e) => ({
      region: e.region,
      'ami-id': e.d.amiId,
      status: regionStatus(r, e.d),
      'previous-ami-id': e.o['previous-ami-id'],
      version: e.o.version,
      changed: e.o.changed,
      refreshes: e.o.refreshes.length,
      'reaped-count': e.o['reaped-count'],
    })),
  };
}

export function deployOutputs(r: DeployResult | RegionsResult) {
  if ('regions' in r) return regionsOutputs(r);
  const o = oneRegionOutputs(r);
  return { ...o, 'asg-names': o['asg-names'].join(','), regions: [] };
}

export const deployCapability = defineCapability({
  spec: deploySpec,
  toOptions: deployOptions,
  run: (ctx, o: DeployOptions): Promise<DeployResult | RegionsResult> =>
    'regions' in o ? deployRegions(ctx, o.regions) : deploy(ctx, o, o.steps),
  outputs: deployOutputs,
  summary: (r) => ('regions' in r ? renderRegionsSummary(r) : renderDeploySummary(r)),
  // Invalid inputs change nothing: a workflow branching on status sees it as a refusal.
  refusedOutputs: { status: 'refused' },
});
