// Grants share-with-accounts createVolumePermission on every snapshot of an AMI (share-snapshots).
import {
  DescribeImagesCommand,
  DescribeSnapshotAttributeCommand,
  ModifySnapshotAttributeCommand,
} from '@aws-sdk/client-ec2';
import { withContext } from '../core/errors.js';
import type { ActionContext } from '../core/run.js';

/**
 * Launch permission lets an account launch the AMI; copying it also needs its snapshots:
 * ModifySnapshotAttribute "adds or removes permission settings for the specified snapshot" (its
 * createVolumePermission). Only accounts not already granted are added. Returns the snapshots changed.
 */
export async function shareSnapshots(
  ctx: ActionContext,
  o: { region: string; imageId: string; accounts: string[] },
): Promise<string[]> {
  const client = ctx.clients.ec2(o.region);
  const opts = { abortSignal: ctx.signal };
  const images = await client
    .send(new DescribeImagesCommand({ ImageIds: [o.imageId], IncludeDisabled: true }), opts)
    .catch((err: unknown) => {
      throw withContext(`reading the snapshots of ${o.imageId} in ${o.region}`, err);
    });
  const snapshotIds = (images.Images?.[0]?.BlockDeviceMappings ?? []).flatMap((m) =>
    m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : [],
  );
  const changed = await Promise.all(
    snapshotIds.map(async (SnapshotId) => {
      const current = await client
        .send(new DescribeSnapshotAttributeCommand({ SnapshotId, Attribute: 'createVolumePermission' }), opts)
        .catch((err: unknown) => {
          throw withContext(`reading volume permissions of ${SnapshotId} in ${o.region}`, err);
        });
      const have = new Set((current.CreateVolumePermissions ?? []).map((p) => p.UserId));
      const add = o.accounts.filter((a) => !have.has(a));
      if (!add.length) return [];
      await client
        .send(
          new ModifySnapshotAttributeCommand({
            SnapshotId,
            Attribute: 'createVolumePermission',
            CreateVolumePermission: { Add: add.map((UserId) => ({ UserId })) },
          }),
        )
        .catch((err: unknown) => {
          throw withContext(
            `sharing snapshot ${SnapshotId} of ${o.imageId} in ${o.region} with ${add.join(', ')}`,
            err,
          );
        });
      ctx.log.info(`Shared snapshot ${SnapshotId} of ${o.imageId} in ${o.region} with ${add.join(', ')}.`);
      return [SnapshotId];
    }),
  );
  return changed.flat();
}
