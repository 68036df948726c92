// RunInstances as AWS authorizes it: the instance, its volumes and network interface, the image,
// subnet, security group, key pair and launch template, each a check of its own; plus CreateTags for
// the tag specifications and iam:PassRole for the instance profile.
import type { AuthRequest, RequestContext } from '../../localcloud/iam.js';
import {
  PIPELINE,
  arn,
  check,
  imageContext,
  requestTags,
  resourceTags,
  tagOnCreate,
  type ImageRef,
  type Tags,
} from './requests.js';

type FromTemplate = 'image' | 'subnet' | 'security-group' | 'key-pair' | 'network-interface';

export interface Launch {
  image: ImageRef;
  /** Tag specifications for instance, volume and (unless `eniUntagged`) network interface. */
  tags?: Tags;
  eniUntagged?: boolean;
  subnet?: string;
  securityGroup?: string;
  keyPair?: string;
  /** The key pair's own tags (Packer's, tagged as it was created). */
  keyPairTags?: Tags;
  /** The VPC of the subnet, security group and interface; the example's builder VPC unless given. */
  vpc?: string;
  /** An existing network interface attached instead of a new one. */
  existingEni?: string;
  /** As if AWS applied the request's tags to the existing interface's check too (the worst case). */
  existingEniTagged?: boolean;
  /** A launch template: its ARN, its tags, and which resources come from it (others are overridden). */
  template?: { id: string; tags: Tags; gives: FromTemplate[] };
  profileRole?: string;
}

export function runInstances(l: Launch): AuthRequest[] {
  const vpc = arn.ec2('vpc', l.vpc ?? PIPELINE.builderVpc);
  const lt = (kind: FromTemplate | 'created'): RequestContext =>
    l.template
      ? {
          'ec2:LaunchTemplate': arn.ec2('launch-template', l.template.id),
          'ec2:IsLaunchTemplateResource': String(kind === 'created' || l.template.gives.includes(kind)),
        }
      : { 'ec2:IsLaunchTemplateResource': 'false' };
  const tags = l.tags ?? {};
  const tagged = Object.keys(tags).length ? requestTags(tags) : {};
  const subnet = l.subnet ?? 'subnet-0123456789abcdef0';
  const eni = l.existingEni
    ? check('ec2:RunInstances', arn.ec2('network-interface', l.existingEni), {
        ...(l.existingEniTagged ? tagged : {}),
        'ec2:NetworkInterfaceID': l.existingEni,
        'ec2:Vpc': vpc,
        ...lt('network-interface'),
      })
    : check('ec2:RunInstances', arn.ec2('network-interface', '*'), {
        ...(l.eniUntagged ? {} : tagged),
        'ec2:Subnet': arn.ec2('subnet', subnet),
        'ec2:Vpc': vpc,
        ...lt('created'),
      });
  const created = [arn.ec2('instance', '*'), arn.ec2('volume', '*')];
  return [
    check('ec2:RunInstances', created[0]!, { ...tagged, 'ec2:InstanceType': 't3.medium', ...lt('created') }),
    check('ec2:RunInstances', created[1]!, { ...tagged, ...lt('created') }),
    eni,
    check('ec2:RunInstances', arn.image(l.image.id), { ...imageContext(l.image), ...lt('image') }),
    check('ec2:RunInstances', arn.ec2('subnet', subnet), { 'ec2:Vpc': vpc, ...lt('subnet') }),
    check('ec2:RunInstances', arn.ec2('security-group', l.securityGroup ?? 'sg-0123456789abcdef0'), {
      'ec2:Vpc': vpc,
      ...lt('security-group'),
    }),
    ...(l.keyPair
      ? [
          check('ec2:RunInstances', arn.ec2('key-pair', l.keyPair), {
            ...resourceTags(l.keyPairTags ?? {}),
            ...lt('key-pair'),
          }),
        ]
      : []),
    ...(l.template
      ? [
          check('ec2:RunInstances', arn.ec2('launch-template', l.template.id), {
            ...Object.fromEntries(
              Object.entries(l.template.tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]),
            ),
            ...lt('created'),
          }),
        ]
      : []),
    ...(Object.keys(tags).length
      ? tagOnCreate(
          'RunInstances',
          [...created, ...(l.existingEni || l.eniUntagged ? [] : [arn.ec2('network-interface', '*')])],
          tags,
        )
      : []),
    ...(l.profileRole
      ? [check('iam:PassRole', arn.role(l.profileRole), { 'iam:PassedToService': 'ec2.amazonaws.com' })]
      : []),
  ];
}
