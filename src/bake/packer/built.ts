// What Packer really built, read back from AWS: a template may choose its own source image and AMI
// name, and bake-ami's outputs and provenance must then say what was built, not what was asked.
import { CreateTagsCommand, DescribeImagesCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { toTagList } from '../../aws/tags.js';
import type { ActionContext } from '../../core/context.js';
import { describeError } from '../../core/errors.js';
import { TAG } from '../tags.js';

export interface Built {
  /** The AMI's name as AWS holds it. */
  name?: string;
  /** The image Packer's builder was launched from. */
  sourceAmiId?: string;
}

/** Reads the AMI's name and its builder's image; what cannot be read stays undefined. */
export async function readBuilt(ctx: ActionContext, imageId: string, builderId?: string): Promise<Built> {
  const ec2 = ctx.clients.ec2();
  const opts = { abortSignal: ctx.signal };
  const [image, builder] = await Promise.all([
    ec2
      .send(new DescribeImagesCommand({ ImageIds: [imageId] }), opts)
      .then((o) => o.Images?.[0])
      .catch(() => undefined),
    builderId
      ? ec2
          .send(new DescribeInstancesCommand({ InstanceIds: [builderId] }), opts)
          .then((o) => o.Reservations?.[0]?.Instances?.[0])
          .catch(() => undefined)
      : undefined,
  ]);
  return {
    ...(image?.Name ? { name: image.Name } : {}),
    ...(builder?.ImageId ? { sourceAmiId: builder.ImageId } : {}),
  };
}

/**
 * The template built from another image than the one bake-ami resolved: the AMIs' provenance says
 * the real source, and their fingerprint (made from the resolved source) is withdrawn, so reuse
 * never returns an image whose source the fingerprint does not cover.
 */
export async function disownFingerprint(
  ctx: ActionContext,
  amis: Record<string, string>,
  o: { resolved: string; built: string },
): Promise<void> {
  ctx.log.warning(
    `packer-template built from ${o.built}, not the source bake-ami resolved (${o.resolved}): outputs and tags name ${o.built}, and this AMI is never reused (pass source_ami to the template's source to make it reusable).`,
  );
  const tags = toTagList({ [TAG.sourceAmi]: o.built, [TAG.fingerprint]: `none: built from ${o.built}` });
  for (const [region, imageId] of Object.entries(amis))
    await ctx.clients
      .ec2(region)
      .send(new CreateTagsCommand({ Resources: [imageId], Tags: tags }))
      .catch((err: unknown) =>
        ctx.log.warning(`Could not retag ${imageId} in ${region}: ${describeError(err)}`),
      );
}
