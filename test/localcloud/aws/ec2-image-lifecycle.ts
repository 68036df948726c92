// EC2 image lifecycle: DescribeImageReferences, Disable/EnableImage, image deprecation, deregistration protection.
import type { Image, RegionState } from '../state.js';
import { paginate } from './ec2-filters.js';
import { findImage } from './ec2-images.js';
import { AwsError, type AwsHandler } from './service.js';
import { arr, onEc2Resource, type IamMapping, type IamRequest } from '../iam-context.js';

/** "If true, enforces deregistration protection for 24 hours after deregistration protection is disabled." */
export const PROTECTION_COOLDOWN_MS = 24 * 3600_000;

const INSTANCE_STATES = ['pending', 'running', 'shutting-down', 'terminated', 'stopping', 'stopped'];

function ownImage(region: RegionState, imageId: string): Image {
  const image = findImage(region, imageId);
  // "Only the AMI owner can disable an AMI." (DisableImage); the same holds for the other calls here.
  if (image.ownerId !== region.world.accountId) {
    throw new AwsError('AuthFailure', `Not authorized for image:${imageId}`);
  }
  return image;
}

interface ReferenceQuery {
  ImageIds?: string[];
  IncludeAllResourceTypes?: boolean;
  ResourceTypes?: {
    ResourceType?: string;
    ResourceTypeOptions?: { OptionName?: string; OptionValues?: string[] }[];
  }[];
  NextToken?: string;
  MaxResults?: number;
}

interface Scope {
  instanceStates?: Set<string>;
  versionDepth?: number;
  ssm: boolean;
}

function scopeOf(p: ReferenceQuery): Scope {
  const types = p.ResourceTypes ?? [];
  if (!p.IncludeAllResourceTypes && types.length === 0) {
    throw new AwsError(
      'InvalidParameterCombination',
      'Either IncludeAllResourceTypes or ResourceTypes must be specified.',
    );
  }
  const scope: Scope = { ssm: !!p.IncludeAllResourceTypes };
  if (p.IncludeAllResourceTypes) {
    scope.instanceStates = new Set(INSTANCE_STATES);
    scope.versionDepth = 10;
  }
  for (const t of types) {
    const options = t.ResourceTypeOptions ?? [];
    const option = (name: string) => options.find((o) => o.OptionName === name)?.OptionValues ?? [];
    for (const o of options) {
      const allowed =
        t.ResourceType === 'ec2:Instance'
          ? 'state-name'
          : t.ResourceType === 'ec2:LaunchTemplate'
            ? 'version-depth'
            : undefined;
      if (o.OptionName !== allowed)
        throw new AwsError(
          'InvalidParameterValue',
          `The option ${o.OptionName} is not valid for ${t.ResourceType}.`,
        );
    }
    switch (t.ResourceType) {
      case 'ec2:Instance': {
        // state-name: "Default: All states"
        const states = option('state-name');
        const bad = states.find((s) => !INSTANCE_STATES.includes(s));
        if (bad) throw new AwsError('InvalidParameterValue', `Invalid state-name value: ${bad}`);
        scope.instanceStates = new Set(states.length ? states : INSTANCE_STATES);
        break;
      }
      case 'ec2:LaunchTemplate': {
        // version-depth: "Valid values: Integers between 1 and 10000", "Default: 10"
        const [depth] = option('version-depth');
        const n = depth === undefined ? 10 : Number(depth);
        if (!Number.isInteger(n) || n < 1 || n > 10000)
          throw new AwsError(
            'InvalidParameterValue',
            `Invalid version-depth value: ${depth}; accepted 1 to 10000`,
          );
        scope.versionDepth = n;
        break;
      }
      case 'ssm:Parameter':
        scope.ssm = true;
        break;
      case 'imagebuilder:ImageRecipe':
      case 'imagebuilder:ContainerRecipe':
        break; // localcloud has no Image Builder: nothing references an image from there.
      default:
        throw new AwsError('InvalidParameterValue', `Invalid resource type: ${t.ResourceType}`);
    }
  }
  return scope;
}

const describeImageReferences: AwsHandler = (req, { region, world }) => {
  const p = req.params as unknown as ReferenceQuery;
  const ids = p.ImageIds ?? [];
  // ImageId.N: "Array Members: Minimum number of 1 item. Maximum number of 10 items."
  if (ids.length < 1 || ids.length > 10) {
    throw new AwsError(
      'InvalidParameterValue',
      `ImageId: between 1 and 10 image ids are accepted; got ${ids.length}`,
    );
  }
  for (const id of ids) findImage(region, id);
  const scope = scopeOf(p);
  const wanted = new Set(ids);
  const arn = (rest: string) => `arn:aws:ec2:${region.name}:${world.accountId}:${rest}`;
  const refs: { ImageId: string; ResourceType: string; Arn: string }[] = [];
  if (scope.instanceStates) {
    for (const i of region.ec2.instances.values())
      if (wanted.has(i.imageId) && scope.instanceStates.has(i.state))
        refs.push({ ImageId: i.imageId, ResourceType: 'ec2:Instance', Arn: arn(`instance/${i.instanceId}`) });
  }
  if (scope.versionDepth !== undefined) {
    for (const t of region.ec2.launchTemplates.values()) {
      // "The number of launch template versions to check, starting from the most recent version."
      const recent = [...t.versions.values()]
        .sort((a, b) => b.versionNumber - a.versionNumber)
        .slice(0, scope.versionDepth);
      const hits = new Set(
        recent
          .map((v) => v.data.ImageId)
          .filter((id): id is string => typeof id === 'string' && wanted.has(id)),
      );
      for (const id of hits)
        refs.push({
          ImageId: id,
          ResourceType: 'ec2:LaunchTemplate',
          Arn: arn(`launch-template/${t.launchTemplateId}`),
        });
    }
  }
  if (scope.ssm) {
    // Docs silent on which versions count: localcloud reads only the current value (labels on older
    // versions are the retire action's own check).
    for (const param of region.ssm.parameters.values()) {
      const current = param.versions[param.versions.length - 1];
      if (current && wanted.has(current.value)) {
        const name = param.name.startsWith('/') ? param.name : `/${param.name}`;
        refs.push({
          ImageId: current.value,
          ResourceType: 'ssm:Parameter',
          Arn: `arn:aws:ssm:${region.name}:${world.accountId}:parameter${name}`,
        });
      }
    }
  }
  const { page, NextToken } = paginate(refs, p.MaxResults, p.NextToken);
  return { ImageReferences: page, NextToken };
};

const disableImage: AwsHandler = (req, { region }) => {
  const image = ownImage(region, String(req.params.ImageId ?? ''));
  if (image.state !== 'available' && image.state !== 'disabled') {
    throw new AwsError(
      'IncorrectState',
      `Image ${image.imageId} is not in the 'available' state (it is '${image.state}').`,
    );
  }
  // "Sets the AMI state to disabled and removes all launch permissions from the AMI."
  image.state = 'disabled';
  image.public = false;
  image.launchPermissionUserIds.clear();
  return { Return: true };
};

const enableImage: AwsHandler = (req, { region }) => {
  const image = ownImage(region, String(req.params.ImageId ?? ''));
  if (image.state !== 'disabled') {
    throw new AwsError(
      'IncorrectState',
      `Image ${image.imageId} is not in the 'disabled' state (it is '${image.state}').`,
    );
  }
  // "The re-enabled AMI is marked as available … Amazon Web Services accounts … do not regain access automatically."
  image.state = 'available';
  return { Return: true };
};

const enableImageDeprecation: AwsHandler = (req, { region, now }) => {
  const image = ownImage(region, String(req.params.ImageId ?? ''));
  const at =
    req.params.DeprecateAt instanceof Date
      ? req.params.DeprecateAt.getTime()
      : Date.parse(String(req.params.DeprecateAt));
  // DeprecateAt: "You can't specify a date in the past."
  if (!Number.isFinite(at) || at < now - 60_000) {
    throw new AwsError('InvalidParameterValue', 'DeprecateAt: the deprecation time cannot be in the past.');
  }
  image.deprecationTime = at;
  return { Return: true };
};

const disableImageDeprecation: AwsHandler = (req, { region }) => {
  const image = ownImage(region, String(req.params.ImageId ?? ''));
  delete image.deprecationTime;
  return { Return: true };
};

const enableProtection: AwsHandler = (req, { region }) => {
  const image = ownImage(region, String(req.params.ImageId ?? ''));
  image.deregistrationProtection = { cooldown: req.params.WithCooldown === true };
  delete image.protectedUntil;
  return { Return: 'true' };
};

const disableProtection: AwsHandler = (req, { region, now }) => {
  const image = ownImage(region, String(req.params.ImageId ?? ''));
  // "If you chose to include a 24-hour cooldown period when you enabled deregistration protection
  // for the AMI, then, when you disable deregistration protection, you won't immediately be able to
  // deregister the AMI."
  if (image.deregistrationProtection?.cooldown) image.protectedUntil = now + PROTECTION_COOLDOWN_MS;
  delete image.deregistrationProtection;
  return { Return: 'true' };
};

export const imageLifecycleHandlers: Record<string, AwsHandler> = {
  DescribeImageReferences: describeImageReferences,
  DisableImage: disableImage,
  EnableImage: enableImage,
  EnableImageDeprecation: enableImageDeprecation,
  DisableImageDeprecation: disableImageDeprecation,
  EnableImageDeregistrationProtection: enableProtection,
  DisableImageDeregistrationProtection: disableProtection,
};

/**
 * DescribeImageReferences reads the referencing resources on the caller's behalf. Docs silent on the
 * exact actions; reading: the read actions of each type asked for (AWS's
 * AmazonEC2ImageReferencesAccessPolicy "provides read access to search all supported resource types").
 */
function imageReferencesAuth({ action, params: p }: IamRequest) {
  const types = p.IncludeAllResourceTypes
    ? ['ec2:Instance', 'ec2:LaunchTemplate', 'ssm:Parameter']
    : arr<{ ResourceType?: string }>(p.ResourceTypes).map((t) => t.ResourceType);
  const inner: Record<string, string[]> = {
    'ec2:Instance': ['ec2:DescribeInstances'],
    'ec2:LaunchTemplate': ['ec2:DescribeLaunchTemplates', 'ec2:DescribeLaunchTemplateVersions'],
    'ssm:Parameter': ['ssm:DescribeParameters'],
  };
  const reads = [...new Set(types.flatMap((t) => inner[t ?? ''] ?? []))];
  return [action, ...reads].map((x) => ({ action: x, resource: '*', context: {} }));
}

export const imageLifecycleIam: Record<string, IamMapping> = {
  DescribeImageReferences: imageReferencesAuth,
  DisableImage: onEc2Resource('ImageId'),
  EnableImage: onEc2Resource('ImageId'),
  EnableImageDeprecation: onEc2Resource('ImageId'),
  DisableImageDeprecation: onEc2Resource('ImageId'),
  EnableImageDeregistrationProtection: onEc2Resource('ImageId'),
  DisableImageDeregistrationProtection: onEc2Resource('ImageId'),
};
