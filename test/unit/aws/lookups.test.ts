// The shared lookups in src/aws: every page through the SDK's paginators, names in batches of 100,
// filter values in batches the caller makes, and an AMI a region cannot see read as undefined.
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  type DescribeAutoScalingGroupsCommandInput,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  type DescribeInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { describeGroups } from '../../../src/aws/groups.js';
import { describeImage } from '../../../src/aws/images.js';
import { instancePages } from '../../../src/aws/instances.js';

/** An error as the SDK throws it: a name and $metadata. */
const awsError = (name: string) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: 400, requestId: 'r-1' } });

const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };
const asg = mockClient(AutoScalingClient);
const ec2 = mockClient(EC2Client);
afterEach(() => {
  asg.reset();
  ec2.reset();
});

describe('describeGroups', () => {
  it('asks for 100 names a call, follows NextToken, and sends the tags as filters', async () => {
    const names = Array.from({ length: 150 }, (_, i) => `g-${i}`);
    const seen: DescribeAutoScalingGroupsCommandInput[] = [];
    asg.on(DescribeAutoScalingGroupsCommand).callsFake((input: DescribeAutoScalingGroupsCommandInput) => {
      seen.push({ ...input });
      const asked = input.AutoScalingGroupNames ?? [];
      // The first batch answers in two pages of 50.
      if (asked.length === 100 && !input.NextToken)
        return {
          AutoScalingGroups: asked.slice(0, 50).map((n) => ({ AutoScalingGroupName: n })),
          NextToken: 't',
        };
      if (asked.length === 100)
        return { AutoScalingGroups: asked.slice(50).map((n) => ({ AutoScalingGroupName: n })) };
      return { AutoScalingGroups: asked.map((n) => ({ AutoScalingGroupName: n })) };
    });
    const groups = await describeGroups(new AutoScalingClient({ region: 'us-east-1', credentials }), {
      names,
      tags: { Environment: 'staging' },
    });
    expect(groups.map((g) => g.AutoScalingGroupName)).toEqual(names);
    expect(seen.map((i) => [i.AutoScalingGroupNames?.length, i.NextToken, i.MaxRecords])).toEqual([
      [100, undefined, 100],
      [100, 't', 100],
      [50, undefined, 100],
    ]);
    expect(seen[0]!.Filters).toEqual([{ Name: 'tag:Environment', Values: ['staging'] }]);
  });

  it('without names or tags asks for every group', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    await describeGroups(new AutoScalingClient({ region: 'us-east-1', credentials }));
    const input = asg.commandCalls(DescribeAutoScalingGroupsCommand)[0]!.args[0].input;
    expect(input.AutoScalingGroupNames).toBeUndefined();
    expect(input.Filters).toBeUndefined();
  });
});

describe('instancePages', () => {
  it('yields the instances of every page of one filter', async () => {
    const tokens: (string | undefined)[] = [];
    ec2.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => {
      tokens.push(input.NextToken);
      expect(input.Filters).toEqual([{ Name: 'instance-id', Values: ['i-1', 'i-2'] }]);
      expect(input.MaxResults).toBe(1000);
      return input.NextToken
        ? { Reservations: [{ Instances: [{ InstanceId: 'i-2' }] }] }
        : { Reservations: [{ Instances: [{ InstanceId: 'i-1' }] }], NextToken: 'p2' };
    });
    const pages: string[][] = [];
    for await (const page of instancePages(
      new EC2Client({ region: 'us-east-1', credentials }),
      { name: 'instance-id', values: ['i-1', 'i-2'] },
      { pageSize: 1000 },
    ))
      pages.push(page.map((i) => i.InstanceId!));
    expect(pages).toEqual([['i-1'], ['i-2']]);
    expect(tokens).toEqual([undefined, 'p2']);
  });
});

describe('describeImage', () => {
  const client = () => new EC2Client({ region: 'eu-west-1', credentials });

  it('reads an AMI the region cannot see as undefined', async () => {
    ec2.on(DescribeImagesCommand).rejects(awsError('InvalidAMIID.NotFound'));
    await expect(describeImage(client(), 'eu-west-1', 'ami-0123456789abcdef0')).resolves.toBeUndefined();
  });

  it('names the AMI and region in any other failure', async () => {
    ec2.on(DescribeImagesCommand).rejects(awsError('UnauthorizedOperation'));
    await expect(describeImage(client(), 'eu-west-1', 'ami-0123456789abcdef0')).rejects.toThrow(
      /describing ami-0123456789abcdef0 in eu-west-1/,
    );
  });
});
