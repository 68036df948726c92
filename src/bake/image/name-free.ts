// The AMI name checked free before anything is launched: AMI names are unique per account and
// region, so a clash found only at CreateImage (or at a copy's CopyImage) would waste the bake.
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import type { ActionContext } from '../../core/context.js';
import { ConfigurationError, withContext } from '../../core/errors.js';
import { fromTagList } from '../../aws/tags.js';
import { TAG } from '../tags.js';

/** Refuses, naming ami-name-template, when an AMI we own (not this bake's) already has `name` in any of `regions`. */
export async function checkNameFree(
  ctx: ActionContext,
  name: string,
  o: { regions: string[]; bakeId: string },
): Promise<void> {
  const { regions } = o;
  const taken = await Promise.all(
    regions.map(async (region) => {
      const out = await ctx.clients
        .ec2(region)
        .send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] }), {
          abortSignal: ctx.signal,
        })
        .catch((err: unknown) => {
          throw withContext(`looking for an AMI named ${name} in ${region}`, err);
        });
      // This bake's own image (a retried call's) is no clash.
      const image = out.Images?.find(
        (i) => i.State !== 'deregistered' && fromTagList(i.Tags)[TAG.bakeId] !== o.bakeId,
      );
      return image ? `${region} (${image.ImageId ?? '?'})` : undefined;
    }),
  );
  const where = taken.filter((t): t is string => t !== undefined);
  if (where.length)
    throw new ConfigurationError([
      `ami-name-template: an AMI named "${name}" already exists in ${where.join(', ')}; AMI names are unique per region, so give a template with {time} or {bake-id}, or another name`,
    ]);
}
