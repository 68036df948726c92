import { CreateTagsCommand, DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { toTagList } from '../aws/tags.js';
import { withContext } from '../core/errors.js';
import type { ActionContext } from '../core/run.js';
import type { BakeOptions, BakeResult } from './bake.js';
import type { Delays } from './delays.js';
import { copyImage, shareImage } from './image.js';
import type { Phases } from './phases.js';
import { findReusable } from './reuse.js';
import { shareSnapshots } from './share-snapshots.js';
import type { CreatedImage } from './state.js';

/** Copies to copy-to-regions (reusing a copy with the same fingerprint) and shares everywhere. */
export async function distribute(
  ctx: ActionContext,
  o: BakeOptions,
  phases: Phases,
  delays: Delays,
  result: BakeResult,
  spec: { name: string; description: string; tags: Record<string, string> },
  onImage: (image: CreatedImage) => void,
): Promise<void> {
  const amiId = result.amis[o.region];
  if (!amiId) return;
  const missing = o.copyToRegions.filter((r) => !result.amis[r]);
  if (missing.length) {
    await phases.run('copy', `Copy to ${missing.join(', ')}`, async () => {
      const toCopy: string[] = [];
      for (const region of missing) {
        const existing = result.reused
          ? await findReusable(ctx, { region, bakeName: o.name, fingerprint: result.fingerprint })
          : undefined;
        if (existing?.ImageId) {
          ctx.log.info(`${region}: reusing ${existing.ImageId}.`);
          result.amis[region] = existing.ImageId;
        } else toCopy.push(region);
      }
      if (!toCopy.length) return;
      Object.assign(
        result.amis,
        await copyImage(
          ctx,
          {
            ...spec,
            sourceImageId: amiId,
            regions: toCopy,
            bakeId: o.bakeId,
            delays,
            remainingMs: () => phases.remainingMs('copy'),
            phase: 'copy',
            encrypted: o.encrypted,
            kmsKeyIds: o.kmsKeyIds,
          },
          onImage,
        ),
      );
    });
  }
  if (o.shareWithAccounts.length) {
    await phases.run('share', `Share with ${o.shareWithAccounts.join(', ')}`, async () => {
      if (o.encrypted)
        ctx.log.warning('The AMI is encrypted: the accounts it is shared with also need use of its KMS key.');
      const added = await Promise.all(
        Object.entries(result.amis).map(async ([region, imageId]) => {
          const share = { region, imageId, accounts: o.shareWithAccounts };
          const [image, snapshots] = await Promise.all([
            shareImage(ctx, share),
            o.shareSnapshots ? shareSnapshots(ctx, share) : [],
          ]);
          return [...image, ...snapshots];
        }),
      );
      result.sharedWith = o.shareWithAccounts;
      if (!added.some((a) => a.length)) ctx.log.info('Already shared with every account.');
    });
  }
}

/** Packer tags only what its template says: add our tags to every AMI and its snapshots. */
export async function tagPackerImages(
  ctx: ActionContext,
  amis: Record<string, string>,
  tags: Record<string, string>,
): Promise<void> {
  await Promise.all(
    Object.entries(amis).map(async ([region, imageId]) => {
      const ec2 = ctx.clients.ec2(region);
      const out = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }), {
        abortSignal: ctx.signal,
      });
      const snapshots = (out.Images?.[0]?.BlockDeviceMappings ?? []).flatMap((m) =>
        m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : [],
      );
      await ec2
        .send(new CreateTagsCommand({ Resources: [imageId, ...snapshots], Tags: toTagList(tags) }))
        .catch((err: unknown) => {
          throw withContext(`tagging ${imageId} in ${region}`, err);
        });
      ctx.log.info(
        `Tagged ${imageId} in ${region}${snapshots.length ? ` and ${snapshots.join(', ')}` : ''}.`,
      );
    }),
  );
}
