// promote(): check every region read-only first, then write region by region; failures say what changed.
import {
  AbortedError,
  ActionFailure,
  ConfigurationError,
  describeError,
  PartialFailure,
} from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import { applyRegion, CancelledAfterWrite, FailedAfterWrite } from './apply.js';
import { planRegion, type RegionPlan } from './plan.js';
import { ConcurrentPromotion } from './race.js';
import type { PromoteOptions, PromoteResult, RegionPromotion } from './types.js';

/** A promotion that failed before any region was finished: the message says nothing changed, or what was sent. */
export class PromotionError extends ActionFailure {
  /** The failed region's reason, and what was written there (deploy-ami words its own line from these). */
  detail?: { region: string; reason: string; written?: string };
}

/**
 * A promotion that failed after finishing some regions: `result` holds them, so the message, the
 * outputs and the summary say exactly which regions changed and which did not.
 */
export class PartialPromotion extends PartialFailure<PromoteResult> {}

/**
 * Promotes the AMI(s) into the parameter: checks every region first (AMI available, parameter
 * type, compare-and-swap, age, label room), then writes region by region.
 */
export async function promote(ctx: ActionContext, options: PromoteOptions): Promise<PromoteResult> {
  if (options.targets.length === 0) throw new ConfigurationError(['no region to promote to']);
  const name = options.parameterName;
  const plans: RegionPlan[] = [];
  await ctx.log.group(
    `Check ${options.targets.map((t) => `${t.amiId} (${t.region})`).join(', ')} against ${name}`,
    async () => {
      for (const target of options.targets) {
        try {
          const plan = await planRegion(ctx, options, target);
          ctx.log.info(`${target.region}: ${describePlan(name, plan)}`);
          plans.push(plan);
        } catch (err) {
          throw failure(name, options, [], target.region, err);
        }
      }
    },
  );
  if (options.dryRun) return dryRunResult(options, plans);
  const done: RegionPromotion[] = [];
  for (const plan of plans) {
    await ctx.log.group(`Promote ${plan.target.amiId} to ${name} in ${plan.target.region}`, async () => {
      try {
        done.push(await applyRegion(ctx, options, plan));
      } catch (err) {
        throw failure(name, options, done, plan.target.region, err);
      }
    });
  }
  return {
    parameterName: name,
    dryRun: false,
    regions: done,
    changed: done.some((r) => r.changed),
    ...byRegion(options),
  };
}

const byRegion = (o: PromoteOptions) => (o.byRegion ? { byRegion: true } : {});

function describePlan(name: string, plan: RegionPlan): string {
  const was = plan.current ? `${plan.current.value} (version ${plan.current.version})` : 'nothing';
  switch (plan.decision.kind) {
    case 'create':
      return `will create ${name} holding ${plan.target.amiId}`;
    case 'unchanged':
      return `${name} already holds ${plan.target.amiId} (version ${plan.current?.version})`;
    case 'rollback':
      return `will roll back ${name} from ${was} to the older ${plan.target.amiId} (allow-older)`;
    case 'update':
      return `will update ${name} from ${was} to ${plan.target.amiId}`;
  }
}

function dryRunResult(options: PromoteOptions, plans: RegionPlan[]): PromoteResult {
  const regions = plans.map((p): RegionPromotion => {
    const kind = p.decision.kind;
    return {
      region: p.target.region,
      amiId: p.target.amiId,
      outcome:
        kind === 'create'
          ? 'created'
          : kind === 'rollback'
            ? 'rolled-back'
            : kind === 'update'
              ? 'updated'
              : 'unchanged',
      previousAmiId: p.current?.value,
      previousVersion: p.current?.version,
      version: kind === 'unchanged' ? p.current?.version : undefined,
      label: options.label
        ? {
            name: options.label,
            previousVersion: p.labelVersion,
            ...(p.labelAmiId ? { previousAmiId: p.labelAmiId } : {}),
            moved: kind !== 'unchanged' || p.labelVersion !== p.current?.version,
          }
        : undefined,
      changed: false,
      notes: p.notes,
    };
  });
  return {
    parameterName: options.parameterName,
    dryRun: true,
    regions,
    changed: false,
    ...byRegion(options),
  };
}

const failedAmi = (options: PromoteOptions, region: string) =>
  options.targets.find((t) => t.region === region)?.amiId ?? 'the new AMI';

/** One line naming the failed region and, exactly, which regions changed before it. */
function failure(
  name: string,
  options: PromoteOptions,
  done: RegionPromotion[],
  region: string,
  err: unknown,
): Error {
  if (err instanceof ConfigurationError) return err;
  const reason = describeError(err);
  const changed = done.filter((r) => r.changed);
  const untouched = options.targets
    .map((t) => t.region)
    .filter((r) => r !== region && !done.some((d) => d.region === r));
  const parts = [`promoting ${name} failed in ${region}: ${reason}`];
  if (changed.length)
    parts.push(
      `changed: ${changed.map((r) => `${r.region} (${r.previousAmiId ?? 'new'} -> ${r.amiId}, version ${r.version})`).join(', ')}`,
    );
  // A lost race wrote versions, but the region ends holding the other writer's AMI, not ours.
  if (err instanceof ConcurrentPromotion) parts.push(`${region} does not hold ${failedAmi(options, region)}`);
  else if (err instanceof CancelledAfterWrite)
    parts.push(`${region}: version ${err.version} was sent and becomes current if SSM accepts it`);
  else if (err instanceof FailedAfterWrite)
    parts.push(
      `${region}: version ${err.version} (${err.amiId}) was written${options.label ? `, label ${options.label} not moved` : ''}`,
    );
  else if (!changed.length) parts.push('no region was changed');
  if (untouched.length) parts.push(`not attempted: ${untouched.join(', ')}`);
  const message = parts.join('; ');
  if (err instanceof AbortedError) return new AbortedError(message);
  if (!done.length) {
    const e = new PromotionError(message, { cause: err });
    const written = err instanceof FailedAfterWrite ? `version ${err.version} (${err.amiId})` : undefined;
    e.detail = { region, reason, ...(written ? { written } : {}) };
    return e;
  }
  const partial: PromoteResult = {
    parameterName: name,
    dryRun: options.dryRun,
    regions: done,
    changed: changed.length > 0,
    ...byRegion(options),
  };
  return new PartialPromotion(message, partial, { cause: err });
}
