// deprecate-after: EnableImageDeprecation on the AMI and every copy, days after the AMI's creation.
import { DescribeImagesCommand, EnableImageDeprecationCommand, type Image } from '@aws-sdk/client-ec2';
import { withContext } from '../../core/errors.js';
import type { ActionContext } from '../../core/context.js';

const DAY_MS = 86_400_000;
/** DeprecateAt: "If you specify a value for seconds, Amazon EC2 rounds the seconds to the nearest minute." */
const toMinute = (ms: number): number => Math.round(ms / 60_000) * 60_000;

/** Each image as DescribeImages has it now, with its region. */
export async function readImages(
  ctx: ActionContext,
  amis: Record<string, string>,
): Promise<{ region: string; imageId: string; image?: Image }[]> {
  return Promise.all(
    Object.entries(amis).map(async ([region, imageId]) => {
      const out = await ctx.clients
        .ec2(region)
        .send(new DescribeImagesCommand({ ImageIds: [imageId] }), { abortSignal: ctx.signal })
        .catch((err: unknown) => {
          throw withContext(`reading ${imageId} in ${region}`, err);
        });
      return { region, imageId, image: out.Images?.[0] };
    }),
  );
}

/**
 * Sets every image's deprecation time to the bake region's AMI's CreationDate plus `days`, so the
 * copies and a reused AMI share the first bake's date: an unchanged image still ages out. Images
 * already at that time are left alone. Returns the time (ISO 8601).
 */
export async function deprecateImages(
  ctx: ActionContext,
  amis: Record<string, string>,
  o: { region: string; days: number },
): Promise<string> {
  const images = await readImages(ctx, amis);
  const home = images.find((i) => i.region === o.region)?.image;
  const created = Date.parse(home?.CreationDate ?? '');
  const at = toMinute((Number.isFinite(created) ? created : ctx.clock.now()) + o.days * DAY_MS);
  const iso = new Date(at).toISOString();
  // "You can't specify a date in the past": a reused AMI older than that is deprecated already.
  if (at <= ctx.clock.now()) {
    ctx.log.warning(
      `deprecate-after: ${amis[o.region] ?? ''} was created ${home?.CreationDate ?? '?'}, so its deprecation time ${iso} has passed; set reuse-if-unchanged: false to bake a new one`,
    );
    return iso;
  }
  await Promise.all(images.map((i) => deprecateOne(ctx, i, at, iso)));
  return iso;
}

async function deprecateOne(
  ctx: ActionContext,
  i: { region: string; imageId: string; image?: Image },
  at: number,
  iso: string,
): Promise<void> {
  if (i.image?.DeprecationTime && Date.parse(i.image.DeprecationTime) === at) return;
  await ctx.clients
    .ec2(i.region)
    .send(new EnableImageDeprecationCommand({ ImageId: i.imageId, DeprecateAt: new Date(at) }))
    .catch((err: unknown) => {
      throw withContext(`deprecating ${i.imageId} in ${i.region} at ${iso}`, err);
    });
  const was = i.image?.DeprecationTime ? ` (was ${i.image.DeprecationTime})` : '';
  ctx.log.info(`${i.imageId} in ${i.region} is deprecated from ${iso}${was}.`);
}
