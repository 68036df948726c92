// Auto Scaling and ELBv2 through the AWS SDK v3 against a running localcloud: groups keep their
// desired capacity, describe/filter/paginate, register in target groups, heal, and share a throttle.
import { describe, expect, it } from '@jest/globals';
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DeleteAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeInstanceRefreshesCommand,
  DescribeScalingActivitiesCommand,
  DescribeTagsCommand,
  SetDesiredCapacityCommand,
  StartInstanceRefreshCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { seedGroup, setAutoScalingThrottle } from './aws/autoscaling-seed.js';
import { autoScalingCloud, until as poll } from './test-support.js';

const REGION = 'us-east-1';
const MAX_POLLS = 800;

const cloud = autoScalingCloud(REGION);

async function group(name: string): Promise<AutoScalingGroup | undefined> {
  const out = await cloud.asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return out.AutoScalingGroups?.[0];
}

/** Polls (bounded: 20 s) until `check` returns a value. */
const until = <T>(what: string, check: () => Promise<T | undefined>): Promise<T> =>
  poll(what, check, MAX_POLLS);

async function inService(name: string, count: number): Promise<string[]> {
  return until(`${name} to have ${count} healthy instances`, async () => {
    const g = await group(name);
    const live = (g?.Instances ?? []).filter(
      (i) => i.LifecycleState === 'InService' && i.HealthStatus === 'Healthy',
    );
    const all = (g?.Instances ?? []).length;
    return live.length === count && all === count ? live.map((i) => i.InstanceId!).sort() : undefined;
  });
}

describe('Auto Scaling groups', () => {
  it('keep their desired capacity, tag instances, and follow SetDesiredCapacity both ways', async () => {
    const image = cloud.seedImage('api-1.0');
    const s = seedGroup(cloud.lc.world, REGION, {
      name: 'cap',
      imageId: image,
      desired: 2,
      max: 4,
      tags: { team: 'web' },
    });
    const ids = await inService('cap', 2);
    for (const id of ids) {
      const tags = cloud.lc.world.region(REGION).ec2.instances.get(id)!.tags;
      expect(tags).toEqual(
        expect.arrayContaining([
          { Key: 'aws:autoscaling:groupName', Value: 'cap' },
          { Key: 'team', Value: 'web' },
          { Key: 'aws:ec2launchtemplate:id', Value: s.launchTemplateId },
        ]),
      );
    }
    await cloud.asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'cap', DesiredCapacity: 3 }));
    expect(await inService('cap', 3)).toEqual(expect.arrayContaining(ids));
    await cloud.asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'cap', DesiredCapacity: 1 }));
    expect(await inService('cap', 1)).toHaveLength(1);
    await expect(
      cloud.asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'cap', DesiredCapacity: 9 })),
    ).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/above max value 4/) });
  });

  it('describe by name, by tag filters and page by page; instances by id', async () => {
    const image = cloud.seedImage('api-1.1');
    for (const n of ['pg-a', 'pg-b', 'pg-c']) {
      seedGroup(cloud.lc.world, REGION, {
        name: n,
        imageId: image,
        desired: 0,
        targetGroup: false,
        tags: { env: n === 'pg-b' ? 'prod' : 'dev' },
      });
    }
    const prod = await cloud.asg.send(
      new DescribeAutoScalingGroupsCommand({ Filters: [{ Name: 'tag:env', Values: ['prod'] }] }),
    );
    expect(prod.AutoScalingGroups!.map((g) => g.AutoScalingGroupName)).toEqual(['pg-b']);
    const names: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 10; page++) {
      const out = await cloud.asg.send(
        new DescribeAutoScalingGroupsCommand({
          Filters: [{ Name: 'tag-key', Values: ['env'] }],
          MaxRecords: 2,
          ...(token ? { NextToken: token } : {}),
        }),
      );
      names.push(...out.AutoScalingGroups!.map((g) => g.AutoScalingGroupName!));
      token = out.NextToken;
      if (!token) break;
    }
    expect(names).toEqual(['pg-a', 'pg-b', 'pg-c']);
    const tags = await cloud.asg.send(
      new DescribeTagsCommand({ Filters: [{ Name: 'value', Values: ['prod'] }] }),
    );
    expect(tags.Tags).toEqual([
      {
        ResourceId: 'pg-b',
        ResourceType: 'auto-scaling-group',
        Key: 'env',
        Value: 'prod',
        PropagateAtLaunch: true,
      },
    ]);
    await expect(
      cloud.asg.send(new DescribeAutoScalingGroupsCommand({ NextToken: 'bm90LWEtdG9rZW4' })),
    ).rejects.toMatchObject({ name: 'InvalidNextToken' });
  });

  it('rejects a group without a launch source, accepts and describes a launch-configuration group', async () => {
    await expect(
      cloud.asg.send(
        new CreateAutoScalingGroupCommand({ AutoScalingGroupName: 'nolt', MinSize: 0, MaxSize: 1 }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationError' });
    await cloud.asg.send(
      new CreateLaunchConfigurationCommand({
        LaunchConfigurationName: 'legacy-lc',
        ImageId: cloud.seedImage('api-legacy'),
        InstanceType: 't3.micro',
      }),
    );
    await cloud.asg.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'legacy',
        LaunchConfigurationName: 'legacy-lc',
        MinSize: 0,
        MaxSize: 1,
        DesiredCapacity: 0,
      }),
    );
    expect((await group('legacy'))?.LaunchConfigurationName).toBe('legacy-lc');
    await expect(
      cloud.asg.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: 'legacy',
          LaunchConfigurationName: 'legacy-lc',
          MinSize: 0,
          MaxSize: 1,
        }),
      ),
    ).rejects.toMatchObject({ name: 'AlreadyExistsFault' });
    await cloud.asg.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'legacy' }));
    expect(await group('legacy')).toBeUndefined();
  });

  it('TerminateInstanceInAutoScalingGroup replaces the instance, or shrinks the group when asked', async () => {
    const image = cloud.seedImage('api-1.2');
    seedGroup(cloud.lc.world, REGION, { name: 'term', imageId: image, desired: 2, targetGroup: false });
    const [first, second] = await inService('term', 2);
    const out = await cloud.asg.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: first,
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    expect(out.Activity?.Description).toBe(`Terminating EC2 instance: ${first}`);
    const replaced = await inService('term', 2);
    expect(replaced).not.toContain(first);
    expect(replaced).toContain(second);
    await cloud.asg.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: second,
        ShouldDecrementDesiredCapacity: true,
      }),
    );
    expect((await group('term'))?.DesiredCapacity).toBe(1);
    expect(await inService('term', 1)).not.toContain(second);
    const detail = await cloud.asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: replaced }));
    expect(
      detail.AutoScalingInstances?.filter((i) => i.LifecycleState === 'InService').map((i) => i.HealthStatus),
    ).toEqual(['HEALTHY']);
  });
});

describe('scaling activities', () => {
  it("record launches, and a group whose AMI was deregistered fails to launch with EC2's reason", async () => {
    const image = cloud.seedImage('gone-1.0');
    seedGroup(cloud.lc.world, REGION, { name: 'gone', imageId: image, desired: 1, targetGroup: false });
    const [first] = await inService('gone', 1);
    const launched = await cloud.asg.send(
      new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'gone' }),
    );
    expect(launched.Activities?.[0]).toMatchObject({
      Description: `Launching a new EC2 instance: ${first}`,
      StatusCode: 'Successful',
    });
    cloud.lc.world.region(REGION).ec2.images.get(image)!.state = 'deregistered';
    await cloud.asg.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: first,
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    const failed = await until('a failed launch', async () => {
      const out = await cloud.asg.send(
        new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'gone' }),
      );
      return out.Activities?.find((a) => a.StatusCode === 'Failed');
    });
    expect(failed.StatusMessage).toMatch(new RegExp(`${image}.*does not exist`));
    expect((await group('gone'))?.Instances?.filter((i) => i.LifecycleState === 'InService')).toEqual([]);
  });
});

describe('target groups', () => {
  it('register group instances, turn healthy after the delay, drain terminated ones', async () => {
    const image = cloud.seedImage('tg-1.0');
    const s = seedGroup(cloud.lc.world, REGION, { name: 'tg', imageId: image, desired: 2 });
    const byName = await cloud.elb.send(new DescribeTargetGroupsCommand({ Names: ['tg-tg'] }));
    expect(byName.TargetGroups?.[0]?.TargetGroupArn).toBe(s.targetGroupArn);
    const ids = await inService('tg', 2);
    const healthy = await until('targets healthy', async () => {
      const h = await cloud.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: s.targetGroupArn! }));
      const states = (h.TargetHealthDescriptions ?? []).map((d) => d.TargetHealth?.State);
      return states.length === 2 && states.every((x) => x === 'healthy') ? h : undefined;
    });
    expect(healthy.TargetHealthDescriptions!.map((d) => d.Target!.Id).sort()).toEqual(ids);
    await cloud.asg.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: ids[0],
        ShouldDecrementDesiredCapacity: true,
      }),
    );
    const h = await cloud.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: s.targetGroupArn! }));
    expect(h.TargetHealthDescriptions!.find((d) => d.Target!.Id === ids[0])?.TargetHealth?.State).toBe(
      'draining',
    );
    await expect(
      cloud.elb.send(new DescribeTargetGroupsCommand({ Names: ['no-such-tg'] })),
    ).rejects.toMatchObject({
      name: 'TargetGroupNotFoundException',
    });
  });

  it('an instance from an unhealthy image fails its target health check and the group replaces it', async () => {
    const image = cloud.seedImage('tg-broken', 'unhealthy');
    const s = seedGroup(cloud.lc.world, REGION, { name: 'sick', imageId: image, desired: 1 });
    const first = await until('an instance', async () => (await group('sick'))?.Instances?.[0]?.InstanceId);
    await until('target unhealthy', async () => {
      const h = await cloud.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: s.targetGroupArn! }));
      const d = h.TargetHealthDescriptions?.find((x) => x.Target?.Id === first);
      return d?.TargetHealth?.State === 'unhealthy' ? d : undefined;
    });
    await until('a replacement', async () =>
      (await group('sick'))?.Instances?.some((i) => i.InstanceId !== first) ? true : undefined,
    );
    expect(['shutting-down', 'terminated']).toContain(
      cloud.lc.world.region(REGION).ec2.instances.get(first)?.state,
    );
  });

  it('with ELB health checks an instance its target group finds unhealthy is Unhealthy in DescribeAutoScalingGroups once the grace period is over, Healthy before', async () => {
    const image = cloud.seedImage('tg-grace', 'unhealthy');
    const graced = seedGroup(cloud.lc.world, REGION, {
      name: 'graced',
      imageId: image,
      desired: 1,
      healthCheckGracePeriod: 36_000,
    });
    seedGroup(cloud.lc.world, REGION, { name: 'ungraced', imageId: image, desired: 1 });
    const first = await until('an instance', async () => (await group('graced'))?.Instances?.[0]?.InstanceId);
    await until('target unhealthy', async () => {
      const h = await cloud.elb.send(
        new DescribeTargetHealthCommand({ TargetGroupArn: graced.targetGroupArn! }),
      );
      const d = h.TargetHealthDescriptions?.find((x) => x.Target?.Id === first);
      return d?.TargetHealth?.State === 'unhealthy' ? d : undefined;
    });
    // Within its grace period Auto Scaling does not act on the check: the answer still says Healthy.
    expect((await group('graced'))?.Instances?.find((i) => i.InstanceId === first)?.HealthStatus).toBe(
      'Healthy',
    );
    // Past it (no grace), the same answer says Unhealthy, as the group takes it out of service.
    await until('an Unhealthy instance in the answer', async () =>
      (await group('ungraced'))?.Instances?.some((i) => i.HealthStatus === 'Unhealthy') ? true : undefined,
    );
  });

  it('an image unhealthy in one group only (images/behaviour unhealthyGroups) fails there and passes elsewhere', async () => {
    const image = cloud.seedImage('half-broken');
    cloud.lc.control.call('POST /images/behaviour', { imageId: image, unhealthyGroups: ['half-sick'] });
    const sick = seedGroup(cloud.lc.world, REGION, { name: 'half-sick', imageId: image, desired: 1 });
    const well = seedGroup(cloud.lc.world, REGION, { name: 'half-well', imageId: image, desired: 1 });
    const state = async (arn: string, name: string) => {
      const id = (await group(name))?.Instances?.[0]?.InstanceId;
      const h = await cloud.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
      const s = h.TargetHealthDescriptions?.find((x) => x.Target?.Id === id)?.TargetHealth?.State;
      return s === 'unhealthy' || s === 'healthy' ? s : undefined;
    };
    expect(await until('half-sick judged', () => state(sick.targetGroupArn!, 'half-sick'))).toBe('unhealthy');
    expect(await until('half-well judged', () => state(well.targetGroupArn!, 'half-well'))).toBe('healthy');
  });
});

describe('throttling', () => {
  it('all Auto Scaling calls share one bucket per region', async () => {
    setAutoScalingThrottle(cloud.lc.world, 'eu-west-1', { capacity: 3, refillPerSecond: 0 });
    const eu = new AutoScalingClient({
      region: 'eu-west-1',
      endpoint: cloud.lc.url,
      credentials: { accessKeyId: 'AKIALOCALCLOUD000000', secretAccessKey: 'localcloud' },
      maxAttempts: 1,
    });
    try {
      await eu.send(new DescribeAutoScalingGroupsCommand({}));
      await eu.send(new DescribeTagsCommand({}));
      await eu.send(new DescribeAutoScalingInstancesCommand({}));
      await expect(eu.send(new DescribeAutoScalingGroupsCommand({}))).rejects.toMatchObject({
        name: 'Throttling',
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      });
      // Another region has its own bucket.
      await expect(cloud.asg.send(new DescribeTagsCommand({}))).resolves.toBeDefined();
    } finally {
      setAutoScalingThrottle(cloud.lc.world, 'eu-west-1', null);
      eu.destroy();
    }
  });
});

describe('control API', () => {
  async function control(method: string, path: string, body?: object): Promise<Record<string, unknown>> {
    const res = await fetch(`${cloud.lc.url}/_localcloud${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  }

  it('seeds a group, adds a template version, and fails a refresh by alarm into a rollback', async () => {
    const image = cloud.seedImage('ctl-1.0');
    const next = cloud.seedImage('ctl-1.1');
    const seeded = await control('POST', '/autoscaling/groups', { name: 'ctl', imageId: image, desired: 2 });
    expect(seeded).toMatchObject({ groupName: 'ctl', launchTemplateName: 'ctl-lt' });
    const { version } = await control('POST', '/autoscaling/template-versions', {
      launchTemplateId: seeded.launchTemplateId,
      imageId: next,
    });
    expect(version).toBe(2);
    await inService('ctl', 2);
    const { InstanceRefreshId } = await cloud.asg.send(
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: 'ctl',
        DesiredConfiguration: {
          LaunchTemplate: { LaunchTemplateId: seeded.launchTemplateId as string, Version: '2' },
        },
        Preferences: {
          MinHealthyPercentage: 50,
          AutoRollback: true,
          AlarmSpecification: { Alarms: ['ctl-errors'] },
          CheckpointPercentages: [50, 100],
          CheckpointDelay: 100_000,
        },
      }),
    );
    await until('the checkpoint', async () => {
      const r = await cloud.asg.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: 'ctl' }));
      return r.InstanceRefreshes?.[0]?.StatusReason?.includes('Checkpoint 1 of 2') ? true : undefined;
    });
    await control('POST', '/autoscaling/alarms', { name: 'ctl-errors', state: 'ALARM' });
    const done = await until('the rollback', async () => {
      const r = await cloud.asg.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: 'ctl' }));
      const x = r.InstanceRefreshes?.[0];
      return x?.Status === 'RollbackSuccessful' ? x : undefined;
    });
    expect(done.InstanceRefreshId).toBe(InstanceRefreshId);
    expect(done.RollbackDetails?.RollbackReason).toMatch(/ctl-errors.*ALARM/);
    const state = await control('GET', '/autoscaling/state?region=us-east-1');
    const groups = state.groups as {
      AutoScalingGroupName: string;
      InstanceRefreshes: { Status: string }[];
    }[];
    expect(groups.find((g) => g.AutoScalingGroupName === 'ctl')?.InstanceRefreshes[0]?.Status).toBe(
      'RollbackSuccessful',
    );
    expect(state.alarms).toMatchObject({ 'ctl-errors': 'ALARM' });
    const ids = await inService('ctl', 2);
    expect(ids.map((id) => cloud.lc.world.region(REGION).ec2.instances.get(id)?.imageId)).toEqual([
      image,
      image,
    ]);
  });
});
