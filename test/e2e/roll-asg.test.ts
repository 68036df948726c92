// roll-asg through dist/, run as the runner runs it, against localcloud's Auto Scaling, EC2 and SSM.
// Outcomes are read back from the cloud: the group's template version, the image its instances
// run, the refreshes AWS holds, and localcloud's mutation log for "nothing changed".
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  StartInstanceRefreshCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import {
  CopyImageCommand,
  CreateLaunchTemplateCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { validateRefreshRecords, type RefreshRecord } from '../../src/aws/refresh-record.js';
import { localcloudEnv, runActionStep, type ActionRun } from '../harness/run-action.js';
import { seedGroup } from '../localcloud/aws/autoscaling-seed.js';
import { start } from '../localcloud/index.js';

type Cloud = Awaited<ReturnType<typeof start>>;

// Each run is a real process against localcloud's timed state machines: seconds, not milliseconds.
jest.setTimeout(60_000);
const EAST = 'us-east-1';
const WEST = 'eu-west-1';
const credentials = {
  accessKeyId: 'AKIALOCALCLOUD000000',
  secretAccessKey: 'localcloud-secret-key-do-not-use-000000',
};

let lc: Cloud;
const clients = new Map<string, { asg: AutoScalingClient; ec2: EC2Client; ssm: SSMClient }>();
/** Per region: the AMI groups are seeded with, and the new AMI rolled onto them. */
const oldAmi = new Map<string, string>();
const newAmi = new Map<string, string>();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const aws = (region: string) => clients.get(region)!;

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await sleep(100);
  }
}

async function copyImage(region: string, from: string, name: string): Promise<string> {
  const { ImageId } = await aws(region).ec2.send(
    new CopyImageCommand({ SourceImageId: from, SourceRegion: region, Name: name }),
  );
  await until(`${name} available`, async () => {
    const out = await aws(region).ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }));
    return out.Images?.[0]?.State === 'available' ? true : undefined;
  });
  return ImageId!;
}

beforeAll(async () => {
  lc = await start({ port: 0 });
  for (const region of [EAST, WEST]) {
    const c = {
      asg: new AutoScalingClient({ region, endpoint: lc.url, credentials }),
      ec2: new EC2Client({ region, endpoint: lc.url, credentials }),
      ssm: new SSMClient({ region, endpoint: lc.url, credentials }),
    };
    clients.set(region, c);
    const p = await c.ssm.send(
      new GetParameterCommand({
        Name: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
      }),
    );
    oldAmi.set(region, await copyImage(region, p.Parameter!.Value!, 'golden-web-1'));
    newAmi.set(region, await copyImage(region, p.Parameter!.Value!, 'golden-web-2'));
  }
}, 60_000);

afterAll(async () => {
  for (const c of clients.values()) for (const client of Object.values(c)) client.destroy();
  await lc?.stop();
});

/** SSM validates aws:ec2:image values asynchronously: wait until the parameter reads back the value. */
function holds(region: string, name: string, value: string): Promise<true> {
  return until(`${name} to hold ${value}`, async () => {
    const p = await aws(region)
      .ssm.send(new GetParameterCommand({ Name: name }))
      .catch(() => undefined);
    return p?.Parameter?.Value === value ? true : undefined;
  });
}

function run(inputs: Record<string, string>, region = EAST): Promise<ActionRun> {
  return runActionStep('roll-asg', {
    inputs: { 'poll-interval': '0.2', 'max-poll-interval': '1', ...inputs },
    env: localcloudEnv(lc.url, region),
  });
}

async function group(region: string, name: string): Promise<AutoScalingGroup> {
  const out = await aws(region).asg.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
  );
  return out.AutoScalingGroups![0]!;
}

/** The images the group's in-service instances run. */
async function instanceImages(region: string, name: string): Promise<string[]> {
  const ids = (await group(region, name))
    .Instances!.filter((i) => i.LifecycleState === 'InService')
    .map((i) => i.InstanceId!);
  const out = await aws(region).ec2.send(
    new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: ids }] }),
  );
  return out.Reservations!.flatMap((r) => r.Instances!.map((i) => i.ImageId!));
}

function records(r: ActionRun): RefreshRecord[] {
  const parsed = validateRefreshRecords(JSON.parse(r.outputs.refreshes ?? 'null'));
  if (!Array.isArray(parsed)) throw parsed;
  return parsed;
}

const lastMutation = () => lc.logs.mutations.query().at(-1)?.seq ?? 0;
const lastCall = () => lc.logs.calls.query().at(-1)?.seq ?? 0;
const mutationsSince = (seq: number) =>
  lc.logs.mutations.query({ since: seq }).map((m) => `${m.region} ${m.operation}`);

describe('roll-asg onto a new AMI (wait: true)', () => {
  it('moves a literal-AMI template group to a new numbered version and records the previous one', async () => {
    const seeded = seedGroup(lc.world, EAST, {
      name: 'lit-web',
      imageId: oldAmi.get(EAST)!,
      desired: 2,
      version: '$Default',
    });
    await until('lit-web in service', async () =>
      (await instanceImages(EAST, 'lit-web')).length === 2 ? true : undefined,
    );

    const r = await run({ 'asg-names': 'lit-web', 'ami-id': newAmi.get(EAST)!, wait: 'true' });

    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(records(r)).toEqual([
      expect.objectContaining({
        region: EAST,
        group: 'lit-web',
        amiId: newAmi.get(EAST),
        previousAmiId: oldAmi.get(EAST),
        imageSource: 'launch-template',
        launchTemplate: { id: seeded.launchTemplateId, name: seeded.launchTemplateName, version: '2' },
        newVersion: '2',
        previousVersion: '1',
      }),
    ]);
    expect(r.outputs['asg-names']).toBe('lit-web');
    expect((await group(EAST, 'lit-web')).LaunchTemplate).toMatchObject({
      LaunchTemplateId: seeded.launchTemplateId,
      Version: '2',
    });
    expect(await instanceImages(EAST, 'lit-web')).toEqual([newAmi.get(EAST), newAmi.get(EAST)]);
    expect(r.summary).toContain(
      `| ${EAST} | lit-web | ${seeded.launchTemplateName} (${seeded.launchTemplateId}) |`,
    );
    expect(r.summary).toContain('Health: healthy');
  });

  it('refreshes an SSM-resolved template group onto the AMI the parameter holds, warning that AWS cannot roll it back', async () => {
    const { ssm } = aws(EAST);
    await ssm.send(
      new PutParameterCommand({
        Name: '/golden-ami/ssm-web',
        Value: oldAmi.get(EAST)!,
        Type: 'String',
        DataType: 'aws:ec2:image',
      }),
    );
    await holds(EAST, '/golden-ami/ssm-web', oldAmi.get(EAST)!);
    seedGroup(lc.world, EAST, { name: 'ssm-web', imageParameter: '/golden-ami/ssm-web', desired: 2 });
    await until('ssm-web in service', async () =>
      (await instanceImages(EAST, 'ssm-web')).length === 2 ? true : undefined,
    );
    await ssm.send(
      new PutParameterCommand({
        Name: '/golden-ami/ssm-web',
        Value: newAmi.get(EAST)!,
        Overwrite: true,
        Type: 'String',
        DataType: 'aws:ec2:image',
      }),
    );
    await holds(EAST, '/golden-ami/ssm-web', newAmi.get(EAST)!);

    const r = await run({
      'asg-names': 'ssm-web',
      'ami-parameter': '/golden-ami/ssm-web',
      'auto-rollback': 'false',
      wait: 'true',
    });

    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.warnings.join('\n')).toContain('AWS cannot roll this refresh back');
    const [rec] = records(r);
    expect(rec).toMatchObject({
      group: 'ssm-web',
      amiId: newAmi.get(EAST),
      previousAmiId: oldAmi.get(EAST),
      imageSource: 'ssm-parameter',
      previousVersion: '1',
    });
    expect(rec).not.toHaveProperty('newVersion');
    expect((await group(EAST, 'ssm-web')).LaunchTemplate?.Version).toBe('1');
    expect(await instanceImages(EAST, 'ssm-web')).toEqual([newAmi.get(EAST), newAmi.get(EAST)]);
  });

  it('versions a mixed-instances group and keeps the rest of its policy', async () => {
    const { ec2, asg } = aws(EAST);
    const lt = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'mixed-lt',
        LaunchTemplateData: { ImageId: oldAmi.get(EAST)!, InstanceType: 't3.micro' },
      }),
    );
    const ltId = lt.LaunchTemplate!.LaunchTemplateId!;
    const distribution = { OnDemandBaseCapacity: 1, OnDemandPercentageAboveBaseCapacity: 50 };
    await asg.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'mixed-web',
        MinSize: 0,
        MaxSize: 4,
        DesiredCapacity: 2,
        MixedInstancesPolicy: {
          LaunchTemplate: {
            LaunchTemplateSpecification: { LaunchTemplateId: ltId, Version: '1' },
            Overrides: [{ InstanceType: 't3.small' }, { InstanceType: 't3.micro' }],
          },
          InstancesDistribution: distribution,
        },
      }),
    );
    await until('mixed-web in service', async () =>
      (await instanceImages(EAST, 'mixed-web')).length === 2 ? true : undefined,
    );

    const r = await run({ 'asg-names': 'mixed-web', 'ami-id': newAmi.get(EAST)!, wait: 'true' });

    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(records(r)).toEqual([
      expect.objectContaining({
        group: 'mixed-web',
        newVersion: '2',
        previousVersion: '1',
        launchTemplate: { id: ltId, name: 'mixed-lt', version: '2' },
      }),
    ]);
    const policy = (await group(EAST, 'mixed-web')).MixedInstancesPolicy!;
    expect(policy.LaunchTemplate?.LaunchTemplateSpecification).toMatchObject({
      LaunchTemplateId: ltId,
      Version: '2',
    });
    expect(policy.LaunchTemplate?.Overrides?.map((o) => o.InstanceType)).toEqual(['t3.small', 't3.micro']);
    expect(policy.InstancesDistribution).toMatchObject(distribution);
    expect(await instanceImages(EAST, 'mixed-web')).toEqual([newAmi.get(EAST), newAmi.get(EAST)]);
  });
});

describe('roll-asg selecting by tags across regions', () => {
  it('starts twenty refreshes in two regions with at most max-concurrency starts in flight in each', async () => {
    for (const region of [EAST, WEST])
      for (let i = 0; i < 10; i++)
        seedGroup(lc.world, region, {
          name: `fleet-${i}`,
          imageId: oldAmi.get(region)!,
          desired: 1,
          targetGroup: false,
          tags: { Environment: 'fleet', Role: 'web' },
          consent: '/golden-ami/fleet',
        });
    seedGroup(lc.world, EAST, {
      name: 'fleet-other',
      imageId: oldAmi.get(EAST)!,
      desired: 1,
      targetGroup: false,
      tags: { Environment: 'prod', Role: 'web' },
    });
    // Every start takes a while, so starts running at the same time overlap visibly in the call log.
    const latencyMs = 400;
    const rule = lc.faults.add({
      service: 'autoscaling',
      operation: 'StartInstanceRefresh',
      kind: 'latency',
      latencyMs,
    });
    const since = lastMutation();

    let r: ActionRun;
    try {
      r = await run({
        regions: `${EAST},${WEST}`,
        'asg-tags': 'Environment=fleet\nRole=web',
        'ami-parameter': '/golden-ami/fleet',
        'max-concurrency': '4',
      });
    } finally {
      lc.faults.remove(rule.id);
    }
    // ami-parameter is per region: it was not created, so the run must fail before any change.
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toContain('ami-parameter /golden-ami/fleet does not exist in');
    expect(mutationsSince(since)).toEqual([]);

    for (const region of [EAST, WEST])
      await aws(region).ssm.send(
        new PutParameterCommand({
          Name: '/golden-ami/fleet',
          Value: newAmi.get(region)!,
          Type: 'String',
          DataType: 'aws:ec2:image',
        }),
      );
    for (const region of [EAST, WEST]) await holds(region, '/golden-ami/fleet', newAmi.get(region)!);
    const rule2 = lc.faults.add({
      service: 'autoscaling',
      operation: 'StartInstanceRefresh',
      kind: 'latency',
      latencyMs,
    });
    const before = lastCall();
    try {
      r = await run({
        regions: `${EAST},${WEST}`,
        'asg-tags': 'Environment=fleet\nRole=web',
        'ami-parameter': '/golden-ami/fleet',
        'max-concurrency': '4',
      });
    } finally {
      lc.faults.remove(rule2.id);
    }

    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    const recs = records(r);
    expect(recs).toHaveLength(20);
    expect(new Set(recs.map((x) => `${x.region}/${x.group}`)).size).toBe(20);
    for (const x of recs) expect(x.amiId).toBe(newAmi.get(x.region));
    expect(r.outputs['asg-names']!.split(',').sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `fleet-${i}`).sort(),
    );
    expect(
      (
        await aws(EAST).asg.send(
          new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: 'fleet-other' }),
        )
      ).InstanceRefreshes,
    ).toEqual([]);

    // Each start's call is recorded when it completes, latencyMs after it began: starts whose
    // completions fall within less than latencyMs of each other were in flight together.
    const calls = lc.logs.calls
      .query({ operation: 'StartInstanceRefresh', since: before })
      .filter((c) => c.status === 200);
    expect(calls).toHaveLength(20);
    const overlap = (starts: number[]) =>
      Math.max(...starts.map((t) => starts.filter((u) => u >= t && u < t + latencyMs * 0.9).length));
    // At most max-concurrency in each region; the regions (API rate limits of their own) in parallel.
    for (const region of [EAST, WEST]) {
      const inRegion = overlap(calls.filter((c) => c.region === region).map((c) => c.ts));
      expect(inRegion).toBeLessThanOrEqual(4);
      expect(inRegion).toBeGreaterThan(1);
    }
    expect(overlap(calls.map((c) => c.ts))).toBeGreaterThan(4);
  }, 120_000);
});

describe('roll-asg with a refresh already in progress', () => {
  /** A group with a slow refresh of its own running: it pauses at a 50% checkpoint. */
  async function busyGroup(name: string): Promise<string> {
    seedGroup(lc.world, EAST, { name, imageId: oldAmi.get(EAST)!, desired: 2, targetGroup: false });
    await until(`${name} in service`, async () =>
      (await instanceImages(EAST, name)).length === 2 ? true : undefined,
    );
    const out = await aws(EAST).asg.send(
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: name,
        Preferences: { SkipMatching: false, CheckpointPercentages: [50, 100], CheckpointDelay: 3600 },
      }),
    );
    return out.InstanceRefreshId!;
  }

  async function refreshes(name: string) {
    const out = await aws(EAST).asg.send(
      new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: name }),
    );
    return out.InstanceRefreshes!;
  }

  it('fail: names the running refresh and changes nothing', async () => {
    const running = await busyGroup('busy-fail');
    const since = lastMutation();

    const r = await run({ 'asg-names': 'busy-fail', 'ami-id': newAmi.get(EAST)! });

    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toMatch(
      new RegExp(`group us-east-1/busy-fail already has instance refresh ${running} \\((Pending|InProgress)`),
    );
    expect(mutationsSince(since)).toEqual([]);
  });

  it('cancel: cancels it, waits until it is cancelled, then starts its own', async () => {
    const running = await busyGroup('busy-cancel');

    const r = await run({
      'asg-names': 'busy-cancel',
      'ami-id': newAmi.get(EAST)!,
      'if-refresh-in-progress': 'cancel',
    });

    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    const [mine, theirs] = await refreshes('busy-cancel');
    expect(theirs).toMatchObject({ InstanceRefreshId: running, Status: 'Cancelled' });
    expect(mine!.InstanceRefreshId).toBe(records(r)[0]!.refreshId);
    expect(mine!.DesiredConfiguration?.LaunchTemplate?.Version).toBe('2');
  });

  it('wait: waits for it to finish, then starts its own', async () => {
    seedGroup(lc.world, EAST, {
      name: 'busy-wait',
      imageId: oldAmi.get(EAST)!,
      desired: 2,
      targetGroup: false,
    });
    await until('busy-wait in service', async () =>
      (await instanceImages(EAST, 'busy-wait')).length === 2 ? true : undefined,
    );
    const { InstanceRefreshId: running } = await aws(EAST).asg.send(
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: 'busy-wait',
        Preferences: { SkipMatching: false, BakeTime: 150 },
      }),
    );

    const r = await run({
      'asg-names': 'busy-wait',
      'ami-id': newAmi.get(EAST)!,
      'if-refresh-in-progress': 'wait',
    });

    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    const [mine, theirs] = await refreshes('busy-wait');
    expect(theirs).toMatchObject({ InstanceRefreshId: running, Status: 'Successful' });
    expect(mine!.InstanceRefreshId).toBe(records(r)[0]!.refreshId);
    expect(r.log).toContain(`waiting for instance refresh ${running}`);
  });
});

describe('roll-asg refusing before anything changes', () => {
  it('fails on a launch-configuration group, saying how to migrate, and touches no other group', async () => {
    await aws(EAST).asg.send(
      new CreateLaunchConfigurationCommand({
        LaunchConfigurationName: 'legacy-lc',
        ImageId: oldAmi.get(EAST)!,
        InstanceType: 't3.micro',
      }),
    );
    await aws(EAST).asg.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'legacy-web',
        LaunchConfigurationName: 'legacy-lc',
        MinSize: 0,
        MaxSize: 1,
        DesiredCapacity: 0,
        Tags: [
          { Key: 'Environment', Value: 'legacy', PropagateAtLaunch: true },
          { Key: 'golden-ami:parameter', Value: '/golden-ami/legacy', PropagateAtLaunch: false },
        ],
      }),
    );
    seedGroup(lc.world, EAST, {
      name: 'legacy-neighbour',
      imageId: oldAmi.get(EAST)!,
      desired: 1,
      targetGroup: false,
      tags: { Environment: 'legacy' },
      consent: '/golden-ami/legacy',
    });
    const since = lastMutation();

    const r = await run({
      'asg-tags': 'Environment=legacy',
      'ami-id': newAmi.get(EAST)!,
      'consent-parameter': '/golden-ami/legacy',
    });

    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toContain(
      'group us-east-1/legacy-web uses launch configuration legacy-lc; roll-asg needs a launch template',
    );
    expect(r.errors.join('\n')).toContain('update-auto-scaling-group');
    expect(mutationsSince(since)).toEqual([]);
  });

  it('rejects bad preferences without a single AWS call', async () => {
    seedGroup(lc.world, EAST, {
      name: 'prefs-web',
      imageId: oldAmi.get(EAST)!,
      desired: 1,
      targetGroup: false,
    });
    const since = lastCall();

    const r = await run({
      'asg-names': 'prefs-web',
      'ami-id': newAmi.get(EAST)!,
      'checkpoint-percentages': '50,20',
      'min-healthy-percentage': '10',
      'max-healthy-percentage': '200',
    });

    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toContain('checkpoint-percentages: 50,20 is not strictly ascending');
    expect(r.errors.join('\n')).toContain(
      'max-healthy-percentage (200) is more than 100 above min-healthy-percentage (10)',
    );
    expect(lc.logs.calls.query({ since })).toEqual([]);
  });

  it('refuses auto-rollback for an SSM-resolved template after looking but before any change', async () => {
    const { ssm } = aws(EAST);
    await ssm.send(
      new PutParameterCommand({
        Name: '/golden-ami/ssm-rb',
        Value: newAmi.get(EAST)!,
        Type: 'String',
        DataType: 'aws:ec2:image',
      }),
    );
    await sleep(1500);
    seedGroup(lc.world, EAST, {
      name: 'ssm-rb',
      imageParameter: '/golden-ami/ssm-rb',
      desired: 1,
      targetGroup: false,
    });
    const since = lastMutation();

    const r = await run({
      'asg-names': 'ssm-rb',
      'ami-parameter': '/golden-ami/ssm-rb',
      'skip-matching': 'false',
    });

    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toContain(
      'auto-rollback: group us-east-1/ssm-rb uses launch template ssm-rb-lt',
    );
    expect(mutationsSince(since)).toEqual([]);
  });
});
