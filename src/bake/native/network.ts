// Checks subnet-id and security-group-ids exist before anything is launched.
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { hasCode } from '../../aws/errors.js';
import { ActionFailure, withContext } from '../../core/errors.js';
import type { ActionContext } from '../../core/context.js';

/** Checks that the subnet and security groups exist, so a typo fails before anything is launched. */
export async function checkNetwork(
  ctx: ActionContext,
  o: { subnetId?: string; securityGroupIds: string[] },
): Promise<void> {
  const ec2 = ctx.clients.ec2();
  const region = ctx.clients.defaultRegion;
  if (o.subnetId) {
    await ec2
      .send(new DescribeSubnetsCommand({ SubnetIds: [o.subnetId] }), { abortSignal: ctx.signal })
      .catch((err: unknown) => {
        if (hasCode(err, 'InvalidSubnetID.NotFound', 'InvalidSubnetID.Malformed'))
          throw new ActionFailure(`subnet-id: ${o.subnetId} does not exist in ${region}`);
        throw withContext(`DescribeSubnets ${o.subnetId}`, err);
      });
  }
  if (o.securityGroupIds.length) {
    await ec2
      .send(new DescribeSecurityGroupsCommand({ GroupIds: o.securityGroupIds }), { abortSignal: ctx.signal })
      .catch((err: unknown) => {
        if (hasCode(err, 'InvalidGroup.NotFound', 'InvalidGroupId.Malformed'))
          throw new ActionFailure(
            `security-group-ids: ${o.securityGroupIds.join(', ')} not all exist in ${region} (${(err as Error).message})`,
          );
        throw withContext(`DescribeSecurityGroups ${o.securityGroupIds.join(', ')}`, err);
      });
  }
}
