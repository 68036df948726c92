/**
 * What AWS authorizes for one API request: the IAM action on each resource ARN it touches, with the
 * condition keys of that resource (its tags, the tags requested, the service a role is passed to).
 * Follows the Service Authorization Reference for the operations localcloud serves: Describe/List
 * calls authorize on `*`; RunInstances authorizes the instance, volumes, network interface, subnet,
 * security groups and image, plus ec2:CreateTags for tag specifications and iam:PassRole for an
 * instance profile; Auto Scaling checks that the caller may launch a refresh's launch template.
 */
import { asgRegionOf } from './aws/autoscaling-platform.js';
import type { AuthRequest, RequestContext } from './iam.js';
import type { RegionState, Tag } from './state.js';

type Params = Record<string, unknown>;
type TagSpec = { ResourceType?: string; Tags?: Tag[] };

const arr = <T>(v: unknown): T[] =>
  Array.isArray(v) ? (v as T[]) : v === undefined || v === null ? [] : [v as T];

function tagContext(prefixes: string[], tags: readonly Tag[] | undefined): RequestContext {
  const ctx: RequestContext = {};
  for (const t of tags ?? []) for (const p of prefixes) ctx[`${p}/${t.Key}`] = t.Value;
  return ctx;
}

const resourceTags = (service: string, tags: readonly Tag[] | undefined) =>
  tagContext(['aws:ResourceTag', `${service}:ResourceTag`], tags);

function requestTags(tags: readonly Tag[] | undefined): RequestContext {
  if (!tags?.length) return {};
  return { ...tagContext(['aws:RequestTag'], tags), 'aws:TagKeys': tags.map((t) => t.Key) };
}

class Arns {
  constructor(private readonly r: RegionState) {}
  private get account() {
    return this.r.world.accountId;
  }
  ec2(type: string, id: string, owned = true) {
    return `arn:aws:ec2:${this.r.name}:${owned ? this.account : ''}:${type}/${id}`;
  }
  /** Images and snapshots have no account in their ARN. */
  image(id: string) {
    return `arn:aws:ec2:${this.r.name}::image/${id}`;
  }
  snapshot(id: string) {
    return `arn:aws:ec2:${this.r.name}::snapshot/${id}`;
  }
  parameter(name: string) {
    const bare = name.replace(/^\//, '').replace(/:[^/:]+$/, '');
    // AWS's public parameters have no account in their ARN.
    const account = bare.startsWith('aws/') ? '' : this.account;
    return `arn:aws:ssm:${this.r.name}:${account}:parameter/${bare}`;
  }
  document(name: string) {
    const aws = name.startsWith('AWS-');
    return `arn:aws:ssm:${this.r.name}:${aws ? '' : this.account}:document/${name}`;
  }
  role(name: string) {
    return `arn:aws:iam::${this.account}:role/${name}`;
  }
}

function instance(r: RegionState, a: Arns, id: string): { resource: string; context: RequestContext } {
  const i = r.ec2.instances.get(id);
  return { resource: a.ec2('instance', id), context: resourceTags('ec2', i?.tags) };
}

/** An image's ARN with its tags and `ec2:Owner` (AWS's alias for its own images, else the account). */
function image(region: RegionState, id: string): { resource: string; context: RequestContext } {
  const i = region.ec2.images.get(id);
  const owner = i ? (i.ownerAlias ?? i.ownerId) : undefined;
  return {
    resource: `arn:aws:ec2:${region.name}::image/${id}`,
    context: {
      ...resourceTags('ec2', i?.tags),
      ...(owner ? { 'ec2:Owner': owner, 'ec2:Public': String(i!.public) } : {}),
    },
  };
}

/** ARN and tags of any EC2 resource id, by its prefix. */
function ec2Resource(r: RegionState, a: Arns, id: string): { resource: string; context: RequestContext } {
  const e = r.ec2;
  if (id.startsWith('i-')) return instance(r, a, id);
  if (id.startsWith('ami-')) return image(r, id);
  if (id.startsWith('snap-'))
    return { resource: a.snapshot(id), context: resourceTags('ec2', e.snapshots.get(id)?.tags) };
  if (id.startsWith('vol-'))
    return { resource: a.ec2('volume', id), context: resourceTags('ec2', e.volumes.get(id)?.tags) };
  if (id.startsWith('lt-'))
    return {
      resource: a.ec2('launch-template', id),
      context: resourceTags('ec2', e.launchTemplates.get(id)?.tags),
    };
  // Security groups and subnets carry the ARN of their VPC as `ec2:Vpc`.
  const vpc = (vpcId: string | undefined): RequestContext =>
    vpcId ? { 'ec2:Vpc': a.ec2('vpc', vpcId) } : {};
  if (id.startsWith('sg-')) {
    const g = e.securityGroups.get(id);
    return {
      resource: a.ec2('security-group', id),
      context: { ...resourceTags('ec2', g?.tags), ...vpc(g?.vpcId) },
    };
  }
  if (id.startsWith('subnet-')) {
    const n = e.subnets.get(id);
    return { resource: a.ec2('subnet', id), context: { ...resourceTags('ec2', n?.tags), ...vpc(n?.vpcId) } };
  }
  if (id.startsWith('vpc-'))
    return { resource: a.ec2('vpc', id), context: resourceTags('ec2', e.vpcs.get(id)?.tags) };
  if (id.startsWith('key-')) return { resource: a.ec2('key-pair', id), context: {} };
  return { resource: '*', context: {} };
}

function templateOf(
  r: RegionState,
  p: { LaunchTemplateId?: string; LaunchTemplateName?: string } | undefined,
) {
  if (!p) return undefined;
  if (p.LaunchTemplateId) return r.ec2.launchTemplates.get(p.LaunchTemplateId);
  return [...r.ec2.launchTemplates.values()].find((t) => t.name === p.LaunchTemplateName);
}

/** The role an instance profile stands for: localcloud names profiles after their roles. */
function passRole(a: Arns, profile: unknown): AuthRequest[] {
  const p = profile as { Name?: string; Arn?: string } | undefined;
  const name = p?.Name ?? p?.Arn?.split('/').pop();
  if (!name) return [];
  return [
    {
      action: 'iam:PassRole',
      resource: a.role(name),
      context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
    },
  ];
}

function tagOnCreate(
  a: Arns,
  specs: TagSpec[],
  createAction: string,
  arnOf: (type: string) => string,
): AuthRequest[] {
  return specs
    .filter((s) => s.Tags?.length)
    .map((s) => ({
      action: 'ec2:CreateTags',
      resource: arnOf(s.ResourceType ?? 'instance'),
      context: { ...requestTags(s.Tags), 'ec2:CreateAction': createAction },
    }));
}

/**
 * RunInstances: the instance, volume and network interface launched, the image, subnet, security
 * groups and launch template used (with `ec2:LaunchTemplate` on each when one is: "Filters access
 * based on the ARN of a launch template", Service Authorization Reference, Amazon EC2), tag-on-create
 * and the instance role. What the launch template's version gives counts as if it were in the request.
 */
function runInstances(p: Params, r: RegionState, a: Arns): AuthRequest[] {
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

function ec2(operation: string, p: Params, r: RegionState, a: Arns): AuthRequest[] {
  const action = `ec2:${operation}`;
  const ids = (key: string) => arr<string>(p[key]);
  switch (operation) {
    case 'RunInstances':
      return runInstances(p, r, a);
    case 'StartInstances':
    case 'StopInstances':
    case 'RebootInstances':
    case 'TerminateInstances':
    case 'GetConsoleOutput':
    case 'ModifyInstanceAttribute':
      return (
        operation === 'GetConsoleOutput' || operation === 'ModifyInstanceAttribute'
          ? [String(p.InstanceId)]
          : ids('InstanceIds')
      ).map((id) => ({ action, ...instance(r, a, id) }));
    case 'CreateTags':
    case 'DeleteTags': {
      const tags = arr<Tag>(p.Tags);
      return ids('Resources').map((id) => {
        const x = ec2Resource(r, a, id);
        return { action, resource: x.resource, context: { ...x.context, ...requestTags(tags) } };
      });
    }
    case 'CreateImage': {
      const tags = arr<TagSpec>(p.TagSpecifications);
      return [
        { action, ...instance(r, a, String(p.InstanceId)) },
        {
          action,
          resource: a.image('*'),
          context: requestTags(tags.find((s) => s.ResourceType === 'image')?.Tags),
        },
        {
          action,
          resource: a.snapshot('*'),
          context: requestTags(tags.find((s) => s.ResourceType === 'snapshot')?.Tags),
        },
        ...tagOnCreate(a, tags, 'CreateImage', (type) =>
          type === 'snapshot' ? a.snapshot('*') : a.image('*'),
        ),
      ];
    }
    case 'CopyImage': {
      const tags = arr<TagSpec>(p.TagSpecifications);
      // The source AMI is authorized too since 2024-10-28 ("you can specify resource-level
      // permissions for the CopyImage action on the source AMI", copy-ami-permissions), with ec2:Owner.
      const from = r.world.region(String(p.SourceRegion ?? r.name));
      const source = image(from, String(p.SourceImageId));
      return [
        { action, resource: source.resource, context: { 'ec2:Owner': source.context['ec2:Owner'] } },
        {
          action,
          resource: a.image('*'),
          context: requestTags(tags.find((s) => s.ResourceType === 'image')?.Tags),
        },
        ...tagOnCreate(a, tags, 'CopyImage', (type) =>
          type === 'snapshot' ? a.snapshot('*') : a.image('*'),
        ),
      ];
    }
    case 'ModifyImageAttribute':
    case 'DeregisterImage':
    case 'ResetImageAttribute':
    case 'DisableImage':
    case 'EnableImage':
    case 'EnableImageDeprecation':
    case 'DisableImageDeprecation':
    case 'EnableImageDeregistrationProtection':
    case 'DisableImageDeregistrationProtection':
    case 'EnableFastLaunch':
    case 'DisableFastLaunch':
      return [{ action, ...ec2Resource(r, a, String(p.ImageId)) }];
    case 'DeleteSnapshot':
    case 'ModifySnapshotAttribute':
      return [{ action, ...ec2Resource(r, a, String(p.SnapshotId)) }];
    case 'DescribeImageReferences': {
      // It reads the referencing resources on the caller's behalf. Docs silent on the exact actions;
      // reading: the read actions of each type asked for (AWS's AmazonEC2ImageReferencesAccessPolicy
      // "provides read access to search all supported resource types" for it).
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
    case 'CreateLaunchTemplateVersion':
    case 'ModifyLaunchTemplate':
    case 'DeleteLaunchTemplateVersions':
    case 'DeleteLaunchTemplate': {
      const t = templateOf(r, p as { LaunchTemplateId?: string; LaunchTemplateName?: string });
      return [{ action, ...ec2Resource(r, a, t?.launchTemplateId ?? String(p.LaunchTemplateId ?? '*')) }];
    }
    case 'CreateLaunchTemplate':
      return [{ action, resource: a.ec2('launch-template', '*'), context: {} }];
    case 'CreateKeyPair':
    case 'ImportKeyPair':
      return [{ action, resource: a.ec2('key-pair', String(p.KeyName ?? '*')), context: {} }];
    case 'DeleteKeyPair':
      return [{ action, resource: a.ec2('key-pair', String(p.KeyName ?? p.KeyPairId ?? '*')), context: {} }];
    case 'CreateSecurityGroup':
      return [
        { action, resource: a.ec2('security-group', '*'), context: {} },
        ...(p.VpcId ? [{ action, ...ec2Resource(r, a, String(p.VpcId)) }] : []),
      ];
    case 'DeleteSecurityGroup':
    case 'AuthorizeSecurityGroupIngress':
    case 'AuthorizeSecurityGroupEgress':
    case 'RevokeSecurityGroupIngress': {
      const id = p.GroupId
        ? String(p.GroupId)
        : [...r.ec2.securityGroups.values()].find((g) => g.groupName === p.GroupName)?.groupId;
      return [{ action, ...ec2Resource(r, a, id ?? 'sg-*') }];
    }
    default:
      // Describe* and everything without resource-level permissions.
      return [{ action, resource: '*', context: {} }];
  }
}

function ssm(operation: string, p: Params, r: RegionState, a: Arns): AuthRequest[] {
  const action = `ssm:${operation}`;
  switch (operation) {
    case 'GetParameter':
    case 'GetParameterHistory':
    case 'PutParameter':
    case 'DeleteParameter':
    case 'LabelParameterVersion':
    case 'UnlabelParameterVersion': {
      const tags = operation === 'PutParameter' ? requestTags(arr<Tag>(p.Tags)) : {};
      return [{ action, resource: a.parameter(String(p.Name)), context: tags }];
    }
    case 'GetParameters':
      return arr<string>(p.Names).map((n) => ({ action, resource: a.parameter(n), context: {} }));
    case 'GetParametersByPath':
      return [{ action, resource: a.parameter(String(p.Path)), context: {} }];
    case 'AddTagsToResource':
    case 'RemoveTagsFromResource':
    case 'ListTagsForResource': {
      const id = String(p.ResourceId);
      const resource = p.ResourceType === 'Parameter' ? a.parameter(id) : '*';
      return [{ action, resource, context: requestTags(arr<Tag>(p.Tags)) }];
    }
    case 'SendCommand':
      return [
        { action, resource: a.document(String(p.DocumentName)), context: {} },
        ...arr<string>(p.InstanceIds).map((id) => ({ action, ...instance(r, a, id) })),
      ];
    default:
      return [{ action, resource: '*', context: {} }];
  }
}

/**
 * autoscaling:MinSize, MaxSize and VPCZoneIdentifiers: "the minimum/maximum scaling size" and "the
 * identifier of a VPC zone" in the request (Service Authorization Reference, Amazon EC2 Auto Scaling),
 * present only when the request sets them.
 */
function sizeAndPlace(p: Params): RequestContext {
  const c: RequestContext = {};
  if (p.MinSize !== undefined) c['autoscaling:MinSize'] = String(p.MinSize);
  if (p.MaxSize !== undefined) c['autoscaling:MaxSize'] = String(p.MaxSize);
  if (typeof p.VPCZoneIdentifier === 'string')
    c['autoscaling:VPCZoneIdentifiers'] = p.VPCZoneIdentifier.split(',').map((s) => s.trim());
  return c;
}

function autoscaling(operation: string, p: Params, r: RegionState, a: Arns): AuthRequest[] {
  const action = `autoscaling:${operation}`;
  if (/^Describe/.test(operation)) return [{ action, resource: '*', context: {} }];
  const asg = asgRegionOf(r);
  const names =
    operation === 'CreateOrUpdateTags' || operation === 'DeleteTags'
      ? arr<{ ResourceId?: string }>(p.Tags).map((t) => t.ResourceId ?? '')
      : [String(p.AutoScalingGroupName ?? '')];
  const checks: AuthRequest[] = [...new Set(names)].map((name) => {
    const g = asg.groups.get(name);
    const resource =
      g?.arn ??
      `arn:aws:autoscaling:${r.name}:${r.world.accountId}:autoScalingGroup:*:autoScalingGroupName/${name}`;
    return {
      action,
      resource,
      context: {
        ...tagContext(
          ['aws:ResourceTag', 'autoscaling:ResourceTag'],
          g?.tags.map((t) => ({ Key: t.Key, Value: t.Value })),
        ),
        ...sizeAndPlace(p),
      },
    };
  });
  // Using a launch template, Auto Scaling checks that the caller may launch it (and pass its role).
  const desired = (
    p.DesiredConfiguration as {
      LaunchTemplate?: { LaunchTemplateId?: string; LaunchTemplateName?: string; Version?: string };
    }
  )?.LaunchTemplate;
  const given = desired ?? (p.LaunchTemplate as typeof desired);
  const template = templateOf(r, given);
  if (
    template &&
    ['StartInstanceRefresh', 'UpdateAutoScalingGroup', 'CreateAutoScalingGroup'].includes(operation)
  ) {
    // "ec2:RunInstances [is] checked when an Auto Scaling group is created or updated using a launch
    // template" (Control Amazon EC2 launch template usage in Auto Scaling groups): the launch the
    // template's version describes, authorized as RunInstances with that template would be. An
    // unnumbered version is $Latest unless it says $Default.
    const version = given?.Version === '$Default' ? '$Default' : (given?.Version ?? '$Latest');
    checks.push(
      ...runInstances(
        { LaunchTemplate: { LaunchTemplateId: template.launchTemplateId, Version: version } },
        r,
        a,
      ),
    );
  }
  return checks;
}

/** Every authorization one request needs; STS GetCallerIdentity needs none, as in AWS. */
/** SQS authorizes on the queue's ARN; DeleteMessageBatch is `sqs:DeleteMessage` (there is no batch action). */
function sqs(operation: string, params: Params, region: RegionState): AuthRequest {
  const action = `sqs:${operation.replace(/Batch$/, '')}`;
  let path = '';
  try {
    path = new URL(String(params.QueueUrl ?? '')).pathname;
  } catch {
    // no queue url: CreateQueue, GetQueueUrl name the queue themselves
  }
  const m = /^\/(\d{12})\/([^/]+)$/.exec(path);
  const name = m?.[2] ?? (typeof params.QueueName === 'string' ? params.QueueName : '*');
  const account = m?.[1] ?? region.world.accountId;
  return { action, resource: `arn:aws:sqs:${region.name}:${account}:${name}`, context: {} };
}

export function authorizationsFor(
  service: string,
  operation: string,
  params: Params,
  region: RegionState,
): AuthRequest[] {
  const a = new Arns(region);
  const global: RequestContext = { 'aws:RequestedRegion': region.name };
  let checks: AuthRequest[];
  if (service === 'sts' && operation === 'GetCallerIdentity') return [];
  else if (service === 'ec2') checks = ec2(operation, params, region, a);
  else if (service === 'ssm') checks = ssm(operation, params, region, a);
  else if (service === 'autoscaling') checks = autoscaling(operation, params, region, a);
  else if (service === 'sqs') checks = [sqs(operation, params, region)];
  else {
    const prefix = service === 'elasticloadbalancing' ? 'elasticloadbalancing' : service;
    checks = [{ action: `${prefix}:${operation}`, resource: '*', context: {} }];
  }
  return checks.map((c) => ({ ...c, context: { ...global, ...c.context } }));
}
