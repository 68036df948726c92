// Windows fast launch: EnableFastLaunch, DisableFastLaunch and DescribeFastLaunchImages on an AMI
// this account owns. Pre-provisioned snapshots themselves are not modelled, only the states.
import type { Image, RegionState } from '../state.js';
import { findImage } from './ec2-images.js';
import { AwsError, type AwsHandler } from './service.js';
import { onAnyResource, onEc2Resource, type IamMapping } from '../iam-context.js';

interface FastLaunch {
  state: 'enabling' | 'enabled' | 'disabling' | 'disabled';
  /** When enabling or disabling ends (clock ms). */
  settlesAt: number;
  maxParallelLaunches: number;
  targetResourceCount: number;
  ownerId: string;
}

const configs = new WeakMap<Image, FastLaunch>();

/** The state as of `now`: enabling and disabling settle after the image-creation time. */
function current(image: Image, now: number): FastLaunch | undefined {
  const c = configs.get(image);
  if (!c) return undefined;
  if (now >= c.settlesAt && c.state === 'enabling') c.state = 'enabled';
  if (now >= c.settlesAt && c.state === 'disabling') c.state = 'disabled';
  return c;
}

function ownWindowsImage(region: RegionState, imageId: string): Image {
  const image = findImage(region, imageId);
  if (image.ownerId !== region.world.accountId)
    throw new AwsError(
      'UnauthorizedOperation',
      `You are not authorized to change fast launch for ${imageId}.`,
    );
  // "You can only change these settings for Windows AMIs that you own or that have been shared with you."
  if (image.platform !== 'windows')
    throw new AwsError(
      'InvalidParameterValue',
      `Image ${imageId} is not a Windows AMI; fast launch is for Windows AMIs.`,
    );
  return image;
}

const shape = (image: Image, c: FastLaunch) => ({
  ImageId: image.imageId,
  ResourceType: 'snapshot',
  SnapshotConfiguration: { TargetResourceCount: c.targetResourceCount },
  MaxParallelLaunches: c.maxParallelLaunches,
  OwnerId: c.ownerId,
  State: c.state,
  StateTransitionReason: `localcloud: ${c.state}`,
  StateTransitionTime: new Date(c.settlesAt),
});

/**
 * MaxParallelLaunches: "Value must be 6 or greater." Enabling again while the pre-provisioned
 * snapshots are being removed is refused: "Amazon EC2 must remove all pre-provisioned snapshots
 * before you can enable Windows fast launch again" (code docs-silent: IncorrectState).
 */
const enableFastLaunch: AwsHandler = (req, { region, now }) => {
  const image = ownWindowsImage(region, String(req.params.ImageId ?? ''));
  const max = Number(req.params.MaxParallelLaunches ?? 6);
  if (!Number.isInteger(max) || max < 6)
    throw new AwsError('InvalidParameterValue', `MaxParallelLaunches must be 6 or greater (got ${max}).`);
  const before = current(image, now);
  if (before?.state === 'disabling')
    throw new AwsError('IncorrectState', `Fast launch of ${image.imageId} is still being disabled.`);
  const snapshot = req.params.SnapshotConfiguration as { TargetResourceCount?: number } | undefined;
  const c: FastLaunch = {
    state: before?.state === 'enabled' ? 'enabled' : 'enabling',
    settlesAt: before?.state === 'enabled' ? before.settlesAt : now + region.world.durations.imageAvailable,
    maxParallelLaunches: max,
    targetResourceCount: snapshot?.TargetResourceCount ?? 5,
    ownerId: region.world.accountId,
  };
  configs.set(image, c);
  return shape(image, c);
};

/** "Discontinue Windows fast launch for a Windows AMI, and clean up existing pre-provisioned snapshots." */
const disableFastLaunch: AwsHandler = (req, { region, now }) => {
  const image = ownWindowsImage(region, String(req.params.ImageId ?? ''));
  const c = current(image, now);
  if (!c || c.state === 'disabled' || c.state === 'disabling')
    return c ? shape(image, c) : { ImageId: image.imageId, State: 'disabled' };
  c.state = 'disabling';
  c.settlesAt = now + region.world.durations.imageAvailable;
  return shape(image, c);
};

const describeFastLaunchImages: AwsHandler = (req, { region, now }) => {
  const ids = (req.params.ImageIds as string[] | undefined) ?? [...region.ec2.images.keys()];
  const FastLaunchImages = ids.flatMap((id) => {
    const image = region.ec2.images.get(id);
    const c = image && current(image, now);
    // A disabled configuration drops out of the list.
    return image && c && c.state !== 'disabled' ? [shape(image, c)] : [];
  });
  return { FastLaunchImages };
};

export const fastLaunchHandlers: Record<string, AwsHandler> = {
  EnableFastLaunch: enableFastLaunch,
  DisableFastLaunch: disableFastLaunch,
  DescribeFastLaunchImages: describeFastLaunchImages,
};

export const fastLaunchIam: Record<string, IamMapping> = {
  EnableFastLaunch: onEc2Resource('ImageId'),
  DisableFastLaunch: onEc2Resource('ImageId'),
  DescribeFastLaunchImages: onAnyResource,
};
