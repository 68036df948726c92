// localcloud in-process for the retire unit tests (test/unit/support/localcloud-context.ts): AMIs as
// bake-ami leaves them, with fixed ids and ages on the virtual clock, and what can hold one in use:
// instances, launch templates, Auto Scaling groups, parameter versions and their labels.
import { launchInstance } from '../../localcloud/aws/ec2-instances.js';
import { seedParameter } from '../../localcloud/aws/ssm-parameters.js';
import { seedImage } from '../../localcloud/seed.js';
import type { InstanceStateName, Tag } from '../../localcloud/state.js';
import { REGION, startCloud, T0, tagsOf, type UnitCloud } from '../support/localcloud-context.js';

export { REGION, T0 };
export const DAY = 86_400_000;

const pad = (i: number) => String(i).padStart(8, '0');
/** The AMI `bake(i)` seeds, and its snapshot. */
export const ami = (i: number) => `ami-${pad(i)}`;
export const snap = (i: number) => `snap-${pad(i)}`;

export interface BakedSeed {
  /** Disabled by an earlier run this many days ago (state disabled, tagged golden-ami:disabled-at). */
  disabledDaysAgo?: number;
  /** Tags besides the bake's golden-ami:name=web and golden-ami:bake-id=b<i>. */
  tags?: Record<string, string>;
  /** Deregistration protection on, with AWS's 24-hour cooldown. */
  protectedWithCooldown?: boolean;
  /** The snapshot's bake-id tag, when it is not the AMI's own. */
  snapshotBakeId?: string;
  /** Tags on the snapshot besides the bake's. */
  snapshotTags?: Record<string, string>;
}

export interface RetireCloud extends UnitCloud {
  /** AMI `ami(i)` named web-<i>, created 100 - i days before T0, with snapshot `snap(i)`. */
  bake(i: number, seed?: BakedSeed): string;
  /** An instance in `state` launched from `imageId`. */
  launch(imageId: string, state: InstanceStateName): string;
  /** A launch template whose version 1 launches `imageId`; its id. */
  template(imageId: string): string;
  /** A parameter whose versions (1, 2, …) hold `values`; `labels` maps a label to its version. */
  parameter(name: string, values: string[], labels?: Record<string, number>): void;
  /** A resource's tags as a record (an image or a snapshot). */
  tagsOf(id: string): Record<string, string>;
}

const tagList = (tags: Record<string, string>): Tag[] =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

export async function startRetireCloud(): Promise<RetireCloud> {
  const cloud = await startCloud({ autoScaling: true });
  const world = cloud.lc.world;
  const region = () => world.region(REGION);
  let templates = 0;
  return {
    ...cloud,
    bake(i, seed = {}) {
      const r = region();
      const bakeTags = { 'golden-ami:name': 'web', 'golden-ami:bake-id': `b${i}` };
      const disabledAt: Record<string, string> =
        seed.disabledDaysAgo === undefined
          ? {}
          : { 'golden-ami:disabled-at': new Date(T0 - seed.disabledDaysAgo * DAY).toISOString() };
      const seeded = seedImage(r, {
        name: `web-${i}`,
        creationDate: T0 - (100 - i) * DAY,
        tags: tagList({ ...bakeTags, ...seed.tags, ...disabledAt }),
      });
      // Fixed ids: the tests' messages and the retire action's outcomes name them.
      const snapshot = r.ec2.snapshots.get(seeded.blockDeviceMappings[0]!.Ebs!.SnapshotId!)!;
      r.ec2.snapshots.delete(snapshot.snapshotId);
      r.ec2.images.delete(seeded.imageId);
      // As bake-ami tags the snapshot: the same provenance tags as the image.
      const snapshotBake = { ...bakeTags, 'golden-ami:bake-id': seed.snapshotBakeId ?? `b${i}` };
      r.ec2.snapshots.set(snap(i), {
        ...snapshot,
        snapshotId: snap(i),
        tags: tagList({ ...snapshotBake, ...seed.snapshotTags }),
      });
      r.ec2.images.set(ami(i), {
        ...seeded,
        imageId: ami(i),
        ...(seed.disabledDaysAgo === undefined ? {} : { state: 'disabled' as const }),
        ...(seed.protectedWithCooldown ? { deregistrationProtection: { cooldown: true } } : {}),
        blockDeviceMappings: [
          {
            ...seeded.blockDeviceMappings[0]!,
            Ebs: { ...seeded.blockDeviceMappings[0]!.Ebs, SnapshotId: snap(i) },
          },
        ],
      });
      return ami(i);
    },
    launch(imageId, state) {
      const launched = launchInstance(region(), { imageId });
      // Straight into the state asked for (a terminated one stays visible, as on AWS for a while).
      Object.assign(launched, {
        state,
        nextAt: undefined,
        ...(state === 'terminated' ? { terminatedAt: world.clock.now() } : {}),
      });
      return launched.instanceId;
    },
    template(imageId) {
      const now = world.clock.now();
      const launchTemplateId = world.newId('lt');
      region().ec2.launchTemplates.set(launchTemplateId, {
        launchTemplateId,
        name: `web-lt-${++templates}`,
        createTime: now,
        defaultVersion: 1,
        latestVersion: 1,
        versions: new Map([[1, { versionNumber: 1, createTime: now, data: { ImageId: imageId } }]]),
        tags: [],
      });
      return launchTemplateId;
    },
    parameter(name, values, labels = {}) {
      for (const value of values) seedParameter(region(), name, value, 'aws:ec2:image');
      const versions = region().ssm.parameters.get(name)!.versions;
      for (const [label, version] of Object.entries(labels))
        versions.find((v) => v.version === version)!.labels.push(label);
    },
    tagsOf(id) {
      const r = region();
      const found = r.ec2.images.get(id) ?? r.ec2.snapshots.get(id);
      if (!found) throw new Error(`no image or snapshot ${id} in ${REGION}`);
      return tagsOf(found.tags);
    },
  };
}
