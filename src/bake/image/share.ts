// Sharing with share-with-accounts (and organizations, OUs): launch permission on an AMI, and createVolumePermission on its snapshots (share-snapshots).
import {
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeSnapshotAttributeCommand,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
} from '@aws-sdk/client-ec2';
import { withContext } from '../../core/errors.js';
import type { ActionContext } from '../../core/context.js';
import { snapshotIdsOf } from './create-copy.js';
import { launchPermission, launchPrincipal } from './share-orgs.js';

interface Share {
  region: string;
  imageId: string;
  /** Account ids, and for launch permission also organization and OU ARNs (share-orgs.ts). */
  accounts: string[];
  /** A reused image: accounts not listed lose the permission (shares converge on the input). */
  revokeOthers?: boolean;
}

type Grant = ReturnType<typeof launchPermission>;

/**
 * Grants a permission to the accounts that do not hold it yet (so a rerun changes nothing) and,
 * with revokeOthers, removes it from accounts no longer listed: reads who holds it, changes only the
 * difference, logs it. Group, organization and OU grants are never removed. Returns the changes.
 */
async function converge(
  ctx: ActionContext,
  o: {
    accounts: string[];
    revokeOthers?: boolean;
    what: string;
    permission: 'launch permissions' | 'volume permissions';
    holders: () => Promise<(string | undefined)[]>;
    modify: (change: { Add?: Grant[]; Remove?: Grant[] }) => Promise<unknown>;
  },
): Promise<string[]> {
  const have = (
    await o.holders().catch((err: unknown) => {
      throw withContext(`reading ${o.permission} of ${o.what}`, err);
    })
  ).filter((a): a is string => a !== undefined);
  const add = o.accounts.filter((a) => !have.includes(a));
  // Only account grants converge: organization and OU grants (ARNs) may be a member account's lifeline
  // made by hand, and are left alone, as group grants are.
  const remove = o.revokeOthers ? have.filter((a) => !a.startsWith('arn:') && !o.accounts.includes(a)) : [];
  const grants = (principals: string[]) => (principals.length ? principals.map(launchPermission) : undefined);
  if (!add.length && !remove.length) return [];
  await o.modify({ Add: grants(add), Remove: grants(remove) }).catch((err: unknown) => {
    throw withContext(`changing the ${o.permission} of ${o.what}`, err);
  });
  if (add.length) ctx.log.info(`Shared ${o.what} with ${add.join(', ')}.`);
  if (remove.length)
    ctx.log.info(
      `${o.what}: ${o.permission} removed from ${remove.join(', ')} (no longer in share-with-accounts).`,
    );
  return [...add, ...remove];
}

/** Grants launch permission to accounts, organizations and OUs that do not have it yet. */
export async function shareImage(ctx: ActionContext, o: Share): Promise<string[]> {
  const client = ctx.clients.ec2(o.region);
  return converge(ctx, {
    accounts: o.accounts,
    revokeOthers: o.revokeOthers,
    what: `${o.imageId} in ${o.region}`,
    permission: 'launch permissions',
    holders: async () => {
      const out = await client.send(
        new DescribeImageAttributeCommand({ ImageId: o.imageId, Attribute: 'launchPermission' }),
        { abortSignal: ctx.signal },
      );
      return (out.LaunchPermissions ?? []).filter((p) => !p.Group).map(launchPrincipal);
    },
    modify: (LaunchPermission) =>
      client.send(new ModifyImageAttributeCommand({ ImageId: o.imageId, LaunchPermission })),
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
      const added = await converge(ctx, {
        accounts: o.accounts,
        revokeOthers: o.revokeOthers,
        what: `snapshot ${SnapshotId} of ${o.imageId} in ${o.region}`,
        permission: 'volume permissions',
        holders: async () => {
          const out = await client.send(
            new DescribeSnapshotAttributeCommand({ SnapshotId, Attribute: 'createVolumePermission' }),
            opts,
          );
          return (out.CreateVolumePermissions ?? []).map((p) => p.UserId);
        },
        modify: (CreateVolumePermission) =>
          client.send(
            new ModifySnapshotAttributeCommand({
              SnapshotId,
              Attribute: 'createVolumePermission',
              CreateVolumePermission,
            }),
          ),
      });
      return added.length ? [SnapshotId] : [];
    }),
  );
  return changed.flat();
}
