// roll-asg under cloud faults, through dist/ against localcloud: throttling and 5xx end in success,
// a start that keeps failing ends in one clear line naming the groups that are rolling, and a
// cancelled run leaves nothing half-done.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  StartInstanceRefreshCommand,
} from '@aws-sdk/client-auto-scaling';
import { CopyImageCommand, DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { validateRefreshRecords, type RefreshRecord } from '../../src/aws/refresh-record.js';
import { localcloudEnv, runActionStep, type ActionRun, type RunOptions } from '../harness/run-action.js';
import { seedGroup, setAutoScalingThrottle } from '../localcloud/aws/autoscaling-seed.js';
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
const asg = new Map<string, AutoScalingClient>();
const oldAmi = new Map<string, string>();
const newAmi = new Map<string, string>();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await sleep(100);
  }
}

beforeAll(async () => {
  lc = await start({ port: 0 });
  for (const region of [EAST, WEST]) {
    const ec2 = new EC2Client({ region, endpoint: lc.url, credentials });
    const ssm = new SSMClient({ region, endpoint: lc.url, credentials });
    asg.set(region, new AutoScalingClient({ region, endpoint: lc.url, credentials }));
    const base = (
      await ssm.send(
        new GetParameterCommand({
          Name: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
        }),
      )
    ).Parameter!.Value!;
    for (const [map, name] of [
      [oldAmi, 'golden-1'],
      [newAmi, 'golden-2'],
    ] as const) {
      const { ImageId } = await ec2.send(
        new CopyImageCommand({ SourceImageId: base, SourceRegion: region, Name: name }),
      );
      for (;;) {
        const out = await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }));
        if (out.Images?.[0]?.State === 'available') break;
        await sleep(100);
      }
      map.set(region, ImageId!);
    }
    ec2.destroy();
    ssm.destroy();
  }
}, 60_000);

afterAll(async () => {
  for (const c of asg.values()) c.destroy();
  await lc?.stop();
});

function run(inputs: Record<string, string>, extra: Partial<RunOptions> = {}): Promise<ActionRun> {
  return runActionStep('roll-asg', {
    inputs: { 'poll-interval': '0.2', 'max-poll-interval': '1', ...inputs },
    env: localcloudEnv(lc.url, EAST),
    ...extra,
  });
}

function records(r: ActionRun): RefreshRecord[] {
  const parsed = validateRefreshRecords(JSON.parse(r.outputs.refreshes ?? 'null'));
  if (!Array.isArray(parsed)) throw parsed;
  return parsed;
}

function seed(region: string, name: string, tags: Record<string, string>) {
  return seedGroup(lc.world, region, {
    name,
    imageId: oldAmi.get(region)!,
    desired: 1,
    targetGroup: false,
    tags,
    consent: `/golden-ami/${tags.Environment}`,
  });
}

/** Writes an aws:ec2:image parameter and waits until SSM's asynchronous validation lets it be read. */
async function promote(region: string, name: string, value: string): Promise<void> {
  const ssm = new SSMClient({ region, endpoint: lc.url, credentials });
  try {
    await ssm.send(
      new PutParameterCommand({
        Name: name,
        Value: value,
        Type: 'String',
        DataType: 'aws:ec2:image',
        Overwrite: true,
      }),
    );
    for (;;) {
      const p = await ssm.send(new GetParameterCommand({ Name: name })).catch(() => undefined);
      if (p?.Parameter?.Value === value) return;
      await sleep(100);
    }
  } finally {
    ssm.destroy();
  }
}

const templateVersions = (region: string, id: string) => [
  ...lc.world.region(region).ec2.launchTemplates.get(id)!.versions.keys(),
];

describe('roll-asg under cloud faults', () => {
  it('rolls every group when the account is throttled on Auto Scaling and StartInstanceRefresh answers 503', async () => {
    for (let i = 0; i < 12; i++) seed(EAST, `thr-${i}`, { Environment: 'throttled' });
    setAutoScalingThrottle(lc.world, EAST, { capacity: 4, refillPerSecond: 8 });
    const rule = lc.faults.add({
      service: 'autoscaling',
      operation: 'StartInstanceRefresh',
      kind: 'error',
      status: 503,
      sequence: 'x.x',
    });
    const since = lc.logs.calls.query().at(-1)?.seq ?? 0;
    let r: ActionRun;
    try {
      r = await run({
        'asg-tags': 'Environment=throttled',
        'consent-parameter': '/golden-ami/throttled',
        'ami-id': newAmi.get(EAST)!,
        'max-concurrency': '6',
      });
    } finally {
      lc.faults.remove(rule.id);
      setAutoScalingThrottle(lc.world, EAST, null);
    }

    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(records(r)).toHaveLength(12);
    const refused = lc.logs.calls.query({ service: 'autoscaling', since }).filter((c) => c.status >= 400);
    expect(refused.map((c) => c.errorCode)).toEqual(expect.arrayContaining(['Throttling']));
    for (let i = 0; i < 12; i++) {
      const out = await asg
        .get(EAST)!
        .send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: `thr-${i}` }));
      expect(out.InstanceRefreshes).toHaveLength(1);
    }
  }, 120_000);

  it('when starts keep failing, says exactly which groups are rolling and removes the versions it made for the others', async () => {
    const west = ['part-a', 'part-b'].map((n) => seed(WEST, n, { Environment: 'partial' }));
    const east = ['part-c', 'part-d'].map((n) => seed(EAST, n, { Environment: 'partial' }));
    for (const region of [EAST, WEST]) await promote(region, '/golden-ami/partial', newAmi.get(region)!);
    const rule = lc.faults.add({
      service: 'autoscaling',
      operation: 'StartInstanceRefresh',
      region: EAST,
      kind: 'error',
      status: 500,
    });
    let r: ActionRun;
    try {
      // One at a time: eu-west-1's groups come first, then the first us-east-1 start fails for good.
      r = await run({
        regions: `${EAST},${WEST}`,
        'asg-tags': 'Environment=partial',
        'ami-parameter': '/golden-ami/partial',
        'max-concurrency': '1',
      });
    } finally {
      lc.faults.remove(rule.id);
    }

    expect(r.exitCode).toBe(1);
    const started = records(r);
    expect(started.map((x) => `${x.region}/${x.group}`)).toEqual([`${WEST}/part-a`, `${WEST}/part-b`]);
    const [error] = r.errors;
    expect(error).toMatch(
      /^Rolling 4 group\(s\) failed: failed for us-east-1\/part-c: starting the instance refresh of us-east-1\/part-c: .*; still rolling \(refreshes started\): eu-west-1\/part-a \S+, eu-west-1\/part-b \S+; not started: us-east-1\/part-d\.$/,
    );
    expect(r.errors).toHaveLength(1);
    for (const g of west) expect(templateVersions(WEST, g.launchTemplateId)).toEqual([1, 2]);
    // The version made for the group whose start failed is deleted again; where the cloud refuses
    // the delete (localcloud has no DeleteLaunchTemplateVersions yet, see NEEDS-roll.md) the
    // warning names it. part-d was never reached, so nothing was made for it.
    const [c, d] = east;
    const leftover = templateVersions(EAST, c!.launchTemplateId);
    if (leftover.includes(2))
      expect(r.warnings.join('\n')).toContain(
        `could not delete unused launch template part-c-lt (${c!.launchTemplateId}) version 2 in us-east-1`,
      );
    else expect(leftover).toEqual([1]);
    expect(templateVersions(EAST, d!.launchTemplateId)).toEqual([1]);
  }, 120_000);
});

describe('roll-asg cancelled by the runner', () => {
  it('stops while waiting for a running refresh and leaves no new version or refresh behind', async () => {
    const g = seedGroup(lc.world, EAST, {
      name: 'cancel-me',
      imageId: oldAmi.get(EAST)!,
      desired: 2,
      targetGroup: false,
    });
    // A refresh started before any instance is in service has nothing to replace and ends at once.
    await until('cancel-me in service', async () => {
      const out = await asg
        .get(EAST)!
        .send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['cancel-me'] }));
      const live =
        out.AutoScalingGroups?.[0]?.Instances?.filter((i) => i.LifecycleState === 'InService') ?? [];
      return live.length === 2 ? true : undefined;
    });
    const { InstanceRefreshId: theirs } = await asg.get(EAST)!.send(
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: 'cancel-me',
        Preferences: { SkipMatching: false, CheckpointPercentages: [50, 100], CheckpointDelay: 3600 },
      }),
    );

    const r = await run(
      { 'asg-names': 'cancel-me', 'ami-id': newAmi.get(EAST)!, 'if-refresh-in-progress': 'wait' },
      { cancel: { whenOutput: /waiting for instance refresh/, sigtermAfterMs: 2000, killAfterMs: 1000 } },
    );

    expect(r.killedBy).toBeNull();
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toContain(
      `failed for us-east-1/cancel-me: cancelled while waiting for instance refresh ${theirs}`,
    );
    expect(r.errors.join('\n')).toContain('no refresh was started');
    expect(templateVersions(EAST, g.launchTemplateId)).toEqual([1]);
    const out = await asg
      .get(EAST)!
      .send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: 'cancel-me' }));
    expect(out.InstanceRefreshes!.map((x) => x.InstanceRefreshId)).toEqual([theirs]);
  }, 60_000);
});
