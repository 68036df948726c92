// windows-fast-launch: EnableFastLaunch (pre-provisioned snapshots) on the Windows AMI in every
// region it is in, where it is not on already, so a reuse converges too.
import { DescribeFastLaunchImagesCommand, EnableFastLaunchCommand } from '@aws-sdk/client-ec2';
import { ConfigurationError, withContext } from '../../core/errors.js';
import type { ActionContext } from '../../core/context.js';
import type { Platform } from '../lookup/source.js';

const ON = new Set(['enabling', 'enabling-failed', 'enabled', 'enabled-failed']);

/** Fast launch is for Windows AMIs: a Linux image is refused before anything is made. */
export function checkFastLaunchPlatform(platform: Platform): void {
  if (platform !== 'windows')
    throw new ConfigurationError([
      `windows-fast-launch: the image is ${platform} (from the source image or platform); fast launch is for Windows AMIs`,
    ]);
}

/** Returns the regions where it was turned on, or its parallel launches changed, now. */
export async function enableFastLaunch(
  ctx: ActionContext,
  amis: Record<string, string>,
  o: { maxParallelLaunches: number },
): Promise<string[]> {
  const changed = await Promise.all(
    Object.entries(amis).map(async ([region, imageId]) => {
      const ec2 = ctx.clients.ec2(region);
      const out = await ec2
        .send(new DescribeFastLaunchImagesCommand({ ImageIds: [imageId] }), { abortSignal: ctx.signal })
        .catch((err: unknown) => {
          throw withContext(`reading fast launch of ${imageId} in ${region}`, err);
        });
      const now = out.FastLaunchImages?.[0];
      const on = now?.State !== undefined && ON.has(now.State);
      // On already as asked: nothing to do. On with another MaxParallelLaunches: EnableFastLaunch
      // again changes it ("you can only change these settings for Windows AMIs that you own").
      if (on && now.MaxParallelLaunches === o.maxParallelLaunches) return [];
      await ec2
        .send(
          new EnableFastLaunchCommand({
            ImageId: imageId,
            ResourceType: 'snapshot',
            MaxParallelLaunches: o.maxParallelLaunches,
          }),
        )
        .catch((err: unknown) => {
          throw withContext(`EnableFastLaunch ${imageId} in ${region}`, err);
        });
      ctx.log.info(
        on
          ? `Fast launch of ${imageId} in ${region}: parallel launches ${now.MaxParallelLaunches ?? '?'} → ${o.maxParallelLaunches}.`
          : `Fast launch enabling for ${imageId} in ${region} (up to ${o.maxParallelLaunches} parallel launches).`,
      );
      return [region];
    }),
  );
  return changed.flat();
}
