// A real bake once the lookups are done: reuse or an engine, copies and shares, the builder removed; on failure, what it made.
import type { Image } from '@aws-sdk/client-ec2';
import { fromTagList } from '../aws/tags.js';
import type { ActionContext } from '../core/context.js';
import { removeBakeResources } from './leftovers/cleanup.js';
import { deprecateImages } from './image/deprecate.js';
import { distribute } from './image/distribute.js';
import { requireImdsV2 } from './image/imds.js';
import { enableFastLaunch } from './image/fast-launch.js';
import { markCompleted } from './leftovers/janitor.js';
import { keepFailedBuilder, keptFailure } from './native/keep.js';
import { runTestStage } from './test-stage/run.js';
import { bakeNative } from './native/engine.js';
import { bakeWithPacker } from './packer/engine.js';
import { applyChangedTags } from './image/retag.js';
import type { SourceImage } from './lookup/source.js';
import { STATE, type CreatedImage, type PackerResources } from './state.js';
import { imageTags, listTags, readListTags, TAG } from './tags.js';
import type { BakeResult, BakeRunOptions, Found, ImageSpec, Run } from './types.js';

/** The result as it stands, with the time taken so far. */
export const finish = (ctx: ActionContext, run: Run): BakeResult => ({
  ...run.result,
  totalMs: ctx.clock.now() - run.started,
});

/** The reused AMI becomes the result. */
export function adopt(result: BakeResult, image: Image & { ImageId: string }): void {
  result.reused = true;
  result.amiId = image.ImageId;
  result.amiName = image.Name ?? result.amiName;
}

/** A real bake: reuse or an engine, then copies and shares; removes what it made when it fails. */
export async function produce(
  ctx: ActionContext,
  run: Run,
  o: BakeRunOptions,
  f: Found,
): Promise<BakeResult> {
  const { phases, result } = run;
  // From here on every resource is saved to state the moment it exists.
  const created: CreatedImage[] = [];
  const onImage = (image: CreatedImage) => {
    if (created.some((c) => c.region === image.region && c.imageId === image.imageId)) return;
    created.push(image);
    o.record(STATE.images, JSON.stringify(created));
  };
  // This run's name, before a reused AMI's replaces it in the result.
  const freshName = result.amiName;
  let packer: PackerResources | undefined;
  const onPacker = (r: PackerResources) => {
    packer = r;
    o.record(STATE.packer, JSON.stringify(r));
  };
  try {
    const spec = f.reusable?.ImageId ? reusedSpec(run, o, f.reusable) : newSpec(run, o, f.source);
    result.amiDescription = spec.description;
    if (f.reusable?.ImageId) {
      adopt(result, { ...f.reusable, ImageId: f.reusable.ImageId });
      result.amis[o.region] = f.reusable.ImageId;
    } else {
      Object.assign(result.amis, await bakeWithEngine(ctx, run, o, f, spec, { onImage, onPacker }));
      result.amiId = result.amis[o.region];
      // Nothing is copied or shared before the test passes.
      if (f.test && result.amiId)
        result.testResult = await runTestStage(ctx, run, o, f, f.test, result.amiId);
    }
    const distribution = { amis: result.amis, reused: result.reused, fingerprint: result.fingerprint };
    result.sharedWith = await distribute(ctx, phases, o, {
      ...distribution,
      spec,
      schedule: f.schedule,
      onImage,
      notBefore: f.notBefore,
      freshName,
    });
    if (o.imdsSupport)
      await phases.run('imds', 'Require IMDSv2 on the images', () => requireImdsV2(ctx, result.amis));
    const days = o.deprecateAfterDays;
    if (days !== undefined)
      result.deprecationTime = await phases.run('deprecate', `Deprecate ${days} days after creation`, () =>
        deprecateImages(ctx, result.amis, { region: o.region, days }),
      );
    if (o.windowsFastLaunch) {
      await phases.run('fast-launch', 'Enable Windows fast launch in every region', () =>
        enableFastLaunch(ctx, result.amis, { maxParallelLaunches: o.fastLaunchMaxParallel }),
      );
      result.fastLaunch = Object.keys(result.amis);
    }
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
    const builderId = result.builderInstanceId;
    // A cancelled bake is not a failure to debug: it leaves nothing.
    const kept =
      o.failureMode === 'keep' && builderId && !ctx.signal.aborted
        ? await keepFailedBuilder(ctx, { builderId, bakeId: o.bakeId, keepHours: o.keepHours })
        : undefined;
    await cleanUpFailed(ctx, run, o, created, packer);
    throw kept ? keptFailure(err, kept) : err;
  }
}

/** Runs the chosen engine; returns region → AMI id of what it built. */
async function bakeWithEngine(
  ctx: ActionContext,
  run: Run,
  o: BakeRunOptions,
  f: Found,
  spec: ImageSpec,
  on: { onImage: (image: CreatedImage) => void; onPacker: (r: PackerResources) => void },
): Promise<Record<string, string>> {
  const common = {
    provisioning: f.provisioning,
    spec,
    deadline: run.deadline.at,
    schedule: f.schedule,
    onImage: on.onImage,
  };
  if (f.packerPath)
    return bakeWithPacker(ctx, run.phases, o, {
      ...common,
      packerPath: f.packerPath,
      sourceAmiId: f.source.imageId,
      expiresAt: run.expiresAt,
      onPacker: on.onPacker,
      onBuilt: (built) => {
        if (built.name) run.result.amiName = built.name;
        if (built.sourceAmiId && built.sourceAmiId !== f.source.imageId) {
          run.result.sourceAmiId = built.sourceAmiId;
          run.result.sourceVia = 'packer-template';
        }
      },
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
function newSpec(run: Run, o: BakeRunOptions, source: SourceImage): ImageSpec {
  const tags = imageTags(o.tags, {
    bakeName: o.name,
    bakeId: o.bakeId,
    expiresAt: run.expiresAt,
    fingerprint: run.result.fingerprint,
    sourceAmiId: source.imageId,
    commit: o.commit,
    runUrl: o.runUrl,
    copyRegions: o.copyToRegions,
  });
  const at = o.commit ? ` at ${o.commit.slice(0, 12)}` : '';
  return {
    name: run.result.amiName,
    description: run.result.amiDescription ?? `Baked by golden-ami-actions from ${source.imageId}${at}`,
    tags,
  };
}

/**
 * Copies of a reused AMI carry its tags as `tags` now declares them (user tags it no longer lists
 * left off); the bake id is this run's so a failed copy is cleaned up.
 */
function reusedSpec(
  run: Run,
  o: Pick<BakeRunOptions, 'tags' | 'bakeId' | 'copyToRegions'>,
  image: Image,
): ImageSpec {
  const { [TAG.completed]: _done, ...original } = fromTagList(image.Tags);
  const dropped = new Set(readListTags(original, TAG.tagKeys) ?? []);
  const listings = (k: string) => k.startsWith(TAG.tagKeys) || k.startsWith(TAG.copyRegions);
  const kept = Object.fromEntries(Object.entries(original).filter(([k]) => !dropped.has(k) && !listings(k)));
  const regions = [...new Set([...(readListTags(original, TAG.copyRegions) ?? []), ...o.copyToRegions])];
  return {
    name: image.Name ?? run.result.amiName,
    description: image.Description ?? `Copy of ${image.ImageId ?? ''}`,
    tags: {
      ...kept,
      ...o.tags,
      ...listTags(TAG.tagKeys, Object.keys(o.tags)),
      ...listTags(TAG.copyRegions, regions),
      [TAG.bakeId]: o.bakeId,
      [TAG.expiresAt]: new Date(run.expiresAt).toISOString(),
    },
  };
}

async function terminateBuilder(
  ctx: ActionContext,
  run: Run,
  o: Pick<BakeRunOptions, 'bakeId' | 'region'>,
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
  o: Pick<BakeRunOptions, 'bakeId' | 'region' | 'onFailure'>,
  created: CreatedImage[],
  packer: PackerResources | undefined,
): Promise<void> {
  await ctx.log.group('Clean up after the failed bake', async () => {
    const report = await removeBakeResources(ctx, {
      bakeId: o.bakeId,
      region: o.region,
      builderId: run.result.builderInstanceId,
      images: created,
      // Packer removes its key pair and group itself, unless it is still running: then the post step does.
      ...(packer && packer.pid === undefined ? { packer } : {}),
      removeImages: true,
      snapshotRetries: 0,
      retryDelayMs: 0,
    });
    for (const line of report.leftovers)
      ctx.log.warning(`Not cleaned up yet (the post step retries): ${line}`);
    o.onFailure?.(finish(ctx, run), report);
  });
}
