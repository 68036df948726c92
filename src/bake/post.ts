// The post step: removes whatever the main step left, after success, failure or cancellation.
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
} from '@aws-sdk/client-ec2';
import { fromTagList } from '../aws/tags.js';
import type { ActionContext } from '../core/context.js';
import { ActionFailure, describeError } from '../core/errors.js';
import { LIVE_STATES, removeBakeResources, type CleanupReport } from './leftovers/cleanup.js';
import { endPacker } from './packer/cleanup.js';
import type { SavedBake } from './state.js';
import { TAG } from './tags.js';

/** How long a Packer still cleaning up after a cancel gets before it is killed. */
const PACKER_WAIT_MS = 60_000;
/** How long Packer's security group may stay held by its terminating builder. */
const GROUP_WAIT_MS = 180_000;

/**
 * The post step: whatever main left (a builder still there; unless the bake succeeded, every
 * image and snapshot it made; Packer's key pair and security group) is removed, then looked for
 * again: the report names what is still there, never "nothing left" when something is.
 */
export async function cleanupAfterBake(
  ctx: ActionContext,
  saved: SavedBake | undefined,
  o: { retryDelayMs: number },
): Promise<CleanupReport | undefined> {
  if (!saved) {
    ctx.log.info('Nothing to clean up: the bake never started.');
    return undefined;
  }
  await endPacker(ctx, saved.packer?.pid, PACKER_WAIT_MS);
  const report = await removeBakeResources(ctx, {
    ...saved,
    removeImages: !saved.done,
    // Saved state is text a build could have written: an image marked completed is a result, always.
    spareCompleted: true,
    snapshotRetries: 10,
    retryDelayMs: o.retryDelayMs,
    groupWaitMs: GROUP_WAIT_MS,
  });
  const removed = [
    ...report.terminated,
    ...report.deregistered,
    ...report.deletedSnapshots,
    ...report.deletedKeyPairs,
    ...report.deletedSecurityGroups,
  ];
  if (removed.length) ctx.log.info(`Cleaned up ${removed.join(', ')}.`);
  report.leftovers.push(...(await stillThere(ctx, saved)));
  if (report.leftovers.length)
    throw new ActionFailure(`Could not clean up after bake ${saved.bakeId}: ${report.leftovers.join('; ')}`);
  ctx.log.info(removed.length ? 'Nothing of the bake is left behind.' : 'Nothing left behind.');
  return report;
}

/** What of the bake is still there after the cleanup, looked up afresh (the report's proof). */
async function stillThere(ctx: ActionContext, saved: SavedBake): Promise<string[]> {
  const ec2 = ctx.clients.ec2(saved.region);
  const byBake = [{ Name: `tag:${TAG.bakeId}`, Values: [saved.bakeId] }];
  const found: string[] = [];
  const look = async (what: string, list: () => Promise<string[]>) => {
    try {
      for (const id of await list()) found.push(`${what} ${id} in ${saved.region} is still there`);
    } catch (err) {
      found.push(`could not check for ${what}s of bake ${saved.bakeId}: ${describeError(err)}`);
    }
  };
  await look('builder', async () => {
    const out = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [...byBake, { Name: 'instance-state-name', Values: LIVE_STATES }],
      }),
    );
    // A builder kept for debugging (on-failure: keep) stays on purpose, until its expiry.
    const live = out.Reservations?.flatMap((r) => r.Instances ?? []) ?? [];
    for (const i of live.filter((x) => fromTagList(x.Tags)[TAG.kept] !== undefined))
      ctx.log.info(
        `Builder ${i.InstanceId} is kept (on-failure: keep) until ${fromTagList(i.Tags)[TAG.expiresAt] ?? 'its expiry'}.`,
      );
    return live.filter((i) => fromTagList(i.Tags)[TAG.kept] === undefined).map((i) => i.InstanceId ?? '');
  });
  if (!saved.done) {
    await look('image', async () => {
      const out = await ec2.send(
        new DescribeImagesCommand({ Owners: ['self'], Filters: byBake, IncludeDisabled: true }),
      );
      return (out.Images ?? [])
        .filter((i) => !fromTagList(i.Tags)[TAG.completed])
        .map((i) => i.ImageId ?? '');
    });
    await look('snapshot', async () => {
      const out = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: byBake }));
      return (out.Snapshots ?? [])
        .filter((s) => !fromTagList(s.Tags)[TAG.completed])
        .map((s) => s.SnapshotId ?? '');
    });
  }
  const packer = saved.packer;
  if (packer?.keyPairs.length)
    await look('key pair', async () => {
      const out = await ec2.send(
        new DescribeKeyPairsCommand({ Filters: [{ Name: 'key-name', Values: packer.keyPairs }] }),
      );
      return (out.KeyPairs ?? []).map((k) => k.KeyName ?? '');
    });
  if (packer?.securityGroups.length)
    await look('security group', async () => {
      const out = await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [{ Name: 'group-name', Values: packer.securityGroups }],
        }),
      );
      return (out.SecurityGroups ?? []).map((g) => `${g.GroupName ?? ''} (${g.GroupId ?? ''})`);
    });
  return found;
}
