// The bake's images: CreateImage from the stopped builder, CopyImage to other regions, and the wait for each to be available.
import {
  CopyImageCommand,
  CreateImageCommand,
  DescribeImagesCommand,
  type EC2Client,
  type Image,
} from '@aws-sdk/client-ec2';
import { hasCode, isTransient } from '../../aws/errors.js';
import { toTagList } from '../../aws/tags.js';
import { ActionFailure, TimeoutError, withContext } from '../../core/errors.js';
import type { ActionContext } from '../../core/context.js';
import { seconds } from '../../core/summary.js';
import { Pace, pollPaced, type Schedule } from '../schedule.js';
import type { CreatedImage } from '../state.js';
import { TAG } from '../tags.js';
import type { ImageSpec } from '../types.js';

/** The snapshots behind an image's block devices. */
export const snapshotIdsOf = (image: Image | undefined): string[] =>
  (image?.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : []));

export interface ReadImage {
  region: string;
  imageId: string;
  ec2: EC2Client;
  image: Image | undefined;
  /** The image and its snapshots: what a tag change is applied to. */
  resources: string[];
}

/** Every region's AMI read, then handed to `fn`, all regions at once. */
export async function forEachImage(
  ctx: ActionContext,
  amis: Record<string, string>,
  fn: (r: ReadImage) => Promise<void>,
): Promise<void> {
  await Promise.all(
    Object.entries(amis).map(async ([region, imageId]) => {
      const ec2 = ctx.clients.ec2(region);
      const out = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }), {
        abortSignal: ctx.signal,
      });
      const image = out.Images?.[0];
      await fn({ region, imageId, ec2, image, resources: [imageId, ...snapshotIdsOf(image)] });
    }),
  );
}

/**
 * Images the stopped builder. No reboot: the instance is already stopped, so the snapshot is
 * consistent. Tags reach the AMI and its snapshots at creation, so the post step can find both.
 */
export async function createImage(
  ctx: ActionContext,
  o: ImageSpec & { instanceId: string },
  onCreated: (image: CreatedImage) => void,
): Promise<string> {
  const tags = toTagList(o.tags);
  const out = await ctx.clients
    .ec2()
    .send(
      new CreateImageCommand({
        InstanceId: o.instanceId,
        Name: o.name,
        Description: o.description,
        NoReboot: true,
        TagSpecifications: [
          { ResourceType: 'image', Tags: tags },
          { ResourceType: 'snapshot', Tags: tags },
        ],
      }),
    )
    .catch(async (err: unknown) => {
      // CreateImage has no client token: when a lost response was retried, the first call's
      // image holds the name. It is ours if it carries this bake's id.
      const bakeId = o.tags[TAG.bakeId];
      if (hasCode(err, 'InvalidAMIName.Duplicate') && bakeId) {
        const mine = await imageOfBake(ctx, o.name, bakeId);
        if (mine) return { ImageId: mine };
      }
      throw withContext(`CreateImage from ${o.instanceId}`, err);
    });
  if (!out.ImageId) throw new ActionFailure('CreateImage returned no image id');
  onCreated({ region: ctx.clients.defaultRegion, imageId: out.ImageId });
  ctx.log.info(`Creating image ${out.ImageId} (${o.name}) from ${o.instanceId}.`);
  return out.ImageId;
}

async function imageOfBake(ctx: ActionContext, name: string, bakeId: string): Promise<string | undefined> {
  const out = await ctx.clients
    .ec2()
    .send(
      new DescribeImagesCommand({
        Owners: ['self'],
        Filters: [
          { Name: 'name', Values: [name] },
          { Name: `tag:${TAG.bakeId}`, Values: [bakeId] },
        ],
      }),
    )
    .catch(() => undefined);
  return out?.Images?.[0]?.ImageId;
}

/** Image states that never become `available`: the wait ends at the first poll that sees one. */
const TERMINAL_IMAGE_STATES = new Set(['failed', 'invalid', 'error', 'deregistered', 'disabled']);

export interface ImageWait {
  region: string;
  imageId: string;
  schedule: Schedule;
  /** How long the image is expected to take (ms): the first poll comes then. */
  expectedMs: number;
  /** An earlier first poll (ms after the start), to see a fast failure before the expected end. */
  probeMs?: number;
  remainingMs: number;
  phase: string;
}

/**
 * Waits for an image to be `available`: first polled when it is expected to be, then at short,
 * growing intervals. The SDK's imageAvailable waiter polls at once and stops early only on
 * `failed`; `invalid`, `error`, `deregistered` and `disabled` (ImageState in the EC2 API
 * reference) never turn available either, so this ends at once on any of them.
 */
export async function waitForImage(ctx: ActionContext, o: ImageWait): Promise<void> {
  const client = ctx.clients.ec2(o.region);
  const start = ctx.clock.now();
  let seen = false;
  let polls = 0;
  await pollPaced(ctx, {
    phase: `waiting for image ${o.imageId} in ${o.region}`,
    pace: new Pace(
      o.schedule,
      ctx.clock,
      start + o.expectedMs,
      o.probeMs !== undefined ? start + o.probeMs : undefined,
    ),
    deadline: start + o.remainingMs,
    isTransient: (err) => isTransient(err) || hasCode(err, 'InvalidAMIID.NotFound'),
    check: async () => {
      polls++;
      const out = await client.send(
        new DescribeImagesCommand({ ImageIds: [o.imageId], IncludeDisabled: true }),
        { abortSignal: ctx.signal },
      );
      const image = out.Images?.[0];
      // Seen once and then gone: it was deregistered under us.
      const state = image?.State ?? (seen ? 'deregistered' : 'not visible yet');
      seen ||= image !== undefined;
      ctx.log.info(
        `image ${o.imageId} in ${o.region}: ${state}, ${seconds(ctx.clock.now() - start)} so far (poll ${polls}, expected ${seconds(o.expectedMs)})`,
      );
      if (state === 'available') return { done: true, value: undefined };
      if (TERMINAL_IMAGE_STATES.has(state)) {
        const reason = image?.StateReason
          ? `${image.StateReason.Code ?? ''}: ${image.StateReason.Message ?? ''}`
          : 'AWS gave no reason';
        throw new ActionFailure(`image ${o.imageId} in ${o.region} is ${state} (${reason})`);
      }
      return { done: false, progress: state };
    },
  }).catch((err: unknown) => {
    if (err instanceof TimeoutError)
      throw new TimeoutError(o.phase, `image ${o.imageId} in ${o.region} was not available in time`);
    throw err;
  });
}

export interface CopyOptions extends ImageSpec {
  sourceImageId: string;
  regions: string[];
  bakeId: string;
  schedule: Schedule;
  remainingMs: () => number;
  phase: string;
  encrypted: boolean;
  /** Region → KMS key for that region's copy (kms-key-ids). */
  kmsKeyIds: Record<string, string>;
  /** Region → a name other than `name` for that copy. */
  names?: Record<string, string>;
}

/**
 * Copies the AMI to every region at once and waits for all copies. Each copy is reported to
 * `onCreated` as soon as it exists; CopyImage's TagSpecifications tag the copy and its snapshots.
 */
export async function copyImage(
  ctx: ActionContext,
  o: CopyOptions,
  onCreated: (image: CreatedImage) => void,
): Promise<Record<string, string>> {
  const sourceRegion = ctx.clients.defaultRegion;
  // Recorded on the copy, so reuse can tell a copy made with another key.
  const key = (region: string) => (o.encrypted && o.kmsKeyIds[region]) || '';
  const results = await Promise.allSettled(
    o.regions.map(async (region) => {
      const client = ctx.clients.ec2(region);
      const out = await client
        .send(
          new CopyImageCommand({
            SourceImageId: o.sourceImageId,
            SourceRegion: sourceRegion,
            Name: o.names?.[region] ?? o.name,
            Description: o.description,
            // Idempotent per region, so an SDK retry never makes a second copy.
            ClientToken: `${o.bakeId}-${region}`.slice(0, 64),
            ...(o.encrypted ? { Encrypted: true } : {}),
            // Without KmsKeyId a copy uses the destination's default key, which cannot be shared.
            ...(o.encrypted && o.kmsKeyIds[region] ? { KmsKeyId: o.kmsKeyIds[region] } : {}),
            // Tagged at creation, the copy and its snapshots carry the bake id from their first
            // instant, so cleanup can prove they are this bake's (and IAM can require the tags).
            TagSpecifications: (['image', 'snapshot'] as const).map((ResourceType) => ({
              ResourceType,
              Tags: toTagList({ ...o.tags, ...(key(region) ? { [TAG.kmsKey]: key(region) } : {}) }),
            })),
          }),
        )
        .catch((err: unknown) => {
          throw withContext(`CopyImage ${o.sourceImageId} to ${region}`, err);
        });
      const imageId = out.ImageId;
      if (!imageId) throw new ActionFailure(`CopyImage to ${region} returned no image id`);
      onCreated({ region, imageId });
      ctx.log.info(`Copying ${o.sourceImageId} to ${region} as ${imageId}.`);
      await waitForImage(ctx, {
        region,
        imageId,
        schedule: o.schedule,
        expectedMs: o.schedule.expect.copy,
        remainingMs: o.remainingMs(),
        phase: o.phase,
      });
      return [region, imageId] as const;
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return Object.fromEntries(
    results.map((r) => (r as PromiseFulfilledResult<readonly [string, string]>).value),
  );
}
