// The shared lookups in src/aws against localcloud in-process (test/unit/support/localcloud-context.ts):
// every page through the SDK's paginators, names in batches of 100, filter values in batches the
// caller makes, and an AMI a region cannot see read as undefined. Calls are read from its call log.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { describeGroups } from '../../../src/aws/groups.js';
import { describeImage } from '../../../src/aws/images.js';
import { instancePages } from '../../../src/aws/instances.js';
import { seedGroup } from '../../localcloud/aws/autoscaling-seed.js';
import { launchInstance } from '../../localcloud/aws/ec2-instances.js';
import { baseImageId } from '../../localcloud/seed.js';
import { REGION, startCloud, type UnitCloud } from '../support/localcloud-context.js';

const AL2023 = 'al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64';
const EU = 'eu-west-1';

let cloud: UnitCloud;
beforeAll(async () => {
  cloud = await startCloud({ autoScaling: true });
});
afterAll(() => cloud.stop());
beforeEach(() => cloud.reset());

/** Groups g-000 … (localcloud lists groups by name), tagged Environment=`env`, with no instances. */
function groups(count: number, env = 'staging'): string[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `g-${String(i).padStart(3, '0')}`;
    seedGroup(cloud.lc.world, REGION, { name, desired: 0, targetGroup: false, tags: { Environment: env } });
    return name;
  });
}

/** The DescribeAutoScalingGroups calls: names asked, NextToken, MaxRecords, Filters. */
const groupCalls = () =>
  cloud.calls({ operation: 'DescribeAutoScalingGroups' }).map(({ params: p }) => ({
    names: (p.AutoScalingGroupNames as string[] | undefined)?.length,
    token: p.NextToken === undefined ? undefined : 'token',
    max: p.MaxRecords === undefined ? undefined : Number(p.MaxRecords),
    filters: p.Filters,
  }));

describe('describeGroups', () => {
  it('asks for 100 names a call and sends the tags as filters', async () => {
    const names = groups(150);
    // Named, but not staging: the filter leaves it out.
    seedGroup(cloud.lc.world, REGION, { name: 'g-150', desired: 0, targetGroup: false, tags: {} });
    const found = await describeGroups(cloud.clients.autoScaling(REGION), {
      names: [...names, 'g-150'],
      tags: { Environment: 'staging' },
    });
    expect(found.map((g) => g.AutoScalingGroupName)).toEqual(names);
    const filters = [{ Name: 'tag:Environment', Values: ['staging'] }];
    expect(groupCalls()).toEqual([
      { names: 100, token: undefined, max: 100, filters },
      { names: 51, token: undefined, max: 100, filters },
    ]);
  });

  it('without names or tags asks for every group, following NextToken', async () => {
    const names = groups(120);
    const found = await describeGroups(cloud.clients.autoScaling(REGION));
    expect(found.map((g) => g.AutoScalingGroupName)).toEqual(names);
    expect(groupCalls()).toEqual([
      { names: undefined, token: undefined, max: 100, filters: undefined },
      { names: undefined, token: 'token', max: 100, filters: undefined },
    ]);
  });
});

describe('instancePages', () => {
  it('yields the instances of every page of one filter', async () => {
    const region = cloud.lc.world.region(REGION);
    const launch = () => launchInstance(region, { imageId: baseImageId(REGION, AL2023) }).instanceId;
    const ids = Array.from({ length: 7 }, launch);
    launch(); // not asked about
    const pages: string[][] = [];
    for await (const page of instancePages(
      cloud.clients.ec2(REGION),
      { name: 'instance-id', values: ids },
      { pageSize: 5 },
    ))
      pages.push(page.map((i) => i.InstanceId!));
    expect(pages).toEqual([ids.slice(0, 5), ids.slice(5)]);
    const calls = cloud.calls({ operation: 'DescribeInstances' }).map((c) => c.params);
    expect(calls.map((p) => [p.Filters, Number(p.MaxResults), p.NextToken !== undefined])).toEqual([
      [[{ Name: 'instance-id', Values: ids }], 5, false],
      [[{ Name: 'instance-id', Values: ids }], 5, true],
    ]);
  });
});

describe('describeImage', () => {
  it('reads an AMI the region cannot see as undefined', async () => {
    // AMI ids are per region: us-east-1's Amazon Linux is not eu-west-1's.
    const east = baseImageId(REGION, AL2023);
    await expect(describeImage(cloud.clients.ec2(EU), EU, east)).resolves.toBeUndefined();
    await expect(describeImage(cloud.clients.ec2(REGION), REGION, east)).resolves.toMatchObject({
      ImageId: east,
      Name: AL2023,
    });
  });

  it('names the AMI and region in any other failure', async () => {
    cloud.lc.control.addFaults({ service: 'ec2', operation: 'DescribeImages', region: EU, kind: 'error' });
    await expect(describeImage(cloud.clients.ec2(EU), EU, baseImageId(EU, AL2023))).rejects.toThrow(
      new RegExp(`describing ${baseImageId(EU, AL2023)} in eu-west-1`),
    );
  });
});
