// retire-amis: retire the AMIs this project baked once nothing uses them, in two stages. Everything
// is read (every region) before anything changes; any failed read, or more retirements than the
// caps allow, changes nothing.
import { DescribeImageAttributeCommand } from '@aws-sdk/client-ec2';
import { describeError, PartialFailure, withContext } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import { mapBounded } from '../core/bounded.js';
import { applyDecision, deleteLeftovers, snapshotPlan } from './apply.js';
import { candidates, capRefusal, decide, type Facts } from './decide.js';
import { readImages, readRetiredSnapshots, readSnapshots } from './estate.js';
import { countingEc2Calls } from '../aws/call-count.js';
import {
  ec2References,
  groupReferences,
  launchConfigurationReferences,
  mergeReferences,
  parameterReferences,
  type References,
} from './references.js';
import type {
  Decision,
  Outcome,
  RegionReport,
  RetireOptions,
  RetireResult,
  SnapshotRecord,
} from './types.js';

/** The caps refused the run; `result` is the plan, nothing was changed. */
export class RetireRefused extends PartialFailure<RetireResult> {}

/** A change failed part-way; `result` says exactly what was done before it. */
export class RetireFailed extends PartialFailure<RetireResult> {}

async function sharedImages(ctx: ActionContext, images: Facts['images']): Promise<Set<string>> {
  const shared = new Set(images.filter((i) => i.public).map((i) => i.imageId));
  const ask = images.filter((i) => !i.public);
  // One call per AMI (there is no bulk form); a few in flight keeps a large estate quick.
  const settled = await mapBounded(ask, { limit: 8, stopOnError: true, signal: ctx.signal }, async (i) => {
    const out = await ctx.clients
      .ec2(i.region)
      .send(new DescribeImageAttributeCommand({ ImageId: i.imageId, Attribute: 'launchPermission' }));
    if (out.LaunchPermissions?.length) shared.add(i.imageId);
  });
  const failed = settled.findIndex((s) => !s.ok && 'error' in s);
  if (failed >= 0) {
    const s = settled[failed] as { error: unknown };
    throw withContext(`DescribeImageAttribute ${ask[failed]!.imageId} in ${ask[failed]!.region}`, s.error);
  }
  return shared;
}

/** Reads the estate and decides; changes nothing. */
/** The decisions that deregister an AMI of `region`. */
/** Each region with AMIs to deregister, with those decisions. */
const goingByRegion = <D extends { action: string; image: { region: string } }>(
  ds: readonly D[],
  regions: readonly string[],
): [string, D[]][] =>
  regions
    .map((r): [string, D[]] => [r, ds.filter((d) => d.action === 'deregister' && d.image.region === r)])
    .filter(([, going]) => going.length > 0);

async function plan(ctx: ActionContext, o: RetireOptions) {
  const images = (await Promise.all(o.regions.map((r) => readImages(ctx, r, o.names)))).flat();
  const references = new Map<string, References>();
  const labelled = new Map<string, Set<string>>();
  await Promise.all(
    o.regions.map(async (region) => {
      const ids = images.filter((i) => i.region === region).map((i) => i.imageId);
      if (ids.length === 0) return;
      const [ec2, groups, configs, params] = await Promise.all([
        ec2References(ctx, region, ids, o.launchTemplateVersions),
        groupReferences(ctx, region),
        launchConfigurationReferences(ctx, region),
        parameterReferences(ctx, region, o.parameters, o.keepParameterVersions),
      ]);
      references.set(region, mergeReferences(ec2, groups, configs, params.refs));
      labelled.set(region, params.labelled);
    }),
  );
  const now = ctx.clock.now();
  // Launch permissions cost a call per AMI: ask only about AMIs nothing else keeps.
  const shared = await sharedImages(ctx, candidates({ images, references, labelled, now }, o));
  const decisions = decide({ images, references, labelled, shared, now }, o);
  const snapshots = new Map<Decision, SnapshotRecord[]>();
  await Promise.all(
    goingByRegion(decisions, o.regions).map(async ([region, going]) => {
      const found = await readSnapshots(
        ctx,
        region,
        going.flatMap((d) => d.image.snapshotIds),
      );
      for (const d of going) snapshots.set(d, snapshotPlan(d, found));
    }),
  );
  // Snapshots marked by an earlier run whose AMI (of these names, in any state) is gone: finish them.
  const leftovers = new Map<string, SnapshotRecord[]>();
  await Promise.all(
    o.regions.map(async (region) => {
      const known = new Set(images.filter((i) => i.region === region).map((i) => i.imageId));
      const marked = await readRetiredSnapshots(ctx, region, o.names);
      leftovers.set(
        region,
        marked
          .filter((s) => !known.has(s.imageId))
          .map((s) => ({ snapshotId: s.snapshotId, bytes: s.bytes, deleted: false })),
      );
    }),
  );
  return { decisions, snapshots, leftovers };
}

function report(
  o: RetireOptions,
  outcomes: Outcome[],
  leftovers: Map<string, SnapshotRecord[]>,
  ec2Calls: number,
  refusal?: string,
): RetireResult {
  const regions: RegionReport[] = o.regions.map((region) => ({
    region,
    outcomes: outcomes.filter((x) => x.image.region === region),
    leftovers: leftovers.get(region) ?? [],
  }));
  return { dryRun: o.dryRun, regions, ec2Calls, ...(refusal ? { refusal } : {}) };
}

/**
 * Deregistering cannot be undone: just before it, ask DescribeImageReferences again about those AMIs,
 * and re-enable any that something (a template, a launch configuration, a parameter) started to
 * reference since the read.
 */
async function recheck(ctx: ActionContext, o: RetireOptions, planned: Outcome[]) {
  for (const [region, going] of goingByRegion(planned, o.regions)) {
    const refs = mergeReferences(
      await ec2References(
        ctx,
        region,
        going.map((d) => d.image.imageId),
        o.launchTemplateVersions,
      ),
      await launchConfigurationReferences(ctx, region),
    );
    for (const d of going) {
      const now = refs.get(d.image.imageId);
      if (!now?.length) continue;
      ctx.log.warning(
        `${region} ${d.image.imageId} is referenced again (${now.join('; ')}): re-enabling it instead.`,
      );
      d.action = 'enable';
      d.reasons = [`re-enabled: in use since the plan was made: ${now.join('; ')}`];
      d.snapshots = [];
    }
  }
}

export async function retireAmis(outer: ActionContext, o: RetireOptions): Promise<RetireResult> {
  // Every EC2 call of the run, pages included, for the summary and the bench.
  const { ctx, calls } = countingEc2Calls(outer);
  const { decisions, snapshots, leftovers } = await ctx.log.group(
    `Read AMIs named ${o.names.join(', ')} and what uses them in ${o.regions.join(', ')}`,
    () => plan(ctx, o),
  );
  for (const d of decisions)
    ctx.log.info(
      `${d.image.region} ${d.image.imageId} (${d.image.imageName}): ${d.action}: ${d.reasons.join('; ')}`,
    );
  const refusal = capRefusal(decisions, o);
  const planned = decisions.map((d): Outcome => ({ ...d, done: false, snapshots: snapshots.get(d) ?? [] }));
  if (o.dryRun) return report(o, planned, leftovers, calls(), refusal);
  if (refusal)
    throw new RetireRefused(
      `${refusal}; nothing was changed`,
      report(o, planned, leftovers, calls(), refusal),
    );
  await recheck(ctx, o, planned);
  const done: Outcome[] = [];
  await ctx.log.group('Apply', async () => {
    for (const d of planned) {
      if (d.action === 'keep' || (d.action === 'wait' && !d.unprotect)) {
        done.push(d);
        continue;
      }
      try {
        done.push(await applyDecision(ctx, d, d.snapshots));
      } catch (err) {
        const rest = planned.slice(planned.indexOf(d) + 1).filter((x) => x.action !== 'keep');
        const partial = report(o, [...done, ...planned.slice(done.length)], leftovers, calls());
        throw new RetireFailed(
          `${describeError(err)}; ${done.filter((x) => x.done && x.action !== 'keep').length} AMIs were changed before it, ${rest.length + 1} not attempted or incomplete`,
          partial,
          { cause: err },
        );
      }
    }
    for (const [region, list] of leftovers) {
      try {
        await deleteLeftovers(ctx, region, list);
      } catch (err) {
        throw new RetireFailed(describeError(err), report(o, done, leftovers, calls()), { cause: err });
      }
    }
  });
  return report(o, done, leftovers, calls());
}
