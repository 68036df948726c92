// Whether an AMI is this pipeline's to record: owned by an allowed account and baked by bake-ami.
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import type { ActionContext } from '../core/context.js';
import { ActionFailure, withContext } from '../core/errors.js';
import { BAKE_ID_TAG, type ImageFacts } from './images.js';
import type { ProvenanceRule } from './types.js';

const SELF_ONLY: ProvenanceRule = { allowedOwners: ['self'], allowForeign: false };

/**
 * Why `image` is not this pipeline's, or undefined when it is. EC2 answers the owner question
 * itself (DescribeImages with Owners, where `self` is the caller's account), so no account id is
 * needed here; the bake id is the tag bake-ami writes at creation.
 */
export async function foreignReason(
  ctx: ActionContext,
  image: ImageFacts,
  rule: ProvenanceRule = SELF_ONLY,
): Promise<string | undefined> {
  const owners = [...rule.allowedOwners];
  const out = await ctx.clients
    .ec2(image.region)
    .send(new DescribeImagesCommand({ ImageIds: [image.amiId], Owners: owners }), { abortSignal: ctx.signal })
    .catch((err: unknown) => {
      throw withContext(`checking who owns ${image.amiId} in ${image.region}`, err);
    });
  const owned = out.Images?.some((i) => i.ImageId === image.amiId);
  if (!owned) return `it is owned by an account not in allowed-owners (${owners.join(', ')})`;
  if (!image.bakeId) return `it has no ${BAKE_ID_TAG} tag: bake-ami did not bake it`;
  return undefined;
}

/** Refuses a foreign AMI, or (with allow-foreign-ami) returns the note that says it was let through. */
export async function checkProvenance(
  ctx: ActionContext,
  image: ImageFacts,
  rule: ProvenanceRule | undefined,
): Promise<string | undefined> {
  const reason = await foreignReason(ctx, image, rule);
  if (!reason) return undefined;
  const what = `${image.amiId} in ${image.region} is not an AMI this pipeline baked: ${reason}`;
  if (!rule?.allowForeign)
    throw new ActionFailure(`${what}; set allow-foreign-ami: true to record it anyway`);
  ctx.log.warning(`${what}; recording it because allow-foreign-ami is true`);
  return `${what} (allow-foreign-ami)`;
}
