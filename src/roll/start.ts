// Starting the refreshes: new template versions (shared per template), pinning, StartInstanceRefresh, clean-up.
import {
  StartInstanceRefreshCommand,
  type DesiredConfiguration,
  type InstanceRefresh,
  type LaunchTemplateSpecification,
} from '@aws-sdk/client-auto-scaling';
import { hasCode } from '../aws/errors.js';
import { ActionFailure, describeError, withContext } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import {
  describeActive,
  isActive,
  toActive,
  latestRefresh,
  settleActiveRefresh,
  type WaitTiming,
} from './in-progress.js';
import {
  createImageVersion,
  deleteVersion,
  setDefaultVersion,
  templateLabel,
  type TemplateVersion,
} from './launch-template.js';
import { refreshPreferences, type InProgressMode, type RefreshPreferenceOptions } from './options.js';
import { launchSource, pinFloatingVersions, type Unpin } from './pin.js';
import type { GroupPlan } from './plan.js';
import { outcomeOf, type GroupOutcome } from './result.js';

/**
 * Template versions made during one run. Groups sharing a template and source version share one
 * new version; at the end, versions no started refresh uses are deleted again.
 */
export class VersionLedger {
  private readonly made = new Map<
    string,
    { region: string; template: TemplateVersion; version: Promise<number> }
  >();
  private readonly used = new Set<string>();
  /** Versions a start whose answer never came may be using: neither deleted nor made default. */
  private readonly unsure = new Map<string, string>();

  versionFor(ctx: ActionContext, region: string, template: TemplateVersion, amiId: string): Promise<number> {
    const key = `${region}|${template.id}|${template.version}|${amiId}`;
    let entry = this.made.get(key);
    if (!entry) {
      entry = { region, template, version: createImageVersion(ctx, region, template, amiId) };
      this.made.set(key, entry);
    }
    return entry.version;
  }

  /** Marks a version a started refresh uses, so it is kept (and made default when asked). */
  use(region: string, templateId: string, version: number): void {
    this.used.add(`${region}|${templateId}|${version}`);
  }

  /** Marks a version a StartInstanceRefresh may have used: aborted or unanswered after it was sent. */
  maybeUsed(region: string, templateId: string, version: number, group: string): void {
    this.unsure.set(`${region}|${templateId}|${version}`, group);
  }

  /** Created versions, each with whether a started refresh uses (or may use) it. */
  async settled(): Promise<
    { region: string; template: TemplateVersion; version: number; used: boolean; unsureFor?: string }[]
  > {
    const out = [];
    for (const e of this.made.values()) {
      const version = await e.version.catch(() => undefined);
      if (version !== undefined)
        out.push({
          region: e.region,
          template: e.template,
          version,
          used: this.used.has(`${e.region}|${e.template.id}|${version}`),
          unsureFor: this.unsure.get(`${e.region}|${e.template.id}|${version}`),
        });
    }
    return out;
  }
}

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
  const want =
    desired?.LaunchTemplate ?? desired?.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  const got =
    r.DesiredConfiguration?.LaunchTemplate ??
    r.DesiredConfiguration?.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  return want ? got?.LaunchTemplateId === want.LaunchTemplateId && got?.Version === want.Version : !got;
}

/**
 * After a start with no clear answer: does the group's active refresh deploy this version? True
 * as well when that cannot be read (cancelled, or AWS unreachable): then the version is kept.
 */
async function mayBeDeploying(
  ctx: ActionContext,
  region: string,
  group: string,
  templateId: string,
  version: number,
): Promise<boolean> {
  try {
    const r = await latestRefresh(ctx, region, group);
    const to =
      r?.DesiredConfiguration?.LaunchTemplate ??
      r?.DesiredConfiguration?.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
    return Boolean(r && isActive(r) && to?.LaunchTemplateId === templateId && to.Version === String(version));
  } catch {
    return true;
  }
}

/** AWS answered with a 4xx error: the request was refused, so nothing was started by it. */
function refusedOutright(err: unknown): boolean {
  const status = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return status !== undefined && status >= 400 && status < 500;
}

/** AWS's clock and ours may differ a little; a refresh started this long before our call is not ours. */
const CLOCK_SKEW_MS = 60_000;

/** Looks at the group again: after another refresh ended, its template (or instances) may have changed. */
export type Replan = (plan: GroupPlan) => Promise<GroupPlan>;

/** At most this many refreshes of others are waited out (or cancelled) for one group. */
const MAX_ROUNDS = 3;

/**
 * Rolls one planned group: gets a running refresh out of the way (per if-refresh-in-progress) and
 * looks at the group again, makes the numbered template version(s) with the AMI, and starts the
 * refresh. A refresh someone else starts between our look and our start is handled the same way.
 */
export async function startGroup(
  ctx: ActionContext,
  planned: GroupPlan,
  s: StartSettings,
  ledger: VersionLedger,
  replan: Replan,
): Promise<GroupOutcome> {
  const pinned: { undo?: Unpin } = {};
  try {
    return await startPinned(ctx, planned, s, ledger, replan, pinned);
  } catch (err) {
    await pinned.undo?.();
    throw err;
  }
}

/** Gets a refresh of someone else's out of the way (per if-refresh-in-progress) and says how it ended. */
async function settle(
  ctx: ActionContext,
  plan: GroupPlan & { active: NonNullable<GroupPlan['active']> },
  s: StartSettings,
  round: number,
): Promise<NonNullable<GroupOutcome['previousRefresh']>> {
  const who = `${plan.name} (${plan.region})`;
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
  outcome: GroupOutcome,
): Promise<Map<TemplateVersion, number>> {
  const main = plan.templates[0]!;
  const targets = new Map<TemplateVersion, number>();
  for (const t of plan.templates) {
    if (t.ssmParameter !== undefined) continue;
    const version =
      t.imageId === plan.amiId ? t.version : await ledger.versionFor(ctx, plan.region, t, plan.amiId);
    targets.set(t, version);
    if (t === main) outcome.template = { ...outcome.template, version, created: version !== t.version };
  }
  return targets;
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
  const who = `${plan.name} (${plan.region})`;
  const { desired, targets } = start;
  const calledAt = ctx.clock.now();
  try {
    const out = await ctx.clients.autoScaling(plan.region).send(
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: plan.name,
        Strategy: 'Rolling',
        ...(desired ? { DesiredConfiguration: desired } : {}),
        Preferences: refreshPreferences(s.preferences, {
          imageFromSsm: plan.imageSource === 'ssm-parameter',
        }),
      }),
      { abortSignal: ctx.signal },
    );
    if (!out.InstanceRefreshId)
      throw new ActionFailure(`StartInstanceRefresh for ${who} returned no refresh id`);
    return { refreshId: out.InstanceRefreshId };
  } catch (err) {
    // Aborted, timed out or a 5xx after sending: AWS may have accepted the refresh, which then uses these versions.
    if (!refusedOutright(err))
      for (const [t, v] of targets) ledger.maybeUsed(plan.region, t.id, v, plan.name);
    if (!hasCode(err, 'InstanceRefreshInProgress') || start.round >= MAX_ROUNDS)
      throw withContext(`starting the instance refresh of ${who}`, err);
    const running = await latestRefresh(ctx, plan.region, plan.name);
    // The SDK retried a start that had in fact succeeded: the running refresh is ours.
    if (running && isActive(running) && isOurs(running, desired, calledAt - CLOCK_SKEW_MS))
      return running.InstanceRefreshId ? { refreshId: running.InstanceRefreshId } : {};
    return { again: running && isActive(running) ? { ...plan, active: toActive(running) } : plan };
  }
}

async function startPinned(
  ctx: ActionContext,
  planned: GroupPlan,
  s: StartSettings,
  ledger: VersionLedger,
  replan: Replan,
  pinned: { undo?: Unpin },
): Promise<GroupOutcome> {
  const who = `${planned.name} (${planned.region})`;
  let plan = planned;
  let previousRefresh: GroupOutcome['previousRefresh'];

  for (let round = 1; ; round++) {
    if (plan.active) {
      previousRefresh = await settle(ctx, { ...plan, active: plan.active }, s, round);
      plan = await replan(plan);
      continue;
    }
    const outcome = outcomeOf(plan, 'failed');
    if (previousRefresh) outcome.previousRefresh = previousRefresh;
    if (plan.alreadyCurrent) {
      ctx.log.info(`${who}: already current once the earlier refresh ended`);
      return { ...outcome, status: 'already-current' };
    }

    // Pinned before the version exists (see pin.ts): a group on $Latest never launches it unproven.
    // Only a refresh to a numbered version needs it; an SSM-resolved image keeps the template as is.
    if (plan.imageSource !== 'ssm-parameter' && !pinned.undo)
      pinned.undo = await pinFloatingVersions(ctx, plan);
    const targets = await targetVersions(ctx, plan, ledger, outcome);
    const desired = desiredConfiguration(plan, targets);
    const started = await startRefresh(ctx, plan, s, { desired, targets, round }, ledger);
    if ('again' in started) {
      plan = started.again;
      continue;
    }
    for (const [t, v] of targets) ledger.use(plan.region, t.id, v);
    const to =
      outcome.template.version !== undefined
        ? `${templateLabel(plan.templates[0]!)} version ${outcome.template.version}`
        : `${plan.amiId} via SSM`;
    ctx.log.info(`${who}: started instance refresh ${started.refreshId} to ${to}`);
    return {
      ...outcome,
      status: 'refresh-started',
      ...(started.refreshId ? { refreshId: started.refreshId } : {}),
    };
  }
}

/**
 * After the starts: the versions a started refresh uses become default when asked; versions
 * no refresh uses (their start failed) are deleted so nothing is left half-done.
 */
export async function finishVersions(
  ctx: ActionContext,
  ledger: VersionLedger,
  makeDefault: boolean,
): Promise<string[]> {
  const problems: string[] = [];
  for (const v of await ledger.settled()) {
    const label = `launch template ${templateLabel(v.template)} version ${v.version} in ${v.region}`;
    if (
      v.unsureFor &&
      !v.used &&
      (await mayBeDeploying(ctx, v.region, v.unsureFor, v.template.id, v.version))
    ) {
      problems.push(
        `kept ${label}: StartInstanceRefresh for ${v.unsureFor} got no clear answer and a refresh may be deploying it; check the group's refreshes before deleting it`,
      );
      continue;
    }
    try {
      if (!v.used) {
        await deleteVersion(ctx, v.region, v.template.id, v.version);
        ctx.log.info(`Deleted unused ${label}`);
      } else if (makeDefault) {
        await setDefaultVersion(ctx, v.region, v.template.id, v.version);
        ctx.log.info(`Made ${label} the default`);
      }
    } catch (err) {
      problems.push(
        `${v.used ? 'could not make' : 'could not delete unused'} ${label}${v.used ? ' the default' : ''}: ${describeError(err)}`,
      );
    }
  }
  return problems;
}
