// Reads what the pipeline left behind through the public APIs, as a user would check it.
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Localcloud } from '../localcloud/index.js';
import { REGION } from './fleet.js';

const config = (lc: Localcloud) => ({
  region: REGION,
  endpoint: lc.url,
  credentials: {
    accessKeyId: 'AKIALOCALCLOUD000000',
    secretAccessKey: 'localcloud-secret-key-do-not-use-000000',
  },
});

/** The AMIs the group's InService instances run, sorted and deduplicated. */
export async function groupAmis(lc: Localcloud, groupName: string): Promise<string[]> {
  const asg = new AutoScalingClient(config(lc));
  const ec2 = new EC2Client(config(lc));
  try {
    const g = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] }));
    const ids = (g.AutoScalingGroups?.[0]?.Instances ?? [])
      .filter((i) => i.LifecycleState === 'InService')
      .map((i) => i.InstanceId!);
    if (!ids.length) return [];
    const out = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: ids }] }),
    );
    const amis = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.ImageId!);
    return [...new Set(amis)].sort();
  } finally {
    asg.destroy();
    ec2.destroy();
  }
}

/** The value of `name` or `name:label`, or undefined when there is none. */
export async function parameterValue(lc: Localcloud, selector: string): Promise<string | undefined> {
  const ssm = new SSMClient(config(lc));
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: selector }));
    return out.Parameter?.Value;
  } catch (err) {
    if (
      (err as { name?: string }).name === 'ParameterNotFound' ||
      (err as { name?: string }).name === 'ParameterVersionLabelNotFound'
    )
      return undefined;
    throw err;
  }
}
