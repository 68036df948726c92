// deploy-ami across regions: one transaction per region (deploy.ts's, with its own journal and
// put-back), driven as one: every region planned before any change, the waves in order (a wave
// starts once the one before is proven), the labels recorded only once every region is proven,
// and any failure puts every region that started back.
import type { ActionContext } from '../core/context.js';
import { AbortedError, ConfigurationError, PartialFailure } from '../core/errors.js';
import { Halt, oneGroupAtATime, Transaction, type DeployPlan } from './deploy.js';
import { DeployFailure, type DeployResult, type DeployStatus } from './result.js';
import { journaled } from './journal-middleware.js';
import type { DeploySteps } from './steps.js';

export interface RegionPlan {
  plan: DeployPlan & { oneOfRegions: string };
  steps: DeploySteps;
}

export interface RegionsPlan {
  environment: string;
  label: string;
  dryRun: boolean;
  reap: boolean;
  /** In the order of amis. */
  regions: RegionPlan[];
  waves: string[][];
}

export interface RegionsResult {
  environment: string;
  label: string;
  dryRun: boolean;
  waves: string[][];
  /** One result per region, in the order of amis. */
  regions: DeployResult[];
  /** Regions whose wave started: only they may have been changed. */
  started: string[];
  status: DeployStatus;
  failure?: string;
  timings: { phase: string; ms: number }[];
}

export class RegionsFailure extends PartialFailure<RegionsResult> {}

/** A region's status as the outputs and summary give it: a wave that never started changed nothing. */
export function regionStatus(r: RegionsResult, d: DeployResult): DeployStatus | 'not-started' {
  const ended = r.status !== 'refused' && r.status !== 'planned' && r.status !== 'healthy';
  return ended && d.region && !r.started.includes(d.region) ? 'not-started' : d.status;
}

/** The first region that failed, and how: the cause every other region is put back for. */
class RegionFailed extends Error {
  constructor(
    readonly t: Transaction,
    readonly err: unknown,
  ) {
    super(t.env);
  }
}

class Regions {
  readonly ctx: ActionContext;
  readonly txs: Transaction[];
  readonly result: RegionsResult;
  /** Each started region's journaled context. */
  private readonly runs = new Map<Transaction, ActionContext>();

  constructor(
    outer: ActionContext,
    private readonly o: RegionsPlan,
  ) {
    // One log for every region: the runner does not nest groups, and regions run in parallel.
    this.ctx = { ...outer, log: oneGroupAtATime(outer.log) };
    this.txs = o.regions.map((r) => new Transaction(this.ctx, r.plan, r.steps));
    this.result = {
      environment: o.environment,
      label: o.label,
      dryRun: o.dryRun,
      waves: o.waves,
      regions: this.txs.map((t) => t.result),
      started: [],
      status: 'refused',
      timings: [],
    };
  }

  async timed<T>(phase: string, fn: () => Promise<T>): Promise<T> {
    const start = this.ctx.clock.now();
    try {
      return await fn();
    } finally {
      this.result.timings.push({ phase, ms: this.ctx.clock.now() - start });
    }
  }

  private stop(status: DeployStatus, line: string): never {
    this.result.status = status;
    this.result.failure = line;
    throw new RegionsFailure(line, this.result);
  }

  private tx(region: string): Transaction {
    const t = this.txs.find((x) => x.result.region === region);
    if (!t) throw new Error(`bug: region-waves names ${region}, which amis does not`);
    return t;
  }

  /** 1. Every region's checks, read-only, before anything changes anywhere. */
  async plan(): Promise<void> {
    const planned = await this.timed('plan', () => Promise.allSettled(this.txs.map((t) => t.plan())));
    for (const p of planned)
      if (p.status === 'rejected' && !(p.reason instanceof DeployFailure)) throw p.reason;
    const refusals = this.txs.flatMap((t) =>
      t.result.failure && t.result.status === 'refused' ? [t.result.failure] : [],
    );
    // Cancelled during the plan: failed (cancelled), as anywhere else; nothing was changed.
    if (this.ctx.signal.aborted || this.txs.some((t) => t.result.status === 'failed'))
      this.stop(
        'failed',
        `${this.o.environment}: cancelled during the plan, nothing was changed in any region`,
      );
    if (refusals.length) this.stop('refused', refusals.join(' | '));
    this.ctx.log.info(
      `Plan over ${this.txs.length} regions passed. Waves: ${this.o.waves.map((w, i) => `${i + 1}. ${w.join(', ')}`).join(' → ')}; ` +
        `each wave starts once the one before is proven healthy, labels move once every region is.`,
    );
  }

  async dryRun(): Promise<RegionsResult> {
    for (const t of this.txs) await t.dryRun();
    this.result.status = 'planned';
    return this.result;
  }

  /** One region's changes up to proven: label (label-first), roll, prove, launch sources as written. */
  private async change(t: Transaction, proving: AbortSignal): Promise<void> {
    t.begin();
    const run = journaled(t.ctx, t.journal);
    this.runs.set(t, run);
    t.journal.recording = true;
    if (t.result.order === 'label-first') await t.record(run);
    await t.roll(run);
    // A region failing elsewhere in the wave stops this one's proof, not its calls that change AWS.
    await t.prove({ ...run, signal: proving });
    await t.settleSources(run);
  }

  /** 2. One wave: its regions in parallel; the first to fail stops the others' proof. */
  async wave(regions: string[]): Promise<void> {
    const proving = new AbortController();
    const cancel = () => proving.abort(this.ctx.signal.reason);
    this.ctx.signal.addEventListener('abort', cancel, { once: true });
    let cause: RegionFailed | undefined;
    this.result.started.push(...regions);
    const settled = await Promise.allSettled(
      regions.map((r) =>
        this.change(this.tx(r), proving.signal).catch((err: unknown) => {
          if (!cause && !proving.signal.aborted) {
            cause = new RegionFailed(this.tx(r), err);
            proving.abort(new AbortedError(`${this.tx(r).env} did not end healthy`));
          }
          throw err;
        }),
      ),
    );
    this.ctx.signal.removeEventListener('abort', cancel);
    if (cause) throw cause;
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** 3. Every region proven: each label moves (fleet-first regions), all in parallel. */
  async record(): Promise<void> {
    const settled = await Promise.allSettled(
      this.txs
        .filter((t) => t.result.order !== 'label-first')
        .map((t) =>
          t.record(this.runs.get(t)!).catch((err: unknown) => Promise.reject(new RegionFailed(t, err))),
        ),
    );
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
  }

  settle(): void {
    for (const t of this.runs.keys()) {
      t.journal.recording = false;
      t.journal.settle('healthy');
      t.result.status = 'healthy';
    }
    this.result.status = 'healthy';
  }

  /**
   * Puts back every region that started, each from its own journal, in parallel; the region that
   * failed first is the cause the line leads with. Cancelled: each does its quick part, the post
   * step the rest.
   */
  async putBack(err: unknown): Promise<never> {
    if (err instanceof ConfigurationError) throw err;
    const cancelled =
      this.ctx.signal.aborted || (err instanceof AbortedError && !(err instanceof RegionFailed));
    const cause = err instanceof RegionFailed ? err : undefined;
    const started = [...this.runs.keys()];
    for (const t of started) t.journal.recording = false;
    await this.timed('restore', () =>
      Promise.all(
        started.map((t) =>
          t.restore(
            t === cause?.t
              ? t.haltOf(cause.err, cancelled)
              : cause
                ? new Halt('failed', `${t.env}: put back, since ${cause.t.env} did not end healthy`)
                : t.haltOf(err, cancelled),
            cancelled,
          ),
        ),
      ),
    );
    const complete = started.every((t) => t.report?.complete ?? true);
    const touched = started.some((t) => t.report?.touched);
    // Each region as before, or not: a region nothing was changed in is as before too.
    for (const t of started)
      if (t.report?.complete && t !== cause?.t) t.result.status = cancelled ? 'failed' : 'rolled-back';
    const status: DeployStatus =
      cancelled || !complete || !touched
        ? 'failed'
        : cause?.t.result.status === 'timed-out'
          ? 'timed-out'
          : 'rolled-back';
    const first = cause?.t ?? started[0];
    const lines = [first, ...started.filter((t) => t !== first)].flatMap((t) =>
      t?.result.failure ? [t.result.failure] : [],
    );
    return this.stop(status, lines.join(' | ') || `${this.o.environment}: failed before any region changed`);
  }

  /** 4. Reaping, region by region; as in one region, its failures are warnings unless reap-failure: fail. */
  async reap(): Promise<void> {
    for (const t of this.txs)
      try {
        await t.reap(false);
      } catch (err) {
        if (!(err instanceof DeployFailure)) throw err;
        this.stop(this.result.status, err.message);
      }
  }
}

/**
 * deploy-ami over amis: plan every region (read-only) → waves (label-first regions record first,
 * roll, prove) → every region proven: record the labels → reap. Any ending short of that puts
 * every started region back from its journal and throws RegionsFailure with the result.
 */
export async function deployRegions(outer: ActionContext, o: RegionsPlan): Promise<RegionsResult> {
  const d = new Regions(outer, o);
  await d.plan();
  if (o.dryRun) return d.dryRun();
  try {
    for (const [i, wave] of o.waves.entries()) {
      d.ctx.log.info(`Wave ${i + 1} of ${o.waves.length}: ${wave.join(', ')}`);
      await d.timed(`wave ${i + 1}`, () => d.wave(wave));
      d.ctx.log.info(`Wave ${i + 1} proven healthy: ${wave.join(', ')}.`);
    }
    await d.timed('record', () => d.record());
  } catch (err) {
    return d.putBack(err);
  }
  d.settle();
  // Deregistration protection only now, once every region is recorded (see Transaction.protect).
  for (const t of d.txs) await t.protect();
  if (o.reap) await d.timed('reap', () => d.reap());
  return d.result;
}
