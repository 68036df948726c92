import type { Image } from '@aws-sdk/client-ec2';
import { fromTagList } from '../aws/tags.js';
import { deadlineAfter } from '../core/poll.js';
import type { ActionContext } from '../core/run.js';
import { launchBuilder } from './builder.js';
import { distribute, tagPackerImages } from './distribute.js';
import { removeBakeResources, type CleanupReport } from './cleanup.js';
import { applyChangedTags } from './retag.js';
import { delaysFrom } from './delays.js';
import { fingerprint } from './fingerprint.js';
import { createImage, waitForImage } from './image.js';
import type { BakeInputs } from './inputs.js';
import {
  markCompleted,
  reapExpiredBuilders,
  retireUnfinishedImages,
  type ExpiredBuilder,
  type UnfinishedImage,
} from './janitor.js';
import { checkNetwork } from './network.js';
import { locatePacker, runPacker } from './packer.js';
import { provePackerBuild } from './packer-proof.js';
import type { ProcessRunner } from './packer-process.js';
import { Phases, type PhaseTiming } from './phases.js';
import { planLines } from './plan.js';
import { provision } from './provision-builder.js';
import { loadProvisioning } from './provisioning.js';
import { findReusable } from './reuse.js';
import { resolveSource, type Platform } from './source.js';
import { STATE, type CreatedImage, type StateRecorder } from './state.js';
import { imageTags, TAG } from './tags.js';

export interface BakeOptions extends BakeInputs {
  /** Unique per bake step (run, attempt, step): tags everything this bake makes. At most 64 characters. */
  bakeId: string;
  commit?: string;
  runUrl?: string;
  /** Relative file inputs resolve here (the workspace). */
  workingDirectory: string;
  record: StateRecorder;
  processRunner: ProcessRunner;
  /** Told, before the error is rethrown, how far a failed bake got and what it cleaned up. */
  onFailure?: (partial: BakeResult, cleanup: CleanupReport) => void;
}

export interface BakeResult {
  region: string;
  amiId?: string;
  amiName: string;
  amis: Record<string, string>;
  sourceAmiId: string;
  sourceVia: string;
  platform: Platform;
  fingerprint: string;
  reused: boolean;
  builderInstanceId?: string;
  dryRun: boolean;
  /** Dry run: what would happen, one line each. */
  plan: string[];
  timings: PhaseTiming[];
  janitor: ExpiredBuilder[];
  /** Images (with their snapshots) of bakes that never completed, past their expiry. */
  janitorImages: UnfinishedImage[];
  sharedWith: string[];
  engine: 'native' | 'packer';
  totalMs: number;
}

/** Builders outlive their bake's timeout by this much before another bake's janitor takes them. */
const EXPIRY_GRACE_MS = 30 * 60_000;

export const utcStamp = (ms: number): string => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);

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

  const started = ctx.clock.now();
  const deadline = deadlineAfter(ctx.clock, o.timeoutMinutes * 60_000);
  const phases = new Phases(ctx.clock, ctx.log, deadline, o.timeoutMinutes, ctx.signal);
  const delays = delaysFrom(o.pollIntervalSeconds);
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
  const finish = () => ({ ...result, totalMs: ctx.clock.now() - started });
  // Builders, and images that never got marked completed, outlive the timeout by a grace period.
  const expiresAt = started + o.timeoutMinutes * 60_000 + EXPIRY_GRACE_MS;

  if (o.janitor)
    await phases.run(
      'janitor',
      'Janitor: expired builders and unfinished images of earlier bakes',
      async () => {
        result.janitor = await reapExpiredBuilders(ctx, { now: started, dryRun: o.dryRun });
        result.janitorImages = await retireUnfinishedImages(ctx, {
          now: started,
          dryRun: o.dryRun,
          regions: [o.region, ...o.copyToRegions],
        });
      },
    );

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
    sourceAmiId: source.imageId,
    platform: result.platform,
    provisioning,
    volumeSize: o.volumeSize,
    encrypted: o.encrypted,
    kmsKeyId: o.kmsKeyId,
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

  if (o.dryRun) {
    if (reusable?.ImageId) {
      // What a real run would output: the reused AMI and the copies that already exist.
      result.amis[o.region] = reusable.ImageId;
      for (const region of o.copyToRegions) {
        const copy = await findReusable(ctx, { region, bakeName: o.name, fingerprint: result.fingerprint });
        if (copy?.ImageId) result.amis[region] = copy.ImageId;
      }
    }
    if (!reusable && o.engine === 'native')
      await phases.run('network', 'Check subnet and security groups', () => checkNetwork(ctx, o));
    result.plan = planLines(o, { source, platform: result.platform, provisioning, reusable, result });
    if (reusable?.ImageId) {
      result.amiId = reusable.ImageId;
      result.amiName = reusable.Name ?? result.amiName;
      result.reused = true;
    }
    await ctx.log.group('Plan (dry run: nothing created)', async () => {
      for (const line of result.plan) ctx.log.info(line);
    });
    return finish();
  }

  // From here on every resource is saved to state the moment it exists.
  const created: CreatedImage[] = [];
  const onImage = (image: CreatedImage) => {
    created.push(image);
    o.record(STATE.images, JSON.stringify(created));
  };
  let builderId: string | undefined;
  try {
    if (reusable?.ImageId) {
      result.reused = true;
      result.amiId = reusable.ImageId;
      result.amiName = reusable.Name ?? result.amiName;
      result.amis[o.region] = reusable.ImageId;
      // Copies carry the original's tags; the bake id is this run's so a failed copy is cleaned up.
      const { [TAG.completed]: _done, ...original } = fromTagList(reusable.Tags);
      const tags = {
        ...original,
        ...o.tags,
        [TAG.bakeId]: o.bakeId,
        [TAG.expiresAt]: new Date(expiresAt).toISOString(),
      };
      await distribute(
        ctx,
        o,
        phases,
        delays,
        result,
        { ...reusedSpec(reusable, result.amiName), tags },
        onImage,
      );
      await phases.run('tag', 'Apply changed tags to the reused AMI and its copies', () =>
        applyChangedTags(ctx, result.amis, o.tags),
      );
    } else {
      const tags = imageTags(o.tags, {
        bakeName: o.name,
        bakeId: o.bakeId,
        expiresAt,
        fingerprint: result.fingerprint,
        sourceAmiId: source.imageId,
        commit: o.commit,
        runUrl: o.runUrl,
      });
      const spec = {
        name: result.amiName,
        description: `Baked by golden-ami-actions from ${source.imageId}${o.commit ? ` at ${o.commit.slice(0, 12)}` : ''}`,
        tags,
      };
      if (packerPath) {
        const amis = await phases.run('packer', `packer build ${o.packerTemplate ?? ''}`, async () => {
          const built = await runPacker(ctx, {
            packerPath,
            templatePath: provisioning.kind === 'packer' ? provisioning.template.path : '',
            vars: o.packerVars,
            sourceAmiId: source.imageId,
            amiName: result.amiName,
            region: o.region,
            bakeId: o.bakeId,
            workingDirectory: o.workingDirectory,
            deadline: deadline.at,
            runner: o.processRunner,
          });
          for (const [region, imageId] of Object.entries(built)) onImage({ region, imageId });
          return built;
        });
        await phases.run('tag', 'Tag the AMIs Packer built', () => tagPackerImages(ctx, amis, tags));
        if (provisioning.kind === 'packer')
          await phases.run('proof', "Prove the build from the Packer builder's console", () =>
            provePackerBuild(ctx, {
              bakeId: o.bakeId,
              failureMarker: o.failureMarker,
              template: provisioning.template,
              workingDirectory: o.workingDirectory,
              deadline: deadline.at,
              delays,
            }),
          );
        Object.assign(result.amis, amis);
      } else {
        builderId = await phases.run('launch', 'Launch the builder', async () => {
          await checkNetwork(ctx, o);
          return launchBuilder(
            ctx,
            {
              ...o,
              bakeName: o.name,
              source,
              userData: provisioning.kind === 'user-data' ? provisioning.userData : undefined,
              expiresAt,
            },
            (id) => {
              o.record(STATE.builderId, id);
              result.builderInstanceId = id;
            },
          );
        });
        await phases.run('provision', `Provision the builder (${provisioning.kind})`, () =>
          provision(ctx, o, {
            instanceId: builderId!,
            provisioning,
            platform: result.platform,
            deadline: deadline.at,
            delays,
          }),
        );
        result.amis[o.region] = await phases.run('image', 'Create the image', async () => {
          const imageId = await createImage(ctx, { ...spec, instanceId: builderId! }, onImage);
          await waitForImage(ctx, {
            region: o.region,
            imageId,
            delays,
            remainingMs: phases.remainingMs('image'),
            phase: 'image',
          });
          return imageId;
        });
      }
      result.amiId = result.amis[o.region];
      await distribute(ctx, o, phases, delays, result, spec, onImage);
    }
    if (builderId) {
      const id = builderId;
      await phases.run('cleanup', 'Terminate the builder', async () => {
        const report = await removeBakeResources(ctx, {
          bakeId: o.bakeId,
          region: o.region,
          builderId: id,
          images: [],
          removeImages: false,
          snapshotRetries: 0,
          retryDelayMs: 0,
        });
        for (const line of report.leftovers)
          ctx.log.warning(`Not cleaned up (the post step retries): ${line}`);
      });
    }
    await phases.run('complete', 'Mark the images completed (the janitor spares them)', () =>
      markCompleted(ctx, result.amis),
    );
    o.record(STATE.done, 'true');
    return finish();
  } catch (err) {
    await ctx.log.group('Clean up after the failed bake', async () => {
      const report = await removeBakeResources(ctx, {
        bakeId: o.bakeId,
        region: o.region,
        builderId,
        images: created,
        removeImages: true,
        snapshotRetries: 0,
        retryDelayMs: 0,
      });
      for (const line of report.leftovers)
        ctx.log.warning(`Not cleaned up yet (the post step retries): ${line}`);
      o.onFailure?.(finish(), report);
    });
    throw err;
  }
}

function reusedSpec(image: Image, name: string) {
  return { name: image.Name ?? name, description: image.Description ?? `Copy of ${image.ImageId ?? ''}` };
}
