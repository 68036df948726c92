// What a failed deployment puts back: the environment's label (and the parameter value this run
// wrote) to where they were, and the launch template versions this run made that nothing uses
// any more, so `$Latest` no longer launches the AMI that failed. Each step aims only at what this
// run wrote, and says in one phrase what it did or why it left something alone.
import { RollbackInstanceRefreshCommand } from '@aws-sdk/client-auto-scaling';
import { UnlabelParameterVersionCommand } from '@aws-sdk/client-ssm';
import { describeError } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import type { HealthResult } from '../health/wait.js';
import { labelVersion, putVersion, readParameter, waitForVersion } from '../promote/parameter.js';
import type { RegionPromotion } from '../promote/types.js';
import { isActive, latestRefresh } from '../roll/in-progress.js';
import { deleteVersion, templateLabel } from '../roll/launch-template.js';
import type { RefreshRecord } from '../aws/refresh-record.js';
import type { RollResult } from '../roll/roll.js';
import { groupTemplateSpecs } from '../aws/group-templates.js';
import { describeGroups } from '../aws/groups.js';

export type PromotedRegion = RegionPromotion;

/** How long SSM may take to accept the restored aws:ec2:image value, and how often to look. */
const VALIDATION = { timeoutMs: 120_000, pollIntervalMs: 500 };

/** Puts back the value and the label this run moved: one line each for what was done or could not be. */
export async function restoreParameter(
  ctx: ActionContext,
  name: string,
  p: PromotedRegion,
): Promise<string[]> {
  const attempt = (what: string, fn: () => Promise<string | undefined>) =>
    fn().catch((err: unknown) => `could not restore ${what} of ${name}: ${describeError(err)}`);
  const ours = p.outcome !== 'unchanged' ? p.version : undefined;
  const value =
    ours !== undefined ? await attempt('the value', () => restoreValue(ctx, name, p, ours)) : undefined;
  const label = p.label?.moved
    ? await attempt(`label ${p.label.name}`, () => restoreLabel(ctx, name, p))
    : undefined;
  return [value, label].filter((line): line is string => line !== undefined);
}

/** Moves the label back to the version it was on, or removes it when it was on none. */
async function restoreLabel(
  ctx: ActionContext,
  name: string,
  p: PromotedRegion,
): Promise<string | undefined> {
  const { region, label } = p;
  if (!label) return undefined;
  if (label.previousVersion !== undefined) {
    await labelVersion(ctx, region, name, label.previousVersion, label.name);
    const back = await readParameter(ctx, region, `${name}:${label.name}`);
    return `label ${label.name} back on version ${label.previousVersion} (${back?.value ?? 'unread'})`;
  }
  if (p.version === undefined) return undefined;
  await ctx.clients
    .ssm(region)
    .send(
      new UnlabelParameterVersionCommand({ Name: name, ParameterVersion: p.version, Labels: [label.name] }),
    );
  return `label ${label.name} removed again (it was on no version before)`;
}

/** Writes the previous value back only when the newest version is still the one this run wrote. */
async function restoreValue(
  ctx: ActionContext,
  name: string,
  p: PromotedRegion,
  ours: number,
): Promise<string> {
  if (!p.previousAmiId)
    return `${name} was created by this run and keeps ${p.amiId} (version ${ours}): there is no earlier value`;
  const now = await readParameter(ctx, p.region, name);
  if (now?.version !== ours)
    return `${name} value left alone: version ${now?.version} (${now?.value}) was written after this run's version ${ours}`;
  const v = await putVersion(
    ctx,
    p.region,
    { name, value: p.previousAmiId, overwrite: true, tags: {} },
    VALIDATION.pollIntervalMs,
  );
  await waitForVersion(ctx, p.region, name, v, p.previousAmiId, VALIDATION);
  return `${name} back to ${p.previousAmiId} (version ${v})`;
}

/**
 * Deletes each template version this run created once no group names it and no active refresh
 * deploys it: then `$Latest` is again what it was before the run. A version still in use is kept,
 * and said so.
 */
export async function retireVersions(ctx: ActionContext, rolled: RollResult): Promise<string[]> {
  const done: string[] = [];
  const made = new Map<
    string,
    { region: string; id: string; name?: string; version: number; groups: string[] }
  >();
  for (const g of rolled.groups) {
    const t = g.template;
    if (!t.created || t.version === undefined) continue;
    const key = `${g.region}|${t.id}|${t.version}`;
    const entry = made.get(key) ?? {
      region: g.region,
      id: t.id,
      name: t.name,
      version: t.version,
      groups: [],
    };
    entry.groups.push(g.group);
    made.set(key, entry);
  }
  for (const m of made.values()) {
    const what = `launch template ${templateLabel(m)} version ${m.version}`;
    try {
      const groups = await describeGroups(
        ctx.clients.autoScaling(m.region),
        { names: m.groups },
        { signal: ctx.signal },
      );
      const naming = groups.filter((g) =>
        groupTemplateSpecs(g).some((s) => s.LaunchTemplateId === m.id && s.Version === String(m.version)),
      );
      const deploying: string[] = [];
      for (const group of m.groups) {
        const r = await latestRefresh(ctx, m.region, group);
        const to =
          r?.DesiredConfiguration?.LaunchTemplate ??
          r?.DesiredConfiguration?.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
        if (r && isActive(r) && to?.LaunchTemplateId === m.id && to.Version === String(m.version))
          deploying.push(group);
      }
      const users = [...naming.map((g) => g.AutoScalingGroupName!), ...deploying];
      if (users.length) {
        done.push(`kept ${what}: ${[...new Set(users)].join(', ')} still use it`);
        continue;
      }
      await deleteVersion(ctx, m.region, m.id, m.version);
      done.push(`deleted ${what} (nothing launches the failed AMI from $Latest)`);
    } catch (err) {
      done.push(`could not delete ${what}: ${describeError(err)}`);
    }
  }
  return done;
}

/**
 * Rolling failed part way: the refreshes already started are rolled back (RollbackInstanceRefresh),
 * then watched with wait-healthy's code until the rollback has ended, within timeout-minutes.
 */
export async function rollBackStarted(
  ctx: ActionContext,
  started: RefreshRecord[],
  watch: (refreshes: RefreshRecord[]) => Promise<HealthResult>,
): Promise<HealthResult> {
  for (const r of started)
    try {
      await ctx.clients
        .autoScaling(r.region)
        .send(new RollbackInstanceRefreshCommand({ AutoScalingGroupName: r.group }), {
          abortSignal: ctx.signal,
        });
      ctx.log.info(`${r.region}/${r.group}: RollbackInstanceRefresh started for refresh ${r.refreshId}`);
    } catch (err) {
      ctx.log.warning(
        `${r.region}/${r.group}: could not roll refresh ${r.refreshId} back: ${describeError(err)}`,
      );
    }
  return watch(started);
}
