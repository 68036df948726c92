import {
  StartInstanceRefreshCommand,
  type DesiredConfiguration,
  type InstanceRefresh,
  type LaunchTemplateSpecification,
} from '@aws-sdk/client-auto-scaling';
import { hasCode } from '../aws/errors.js';
import { ActionFailure, describeError, withContext } from '../core/errors.js';
import type { ActionContext } from '../core/run.js';
import {
  describeActive,
  isActive,
  toActive,
  latestRefresh,
  settleActiveRefresh,
  type ActiveRefresh,
  type WaitTiming,
} from './in-progress.js';
import {
  createImageVersion,
  deleteVersion,
  setDefaultVersion,
  templateLabel,
  type TemplateVersion,
} from './launch-template.js';
import type { InProgressMode, RefreshPreferenceOptions } from './options.js';
import type { GroupPlan } from './plan.js';
import { refreshPreferences } from './preferences.js';
import type { GroupOutcome } from './result.js';

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

  /** Created versions, each with whether a started refresh uses it. */
  async settled(): Promise<{ region: string; template: TemplateVersion; version: number; used: boolean }[]> {
    const out = [];
    for (const e of this.made.values()) {
      const version = await e.version.catch(() => undefined);
      if (version !== undefined)
        out.push({
          region: e.region,
          template: e.template,
          version,
          used: this.used.has(`${e.region}|${e.template.id}|${version}`),
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
  if (targets.size === 0) return undefined;
  if (plan.kind === 'launch-template') return { LaunchTemplate: pin(plan.group.LaunchTemplate!) };
  const policy = plan.group.MixedInstancesPolicy!;
  const lt = policy.LaunchTemplate!;
  return {
    MixedInstancesPolicy: {
      ...policy,
      LaunchTemplate: {
        ...lt,
        LaunchTemplateSpecification: pin(lt.LaunchTemplateSpecification!),
        ...(lt.Overrides
          ? {
              Overrides: lt.Overrides.map((o) =>
                o.LaunchTemplateSpecification
                  ? { ...o, LaunchTemplateSpecification: pin(o.LaunchTemplateSpecification) }
                  : o,
              ),
            }
          : {}),
      },
    },
  };
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

/** AWS's clock and ours may differ a little; a refresh started this long before our call is not ours. */
const CLOCK_SKEW_MS = 60_000;

/**
 * Rolls one planned group: gets a running refresh out of the way (per if-refresh-in-progress),
 * makes the numbered template version(s) with the AMI, and starts the refresh.
 */
export async function startGroup(
  ctx: ActionContext,
  plan: GroupPlan,
  s: StartSettings,
  ledger: VersionLedger,
): Promise<GroupOutcome> {
  const who = `${plan.name} (${plan.region})`;
  const main = plan.templates[0]!;
  const outcome: GroupOutcome = {
    region: plan.region,
    group: plan.name,
    status: 'failed',
    imageSource: plan.imageSource,
    amiId: plan.amiId,
    ...(plan.previousAmiId ? { previousAmiId: plan.previousAmiId } : {}),
    template: {
      id: main.id,
      ...(main.name ? { name: main.name } : {}),
      requested: main.requested,
      previousVersion: main.version,
      created: false,
    },
    instances: plan.instances,
  };

  const settle = async (active: ActiveRefresh) => {
    if (s.ifRefreshInProgress === 'fail')
      throw new ActionFailure(
        `${who} has ${describeActive(active)} (started after roll-asg looked); if-refresh-in-progress is fail`,
      );
    const settled = await settleActiveRefresh(
      ctx,
      plan.region,
      plan.name,
      active,
      s.ifRefreshInProgress,
      s.timing,
    );
    outcome.previousRefresh = {
      id: settled.refresh.id,
      finalStatus: settled.finalStatus,
      cancelled: settled.cancelled,
    };
  };
  if (plan.active) await settle(plan.active);

  const targets = new Map<TemplateVersion, number>();
  for (const t of plan.templates) {
    if (t.ssmParameter !== undefined) continue;
    const version =
      t.imageId === plan.amiId ? t.version : await ledger.versionFor(ctx, plan.region, t, plan.amiId);
    targets.set(t, version);
    if (t === main) outcome.template = { ...outcome.template, version, created: version !== t.version };
  }
  const desired = desiredConfiguration(plan, targets);
  const input = {
    AutoScalingGroupName: plan.name,
    Strategy: 'Rolling' as const,
    ...(desired ? { DesiredConfiguration: desired } : {}),
    Preferences: refreshPreferences(s.preferences, { imageFromSsm: plan.imageSource === 'ssm-parameter' }),
  };

  // A refresh someone else starts between our look and our start is settled the same way, a few times at most.
  for (let attempt = 1; ; attempt++) {
    const calledAt = ctx.clock.now();
    try {
      const out = await ctx.clients
        .autoScaling(plan.region)
        .send(new StartInstanceRefreshCommand(input), { abortSignal: ctx.signal });
      if (!out.InstanceRefreshId)
        throw new ActionFailure(`StartInstanceRefresh for ${who} returned no refresh id`);
      outcome.refreshId = out.InstanceRefreshId;
      break;
    } catch (err) {
      if (!hasCode(err, 'InstanceRefreshInProgress'))
        throw withContext(`starting the instance refresh of ${who}`, err);
      const running = await latestRefresh(ctx, plan.region, plan.name);
      if (!running || !isActive(running)) continue;
      // The SDK retried a start that had in fact succeeded: the running refresh is ours.
      if (isOurs(running, desired, calledAt - CLOCK_SKEW_MS)) {
        outcome.refreshId = running.InstanceRefreshId;
        break;
      }
      if (attempt >= 3) throw withContext(`starting the instance refresh of ${who}`, err);
      await settle(toActive(running));
    }
  }
  for (const [t, v] of targets) ledger.use(plan.region, t.id, v);
  outcome.status = 'refresh-started';
  const to =
    outcome.template.version !== undefined
      ? `${templateLabel(main)} version ${outcome.template.version}`
      : `${plan.amiId} via SSM`;
  ctx.log.info(`${who}: started instance refresh ${outcome.refreshId} to ${to}`);
  return outcome;
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
