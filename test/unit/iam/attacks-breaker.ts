// Escalation paths two independent security reviews found in issue 26's policies, filed under the
// issue's path each extends; every one must now be denied.
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
const OTHER_BUILDER = resourceTags({
  'golden-ami:builder': 'golden-payments',
  'golden-ami:bake-id': 'p-0001',
});
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
  p(
    2,
    a('bake-ami (packer 1.6.6)', "stop, terminate, image or read another pipeline's builder", [
      ...['ec2:StopInstances', 'ec2:TerminateInstances', 'ec2:CreateImage', 'ec2:GetConsoleOutput'].map((x) =>
        check(x, arn.ec2('instance', 'i-0paybuilder000001'), OTHER_BUILDER),
      ),
    ]),
  ),
  p(
    2,
    a(
      'bake-ami (packer 1.6.6)',
      "launch a builder tagged as another pipeline's",
      runInstances({ image: AMAZON_IMAGE, tags: builderTags('golden-payments'), eniUntagged: true }),
    ),
  ),
  p(
    7,
    a(anyone, "remove the consent tags of the pipeline's template (DeleteTags without Tags)", [
      check('ec2:DeleteTags', arn.ec2('launch-template', 'lt-0web0000000000001'), CONSENT),
    ]),
  ),
  ...(
    [
      [
        'iam:UpdateAssumeRolePolicy',
        'golden-ami-production',
        "replace the trust policy of the pipeline's production role",
      ],
      ['iam:AttachRolePolicy', 'golden-ami-bake', "attach a policy to the pipeline's bake role"],
      ['iam:DeleteRole', 'golden-ami-bake', "delete the pipeline's bake role (to create it anew)"],
      ['iam:CreateRole', 'golden-ami-fleet-owner', 'create the fleet owner role'],
    ] as const
  ).map(([action, role, what]) => p(7, a(anyone, what, [check(action, arn.role(role))]))),
  p(
    8,
    a(anyone, "delete or repoint the pipeline's events queue", [
      check('sqs:DeleteQueue', arn.queue(PIPELINE.queue)),
      check('sqs:SetQueueAttributes', arn.queue(PIPELINE.queue)),
    ]),
  ),
];
