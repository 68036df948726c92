// retire-amis logic against localcloud in-process (./cloud.ts): batching of DescribeImageReferences,
// the rules, the caps, nothing changed on a read error or in a dry run, snapshots only when tagged
// by the bake. Outcomes are asserted on localcloud's images and snapshots and on its logs.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { ResourceTypeRequest } from '@aws-sdk/client-ec2';
import { seedGroup, seedTemplateVersion } from '../../localcloud/aws/autoscaling-seed.js';
import { RetireRefused, retireAmis } from '../../../src/retire/retire.js';
import type { RetireOptions, RetireResult } from '../../../src/retire/types.js';
import { ami, DAY, REGION, snap, startRetireCloud, T0, type RetireCloud } from './cloud.js';

let cloud: RetireCloud;
beforeAll(async () => {
  cloud = await startRetireCloud();
});
afterAll(() => cloud.stop());
beforeEach(() => cloud.reset());

const options = (o: Partial<RetireOptions> = {}): RetireOptions => ({
  names: ['web'],
  regions: [REGION],
  keepCount: 2,
  keepMs: 14 * DAY,
  graceMs: 7 * DAY,
  parameters: [],
  keepParameterVersions: 3,
  launchTemplateVersions: 10000,
  includeShared: false,
  maxRetire: 100,
  maxRetirePercent: 100,
  dryRun: false,
  ...o,
});

const retire = (o: Partial<RetireOptions> = {}) => retireAmis(cloud.context(), options(o));

const actions = (r: RetireResult) =>
  Object.fromEntries(r.regions[0]!.outcomes.map((o) => [o.image.imageId, o.action]));
const outcome = (r: RetireResult, imageId: string) =>
  r.regions[0]!.outcomes.find((o) => o.image.imageId === imageId)!;

/** The parameters of the successful calls of `operation` that changed something, in order. */
const changes = (operation: string) =>
  cloud.lc.logs.mutations.query({ operation }).map((m) => m.params as Record<string, unknown>);

const us = (...operations: string[]) => operations.map((op) => `${op} ${REGION}`);
/** What disabling (and deprecating) an AMI calls, and re-enabling one. */
const DISABLE = us('DisableImage', 'EnableImageDeprecation', 'CreateTags');
const ENABLE = us('EnableImage', 'DisableImageDeprecation', 'DeleteTags');

describe('retireAmis', () => {
  it('asks DescribeImageReferences about at most 10 AMIs per call, excluding terminated instances', async () => {
    const ids = Array.from({ length: 23 }, (_, i) => cloud.bake(i));
    // Only a terminated instance ran ami(0): it holds nothing. A stopped one still holds ami(1).
    cloud.launch(ami(0), 'terminated');
    cloud.launch(ami(1), 'stopped');
    const r = await retire({ dryRun: true });
    const calls = cloud.calls({ operation: 'DescribeImageReferences' });
    const asked = calls.map((c) => c.params.ImageIds as string[]);
    // The batches go out concurrently: their order on the wire is not the point.
    expect(asked.map((b) => b.length).sort((a, b) => b - a)).toEqual([10, 10, 3]);
    expect(asked.flat().sort()).toEqual([...ids].sort());
    for (const c of calls) {
      const types = c.params.ResourceTypes as ResourceTypeRequest[];
      const instance = types.find((t) => t.ResourceType === 'ec2:Instance')!;
      expect(instance.ResourceTypeOptions![0]!.OptionValues).not.toContain('terminated');
    }
    expect(actions(r)[ami(0)]).toBe('disable');
    expect(actions(r)[ami(1)]).toBe('keep');
    expect(cloud.mutations()).toEqual([]);
  });

  it('keeps referenced, newest, young and keep-tagged AMIs and disables the rest', async () => {
    for (const i of [1, 2, 4, 5, 95, 98, 99]) cloud.bake(i);
    cloud.bake(3, { tags: { 'golden-ami:keep': 'true' } });
    const instance = cloud.launch(ami(2), 'running');
    // ami(5): only group web's template version 1 names it; the newest version (the only one
    // DescribeImageReferences checks at launch-template-versions 1) names ami(99).
    const group = seedGroup(cloud.lc.world, REGION, {
      name: 'web',
      imageId: ami(5),
      desired: 0,
      targetGroup: false,
    });
    seedTemplateVersion(cloud.lc.world, REGION, group.launchTemplateId, { imageId: ami(99) });
    const r = await retire({ launchTemplateVersions: 1 });
    expect(actions(r)).toEqual({
      [ami(1)]: 'disable',
      [ami(2)]: 'keep',
      [ami(3)]: 'keep',
      [ami(4)]: 'disable',
      [ami(5)]: 'keep',
      [ami(95)]: 'keep', // younger than 14 days
      [ami(98)]: 'keep',
      [ami(99)]: 'keep',
    });
    expect(outcome(r, ami(2)).reasons).toEqual([`in use: instance ${instance}`]);
    expect(outcome(r, ami(5)).reasons).toEqual([`in use: group web (template ${group.launchTemplateId}@1)`]);
    expect(cloud.mutations()).toEqual([...DISABLE, ...DISABLE]);
    for (const id of [ami(1), ami(4)]) {
      expect(cloud.image(id)).toMatchObject({ state: 'disabled', deprecationTime: T0 + 60_000 });
      expect(cloud.tagsOf(id)['golden-ami:disabled-at']).toBe(new Date(T0).toISOString());
    }
    for (const i of [2, 3, 5, 95, 98, 99]) {
      expect(cloud.image(ami(i))!.state).toBe('available');
      expect(cloud.tagsOf(ami(i))).not.toHaveProperty('golden-ami:disabled-at');
    }
  });

  it('counts every EC2 call it makes, pages and writes included, as localcloud saw them', async () => {
    for (const i of [1, 2, 3, 4, 5]) cloud.bake(i);
    cloud.launch(ami(1), 'stopped');
    const r = await retire();
    const seen = cloud.calls({ service: 'ec2' }).length;
    expect(seen).toBeGreaterThan(5);
    expect(r.ec2Calls).toBe(seen);
    // A second run counts its own calls only.
    const again = await retire();
    expect(again.ec2Calls).toBe(cloud.calls({ service: 'ec2' }).length - seen);
  });

  it('changes nothing when a read fails', async () => {
    for (const i of [1, 2, 3, 4]) cloud.bake(i);
    cloud.lc.control.addFaults({
      service: 'ec2',
      operation: 'DescribeImageAttribute',
      kind: 'error',
      code: 'InternalError',
    });
    await expect(retire()).rejects.toThrow(/DescribeImageAttribute ami-0000000[12] in us-east-1/);
    expect(cloud.calls({ operation: 'DescribeImageAttribute' }).length).toBeGreaterThan(0);
    expect(cloud.mutations()).toEqual([]);
  });

  it('a cap refuses with the plan and changes nothing; a dry run reports it without failing', async () => {
    for (const i of [1, 2, 3, 4, 5, 98, 99]) cloud.bake(i);
    await expect(retire({ maxRetirePercent: 50 })).rejects.toBeInstanceOf(RetireRefused);
    await expect(retire({ maxRetire: 4 })).rejects.toThrow(
      'max-retire: 5 AMIs would be disabled or deregistered; at most 4 may be in one run; nothing was changed',
    );
    const dry = await retire({ maxRetire: 4, dryRun: true });
    expect(dry.refusal).toMatch(/^max-retire: 5/);
    expect(cloud.mutations()).toEqual([]);
  });

  it('deregisters after deregister-after and deletes only the snapshots tagged with the AMI’s own bake id', async () => {
    cloud.bake(1, { disabledDaysAgo: 8, snapshotBakeId: 'someone-else' });
    cloud.bake(2, { disabledDaysAgo: 1 });
    cloud.bake(98);
    cloud.bake(99);
    const r = await retire();
    // No DeleteSnapshot, and no retired-from mark on a snapshot that is not the bake's.
    expect(cloud.mutations()).toEqual(us('DeregisterImage'));
    expect(cloud.image(ami(1))).toBeUndefined();
    expect(cloud.snapshot(snap(1))).toBeDefined();
    expect(outcome(r, ami(1)).snapshots[0]!.leftBecause).toBe(
      'not tagged golden-ami:bake-id=b1 (not created by this bake)',
    );
    expect(outcome(r, ami(2)).action).toBe('wait');
    expect(cloud.image(ami(2))!.state).toBe('disabled');
  });

  it('re-enables a disabled AMI referenced again; unprotects only what it retires, and only with parameters to check labels', async () => {
    cloud.bake(1, { disabledDaysAgo: 8 });
    const template = cloud.template(ami(1));
    cloud.bake(2, { protectedWithCooldown: true });
    cloud.bake(98);
    cloud.bake(99);
    const without = await retire();
    expect(cloud.mutations()).toEqual(ENABLE);
    expect(outcome(without, ami(1)).reasons).toEqual([`re-enabled: in use: launch template ${template}`]);
    expect(cloud.image(ami(1))!.state).toBe('available');
    expect(cloud.image(ami(1))).not.toHaveProperty('deprecationTime');
    expect(cloud.tagsOf(ami(1))).not.toHaveProperty('golden-ami:disabled-at');
    expect(outcome(without, ami(2)).action).toBe('keep');
    expect(cloud.image(ami(2))!.deregistrationProtection).toEqual({ cooldown: true });

    cloud.parameter('/golden-ami/web', [ami(99)], { production: 1 });
    await retire({ parameters: ['/golden-ami/web'] });
    expect(changes('DisableImageDeregistrationProtection').map((p) => p.ImageId)).toEqual([ami(2)]);
    // Unprotected and disabled; AWS's cooldown runs during deregister-after.
    expect(cloud.image(ami(2))).toMatchObject({ state: 'disabled', protectedUntil: T0 + DAY });
    expect(cloud.image(ami(2))).not.toHaveProperty('deregistrationProtection');
  });

  it('asks again just before deregistering, and re-enables an AMI referenced since the plan', async () => {
    cloud.bake(1, { disabledDaysAgo: 8 });
    cloud.bake(98);
    cloud.bake(99);
    // Another workflow creates a template naming ami(1) right after the plan's read of references.
    let template: string | undefined;
    const ec2 = cloud.clients.ec2(REGION);
    ec2.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (context.commandName === 'DescribeImageReferencesCommand') template ??= cloud.template(ami(1));
        return out;
      },
      { step: 'initialize', name: 'templateAfterPlan' },
    );
    let r: RetireResult;
    try {
      r = await retire();
    } finally {
      ec2.middlewareStack.remove('templateAfterPlan');
    }
    expect(cloud.calls({ operation: 'DescribeImageReferences' })).toHaveLength(2);
    expect(cloud.mutations()).toEqual(ENABLE);
    expect(cloud.image(ami(1))!.state).toBe('available');
    expect(outcome(r, ami(1)).reasons[0]).toBe(
      `re-enabled: in use since the plan was made: launch template ${template}`,
    );
  });

  it('marks snapshots before deregistering; a later run deletes marked snapshots whose AMI is gone', async () => {
    cloud.bake(1, { disabledDaysAgo: 8 });
    cloud.bake(99);
    // ami(50) was deregistered by an earlier run whose DeleteSnapshot failed; ami(98) still exists.
    cloud.bake(50, { snapshotTags: { 'golden-ami:retired-from': ami(50) } });
    cloud.lc.world.region(REGION).ec2.images.delete(ami(50));
    cloud.bake(98, { snapshotTags: { 'golden-ami:retired-from': ami(98) } });
    const r = await retire();
    expect(cloud.mutations()).toEqual(
      us('CreateTags', 'DeregisterImage', 'DeleteSnapshot', 'DeleteSnapshot'),
    );
    expect(changes('CreateTags')).toEqual([
      { Resources: [snap(1)], Tags: [{ Key: 'golden-ami:retired-from', Value: ami(1) }] },
    ]);
    expect(changes('DeleteSnapshot').map((p) => p.SnapshotId)).toEqual([snap(1), snap(50)]);
    expect(cloud.image(ami(1))).toBeUndefined();
    expect(cloud.snapshot(snap(1))).toBeUndefined();
    expect(cloud.snapshot(snap(50))).toBeUndefined();
    expect(cloud.snapshot(snap(98))).toBeDefined();
    expect(r.regions[0]!.leftovers).toEqual([{ snapshotId: snap(50), bytes: 8 * 1024 ** 3, deleted: true }]);
  });
});
