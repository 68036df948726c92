// The request contexts AWS builds for the calls the actions make (and an attacker could make): one
// authorization per resource a call touches, with the condition keys the Service Authorization
// Reference lists for that action and resource type.
import type { AuthRequest, RequestContext } from '../../localcloud/iam.js';
import { EXAMPLE } from '../../../scripts/render-iam-policies.js';
import { ACCOUNT } from './evaluators.js';

/** The README's example pipeline, which the shipped policies name. */
export const PIPELINE = EXAMPLE;

/** Another team in the same account, another account, and the account a leak would go to. */
export const OTHERS = {
  parameter: '/golden-ami/payments',
  bakeName: 'payments-base',
  account: '210987654321',
  recipient: '444455556666',
} as const;

export const REGION = 'us-east-1';

/** A call: every authorization it needs (allowed only if all are). */
export interface Call {
  what: string;
  checks: AuthRequest[];
}

export type Tags = Record<string, string>;

export const arn = {
  ec2: (type: string, id: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:${type}/${id}`,
  image: (id: string) => `arn:aws:ec2:${REGION}::image/${id}`,
  snapshot: (id: string) => `arn:aws:ec2:${REGION}::snapshot/${id}`,
  parameter: (name: string) =>
    `arn:aws:ssm:${REGION}:${name.startsWith('/aws/') ? '' : ACCOUNT}:parameter${name}`,
  group: (name: string) =>
    `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/${name}`,
  role: (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`,
  queue: (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`,
  key: (id = '1234abcd-12ab-34cd-56ef-1234567890ab') => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`,
};

export const requestTags = (tags: Tags): RequestContext => ({
  ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
  'aws:TagKeys': Object.keys(tags),
});

export const resourceTags = (tags: Tags): RequestContext =>
  Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));

export const check = (action: string, resource: string, context: RequestContext = {}): AuthRequest => ({
  action,
  resource,
  context,
});

/** Describe*, List* and the like: authorized on "*" only. */
export const reads = (...actions: string[]): AuthRequest[] => actions.map((a) => check(a, '*'));

/** The tags a bake puts on its builder (instance, volumes, network interface). */
export const builderTags = (bakeName: string = PIPELINE.bakeName): Tags => ({
  Name: `${bakeName} builder`,
  'golden-ami:builder': bakeName,
  'golden-ami:bake-id': 'b-0001',
  'golden-ami:expires-at': '2026-12-07T05:00:00.000Z',
});

/** The provenance a bake tags its images and snapshots with at creation. */
export const imageTags = (bakeName: string = PIPELINE.bakeName): Tags => ({
  team: 'web',
  'golden-ami:name': bakeName,
  'golden-ami:bake-id': 'b-0001',
  'golden-ami:fingerprint': 'sha256:0f',
  'golden-ami:source-ami': 'ami-0amazon000000001',
  'golden-ami:expires-at': '2026-12-07T05:00:00.000Z',
});

/** An image as its checks see it: owner (an alias for AWS's own), tags, public or not. */
export interface ImageRef {
  id: string;
  owner: string;
  tags?: Tags;
  public?: boolean;
}

export const AMAZON_IMAGE: ImageRef = { id: 'ami-0amazon000000001', owner: 'amazon', public: true };
export const OUR_BAKE: ImageRef = { id: 'ami-0ours00000000001', owner: ACCOUNT, tags: imageTags() };
/** Another team's AMI in this account, baked by another pipeline of the same tool. */
export const THEIR_BAKE: ImageRef = {
  id: 'ami-0theirs000000001',
  owner: ACCOUNT,
  tags: imageTags(OTHERS.bakeName),
};
/** Another team's hand-made AMI in this account: no golden-ami tags at all. */
export const THEIR_PLAIN_IMAGE: ImageRef = {
  id: 'ami-0plain000000001',
  owner: ACCOUNT,
  tags: { team: 'payments' },
};
/** Another account's private AMI, shared with this one. */
export const FOREIGN_IMAGE: ImageRef = { id: 'ami-0foreign0000001', owner: OTHERS.account };

export const imageContext = (i: ImageRef): RequestContext => ({
  ...resourceTags(i.tags ?? {}),
  'ec2:Owner': i.owner,
  'ec2:ImageID': i.id,
  'ec2:Public': String(i.public ?? false),
});

/** CreateTags on the resources a creating call tags ("additional authorization on ec2:CreateTags"). */
export const tagOnCreate = (createAction: string, resources: string[], tags: Tags): AuthRequest[] =>
  resources.map((r) =>
    check('ec2:CreateTags', r, { ...requestTags(tags), 'ec2:CreateAction': createAction }),
  );
