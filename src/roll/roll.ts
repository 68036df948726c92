// roll(): select groups, resolve the AMI, plan every group without changing anything, then make
// template versions and start refreshes, bounded by max-concurrency in each region.
import { AbortedError, ActionFailure, ConfigurationError, describeError } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import { waitHealthy } from '../health/wait.js';
import { resolveAmi } from './ami.js';
import { architectureProblems } from './architecture.js';
import { followerProblems } from './followers.js';
import { isSkipped, mapBounded } from '../core/bounded.js';
import { describeActive } from './in-progress.js';
import { templateLabel } from './launch-template.js';
import type { RollOptions } from './options.js';
import { memberIds, planGroup, type GroupPlan, type PlanProblem, type PlanSettings } from './plan.js';
import { instanceImages } from './instances.js';
import {
  outcomeOf,
  refreshRecord,
  RollFailure,
  startFailureMessage,
  type GroupOutcome,
  type RollResult,
} from './result.js';
import { selectGroups, type SelectedGroup } from './select-groups.js';
import { startGroup } from './start.js';
import { finishVersions, VersionLedger } from './version-ledger.js';
import { groupLabel } from '../aws/group-label.js';

export type { RollResult, GroupOutcome } from './result.js';
export { RollFailure } from './result.js';

const who = (p: { name: string; region: string }) => groupLabel(p.region, p.name);

function describePlan(p: GroupPlan): string {
  const main = p.templates[0]!;
  const warm = p.warmPool ? `, ${p.warmPool.onAmi}/${p.warmPool.total} in the warm pool` : '';
  const on = `${p.instances.onAmi}/${p.instances.total} instances${warm} on ${p.amiId}`;
  const from = `${templateLabel(main)} version ${main.version}${main.requested !== String(main.version) ? ` (${main.requested})` : ''}`;
  if (p.alreadyCurrent) return `${who(p)}: already current (${from}, ${on})`;
  const change =
    p.imageSource === 'ssm-parameter'
      ? `refresh ${from} as is: its image comes from SSM (resolve:ssm:${main.ssmParameter ?? p.templates.find((t) => t.ssmParameter)?.ssmParameter})`
      : main.imageId === p.amiId
        ? `refresh to ${from}, which already has the AMI`
        : `new version of ${templateLabel(main)} from version ${main.version} with ${p.amiId} (was ${main.imageId})`;
  const running = p.active ? `; first settle ${describeActive(p.active)}` : '';
  const pin =
    p.imageSource !== 'ssm-parameter' && main.requested !== String(main.version)
      ? `; the group is pinned from ${main.requested} to version ${main.version} first, so AWS can roll it back`
      : '';
  return `${who(p)}: ${change}; ${on}${running}${pin}`;
}

/** The same group planned again (after a refresh of someone else's ended), or why it cannot be rolled now. */
async function replan(ctx: ActionContext, stale: GroupPlan, settings: PlanSettings): Promise<GroupPlan> {
  const [sel] = await selectGroups(ctx, {
    regions: [stale.region],
    names: [stale.name],
    tags: {},
    maxConcurrency: 1,
  });
  const { plan, problems } = await planGroup(ctx, sel!, stale.amiId, settings);
  if (!plan) throw new ActionFailure(problems.map((p) => p.message).join('; '));
  return plan;
}

function throwProblems(problems: PlanProblem[]): never {
  const lines = problems.map((p) => p.message);
  // Only the user's settings at fault: report as invalid inputs, like every other input mistake.
  if (problems.every((p) => p.input)) throw new ConfigurationError(lines);
  throw new ActionFailure(
    lines.length === 1
      ? `Nothing was changed: ${lines[0]}`
      : `Nothing was changed; ${lines.length} problems:\n${lines.map((l) => `  - ${l}`).join('\n')}`,
  );
}

/** Selects the groups by name, tags and consent, across the regions. */
function selectAll(ctx: ActionContext, o: RollOptions) {
  return ctx.log.group('Selecting Auto Scaling groups', async () => {
    const s = await selectGroups(ctx, {
      regions: o.regions,
      names: o.names,
      tags: o.tags,
      ...(o.consent ? { consent: o.consent } : {}),
      maxConcurrency: o.maxConcurrency,
    });
    ctx.log.info(`${s.length} group(s): ${s.map(who).join(', ')}`);
    return s;
  });
}

/** The AMI in each region a selected group is in. */
async function resolveAmis(
  ctx: ActionContext,
  o: RollOptions,
  selected: SelectedGroup[],
): Promise<Record<string, string>> {
  const regions = [...new Set(selected.map((g) => g.region))];
  const amiIds: Record<string, string> = {};
  await ctx.log.group('Resolving the AMI', async () => {
    const resolved = await mapBounded(regions, { limit: o.maxConcurrency }, (r) => resolveAmi(ctx, r, o.ami));
    resolved.forEach((r, i) => {
      if (!r.ok) throw 'error' in r ? r.error : new AbortedError();
      amiIds[regions[i]!] = r.value;
      ctx.log.info(`${regions[i]}: ${r.value}`);
    });
  });
  return amiIds;
}

/** max-concurrency groups at once in each region: regions have API rate limits of their own. */
const inEachRegion = (o: RollOptions, groups: readonly { region: string }[]) => ({
  limit: o.maxConcurrency,
  lane: (i: number) => groups[i]!.region,
});

/**
 * The image of every selected group's instances, by region: described together (200 a call, the
 * regions in parallel) rather than one call per group.
 */
async function regionImages(
  ctx: ActionContext,
  o: RollOptions,
  selected: SelectedGroup[],
): Promise<Map<string, ReadonlyMap<string, string>>> {
  const regions = [...new Set(selected.map((g) => g.region))];
  const ids = (r: string) => selected.filter((g) => g.region === r).flatMap(memberIds);
  const read = await mapBounded(regions, { limit: o.maxConcurrency, signal: ctx.signal }, (r) =>
    instanceImages(ctx, r, ids(r)),
  );
  const out = new Map<string, ReadonlyMap<string, string>>();
  read.forEach((r, i) => {
    if (!r.ok) throw 'error' in r ? r.error : new AbortedError('cancelled while planning');
    out.set(regions[i]!, r.value);
  });
  return out;
}

/** Plans every group without changing anything; any problem stops the run here. */
function planAll(
  ctx: ActionContext,
  o: RollOptions,
  selected: SelectedGroup[],
  amiIds: Record<string, string>,
  settings: PlanSettings,
): Promise<GroupPlan[]> {
  const { log } = ctx;
  return log.group(`Planning ${selected.length} group(s)`, async () => {
    const known = await regionImages(ctx, o, selected);
    const planned = await mapBounded(selected, { ...inEachRegion(o, selected), signal: ctx.signal }, (g) =>
      planGroup(ctx, g, amiIds[g.region]!, settings, known.get(g.region)),
    );
    const problems: PlanProblem[] = [];
    const out: GroupPlan[] = [];
    for (const p of planned) {
      if (!p.ok) throw 'error' in p ? p.error : new AbortedError('cancelled while planning');
      problems.push(...p.value.problems);
      if (p.value.plan) out.push(p.value.plan);
    }
    if (!problems.length) problems.push(...(await architectureProblems(ctx, out, amiIds)));
    if (!problems.length)
      problems.push(
        ...(await followerProblems(ctx, out, {
          defaultMoves: o.setDefaultVersion || Boolean(o.defaultMoves),
        })),
      );
    if (problems.length) throwProblems(problems);
    for (const p of out) {
      log.info(describePlan(p));
      if (!p.alreadyCurrent) for (const w of p.warnings) log.warning(w);
      if (p.imageSource === 'ssm-parameter' && !p.alreadyCurrent)
        log.warning(
          `${who(p)}: the launch template takes its image from SSM, so AWS cannot roll this refresh back, and skip matching is off for it ` +
            `(AWS matches template versions, which do not change): every instance is replaced. Previous AMI: ${p.previousAmiId ?? 'unknown'}.`,
        );
    }
    return out;
  });
}

/**
 * Makes the template versions and starts the refreshes, then settles the versions (default, or
 * deleted when unused). Throws RollFailure, with the result, when any group failed or was not started.
 */
async function startAll(
  ctx: ActionContext,
  o: RollOptions,
  plans: GroupPlan[],
  settings: PlanSettings,
  planned: Pick<RollResult, 'amiIds' | 'asgNames'> & { deadline: number },
): Promise<RollResult> {
  const ledger = new VersionLedger();
  const toRoll = plans.filter((p) => !p.alreadyCurrent);
  const timing = {
    deadline: planned.deadline,
    pollIntervalMs: o.pollIntervalMs,
    maxPollIntervalMs: o.maxPollIntervalMs,
  };
  const started = await ctx.log.group(`Starting ${toRoll.length} instance refresh(es)`, () =>
    mapBounded(toRoll, { ...inEachRegion(o, toRoll), stopOnError: true, signal: ctx.signal }, (p) =>
      startGroup(
        ctx,
        p,
        { preferences: o.preferences, ifRefreshInProgress: o.ifRefreshInProgress, timing },
        ledger,
        (stale) => replan(ctx, stale, settings),
      ),
    ),
  );
  const versionProblems = await finishVersions(ctx, ledger, o.setDefaultVersion);
  for (const line of versionProblems) ctx.log.warning(line);

  const byPlan = new Map(toRoll.map((p, i) => [p, started[i]!]));
  const groups = plans.map((p): GroupOutcome => {
    if (p.alreadyCurrent) return outcomeOf(p, 'already-current');
    const s = byPlan.get(p)!;
    if (s.ok) return s.value;
    return isSkipped(s) ? outcomeOf(p, 'not-started') : outcomeOf(p, 'failed', describeError(s.error));
  });
  const result: RollResult = {
    dryRun: false,
    amiIds: planned.amiIds,
    asgNames: planned.asgNames,
    groups,
    refreshes: groups.flatMap((g) => refreshRecord(g) ?? []),
  };
  if (groups.some((g) => g.status === 'failed' || g.status === 'not-started')) {
    if (ctx.signal.aborted && !groups.some((g) => g.status === 'failed'))
      throw new RollFailure(result, startFailureMessage(result, 'cancelled'));
    throw new RollFailure(result);
  }
  return result;
}

/** With `wait`: wait-healthy's code watches the started refreshes within what is left of the timeout. */
async function proveHealthy(
  ctx: ActionContext,
  o: RollOptions,
  result: RollResult,
  deadline: number,
): Promise<void> {
  // No group of our own: waitHealthy opens its own, and the runner cannot nest groups.
  result.health = await waitHealthy(ctx, {
    refreshes: result.refreshes,
    timeoutMs: Math.max(1_000, deadline - ctx.clock.now()),
    pollIntervalMs: o.pollIntervalMs,
    maxPollIntervalMs: o.maxPollIntervalMs,
  });
  if (result.health.status !== 'healthy')
    throw new RollFailure(
      result,
      `Refreshes started but the fleet is ${result.health.status}: ${result.health.failures.join('; ')}`,
    );
}

export interface RollHooks {
  /** Called once every group is planned, before the first change (roll-asg's journal begins here). */
  onPlanned?: (groups: GroupOutcome[], amiIds: Record<string, string>) => void;
}

/**
 * Rolls the selected groups onto the AMI. Every check (groups, AMI, templates, SSM, running
 * refreshes, preference combinations) happens before the first change. Throws RollFailure, with
 * the partial result, when starting fails part way or the health wait fails.
 */
export async function roll(ctx: ActionContext, o: RollOptions, hooks: RollHooks = {}): Promise<RollResult> {
  const deadline = ctx.clock.now() + o.timeoutMs;
  const selected = await selectAll(ctx, o);
  const amiIds = await resolveAmis(ctx, o, selected);
  const settings: PlanSettings = {
    skipMatching: o.preferences.skipMatching,
    autoRollback: o.preferences.autoRollback,
    ifRefreshInProgress: o.ifRefreshInProgress,
    scaleInProtectedInstances: o.preferences.scaleInProtectedInstances,
    standbyInstances: o.preferences.standbyInstances,
    ...(o.promised ? { promised: o.promised } : {}),
  };
  const plans = await planAll(ctx, o, selected, amiIds, settings);
  const asgNames = [...new Set(plans.map((p) => p.name))];
  if (o.dryRun) {
    ctx.log.info(o.planOnly ? 'Planned: nothing changed yet.' : 'Dry run: nothing was changed.');
    return {
      dryRun: true,
      amiIds,
      asgNames,
      groups: plans.map((p) => outcomeOf(p, p.alreadyCurrent ? 'already-current' : 'would-refresh')),
      refreshes: [],
    };
  }
  hooks.onPlanned?.(
    plans.filter((p) => !p.alreadyCurrent).map((p) => outcomeOf(p, 'would-refresh')),
    amiIds,
  );
  const result = await startAll(ctx, o, plans, settings, { amiIds, asgNames, deadline });
  if (o.wait && result.refreshes.length) await proveHealthy(ctx, o, result, deadline);
  return result;
}
