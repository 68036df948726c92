// The janitor: builders and unfinished images that killed bakes left behind, past their expiry; and the mark that spares finished ones.
import {
  CreateTagsCommand,
  DescribeImagesCommand,
  paginateDescribeImages,
  paginateDescribeInstances,
  TerminateInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { fromTagList, toTagList } from '../../aws/tags.js';
import { withContext } from '../../core/errors.js';
import { removeBakeResources } from './cleanup.js';
import { describeError } from '../../core/errors.js';
import type { ActionContext } from '../../core/context.js';
import { snapshotIdsOf } from '../image/create-copy.js';
import { cancelSpotRequests } from '../native/spot.js';
import { readListTags, TAG } from '../tags.js';
import type { ExpiredBuilder, UnfinishedImage } from '../types.js';

/** Builders of earlier bakes (any name) still alive after their expiry time. */
export async function findExpiredBuilders(ctx: ActionContext, now: number): Promise<ExpiredBuilder[]> {
  const expired: ExpiredBuilder[] = [];
  const pages = paginateDescribeInstances(
    { client: ctx.clients.ec2(), pageSize: 1000 },
    {
      Filters: [
        { Name: 'tag-key', Values: [TAG.builder] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
    },
    { abortSignal: ctx.signal },
  );
  for await (const page of pages)
    for (const i of page.Reservations?.flatMap((r) => r.Instances ?? []) ?? []) {
      const found = expiredBuilder(i, now);
      if (found) expired.push(found);
    }
  return expired;
}

export function expiredBuilder(i: Instance, now: number): ExpiredBuilder | undefined {
  const tags = fromTagList(i.Tags);
  const expiresAt = tags[TAG.expiresAt];
  // A builder without a readable expiry is not ours to judge.
  const at = expiresAt ? Date.parse(expiresAt) : NaN;
  if (!i.InstanceId || Number.isNaN(at) || at > now) return undefined;
  return {
    instanceId: i.InstanceId,
    bakeName: tags[TAG.builder] ?? '',
    expiresAt: expiresAt ?? '',
    ...(i.SpotInstanceRequestId ? { spotInstanceRequestId: i.SpotInstanceRequestId } : {}),
  };
}

/**
 * Terminates expired builders left by bakes that were killed before their post step ran. A
 * failure here is a warning: it must never stop today's bake.
 */
export async function reapExpiredBuilders(
  ctx: ActionContext,
  o: { now: number; dryRun: boolean },
): Promise<ExpiredBuilder[]> {
  let expired: ExpiredBuilder[];
  try {
    expired = await findExpiredBuilders(ctx, o.now);
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    ctx.log.warning(`janitor: could not list old builders: ${describeError(err)}`);
    return [];
  }
  if (!expired.length) {
    ctx.log.info('janitor: no expired builders.');
    return [];
  }
  for (const b of expired)
    ctx.log.warning(
      `janitor: ${o.dryRun ? 'would terminate' : 'terminating'} builder ${b.instanceId} of bake ${b.bakeName} (expired ${b.expiresAt}).`,
    );
  if (o.dryRun) return expired;
  try {
    // A Spot builder's persistent request would launch it again.
    await cancelSpotRequests(
      ctx.clients.ec2(),
      expired.flatMap((b) => b.spotInstanceRequestId ?? []),
    );
    await ctx.clients
      .ec2()
      .send(new TerminateInstancesCommand({ InstanceIds: expired.map((b) => b.instanceId) }));
  } catch (err) {
    ctx.log.warning(
      `janitor: could not terminate ${expired.map((b) => b.instanceId).join(', ')}: ${describeError(err)}`,
    );
    return [];
  }
  return expired;
}

/**
 * Images of bakes that never completed (a job killed before its post step ran), past their
 * expiry. Only images carrying an expiry and no `completed` mark qualify: a completed bake's
 * image, or one made before bakes wrote these tags, is never the janitor's.
 */
async function findUnfinishedImages(
  ctx: ActionContext,
  region: string,
  now: number,
): Promise<{ found: UnfinishedImage[]; copyRegions: Map<string, string[]> }> {
  const found: UnfinishedImage[] = [];
  // Bake id → the regions its image here records copying to.
  const copyRegions = new Map<string, string[]>();
  const pages = paginateDescribeImages(
    { client: ctx.clients.ec2(region), pageSize: 1000 },
    { Owners: ['self'], Filters: [{ Name: 'tag-key', Values: [TAG.expiresAt] }], IncludeDisabled: true },
    { abortSignal: ctx.signal },
  );
  for await (const page of pages)
    for (const image of page.Images ?? []) {
      const tags = fromTagList(image.Tags);
      const bakeId = tags[TAG.bakeId];
      if (bakeId) copyRegions.set(bakeId, readListTags(tags, TAG.copyRegions) ?? []);
      const at = Date.parse(tags[TAG.expiresAt] ?? '');
      if (!image.ImageId || !bakeId || tags[TAG.completed] || Number.isNaN(at) || at > now) continue;
      found.push({ imageId: image.ImageId, region, bakeId, expiresAt: tags[TAG.expiresAt]! });
    }
  return { found, copyRegions };
}

interface Sweep {
  dryRun: boolean;
  retired: UnfinishedImage[];
  /** Bakes a copy of which may remain (its region unread, or its removal failed). */
  unsettled: Set<string>;
}

/** One region's unfinished images retired, each bake's at once; a bake not wholly removed is unsettled. */
async function retireIn(
  ctx: ActionContext,
  region: string,
  found: UnfinishedImage[],
  sweep: Sweep,
): Promise<void> {
  for (const i of found)
    ctx.log.warning(
      `janitor: ${sweep.dryRun ? 'would retire' : 'retiring'} ${i.imageId} in ${region} of bake ${i.bakeId}, which never completed (expired ${i.expiresAt}).`,
    );
  if (sweep.dryRun) {
    sweep.retired.push(...found);
    return;
  }
  for (const bakeId of new Set(found.map((i) => i.bakeId))) {
    const images = found.filter((i) => i.bakeId === bakeId);
    const report = await removeBakeResources(ctx, {
      bakeId,
      region,
      images: images.map((i) => ({ region, imageId: i.imageId })),
      removeImages: true,
      spareCompleted: true,
      snapshotRetries: 3,
      retryDelayMs: 2_000,
    });
    for (const line of report.leftovers) ctx.log.warning(`janitor: not removed: ${line}`);
    if (report.leftovers.length) sweep.unsettled.add(bakeId);
    sweep.retired.push(...images.filter((i) => report.deregistered.includes(i.imageId)));
  }
}

async function listOrWarn(ctx: ActionContext, region: string, now: number) {
  try {
    return await findUnfinishedImages(ctx, region, now);
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    ctx.log.warning(`janitor: could not list unfinished images in ${region}: ${describeError(err)}`);
    return undefined;
  }
}

/**
 * Deregisters unfinished images of expired bakes and deletes their snapshots; warnings only. The
 * first region's images (the bake region's) name every region a bake copied to
 * (golden-ami:copy-regions): those are searched too, so a killed bake's copy is found wherever it
 * is. Copies go first: the bake region's image, the only record of where they are, is kept while a
 * copy of its bake may remain, so a later janitor finds them.
 */
export async function retireUnfinishedImages(
  ctx: ActionContext,
  o: { now: number; dryRun: boolean; regions: string[] },
): Promise<UnfinishedImage[]> {
  const [home, ...given] = [...new Set(o.regions)];
  if (!home) return [];
  const sweep: Sweep = { dryRun: o.dryRun, retired: [], unsettled: new Set() };
  const first = await listOrWarn(ctx, home, o.now);
  const recorded = [...(first?.copyRegions.values() ?? [])].flat();
  const more = [...new Set(recorded)].filter((r) => r !== home && !given.includes(r)).sort();
  if (more.length) ctx.log.info(`janitor: earlier bakes copied to ${more.join(', ')} too: looking there.`);
  const unread: string[] = [];
  for (const region of [...given, ...more]) {
    const listed = await listOrWarn(ctx, region, o.now);
    if (listed) await retireIn(ctx, region, listed.found, sweep);
    else unread.push(region);
  }
  if (!first) return sweep.retired;
  const kept = first.found.filter(
    (i) =>
      !o.dryRun &&
      (sweep.unsettled.has(i.bakeId) ||
        (first.copyRegions.get(i.bakeId) ?? []).some((r) => unread.includes(r))),
  );
  for (const i of kept)
    ctx.log.warning(
      `janitor: keeping ${i.imageId} in ${home} of bake ${i.bakeId} for now: a copy of it may remain, and this image records where (golden-ami:copy-regions); a later bake's janitor tries again.`,
    );
  await retireIn(
    ctx,
    home,
    first.found.filter((i) => !kept.includes(i)),
    sweep,
  );
  return sweep.retired;
}

/** Marks every AMI of a successful bake, and its snapshots, completed: from now on it is a result. */
export async function markCompleted(ctx: ActionContext, amis: Record<string, string>): Promise<void> {
  const tags = toTagList({ [TAG.completed]: new Date(ctx.clock.now()).toISOString() });
  await Promise.all(
    Object.entries(amis).map(async ([region, imageId]) => {
      const ec2 = ctx.clients.ec2(region);
      const out = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }), {
        abortSignal: ctx.signal,
      });
      // A reused AMI (and its copies) completed before: only what this bake made needs the mark.
      if (fromTagList(out.Images?.[0]?.Tags)[TAG.completed]) return;
      const snapshots = snapshotIdsOf(out.Images?.[0]);
      await ec2
        .send(new CreateTagsCommand({ Resources: [imageId, ...snapshots], Tags: tags }))
        .catch((err: unknown) => {
          throw withContext(`marking ${imageId} in ${region} completed`, err);
        });
    }),
  );
}
