import type { CreateTagsRequest, DeleteTagsRequest, DescribeTagsRequest } from '@aws-sdk/client-ec2';
import type { RegionState, Tag } from '../state.js';
import { upsertTags } from '../state.js';
import { applyFilters, paginate, toTags, validateTags, type FilterInput } from './ec2-filters.js';
import { AwsError, type AwsHandler } from './service.js';
import { arr, ec2Resource, onAnyResource, requestTags, type IamMapping } from '../iam-context.js';

/** CreateTags/DeleteTags/DescribeTags over every taggable EC2 resource, found by its id prefix. */

const MAX_TAGS = 50;

interface Taggable {
  id: string;
  type: string;
  tags: Tag[];
}

function resources(region: RegionState): Taggable[] {
  const e = region.ec2;
  return [
    ...[...e.instances.values()]
      .filter((i) => i.state !== 'terminated')
      .map((i) => ({ id: i.instanceId, type: 'instance', tags: i.tags })),
    ...[...e.images.values()].map((i) => ({ id: i.imageId, type: 'image', tags: i.tags })),
    ...[...e.snapshots.values()].map((s) => ({ id: s.snapshotId, type: 'snapshot', tags: s.tags })),
    ...[...e.volumes.values()].map((v) => ({ id: v.volumeId, type: 'volume', tags: v.tags })),
    ...[...e.launchTemplates.values()].map((t) => ({
      id: t.launchTemplateId,
      type: 'launch-template',
      tags: t.tags,
    })),
    ...[...e.securityGroups.values()].map((g) => ({ id: g.groupId, type: 'security-group', tags: g.tags })),
    ...[...e.keyPairs.values()].map((k) => ({ id: k.keyPairId, type: 'key-pair', tags: k.tags })),
    ...[...e.vpcs.values()].map((v) => ({ id: v.vpcId, type: 'vpc', tags: v.tags })),
    ...[...e.subnets.values()].map((s) => ({ id: s.subnetId, type: 'subnet', tags: s.tags })),
  ];
}

const NOT_FOUND: Record<string, [string, string]> = {
  i: ['InvalidInstanceID.NotFound', "The instance ID '%s' does not exist"],
  ami: ['InvalidAMIID.NotFound', "The image id '[%s]' does not exist"],
  snap: ['InvalidSnapshot.NotFound', "The snapshot '%s' does not exist."],
  vol: ['InvalidVolume.NotFound', "The volume '%s' does not exist."],
  lt: [
    'InvalidLaunchTemplateId.NotFound',
    'The specified launch template, with template ID %s, does not exist.',
  ],
  sg: ['InvalidGroup.NotFound', "The security group '%s' does not exist"],
  vpc: ['InvalidVpcID.NotFound', "The vpc ID '%s' does not exist"],
  subnet: ['InvalidSubnetID.NotFound', "The subnet ID '%s' does not exist"],
  key: ['InvalidKeyPair.NotFound', "The key pair '%s' does not exist"],
};

function lookup(region: RegionState, ids: readonly string[]): Taggable[] {
  const all = new Map(resources(region).map((r) => [r.id, r]));
  return ids.map((id) => {
    const found = all.get(id);
    if (found) return found;
    const prefix = id.split('-')[0] ?? '';
    const known = NOT_FOUND[prefix];
    if (!known) throw new AwsError('InvalidID', `The ID '${id}' is not valid`);
    throw new AwsError(known[0], known[1].replace('%s', id));
  });
}

const createTags: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as CreateTagsRequest;
  const tags = toTags(p.Tags);
  validateTags(tags);
  const targets = lookup(region, p.Resources ?? []);
  for (const target of targets) {
    const keys = new Set([...target.tags.map((t) => t.Key), ...tags.map((t) => t.Key)]);
    if (keys.size > MAX_TAGS)
      throw new AwsError(
        'TagLimitExceeded',
        `The maximum number of tags per resource (${MAX_TAGS}) was exceeded for ${target.id}`,
      );
  }
  for (const target of targets) upsertTags(target.tags, tags);
  return {};
};

const deleteTags: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as DeleteTagsRequest;
  const targets = lookup(region, p.Resources ?? []);
  for (const target of targets) {
    const keep = target.tags.filter(
      (t) =>
        // No Tags at all deletes every tag; a Value given must match.
        p.Tags?.length &&
        !p.Tags.some((d) => d.Key === t.Key && (d.Value === undefined || d.Value === t.Value)),
    );
    target.tags.splice(0, target.tags.length, ...keep);
  }
  return {};
};

const describeTags: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as DescribeTagsRequest;
  const rows = resources(region).flatMap((r) =>
    r.tags.map((t) => ({ ...t, ResourceId: r.id, ResourceType: r.type })),
  );
  const filtered = applyFilters(rows, p.Filters as FilterInput[] | undefined, {
    'resource-id': (r) => r.ResourceId,
    'resource-type': (r) => r.ResourceType,
    key: (r) => r.Key,
    value: (r) => r.Value,
    tag: (r) => r.Key,
  });
  const { page, NextToken } = paginate(filtered, p.MaxResults, p.NextToken);
  return { Tags: page, NextToken };
};

export const tagHandlers: Record<string, AwsHandler> = {
  CreateTags: createTags,
  DeleteTags: deleteTags,
  DescribeTags: describeTags,
};

/** CreateTags/DeleteTags: each resource named, with its tags and the tags requested. */
const onTaggedResources: IamMapping = ({ action, params: p, region: r, arns }) => {
  const tags = requestTags(arr<Tag>(p.Tags));
  return arr<string>(p.Resources).map((id) => {
    const x = ec2Resource(r, arns, id);
    return { action, resource: x.resource, context: { ...x.context, ...tags } };
  });
};

export const tagIam: Record<string, IamMapping> = {
  CreateTags: onTaggedResources,
  DeleteTags: onTaggedResources,
  DescribeTags: onAnyResource,
};
