// Starting one group's refresh: a running refresh out of the way, pinning, the new template
// versions (version-ledger.ts), StartInstanceRefresh; round by round, each a small step.
import {
  StartInstanceRefreshCommand,
  type StartInstanceRefreshCommandInput,
  type StartInstanceRefreshCommandOutput,
  type DesiredConfiguration,
  type InstanceRefresh,
  type LaunchTemplateSpecification,
} from '@aws-sdk/client-auto-scaling';
import { hasCode, isThrottle } from '../aws/errors.js';
import { isActive, latestRefresh } from '../aws/refreshes.js';
import { launchTemplateOf } from '../aws/group-templates.js';
import { ActionFailure, withContext } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import { describeActive, toActive, settleActiveRefresh, type WaitTiming } from './in-progress.js';
import { templateLabel, type TemplateVersion } from './launch-template.js';
import { refreshPreferences, type InProgressMode, type RefreshPreferenceOptions } from './options.js';
import { launchSource, pinFloatingVersions, type Unpin } from './pin.js';
import type { GroupPlan } from './plan.js';
import { outcomeOf, type GroupOutcome } from './result.js';
import type { VersionLedger } from './version-ledger.js';
import { groupLabel } from '../aws/group-label.js';

export interface StartSettings {
  preferences: RefreshPreferenceOptions;
  ifRefreshInProgress: InProgressMode;
  timing: WaitTiming;
}

const matches = (spec: LaunchTemplateSpecification, t: TemplateVersion) =>
  (spec.Version ?? '$Default') === t.requested &&
  (spec.LaunchTemplateId === t.id || (!spec.LaunchTemplateId && spec.LaunchTemplateName === t.name));

/** The configuration the refresh moves the group to: every literal-image template pinned to its numbered version. */
function desiredConfiguration(
  plan: GroupPlan,
  targets: Map<TemplateVersion, number>,
): DesiredConfiguration | undefined {
  const pin = (spec: LaunchTemplateSpecification): LaunchTemplateSpecification => {
    const t = plan.templates.find((x) => matches(spec, x));
    const version = t && targets.get(t);
    return t && version !== undefined ? { LaunchTemplateId: t.id, Version: String(version) } : spec;
  };
  return targets.size === 0 ? undefined : launchSource(plan, pin);
}

/** Is this active refresh the one our own (retried) StartInstanceRefresh made? */
function isOurs(
  r: InstanceRefresh,
  desired: DesiredConfiguration | undefined,
  startedAfter: number,
): boolean {
  const started = r.StartTime?.getTime() ?? 0;
  if (started < startedAfter) return false;
  const want = launchTemplateOf(desired);
  const got = launchTemplateOf(r.DesiredConfiguration);
  return want ? got?.LaunchTemplateId === want.LaunchTemplateId && got?.Version === want.Version : !got;
}

/** AWS answered with a 4xx error: the request was refused, so nothing was started by it. */
function refusedOutright(err: unknown): boolean {
  const status = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return status !== undefined && status >= 400 && status < 500;
}

/** A start refused for throttling past the SDK's attempts is sent again this many times, pausing 1, 2, 4, 8 s. */
const THROTTLED_STARTS = 4;
const THROTTLE_PAUSE_MS = 1_000;

/**
 * StartInstanceRefresh, persisting through throttling: a throttled call was refused outright (nothing
 * applied), so sending it again is safe, and an account busy for a few seconds should not fail a roll.
 */
async function sendStart(
  ctx: ActionContext,
  region: string,
  input: StartInstanceRefreshCommandInput,
): Promise<StartInstanceRefreshCommandOutput> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await ctx.clients
        .autoScaling(region)
        .send(new StartInstanceRefreshCommand(input), { abortSignal: ctx.signal });
    } catch (err) {
      if (!isThrottle(err) || !refusedOutright(err) || attempt >= THROTTLED_STARTS) throw err;
      await ctx.clock.sleep(THROTTLE_PAUSE_MS * 2 ** attempt, ctx.signal);
    }
  }
}

/** AWS's clock and ours may differ a little; a refresh started this long before our call is not ours. */
const CLOCK_SKEW_MS = 60_000;

/** Looks at the group again: after another refresh ended, its template (or instances) may have changed. */
export type Replan = (plan: GroupPlan) => Promise<GroupPlan>;

/** At most this many refreshes of others are waited out (or cancelled) for one group. */
const MAX_ROUNDS = 3;

/** One round of a group's start: the plan it works from, and what earlier rounds left. */
interface Round {
  plan: GroupPlan;
  n: number;
  /** Someone else's refresh an earlier round got out of the way. */
  previousRefresh?: GroupOutcome['previousRefresh'];
  /** Puts back the pin an earlier round made, should the start fail. */
  unpin?: Unpin;
}

/** What every round of one group's start uses. */
interface Starter {
  ctx: ActionContext;
  settings: StartSettings;
  ledger: VersionLedger;
  replan: Replan;
}

/**
 * Rolls one planned group: gets a running refresh out of the way (per if-refresh-in-progress) and
 * looks at the group again, makes the numbered template version(s) with the AMI, and starts the
 * refresh. A refresh someone else starts between our look and our start is handled the same way.
 * A failure after the group was pinned puts the pin back.
 */
export async function startGroup(
  ctx: ActionContext,
  planned: GroupPlan,
  settings: StartSettings,
  ledger: VersionLedger,
  replan: Replan,
): Promise<GroupOutcome> {
  const starter: Starter = { ctx, settings, ledger, replan };
  let round: Round = { plan: planned, n: 1 };
  try {
    for (;;) {
      const next = await step(starter, round);
      if ('status' in next) return next;
      round = next;
    }
  } catch (err) {
    await round.unpin?.();
    throw err;
  }
}

/** One round: the outcome, or the round to go on with. */
function step(run: Starter, r: Round): Promise<GroupOutcome | Round> {
  if (r.plan.active) return settleAndLookAgain(run, r, r.plan.active);
  if (r.plan.alreadyCurrent) return Promise.resolve(currentNow(run.ctx, r));
  return pinAndStart(run, r);
}

/** The round after this one, on `plan`: what earlier rounds left comes along. */
const nextRound = (r: Round, plan: GroupPlan, previousRefresh = r.previousRefresh): Round => ({
  plan,
  n: r.n + 1,
  ...(previousRefresh ? { previousRefresh } : {}),
  ...(r.unpin ? { unpin: r.unpin } : {}),
});

async function settleAndLookAgain(
  run: Starter,
  r: Round,
  active: NonNullable<GroupPlan['active']>,
): Promise<Round> {
  const previous = await settle(run.ctx, { ...r.plan, active }, run.settings, r.n);
  return nextRound(r, await run.replan(r.plan), previous);
}

const withPrevious = (r: Round): GroupOutcome => ({
  ...outcomeOf(r.plan, 'failed'),
  ...(r.previousRefresh ? { previousRefresh: r.previousRefresh } : {}),
});

function currentNow(ctx: ActionContext, r: Round): GroupOutcome {
  ctx.log.info(`${groupLabel(r.plan.region, r.plan.name)}: already current once the earlier refresh ended`);
  return { ...withPrevious(r), status: 'already-current' };
}

/**
 * Pinned before the version exists (see pin.ts): a group on $Latest never launches it unproven.
 * Only a refresh to a numbered version needs it; an SSM-resolved image keeps the template as is.
 * A pin this round makes is put back here if the round fails; an earlier one, by startGroup.
 */
async function pinAndStart(run: Starter, r: Round): Promise<GroupOutcome | Round> {
  const unpin =
    r.unpin ??
    (r.plan.imageSource !== 'ssm-parameter' ? await pinFloatingVersions(run.ctx, r.plan) : undefined);
  try {
    const next = await startOnce(run, r);
    return 'status' in next ? next : { ...next, ...(unpin ? { unpin } : {}) };
  } catch (err) {
    if (!r.unpin) await unpin?.();
    throw err;
  }
}

/** The versions, then StartInstanceRefresh: started, or the round to go on with when another refresh got in first. */
async function startOnce(run: Starter, r: Round): Promise<GroupOutcome | Round> {
  const { ctx, ledger } = run;
  const plan = r.plan;
  const targets = await targetVersions(ctx, plan, ledger);
  const outcome = withTargets(withPrevious(r), plan, targets);
  const desired = desiredConfiguration(plan, targets);
  const started = await startRefresh(ctx, plan, run.settings, { desired, targets, round: r.n }, ledger);
  if ('again' in started) return nextRound(r, started.again);
  for (const [t, version] of targets) ledger.use({ region: plan.region, templateId: t.id, version });
  const to =
    outcome.template.version !== undefined
      ? `${templateLabel(plan.templates[0]!)} version ${outcome.template.version}`
      : `${plan.amiId} via SSM`;
  ctx.log.info(
    `${groupLabel(plan.region, plan.name)}: started instance refresh ${started.refreshId} to ${to}`,
  );
  return {
    ...outcome,
    status: 'refresh-started',
    ...(started.refreshId ? { refreshId: started.refreshId } : {}),
  };
}

/** Gets a refresh of someone else's out of the way (per if-refresh-in-progress) and says how it ended. */
async function settle(
  ctx: ActionContext,
  plan: GroupPlan & { active: NonNullable<GroupPlan['active']> },
  s: StartSettings,
  round: number,
): Promise<NonNullable<GroupOutcome['previousRefresh']>> {
  const who = groupLabel(plan.region, plan.name);
  if (s.ifRefreshInProgress === 'fail')
    throw new ActionFailure(
      `${who} has ${describeActive(plan.active)} (started after roll-asg looked); if-refresh-in-progress is fail`,
    );
  if (round > MAX_ROUNDS)
    throw new ActionFailure(
      `${who} kept getting new instance refreshes from elsewhere; gave up after ${MAX_ROUNDS}`,
    );
  const settled = await settleActiveRefresh(
    ctx,
    plan.region,
    plan.name,
    plan.active,
    s.ifRefreshInProgress,
    s.timing,
  );
  return { id: settled.refresh.id, finalStatus: settled.finalStatus, cancelled: settled.cancelled };
}

/** The numbered version each literal-image template moves to (made with the AMI when it has another). */
async function targetVersions(
  ctx: ActionContext,
  plan: GroupPlan,
  ledger: VersionLedger,
): Promise<Map<TemplateVersion, number>> {
  const targets = new Map<TemplateVersion, number>();
  for (const t of plan.templates) {
    if (t.ssmParameter !== undefined) continue;
    const version =
      t.imageId === plan.amiId ? t.version : await ledger.versionFor(ctx, plan.region, t, plan.amiId);
    targets.set(t, version);
  }
  return targets;
}

/** The outcome's template once the versions are known: the main template's version, and whether it is new. */
function withTargets(outcome: GroupOutcome, plan: GroupPlan, targets: Map<TemplateVersion, number>) {
  const main = plan.templates[0]!;
  const version = targets.get(main);
  if (version === undefined) return outcome;
  return { ...outcome, template: { ...outcome.template, version, created: version !== main.version } };
}

/**
 * StartInstanceRefresh. Returns the refresh id, or the plan to go round again with when another
 * refresh got in first; a start the SDK retried after it had in fact succeeded counts as ours.
 */
async function startRefresh(
  ctx: ActionContext,
  plan: GroupPlan,
  s: StartSettings,
  start: { desired?: DesiredConfiguration; targets: Map<TemplateVersion, number>; round: number },
  ledger: VersionLedger,
): Promise<{ refreshId?: string } | { again: GroupPlan }> {
  const who = groupLabel(plan.region, plan.name);
  const { desired, targets } = start;
  const calledAt = ctx.clock.now();
  try {
    const out = await sendStart(ctx, plan.region, {
      AutoScalingGroupName: plan.name,
      Strategy: 'Rolling',
      ...(desired ? { DesiredConfiguration: desired } : {}),
      Preferences: refreshPreferences(s.preferences, {
        imageFromSsm: plan.imageSource === 'ssm-parameter',
      }),
    });
    if (!out.InstanceRefreshId)
      throw new ActionFailure(`StartInstanceRefresh for ${who} returned no refresh id`);
    return { refreshId: out.InstanceRefreshId };
  } catch (err) {
    // Aborted, timed out or a 5xx after sending: AWS may have accepted the refresh, which then uses these versions.
    if (!refusedOutright(err))
      for (const [t, version] of targets)
        ledger.maybeUsed({ region: plan.region, templateId: t.id, version }, plan.name);
    if (!hasCode(err, 'InstanceRefreshInProgress') || start.round >= MAX_ROUNDS)
      throw withContext(`starting the instance refresh of ${who}`, err);
    const running = await latestRefresh(ctx.clients.autoScaling(plan.region), plan.name, {
      signal: ctx.signal,
    });
    // The SDK retried a start that had in fact succeeded: the running refresh is ours.
    if (running && isActive(running) && isOurs(running, desired, calledAt - CLOCK_SKEW_MS))
      return running.InstanceRefreshId ? { refreshId: running.InstanceRefreshId } : {};
    return { again: running && isActive(running) ? { ...plan, active: toActive(running) } : plan };
  }
}
