// The AMIs a promotion compares: found, visible and available in a region, and which is older.
import type { ActionContext } from '../core/context.js';
import { ActionFailure } from '../core/errors.js';
import { describeImage } from '../aws/images.js';

/** The tag bake-ami puts on every image it bakes (src/bake/tags.ts). */
export const BAKE_ID_TAG = 'golden-ami:bake-id';

export interface ImageFacts {
  amiId: string;
  region: string;
  state: string;
  /** ISO creation time; undefined when EC2 did not report one. */
  creationDate?: string;
  name?: string;
  /** bake-ami's `golden-ami:bake-id` tag; undefined when the image does not carry it. */
  bakeId?: string;
}

/** The image as EC2 reports it in `region`, or undefined when that region cannot see it. */
export async function findImage(
  ctx: ActionContext,
  region: string,
  amiId: string,
): Promise<ImageFacts | undefined> {
  const image = await describeImage(ctx.clients.ec2(region), region, amiId, ctx.signal);
  if (!image) return undefined;
  return {
    amiId,
    region,
    state: image.State ?? 'unknown',
    creationDate: image.CreationDate,
    name: image.Name,
    bakeId: image.Tags?.find((t) => t.Key === BAKE_ID_TAG)?.Value,
  };
}

/** The AMI to promote must exist, be visible and be available in the region before anything is written. */
export async function requireAvailableImage(
  ctx: ActionContext,
  region: string,
  amiId: string,
): Promise<ImageFacts> {
  const image = await findImage(ctx, region, amiId);
  if (!image)
    throw new ActionFailure(
      `${amiId} does not exist in ${region} or this account cannot see it (AMI ids are per region; for several regions pass amis)`,
    );
  if (image.state !== 'available')
    throw new ActionFailure(`${amiId} in ${region} is ${image.state}, not available`);
  return image;
}

/** Negative when a was created before b; undefined when either date is unknown. */
export function compareCreation(a: ImageFacts, b: ImageFacts): number | undefined {
  if (!a.creationDate || !b.creationDate) return undefined;
  const ta = Date.parse(a.creationDate);
  const tb = Date.parse(b.creationDate);
  if (Number.isNaN(ta) || Number.isNaN(tb)) return undefined;
  return ta - tb;
}
