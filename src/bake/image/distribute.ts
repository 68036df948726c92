// Copies the bake's AMI to copy-to-regions (reusing copies with the same fingerprint) and shares every image.
import type { ActionContext } from '../../core/context.js';
import { copyImage } from './create-copy.js';
import type { Phases } from '../phases.js';
import { recordCopyRegions } from './retag.js';
import { findReusable } from '../lookup/reuse.js';
import type { Schedule } from '../schedule.js';
import { shareImage, shareSnapshots } from './share.js';
import { launchPrincipals } from './share-orgs.js';
import type { CreatedImage } from '../state.js';
import type { BakeRunOptions, ImageSpec } from '../types.js';

export type DistributeOptions = Pick<
  BakeRunOptions,
  | 'region'
  | 'name'
  | 'bakeId'
  | 'copyToRegions'
  | 'encrypted'
  | 'kmsKeyIds'
  | 'shareWithAccounts'
  | 'shareWithOrganizations'
  | 'shareWithOrganizationalUnits'
  | 'shareSnapshots'
>;

/** Where the AMI is so far, and what a reused one is looked up by. */
export interface Distribution {
  /** Region → AMI id; the copies made are added. */
  amis: Record<string, string>;
  /** A reused AMI: copies with its fingerprint are reused too. */
  reused: boolean;
  fingerprint: string;
  spec: ImageSpec;
  schedule: Schedule;
  onImage: (image: CreatedImage) => void;
  /** reuse-max-age, as for the AMI itself. */
  notBefore?: number;
  /** This run's AMI name, for a copy that cannot take the reused AMI's. */
  freshName: string;
}

/** The key a copy to this region is made with, as kms-key-ids names it ('' for none). */
export const copyKey = (o: Pick<DistributeOptions, 'encrypted' | 'kmsKeyIds'>, region: string): string =>
  (o.encrypted && o.kmsKeyIds[region]) || '';

/** Copies to copy-to-regions (reusing a copy with the same fingerprint) and shares everywhere; returns the accounts, organizations and OUs shared with. */
export async function distribute(
  ctx: ActionContext,
  phases: Phases,
  o: DistributeOptions,
  d: Distribution,
): Promise<string[]> {
  if (!d.amis[o.region]) return [];
  const missing = o.copyToRegions.filter((r) => !d.amis[r]);
  if (missing.length)
    await phases.run('copy', `Copy to ${missing.join(', ')}`, () => copyMissing(ctx, phases, o, d, missing));
  // A reused AMI's shares converge on the input, so even an empty list is applied to it.
  const principals = launchPrincipals(o);
  if (!principals.length && !d.reused) return [];
  const title = principals.length ? `Share with ${principals.join(', ')}` : 'Remove shares no longer listed';
  await phases.run('share', title, async () => {
    if (o.encrypted && principals.length)
      ctx.log.warning('The AMI is encrypted: the accounts it is shared with also need use of its KMS key.');
    const changed = await Promise.all(
      Object.entries(d.amis).map(async ([region, imageId]) => {
        const share = { region, imageId, accounts: o.shareWithAccounts, revokeOthers: d.reused };
        const [image, snapshots] = await Promise.all([
          shareImage(ctx, { ...share, accounts: principals }),
          o.shareSnapshots || d.reused
            ? shareSnapshots(ctx, { ...share, accounts: o.shareSnapshots ? o.shareWithAccounts : [] })
            : [],
        ]);
        return [...image, ...snapshots];
      }),
    );
    if (!changed.some((a) => a.length))
      ctx.log.info(
        principals.length ? 'Already shared with every account, organization and OU.' : 'Shared with no one.',
      );
  });
  return principals;
}

async function copyMissing(
  ctx: ActionContext,
  phases: Phases,
  o: DistributeOptions,
  d: Distribution,
  missing: string[],
): Promise<void> {
  const toCopy: string[] = [];
  // AMI names are unique in a region: a copy replacing one on another key takes this run's name.
  const names: Record<string, string> = {};
  for (const region of missing) {
    const existing = d.reused
      ? await findReusable(ctx, {
          region,
          bakeName: o.name,
          fingerprint: d.fingerprint,
          notBefore: d.notBefore,
          kmsKey: copyKey(o, region),
          onOtherKey: () => (names[region] = d.freshName),
        })
      : undefined;
    if (existing?.ImageId) {
      ctx.log.info(`${region}: reusing ${existing.ImageId}.`);
      d.amis[region] = existing.ImageId;
    } else toCopy.push(region);
  }
  if (!toCopy.length) return;
  if (d.reused)
    await recordCopyRegions(ctx, { region: o.region, imageId: d.amis[o.region]!, regions: toCopy });
  const copies = await copyImage(
    ctx,
    {
      ...d.spec,
      sourceImageId: d.amis[o.region]!,
      regions: toCopy,
      bakeId: o.bakeId,
      schedule: d.schedule,
      remainingMs: () => phases.remainingMs('copy'),
      phase: 'copy',
      encrypted: o.encrypted,
      kmsKeyIds: o.kmsKeyIds,
      names,
    },
    d.onImage,
  );
  Object.assign(d.amis, copies);
}
