// imds-support: v2.0 on the AMI and every copy (ModifyImageAttribute ImdsSupport), where not set yet.
import { ModifyImageAttributeCommand } from '@aws-sdk/client-ec2';
import { withContext } from '../../core/errors.js';
import type { ActionContext } from '../../core/context.js';
import { readImages } from './deprecate.js';

/**
 * ImdsSupport: "Set to v2.0 to indicate that IMDSv2 is specified in the AMI. Instances launched
 * from this AMI will have HttpTokens automatically set to required … After you set the value to
 * v2.0, you can't undo it." (API_ModifyImageAttribute). Each image is set on its own, so a copy or a
 * reused AMI that lacks it gets it too. Returns the images changed.
 */
export async function requireImdsV2(ctx: ActionContext, amis: Record<string, string>): Promise<string[]> {
  const images = await readImages(ctx, amis);
  const missing = images.filter((i) => i.image?.ImdsSupport !== 'v2.0');
  await Promise.all(
    missing.map(({ region, imageId }) =>
      ctx.clients
        .ec2(region)
        .send(new ModifyImageAttributeCommand({ ImageId: imageId, ImdsSupport: { Value: 'v2.0' } }))
        .catch((err: unknown) => {
          throw withContext(`requiring IMDSv2 on ${imageId} in ${region}`, err);
        }),
    ),
  );
  for (const { region, imageId } of missing) ctx.log.info(`${imageId} in ${region} now requires IMDSv2.`);
  return missing.map((i) => i.imageId);
}
