// Reads what the pipeline left behind through the public APIs, as a user would check it.
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, GetParameterHistoryCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Localcloud } from '../localcloud/index.js';
import { REGION } from './fleet.js';

/** SDK client settings for localcloud in the fleet's region, with its dummy credentials. */
export const config = (lc: Localcloud, region: string = REGION) => ({
  region,
  endpoint: lc.url,
  credentials: {
    accessKeyId: 'AKIALOCALCLOUD000000',
    secretAccessKey: 'localcloud-secret-key-do-not-use-000000',
  },
});

/** The AMIs the group's InService instances run, sorted and deduplicated. */
export async function groupAmis(lc: Localcloud, groupName: string, region = REGION): Promise<string[]> {
  const asg = new AutoScalingClient(config(lc, region));
  const ec2 = new EC2Client(config(lc, region));
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
export async function parameterValue(
  lc: Localcloud,
  selector: string,
  region = REGION,
): Promise<string | undefined> {
  const ssm = new SSMClient(config(lc, region));
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

/** The parameter's history as `version:value[label,…]`, oldest first (as promote's unit tests print it). */
export async function parameterHistory(lc: Localcloud, name: string): Promise<string[]> {
  const ssm = new SSMClient(config(lc));
  try {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await ssm.send(new GetParameterHistoryCommand({ Name: name, NextToken: token }));
      for (const p of page.Parameters ?? [])
        out.push(`${p.Version}:${p.Value}${p.Labels?.length ? `[${[...p.Labels].sort().join(',')}]` : ''}`);
      token = page.NextToken;
    } while (token);
    return out;
  } catch (err) {
    if ((err as { name?: string }).name === 'ParameterNotFound') return [];
    throw err;
  }
}

/**
 * A group's launch template as a user checks it: the version the group names, every version that
 * exists (number → ImageId), and what `$Latest` and `$Default` resolve to.
 */
export async function templateState(
  lc: Localcloud,
  groupName: string,
): Promise<{ groupVersion?: string; versions: Record<number, string>; latest?: number; default?: number }> {
  const asg = new AutoScalingClient(config(lc));
  const ec2 = new EC2Client(config(lc));
  try {
    const g = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] }));
    const spec = g.AutoScalingGroups?.[0]?.LaunchTemplate;
    const id = spec?.LaunchTemplateId;
    const all = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id }));
    const versions: Record<number, string> = {};
    for (const v of all.LaunchTemplateVersions ?? [])
      versions[v.VersionNumber!] = v.LaunchTemplateData?.ImageId ?? '';
    const resolve = async (which: string) =>
      (await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: [which] })))
        .LaunchTemplateVersions?.[0]?.VersionNumber;
    return {
      ...(spec?.Version ? { groupVersion: spec.Version } : {}),
      versions,
      latest: await resolve('$Latest'),
      default: await resolve('$Default'),
    };
  } finally {
    asg.destroy();
    ec2.destroy();
  }
}
