import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { withContext } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';

/** An EC2 filter takes at most 200 values. */
const IDS_PER_CALL = 200;

/**
 * The image each instance runs, by instance id. Uses the `instance-id` filter, which returns only
 * what exists, so an instance terminated meanwhile does not fail the whole call.
 */
export async function instanceImages(
  ctx: ActionContext,
  region: string,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const images = new Map<string, string>();
  for (let i = 0; i < ids.length; i += IDS_PER_CALL) {
    const chunk = ids.slice(i, i + IDS_PER_CALL);
    let token: string | undefined;
    do {
      const out = await ctx.clients
        .ec2(region)
        .send(
          new DescribeInstancesCommand({
            Filters: [{ Name: 'instance-id', Values: chunk }],
            NextToken: token,
          }),
          {
            abortSignal: ctx.signal,
          },
        )
        .catch((err: unknown) => {
          throw withContext(`describing instances in ${region}`, err);
        });
      for (const r of out.Reservations ?? [])
        for (const inst of r.Instances ?? [])
          if (inst.InstanceId && inst.ImageId) images.set(inst.InstanceId, inst.ImageId);
      token = out.NextToken;
    } while (token);
  }
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
