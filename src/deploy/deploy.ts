// The deploy-ami transaction for one environment: plan everything read-only, change, prove the
// fleet healthy, and on any failure put back what this run changed. The steps are injected so the
// order and the decisions between them are testable without any AWS client.
import { AbortedError, ConfigurationError, describeError, SummarizedFailure } from '../core/errors.js';
import type { Log } from '../core/log.js';
import type { ActionContext } from '../core/run.js';
import type { HealthResult } from '../health/wait.js';
import type { RegionPromotion } from '../promote/types.js';
import type { ReapResult } from '../reap/reap.js';
import { RollFailure, type RollResult } from '../roll/roll.js';
import type { DeployInputs } from './inputs.js';
import type { DeploySteps } from './steps.js';

/** healthy / failed / rolled-back / timed-out as wait-healthy; refused: a check failed, nothing changed; planned: dry run. */
export type DeployStatus = 'healthy' | 'failed' | 'rolled-back' | 'timed-out' | 'refused' | 'planned';

/**
 * When the environment's label moves. Groups whose template resolves the parameter launch what
 * the label says, so it moves first (and is put back on failure); groups pinned to the AMI by id
 * need no record to launch, so the label moves only once the fleet is proven healthy.
 */
export type Order = 'label-first' | 'fleet-first';

export interface DeployResult {
  environment: string;
  amiId: string;
  label: string;
  dryRun: boolean;
  order?: Order;
  /** The read-only plan: what promote and roll would do. */
  planned?: { promote?: RegionPromotion; roll: RollResult };
  promoted?: RegionPromotion;
  rolled?: RollResult;
  wait?: HealthResult;
  /** What a failed run put back (or left, and why), one phrase each. */
  restored: string[];
  reap?: { result?: ReapResult; warning?: string };
  status: DeployStatus;
  /** The one-line failure, when the step fails. */
  failure?: string;
  timings: { phase: string; ms: number }[];
}

/** The step failed; carries the result so outputs and the summary still tell what happened. */
export class DeployFailure extends SummarizedFailure {
  constructor(
    message: string,
    readonly result: DeployResult,
  ) {
    super(message);
  }
}

/** The runner does not nest log groups: a group opened inside another becomes a plain line. */
export function oneGroupAtATime(log: Log): Log {
  let open = false;
  return {
    ...log,
    async group(name, fn) {
      if (open) {
        log.info(`▸ ${name}`);
        return fn();
      }
      open = true;
      try {
        return await log.group(name, fn);
      } finally {
        open = false;
      }
    },
  };
}

/** SSM selectors that hold the AMI once this run's promotion is written (for label-first planning). */
export function promisedSelectors(v: Pick<DeployInputs, 'parameterName' | 'amiId'>, label: string) {
  return new Map([
    [v.parameterName, v.amiId],
    [`${v.parameterName}:${label}`, v.amiId],
  ]);
}

type Inputs = Pick<
  DeployInputs,
  'environment' | 'amiId' | 'parameterName' | 'label' | 'dryRun' | 'reap' | 'reapFailure'
>;

export async function deploy(outer: ActionContext, v: Inputs, steps: DeploySteps): Promise<DeployResult> {
  const ctx: ActionContext = { ...outer, log: oneGroupAtATime(outer.log) };
  const { log } = ctx;
  const env = v.environment;
  const ami = v.amiId;
  const label = v.label ?? env;
  const result: DeployResult = {
    environment: env,
    amiId: ami,
    label,
    dryRun: v.dryRun,
    restored: [],
    status: 'refused',
    timings: [],
  };
  const phase = async <T>(name: string, title: string, fn: () => Promise<T>): Promise<T> => {
    const start = ctx.clock.now();
    try {
      return await log.group(title, fn);
    } finally {
      result.timings.push({ phase: name, ms: ctx.clock.now() - start });
    }
  };
  const stop = (status: DeployStatus, line: string): never => {
    result.status = status;
    result.failure = line;
    throw new DeployFailure(line, result);
  };
  const promised = promisedSelectors(v, label);

  // 1. Every check of promote and roll, read-only. A refusal leaves everything as it was.
  try {
    await phase('plan', `Plan: ${ami} to ${env} (read-only)`, async () => {
      const p = await steps.planPromote(ctx);
      const r = await steps.planRoll(ctx, promised);
      result.planned = { roll: r, ...(p.regions[0] ? { promote: p.regions[0] } : {}) };
      result.order = r.groups.some((g) => g.imageSource === 'ssm-parameter' && g.status === 'would-refresh')
        ? 'label-first'
        : 'fleet-first';
      log.info(describeOrder(result));
    });
  } catch (err) {
    if (err instanceof ConfigurationError || err instanceof AbortedError) throw err;
    stop('refused', `${env}: refused before any change, nothing was changed: ${describeError(err)}`);
  }
  if (v.dryRun) {
    if (v.reap) await reap(true);
    log.info('Dry run: the plan above is what a real run would do; nothing was changed.');
    result.status = 'planned';
    return result;
  }

  // 2. Change, label first only where groups launch what the label says.
  if (result.order === 'label-first')
    try {
      result.promoted = (
        await phase('record', `Record ${ami} as ${label} (its groups launch what the label says)`, () =>
          steps.promote(ctx),
        )
      ).regions[0];
    } catch (err) {
      stop('failed', `${env}: recording ${ami} failed before any group was rolled: ${describeError(err)}`);
    }
  try {
    result.rolled = await phase('roll', `Roll ${env} onto ${ami}`, () => steps.roll(ctx, promised));
  } catch (err) {
    let status: DeployStatus = 'failed';
    if (err instanceof RollFailure) {
      result.rolled = err.result;
      const started = err.result.refreshes;
      if (started.length) {
        result.wait = await phase('wait', `Roll back the ${started.length} refresh(es) already started`, () =>
          steps.rollBack(ctx, started),
        );
        if (result.wait.status === 'rolled-back') status = 'rolled-back';
      }
    }
    const back = result.wait ? `; refreshes already started: ${result.wait.failures.join(' | ')}` : '';
    return undo(status, `${env}: rolling failed: ${describeError(err)}${back}`);
  }

  // 3. Prove it.
  const refreshes = result.rolled.refreshes;
  if (refreshes.length) {
    result.wait = await phase('wait', `Prove ${env} healthy on ${ami}`, () => steps.wait(ctx, refreshes));
    if (result.wait.status !== 'healthy')
      return undo(result.wait.status, `${env}: ${result.wait.failures.join(' | ')}`);
  } else log.info(`Every group already runs ${ami}; nothing to wait for.`);

  // 4. Record what the environment now runs, proven.
  if (result.order !== 'label-first')
    try {
      result.promoted = (
        await phase('record', `Record ${ami} as ${label}: ${env} runs it, proven healthy`, () =>
          steps.promote(ctx),
        )
      ).regions[0];
    } catch (err) {
      stop(
        'failed',
        `${env}: the fleet runs ${ami}, proven healthy, but recording it as ${label} failed: ${describeError(err)}`,
      );
    }
  result.status = 'healthy';
  if (v.reap) await reap(false);
  return result;

  /** Puts back what this run changed, then fails the step saying what was restored. */
  async function undo(status: DeployStatus, line: string): Promise<never> {
    await phase('restore', `Restore ${env}: put back what this run changed`, async () => {
      if (result.promoted) result.restored.push(...(await steps.restore(ctx, result.promoted)));
      else result.restored.push(`label ${label} was not moved (it is recorded only for a proven fleet)`);
      if (result.rolled) result.restored.push(...(await steps.retire(ctx, result.rolled)));
      for (const r of result.restored) log.info(r);
    });
    return stop(status, `${line}; restored: ${result.restored.join('; ')}`);
  }

  /** Reaping never blocks a deployment: its refusals and errors are warnings unless reap-failure: fail. */
  async function reap(dryRun: boolean): Promise<void> {
    try {
      const r = await phase('reap', `Reap orphaned Octopus targets of ${env}`, () => steps.reap(ctx, dryRun));
      result.reap = { result: r, ...(r.refusal ? { warning: `a real run would refuse: ${r.refusal}` } : {}) };
      if (r.refusal) log.warning(`reap: ${result.reap.warning}`);
    } catch (err) {
      if (err instanceof AbortedError) throw err;
      const warning = `reaping Octopus targets failed: ${describeError(err)}`;
      result.reap = { warning };
      if (v.reapFailure === 'fail')
        stop(result.status, `${env}: runs ${ami}, proven healthy, but ${warning} (reap-failure: fail)`);
      log.warning(`${warning}; the deployment stands (reap-failure: warn)`);
    }
  }
}

function describeOrder(r: DeployResult): string {
  const p = r.planned?.promote;
  const refresh =
    r.planned?.roll.groups.filter((g) => g.status === 'would-refresh').map((g) => g.group) ?? [];
  const current =
    r.planned?.roll.groups.filter((g) => g.status === 'already-current').map((g) => g.group) ?? [];
  const record =
    p?.outcome === 'unchanged' && !p.label?.moved
      ? `label ${r.label} already on ${r.amiId}`
      : `label ${r.label} moves to ${r.amiId}${p?.outcome === 'unchanged' ? '' : ' in a new version'}`;
  return [
    `Plan: refresh ${refresh.length ? refresh.join(', ') : 'no group'}` +
      (current.length ? ` (already current: ${current.join(', ')})` : ''),
    r.order === 'label-first'
      ? `${record} first (a group launches what the label says), put back if the fleet does not end healthy`
      : `${record} once the fleet is proven healthy`,
  ].join('; ');
}
