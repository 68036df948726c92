import {
  CopyImageCommand,
  CreateImageCommand,
  CreateKeyPairCommand,
  CreateSecurityGroupCommand,
  RunInstancesCommand,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { removeExpiredPackerTemporaries } from '../../../src/bake/packer/janitor.js';
import { cleanupAfterBake } from '../../../src/bake/post.js';
import { readSavedBake } from '../../../src/bake/state.js';
import { AL2023, REGION, startCloud, T0, UNIT_DURATIONS, type UnitCloud } from './cloud.js';

describe('what a bake leaves: the post step, and the janitor for Packer temporaries', () => {
  let cloud: UnitCloud;
  beforeAll(async () => {
    cloud = await startCloud();
  });
  afterAll(() => cloud.stop());
  beforeEach(() => cloud.reset());

  const tagList = (tags: Record<string, string>) =>
    Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

  /** A running instance with these tags (and key pair, groups). */
  async function launch(
    tags: Record<string, string>,
    extra: Pick<RunInstancesCommandInput, 'KeyName' | 'SecurityGroupIds'> = {},
  ): Promise<string> {
    const out = await cloud.clients.ec2().send(
      new RunInstancesCommand({
        ImageId: AL2023,
        InstanceType: 't3.medium',
        MinCount: 1,
        MaxCount: 1,
        ...extra,
        ...(Object.keys(tags).length
          ? { TagSpecifications: [{ ResourceType: 'instance', Tags: tagList(tags) }] }
          : {}),
      }),
    );
    await cloud.clock.sleep(UNIT_DURATIONS.instanceBoot);
    const id = out.Instances![0]!.InstanceId!;
    expect(cloud.instance(id)!.state).toBe('running');
    return id;
  }

  /** An image of the instance, tagged (its snapshots only when `snapshotTags`), still pending. */
  async function imageOf(
    instanceId: string,
    name: string,
    tags: Record<string, string>,
    snapshotTags = false,
  ) {
    const out = await cloud.clients.ec2().send(
      new CreateImageCommand({
        InstanceId: instanceId,
        Name: name,
        NoReboot: true,
        TagSpecifications: [
          { ResourceType: 'image', Tags: tagList(tags) },
          ...(snapshotTags ? [{ ResourceType: 'snapshot' as const, Tags: tagList(tags) }] : []),
        ],
      }),
    );
    return out.ImageId!;
  }

  /**
   * What a killed bake leaves: its running builder, its AMI (with a snapshot tagged with the bake)
   * and a copy still pending in eu-west-1, whose snapshot carries only CopyImage's description.
   */
  async function leftovers(bakeId: string) {
    const tags = { 'golden-ami:bake-id': bakeId };
    const builder = await launch(tags);
    const image = await imageOf(builder, 'web-1', tags, true);
    // CopyImage needs an available source.
    await cloud.clock.sleep(UNIT_DURATIONS.imageAvailable);
    const copy = await cloud.clients.ec2('eu-west-1').send(
      new CopyImageCommand({
        SourceImageId: image,
        SourceRegion: REGION,
        Name: 'web-1',
        TagSpecifications: [{ ResourceType: 'image', Tags: tagList(tags) }],
      }),
    );
    expect(cloud.image(copy.ImageId!)!.state).toBe('pending');
    expect(cloud.ownSnapshots()).toHaveLength(2);
    return { builder, image, copy: copy.ImageId! };
  }

  const state = (values: Record<string, string>) => readSavedBake((n) => values[n] ?? '');

  it('forged state: ids that do not carry the bake id are left alone, whatever the state says', async () => {
    const foreignInstance = await launch({ team: 'other' });
    const foreignImage = await imageOf(foreignInstance, 'theirs', { team: 'other' });
    await cloud.clock.sleep(UNIT_DURATIONS.imageAvailable);
    expect(cloud.image(foreignImage)!.state).toBe('available');
    const snapshots = cloud.ownSnapshots().map((s) => s.snapshotId);
    expect(snapshots).toHaveLength(1);
    const saved = state({
      'bake-id': 'b-forged',
      region: REGION,
      'builder-instance-id': foreignInstance,
      images: JSON.stringify([{ region: REGION, imageId: foreignImage }]),
    });
    const before = cloud.lastMutation();
    await cleanupAfterBake(cloud.context(), saved, { retryDelayMs: 1 });
    expect(cloud.instance(foreignInstance)!.state).toBe('running');
    expect(cloud.image(foreignImage)).toBeDefined();
    expect(cloud.ownSnapshots().map((s) => s.snapshotId)).toEqual(snapshots);
    expect(cloud.mutations({ since: before })).toEqual([]);
  });

  it('after a killed bake: terminates the builder, deregisters its images and deletes their snapshots', async () => {
    const { builder, image, copy } = await leftovers('b-1');
    const saved = state({
      'bake-id': 'b-1',
      region: REGION,
      'builder-instance-id': builder,
      images: JSON.stringify([{ region: 'eu-west-1', imageId: copy }]),
    });
    await cleanupAfterBake(cloud.context(), saved, { retryDelayMs: 1 });
    expect(cloud.instance(builder)!.state).toBe('shutting-down');
    // Deregistered images are gone at once; their snapshots stay until deleted.
    expect(cloud.image(image)).toBeUndefined();
    expect(cloud.image(copy)).toBeUndefined();
    expect(cloud.ownSnapshots()).toEqual([]);
  });

  it('after a successful bake: keeps the images', async () => {
    const { builder, image } = await leftovers('b-2');
    await cleanupAfterBake(
      cloud.context(),
      state({ 'bake-id': 'b-2', region: REGION, 'builder-instance-id': builder, done: 'true' }),
      { retryDelayMs: 1 },
    );
    expect(cloud.image(image)).toBeDefined();
    expect(cloud.instance(builder)!.state).toBe('shutting-down');
  });

  it("forged state naming another bake's id: its completed AMI is a result, never deleted", async () => {
    const builder = await launch({ 'golden-ami:bake-id': 'b-released' });
    const image = await imageOf(builder, 'web-released', {
      'golden-ami:bake-id': 'b-released',
      'golden-ami:completed': 'true',
    });
    const saved = state({
      'bake-id': 'b-released',
      region: REGION,
      images: JSON.stringify([{ region: REGION, imageId: image }]),
      done: 'false',
    });
    await cleanupAfterBake(cloud.context(), saved, { retryDelayMs: 1 });
    expect(cloud.image(image)).toBeDefined();
  });

  /** What Packer makes before it launches: its temporary key pair and security group. */
  async function packerTemporaries(suffix: string) {
    const key = `packer_6f1c2a3b-0000-4000-8000-00000000000${suffix}`;
    const group = `packer_6f1c2a3b-1111-4000-8000-00000000000${suffix}`;
    await cloud.clients.ec2().send(new CreateKeyPairCommand({ KeyName: key }));
    const sg = await cloud.clients
      .ec2()
      .send(new CreateSecurityGroupCommand({ GroupName: group, Description: 'Temporary group for Packer' }));
    return { key, group, groupId: sg.GroupId! };
  }

  it('after a cancelled Packer bake: its builder, key pair and security group go, the group once the builder has terminated', async () => {
    const { key, group, groupId } = await packerTemporaries('1');
    const builder = await launch(
      { 'golden-ami:bake-id': 'b-p1' },
      { KeyName: key, SecurityGroupIds: [groupId] },
    );
    const saved = state({
      'bake-id': 'b-p1',
      region: REGION,
      packer: JSON.stringify({ keyPairs: [key], securityGroups: [group], instances: [builder] }),
    });
    const report = await cleanupAfterBake(cloud.context(), saved, { retryDelayMs: 1 });
    expect(report).toMatchObject({
      terminated: [builder],
      deletedKeyPairs: [key],
      deletedSecurityGroups: [`${group} (${groupId})`],
      leftovers: [],
    });
    expect(cloud.lc.world.region(REGION).ec2.keyPairs.has(key)).toBe(false);
    expect(cloud.lc.world.region(REGION).ec2.securityGroups.has(groupId)).toBe(false);
  });

  it('the report is true: a group still held by an instance not of this bake fails the post step, naming it', async () => {
    const { key, group, groupId } = await packerTemporaries('2');
    // Someone else's instance in the group: the group cannot be deleted, and is not ours to force.
    await launch({}, { SecurityGroupIds: [groupId] });
    const saved = state({
      'bake-id': 'b-p2',
      region: REGION,
      packer: JSON.stringify({ keyPairs: [key], securityGroups: [group], instances: [] }),
    });
    const ctx = cloud.context();
    await expect(cleanupAfterBake(ctx, saved, { retryDelayMs: 1 })).rejects.toThrow(
      new RegExp(
        `^Could not clean up after bake b-p2: security group ${group} in ${REGION}: .*DependencyViolation.*; security group ${group} \\(${groupId}\\) in ${REGION} is still there$`,
      ),
    );
  });

  it('touches nothing of other bakes, and nothing at all when main never started', async () => {
    const { builder, image } = await leftovers('someone-else');
    const before = cloud.lastMutation();
    await cleanupAfterBake(cloud.context(), state({ 'bake-id': 'b-3', region: REGION }), { retryDelayMs: 1 });
    await cleanupAfterBake(cloud.context(), state({}), { retryDelayMs: 1 });
    expect(cloud.instance(builder)!.state).toBe('running');
    expect(cloud.image(image)).toBeDefined();
    expect(cloud.mutations({ since: before })).toEqual([]);
  });

  // The janitor's share of Packer bakes: temporary key pairs and groups a killed job left, once expired.
  const tags = (expiresAt: string, extra: Record<string, string> = {}) =>
    Object.entries({ 'golden-ami:bake-id': 'b-killed', 'golden-ami:expires-at': expiresAt, ...extra }).map(
      ([Key, Value]) => ({ Key, Value }),
    );

  async function make(name: string, t: { Key: string; Value: string }[]) {
    const ec2 = cloud.clients.ec2();
    await ec2.send(
      new CreateKeyPairCommand({ KeyName: name, TagSpecifications: [{ ResourceType: 'key-pair', Tags: t }] }),
    );
    const g = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: name,
        Description: 'Temporary group for Packer',
        TagSpecifications: [{ ResourceType: 'security-group', Tags: t }],
      }),
    );
    return g.GroupId!;
  }

  it("deletes expired packer_* key pairs and groups a bake tagged; spares unexpired ones and anything not named as Packer's", async () => {
    const past = new Date(T0 - 60_000).toISOString();
    const future = new Date(T0 + 3_600_000).toISOString();
    const expired = await make('packer_6b165063-0f73-ae59-8d44-40399122dc34', tags(past));
    const fresh = await make('packer_6b165063-1111-ae59-8d44-40399122dc34', tags(future));
    const team = await make('team-bastion', tags(past));
    const removed = await removeExpiredPackerTemporaries(cloud.context(), { now: T0, dryRun: false });
    expect(removed).toEqual([
      'key pair packer_6b165063-0f73-ae59-8d44-40399122dc34',
      `security group packer_6b165063-0f73-ae59-8d44-40399122dc34 (${expired})`,
    ]);
    const ec2 = cloud.lc.world.region(REGION).ec2;
    expect([...ec2.keyPairs.keys()].sort()).toEqual([
      'packer_6b165063-1111-ae59-8d44-40399122dc34',
      'team-bastion',
    ]);
    expect(ec2.securityGroups.has(expired)).toBe(false);
    expect(ec2.securityGroups.has(fresh)).toBe(true);
    expect(ec2.securityGroups.has(team)).toBe(true);
  });

  it('dry run: names them, deletes nothing', async () => {
    await make('packer_6b165063-0f73-ae59-8d44-40399122dc34', tags(new Date(T0 - 1).toISOString()));
    const before = cloud.lastMutation();
    const removed = await removeExpiredPackerTemporaries(cloud.context(), { now: T0, dryRun: true });
    expect(removed).toHaveLength(2);
    expect(cloud.mutations({ since: before })).toEqual([]);
  });
});
