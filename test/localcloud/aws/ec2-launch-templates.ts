import type {
  CreateLaunchTemplateRequest,
  CreateLaunchTemplateVersionRequest,
  DeleteLaunchTemplateRequest,
  DeleteLaunchTemplateVersionsRequest,
  DescribeLaunchTemplatesRequest,
  DescribeLaunchTemplateVersionsRequest,
  ModifyLaunchTemplateRequest,
  RequestLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import type { Instance, LaunchTemplate, LaunchTemplateVersion, RegionState, Tag } from '../state.js';
import { applyFilters, paginate, tagsFor, type FilterInput, filterTagged } from './ec2-filters.js';
import { launchInstance, type LaunchSpec } from './ec2-instances.js';
import { launchTemplateShape, launchTemplateVersionShape } from './ec2-shapes.js';
import type { AwsHandler } from './service.js';
import { AwsError } from './service.js';
import { resolveParameterValue } from './ssm-parameters.js';
import { ec2Resource, onAnyResource, templateOf, type IamMapping } from '../iam-context.js';

/**
 * Launch templates and their numbered versions, and resolving one to what EC2 launches
 * (including `resolve:ssm:` image ids, read from SSM at launch time as EC2 does).
 */

export interface LaunchTemplateRef {
  LaunchTemplateId?: string;
  LaunchTemplateName?: string;
  Version?: string;
}

export interface ResolvedTemplate {
  template: LaunchTemplate;
  version: LaunchTemplateVersion;
  /** The version's ImageId after `resolve:ssm:` substitution (undefined when the version has none). */
  imageId?: string;
  /** The version takes its ImageId from an SSM parameter. */
  imageFromSsm: boolean;
}

const NAME = /^[a-zA-Z0-9().\-/_]{3,128}$/;

export function findTemplate(region: RegionState, ref: LaunchTemplateRef): LaunchTemplate {
  if (ref.LaunchTemplateId) {
    const t = region.ec2.launchTemplates.get(ref.LaunchTemplateId);
    if (!t) {
      throw new AwsError(
        'InvalidLaunchTemplateId.NotFound',
        `The specified launch template, with template ID ${ref.LaunchTemplateId}, does not exist.`,
      );
    }
    return t;
  }
  if (ref.LaunchTemplateName) {
    const t = [...region.ec2.launchTemplates.values()].find((x) => x.name === ref.LaunchTemplateName);
    if (!t) {
      throw new AwsError(
        'InvalidLaunchTemplateName.NotFoundException',
        `The specified launch template, with template name ${ref.LaunchTemplateName}, does not exist.`,
      );
    }
    return t;
  }
  throw new AwsError(
    'MissingParameter',
    'The request must include either LaunchTemplateId or LaunchTemplateName.',
  );
}

/** `$Latest`, `$Default`, or a number; anything else is malformed. */
export function findVersion(template: LaunchTemplate, version: string | undefined): LaunchTemplateVersion {
  const number =
    version === undefined || version === '$Default'
      ? template.defaultVersion
      : version === '$Latest'
        ? template.latestVersion
        : Number(version);
  if (!Number.isInteger(number) || number < 1) {
    throw new AwsError('InvalidLaunchTemplateId.VersionNotFound', `Version ${version} is not valid.`);
  }
  const found = template.versions.get(number);
  if (!found) {
    throw new AwsError(
      'InvalidLaunchTemplateId.VersionNotFound',
      `Could not find launch template version ${number} for template ${template.launchTemplateId}.`,
    );
  }
  return found;
}

export function resolveLaunchTemplate(region: RegionState, ref: LaunchTemplateRef): ResolvedTemplate {
  const template = findTemplate(region, ref);
  const version = findVersion(template, ref.Version);
  const raw = version.data.ImageId;
  if (typeof raw !== 'string') return { template, version, imageFromSsm: false };
  if (!raw.startsWith('resolve:ssm:')) return { template, version, imageId: raw, imageFromSsm: false };
  const selector = raw.slice('resolve:ssm:'.length);
  const value = resolveParameterValue(region, selector);
  if (value === undefined) {
    throw new AwsError(
      'InvalidParameterValue',
      `Unable to resolve the SSM parameter ${selector} for the image id.`,
    );
  }
  return { template, version, imageId: value, imageFromSsm: true };
}

/** RunInstances-style launch spec from template data; explicit request fields are merged over it. */
export function specFromTemplateData(data: RequestLaunchTemplateData): Partial<LaunchSpec> {
  const nic = data.NetworkInterfaces?.[0];
  const spec: Partial<LaunchSpec> = {};
  if (data.InstanceType) spec.instanceType = data.InstanceType;
  if (data.UserData) spec.userData = data.UserData;
  if (data.KeyName) spec.keyName = data.KeyName;
  const groupIds = data.SecurityGroupIds ?? nic?.Groups;
  if (groupIds?.length) spec.securityGroupIds = groupIds;
  if (data.SecurityGroups?.length) spec.securityGroupNames = data.SecurityGroups;
  if (nic?.SubnetId) spec.subnetId = nic.SubnetId;
  if (data.Placement?.AvailabilityZone) spec.availabilityZone = data.Placement.AvailabilityZone;
  if (data.MetadataOptions) spec.metadataOptions = data.MetadataOptions as LaunchSpec['metadataOptions'];
  if (data.BlockDeviceMappings)
    spec.blockDeviceMappings = data.BlockDeviceMappings as LaunchSpec['blockDeviceMappings'];
  if (data.IamInstanceProfile) spec.iamInstanceProfile = data.IamInstanceProfile;
  if (data.InstanceInitiatedShutdownBehavior) spec.shutdownBehavior = data.InstanceInitiatedShutdownBehavior;
  if (data.Monitoring?.Enabled !== undefined) spec.monitoring = data.Monitoring.Enabled;
  const tags = tagsFor(data.TagSpecifications, 'instance');
  if (tags.length) spec.tags = tags;
  const volumeTags = tagsFor(data.TagSpecifications, 'volume');
  if (volumeTags.length) spec.volumeTags = volumeTags;
  return spec;
}

/**
 * Launches one instance from a template version, as RunInstances with LaunchTemplate and Auto
 * Scaling do; `overrides` win over the template (tags are added to the template's).
 */
export function launchFromTemplate(
  region: RegionState,
  ref: LaunchTemplateRef,
  overrides: Partial<LaunchSpec> = {},
): { instance: Instance; resolved: ResolvedTemplate } {
  const resolved = resolveLaunchTemplate(region, ref);
  const base = specFromTemplateData(resolved.version.data as RequestLaunchTemplateData);
  const imageId = overrides.imageId ?? resolved.imageId;
  if (!imageId) throw new AwsError('MissingParameter', 'The request must contain the parameter ImageId');
  const instance = launchInstance(region, {
    ...base,
    ...overrides,
    imageId,
    tags: [
      ...(base.tags ?? []),
      ...(overrides.tags ?? []),
      { Key: 'aws:ec2launchtemplate:id', Value: resolved.template.launchTemplateId },
      { Key: 'aws:ec2launchtemplate:version', Value: String(resolved.version.versionNumber) },
    ],
    launchTemplate: {
      LaunchTemplateId: resolved.template.launchTemplateId,
      LaunchTemplateName: resolved.template.name,
      Version: String(resolved.version.versionNumber),
    },
  });
  return { instance, resolved };
}

function validateData(data: RequestLaunchTemplateData | undefined): Record<string, unknown> {
  if (!data)
    throw new AwsError('MissingParameter', 'The request must contain the parameter LaunchTemplateData');
  const image = data.ImageId;
  if (image !== undefined && !/^ami-[0-9a-f]{8,17}$/.test(image) && !image.startsWith('resolve:ssm:')) {
    throw new AwsError('InvalidAMIID.Malformed', `Invalid id: "${image}" (expecting "ami-...")`);
  }
  return data as Record<string, unknown>;
}

/** A new launch template with its first version (the default and latest), kept in the region. */
export function addLaunchTemplate(
  region: RegionState,
  name: string,
  first: { data: Record<string, unknown>; description?: string },
  tags: Tag[],
  now: number,
): LaunchTemplate {
  const template: LaunchTemplate = {
    launchTemplateId: region.world.newId('lt'),
    name,
    createTime: now,
    defaultVersion: 1,
    latestVersion: 1,
    versions: new Map([[1, { versionNumber: 1, createTime: now, ...first }]]),
    tags,
  };
  region.ec2.launchTemplates.set(template.launchTemplateId, template);
  return template;
}

const createLaunchTemplate: AwsHandler = (req, { region, world, now }) => {
  const p = req.params as unknown as CreateLaunchTemplateRequest;
  const name = p.LaunchTemplateName ?? '';
  if (!NAME.test(name)) {
    throw new AwsError(
      'InvalidLaunchTemplateName.MalformedException',
      'A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.',
    );
  }
  if ([...region.ec2.launchTemplates.values()].some((t) => t.name === name)) {
    throw new AwsError(
      'InvalidLaunchTemplateName.AlreadyExistsException',
      `Launch template name already in use.`,
    );
  }
  const data = validateData(p.LaunchTemplateData);
  const description = p.VersionDescription ? { description: p.VersionDescription } : {};
  const tags = tagsFor(p.TagSpecifications, 'launch-template');
  const template = addLaunchTemplate(region, name, { data, ...description }, tags, now);
  return { LaunchTemplate: launchTemplateShape(template, world.accountId) };
};

const describeLaunchTemplates: AwsHandler = (req, { region, world }) => {
  const p = req.params as unknown as DescribeLaunchTemplatesRequest;
  let templates = [...region.ec2.launchTemplates.values()];
  if (p.LaunchTemplateIds?.length) {
    const missing = p.LaunchTemplateIds.filter((id) => !region.ec2.launchTemplates.has(id));
    if (missing.length) {
      throw new AwsError(
        'InvalidLaunchTemplateId.NotFound',
        'At least one of the launch templates specified in the request does not exist.',
      );
    }
    templates = p.LaunchTemplateIds.map((id) => region.ec2.launchTemplates.get(id)!);
  }
  if (p.LaunchTemplateNames?.length) {
    const names = p.LaunchTemplateNames;
    if (names.some((n) => !templates.some((t) => t.name === n))) {
      throw new AwsError(
        'InvalidLaunchTemplateName.NotFoundException',
        'At least one of the launch templates specified in the request does not exist.',
      );
    }
    templates = templates.filter((t) => names.includes(t.name));
  }
  const filtered = filterTagged(templates, p.Filters, {
    'launch-template-name': (t) => t.name,
    'create-time': (t) => new Date(t.createTime).toISOString(),
  });
  const { page, NextToken } = paginate(filtered, p.MaxResults, p.NextToken);
  return { LaunchTemplates: page.map((t) => launchTemplateShape(t, world.accountId)), NextToken };
};

const createLaunchTemplateVersion: AwsHandler = (req, { region, world, now }) => {
  const p = req.params as unknown as CreateLaunchTemplateVersionRequest;
  const template = findTemplate(region, p);
  // Idempotency: a retry with the same token returns the version the first call made.
  const request = JSON.stringify({ ...p, ClientToken: undefined });
  if (p.ClientToken) {
    const earlier = [...template.versions.values()].find((v) => v.clientToken?.token === p.ClientToken);
    if (earlier) {
      if (earlier.clientToken!.request !== request) {
        throw new AwsError(
          'IdempotentParameterMismatch',
          'The client token you have provided is associated with a resource that is already deleted or has different parameters.',
        );
      }
      return { LaunchTemplateVersion: launchTemplateVersionShape(template, earlier, world.accountId) };
    }
  }
  const data = validateData(p.LaunchTemplateData);
  const source = p.SourceVersion !== undefined ? findVersion(template, p.SourceVersion).data : {};
  const versionNumber = Math.max(template.latestVersion, template.highestVersion ?? 0) + 1;
  const version: LaunchTemplateVersion = {
    versionNumber,
    createTime: now,
    // Fields not given are inherited from the source version, as AWS merges them.
    data: { ...source, ...data },
    ...(p.VersionDescription ? { description: p.VersionDescription } : {}),
    ...(p.ClientToken ? { clientToken: { token: p.ClientToken, request } } : {}),
  };
  template.versions.set(versionNumber, version);
  template.latestVersion = versionNumber;
  template.highestVersion = versionNumber;
  return { LaunchTemplateVersion: launchTemplateVersionShape(template, version, world.accountId) };
};

/** Deletes versions one by one; failures (the default version, unknown versions) are reported per item. */
const deleteLaunchTemplateVersions: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as DeleteLaunchTemplateVersionsRequest;
  const template = findTemplate(region, p);
  const ids = { LaunchTemplateId: template.launchTemplateId, LaunchTemplateName: template.name };
  const ok: object[] = [];
  const failed: object[] = [];
  for (const raw of p.Versions ?? []) {
    const number = Number(raw);
    const fail = (Code: string, Message: string) =>
      failed.push({
        ...ids,
        ...(Number.isInteger(number) ? { VersionNumber: number } : {}),
        ResponseError: { Code, Message },
      });
    if (!Number.isInteger(number) || number < 1)
      fail('launchTemplateVersionDoesNotExist', `Version ${raw} is not valid.`);
    else if (!template.versions.has(number))
      fail('launchTemplateVersionDoesNotExist', `Version ${number} does not exist.`);
    else if (number === template.defaultVersion) {
      fail(
        'launchTemplateVersionIsDefaultVersion',
        'Cannot delete the default version of a launch template.',
      );
    } else {
      template.versions.delete(number);
      template.highestVersion = Math.max(template.highestVersion ?? 0, template.latestVersion);
      template.latestVersion = Math.max(...template.versions.keys());
      ok.push({ ...ids, VersionNumber: number });
    }
  }
  return {
    SuccessfullyDeletedLaunchTemplateVersions: ok,
    UnsuccessfullyDeletedLaunchTemplateVersions: failed,
  };
};

const describeLaunchTemplateVersions: AwsHandler = (req, { region, world }) => {
  const p = req.params as unknown as DescribeLaunchTemplateVersionsRequest & { ResolveAlias?: boolean };
  const templates =
    p.LaunchTemplateId || p.LaunchTemplateName
      ? [findTemplate(region, p)]
      : [...region.ec2.launchTemplates.values()];
  const min = p.MinVersion !== undefined ? Number(p.MinVersion) : undefined;
  const max = p.MaxVersion !== undefined ? Number(p.MaxVersion) : undefined;
  const rows: { template: LaunchTemplate; version: LaunchTemplateVersion }[] = [];
  for (const template of templates) {
    if (p.Versions?.length) {
      for (const v of p.Versions) rows.push({ template, version: findVersion(template, v) });
      continue;
    }
    for (const version of [...template.versions.values()].sort((a, b) => b.versionNumber - a.versionNumber)) {
      if (min !== undefined && version.versionNumber < min) continue;
      if (max !== undefined && version.versionNumber > max) continue;
      rows.push({ template, version });
    }
  }
  const filtered = applyFilters(rows, p.Filters as FilterInput[] | undefined, {
    'image-id': (r) => r.version.data.ImageId,
    'instance-type': (r) => r.version.data.InstanceType,
    'is-default-version': (r) => String(r.template.defaultVersion === r.version.versionNumber),
  });
  const { page, NextToken } = paginate(filtered, p.MaxResults, p.NextToken);
  return {
    LaunchTemplateVersions: page.map(({ template, version }) => {
      let data = version.data;
      const image = data.ImageId;
      if (p.ResolveAlias && typeof image === 'string' && image.startsWith('resolve:ssm:')) {
        const resolved = resolveParameterValue(region, image.slice('resolve:ssm:'.length));
        if (resolved) data = { ...data, ImageId: resolved };
      }
      return launchTemplateVersionShape(template, version, world.accountId, data);
    }),
    NextToken,
  };
};

const modifyLaunchTemplate: AwsHandler = (req, { region, world }) => {
  const p = req.params as unknown as ModifyLaunchTemplateRequest;
  const template = findTemplate(region, p);
  if (p.DefaultVersion !== undefined) {
    template.defaultVersion = findVersion(template, p.DefaultVersion).versionNumber;
  }
  return { LaunchTemplate: launchTemplateShape(template, world.accountId) };
};

const deleteLaunchTemplate: AwsHandler = (req, { region, world }) => {
  const p = req.params as unknown as DeleteLaunchTemplateRequest;
  const template = findTemplate(region, p);
  region.ec2.launchTemplates.delete(template.launchTemplateId);
  return { LaunchTemplate: launchTemplateShape(template, world.accountId) };
};

export const launchTemplateHandlers: Record<string, AwsHandler> = {
  CreateLaunchTemplate: createLaunchTemplate,
  DescribeLaunchTemplates: describeLaunchTemplates,
  CreateLaunchTemplateVersion: createLaunchTemplateVersion,
  DescribeLaunchTemplateVersions: describeLaunchTemplateVersions,
  ModifyLaunchTemplate: modifyLaunchTemplate,
  DeleteLaunchTemplate: deleteLaunchTemplate,
  DeleteLaunchTemplateVersions: deleteLaunchTemplateVersions,
};

/** The template a request names by id or name, with its tags. */
const onTemplate: IamMapping = ({ action, params: p, region: r, arns: a }) => {
  const t = templateOf(r, p as { LaunchTemplateId?: string; LaunchTemplateName?: string });
  return [{ action, ...ec2Resource(r, a, t?.launchTemplateId ?? String(p.LaunchTemplateId ?? '*')) }];
};

export const launchTemplateIam: Record<string, IamMapping> = {
  CreateLaunchTemplate: ({ action, arns }) => [
    { action, resource: arns.ec2('launch-template', '*'), context: {} },
  ],
  DescribeLaunchTemplates: onAnyResource,
  CreateLaunchTemplateVersion: onTemplate,
  DescribeLaunchTemplateVersions: onAnyResource,
  ModifyLaunchTemplate: onTemplate,
  DeleteLaunchTemplate: onTemplate,
  DeleteLaunchTemplateVersions: onTemplate,
};
