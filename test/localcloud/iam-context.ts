/**
 * What an IAM resource mapping is made of: the ARNs of localcloud's resources and the condition keys
 * AWS sets on them (resource tags, request tags, `ec2:Owner`, `ec2:Vpc`, `iam:PassedToService`).
 * Handler modules declare each operation's mapping next to its handler with these (CONTRIBUTING.md).
 */
import type { AuthRequest, RequestContext } from './iam.js';
import type { RegionState, Tag } from './state.js';

/** One request as a mapping sees it; `action` is `<service>:<Operation>`. */
export interface IamRequest {
  operation: string;
  action: string;
  params: Params;
  region: RegionState;
  arns: Arns;
}

/** The authorizations one operation needs: each IAM action on each resource, with its context. */
export type IamMapping = (q: IamRequest) => AuthRequest[];

/** Describe/List calls, and operations without resource-level permissions: the action on `*`. */
export const onAnyResource: IamMapping = ({ action }) => [{ action, resource: '*', context: {} }];

/**
 * The scaffold's placeholder for an operation whose resources are not declared yet: it refuses, so
 * the operation cannot be authorized on `*` by oversight (CONTRIBUTING.md, step 4).
 */
export const todoIamMapping =
  (operation: string): IamMapping =>
  () => {
    throw new Error(
      `localcloud: the IAM resource mapping of ${operation} is still the scaffold's placeholder`,
    );
  };

/** Needs no authorization at all (STS GetCallerIdentity, as in AWS). */
export const noAuthorization: IamMapping = () => [];

export type Params = Record<string, unknown>;
export type TagSpec = { ResourceType?: string; Tags?: Tag[] };

export const arr = <T>(v: unknown): T[] =>
  Array.isArray(v) ? (v as T[]) : v === undefined || v === null ? [] : [v as T];

export function tagContext(prefixes: string[], tags: readonly Tag[] | undefined): RequestContext {
  const ctx: RequestContext = {};
  for (const t of tags ?? []) for (const p of prefixes) ctx[`${p}/${t.Key}`] = t.Value;
  return ctx;
}

export const resourceTags = (service: string, tags: readonly Tag[] | undefined) =>
  tagContext(['aws:ResourceTag', `${service}:ResourceTag`], tags);

export function requestTags(tags: readonly Tag[] | undefined): RequestContext {
  if (!tags?.length) return {};
  return { ...tagContext(['aws:RequestTag'], tags), 'aws:TagKeys': tags.map((t) => t.Key) };
}

export class Arns {
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

export function instance(r: RegionState, a: Arns, id: string): { resource: string; context: RequestContext } {
  const i = r.ec2.instances.get(id);
  return { resource: a.ec2('instance', id), context: resourceTags('ec2', i?.tags) };
}

/** An image's ARN with its tags and `ec2:Owner` (AWS's alias for its own images, else the account). */
export function image(region: RegionState, id: string): { resource: string; context: RequestContext } {
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
export function ec2Resource(
  r: RegionState,
  a: Arns,
  id: string,
): { resource: string; context: RequestContext } {
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

export function templateOf(
  r: RegionState,
  p: { LaunchTemplateId?: string; LaunchTemplateName?: string } | undefined,
) {
  if (!p) return undefined;
  if (p.LaunchTemplateId) return r.ec2.launchTemplates.get(p.LaunchTemplateId);
  return [...r.ec2.launchTemplates.values()].find((t) => t.name === p.LaunchTemplateName);
}

/** The role an instance profile stands for: localcloud names profiles after their roles. */
export function passRole(a: Arns, profile: unknown): AuthRequest[] {
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

export function tagOnCreate(
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

/** The action on the EC2 resource one parameter names (`ImageId`, `SnapshotId`, …), with its tags. */
export const onEc2Resource =
  (key: string): IamMapping =>
  ({ action, params, region, arns }) => [{ action, ...ec2Resource(region, arns, String(params[key])) }];

/** The action on the one instance `InstanceId` names. */
export const onInstance: IamMapping = ({ action, params, region, arns }) => [
  { action, ...instance(region, arns, String(params.InstanceId)) },
];

/** The action on each instance `InstanceIds` lists. */
export const onEachInstance: IamMapping = ({ action, params, region, arns }) =>
  arr<string>(params.InstanceIds).map((id) => ({ action, ...instance(region, arns, id) }));

/** The request tags of the tag specification for one resource type. */
export const specTags = (specs: TagSpec[], type: string): RequestContext =>
  requestTags(specs.find((s) => s.ResourceType === type)?.Tags);
