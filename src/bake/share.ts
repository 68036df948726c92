// Sharing with share-with-accounts: launch permission on an AMI, and createVolumePermission on its snapshots (share-snapshots).
import {
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeSnapshotAttributeCommand,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
} from '@aws-sdk/client-ec2';
import { withContext } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import { snapshotIdsOf } from './image.js';
import { launchPermission, launchPrincipal } from './share-orgs.js';

interface Share {
  region: string;
  imageId: string;
  /** Account ids, and for launch permission also organization and OU ARNs (share-orgs.ts). */
  accounts: string[];
}

/**
 * Grants a permission to the accounts that do not hold it yet (so a rerun changes nothing):
 * reads who holds it, adds the rest, logs them. Returns the accounts added.
 */
async function grantMissing(
  ctx: ActionContext,
  o: {
    accounts: string[];
    what: string;
    permission: 'launch permissions' | 'volume permissions';
    holders: () => Promise<(string | undefined)[]>;
    add: (accounts: string[]) => Promise<unknown>;
  },
): Promise<string[]> {
  const have = new Set(
    await o.holders().catch((err: unknown) => {
      throw withContext(`reading ${o.permission} of ${o.what}`, err);
    }),
  );
  const add = o.accounts.filter((a) => !have.has(a));
  if (!add.length) return [];
  await o.add(add).catch((err: unknown) => {
    throw withContext(`sharing ${o.what} with ${add.join(', ')}`, err);
  });
  ctx.log.info(`Shared ${o.what} with ${add.join(', ')}.`);
  return add;
}

/** Grants launch permission to accounts, organizations and OUs that do not have it yet. */
export async function shareImage(ctx: ActionContext, o: Share): Promise<string[]> {
  const client = ctx.clients.ec2(o.region);
  return grantMissing(ctx, {
    accounts: o.accounts,
    what: `${o.imageId} in ${o.region}`,
    permission: 'launch permissions',
    holders: async () => {
      const out = await client.send(
        new DescribeImageAttributeCommand({ ImageId: o.imageId, Attribute: 'launchPermission' }),
        { abortSignal: ctx.signal },
      );
      return (out.LaunchPermissions ?? []).map(launchPrincipal);
    },
    add: (principals) =>
      client.send(
        new ModifyImageAttributeCommand({
          ImageId: o.imageId,
          LaunchPermission: { Add: principals.map(launchPermission) },
        }),
      ),
  });
}

/**
 * Launch permission lets an account launch the AMI; copying it also needs its snapshots:
 * ModifySnapshotAttribute "adds or removes permission settings for the specified snapshot" (its
 * createVolumePermission). Only accounts not already granted are added. Returns the snapshots changed.
 */
export async function shareSnapshots(ctx: ActionContext, o: Share): Promise<string[]> {
  const client = ctx.clients.ec2(o.region);
  const opts = { abortSignal: ctx.signal };
  const images = await client
    .send(new DescribeImagesCommand({ ImageIds: [o.imageId], IncludeDisabled: true }), opts)
    .catch((err: unknown) => {
      throw withContext(`reading the snapshots of ${o.imageId} in ${o.region}`, err);
    });
  const changed = await Promise.all(
    snapshotIdsOf(images.Images?.[0]).map(async (SnapshotId) => {
      const added = await grantMissing(ctx, {
        accounts: o.accounts,
        what: `snapshot ${SnapshotId} of ${o.imageId} in ${o.region}`,
        permission: 'volume permissions',
        holders: async () => {
          const out = await client.send(
            new DescribeSnapshotAttributeCommand({ SnapshotId, Attribute: 'createVolumePermission' }),
            opts,
          );
          return (out.CreateVolumePermissions ?? []).map((p) => p.UserId);
        },
        add: (accounts) =>
          client.send(
            new ModifySnapshotAttributeCommand({
              SnapshotId,
              Attribute: 'createVolumePermission',
              CreateVolumePermission: { Add: accounts.map((UserId) => ({ UserId })) },
            }),
          ),
      });
      return added.length ? [SnapshotId] : [];
    }),
  );
  return changed.flat();
}
