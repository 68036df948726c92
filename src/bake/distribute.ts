// Copies the bake's AMI to copy-to-regions (reusing copies with the same fingerprint) and shares every image.
import type { ActionContext } from '../core/context.js';
import { copyImage } from './image.js';
import type { Phases } from './phases.js';
import { findReusable } from './reuse.js';
import type { Schedule } from './schedule.js';
import { shareImage, shareSnapshots } from './share.js';
import { launchPrincipals } from './share-orgs.js';
import type { CreatedImage } from './state.js';
import type { BakeRunOptions, ImageSpec } from './types.js';

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
}

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
  const principals = launchPrincipals(o);
  if (!principals.length) return [];
  await phases.run('share', `Share with ${principals.join(', ')}`, async () => {
    if (o.encrypted)
      ctx.log.warning('The AMI is encrypted: the accounts it is shared with also need use of its KMS key.');
    const added = await Promise.all(
      Object.entries(d.amis).map(async ([region, imageId]) => {
        const share = { region, imageId, accounts: o.shareWithAccounts };
        const [image, snapshots] = await Promise.all([
          shareImage(ctx, { ...share, accounts: principals }),
          o.shareSnapshots ? shareSnapshots(ctx, share) : [],
        ]);
        return [...image, ...snapshots];
      }),
    );
    if (!added.some((a) => a.length)) ctx.log.info('Already shared with every account, organization and OU.');
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
  for (const region of missing) {
    const existing = d.reused
      ? await findReusable(ctx, { region, bakeName: o.name, fingerprint: d.fingerprint })
      : undefined;
    if (existing?.ImageId) {
      ctx.log.info(`${region}: reusing ${existing.ImageId}.`);
      d.amis[region] = existing.ImageId;
    } else toCopy.push(region);
  }
  if (!toCopy.length) return;
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
    },
    d.onImage,
  );
  Object.assign(d.amis, copies);
}
