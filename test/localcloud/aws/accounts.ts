// Who is calling (an account per access key) and the KMS keys EBS encrypts with, per region.
import type { Image, RegionState, World } from '../state.js';
import { credentialScope } from './sigv4.js';
import { AwsError } from './service.js';

/** A second account, reachable by signing with its access key: the receiving side of a share. */
export const SECOND_ACCOUNT = { accountId: '210987654321', accessKeyId: 'AKIDSECONDACCOUNT' } as const;

/** A KMS key id as AWS shows them: a UUID. */
function newKeyId(region: RegionState): string {
  const h = region.world.rng.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const accountsByWorld = new WeakMap<World, Map<string, string>>();

function accountMap(world: World): Map<string, string> {
  let map = accountsByWorld.get(world);
  if (!map) {
    map = new Map([[SECOND_ACCOUNT.accessKeyId, SECOND_ACCOUNT.accountId]]);
    accountsByWorld.set(world, map);
  }
  return map;
}

/** Requests signed with `accessKeyId` act as `accountId` (any other key acts as the world's account). */
export function addAccount(world: World, accessKeyId: string, accountId: string): void {
  if (!/^\d{12}$/.test(accountId)) throw new Error(`localcloud: account id ${accountId} is not 12 digits`);
  accountMap(world).set(accessKeyId, accountId);
}

/** The account a request acts as, from the access key in its SigV4 credential scope. */
export function callerAccount(world: World, headers: Record<string, string | string[] | undefined>): string {
  const auth = headers.authorization;
  const key = credentialScope(typeof auth === 'string' ? auth : undefined)?.accessKeyId;
  return (key && accountMap(world).get(key)) ?? world.accountId;
}

export interface KmsKey {
  keyId: string;
  arn: string;
  /** The AWS managed key aws/ebs: usable only inside its own account. */
  managed: boolean;
  aliases: string[];
}

/** The region's keys; the AWS managed `alias/aws/ebs` key exists from the start, as in every account. */
export function kmsKeys(region: RegionState): KmsKey[] {
  return region.serviceState('kms', () => {
    const keyId = newKeyId(region);
    return [
      {
        keyId,
        arn: `arn:aws:kms:${region.name}:${region.world.accountId}:key/${keyId}`,
        managed: true,
        aliases: ['alias/aws/ebs'],
      },
    ];
  });
}

/** A customer-managed key (seeding): its ARN is what CopyImage/RunInstances take as KmsKeyId. */
export function createKmsKey(region: RegionState, alias?: string): KmsKey {
  const keyId = newKeyId(region);
  const key: KmsKey = {
    keyId,
    arn: `arn:aws:kms:${region.name}:${region.world.accountId}:key/${keyId}`,
    managed: false,
    aliases: alias ? [alias.startsWith('alias/') ? alias : `alias/${alias}`] : [],
  };
  kmsKeys(region).push(key);
  return key;
}

/**
 * The key a KmsKeyId names (id, key ARN, alias or alias ARN); none means the AWS managed key, as
 * "The default KMS key for EBS is used unless you specify a non-default KMS key using KmsKeyId".
 * A key localcloud was not told about is taken as a customer-managed key of that ARN (lenient).
 */
export function resolveKmsKey(region: RegionState, kmsKeyId: string | undefined): KmsKey {
  const keys = kmsKeys(region);
  if (!kmsKeyId) return keys[0]!;
  const aliasArn = /^arn:aws[\w-]*:kms:[^:]+:\d{12}:(alias\/.+)$/.exec(kmsKeyId)?.[1];
  const known = keys.find(
    (k) =>
      k.keyId === kmsKeyId ||
      k.arn === kmsKeyId ||
      k.aliases.includes(kmsKeyId) ||
      (aliasArn !== undefined && k.aliases.includes(aliasArn)),
  );
  return known ?? { keyId: kmsKeyId, arn: kmsKeyId, managed: false, aliases: [] };
}

function managedKeyOf(region: RegionState, arn: string | undefined): boolean {
  return arn !== undefined && kmsKeys(region).some((k) => k.managed && k.arn === arn);
}

/**
 * RunInstances by another account: the image must be shared with it ("does not exist" otherwise,
 * as for any image the caller cannot see), and none of its snapshots may be encrypted with the
 * owner's AWS managed key: "You can't share AMIs that are backed by snapshots that are encrypted
 * with the default AWS managed key." The launch's answer is docs-silent; localcloud refuses it.
 * Customer-managed keys are assumed to grant the account in their key policy.
 */
export function checkLaunchBy(region: RegionState, image: Image, caller: string): void {
  if (caller === image.ownerId) return;
  if (!image.public && !image.launchPermissionUserIds.has(caller))
    throw new AwsError('InvalidAMIID.NotFound', `The image id '[${image.imageId}]' does not exist`);
  const managed = image.blockDeviceMappings.find((m) =>
    managedKeyOf(region, region.ec2.snapshots.get(m.Ebs?.SnapshotId ?? '')?.kmsKeyId),
  );
  if (managed)
    throw new AwsError(
      'UnauthorizedOperation',
      `You are not authorized to use the KMS key of snapshot ${managed.Ebs!.SnapshotId}: it is the AWS managed key aws/ebs of account ${image.ownerId}, which cannot be shared.`,
    );
}

/**
 * CopyImage by another account needs each snapshot's createVolumePermission: the console's answer
 * is "You do not have permission to access the storage of this ami" (the API code is docs-silent).
 */
export function checkCopyBy(region: RegionState, image: Image, caller: string): void {
  if (caller === image.ownerId) return;
  for (const m of image.blockDeviceMappings) {
    const snapshot = region.ec2.snapshots.get(m.Ebs?.SnapshotId ?? '');
    if (snapshot && !snapshot.createVolumePublic && !snapshot.createVolumeUserIds?.has(caller))
      throw new AwsError('AuthFailure', 'You do not have permission to access the storage of this ami');
  }
  checkLaunchBy(region, image, caller);
}
