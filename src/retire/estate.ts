// Reads the AMIs this project baked in one region, and the snapshots behind them.
import { paginateDescribeImages, paginateDescribeSnapshots, type Image } from '@aws-sdk/client-ec2';
import { fromTagList } from '../aws/tags.js';
import { withContext } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import type { OwnedImage } from './types.js';

/** Tag keys retire-amis reads or writes (bake-ami writes the first two). */
export const RETIRE_TAG = {
  name: 'golden-ami:name',
  bakeId: 'golden-ami:bake-id',
  keep: 'golden-ami:keep',
  disabledAt: 'golden-ami:disabled-at',
  /** On a snapshot just before its AMI is deregistered: a later run finishes its deletion. */
  retiredFrom: 'golden-ami:retired-from',
} as const;

function owned(region: string, i: Image): OwnedImage | undefined {
  const tags = fromTagList(i.Tags);
  const name = tags[RETIRE_TAG.name];
  const bakeId = tags[RETIRE_TAG.bakeId];
  // Provenance: both tags bake-ami writes, or it is not ours to retire.
  if (!i.ImageId || !name || !bakeId) return undefined;
  return {
    region,
    imageId: i.ImageId,
    imageName: i.Name ?? '',
    name,
    bakeId,
    state: i.State ?? 'unknown',
    created: i.CreationDate ? Date.parse(i.CreationDate) : 0,
    public: i.Public === true,
    tags,
    protection: i.DeregistrationProtection ?? 'disabled',
    ...(i.SourceImageId
      ? { sourceImageId: i.SourceImageId, sourceRegion: i.SourceImageRegion ?? region }
      : {}),
    snapshotIds: (i.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : [])),
  };
}

/**
 * Our AMIs with these bake names, disabled and deprecated ones included ("A disabled AMI does not
 * appear in DescribeImages API calls by default", DisableImage API reference).
 */
export async function readImages(ctx: ActionContext, region: string, names: string[]): Promise<OwnedImage[]> {
  const out: OwnedImage[] = [];
  try {
    const pages = paginateDescribeImages(
      { client: ctx.clients.ec2(region), pageSize: 1000 },
      {
        Owners: ['self'],
        IncludeDisabled: true,
        IncludeDeprecated: true,
        Filters: [{ Name: `tag:${RETIRE_TAG.name}`, Values: names }],
      },
    );
    for await (const page of pages) {
      for (const i of page.Images ?? []) {
        const image = owned(region, i);
        if (image) out.push(image);
      }
    }
  } catch (err) {
    throw withContext(`DescribeImages in ${region}`, err);
  }
  return out;
}

export interface SnapshotInfo {
  snapshotId: string;
  bytes: number;
  bakeId?: string;
}

/** Size and provenance of the given snapshots (ours only), by id. */
export async function readSnapshots(
  ctx: ActionContext,
  region: string,
  snapshotIds: string[],
): Promise<Map<string, SnapshotInfo>> {
  const found = new Map<string, SnapshotInfo>();
  // The snapshot-id filter answers only what exists (SnapshotIds would fail on one missing id).
  for (let i = 0; i < snapshotIds.length; i += 200) {
    try {
      const pages = paginateDescribeSnapshots(
        { client: ctx.clients.ec2(region), pageSize: 1000 },
        { OwnerIds: ['self'], Filters: [{ Name: 'snapshot-id', Values: snapshotIds.slice(i, i + 200) }] },
      );
      for await (const page of pages) {
        for (const s of page.Snapshots ?? []) {
          if (!s.SnapshotId) continue;
          const bakeId = fromTagList(s.Tags)[RETIRE_TAG.bakeId];
          found.set(s.SnapshotId, {
            snapshotId: s.SnapshotId,
            bytes: (s.VolumeSize ?? 0) * 1024 ** 3,
            ...(bakeId ? { bakeId } : {}),
          });
        }
      }
    } catch (err) {
      throw withContext(`DescribeSnapshots in ${region}`, err);
    }
  }
  return found;
}

/** Our snapshots marked retired-from an AMI (an earlier run deregistered it, or was about to). */
export async function readRetiredSnapshots(
  ctx: ActionContext,
  region: string,
  names: string[],
): Promise<(SnapshotInfo & { imageId: string })[]> {
  const out: (SnapshotInfo & { imageId: string })[] = [];
  try {
    const pages = paginateDescribeSnapshots(
      { client: ctx.clients.ec2(region), pageSize: 1000 },
      {
        OwnerIds: ['self'],
        // Only our names: another pipeline's marked snapshots are its own business.
        Filters: [
          { Name: 'tag-key', Values: [RETIRE_TAG.retiredFrom] },
          { Name: `tag:${RETIRE_TAG.name}`, Values: names },
        ],
      },
    );
    for await (const page of pages) {
      for (const s of page.Snapshots ?? []) {
        const tags = fromTagList(s.Tags);
        const imageId = tags[RETIRE_TAG.retiredFrom];
        const bakeId = tags[RETIRE_TAG.bakeId];
        if (!s.SnapshotId || !imageId || !bakeId) continue;
        out.push({ snapshotId: s.SnapshotId, bytes: (s.VolumeSize ?? 0) * 1024 ** 3, bakeId, imageId });
      }
    }
  } catch (err) {
    throw withContext(`DescribeSnapshots in ${region}`, err);
  }
  return out;
}
