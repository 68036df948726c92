// Escalation paths an independent security review found in the first round of issue 26's policies,
// filed under the path each extends; every one must now be denied.
import { a, THEIR_GROUP } from './attacks.js';
import type { PathAttack } from './attacks-issue.js';
import { runInstances } from './launches.js';
import {
  AMAZON_IMAGE,
  OUR_BAKE,
  PIPELINE,
  THEIR_PLAIN_IMAGE,
  arn,
  builderTags,
  check,
  imageTags,
  requestTags,
  resourceTags,
} from './requests.js';

const p = (path: number, row: ReturnType<typeof a>): PathAttack => ({ path, ...row });
const PLAIN = resourceTags(THEIR_PLAIN_IMAGE.tags!);
const OUR_GROUP = arn.group('web-production');
const CONSENT = resourceTags({ 'golden-ami:parameter': PIPELINE.parameter });
const anyone = 'anyone in the account' as const;
/** Tag keys as another team might spell ours: IAM matches aws:ResourceTag/<key> whatever the case. */
const cased = (tags: Record<string, string>) => ({
  'aws:TagKeys': Object.keys(tags),
  ...requestTags(tags),
});

export const BREAKER_PATHS: PathAttack[] = [
  p(
    1,
    a(
      'bake-ami',
      "launch a builder into another team's subnet and security group",
      runInstances({
        image: AMAZON_IMAGE,
        tags: builderTags(),
        vpc: 'vpc-0payments00000001',
        subnet: 'subnet-0payments00000001',
        securityGroup: 'sg-0payments00000001',
      }),
    ),
  ),
  p(
    2,
    a('bake-ami (packer)', "claim another team's unnamed AMI as this pipeline's", [
      check('ec2:CreateTags', arn.image(THEIR_PLAIN_IMAGE.id), { ...PLAIN, ...requestTags(imageTags()) }),
    ]),
  ),
  p(
    2,
    a('bake-ami (packer)', "mark another team's unnamed AMI as made by this pipeline's builder", [
      check('ec2:CreateTags', arn.image(THEIR_PLAIN_IMAGE.id), {
        ...PLAIN,
        ...requestTags({ 'golden-ami:builder': PIPELINE.bakeName, 'golden-ami:bake-id': 'b-0001' }),
      }),
    ]),
  ),
  p(
    2,
    a('bake-ami (packer)', "image another pipeline's Packer builder", [
      check(
        'ec2:CreateImage',
        arn.ec2('instance', 'i-0payments0000001'),
        resourceTags({ 'golden-ami:builder': 'p-0001', 'golden-ami:bake-id': 'p-0001' }),
      ),
    ]),
  ),
  p(
    2,
    a('bake-ami (packer)', 'create a key pair and a security group not tagged as a builder', [
      check('ec2:CreateKeyPair', arn.ec2('key-pair', 'packer_1')),
      check('ec2:CreateSecurityGroup', arn.ec2('security-group', '*')),
    ]),
  ),
  p(
    3,
    a(
      'deploy-ami',
      'launch through our template onto an existing network interface the template names',
      runInstances({
        image: OUR_BAKE,
        existingEni: 'eni-0payments0000001',
        template: {
          id: 'lt-0web0000000000001',
          tags: { 'golden-ami:parameter': PIPELINE.parameter },
          gives: ['image', 'subnet', 'security-group', 'key-pair', 'network-interface'],
        },
      }),
    ),
  ),
  p(
    4,
    a('deploy-ami', 'resize a group consenting to this pipeline to 0', [
      check('autoscaling:UpdateAutoScalingGroup', OUR_GROUP, {
        ...CONSENT,
        'autoscaling:MinSize': '0',
        'autoscaling:MaxSize': '0',
      }),
    ]),
  ),
  p(
    4,
    a('deploy-ami', 'move a group consenting to this pipeline into other subnets', [
      check('autoscaling:UpdateAutoScalingGroup', OUR_GROUP, {
        ...CONSENT,
        'autoscaling:VPCZoneIdentifiers': ['subnet-0payments00000001'],
      }),
    ]),
  ),
  p(
    7,
    a(anyone, 'make their group consent to this pipeline with the key in other case', [
      check(
        'autoscaling:CreateOrUpdateTags',
        THEIR_GROUP,
        cased({ 'Golden-AMI:Parameter': PIPELINE.parameter }),
      ),
    ]),
  ),
  p(
    7,
    a(anyone, 'tag their own AMI as a bake of this pipeline with the keys in other case', [
      check(
        'ec2:CreateTags',
        arn.image(THEIR_PLAIN_IMAGE.id),
        cased({ 'Golden-AMI:Name': PIPELINE.bakeName, 'GOLDEN-AMI:BAKE-ID': 'b-0001' }),
      ),
    ]),
  ),
  p(
    7,
    a(anyone, "write the pipeline's parameter", [
      check('ssm:PutParameter', arn.parameter(PIPELINE.parameter)),
    ]),
  ),
  p(
    7,
    a(anyone, "move a label of the pipeline's parameter", [
      check('ssm:LabelParameterVersion', arn.parameter(PIPELINE.parameter)),
    ]),
  ),
];
