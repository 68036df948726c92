// The write side for one region: write, read back until SSM validated it, check for racing
// writers, tag, and move the label.
import { AbortedError, ActionFailure } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import { describeError } from '../core/errors.js';
import { planRegion, type RegionPlan } from './plan.js';
import {
  addTags,
  labelVersion,
  ParameterAppeared,
  putVersion,
  readParameter,
  waitForVersion,
} from './parameter.js';
import { checkConcurrentWrites, ConcurrentPromotion, settleLabel } from './race.js';
import type { PromoteOptions, RegionOutcome, RegionPromotion } from './types.js';

/** Cancelled after PutParameter: SSM holds our version pending and will make it current if it accepts it. */
export class CancelledAfterWrite extends AbortedError {
  constructor(
    readonly region: string,
    readonly version: number,
    readonly amiId: string,
  ) {
    super(`cancelled while SSM validated version ${version} (${amiId})`);
  }
}

/** Failed after PutParameter was accepted (the race check or the label): the version stands written. */
export class FailedAfterWrite extends ActionFailure {
  constructor(
    readonly region: string,
    readonly version: number,
    readonly amiId: string,
    cause: unknown,
  ) {
    super(describeError(cause), { cause });
  }
}

/** Re-plans at most this often when the parameter keeps changing under us. */
const MAX_REPLANS = 3;

export async function applyRegion(
  ctx: ActionContext,
  options: PromoteOptions,
  planned: RegionPlan,
): Promise<RegionPromotion> {
  const { region } = planned.target;
  const name = options.parameterName;
  let plan = planned;
  const notes = [...plan.notes];
  for (let attempt = 0; ; attempt++) {
    // Re-read right before writing: narrows the window in which a concurrent write goes unseen.
    const fresh = plan.decision.kind === 'unchanged' ? plan.current : await readParameter(ctx, region, name);
    if (fresh?.version !== plan.current?.version) {
      if (attempt >= MAX_REPLANS)
        throw new ActionFailure(`${name} in ${region} kept changing while this promotion ran`);
      ctx.log.info(
        `${name} in ${region} changed to version ${fresh?.version} (${fresh?.value}) since it was checked; checking again`,
      );
      plan = await planRegion(ctx, options, plan.target, plan.image);
      continue;
    }
    if (plan.decision.kind === 'unchanged') return finishUnchanged(ctx, options, plan, notes);
    let version: number;
    try {
      version = await putVersion(
        ctx,
        region,
        {
          name,
          value: plan.target.amiId,
          overwrite: plan.current !== undefined,
          description: options.description,
          tags: options.tags,
        },
        options.pollIntervalMs,
      );
    } catch (err) {
      if (!(err instanceof ParameterAppeared) || attempt >= MAX_REPLANS) throw err;
      ctx.log.info(`${name} was created concurrently in ${region}; checking again`);
      plan = await planRegion(ctx, options, plan.target, plan.image);
      continue;
    }
    ctx.log.info(`wrote ${plan.target.amiId} to ${name} in ${region} as version ${version}; reading it back`);
    return finishWrite(ctx, options, plan, version, notes);
  }
}

async function finishWrite(
  ctx: ActionContext,
  options: PromoteOptions,
  plan: RegionPlan,
  version: number,
  notes: string[],
): Promise<RegionPromotion> {
  const { region, amiId } = plan.target;
  const name = options.parameterName;
  try {
    await waitForVersion(ctx, region, name, version, amiId, {
      timeoutMs: options.validationTimeoutMs,
      pollIntervalMs: options.pollIntervalMs,
    });
  } catch (err) {
    if (err instanceof AbortedError) throw new CancelledAfterWrite(region, version, amiId);
    throw err;
  }
  try {
    return await recordWritten(ctx, { options, plan, version, notes });
  } catch (err) {
    // A lost race says itself what the region holds (it may have restored a newer AMI).
    if (err instanceof AbortedError || err instanceof ConcurrentPromotion) throw err;
    throw new FailedAfterWrite(region, version, amiId, err);
  }
}

/** After the write is validated: racing writers, tags, the label. */
async function recordWritten(
  ctx: ActionContext,
  w: { options: PromoteOptions; plan: RegionPlan; version: number; notes: string[] },
): Promise<RegionPromotion> {
  const { options, plan, version, notes } = w;
  const { region, amiId } = plan.target;
  const race = await checkConcurrentWrites(ctx, options, {
    target: plan.target,
    image: plan.image,
    baseVersion: plan.current?.version ?? 0,
    baseValue: plan.current?.value,
    version,
  });
  notes.push(...race.notes);
  if (plan.current && Object.keys(options.tags).length) {
    // Tags are metadata: failing to add them must not undo a promotion that already stands.
    await addTags(ctx, region, options.parameterName, options.tags).catch((err: unknown) =>
      notes.push(`could not tag ${options.parameterName} in ${region}: ${describeError(err)}`),
    );
  }
  const outcome: RegionOutcome =
    plan.decision.kind === 'create'
      ? 'created'
      : plan.decision.kind === 'rollback'
        ? 'rolled-back'
        : 'updated';
  const result: RegionPromotion = {
    region,
    amiId,
    outcome,
    previousAmiId: plan.current?.value,
    previousVersion: plan.current?.version,
    version,
    changed: true,
    notes,
  };
  if (options.label) {
    // Label our version even when superseded: settleLabel hands it on to a later version that
    // holds an AMI at least as new, and a racer that restores a value takes its labels along.
    await labelVersion(ctx, region, options.parameterName, version, options.label);
    const settled = await settleLabel(ctx, options, {
      region,
      image: plan.image,
      version,
      label: options.label,
    });
    const labelled = settled.version;
    if (settled.note) notes.push(settled.note);
    result.label = {
      name: options.label,
      previousVersion: plan.labelVersion,
      ...(plan.labelAmiId ? { previousAmiId: plan.labelAmiId } : {}),
      moved: labelled !== plan.labelVersion,
    };
  }
  for (const n of notes) ctx.log.warning(n);
  return result;
}

async function finishUnchanged(
  ctx: ActionContext,
  options: PromoteOptions,
  plan: RegionPlan,
  notes: string[],
): Promise<RegionPromotion> {
  const { region, amiId } = plan.target;
  const current = plan.current!;
  const result: RegionPromotion = {
    region,
    amiId,
    outcome: 'unchanged',
    previousAmiId: current.value,
    previousVersion: current.version,
    version: current.version,
    changed: false,
    notes,
  };
  if (options.label) {
    const moved = plan.labelVersion !== current.version;
    if (moved) {
      await labelVersion(ctx, region, options.parameterName, current.version, options.label);
      result.changed = true;
    }
    result.label = {
      name: options.label,
      previousVersion: plan.labelVersion,
      ...(plan.labelAmiId ? { previousAmiId: plan.labelAmiId } : {}),
      moved,
    };
  }
  ctx.log.info(
    `${options.parameterName} in ${region} already holds ${amiId} (version ${current.version}); no new version` +
      (result.label?.moved ? `, label ${options.label} moved to it` : ''),
  );
  for (const n of notes) ctx.log.warning(n);
  return result;
}
