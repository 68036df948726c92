// Binds deploy-ami's steps to the capabilities of the four actions, with typed options each
// capability's own toOptions builds once from deploy-ami's validated inputs (no string round
// trip): a field deploy-ami picks from an action's spec flows on by its name, and a setting it
// does not expose takes the standalone action's declared default, parsed by that action's field.
import { inputsWith } from '../core/capability.js';
import { partInputs } from '../core/compose.js';
import type { ActionContext, StepEnv } from '../core/context.js';
import { describeError } from '../core/errors.js';
import { healthOptions } from '../health/options.js';
import { waitHealthyHearing } from '../health/events.js';
import type { HealthResult, WaitOptions } from '../health/wait.js';
import type { WatchedRefresh } from '../health/watched-refresh.js';
import { promoteSpec } from '../promote/inputs.js';
import { promoteOptions, type PromoteRunOptions } from '../promote/options.js';
import { promote } from '../promote/promote.js';
import { protectPromoted } from '../promote/protect.js';
import type { PlannedParameter, PromoteResult } from '../promote/types.js';
import { reapSpec } from '../reap/inputs.js';
import { reapOptions } from '../reap/options.js';
import { checkOctopusAccess, type OctopusAccess } from '../reap/preflight.js';
import { runReap, type ReapResult, type ReapRunOptions } from '../reap/reap.js';
import { rollOptionsFrom, type RollOptions } from '../roll/options.js';
import { roll, type RollResult } from '../roll/roll.js';
import { putBackTimes, rollPart, waitPart, type Deployment } from './inputs.js';
import type { Journal, JournalData } from './journal.js';
import { settleSources } from './sources.js';
import type { PutBackReport } from './persist.js';
import { putBack, type PutBackOptions } from './put-back.js';

export interface DeploySteps {
  /** Promote's read-only checks (compare-and-swap, age against the label, AMI in every region). */
  planPromote(ctx: ActionContext): Promise<PromoteResult>;
  /** Roll's read-only checks (groups, templates, running refreshes); `promised`: SSM values promote will set first. */
  planRoll(ctx: ActionContext, promised: ReadonlyMap<string, string>): Promise<RollResult>;
  /**
   * Records the AMI; `planned`: what the plan read (the value, and the version the label was on),
   * which the parameter must still hold (compare-and-swap against the plan).
   */
  promote(ctx: ActionContext, planned?: PlannedParameter): Promise<PromoteResult>;
  /**
   * Once the deployment is proven, recorded and settled: deregistration protection for a protected
   * label's AMI (never before: with its 24-hour cooldown it cannot be put back).
   */
  protect?(ctx: ActionContext, recorded: PromoteResult): Promise<void>;
  roll(ctx: ActionContext, promised: ReadonlyMap<string, string>): Promise<RollResult>;
  /** Proves the fleet; a failure is left as it is (the put-back undoes every group alike). */
  wait(ctx: ActionContext, refreshes: WatchedRefresh[]): Promise<HealthResult>;
  /** Puts back what the journal says the run changed; `quick` when cancelled (the post step finishes). */
  putBack(
    ctx: ActionContext,
    journal: JournalData,
    o: Pick<PutBackOptions, 'quick' | 'onRefreshBack'>,
  ): Promise<PutBackReport>;
  /** Once proven: groups that followed $Latest/$Default follow it again; one phrase each. */
  settleSources(ctx: ActionContext, journal: Journal): Promise<string[]>;
  /** `replacing`: a dry run's forecast counts these instances (the refresh replaces them) as gone. */
  reap(ctx: ActionContext, dryRun: boolean, replacing?: ReadonlySet<string>): Promise<ReapResult>;
  /** With reap on, in the plan: Octopus answers, takes the key, and has the space and environments (reads only). */
  planReap?(ctx: ActionContext): Promise<OctopusAccess>;
}

/** The typed options of every step, for a real run (the plan steps run the same options dry). */
export interface StepOptions {
  parameterName: string;
  promote: PromoteRunOptions;
  roll: RollOptions;
  /** Without the refreshes, which the roll makes. */
  wait: WaitOptions;
  reap: ReapRunOptions;
  /** Once proven, move the template default to the new version so $Default groups follow it again. */
  setDefaultVersion: boolean;
  /** How long the put-back retries a failing call, and waits for refreshes. */
  putBack: { retryMs: number; waitMs: number };
}

/**
 * Each action's toOptions over its inputs as deploy-ami gives them (deploy-ami's own meaning
 * first): roll-asg and wait-healthy as their parts say (inputs.ts), which their checks read too.
 */
export function stepOptions(v: Deployment, step: Pick<StepEnv, 'env'>): StepOptions {
  // deploy-ami's poll-interval is the wait's (roll-asg and wait-healthy share the name); promote's
  // read-back while SSM validates keeps its own default.
  const { pollInterval: _waitPollInterval, ...promoteGiven } = v;
  return {
    parameterName: v.parameterName,
    promote: promoteOptions(inputsWith(promoteSpec, { ...promoteGiven, dryRun: false })),
    roll: {
      ...rollOptionsFrom(partInputs(rollPart, v)),
      // The default moves only once proven, so groups following $Default elsewhere on the template are refused in the plan.
      defaultMoves: v.setDefaultVersion,
    },
    wait: { ...healthOptions(partInputs(waitPart, v), step), leftFor: "deploy-ami's put-back" },
    reap: reapOptions(
      inputsWith(reapSpec, {
        ...v,
        octopusUrl: v.octopusUrl ?? '',
        environments: v.octopusEnvironments.length ? v.octopusEnvironments : [v.environment],
        dryRun: false,
      }),
    ),
    setDefaultVersion: v.setDefaultVersion,
    putBack: putBackTimes(v),
  };
}

export function deploySteps(o: StepOptions): DeploySteps {
  return {
    planPromote: (ctx) => promote(ctx, { ...o.promote, dryRun: true }),
    planRoll: (ctx, promised) => roll(ctx, { ...o.roll, dryRun: true, planOnly: true, promised }),
    promote: (ctx, planned) =>
      promote(ctx, {
        ...o.promote,
        targets: o.promote.targets.map((t) => (planned ? { ...t, planned } : t)),
      }),
    async protect(ctx, recorded) {
      if (o.promote.protect) await protectRecorded(ctx, recorded);
    },
    roll: (ctx, promised) => roll(ctx, { ...o.roll, promised }),
    wait: (ctx, refreshes) => waitHealthyHearing(ctx, { ...o.wait, refreshes }),
    settleSources: (ctx, journal) => settleSources(ctx, journal, { setDefaultVersion: o.setDefaultVersion }),
    putBack: (ctx, journal, p) => putBack(ctx, journal, { ...o.putBack, ...p }),
    reap: (ctx, dryRun, replacing) =>
      runReap(ctx, { ...o.reap, dryRun, ...(replacing ? { replacing } : {}) }),
    planReap: (ctx) => checkOctopusAccess(ctx, o.reap),
  };
}

/**
 * As promote-ami-parameter with its defaults (protect: auto, protected-labels: production): the AMI
 * a protected label now names gets deregistration protection. The record stands if that fails, so
 * it is a warning, not a failed deployment.
 */
async function protectRecorded(ctx: ActionContext, result: PromoteResult): Promise<void> {
  await protectPromoted(ctx, result).catch((err: unknown) =>
    ctx.log.warning(`deregistration protection not turned on: ${describeError(err)}`),
  );
}
