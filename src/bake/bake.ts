// bake(): one bake-ami step from inputs to AMIs — checks, janitor, source, reuse or an engine, copies, cleanup.
import type { Image } from '@aws-sdk/client-ec2';
import { fromTagList } from '../aws/tags.js';
import { deadlineAfter, type Deadline } from '../core/poll.js';
import type { ActionContext } from '../core/run.js';
import { removeBakeResources } from './cleanup.js';
import { distribute } from './distribute.js';
import { fingerprint } from './fingerprint.js';
import { markCompleted, reapExpiredBuilders, retireUnfinishedImages } from './janitor.js';
import { bakeNative } from './native.js';
import { checkNetwork } from './network.js';
import { bakeWithPacker } from './packer.js';
import { locatePacker } from './packer-build.js';
import { Phases } from './phases.js';
import { planLines } from './plan.js';
import { loadProvisioning, type Provisioning } from './provisioning.js';
import { applyChangedTags } from './retag.js';
import { findReusable } from './reuse.js';
import { scheduleFor, type Schedule } from './schedule.js';
import { resolveSource, type SourceImage } from './source.js';
import { STATE, type CreatedImage } from './state.js';
import { imageTags, TAG } from './tags.js';
import type { BakeOptions, BakeResult, ImageSpec } from './types.js';

export type { BakeOptions, BakeResult } from './types.js';

/** Builders outlive their bake's timeout by this much before another bake's janitor takes them. */
const EXPIRY_GRACE_MS = 30 * 60_000;

export const utcStamp = (ms: number): string => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);

/** One bake in progress: its clock, phases and the result it fills in. */
interface Run {
  started: number;
  deadline: Deadline;
  phases: Phases;
  result: BakeResult;
  /** Builders, and images never marked completed, are the janitor's after this (clock ms). */
  expiresAt: number;
}

/** What the lookups found: the source, what the image will hold, and an identical earlier AMI. */
interface Found {
  source: SourceImage;
  provisioning: Provisioning;
  packerPath?: string;
  reusable?: Image;
  schedule: Schedule;
}

/**
 * Bakes (or reuses) an AMI: janitor, source, fingerprint and reuse, then launch → provision →
 * image (or Packer), copy and share, builder terminated. Anything a failed or cancelled bake
 * created is removed before the error is rethrown; the post step is the backstop.
 */
export async function bake(ctx: ActionContext, o: BakeOptions): Promise<BakeResult> {
  // Local checks first: unreadable files and a missing packer are input errors, before any AWS call.
  const provisioning = await loadProvisioning(o);
  const packerPath = o.engine === 'packer' ? await locatePacker(o.processRunner) : undefined;
  if (provisioning.kind === 'scripts' && !o.iamInstanceProfile)
    ctx.log.warning(
      'provision-scripts: no iam-instance-profile given; Run Command reaches the builder only through an instance profile that allows SSM (for example AmazonSSMManagedInstanceCore), or the bake waits for the agent until timeout-minutes',
    );
  // From here the post step has something to look after.
  o.record(STATE.bakeId, o.bakeId);
  o.record(STATE.region, o.region);
  const run = startRun(ctx, o);
  if (o.janitor) await janitor(ctx, run, o);
  const found = await lookUp(ctx, run, o, provisioning, packerPath);
  if (o.dryRun) return dryRun(ctx, run, o, found);
  return produce(ctx, run, o, found);
}

function startRun(ctx: ActionContext, o: BakeOptions): Run {
  const started = ctx.clock.now();
  const deadline = deadlineAfter(ctx.clock, o.timeoutMinutes * 60_000);
  const phases = new Phases(ctx.clock, ctx.log, deadline, o.timeoutMinutes, ctx.signal);
  const result: BakeResult = {
    region: o.region,
    amiName: `${o.name}-${utcStamp(started)}`,
    amis: {},
    sourceAmiId: '',
    sourceVia: '',
    platform: o.platform ?? 'linux',
    fingerprint: '',
    reused: false,
    dryRun: o.dryRun,
    plan: [],
    timings: phases.timings,
    janitor: [],
    janitorImages: [],
    sharedWith: [],
    engine: o.engine,
    totalMs: 0,
  };
  return {
    started,
    deadline,
    phases,
    result,
    expiresAt: started + o.timeoutMinutes * 60_000 + EXPIRY_GRACE_MS,
  };
}

const finish = (ctx: ActionContext, run: Run): BakeResult => ({
  ...run.result,
  totalMs: ctx.clock.now() - run.started,
});

async function janitor(ctx: ActionContext, run: Run, o: BakeOptions): Promise<void> {
  await run.phases.run(
    'janitor',
    'Janitor: expired builders and unfinished images of earlier bakes',
    async () => {
      run.result.janitor = await reapExpiredBuilders(ctx, { now: run.started, dryRun: o.dryRun });
      run.result.janitorImages = await retireUnfinishedImages(ctx, {
        now: run.started,
        dryRun: o.dryRun,
        regions: [o.region, ...o.copyToRegions],
      });
    },
  );
}

/** Source, fingerprint and (with reuse-if-unchanged) an AMI that already holds the same. */
async function lookUp(
  ctx: ActionContext,
  run: Run,
  o: BakeOptions,
  provisioning: Provisioning,
  packerPath: string | undefined,
): Promise<Found> {
  const { phases, result } = run;
  const source = await phases.run('source', 'Resolve the source image', async () => {
    const s = await resolveSource(ctx, o);
    ctx.log.info(
      `Source image: ${s.imageId}${s.name ? ` (${s.name})` : ''} from ${s.via}, platform ${s.platform}.`,
    );
    return s;
  });
  result.sourceAmiId = source.imageId;
  result.sourceVia = source.via;
  result.platform = o.platform ?? source.platform;
  result.fingerprint = fingerprint({
    ...o,
    sourceAmiId: source.imageId,
    platform: result.platform,
    provisioning,
  });
  ctx.log.info(`Fingerprint: ${result.fingerprint}`);
  const reusable = o.reuseIfUnchanged
    ? await phases.run('reuse', 'Look for an AMI with the same fingerprint', async () => {
        const found = await findReusable(ctx, {
          region: o.region,
          bakeName: o.name,
          fingerprint: result.fingerprint,
        });
        ctx.log.info(
          found ? `Found ${found.ImageId} (${found.Name ?? ''}): nothing changed.` : 'None found: baking.',
        );
        return found;
      })
    : undefined;
  const schedule = scheduleFor(o.pollIntervalSeconds, {
    platform: result.platform,
    instanceType: o.instanceType,
  });
  return { source, provisioning, packerPath, reusable, schedule };
}

/** The reused AMI becomes the result. */
function adopt(result: BakeResult, image: Image & { ImageId: string }): void {
  result.reused = true;
  result.amiId = image.ImageId;
  result.amiName = image.Name ?? result.amiName;
}

async function dryRun(ctx: ActionContext, run: Run, o: BakeOptions, f: Found): Promise<BakeResult> {
  const { result } = run;
  const reusable = f.reusable?.ImageId ? { ...f.reusable, ImageId: f.reusable.ImageId } : undefined;
  if (reusable) {
    // What a real run would output: the reused AMI and the copies that already exist.
    result.amis[o.region] = reusable.ImageId;
    for (const region of o.copyToRegions) {
      const copy = await findReusable(ctx, { region, bakeName: o.name, fingerprint: result.fingerprint });
      if (copy?.ImageId) result.amis[region] = copy.ImageId;
    }
  }
  if (!reusable && o.engine === 'native')
    await run.phases.run('network', 'Check subnet and security groups', () => checkNetwork(ctx, o));
  result.plan = planLines(o, { ...f, platform: result.platform, result });
  if (reusable) adopt(result, reusable);
  await ctx.log.group('Plan (dry run: nothing created)', async () => {
    for (const line of result.plan) ctx.log.info(line);
  });
  return finish(ctx, run);
}

/** A real bake: reuse or an engine, then copies and shares; removes what it made when it fails. */
async function produce(ctx: ActionContext, run: Run, o: BakeOptions, f: Found): Promise<BakeResult> {
  const { phases, result } = run;
  // From here on every resource is saved to state the moment it exists.
  const created: CreatedImage[] = [];
  const onImage = (image: CreatedImage) => {
    created.push(image);
    o.record(STATE.images, JSON.stringify(created));
  };
  try {
    const spec = f.reusable?.ImageId ? reusedSpec(run, o, f.reusable) : newSpec(run, o, f.source);
    if (f.reusable?.ImageId) {
      adopt(result, { ...f.reusable, ImageId: f.reusable.ImageId });
      result.amis[o.region] = f.reusable.ImageId;
    } else {
      Object.assign(result.amis, await bakeWithEngine(ctx, run, o, f, spec, onImage));
      result.amiId = result.amis[o.region];
    }
    const distribution = { amis: result.amis, reused: result.reused, fingerprint: result.fingerprint };
    result.sharedWith = await distribute(ctx, phases, o, {
      ...distribution,
      spec,
      schedule: f.schedule,
      onImage,
    });
    if (result.reused)
      await phases.run('tag', 'Apply changed tags to the reused AMI and its copies', () =>
        applyChangedTags(ctx, result.amis, o.tags),
      );
    if (result.builderInstanceId) await terminateBuilder(ctx, run, o, result.builderInstanceId);
    await phases.run('complete', 'Mark the images completed (the janitor spares them)', () =>
      markCompleted(ctx, result.amis),
    );
    o.record(STATE.done, 'true');
    return finish(ctx, run);
  } catch (err) {
    await cleanUpFailed(ctx, run, o, created);
    throw err;
  }
}

/** Runs the chosen engine; returns region → AMI id of what it built. */
async function bakeWithEngine(
  ctx: ActionContext,
  run: Run,
  o: BakeOptions,
  f: Found,
  spec: ImageSpec,
  onImage: (image: CreatedImage) => void,
): Promise<Record<string, string>> {
  const common = {
    provisioning: f.provisioning,
    spec,
    deadline: run.deadline.at,
    schedule: f.schedule,
    onImage,
  };
  if (f.packerPath)
    return bakeWithPacker(ctx, run.phases, o, {
      ...common,
      packerPath: f.packerPath,
      sourceAmiId: f.source.imageId,
    });
  const amiId = await bakeNative(ctx, run.phases, o, {
    ...common,
    source: f.source,
    platform: run.result.platform,
    expiresAt: run.expiresAt,
    onBuilder: (id) => {
      o.record(STATE.builderId, id);
      run.result.builderInstanceId = id;
    },
  });
  return { [o.region]: amiId };
}

/** A new image: provenance tags and a name from the bake start. */
function newSpec(run: Run, o: BakeOptions, source: SourceImage): ImageSpec {
  const tags = imageTags(o.tags, {
    bakeName: o.name,
    bakeId: o.bakeId,
    expiresAt: run.expiresAt,
    fingerprint: run.result.fingerprint,
    sourceAmiId: source.imageId,
    commit: o.commit,
    runUrl: o.runUrl,
  });
  const at = o.commit ? ` at ${o.commit.slice(0, 12)}` : '';
  return {
    name: run.result.amiName,
    description: `Baked by golden-ami-actions from ${source.imageId}${at}`,
    tags,
  };
}

/** Copies of a reused AMI carry its tags; the bake id is this run's so a failed copy is cleaned up. */
function reusedSpec(run: Run, o: BakeOptions, image: Image): ImageSpec {
  const { [TAG.completed]: _done, ...original } = fromTagList(image.Tags);
  return {
    name: image.Name ?? run.result.amiName,
    description: image.Description ?? `Copy of ${image.ImageId ?? ''}`,
    tags: {
      ...original,
      ...o.tags,
      [TAG.bakeId]: o.bakeId,
      [TAG.expiresAt]: new Date(run.expiresAt).toISOString(),
    },
  };
}

async function terminateBuilder(
  ctx: ActionContext,
  run: Run,
  o: BakeOptions,
  builderId: string,
): Promise<void> {
  await run.phases.run('cleanup', 'Terminate the builder', async () => {
    const report = await removeBakeResources(ctx, {
      bakeId: o.bakeId,
      region: o.region,
      builderId,
      images: [],
      removeImages: false,
      snapshotRetries: 0,
      retryDelayMs: 0,
    });
    for (const line of report.leftovers) ctx.log.warning(`Not cleaned up (the post step retries): ${line}`);
  });
}

async function cleanUpFailed(
  ctx: ActionContext,
  run: Run,
  o: BakeOptions,
  created: CreatedImage[],
): Promise<void> {
  await ctx.log.group('Clean up after the failed bake', async () => {
    const report = await removeBakeResources(ctx, {
      bakeId: o.bakeId,
      region: o.region,
      builderId: run.result.builderInstanceId,
      images: created,
      removeImages: true,
      snapshotRetries: 0,
      retryDelayMs: 0,
    });
    for (const line of report.leftovers)
      ctx.log.warning(`Not cleaned up yet (the post step retries): ${line}`);
    o.onFailure?.(finish(ctx, run), report);
  });
}
