// Reuse applies `tags` as declared: changed and new values set, keys bake-ami set earlier but no
// longer listed removed, on the AMI, its snapshots and every copy; and the regions it copies to recorded.
import { CreateTagsCommand, DeleteTagsCommand, DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { fromTagList, toTagList } from '../../aws/tags.js';
import { withContext } from '../../core/errors.js';
import type { ActionContext } from '../../core/context.js';
import { forEachImage } from './create-copy.js';
import { listTags, readListTags, TAG } from '../tags.js';

/** The listing's tags as they should now be: chunks no longer needed are emptied, not deleted. */
function listingUpdate(have: Record<string, string>, key: string, items: string[]): Record<string, string> {
  const want = listTags(key, items);
  for (let i = 2; have[`${key}-${i}`] !== undefined; i++) want[`${key}-${i}`] ??= '';
  return Object.fromEntries(Object.entries(want).filter(([k, v]) => have[k] !== v));
}

/**
 * Applies the `tags` input to every image of a reused bake (and their snapshots): values that
 * differ or are missing are set; keys the recorded listing (golden-ami:tag-keys) says bake-ami set
 * and `tags` no longer lists are removed. An image made before the listing was kept loses nothing.
 */
export async function applyChangedTags(
  ctx: ActionContext,
  amis: Record<string, string>,
  tags: Record<string, string>,
): Promise<void> {
  await forEachImage(ctx, amis, async ({ region, imageId, ec2, image, resources }) => {
    const have = fromTagList(image?.Tags);
    const changed = Object.fromEntries(Object.entries(tags).filter(([k, v]) => have[k] !== v));
    const removed = (readListTags(have, TAG.tagKeys) ?? []).filter((k) => !(k in tags) && k in have);
    const listing = listingUpdate(have, TAG.tagKeys, Object.keys(tags));
    const fail = (err: unknown): never => {
      throw withContext(`updating the tags of ${imageId} in ${region}`, err);
    };
    const tag = (t: Record<string, string>) =>
      ec2.send(new CreateTagsCommand({ Resources: resources, Tags: toTagList(t) })).catch(fail);
    // User keys and bake-ami's own record go in separate calls: IAM grants them separately.
    if (removed.length)
      await ec2
        .send(new DeleteTagsCommand({ Resources: resources, Tags: removed.map((Key) => ({ Key })) }))
        .catch(fail);
    if (Object.keys(changed).length) await tag(changed);
    if (Object.keys(listing).length) await tag(listing);
    const lines = [
      ...Object.keys(changed).map((k) => `${k}=${changed[k]}${k in have ? ` (was ${have[k]})` : ''}`),
      ...removed.map((k) => `${k} removed (was ${have[k]})`),
    ];
    if (lines.length)
      ctx.log.info(
        `Tags changed since ${imageId} in ${region} was baked: ${lines.join(', ')}; applied to it${resources.length > 1 ? ` and ${resources.slice(1).join(', ')}` : ''}.`,
      );
  });
}

/**
 * Before a reused AMI is copied to a region its record does not list, the record grows: a bake
 * killed during the copy leaves an image there, and the janitor finds regions by this record.
 */
export async function recordCopyRegions(
  ctx: ActionContext,
  o: { region: string; imageId: string; regions: string[] },
): Promise<void> {
  const ec2 = ctx.clients.ec2(o.region);
  const out = await ec2.send(new DescribeImagesCommand({ ImageIds: [o.imageId] }), {
    abortSignal: ctx.signal,
  });
  const have = fromTagList(out.Images?.[0]?.Tags);
  const recorded = readListTags(have, TAG.copyRegions) ?? [];
  if (o.regions.every((r) => recorded.includes(r))) return;
  const update = listingUpdate(have, TAG.copyRegions, [...new Set([...recorded, ...o.regions])]);
  await ec2
    .send(new CreateTagsCommand({ Resources: [o.imageId], Tags: toTagList(update) }))
    .catch((err: unknown) => {
      throw withContext(`recording the copy regions on ${o.imageId} in ${o.region}`, err);
    });
}
