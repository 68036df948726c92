// Removes what a bake made (builders, images, snapshots), proven by its bake-id tag; shared by the failed main step, the post step and the janitor.
import {
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  TerminateInstancesCommand,
  type EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import { fromTagList } from '../../aws/tags.js';
import { hasCode } from '../../aws/errors.js';
import type { Clock } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import type { AwsClients } from '../../aws/clients.js';
import { removePackerTemporaries } from '../packer/cleanup.js';
import type { CreatedImage, PackerResources } from '../state.js';
import { cancelSpotRequests } from '../native/spot.js';
import { TAG } from '../tags.js';

export interface CleanupContext {
  clients: AwsClients;
  clock: Clock;
  log: Log;
}

export interface CleanupTarget {
  bakeId: string;
  region: string;
  builderId?: string;
  images: CreatedImage[];
  /** False once the bake succeeded: its images are the result, only the builder goes. */
  removeImages: boolean;
  /** Retries for a snapshot still held by an image being deregistered (post step: a few; main: none). */
  snapshotRetries: number;
  retryDelayMs: number;
  /** The janitor's run: an image tagged completed is a result, whatever else holds. */
  spareCompleted?: boolean;
  /** What Packer announced: its builders are terminated (when tagged with the bake), its key pair and group deleted. */
  packer?: PackerResources;
  /** How long a security group may stay held by its terminating instance (ms). */
  groupWaitMs?: number;
}

export interface CleanupReport {
  terminated: string[];
  deregistered: string[];
  deletedSnapshots: string[];
  deletedKeyPairs: string[];
  deletedSecurityGroups: string[];
  /** What could not be removed, one line each. */
  leftovers: string[];
}

export const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

export const emptyReport = (): CleanupReport => ({
  terminated: [],
  deregistered: [],
  deletedSnapshots: [],
  deletedKeyPairs: [],
  deletedSecurityGroups: [],
  leftovers: [],
});

const notOurs = (what: string, bakeId: string) =>
  `Left ${what} alone: it does not carry ${TAG.bakeId}=${bakeId}, so this bake did not make it.`;

/**
 * Removes what a bake made, found both by saved ids and by its bake-id tag (a resource created
 * in the instant before its id was saved is still found). Whatever the ids, only resources whose
 * tags carry this bake's id are touched: saved state can be forged by a build's output. Never throws: every failure is a
 * leftover line. Takes no abort signal: it runs because the bake was cancelled.
 */
export async function removeBakeResources(ctx: CleanupContext, t: CleanupTarget): Promise<CleanupReport> {
  const report = emptyReport();
  const builders = [...new Set([t.builderId, ...(t.packer?.instances ?? [])].filter((i) => i !== undefined))];
  for (const builderId of builders.length ? builders : [undefined])
    await terminateBuilders(ctx, { ...t, builderId }, report);
  if (t.removeImages) {
    const regions = [...new Set([t.region, ...t.images.map((i) => i.region)])];
    await Promise.all(regions.map((region) => removeImages(ctx, t, region, report)));
  }
  if (t.packer)
    await removePackerTemporaries(ctx, t.region, t.packer, report, { groupWaitMs: t.groupWaitMs ?? 0 });
  return report;
}

async function terminateBuilders(
  ctx: CleanupContext,
  t: CleanupTarget,
  report: CleanupReport,
): Promise<void> {
  const ec2 = ctx.clients.ec2(t.region);
  const ids = new Set<string>();
  const spotRequests = new Set<string>();
  // A builder kept for debugging (on-failure: keep) is the janitor's, at its expiry.
  const kept = (i: Instance) => fromTagList(i.Tags)[TAG.kept] !== undefined;
  const ofThisBake = (i: Instance) =>
    i.InstanceId && fromTagList(i.Tags)[TAG.bakeId] === t.bakeId && !kept(i) ? [i.InstanceId] : [];
  try {
    const filters = [
      { Name: 'tag:' + TAG.bakeId, Values: [t.bakeId] },
      { Name: 'instance-state-name', Values: LIVE_STATES },
    ];
    const out = await ec2.send(new DescribeInstancesCommand({ Filters: filters }));
    for (const i of out.Reservations?.flatMap((r) => r.Instances ?? []) ?? [])
      for (const id of ofThisBake(i)) {
        ids.add(id);
        if (i.SpotInstanceRequestId) spotRequests.add(i.SpotInstanceRequestId);
      }
    // The instance-id filter (unlike InstanceIds) does not fail for an id that is already gone.
    if (t.builderId && !ids.has(t.builderId)) {
      const byId = await ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: 'instance-id', Values: [t.builderId] },
            { Name: 'instance-state-name', Values: LIVE_STATES },
          ],
        }),
      );
      for (const i of byId.Reservations?.flatMap((r) => r.Instances ?? []) ?? []) {
        // Saved state is not proof: only an instance tagged with this bake's id is terminated.
        if (ofThisBake(i).length) {
          ids.add(i.InstanceId!);
          if (i.SpotInstanceRequestId) spotRequests.add(i.SpotInstanceRequestId);
        } else if (!kept(i)) ctx.log.warning(notOurs(`instance ${t.builderId}`, t.bakeId));
      }
    }
  } catch (err) {
    // Cannot verify what it is: leave it (the janitor finds expired builders by their tags).
    report.leftovers.push(`builders of bake ${t.bakeId} in ${t.region}: ${describeError(err)}`);
    return;
  }
  if (!ids.size) return;
  try {
    // A Spot builder's persistent request would launch it again.
    await cancelSpotRequests(ec2, [...spotRequests]);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [...ids] }));
    report.terminated.push(...ids);
    ctx.log.info(`Terminated builder ${[...ids].join(', ')}.`);
  } catch (err) {
    if (hasCode(err, 'InvalidInstanceID.NotFound')) return;
    report.leftovers.push(`builder ${[...ids].join(', ')} in ${t.region}: ${describeError(err)}`);
  }
}

async function removeImages(
  ctx: CleanupContext,
  t: CleanupTarget,
  region: string,
  report: CleanupReport,
): Promise<void> {
  const ec2 = ctx.clients.ec2(region);
  const imageIds = new Set(t.images.filter((i) => i.region === region).map((i) => i.imageId));
  const snapshots = new Set<string>();
  try {
    const tagged = await ec2.send(
      // "A disabled AMI does not appear in DescribeImages API calls by default" (DisableImage).
      new DescribeImagesCommand({
        Owners: ['self'],
        Filters: [{ Name: 'tag:' + TAG.bakeId, Values: [t.bakeId] }],
        IncludeDisabled: true,
      }),
    );
    for (const image of tagged.Images ?? []) if (image.ImageId) imageIds.add(image.ImageId);
  } catch (err) {
    ctx.log.warning(`Could not list images of bake ${t.bakeId} in ${region}: ${describeError(err)}`);
  }
  const verified: string[] = [];
  for (const imageId of imageIds) {
    try {
      const out = await ec2.send(
        new DescribeImagesCommand({
          Filters: [{ Name: 'image-id', Values: [imageId] }],
          Owners: ['self'],
          IncludeDisabled: true,
        }),
      );
      const image = out.Images?.[0];
      if (!image) continue;
      // Saved state is not proof: only an image tagged with this bake's id (and its snapshots) goes.
      if (fromTagList(image.Tags)[TAG.bakeId] !== t.bakeId) {
        ctx.log.warning(notOurs(`image ${imageId} in ${region}`, t.bakeId));
        continue;
      }
      if (t.spareCompleted && fromTagList(image.Tags)[TAG.completed]) continue;
      verified.push(imageId);
      for (const m of image.BlockDeviceMappings ?? []) if (m.Ebs?.SnapshotId) snapshots.add(m.Ebs.SnapshotId);
      await ec2.send(new DeregisterImageCommand({ ImageId: imageId }));
      report.deregistered.push(imageId);
      ctx.log.info(`Deregistered ${imageId} in ${region}.`);
    } catch (err) {
      if (hasCode(err, 'InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable')) continue;
      report.leftovers.push(`image ${imageId} in ${region}: ${describeError(err)}`);
    }
  }
  await findSnapshots(ec2, t.bakeId, verified, snapshots, ctx.log);
  for (const snapshotId of snapshots) await deleteSnapshot(ctx, ec2, region, snapshotId, t, report);
}

/** Snapshots tagged with the bake (CreateImage tags them), and snapshots naming a verified image. */
async function findSnapshots(
  ec2: EC2Client,
  bakeId: string,
  imageIds: string[],
  into: Set<string>,
  log: Log,
): Promise<void> {
  const filters = [
    [{ Name: 'tag:' + TAG.bakeId, Values: [bakeId] }],
    // CopyImage writes "Copied for DestinationAmi ami-… from SourceAmi …" on its snapshots.
    ...(imageIds.length ? [[{ Name: 'description', Values: imageIds.map((id) => `*${id}*`) }]] : []),
  ];
  for (const Filters of filters) {
    try {
      const out = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters }));
      for (const s of out.Snapshots ?? []) if (s.SnapshotId) into.add(s.SnapshotId);
    } catch (err) {
      log.debug(`DescribeSnapshots ${JSON.stringify(Filters)}: ${describeError(err)}`);
    }
  }
}

async function deleteSnapshot(
  ctx: CleanupContext,
  ec2: EC2Client,
  region: string,
  snapshotId: string,
  t: CleanupTarget,
  report: CleanupReport,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
      report.deletedSnapshots.push(snapshotId);
      return;
    } catch (err) {
      if (hasCode(err, 'InvalidSnapshot.NotFound')) return;
      // Deregistration takes a moment to release the snapshot.
      if (hasCode(err, 'InvalidSnapshot.InUse') && attempt < t.snapshotRetries) {
        await ctx.clock.sleep(t.retryDelayMs);
        continue;
      }
      report.leftovers.push(`snapshot ${snapshotId} in ${region}: ${describeError(err)}`);
      return;
    }
  }
}
