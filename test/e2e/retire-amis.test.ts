// retire-amis end to end: the built bundle against a localcloud estate of 32 baked AMIs in two
// regions, referenced every way the action must respect. Assertions are on the images and snapshots
// as EC2 reports them, on launches, and on localcloud's mutation log.
import { EXAMPLE, renderPolicy } from '../../scripts/render-iam-policies.js';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { CreateAutoScalingGroupCommand, AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  DisableImageCommand,
  EC2Client,
  EnableImageDeregistrationProtectionCommand,
  ModifyImageAttributeCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  waitUntilInstanceStopped,
  waitUntilInstanceTerminated,
  type Image,
} from '@aws-sdk/client-ec2';
import {
  GetParameterCommand,
  LabelParameterVersionCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../harness/action-metadata.js';
import { localcloudEnv, runActionStep, type ActionRun } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { seedImage } from '../localcloud/seed.js';

jest.setTimeout(120_000);

const EAST = 'us-east-1';
const WEST = 'eu-west-1';
const DAY = 86_400_000;
let lc: Localcloud;
const credentials = { accessKeyId: 'AKIALOCALCLOUD000000', secretAccessKey: 'localcloud-secret' };
const ec2 = (region: string) => new EC2Client({ region, endpoint: lc.url, credentials });
const ssm = (region: string) => new SSMClient({ region, endpoint: lc.url, credentials });
const asg = (region: string) => new AutoScalingClient({ region, endpoint: lc.url, credentials });

beforeAll(async () => {
  lc = await start({ durations: { ssmValidation: 50 } });
});
afterAll(async () => {
  await lc.stop();
});

/** An AMI as bake-ami leaves it: provenance tags on the image and its snapshot. */
function baked(
  region: string,
  name: string,
  index: number,
  ageDays: number,
  source?: { imageId: string; region: string },
) {
  const bakeId = `${name}-run${index}`;
  const image = seedImage(lc.world.region(region), {
    name: `${name}-${index}${source ? '-copy' : ''}`,
    creationDate: lc.world.clock.now() - ageDays * DAY,
    tags: [
      { Key: 'golden-ami:name', Value: name },
      { Key: 'golden-ami:bake-id', Value: bakeId },
    ],
  });
  if (source) {
    image.sourceImageId = source.imageId;
    image.sourceRegion = source.region;
  }
  for (const m of image.blockDeviceMappings) {
    const snap = lc.world.region(region).ec2.snapshots.get(m.Ebs!.SnapshotId!)!;
    snap.tags.push({ Key: 'golden-ami:bake-id', Value: bakeId }, { Key: 'golden-ami:name', Value: name });
  }
  return image.imageId;
}

/** 16 AMIs in us-east-1 (oldest first), each copied to eu-west-1. */
function estate(name: string) {
  const east: string[] = [];
  const west: string[] = [];
  for (let i = 0; i < 16; i++) {
    east.push(baked(EAST, name, i, 100 - i));
    west.push(baked(WEST, name, i, 100 - i, { imageId: east[i]!, region: EAST }));
  }
  return { east, west };
}

async function images(region: string, ids: string[]): Promise<Map<string, Image>> {
  const out = await ec2(region).send(
    new DescribeImagesCommand({ Owners: ['self'], IncludeDisabled: true, IncludeDeprecated: true }),
  );
  return new Map((out.Images ?? []).filter((i) => ids.includes(i.ImageId!)).map((i) => [i.ImageId!, i]));
}

const stateOf = async (region: string, ids: string[]) => {
  const found = await images(region, ids);
  return ids.map((id) => found.get(id)?.State ?? 'gone');
};

async function launch(region: string, imageId: string) {
  const out = await ec2(region).send(
    new RunInstancesCommand({ ImageId: imageId, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }),
  );
  return out.Instances![0]!.InstanceId!;
}

const mutationsSince = (seq: number) =>
  lc.logs.mutations.query({ since: seq }).filter((m) => m.service === 'ec2' || m.service === 'ssm');
const lastSeq = () => lc.logs.calls.query().at(-1)?.seq ?? 0;

function retire(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
  return runActionStep('retire-amis', {
    inputs: { regions: `${EAST}, ${WEST}`, 'keep-count': '2', ...inputs },
    env: { ...localcloudEnv(lc.url, EAST), ...env },
    timeoutMs: 90_000,
  });
}

describe('retire-amis least privilege (localcloud IAM enforcement)', () => {
  // The shipped policy, rendered for this test's pipeline: bake name `api`.
  const policy = renderPolicy(
    JSON.parse(readFileSync(join(repoRoot, 'actions/retire-amis/iam-policy.json'), 'utf8')) as unknown,
    { ...EXAMPLE, bakeName: 'api' },
  );

  // Runs before the estate tests: they move localcloud's clock a day ahead of the action's.
  it('runs both stages under its own policy, which denies changing an AMI this project did not bake', async () => {
    const ids = Array.from({ length: 4 }, (_, i) => baked(EAST, 'api', i, 60 - i));
    const foreign = seedImage(lc.world.region(EAST), { name: 'someone-elses', creationDate: 0 }).imageId;
    lc.control.call('POST /iam', { policy });
    try {
      const first = await retire({
        names: 'api',
        regions: EAST,
        'keep-count': '1',
        'max-retire': '5',
        'max-retire-percent': '100',
      });
      expect(first.errors).toEqual([]);
      expect(await stateOf(EAST, ids)).toEqual(['disabled', 'disabled', 'disabled', 'available']);
      await ec2(EAST).send(
        new CreateTagsCommand({
          Resources: ids.slice(0, 3),
          Tags: [{ Key: 'golden-ami:disabled-at', Value: new Date(Date.now() - 30 * DAY).toISOString() }],
        }),
      );
      const second = await retire({
        names: 'api',
        regions: EAST,
        'keep-count': '1',
        'max-retire': '5',
        'max-retire-percent': '100',
        'deregister-after': '7d',
      });
      expect(second.errors).toEqual([]);
      expect(await stateOf(EAST, ids)).toEqual(['gone', 'gone', 'gone', 'available']);
      await expect(
        ec2(EAST).send(new EnableImageDeregistrationProtectionCommand({ ImageId: foreign })),
      ).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
      await expect(ec2(EAST).send(new DisableImageCommand({ ImageId: foreign }))).rejects.toMatchObject({
        name: 'UnauthorizedOperation',
      });
    } finally {
      lc.control.call('POST /iam', { policy: null });
    }
  });
});

describe('retire-amis (dist, localcloud): a 32-AMI estate in two regions', () => {
  const name = 'web';
  let east: string[];
  let west: string[];
  const inputs = {
    names: name,
    parameters: '/golden-ami/web/production, /golden-ami/web/staging',
    'keep-parameter-versions': '2',
    'launch-template-versions': '1',
    'max-retire': '20',
    'max-retire-percent': '60',
  };

  beforeAll(async () => {
    ({ east, west } = estate(name));
    const e = ec2(EAST);
    // a0: a running instance; a1: a stopped one; a10: only a terminated one (does not hold it).
    await launch(EAST, east[0]!);
    const stopped = await launch(EAST, east[1]!);
    await e.send(new StopInstancesCommand({ InstanceIds: [stopped] }));
    await waitUntilInstanceStopped({ client: e, maxWaitTime: 30, minDelay: 1 }, { InstanceIds: [stopped] });
    const gone = await launch(EAST, east[10]!);
    await e.send(new TerminateInstancesCommand({ InstanceIds: [gone] }));
    await waitUntilInstanceTerminated({ client: e, maxWaitTime: 30, minDelay: 1 }, { InstanceIds: [gone] });
    // a2: version 1 of a template whose latest version is a15; a group uses version 1. With
    // launch-template-versions 1 only the group check sees it.
    const t = await e.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'web-lt',
        LaunchTemplateData: { ImageId: east[2], InstanceType: 't3.micro' },
      }),
    );
    const tid = t.LaunchTemplate!.LaunchTemplateId!;
    await e.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: tid,
        LaunchTemplateData: { ImageId: east[15], InstanceType: 't3.micro' },
      }),
    );
    await asg(EAST).send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'web',
        LaunchTemplate: { LaunchTemplateId: tid, Version: '1' },
        MinSize: 0,
        MaxSize: 2,
        DesiredCapacity: 0,
        AvailabilityZones: [`${EAST}a`],
      }),
    );
    // a3: only a mixed-instances override of another group names it (its template's version 1).
    const o = await e.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'web-override-lt',
        LaunchTemplateData: { ImageId: east[3], InstanceType: 't3.small' },
      }),
    );
    const oid = o.LaunchTemplate!.LaunchTemplateId!;
    await e.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: oid,
        LaunchTemplateData: { ImageId: east[14], InstanceType: 't3.small' },
      }),
    );
    await asg(EAST).send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'web-mixed',
        MixedInstancesPolicy: {
          LaunchTemplate: {
            LaunchTemplateSpecification: { LaunchTemplateId: tid, Version: '2' },
            Overrides: [
              { InstanceType: 't3.micro' },
              {
                InstanceType: 't3.small',
                LaunchTemplateSpecification: { LaunchTemplateId: oid, Version: '1' },
              },
            ],
          },
        },
        MinSize: 0,
        MaxSize: 2,
        DesiredCapacity: 0,
        AvailabilityZones: [`${EAST}a`],
      }),
    );
    // Parameters: production v1 = a4 [production], then a10, a11, a12, a13 (newest 2 kept: a12, a13);
    // staging v1 = a5 [staging], a5 protected with a cooldown.
    const s = ssm(EAST);
    // SSM validates aws:ec2:image values asynchronously: wait until the version is accepted.
    const put = async (param: string, value: string) => {
      const { Version } = await s.send(
        new PutParameterCommand({
          Name: param,
          Value: value,
          Type: 'String',
          DataType: 'aws:ec2:image',
          Overwrite: true,
        }),
      );
      for (;;) {
        const current = await s.send(new GetParameterCommand({ Name: param })).catch(() => undefined);
        if (current?.Parameter?.Version === Version) return Version!;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const v1 = await put('/golden-ami/web/production', east[4]!);
    await s.send(
      new LabelParameterVersionCommand({
        Name: '/golden-ami/web/production',
        ParameterVersion: v1,
        Labels: ['production'],
      }),
    );
    for (const i of [10, 11, 12, 13]) await put('/golden-ami/web/production', east[i]!);
    await s.send(
      new LabelParameterVersionCommand({
        Name: '/golden-ami/web/staging',
        ParameterVersion: await put('/golden-ami/web/staging', east[5]!),
        Labels: ['staging'],
      }),
    );
    await e.send(new EnableImageDeregistrationProtectionCommand({ ImageId: east[5], WithCooldown: true }));
    // a6: protected, but no label holds it: it is unprotected and retired.
    await e.send(new EnableImageDeregistrationProtectionCommand({ ImageId: east[6], WithCooldown: true }));
    // a7: tagged keep; a9: shared with another account.
    await e.send(
      new CreateTagsCommand({ Resources: [east[7]!], Tags: [{ Key: 'golden-ami:keep', Value: 'true' }] }),
    );
    await e.send(
      new ModifyImageAttributeCommand({
        ImageId: east[9],
        LaunchPermission: { Add: [{ UserId: '111122223333' }] },
      }),
    );
    // c8 (eu-west-1 copy of a8) runs an instance: c8 is kept, and so is its source a8.
    await launch(WEST, west[8]!);
    // c9's snapshot was not created by this project (no bake-id tag): it must survive.
    const c9 = lc.world.region(WEST).ec2.images.get(west[9]!)!;
    lc.world.region(WEST).ec2.snapshots.get(c9.blockDeviceMappings[0]!.Ebs!.SnapshotId!)!.tags = [];
  });

  const retiredEast = () => [6, 10, 11].map((i) => east[i]!);
  const keptEast = () => [0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 14, 15].map((i) => east[i]!);
  const retiredWest = () => west.filter((_, i) => ![8, 14, 15].includes(i));

  it('a cap refuses and changes nothing', async () => {
    const since = lastSeq();
    const r = await retire({ ...inputs, 'max-retire': '5' });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toMatch(
      /max-retire: 16 AMIs would be disabled or deregistered; at most 5 may be in one run; nothing was changed/,
    );
    expect(mutationsSince(since)).toEqual([]);
    expect(await stateOf(EAST, east)).toEqual(east.map(() => 'available'));
  });

  it('a read error mid-run changes nothing', async () => {
    lc.control.addFaults({
      service: 'ec2',
      operation: 'DescribeImageReferences',
      region: WEST,
      kind: 'error',
      status: 500,
      count: 100,
    });
    const since = lastSeq();
    const r = await retire(inputs, { AWS_MAX_ATTEMPTS: '1' });
    lc.control.clearFaults();
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toMatch(/DescribeImageReferences in eu-west-1/);
    // The other region's reads succeeded: still nothing changed anywhere.
    expect(
      lc.logs.calls.query({ since, operation: 'DescribeImageReferences', region: EAST }).length,
    ).toBeGreaterThan(0);
    expect(mutationsSince(since)).toEqual([]);
  });

  it('dry-run makes no mutating call and reports what a run would do', async () => {
    const since = lastSeq();
    const r = await retire({ ...inputs, 'dry-run': 'true' });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    const ops = lc.logs.calls.query({ since }).map((c) => c.operation);
    expect(ops.filter((op) => !/^(Describe|Get|List)/.test(op))).toEqual([]);
    const disabled = JSON.parse(r.outputs.disabled!) as { imageId: string }[];
    expect(disabled.map((d) => d.imageId).sort()).toEqual([...retiredEast(), ...retiredWest()].sort());
    expect(r.summary).toContain('dry run: nothing was changed');
  });

  it('disables what nothing holds, keeps every referenced AMI, and a retired AMI cannot launch', async () => {
    const r = await retire(inputs);
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.outputs.disabled!).length).toBe(16);
    expect(r.outputs['kept-count']).toBe('16');
    expect(await stateOf(EAST, keptEast())).toEqual(keptEast().map(() => 'available'));
    expect(await stateOf(EAST, retiredEast())).toEqual(['disabled', 'disabled', 'disabled']);
    expect(await stateOf(WEST, [west[8]!, west[14]!, west[15]!])).toEqual([
      'available',
      'available',
      'available',
    ]);
    expect(new Set(await stateOf(WEST, retiredWest()))).toEqual(new Set(['disabled']));
    const found = await images(EAST, [east[6]!, east[5]!, east[10]!]);
    // a6 lost its protection (its 24-hour cooldown runs during deregister-after); a5 (labelled) kept it.
    expect(found.get(east[6]!)!.DeregistrationProtection).toMatch(/^disabled-until /);
    expect(found.get(east[5]!)!.DeregistrationProtection).toBe('enabled-with-cooldown');
    expect(found.get(east[10]!)!.DeprecationTime).toBeDefined();
    // Reasons in the summary, per region.
    expect(r.summary).toContain('#### us-east-1: 16 AMIs');
    expect(r.summary).toMatch(/in use: instance i-[0-9a-f]+/);
    expect(r.summary).toContain('group web (template');
    expect(r.summary).toContain('group web-mixed (template');
    expect(r.summary).toContain('(label production)');
    expect(r.summary).toContain('tagged golden-ami:keep=true');
    expect(r.summary).toContain('shared with other accounts');
    expect(r.summary).toContain(`source of ${west[8]} (eu-west-1), which is kept`);
    await expect(launch(EAST, east[10]!)).rejects.toMatchObject({ name: 'InvalidAMIID.Unavailable' });
  });

  it('after deregister-after deregisters with the project’s snapshots, re-enables one referenced again, waits out a cooldown', async () => {
    // Grace: the disabled-at tags say eight days ago (the action's clock is the machine's).
    const eightDaysAgo = new Date(Date.now() - 8 * DAY).toISOString();
    for (const [region, ids] of [
      [EAST, retiredEast()],
      [WEST, retiredWest()],
    ] as const)
      await ec2(region).send(
        new CreateTagsCommand({
          Resources: ids,
          Tags: [{ Key: 'golden-ami:disabled-at', Value: eightDaysAgo }],
        }),
      );
    // a11 is referenced again (a new template names it): it comes back instead of going.
    await ec2(EAST).send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'hotfix-lt',
        LaunchTemplateData: { ImageId: east[11], InstanceType: 't3.micro' },
      }),
    );
    const snapshotsOf = (region: string, id: string) =>
      lc.world
        .region(region)
        .ec2.images.get(id)!
        .blockDeviceMappings.map((m) => m.Ebs!.SnapshotId!);
    const c9Snapshot = snapshotsOf(WEST, west[9]!)[0]!;
    const a10Snapshot = snapshotsOf(EAST, east[10]!)[0]!;

    const r = await retire(inputs);
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    const retired = (JSON.parse(r.outputs.retired!) as { imageId: string }[]).map((x) => x.imageId).sort();
    expect(retired).toEqual([east[10]!, ...retiredWest()].sort());
    expect(await stateOf(EAST, [east[10]!, east[11]!, east[6]!])).toEqual(['gone', 'available', 'disabled']);
    expect(new Set(await stateOf(WEST, retiredWest()))).toEqual(new Set(['gone']));
    expect(r.summary).toContain('re-enabled: in use: launch template');
    expect(r.summary).toMatch(/deregistration protection cooldown \(disabled-until /);
    // Snapshots: ours deleted, the untagged one left and said so.
    const snaps = await ec2(WEST).send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
    expect(snaps.Snapshots!.map((s) => s.SnapshotId)).toContain(c9Snapshot);
    expect(r.summary).toContain(`snapshot ${c9Snapshot} left: not tagged golden-ami:bake-id=web-run9`);
    const east8 = await ec2(EAST).send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
    expect(east8.Snapshots!.map((s) => s.SnapshotId)).not.toContain(a10Snapshot);
    expect(r.summary).toMatch(/us-east-1[^#]*freed: 8 GiB \(8589934592 bytes/);

    // After AWS's 24-hour cooldown, a6 goes too.
    lc.control.advanceClock(25 * 3600_000);
    const last = await retire(inputs);
    expect(last.exitCode).toBe(0);
    expect(JSON.parse(last.outputs.retired!)).toEqual([{ region: EAST, imageId: east[6], name: 'web-6' }]);
    expect(await stateOf(EAST, [east[6]!])).toEqual(['gone']);
    await expect(launch(EAST, east[6]!)).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound' });
  });
});
