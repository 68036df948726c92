// Binds deploy-ami's steps to the capability functions of the four actions with typed options
// built once from deploy-ami's own validated inputs (no string round trip); settings deploy-ami
// does not expose take the standalone action's declared default, parsed by that action's field.
import { describeError } from '../core/errors.js';
import type { Field } from '../core/input-fields.js';
import type { ActionContext } from '../core/run.js';
import { withRefreshEvents } from '../health/events.js';
import { waitHealthy, type HealthResult, type WaitOptions } from '../health/wait.js';
import { createOctopusClient } from '../octopus/client.js';
import { promoteSpec } from '../promote/inputs.js';
import { promote } from '../promote/promote.js';
import { protectPromoted, shouldProtect } from '../promote/protect.js';
import type { PromoteOptions, PromoteResult } from '../promote/types.js';
import { reapSpec } from '../reap/inputs.js';
import type { InstanceState } from '../reap/instances.js';
import { DELETE_CONCURRENCY, octopusConnection, PAGE_SIZE } from '../reap/options.js';
import { reapOrphans, type ReapOptions, type ReapResult } from '../reap/reap.js';
import { rollSpec } from '../roll/inputs.js';
import type { RollOptions } from '../roll/options.js';
import type { RefreshRecord } from '../roll/refresh-record.js';
import { roll, type RollResult } from '../roll/roll.js';
import { groupSelection, type DeployInputs } from './inputs.js';
import { restoreParameter, retireVersions, rollBackStarted, type PromotedRegion } from './restore.js';

/** The standalone action's default for a setting deploy-ami does not expose, typed by its field. */
const defaultOf = <T>(f: Field<T>): T => (f.default !== undefined ? f.parse(f.default) : f.empty);

export interface DeploySteps {
  /** Promote's read-only checks (compare-and-swap, age against the label, AMI in every region). */
  planPromote(ctx: ActionContext): Promise<PromoteResult>;
  /** Roll's read-only checks (groups, templates, running refreshes); `promised`: SSM values promote will set first. */
  planRoll(ctx: ActionContext, promised: ReadonlyMap<string, string>): Promise<RollResult>;
  promote(ctx: ActionContext): Promise<PromoteResult>;
  roll(ctx: ActionContext, promised: ReadonlyMap<string, string>): Promise<RollResult>;
  wait(ctx: ActionContext, refreshes: RefreshRecord[]): Promise<HealthResult>;
  /** Puts E's label (and the value this run wrote) back; returns what it did, one phrase each. */
  restore(ctx: ActionContext, promoted: PromotedRegion): Promise<string[]>;
  /** Rolling failed part way: rolls back the refreshes already started and waits for that. */
  rollBack(ctx: ActionContext, started: RefreshRecord[]): Promise<HealthResult>;
  /** Deletes template versions this run made that nothing uses any more; one phrase per version. */
  retire(ctx: ActionContext, rolled: RollResult): Promise<string[]>;
  reap(ctx: ActionContext, dryRun: boolean): Promise<ReapResult>;
}

export function promoteOptionsOf(v: DeployInputs, dryRun: boolean): PromoteOptions {
  return {
    parameterName: v.parameterName,
    targets: [
      { region: v.region, amiId: v.amiId, ...(v.expectedCurrent ? { expected: v.expectedCurrent } : {}) },
    ],
    label: v.label ?? v.environment,
    allowOlder: v.allowOlder,
    tags: {},
    dryRun,
    validationTimeoutMs: defaultOf(promoteSpec.inputs['validation-timeout']) * 1000,
    pollIntervalMs: defaultOf(promoteSpec.inputs['poll-interval']),
  };
}

export function rollOptionsOf(
  v: DeployInputs,
  dryRun: boolean,
  promised: ReadonlyMap<string, string>,
): RollOptions {
  const groups = groupSelection(v);
  const pollIntervalMs = Math.round(v.pollIntervalSeconds * 1000);
  return {
    regions: [v.region],
    names: groups.asgNames,
    tags: groups.asgTags,
    ami: { id: v.amiId },
    preferences: {
      minHealthyPercentage: v.minHealthyPercentage,
      maxHealthyPercentage: v.maxHealthyPercentage,
      instanceWarmup: v.instanceWarmup,
      checkpointPercentages: v.checkpointPercentages.map(Number),
      checkpointDelay: v.checkpointDelay,
      skipMatching: v.skipMatching,
      autoRollback: v.autoRollback,
      alarms: [],
      bakeTime: v.bakeTime,
    },
    setDefaultVersion: defaultOf(rollSpec.inputs['set-default-version']),
    ifRefreshInProgress: v.ifRefreshInProgress,
    maxConcurrency: defaultOf(rollSpec.inputs['max-concurrency']),
    timeoutMs: v.timeoutMinutes * 60_000,
    pollIntervalMs,
    maxPollIntervalMs: Math.max(pollIntervalMs, Math.round(v.maxPollIntervalSeconds * 1000)),
    dryRun,
    wait: false,
    promised,
    // deploy-ami records the AMI in parameter-name: groups selected by tags must consent to it.
    consent: v.parameterName,
  };
}

export function waitOptionsOf(v: DeployInputs, refreshes: RefreshRecord[]): WaitOptions {
  return {
    refreshes,
    ...(v.healthUrl ? { healthUrl: v.healthUrl } : {}),
    ...(v.expectedVersion ? { expectedVersion: v.expectedVersion } : {}),
    unhealthyGraceSeconds: v.unhealthyGraceSeconds,
    timeoutMinutes: v.timeoutMinutes,
    rollbackOnFailure: v.rollbackOnFailure,
    pollIntervalSeconds: v.pollIntervalSeconds,
    maxPollIntervalSeconds: Math.max(v.pollIntervalSeconds, v.maxPollIntervalSeconds),
  };
}

/** waitHealthy with deploy-ami's options, reading events-queue-url's queue when one is given. */
function waitWithEvents(ctx: ActionContext, v: DeployInputs, options: WaitOptions): Promise<HealthResult> {
  const events = {
    queueUrl: v.eventsQueueUrl,
    timeoutMinutes: v.timeoutMinutes,
    maxPollIntervalSeconds: Math.max(v.pollIntervalSeconds, v.maxPollIntervalSeconds),
  };
  return withRefreshEvents(ctx, events, (pause) => waitHealthy(ctx, { ...options, pause }));
}

export function reapOptionsOf(v: DeployInputs, dryRun: boolean): ReapOptions {
  const f = reapSpec.inputs;
  return {
    space: v.space,
    environments: v.octopusEnvironments.length ? v.octopusEnvironments : [v.environment],
    roles: defaultOf(f.roles),
    matchBy: defaultOf(f['match-by']),
    instanceIdPattern: new RegExp(defaultOf(f['instance-id-pattern'])),
    regions: [v.region],
    reapStates: defaultOf(f['reap-states']) as InstanceState[],
    maxReap: v.maxReap,
    maxReapPercent: v.maxReapPercent,
    dryRun,
    concurrency: DELETE_CONCURRENCY,
    pageSize: PAGE_SIZE,
  };
}

/**
 * As promote-ami-parameter with its defaults (protect: auto, protected-labels: production): the AMI
 * a protected label now names gets deregistration protection. The record stands if that fails, so
 * it is a warning, not a failed deployment.
 */
async function protectRecorded(ctx: ActionContext, v: DeployInputs, result: PromoteResult): Promise<void> {
  const f = promoteSpec.inputs;
  if (!shouldProtect(defaultOf(f.protect), v.label ?? v.environment, defaultOf(f['protected-labels'])))
    return;
  await protectPromoted(ctx, result).catch((err: unknown) =>
    ctx.log.warning(`deregistration protection not turned on: ${describeError(err)}`),
  );
}

export function deploySteps(v: DeployInputs): DeploySteps {
  return {
    planPromote: (ctx) => promote(ctx, promoteOptionsOf(v, true)),
    planRoll: (ctx, promised) => roll(ctx, rollOptionsOf(v, true, promised)),
    async promote(ctx) {
      const result = await promote(ctx, promoteOptionsOf(v, false));
      await protectRecorded(ctx, v, result);
      return result;
    },
    roll: (ctx, promised) => roll(ctx, rollOptionsOf(v, false, promised)),
    wait: (ctx, refreshes) => waitWithEvents(ctx, v, waitOptionsOf(v, refreshes)),
    restore: (ctx, promoted) => restoreParameter(ctx, v.parameterName, promoted),
    retire: (ctx, rolled) => retireVersions(ctx, rolled),
    rollBack: (ctx, started) =>
      rollBackStarted(ctx, started, (r) =>
        waitWithEvents(ctx, v, { ...waitOptionsOf(v, r), rollbackOnFailure: false }),
      ),
    reap(ctx, dryRun) {
      const octopus = createOctopusClient(
        octopusConnection({ ...v, octopusUrl: v.octopusUrl ?? '' }),
        ctx.clock,
      );
      return reapOrphans(
        { ...ctx, clients: { ec2: (region) => ctx.clients.ec2(region), octopus } },
        reapOptionsOf(v, dryRun),
      );
    },
  };
}
