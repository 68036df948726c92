// Looks up an earlier AMI of this bake name with the same fingerprint, in one region.
import { DescribeImagesCommand, type Image } from '@aws-sdk/client-ec2';
import { fromTagList } from '../../aws/tags.js';
import { withContext } from '../../core/errors.js';
import type { ActionContext } from '../../core/context.js';
import { TAG } from '../tags.js';

export interface ReuseQuery {
  region: string;
  bakeName: string;
  fingerprint: string;
  /** reuse-max-age as a clock ms: an image created before it is rebaked. */
  notBefore?: number;
  /** A copy: the KMS key it must have been made with (kms-key-ids; '' for none given). */
  kmsKey?: string;
  /** Told when copies exist only on another key (a new copy needs a name of its own). */
  onOtherKey?: () => void;
}

/** The newest available, completed AMI we own with this bake name and fingerprint, in one region, fit to reuse. */
export async function findReusable(ctx: ActionContext, o: ReuseQuery): Promise<Image | undefined> {
  const out = await ctx.clients
    .ec2(o.region)
    .send(
      new DescribeImagesCommand({
        Owners: ['self'],
        Filters: [
          { Name: `tag:${TAG.fingerprint}`, Values: [o.fingerprint] },
          { Name: `tag:${TAG.name}`, Values: [o.bakeName] },
          { Name: 'state', Values: ['available'] },
          // Only a finished bake's AMI: one whose job died before its test or copies is no result.
          { Name: 'tag-key', Values: [TAG.completed] },
        ],
      }),
      { abortSignal: ctx.signal },
    )
    .catch((err: unknown) => {
      throw withContext(
        `looking for an AMI with fingerprint ${o.fingerprint.slice(0, 12)} in ${o.region}`,
        err,
      );
    });
  const images = (out.Images ?? []).sort((a, b) =>
    (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''),
  );
  const onKey = images.filter(
    (i) => o.kmsKey === undefined || (fromTagList(i.Tags)[TAG.kmsKey] ?? '') === o.kmsKey,
  );
  if (images.length && !onKey.length) o.onOtherKey?.();
  if (images.length && !onKey.length)
    ctx.log.info(
      `${o.region}: ${images[0]!.ImageId} is not on ${o.kmsKey ? `KMS key ${o.kmsKey}` : 'the default key'} (it was copied with ${fromTagList(images[0]!.Tags)[TAG.kmsKey] ?? 'no key named'}): copying anew.`,
    );
  const newest = onKey[0];
  if (newest && o.notBefore !== undefined && Date.parse(newest.CreationDate ?? '') < o.notBefore) {
    ctx.log.info(
      `${newest.ImageId} in ${o.region} was created ${newest.CreationDate ?? 'at an unknown time'}, before ${new Date(o.notBefore).toISOString()} (reuse-max-age): rebaking.`,
    );
    return undefined;
  }
  return newest;
}
