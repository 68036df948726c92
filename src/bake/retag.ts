// Reuse with changed tags: the new values reach the AMI, its snapshots and every copy.
import { CreateTagsCommand, DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { fromTagList, toTagList } from '../aws/tags.js';
import { withContext } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import { snapshotIdsOf } from './image.js';

/**
 * Applies the `tags` input to every image of a reused bake (and their snapshots) where a value
 * differs or is missing, logging what changed; images already up to date are not touched.
 */
export async function applyChangedTags(
  ctx: ActionContext,
  amis: Record<string, string>,
  tags: Record<string, string>,
): Promise<void> {
  if (!Object.keys(tags).length) return;
  await Promise.all(
    Object.entries(amis).map(async ([region, imageId]) => {
      const ec2 = ctx.clients.ec2(region);
      const out = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }), {
        abortSignal: ctx.signal,
      });
      const image = out.Images?.[0];
      const have = fromTagList(image?.Tags);
      const changed = Object.fromEntries(Object.entries(tags).filter(([k, v]) => have[k] !== v));
      if (!Object.keys(changed).length) return;
      const snapshots = snapshotIdsOf(image);
      await ec2
        .send(new CreateTagsCommand({ Resources: [imageId, ...snapshots], Tags: toTagList(changed) }))
        .catch((err: unknown) => {
          throw withContext(`updating the tags of ${imageId} in ${region}`, err);
        });
      const was = Object.keys(changed).map(
        (k) => `${k}=${changed[k]}${k in have ? ` (was ${have[k]})` : ''}`,
      );
      ctx.log.info(
        `Tags changed since ${imageId} in ${region} was baked: ${was.join(', ')}; applied to it${snapshots.length ? ` and ${snapshots.join(', ')}` : ''}.`,
      );
    }),
  );
}
