// retire-amis logic with the AWS SDK mocked: batching of DescribeImageReferences, the rules, the
// caps, nothing changed on a read error or in a dry run, snapshots only when tagged by the bake.
import { describe, expect, it, beforeEach } from '@jest/globals';
import { DescribeAutoScalingGroupsCommand, AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import {
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImageReferencesCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  DisableImageCommand,
  DisableImageDeregistrationProtectionCommand,
  EC2Client,
  EnableImageCommand,
  EnableImageDeprecationCommand,
  type Image,
} from '@aws-sdk/client-ec2';
import { GetParameterHistoryCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import type { AwsClients } from '../../../src/aws/clients.js';
import { memoryLog } from '../../../src/core/log.js';
import type { ActionContext } from '../../../src/core/context.js';
import { RetireRefused, retireAmis } from '../../../src/retire/retire.js';
import type { RetireOptions } from '../../../src/retire/types.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00Z');
const ec2 = mockClient(EC2Client);
const asg = mockClient(AutoScalingClient);
const ssm = mockClient(SSMClient);

const ctx: ActionContext = {
  clients: {
    defaultRegion: 'us-east-1',
    // mockClient(<class>) answers for every instance: paginators need real clients.
    ec2: () => new EC2Client({ region: 'us-east-1' }),
    autoScaling: () => new AutoScalingClient({ region: 'us-east-1' }),
    ssm: () => new SSMClient({ region: 'us-east-1' }),
  } as unknown as AwsClients,
  clock: { now: () => NOW, sleep: async () => undefined },
  log: memoryLog(),
  signal: new AbortController().signal,
};

const options = (o: Partial<RetireOptions> = {}): RetireOptions => ({
  names: ['web'],
  regions: ['us-east-1'],
  keepCount: 2,
  keepMs: 14 * 86_400_000,
  graceMs: 7 * 86_400_000,
  parameters: [],
  keepParameterVersions: 3,
  launchTemplateVersions: 10000,
  includeShared: false,
  maxRetire: 100,
  maxRetirePercent: 100,
  dryRun: false,
  ...o,
});

const image = (i: number, extra: Partial<Image> = {}, tags: Record<string, string> = {}): Image => ({
  ImageId: `ami-${String(i).padStart(8, '0')}`,
  Name: `web-${i}`,
  State: 'available',
  CreationDate: new Date(NOW - (100 - i) * DAY).toISOString(),
  BlockDeviceMappings: [
    { DeviceName: '/dev/xvda', Ebs: { SnapshotId: `snap-${String(i).padStart(8, '0')}` } },
  ],
  Tags: Object.entries({ 'golden-ami:name': 'web', 'golden-ami:bake-id': `b${i}`, ...tags }).map(
    ([Key, Value]) => ({ Key, Value }),
  ),
  ...extra,
});

const mutating = () =>
  ec2
    .calls()
    .filter((c) => !/^Describe/.test((c.args[0] as { constructor: { name: string } }).constructor.name));

beforeEach(() => {
  ec2.reset();
  asg.reset();
  ssm.reset();
  asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
  ssm.on(GetParameterHistoryCommand).resolves({ Parameters: [] });
  ec2.on(DescribeImageReferencesCommand).resolves({ ImageReferences: [] });
  ec2.on(DescribeImageAttributeCommand).resolves({ LaunchPermissions: [] });
  ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
});

describe('retireAmis', () => {
  it('asks DescribeImageReferences about at most 10 AMIs per call, excluding terminated instances', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: Array.from({ length: 23 }, (_, i) => image(i)) });
    await retireAmis(ctx, options({ dryRun: true }));
    const calls = ec2.commandCalls(DescribeImageReferencesCommand);
    expect(calls.map((c) => c.args[0].input.ImageIds!.length)).toEqual([10, 10, 3]);
    const instance = calls[0]!.args[0].input.ResourceTypes!.find((t) => t.ResourceType === 'ec2:Instance')!;
    expect(instance.ResourceTypeOptions![0]!.OptionValues).not.toContain('terminated');
  });

  it('keeps referenced, newest, young and keep-tagged AMIs and disables the rest', async () => {
    ec2.on(DescribeImagesCommand).resolves({
      Images: [
        image(1),
        image(2),
        image(3, {}, { 'golden-ami:keep': 'true' }),
        image(4),
        image(95),
        image(98),
        image(99),
      ],
    });
    ec2.on(DescribeImageReferencesCommand).resolves({
      ImageReferences: [
        {
          ImageId: 'ami-00000002',
          ResourceType: 'ec2:Instance',
          Arn: 'arn:aws:ec2:us-east-1:1:instance/i-1',
        },
      ],
    });
    const r = await retireAmis(ctx, options());
    const by = Object.fromEntries(r.regions[0]!.outcomes.map((o) => [o.image.imageId, o.action]));
    expect(by).toEqual({
      'ami-00000001': 'disable',
      'ami-00000002': 'keep',
      'ami-00000003': 'keep',
      'ami-00000004': 'disable',
      'ami-00000095': 'keep', // younger than 14 days
      'ami-00000098': 'keep',
      'ami-00000099': 'keep',
    });
    expect(ec2.commandCalls(DisableImageCommand).map((c) => c.args[0].input.ImageId)).toEqual([
      'ami-00000001',
      'ami-00000004',
    ]);
    expect(ec2.commandCalls(EnableImageDeprecationCommand)).toHaveLength(2);
    expect(ec2.commandCalls(CreateTagsCommand)[0]!.args[0].input.Tags).toEqual([
      { Key: 'golden-ami:disabled-at', Value: new Date(NOW).toISOString() },
    ]);
  });

  it('changes nothing when a read fails', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [image(1), image(2), image(3), image(4)] });
    ec2
      .on(DescribeImageAttributeCommand)
      .rejects(Object.assign(new Error('boom'), { name: 'InternalError' }));
    await expect(retireAmis(ctx, options())).rejects.toThrow(
      /DescribeImageAttribute ami-0000000\d in us-east-1/,
    );
    expect(mutating()).toEqual([]);
  });

  it('a cap refuses with the plan and changes nothing; a dry run reports it without failing', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [1, 2, 3, 4, 5, 98, 99].map((i) => image(i)) });
    await expect(retireAmis(ctx, options({ maxRetirePercent: 50 }))).rejects.toBeInstanceOf(RetireRefused);
    await expect(retireAmis(ctx, options({ maxRetire: 4 }))).rejects.toThrow(
      'max-retire: 5 AMIs would be disabled or deregistered; at most 4 may be in one run; nothing was changed',
    );
    const dry = await retireAmis(ctx, options({ maxRetire: 4, dryRun: true }));
    expect(dry.refusal).toMatch(/^max-retire: 5/);
    expect(mutating()).toEqual([]);
  });

  it('deregisters after grace-days and deletes only the snapshots tagged with the AMI’s own bake id', async () => {
    const old = new Date(NOW - 8 * DAY).toISOString();
    ec2.on(DescribeImagesCommand).resolves({
      Images: [
        image(1, { State: 'disabled' }, { 'golden-ami:disabled-at': old }),
        image(2, { State: 'disabled' }, { 'golden-ami:disabled-at': new Date(NOW - DAY).toISOString() }),
        image(98),
        image(99),
      ],
    });
    ec2.on(DescribeSnapshotsCommand).resolves({
      Snapshots: [
        {
          SnapshotId: 'snap-00000001',
          VolumeSize: 8,
          Tags: [{ Key: 'golden-ami:bake-id', Value: 'someone-else' }],
        },
      ],
    });
    const r = await retireAmis(ctx, options());
    expect(ec2.commandCalls(DeregisterImageCommand).map((c) => c.args[0].input.ImageId)).toEqual([
      'ami-00000001',
    ]);
    expect(ec2.commandCalls(DeleteSnapshotCommand)).toEqual([]);
    const gone = r.regions[0]!.outcomes.find((o) => o.image.imageId === 'ami-00000001')!;
    expect(gone.snapshots[0]!.leftBecause).toBe(
      'not tagged golden-ami:bake-id=b1 (not created by this bake)',
    );
    expect(r.regions[0]!.outcomes.find((o) => o.image.imageId === 'ami-00000002')!.action).toBe('wait');
  });

  it('re-enables a disabled AMI referenced again; unprotects only what it retires, and only with parameters to check labels', async () => {
    const old = new Date(NOW - 8 * DAY).toISOString();
    ec2.on(DescribeImagesCommand).resolves({
      Images: [
        image(1, { State: 'disabled' }, { 'golden-ami:disabled-at': old }),
        image(2, { DeregistrationProtection: 'enabled-with-cooldown' }),
        image(98),
        image(99),
      ],
    });
    ec2.on(DescribeImageReferencesCommand).resolves({
      ImageReferences: [
        {
          ImageId: 'ami-00000001',
          ResourceType: 'ec2:LaunchTemplate',
          Arn: 'arn:aws:ec2:us-east-1:1:launch-template/lt-1',
        },
      ],
    });
    const without = await retireAmis(ctx, options());
    expect(ec2.commandCalls(EnableImageCommand).map((c) => c.args[0].input.ImageId)).toEqual([
      'ami-00000001',
    ]);
    expect(without.regions[0]!.outcomes.find((o) => o.image.imageId === 'ami-00000002')!.action).toBe('keep');
    expect(ec2.commandCalls(DisableImageDeregistrationProtectionCommand)).toEqual([]);
    ssm
      .on(GetParameterHistoryCommand)
      .resolves({ Parameters: [{ Version: 1, Value: 'ami-00000099', Labels: ['production'] }] });
    await retireAmis(ctx, options({ parameters: ['/golden-ami/web'] }));
    expect(
      ec2.commandCalls(DisableImageDeregistrationProtectionCommand).map((c) => c.args[0].input.ImageId),
    ).toEqual(['ami-00000002']);
  });

  it('asks again just before deregistering, and re-enables an AMI referenced since the plan', async () => {
    const old = new Date(NOW - 8 * DAY).toISOString();
    ec2.on(DescribeImagesCommand).resolves({
      Images: [image(1, { State: 'disabled' }, { 'golden-ami:disabled-at': old }), image(98), image(99)],
    });
    ec2
      .on(DescribeImageReferencesCommand)
      .resolvesOnce({ ImageReferences: [] })
      .resolvesOnce({
        ImageReferences: [
          {
            ImageId: 'ami-00000001',
            ResourceType: 'ec2:LaunchTemplate',
            Arn: 'arn:aws:ec2:us-east-1:1:launch-template/lt-9',
          },
        ],
      });
    const r = await retireAmis(ctx, options());
    expect(ec2.commandCalls(DeregisterImageCommand)).toEqual([]);
    expect(ec2.commandCalls(EnableImageCommand).map((c) => c.args[0].input.ImageId)).toEqual([
      'ami-00000001',
    ]);
    expect(r.regions[0]!.outcomes[0]!.reasons[0]).toBe(
      're-enabled: in use since the plan was made: launch template lt-9',
    );
  });

  it('marks snapshots before deregistering; a later run deletes marked snapshots whose AMI is gone', async () => {
    const old = new Date(NOW - 8 * DAY).toISOString();
    ec2.on(DescribeImagesCommand).resolves({
      Images: [image(1, { State: 'disabled' }, { 'golden-ami:disabled-at': old }), image(98), image(99)],
    });
    const tags = (i: number, extra: Record<string, string> = {}) =>
      Object.entries({ 'golden-ami:bake-id': `b${i}`, 'golden-ami:name': 'web', ...extra }).map(
        ([Key, Value]) => ({ Key, Value }),
      );
    ec2.on(DescribeSnapshotsCommand).callsFake((input: { Filters?: { Name?: string }[] }) =>
      input.Filters?.some((f) => f.Name === 'tag-key')
        ? // ami-00000050 was deregistered by an earlier run whose DeleteSnapshot failed; ami-00000098 still exists.
          {
            Snapshots: [
              {
                SnapshotId: 'snap-00000050',
                VolumeSize: 8,
                Tags: tags(50, { 'golden-ami:retired-from': 'ami-00000050' }),
              },
              {
                SnapshotId: 'snap-00000098',
                VolumeSize: 8,
                Tags: tags(98, { 'golden-ami:retired-from': 'ami-00000098' }),
              },
            ],
          }
        : { Snapshots: [{ SnapshotId: 'snap-00000001', VolumeSize: 8, Tags: tags(1) }] },
    );
    const r = await retireAmis(ctx, options());
    const tagged = ec2.commandCalls(CreateTagsCommand).map((c) => c.args[0].input);
    expect(tagged).toEqual([
      { Resources: ['snap-00000001'], Tags: [{ Key: 'golden-ami:retired-from', Value: 'ami-00000001' }] },
    ]);
    const order = ec2
      .calls()
      .map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name)
      .filter((n) => !n.startsWith('Describe'));
    expect(order).toEqual([
      'CreateTagsCommand',
      'DeregisterImageCommand',
      'DeleteSnapshotCommand',
      'DeleteSnapshotCommand',
    ]);
    expect(ec2.commandCalls(DeleteSnapshotCommand).map((c) => c.args[0].input.SnapshotId)).toEqual([
      'snap-00000001',
      'snap-00000050',
    ]);
    expect(r.regions[0]!.leftovers).toEqual([
      { snapshotId: 'snap-00000050', bytes: 8 * 1024 ** 3, deleted: true },
    ]);
  });
});
