// One AMI as EC2 describes it in a region (DescribeImages by id), or undefined when it cannot see it.
import { DescribeImagesCommand, type EC2Client, type Image } from '@aws-sdk/client-ec2';
import { withContext } from '../core/errors.js';
import { hasCode } from './errors.js';

/**
 * The image `amiId` in the client's region; undefined when that region cannot see it (AMI ids are
 * per region: not found, unavailable to this account, or malformed all mean that). Other errors
 * say which AMI and region.
 */
export async function describeImage(
  client: EC2Client,
  region: string,
  amiId: string,
  signal?: AbortSignal,
): Promise<Image | undefined> {
  try {
    const out = await client.send(new DescribeImagesCommand({ ImageIds: [amiId] }), { abortSignal: signal });
    return out.Images?.find((i) => i.ImageId === amiId);
  } catch (err) {
    if (hasCode(err, 'InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable', 'InvalidAMIID.Malformed'))
      return undefined;
    throw withContext(`describing ${amiId} in ${region}`, err);
  }
}
