// What the instances of a group run: their images by instance id, and the most common other image.
import { withContext } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import { instancesById } from '../aws/instances.js';

/** The image each instance runs, by instance id (instances terminated meanwhile are left out). */
export async function instanceImages(
  ctx: ActionContext,
  region: string,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const images = new Map<string, string>();
  const found = await instancesById(ctx.clients.ec2(region), ids, { signal: ctx.signal }).catch(
    (err: unknown) => {
      throw withContext(`describing instances in ${region}`, err);
    },
  );
  for (const inst of found) if (inst.InstanceId && inst.ImageId) images.set(inst.InstanceId, inst.ImageId);
  return images;
}

/** The image most instances run that is not `except`: the best guess at what a rollback returns to. */
export function mostCommonOther(images: Iterable<string>, except: string): string | undefined {
  const counts = new Map<string, number>();
  for (const image of images) if (image !== except) counts.set(image, (counts.get(image) ?? 0) + 1);
  let best: string | undefined;
  for (const [image, n] of counts) if (best === undefined || n > counts.get(best)!) best = image;
  return best;
}
