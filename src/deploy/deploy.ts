// The deploy-ami transaction for one environment: plan everything read-only, change, prove the
// fleet healthy, and on any failure put back what this run changed. The steps are injected so the
// order and the decisions between them are testable without any AWS client.
import { AbortedError, ActionFailure, ConfigurationError, describeError } from '../core/errors.js';
import { groupTemplateSpecs } from '../aws/group-templates.js';
import { groupBefore, Journal } from './journal.js';
import { journaled } from './journal-middleware.js';
import type { PutBackReport } from './persist.js';
import type { Log } from '../core/log.js';
import type { ActionContext } from '../core/context.js';
import type { WatchedRefresh } from '../health/watched-refresh.js';
import type { PromoteResult } from '../promote/types.js';
import { RollFailure, type RollResult } from '../roll/roll.js';
import { PromotionError } from '../promote/promote.js';
import type { Deployment } from './inputs.js';
import { DeployFailure, type DeployResult, type DeployStatus } from './result.js';
import type { DeploySteps } from './steps.js';
import { groupLabel } from '../aws/group-label.js';

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
export function promisedSelectors(v: Pick<Deployment, 'parameterName' | 'amiId' | 'label'>) {
  return new Map([
    [v.parameterName, v.amiId],
    [`${v.parameterName}:${v.label}`, v.amiId],
  ]);
}

export type DeployPlan = Pick<
  Deployment,
  | 'environment'
  | 'amiId'
  | 'parameterName'
  | 'label'
  | 'dryRun'
  | 'reap'
  | 'reapFailure'
  | 'rollbackOnFailure'
  | 'setDefaultVersion'
> & {
  journal?: Journal;
  /** With amis: the region this transaction is one of, named in its lines. */
  oneOfRegions?: string;
};

/** A phase failed after the plan: the status and line the put-back reports with. */
export class Halt extends Error {
  constructor(
    readonly status: DeployStatus,
    message: string,
  ) {
    super(message);
  }
}

/** How long the main step may spend putting back after SIGINT: the runner sends SIGKILL 10 s after it. */
const CANCEL_PUT_BACK_MS = 6_000;

/** One run of the transaction: its steps in order, each phase timed, the result they fill in. */
export class Transaction {
  readonly ctx: ActionContext;
  readonly result: DeployResult;
  readonly journal: Journal;
  /** What the put-back did, once it ran. */
  report?: PutBackReport;
  /** What the record step wrote, for deregistration protection once the run is settled. */
  private recorded?: PromoteResult;
  /** The environment (and region, with amis), as the lines name it. */
  readonly env: string;
  private readonly ami: string;
  private readonly label: string;
  private readonly promised: ReadonlyMap<string, string>;

  constructor(
    outer: ActionContext,
    private readonly v: DeployPlan,
    private readonly steps: DeploySteps,
  ) {
    this.ctx = { ...outer, log: oneGroupAtATime(outer.log) };
    this.env = v.oneOfRegions ? `${v.environment} in ${v.oneOfRegions}` : v.environment;
    this.ami = v.amiId;
    this.label = v.label;
    this.journal = v.journal ?? new Journal();
    this.result = {
      environment: v.environment,
      ...(v.oneOfRegions ? { region: v.oneOfRegions } : {}),
      amiId: this.ami,
      label: this.label,
      dryRun: v.dryRun,
      restored: [],
      status: 'refused',
      timings: [],
    };
    this.promised = promisedSelectors(v);
  }

  private async phase<T>(name: string, title: string, fn: () => Promise<T>): Promise<T> {
    const start = this.ctx.clock.now();
    try {
      return await this.ctx.log.group(title, fn);
    } finally {
      this.result.timings.push({ phase: name, ms: this.ctx.clock.now() - start });
    }
  }

  private stop(status: DeployStatus, line: string): never {
    this.result.status = status;
    this.result.failure = line;
    throw new DeployFailure(line, this.result);
  }

  /** 1. Every check of promote and roll, read-only. A refusal leaves everything as it was. */
  async plan(): Promise<void> {
    const { ctx, result, steps } = this;
    try {
      await this.phase('plan', `Plan: ${this.ami} to ${this.env} (read-only)`, async () => {
        const p = await steps.planPromote(ctx);
        const r = await steps.planRoll(ctx, this.promised);
        if (this.v.reap) await steps.planReap?.(ctx);
        result.planned = { roll: r, ...(p.regions[0] ? { promote: p.regions[0] } : {}) };
        this.checkDefaultFollowers(r);
        result.order = r.groups.some((g) => g.imageSource === 'ssm-parameter' && g.status === 'would-refresh')
          ? 'label-first'
          : 'fleet-first';
        ctx.log.info(describeOrder(result));
      });
    } catch (err) {
      if (err instanceof ConfigurationError) throw err;
      // A cancelled job is failed wherever it is cancelled (the SDK's own AbortError included).
      if (err instanceof AbortedError || ctx.signal.aborted)
        this.stop('failed', `${this.env}: cancelled during the plan, nothing was changed`);
      this.stop(
        'refused',
        `${this.env}: refused before any change, nothing was changed: ${describeError(err)}`,
      );
    }
  }

  /**
   * A group following `$Default` reads back as written only once the default moves to the proven
   * version: without set-default-version it would end pinned to a number, so it is refused here.
   */
  private checkDefaultFollowers(r: RollResult): void {
    if (this.v.setDefaultVersion) return;
    const followers = r.groups.filter(
      (g) =>
        g.status === 'would-refresh' &&
        g.imageSource === 'launch-template' &&
        groupTemplateSpecs(g.before.source).some((s) => (s.Version ?? '$Default') === '$Default'),
    );
    if (followers.length)
      throw new ActionFailure(
        `${followers.map((g) => groupLabel(g.region, g.group)).join(', ')} follow${followers.length === 1 ? 's' : ''} $Default of ${followers.length === 1 ? 'its' : 'their'} launch template: ` +
          `it reads back as written only if the template's default moves to the proven version. Set set-default-version: true, or pin the group to a version number.`,
      );
  }

  async dryRun(): Promise<DeployResult> {
    if (this.v.reap) await this.reap(true);
    this.ctx.log.info('Dry run: the plan above is what a real run would do; nothing was changed.');
    this.result.status = 'planned';
    return this.result;
  }

  /** The journal's first entry: the environment as the plan read it, saved before any change. */
  begin(): void {
    const p = this.result.planned?.promote;
    const groups = (this.result.planned?.roll.groups ?? []).filter((g) => g.status === 'would-refresh');
    this.journal.begin({
      amiId: this.ami,
      environment: this.v.environment,
      startedAt: Date.now(),
      rollbackOnFailure: this.v.rollbackOnFailure,
      parameter: {
        region: p?.region ?? this.ctx.clients.defaultRegion,
        name: this.v.parameterName,
        label: this.label,
        ...(p?.previousVersion !== undefined ? { version: p.previousVersion } : {}),
        ...(p?.previousAmiId ? { value: p.previousAmiId } : {}),
        ...(p?.label?.previousVersion !== undefined ? { labelVersion: p.label.previousVersion } : {}),
      },
      groups: groups.map(groupBefore),
    });
  }

  /** 2 or 4. Moves the label: before the roll for groups that launch what it says, else once proven. */
  async record(ctx: ActionContext): Promise<void> {
    const first = this.result.order === 'label-first';
    const { ami, label, env } = this;
    const title = first
      ? `Record ${ami} as ${label} (its groups launch what the label says)`
      : `Record ${ami} as ${label}: ${env} runs it, proven healthy`;
    const p = this.result.planned?.promote;
    // Compare-and-swap against the plan: another writer's record in between is never written over.
    const planned = p && { value: p.previousAmiId ?? null, labelVersion: p.label?.previousVersion ?? null };
    try {
      this.recorded = await this.phase('record', title, () => this.steps.promote(ctx, planned));
      this.result.promoted = this.recorded.regions[0];
    } catch (err) {
      if (err instanceof AbortedError) throw err;
      const why = recordFailure(this.v.parameterName, err);
      throw new Halt(
        'failed',
        first
          ? `${env}: recording ${ami} failed before any group was rolled: ${why}`
          : `${env}: the fleet ran ${ami}, proven healthy, but recording it as ${label} failed: ${why}`,
      );
    }
  }

  /** 2. New template versions and refreshes. */
  async roll(ctx: ActionContext): Promise<void> {
    const { result, steps, env } = this;
    try {
      result.rolled = await this.phase('roll', `Roll ${env} onto ${this.ami}`, () =>
        steps.roll(ctx, this.promised),
      );
    } catch (err) {
      if (err instanceof RollFailure) result.rolled = err.result;
      if (err instanceof AbortedError || (err instanceof RollFailure && ctx.signal.aborted)) throw err;
      throw new Halt('failed', `${env}: rolling failed: ${describeError(err)}`);
    }
  }

  /**
   * 3. Proves the fleet healthy on the AMI: the refreshes started, and the groups already current
   * by the same checks (the put-back, not the wait, undoes a failure).
   */
  async prove(ctx: ActionContext): Promise<void> {
    const { result, env } = this;
    const refreshes = result.rolled?.refreshes ?? [];
    const current: WatchedRefresh[] = (result.rolled?.groups ?? [])
      .filter((g) => g.status === 'already-current')
      .map((g) => ({
        region: g.region,
        group: g.group,
        amiId: g.amiId,
        verifyOnly: true,
        ...(g.imageSource === 'launch-template' && g.template.version !== undefined
          ? { newVersion: String(g.template.version) }
          : {}),
      }));
    if (!refreshes.length && !current.length) return;
    if (!refreshes.length)
      this.ctx.log.info(`Every group already runs ${this.ami}; proving it as after a refresh.`);
    result.wait = await this.phase('wait', `Prove ${env} healthy on ${this.ami}`, () =>
      this.steps.wait(ctx, [...refreshes, ...current]),
    );
    if (result.wait.status !== 'healthy')
      throw new Halt(
        result.wait.status === 'timed-out' ? 'timed-out' : 'failed',
        `${env}: ${result.wait.failures.join(' | ')}`,
      );
  }

  /** Groups that followed $Latest/$Default follow it again, now that it launches the proven AMI. */
  async settleSources(ctx: ActionContext): Promise<void> {
    try {
      this.result.sources = await this.phase('sources', `Launch sources of ${this.env} as written`, () =>
        this.steps.settleSources(ctx, this.journal),
      );
    } catch (err) {
      if (err instanceof AbortedError) throw err;
      throw new Halt(
        'failed',
        `${this.env}: putting the groups back on $Latest/$Default failed: ${describeError(err)}`,
      );
    }
  }

  /**
   * Puts back what this run changed, from the journal, then fails the step saying what was put
   * back and what was not (with the command that finishes it). Cancelled: only the quick part,
   * within the seconds the runner leaves; the post step finishes it.
   */
  async putBack(err: unknown): Promise<never> {
    if (err instanceof ConfigurationError) throw err;
    const cancelled = err instanceof AbortedError || this.ctx.signal.aborted;
    await this.restore(this.haltOf(err, cancelled), cancelled);
    throw new DeployFailure(this.result.failure ?? '', this.result);
  }

  /** The status and line an error ends the run with. */
  haltOf(err: unknown, cancelled: boolean): Halt {
    return err instanceof Halt
      ? err
      : new Halt('failed', `${this.env}: ${cancelled ? 'cancelled' : 'failed'}: ${describeError(err)}`);
  }

  /**
   * The put-back from the journal, leaving result's status, failure line, restored and remaining
   * as putBack reports them (without throwing: deploy-ami across regions puts back every region).
   */
  async restore(halt: Halt, cancelled: boolean): Promise<DeployResult> {
    const ctx = cancelled ? { ...this.ctx, signal: AbortSignal.timeout(CANCEL_PUT_BACK_MS) } : this.ctx;
    const data = this.journal.data;
    if (!data) return this.ended(halt.status, halt.message);
    const report = await this.phase('restore', `Put back what this run changed in ${this.env}`, () =>
      this.steps.putBack(ctx, data, {
        quick: cancelled,
        // Saved, so a later put-back (the post step's) knows this refresh back for its own.
        onRefreshBack: (g, refreshId) =>
          this.journal.intend({ kind: 'back', region: g.region, group: g.name, at: Date.now(), refreshId }),
      }),
    );
    this.report = report;
    const { result } = this;
    result.restored = [...report.restored];
    if (result.order !== 'label-first' && !data.changes.some((c) => c.kind === 'label'))
      result.restored.unshift(`label ${this.label} was not moved (it is recorded only for a proven fleet)`);
    result.remaining = report.remaining;
    for (const r of result.restored) ctx.log.info(r);
    if (report.complete) this.journal.settle('put-back');
    const status: DeployStatus =
      !report.complete || !report.touched
        ? 'failed'
        : halt.status === 'timed-out'
          ? 'timed-out'
          : 'rolled-back';
    const left = report.remaining.map((r) => `${r.what} (finish with: ${r.command})`);
    const line = [
      halt.message,
      `restored: ${result.restored.join('; ') || 'nothing yet'}`,
      ...(report.unfinished ? ['the post step finishes putting back the rest'] : []),
      ...(left.length ? [`NOT put back: ${left.join('; ')}`] : []),
    ].join('; ');
    return this.ended(status, line);
  }

  private ended(status: DeployStatus, line: string): DeployResult {
    this.result.status = status;
    this.result.failure = line;
    return this.result;
  }

  /**
   * Deregistration protection for a protected label's AMI, only once the run is settled healthy:
   * with its 24-hour cooldown a disable does not put an AMI back as it was (it stays protected for
   * a day), so no ending short of healthy may have turned it on. A failure is a warning.
   */
  async protect(): Promise<void> {
    if (this.recorded) await this.steps.protect?.(this.ctx, this.recorded);
  }

  /** Reaping never blocks a deployment: its refusals and errors are warnings unless reap-failure: fail. */
  async reap(dryRun: boolean): Promise<void> {
    const { ctx, result, env } = this;
    // A dry run forecasts the real run's reap: the instances the refresh replaces will be gone.
    const replacing = new Set(
      (result.planned?.roll.groups ?? []).flatMap((g) =>
        g.status === 'would-refresh' ? (g.replacing ?? []) : [],
      ),
    );
    try {
      const r = await this.phase('reap', `Reap orphaned Octopus targets of ${env}`, () =>
        this.steps.reap(ctx, dryRun, dryRun ? replacing : undefined),
      );
      result.reap = { result: r, ...(r.refusal ? { warning: `a real run would refuse: ${r.refusal}` } : {}) };
      if (r.refusal) ctx.log.warning(`reap: ${result.reap.warning}`);
    } catch (err) {
      if (err instanceof AbortedError) throw err;
      const warning = `reaping Octopus targets failed: ${describeError(err)}`;
      result.reap = { warning };
      if (this.v.reapFailure === 'fail')
        this.stop(
          result.status,
          `${env}: runs ${this.ami}, proven healthy, but ${warning} (reap-failure: fail)`,
        );
      ctx.log.warning(`${warning}; the deployment stands (reap-failure: warn)`);
    }
  }
}

/**
 * The transaction: plan (read-only) → record first (label-first only) → roll → prove → record
 * (fleet-first) → reap. Every change is journaled before it is sent; any ending short of a
 * proven, recorded fleet puts back what the journal holds and throws DeployFailure with the result.
 */
export async function deploy(outer: ActionContext, v: DeployPlan, steps: DeploySteps): Promise<DeployResult> {
  const t = new Transaction(outer, v, steps);
  await t.plan();
  if (v.dryRun) return t.dryRun();
  t.begin();
  const run = journaled(t.ctx, t.journal);
  t.journal.recording = true;
  try {
    if (t.result.order === 'label-first') await t.record(run);
    await t.roll(run);
    await t.prove(run);
    await t.settleSources(run);
    if (t.result.order !== 'label-first') await t.record(run);
  } catch (err) {
    t.journal.recording = false;
    return t.putBack(err);
  }
  t.journal.recording = false;
  t.journal.settle('healthy');
  t.result.status = 'healthy';
  await t.protect();
  if (v.reap) await t.reap(false);
  return t.result;
}

/**
 * Why the record failed, in this transaction's terms: promote's own line says which of its
 * regions changed ("no region was changed"), which is not true of a deployment whose groups were
 * rolled; what the put-back restored follows this line.
 */
function recordFailure(name: string, err: unknown): string {
  if (!(err instanceof PromotionError) || !err.detail) return describeError(err);
  const d = err.detail;
  return `${d.reason}; ${d.written ? `${name} in ${d.region}: ${d.written} was written` : `${name} in ${d.region} was not written`}`;
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
