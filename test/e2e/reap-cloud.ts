// What the reap e2e tests need from a running localcloud, in one place: EC2 instances made through
// the AWS SDK (so their states are real EC2 answers), Octopus targets seeded in-process, the call
// and mutation logs, and EC2 faults.
import {
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { localcloudEnv } from '../harness/run-action.js';
import { start } from '../localcloud/index.js';
import { DEFAULT_API_KEY, type Octopus } from '../localcloud/octopus/index.js';

export type Cloud = Awaited<ReturnType<typeof startCloud>>;

export async function startCloud() {
  const lc = await start({ port: 0 });
  const octopus: Octopus = lc.octopus;
  const creds = {
    accessKeyId: 'AKIALOCALCLOUD000000',
    secretAccessKey: 'localcloud-secret-key-do-not-use-000000',
  };
  const ec2 = (region = 'us-east-1') => new EC2Client({ region, endpoint: lc.url, credentials: creds });
  const ssm = (region: string) => new SSMClient({ region, endpoint: lc.url, credentials: creds });

  async function launch(count: number, region = 'us-east-1'): Promise<string[]> {
    const image = await ssm(region).send(
      new GetParameterCommand({
        Name: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
      }),
    );
    const ids: string[] = [];
    const client = ec2(region);
    for (let left = count; left > 0; left -= 100) {
      const n = Math.min(left, 100);
      const r = await client.send(
        new RunInstancesCommand({
          ImageId: image.Parameter!.Value!,
          InstanceType: 't3.micro',
          MinCount: n,
          MaxCount: n,
        }),
      );
      ids.push(...(r.Instances ?? []).map((i) => i.InstanceId!));
    }
    return ids;
  }

  return {
    url: lc.url,
    octopus,
    env: (region = 'us-east-1') => ({
      ...localcloudEnv(lc.url, region),
      OCTOPUS_URL: `${lc.url}/octopus`,
      OCTOPUS_API_KEY: DEFAULT_API_KEY,
    }),
    launch,
    /** Each instance's private DNS name, as EC2 in its region gives it. */
    privateDns: async (ids: string[], region = 'us-east-1') => {
      const out = await ec2(region).send(new DescribeInstancesCommand({ InstanceIds: ids }));
      const names = new Map(
        (out.Reservations ?? [])
          .flatMap((r) => r.Instances ?? [])
          .map((i) => [i.InstanceId!, i.PrivateDnsName!]),
      );
      return ids.map((id) => names.get(id)!);
    },
    describeRegionsCalls: () => lc.logs.calls.query({ service: 'ec2', operation: 'DescribeRegions' }).length,
    regionsAsked: () =>
      [
        ...new Set(
          lc.logs.calls.query({ service: 'ec2', operation: 'DescribeInstances' }).map((c) => c.region),
        ),
      ].sort(),
    terminate: (ids: string[], region = 'us-east-1') =>
      ec2(region).send(new TerminateInstancesCommand({ InstanceIds: ids })),
    stop: (ids: string[], region = 'us-east-1') =>
      ec2(region).send(new StopInstancesCommand({ InstanceIds: ids })),
    describeCalls: () => lc.logs.calls.query({ service: 'ec2', operation: 'DescribeInstances' }).length,
    octopusDeletes: () =>
      octopus.logs.mutations
        .filter((m) => m.operation === 'machines.delete')
        .map((m) => m.params.Name as string),
    ec2Outage: (sequence: string, region?: string) =>
      lc.faults.add({
        service: 'ec2',
        operation: 'DescribeInstances',
        kind: 'error',
        status: 500,
        sequence,
        ...(region ? { region } : {}),
      }),
    describeCallsIn: (region: string) =>
      lc.logs.calls.query({ service: 'ec2', operation: 'DescribeInstances', region }).length,
    listCalls: () => octopus.logs.calls.filter((c) => c.operation === 'machines.list').length,
    reset: () => {
      lc.world.reset();
      lc.logs.clear();
      lc.faults.clear();
      octopus.reset();
    },
    stopCloud: () => lc.stop(),
  };
}
