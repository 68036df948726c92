// EC2 in localcloud across regions, through the AWS SDK v3: DescribeRegions lists the regions
// enabled for the account (opt-in ones only once opted in), and each region names its instances'
// private DNS as AWS does (ec2.internal in us-east-1, <region>.compute.internal elsewhere).
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  DescribeInstancesCommand,
  DescribeRegionsCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { start, type Localcloud } from './index.js';
import { baseImageId } from './seed.js';
import { clientConfig } from './test-support.js';

jest.setTimeout(30_000);

const AL2023 = 'al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64';
let lc: Localcloud;
const clients: EC2Client[] = [];
const ec2 = (region: string) => {
  const c = new EC2Client(clientConfig(lc, region));
  clients.push(c);
  return c;
};

beforeAll(async () => {
  lc = await start({ durations: { instanceBoot: 50, provision: 50 } });
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await lc.stop();
});

describe('DescribeRegions', () => {
  it('lists the regions enabled for the account; AllRegions adds the opt-in ones not enabled', async () => {
    const enabled = await ec2('eu-west-1').send(new DescribeRegionsCommand({}));
    const names = enabled.Regions!.map((r) => r.RegionName!);
    expect(names).toEqual(expect.arrayContaining(['us-east-1', 'us-west-2', 'eu-west-1']));
    expect(names).not.toContain('af-south-1');
    expect(new Set(enabled.Regions!.map((r) => r.OptInStatus))).toEqual(new Set(['opt-in-not-required']));

    const all = await ec2('eu-west-1').send(new DescribeRegionsCommand({ AllRegions: true }));
    expect(all.Regions!.find((r) => r.RegionName === 'af-south-1')).toMatchObject({
      OptInStatus: 'not-opted-in',
      Endpoint: 'ec2.af-south-1.amazonaws.com',
    });
    expect(all.Regions!.length).toBe(names.length + 3);
  });

  it('names any region asked for, enabled or not, and filters by opt-in-status', async () => {
    const named = await ec2('us-east-1').send(
      new DescribeRegionsCommand({ RegionNames: ['af-south-1', 'us-west-2'] }),
    );
    expect(named.Regions!.map((r) => [r.RegionName, r.OptInStatus]).sort()).toEqual([
      ['af-south-1', 'not-opted-in'],
      ['us-west-2', 'opt-in-not-required'],
    ]);
    const off = await ec2('us-east-1').send(
      new DescribeRegionsCommand({
        AllRegions: true,
        Filters: [{ Name: 'opt-in-status', Values: ['not-opted-in'] }],
      }),
    );
    expect(off.Regions!.map((r) => r.RegionName).sort()).toEqual(['af-south-1', 'ap-east-1', 'me-south-1']);
  });
});

describe('private DNS names', () => {
  it('are ip-<address>.ec2.internal in us-east-1 and ip-<address>.<region>.compute.internal elsewhere', async () => {
    const names: Record<string, string> = {};
    for (const region of ['us-east-1', 'us-west-2']) {
      const client = ec2(region);
      const run = await client.send(
        new RunInstancesCommand({ ImageId: baseImageId(region, AL2023), MinCount: 1, MaxCount: 1 }),
      );
      const id = run.Instances![0]!.InstanceId!;
      const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
      const i = out.Reservations![0]!.Instances![0]!;
      const dashed = i.PrivateIpAddress!.replaceAll('.', '-');
      names[region] = i.PrivateDnsName!;
      expect(i.PrivateDnsName).toBe(
        region === 'us-east-1' ? `ip-${dashed}.ec2.internal` : `ip-${dashed}.${region}.compute.internal`,
      );
      // The private-dns-name filter finds it by that name, in its own region only.
      const found = await client.send(
        new DescribeInstancesCommand({
          Filters: [{ Name: 'private-dns-name', Values: [i.PrivateDnsName!] }],
        }),
      );
      expect(found.Reservations!.flatMap((r) => r.Instances!).map((x) => x.InstanceId)).toEqual([id]);
    }
    expect(names['us-west-2']).toMatch(/\.us-west-2\.compute\.internal$/);
  });
});
