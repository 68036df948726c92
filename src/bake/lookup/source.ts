// Resolves source-ami (an id or resolve:ssm:) or source-ami-filter to one available image and its platform.
import { DescribeImagesCommand, paginateDescribeImages, type Image } from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { hasCode } from '../../aws/errors.js';
import { ActionFailure, withContext } from '../../core/errors.js';
import type { ActionContext } from '../../core/context.js';

export type Platform = 'linux' | 'windows';

export interface SourceImage {
  imageId: string;
  name?: string;
  platform: Platform;
  rootDeviceName?: string;
  /** How the user named it: the id, the SSM parameter or the filter. */
  via: string;
}

export interface SourceOptions {
  sourceAmi?: string;
  sourceAmiFilter?: string;
  sourceAmiOwners: string[];
}

const SSM_PREFIX = 'resolve:ssm:';

export function platformOf(image: Image): Platform {
  // AWS sends "windows" though the SDK's enum spells it "Windows".
  return image.Platform?.toLowerCase() === 'windows' || /^windows/i.test(image.PlatformDetails ?? '')
    ? 'windows'
    : 'linux';
}

function describe(image: Image, via: string): SourceImage {
  if (!image.ImageId) throw new ActionFailure(`source image from ${via} has no ImageId`);
  return {
    imageId: image.ImageId,
    name: image.Name,
    platform: platformOf(image),
    rootDeviceName: image.RootDeviceName,
    via,
  };
}

/** source-ami (an id or resolve:ssm:<parameter>) or the newest available match of source-ami-filter. */
export async function resolveSource(ctx: ActionContext, o: SourceOptions): Promise<SourceImage> {
  const ec2 = ctx.clients.ec2();
  const signal = ctx.signal;
  if (o.sourceAmiFilter) {
    const pattern = o.sourceAmiFilter;
    const images: Image[] = [];
    const pages = paginateDescribeImages(
      { client: ec2 },
      {
        Owners: o.sourceAmiOwners,
        Filters: [
          { Name: 'name', Values: [pattern] },
          { Name: 'state', Values: ['available'] },
        ],
      },
      { abortSignal: signal },
    );
    try {
      for await (const page of pages) images.push(...(page.Images ?? []));
    } catch (err) {
      throw withContext(`source-ami-filter: DescribeImages for ${pattern}`, err);
    }
    // ISO 8601 creation dates sort as strings.
    const newest = images.sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''))[0];
    if (!newest)
      throw new ActionFailure(
        `source-ami-filter: no available AMI named ${JSON.stringify(pattern)} owned by ${o.sourceAmiOwners.join(', ')} in ${ctx.clients.defaultRegion}`,
      );
    return describe(newest, `source-ami-filter ${pattern}`);
  }

  const given = o.sourceAmi ?? '';
  let imageId = given;
  let via = given;
  if (given.startsWith(SSM_PREFIX)) {
    const parameter = given.slice(SSM_PREFIX.length);
    via = `SSM parameter ${parameter}`;
    const out = await ctx.clients
      .ssm()
      .send(new GetParameterCommand({ Name: parameter }), { abortSignal: signal })
      .catch((err: unknown) => {
        if (hasCode(err, 'ParameterNotFound', 'ParameterVersionNotFound'))
          throw new ActionFailure(
            `source-ami: SSM parameter ${parameter} does not exist in ${ctx.clients.defaultRegion} (or is not visible to this account)`,
          );
        throw withContext(`source-ami: reading SSM parameter ${parameter}`, err);
      });
    imageId = out.Parameter?.Value?.trim() ?? '';
    if (!/^ami-[0-9a-f]+$/.test(imageId))
      throw new ActionFailure(
        `source-ami: SSM parameter ${parameter} holds ${JSON.stringify(imageId)}, not an AMI id`,
      );
  }
  const out = await ec2
    .send(new DescribeImagesCommand({ ImageIds: [imageId] }), { abortSignal: signal })
    .catch((err: unknown) => {
      if (hasCode(err, 'InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable', 'InvalidAMIID.Malformed'))
        throw new ActionFailure(
          `source-ami: ${imageId} does not exist in ${ctx.clients.defaultRegion} or is not visible to this account`,
        );
      throw withContext(`source-ami: DescribeImages ${imageId}`, err);
    });
  const image = out.Images?.[0];
  if (!image)
    throw new ActionFailure(
      `source-ami: ${imageId} does not exist in ${ctx.clients.defaultRegion} or is not visible to this account`,
    );
  if (image.State !== 'available')
    throw new ActionFailure(
      `source-ami: ${imageId} is ${image.State ?? 'in an unknown state'}, not available`,
    );
  return describe(image, via);
}
