// The changes for one decision: disable (and deprecate), re-enable, or deregister and delete snapshots.
import {
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeleteTagsCommand,
  DeregisterImageCommand,
  DisableImageCommand,
  DisableImageDeprecationCommand,
  DisableImageDeregistrationProtectionCommand,
  EnableImageCommand,
  EnableImageDeprecationCommand,
} from '@aws-sdk/client-ec2';
import { withContext } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import { RETIRE_TAG, type SnapshotInfo } from './estate.js';
import { disableFastLaunch } from './fast-launch.js';
import type { Decision, Outcome, SnapshotRecord } from './types.js';

// DeprecateAt: "You can't specify a date in the past." A minute ahead is the nearest allowed.
const DEPRECATE_AHEAD_MS = 60_000;

/** Which snapshots of a deregistered AMI go: only ours, verified by the AMI's own bake id tag. */
export function snapshotPlan(d: Decision, found: Map<string, SnapshotInfo>): SnapshotRecord[] {
  return d.image.snapshotIds.map((id) => {
    const s = found.get(id);
    if (!s)
      return {
        snapshotId: id,
        bytes: 0,
        deleted: false,
        leftBecause: 'not found among this account’s snapshots',
      };
    if (s.bakeId !== d.image.bakeId)
      return {
        snapshotId: id,
        bytes: s.bytes,
        deleted: false,
        leftBecause: `not tagged ${RETIRE_TAG.bakeId}=${d.image.bakeId} (not created by this bake)`,
      };
    return { snapshotId: id, bytes: s.bytes, deleted: false };
  });
}

export async function applyDecision(
  ctx: ActionContext,
  d: Decision,
  snapshots: SnapshotRecord[],
): Promise<Outcome> {
  const { region, imageId } = d.image;
  const ec2 = ctx.clients.ec2(region);
  // Any EC2 command; the SDK's per-command overloads do not unify, so each call site types itself.
  const send = async (what: string, command: { input: object }) => {
    try {
      await ec2.send(command as Parameters<typeof ec2.send>[0]);
    } catch (err) {
      throw withContext(`${what} ${imageId} in ${region}`, err);
    }
  };
  const now = ctx.clock.now();
  if (d.unprotect) {
    await send(
      'DisableImageDeregistrationProtection',
      new DisableImageDeregistrationProtectionCommand({ ImageId: imageId }),
    );
  }
  switch (d.action) {
    case 'disable':
      // "A disabled AMI can't be used for instance launches" and "You can re-enable a disabled AMI
      // using EnableImage" (DisableImage API reference): the reversible first stage.
      if (d.image.state !== 'disabled')
        await send('DisableImage', new DisableImageCommand({ ImageId: imageId }));
      await send(
        'EnableImageDeprecation',
        new EnableImageDeprecationCommand({
          ImageId: imageId,
          DeprecateAt: new Date(now + DEPRECATE_AHEAD_MS),
        }),
      );
      await send(
        'CreateTags',
        new CreateTagsCommand({
          Resources: [imageId],
          Tags: [{ Key: RETIRE_TAG.disabledAt, Value: new Date(now).toISOString() }],
        }),
      );
      break;
    case 'enable':
      await send('EnableImage', new EnableImageCommand({ ImageId: imageId }));
      await send('DisableImageDeprecation', new DisableImageDeprecationCommand({ ImageId: imageId }));
      await send(
        'DeleteTags',
        new DeleteTagsCommand({ Resources: [imageId], Tags: [{ Key: RETIRE_TAG.disabledAt }] }),
      );
      break;
    case 'deregister': {
      // Marked first: if a deletion below fails (or the run stops), a later run finds and deletes them.
      const ours = snapshots.filter((s) => !s.leftBecause).map((s) => s.snapshotId);
      if (ours.length)
        await send(
          'CreateTags (snapshots) of',
          new CreateTagsCommand({ Resources: ours, Tags: [{ Key: RETIRE_TAG.retiredFrom, Value: imageId }] }),
        );
      await disableFastLaunch(ctx, ec2, { imageId, region });
      await send('DeregisterImage', new DeregisterImageCommand({ ImageId: imageId }));
      for (const s of snapshots) {
        if (s.leftBecause) continue;
        await send(
          `DeleteSnapshot ${s.snapshotId} of`,
          new DeleteSnapshotCommand({ SnapshotId: s.snapshotId }),
        );
        s.deleted = true;
      }
      break;
    }
    case 'keep':
    case 'wait':
      break;
  }
  return { ...d, done: true, snapshots };
}

/** Deletes snapshots an earlier run marked retired-from an AMI that is gone now. */
export async function deleteLeftovers(
  ctx: ActionContext,
  region: string,
  leftovers: SnapshotRecord[],
): Promise<void> {
  for (const s of leftovers) {
    try {
      await ctx.clients.ec2(region).send(new DeleteSnapshotCommand({ SnapshotId: s.snapshotId }));
    } catch (err) {
      throw withContext(`DeleteSnapshot ${s.snapshotId} (left by an earlier run) in ${region}`, err);
    }
    s.deleted = true;
  }
}
