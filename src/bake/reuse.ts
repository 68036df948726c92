// Looks up an earlier AMI of this bake name with the same fingerprint, in one region.
import { DescribeImagesCommand, type Image } from '@aws-sdk/client-ec2';
import { withContext } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import { TAG } from './tags.js';

/** The newest available AMI we own with this bake name and fingerprint, in one region. */
export async function findReusable(
  ctx: ActionContext,
  o: { region: string; bakeName: string; fingerprint: string },
): Promise<Image | undefined> {
  const out = await ctx.clients
    .ec2(o.region)
    .send(
      new DescribeImagesCommand({
        Owners: ['self'],
        Filters: [
          { Name: `tag:${TAG.fingerprint}`, Values: [o.fingerprint] },
          { Name: `tag:${TAG.name}`, Values: [o.bakeName] },
          { Name: 'state', Values: ['available'] },
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
  return (out.Images ?? []).sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''))[0];
}
