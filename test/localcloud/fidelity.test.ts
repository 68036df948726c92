// The behaviours FIDELITY.md holds localcloud to that the other suites do not already prove:
// architecture checks, AvailabilityZones from subnets, traffic sources, the readings where the
// AWS documentation is silent (refresh order, impossible auto rollback), and a non-AWS answer.
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import {
  AttachTrafficSourcesCommand,
  AutoScalingClient,
  CancelInstanceRefreshCommand,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  DescribeTrafficSourcesCommand,
  RollbackInstanceRefreshCommand,
  StartInstanceRefreshCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateCommand,
  DescribeInstanceTypesCommand,
  DescribeSubnetsCommand,
  EC2Client,
  RunInstancesCommand,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import {
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { seedGroup, seedTemplateVersion } from './aws/autoscaling-seed.js';
import { start, type Localcloud } from './index.js';
import { baseImageId, seedImage } from './seed.js';
import { clientConfig, until } from './test-support.js';

// A bound for slow shared CI machines, not a performance assertion.
jest.setTimeout(60_000);

const REGION = 'us-east-1';
const ARM = 'al2023-ami-2023.6.20241212.0-kernel-6.1-arm64';
const X86 = 'al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64';

let lc: Localcloud;
let ec2: EC2Client;
let asg: AutoScalingClient;
let elb: ElasticLoadBalancingV2Client;

beforeAll(async () => {
  lc = await start({
    port: 0,
    durations: { instanceBoot: 60, instanceTerminate: 60, healthCheckDelay: 60, apiSecond: 1 },
  });
  ec2 = new EC2Client(clientConfig(lc));
  asg = new AutoScalingClient(clientConfig(lc));
  elb = new ElasticLoadBalancingV2Client(clientConfig(lc));
});

afterAll(async () => {
  ec2?.destroy();
  asg?.destroy();
  elb?.destroy();
  await lc?.stop();
});

beforeEach(async () => {
  await lc.control.reset();
});

const readings = (body: Record<string, unknown>) => lc.control.call('POST /autoscaling/readings', body);

async function refreshes(name: string) {
  return (await asg.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: name })))
    .InstanceRefreshes!;
}

describe('architecture', () => {
  it('RunInstances refuses an arm64 AMI on a t3 type with InvalidParameterValue, launching nothing', async () => {
    const err = await ec2
      .send(
        new RunInstancesCommand({
          ImageId: baseImageId(REGION, ARM),
          InstanceType: 't3.micro',
          MinCount: 1,
          MaxCount: 1,
        }),
      )
      .catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'InvalidParameterValue' });
    expect((err as Error).message).toContain(
      "The architecture 'x86_64' of the specified instance type does not match the architecture 'arm64' of the specified AMI.",
    );
    expect(lc.logs.mutations.query({ operation: 'RunInstances' })).toEqual([]);
    // The matching type launches.
    const ok = await ec2.send(
      new RunInstancesCommand({
        ImageId: baseImageId(REGION, ARM),
        InstanceType: 't4g.micro',
        MinCount: 1,
        MaxCount: 1,
      }),
    );
    expect(ok.Instances?.[0]?.Architecture).toBe('arm64');
  });

  it('DescribeInstanceTypes names the architectures of a type, and filters by architecture', async () => {
    const out = await ec2.send(
      new DescribeInstanceTypesCommand({ InstanceTypes: ['t3.micro', 't4g.small', 'm7g.large'] }),
    );
    expect(
      Object.fromEntries(
        out.InstanceTypes!.map((t) => [t.InstanceType, t.ProcessorInfo?.SupportedArchitectures]),
      ),
    ).toEqual({ 't3.micro': ['x86_64'], 't4g.small': ['arm64'], 'm7g.large': ['arm64'] });
    const arm = await ec2.send(
      new DescribeInstanceTypesCommand({
        Filters: [{ Name: 'processor-info.supported-architecture', Values: ['arm64'] }],
      }),
    );
    expect(arm.InstanceTypes!.every((t) => t.ProcessorInfo?.SupportedArchitectures?.includes('arm64'))).toBe(
      true,
    );
    const bad = await ec2
      .send(new DescribeInstanceTypesCommand({ InstanceTypes: ['nonsense' as _InstanceType] }))
      .catch((e: Error) => e);
    expect(bad).toMatchObject({ name: 'InvalidInstanceType' });
  });

  it('CreateAutoScalingGroup refuses a template whose AMI the instance type (or an override) cannot run', async () => {
    const lt = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'arm-on-t3',
        LaunchTemplateData: { ImageId: baseImageId(REGION, ARM), InstanceType: 't3.micro' },
      }),
    );
    const id = lt.LaunchTemplate!.LaunchTemplateId!;
    const err = await asg
      .send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: 'arm-on-t3',
          LaunchTemplate: { LaunchTemplateId: id, Version: '1' },
          MinSize: 0,
          MaxSize: 1,
        }),
      )
      .catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'ValidationError' });
    expect((err as Error).message).toMatch(
      /^You must use a valid fully-formed launch template\. The architecture 'x86_64'/,
    );
    const mixed = await asg
      .send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: 'arm-mixed',
          MixedInstancesPolicy: {
            LaunchTemplate: {
              LaunchTemplateSpecification: { LaunchTemplateId: id, Version: '1' },
              Overrides: [{ InstanceType: 't4g.micro' }, { InstanceType: 'm5.large' }],
            },
          },
          MinSize: 0,
          MaxSize: 1,
        }),
      )
      .catch((e: Error) => e);
    expect((mixed as Error).message).toMatch(/architecture 'x86_64' of the specified instance type/);
    const groups = await asg.send(new DescribeAutoScalingGroupsCommand({}));
    expect(groups.AutoScalingGroups).toEqual([]);
  });
});

describe('DescribeAutoScalingGroups', () => {
  it('fills AvailabilityZones from the subnets of VPCZoneIdentifier, and refuses an unknown subnet', async () => {
    const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets!;
    const [a, b] = [...subnets].sort((x, y) => x.AvailabilityZone!.localeCompare(y.AvailabilityZone!));
    const lt = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'zones',
        LaunchTemplateData: { ImageId: baseImageId(REGION, X86), InstanceType: 't3.micro' },
      }),
    );
    await asg.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'zones',
        LaunchTemplate: { LaunchTemplateId: lt.LaunchTemplate!.LaunchTemplateId!, Version: '1' },
        MinSize: 0,
        MaxSize: 1,
        VPCZoneIdentifier: `${b!.SubnetId},${a!.SubnetId}`,
      }),
    );
    const g = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['zones'] })))
      .AutoScalingGroups![0]!;
    expect(g.AvailabilityZones).toEqual([a!.AvailabilityZone, b!.AvailabilityZone]);
    const err = await asg
      .send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: 'nowhere',
          LaunchTemplate: { LaunchTemplateId: lt.LaunchTemplate!.LaunchTemplateId!, Version: '1' },
          MinSize: 0,
          MaxSize: 1,
          VPCZoneIdentifier: 'subnet-00000000000000000',
        }),
      )
      .catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'ValidationError' });
  });
});

describe('traffic sources', () => {
  it('AttachTrafficSources registers instances; DescribeTrafficSources and the group list it; TargetGroupARNs per reading', async () => {
    seedGroup(lc.world, REGION, { name: 'web', desired: 2, targetGroup: false });
    const tg = await elb.send(new CreateTargetGroupCommand({ Name: 'web-ts', Protocol: 'HTTP', Port: 80 }));
    const arn = tg.TargetGroups![0]!.TargetGroupArn!;
    await asg.send(
      new AttachTrafficSourcesCommand({
        AutoScalingGroupName: 'web',
        TrafficSources: [{ Identifier: arn, Type: 'elbv2' }],
      }),
    );
    const state = await until('the traffic source to be InService', async () => {
      const out = await asg.send(
        new DescribeTrafficSourcesCommand({ AutoScalingGroupName: 'web', TrafficSourceType: 'elbv2' }),
      );
      const s = out.TrafficSources?.[0];
      return s?.State === 'InService' ? s : undefined;
    });
    expect(state).toMatchObject({ Identifier: arn, Type: 'elbv2' });
    const describe = async () =>
      (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web'] })))
        .AutoScalingGroups![0]!;
    expect((await describe()).TrafficSources).toEqual([{ Identifier: arn, Type: 'elbv2' }]);
    expect((await describe()).TargetGroupARNs).toEqual([]);
    await readings({ trafficSourcesInTargetGroupArns: true });
    expect((await describe()).TargetGroupARNs).toEqual([arn]);
  });
});

describe('instance refresh readings', () => {
  async function twoRefreshes() {
    const seeded = seedGroup(lc.world, REGION, { name: 'web', desired: 1, targetGroup: false });
    const v2 = seedTemplateVersion(lc.world, REGION, seeded.launchTemplateId, {});
    const desired = { LaunchTemplate: { LaunchTemplateId: seeded.launchTemplateId, Version: String(v2) } };
    const first = await asg.send(
      new StartInstanceRefreshCommand({ AutoScalingGroupName: 'web', DesiredConfiguration: desired }),
    );
    // On a loaded machine the one-instance refresh may end before the cancel reaches it: either
    // way the first refresh ends, which is all the readings below need.
    await asg
      .send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: 'web' }))
      .catch((err: unknown) => {
        if ((err as { name?: string }).name !== 'ActiveInstanceRefreshNotFoundFault') throw err;
      });
    await until('the first refresh to end', async () =>
      (await refreshes('web')).every((r) => r.EndTime) ? true : undefined,
    );
    const second = await asg.send(
      new StartInstanceRefreshCommand({ AutoScalingGroupName: 'web', DesiredConfiguration: desired }),
    );
    return [first.InstanceRefreshId, second.InstanceRefreshId];
  }

  it('DescribeInstanceRefreshes lists newest first, or oldest first under the other reading', async () => {
    const [first, second] = await twoRefreshes();
    expect((await refreshes('web')).map((r) => r.InstanceRefreshId)).toEqual([second, first]);
    await readings({ refreshOrder: 'oldest-first' });
    expect((await refreshes('web')).map((r) => r.InstanceRefreshId)).toEqual([first, second]);
  });

  it('StartInstanceRefresh refuses AutoRollback on a $Latest group, or accepts it under the fail-later reading', async () => {
    const seeded = seedGroup(lc.world, REGION, {
      name: 'web',
      desired: 1,
      version: '$Latest',
      targetGroup: false,
    });
    const v2 = seedTemplateVersion(lc.world, REGION, seeded.launchTemplateId, {});
    const start = () =>
      asg.send(
        new StartInstanceRefreshCommand({
          AutoScalingGroupName: 'web',
          DesiredConfiguration: {
            LaunchTemplate: { LaunchTemplateId: seeded.launchTemplateId, Version: String(v2) },
          },
          Preferences: { AutoRollback: true },
        }),
      );
    const err = await start().catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'ValidationError' });
    expect((err as Error).message).toMatch(/\$Latest or \$Default/);
    expect(await refreshes('web')).toEqual([]);
    await readings({ impossibleAutoRollback: 'fail-later' });
    expect((await start()).InstanceRefreshId).toBeDefined();
  });

  it('CancelInstanceRefresh cancels a rollback in progress', async () => {
    const bad = seedImage(lc.world.region(REGION), { name: 'bad', health: 'unhealthy' }).imageId;
    const seeded = seedGroup(lc.world, REGION, { name: 'web', desired: 2, targetGroup: false });
    await until('the group to be in service', async () => {
      const g = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web'] })))
        .AutoScalingGroups![0]!;
      return g.Instances?.filter((i) => i.LifecycleState === 'InService').length === 2 ? true : undefined;
    });
    const v2 = seedTemplateVersion(lc.world, REGION, seeded.launchTemplateId, { imageId: bad });
    await asg.send(
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: 'web',
        DesiredConfiguration: {
          LaunchTemplate: { LaunchTemplateId: seeded.launchTemplateId, Version: String(v2) },
        },
        Preferences: { MinHealthyPercentage: 50 },
      }),
    );
    await until('the refresh to be in progress', async () =>
      (await refreshes('web'))[0]?.Status === 'InProgress' ? true : undefined,
    );
    // The ticker paused from the rollback to the cancel: on a loaded machine the two-instance
    // rollback could end before the cancel reached it (ActiveInstanceRefreshNotFound in a run with
    // jest workers side by side). The cancel must meet a rollback still in progress.
    lc.world.ticker.stop();
    try {
      await asg.send(new RollbackInstanceRefreshCommand({ AutoScalingGroupName: 'web' }));
      expect((await refreshes('web'))[0]!.Status).toBe('RollbackInProgress');
      await asg.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: 'web' }));
    } finally {
      lc.world.ticker.start();
    }
    const ended = await until('the rollback to be cancelled', async () => {
      const r = (await refreshes('web'))[0]!;
      return r.EndTime ? r : undefined;
    });
    expect(ended.Status).toBe('Cancelled');
  });
});

describe('non-AWS answers', () => {
  it('a fault of kind html answers a proxy error page with the given status and no AWS request id', async () => {
    await lc.control.addFaults({
      service: 'autoscaling',
      operation: 'DescribeAutoScalingGroups',
      kind: 'html',
      status: 502,
      count: 1,
    });
    const res = await fetch(lc.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/autoscaling/aws4_request, SignedHeaders=host, Signature=x',
      },
      body: 'Action=DescribeAutoScalingGroups&Version=2011-01-01',
    });
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(res.headers.get('x-amzn-requestid')).toBeNull();
    expect(await res.text()).toMatch(/^<html>/);
    expect(lc.logs.calls.query({ operation: 'DescribeAutoScalingGroups' }).at(-1)).toMatchObject({
      status: 502,
      fault: 'html',
    });
  });
});
