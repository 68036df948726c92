import type { AuthRequest, RequestContext } from './iam.js';
import {
  arr,
  ec2Resource,
  passRole,
  requestTags,
  tagOnCreate,
  templateOf,
  type Arns,
  type Params,
  type TagSpec,
} from './iam-context.js';
import type { RegionState } from './state.js';

// RunInstances' authorizations, which Auto Scaling also checks for a launch template it will launch.

/**
 * RunInstances: the instance, volume and network interface launched, the image, subnet, security
 * groups and launch template used (with `ec2:LaunchTemplate` on each when one is: "Filters access
 * based on the ARN of a launch template", Service Authorization Reference, Amazon EC2), tag-on-create
 * and the instance role. What the launch template's version gives counts as if it were in the request.
 */
export function runInstancesAuth(p: Params, r: RegionState, a: Arns): AuthRequest[] {
  const action = 'ec2:RunInstances';
  const given = p.LaunchTemplate as {
    LaunchTemplateId?: string;
    LaunchTemplateName?: string;
    Version?: string;
  };
  const template = templateOf(r, given);
  const data = (template ? versionOf(template, given?.Version)?.data : undefined) ?? {};
  const pick = (key: string) => p[key] ?? (data as Params)[key];
  const image = String(pick('ImageId') ?? '');
  const tags = arr<TagSpec>(pick('TagSpecifications'));
  const ctx = requestTags(tags.find((s) => s.ResourceType === 'instance')?.Tags);
  const lt: RequestContext = template
    ? { 'ec2:LaunchTemplate': a.ec2('launch-template', template.launchTemplateId) }
    : {};
  // ec2:IsLaunchTemplateResource: true for what the template gives, false for what the request
  // overrides ("Filters access by whether users have permissions to override resources from a launch
  // template", Service Authorization Reference); false without a template.
  const fromTemplate = (...keys: string[]) => ({
    'ec2:IsLaunchTemplateResource': String(!!template && keys.every((k) => p[k] === undefined)),
  });
  const resources = [
    { resource: a.ec2('instance', '*'), context: { ...ctx, ...fromTemplate() } },
    {
      resource: a.ec2('volume', '*'),
      context: {
        ...requestTags(tags.find((s) => s.ResourceType === 'volume')?.Tags),
        ...fromTemplate('BlockDeviceMappings'),
      },
    },
    {
      resource: a.ec2('network-interface', '*'),
      context: {
        ...requestTags(tags.find((s) => s.ResourceType === 'network-interface')?.Tags),
        ...fromTemplate('NetworkInterfaces', 'SubnetId'),
      },
    },
    ...(image.startsWith('ami-') ? [{ ...ec2Resource(r, a, image), lt: fromTemplate('ImageId') }] : []),
    ...(pick('SubnetId')
      ? [{ ...ec2Resource(r, a, String(pick('SubnetId'))), lt: fromTemplate('SubnetId') }]
      : []),
    ...arr<string>(pick('SecurityGroupIds')).map((id) => ({
      ...ec2Resource(r, a, id),
      lt: fromTemplate('SecurityGroupIds'),
    })),
    ...(pick('KeyName')
      ? [{ resource: a.ec2('key-pair', String(pick('KeyName'))), context: {}, lt: fromTemplate('KeyName') }]
      : []),
    ...(template ? [{ ...ec2Resource(r, a, template.launchTemplateId), lt: fromTemplate() }] : []),
  ];
  return [
    ...resources.map((x) => ({
      action,
      resource: x.resource,
      context: { ...x.context, ...('lt' in x ? x.lt : {}), ...lt },
    })),
    ...tagOnCreate(a, tags, 'RunInstances', (type) => a.ec2(type, '*')),
    ...passRole(a, pick('IamInstanceProfile')),
  ];
}

function versionOf(template: NonNullable<ReturnType<typeof templateOf>>, version: string | undefined) {
  const v = Number(version);
  return template.versions.get(
    Number.isInteger(v) && version !== undefined && version !== ''
      ? v
      : version === '$Latest'
        ? template.latestVersion
        : template.defaultVersion,
  );
}
