// The attack paths of issue 26, one row per attempt; `path` is the issue's number for it.
import { a, overriding, THEIR_GROUP, type Attack } from './attacks.js';
import { runInstances } from './launches.js';
import {
  AMAZON_IMAGE,
  FOREIGN_IMAGE,
  OTHERS,
  OUR_BAKE,
  PIPELINE,
  THEIR_BAKE,
  THEIR_PLAIN_IMAGE,
  arn,
  builderTags,
  check,
  imageContext,
  imageTags,
  requestTags,
  resourceTags,
  tagOnCreate,
} from './requests.js';

export interface PathAttack extends Attack {
  path: number;
}

const p = (path: number, row: Attack): PathAttack => ({ path, ...row });
const LOOKALIKE = resourceTags({ Environment: 'production', 'golden-ami:parameter': OTHERS.parameter });
const THEIR_SG = arn.ec2('security-group', 'sg-0payments00000001');
const copyOf = (source: typeof FOREIGN_IMAGE) => [
  check('ec2:CopyImage', arn.image(source.id), {
    'ec2:Owner': source.owner,
    'ec2:ImageID': source.id,
    // As if the new image's request tags were seen on the source too: the condition must not rest on them.
    ...requestTags(imageTags()),
  }),
  check('ec2:CopyImage', arn.image('*'), requestTags(imageTags())),
  check('ec2:CopyImage', arn.snapshot('*'), requestTags(imageTags())),
  ...tagOnCreate('CopyImage', [arn.image('*'), arn.snapshot('*')], imageTags()),
];
const anyone = 'anyone in the account' as const;

export const ISSUE_PATHS: PathAttack[] = [
  p(
    1,
    a('bake-ami', "copy another account's private AMI, tagging the copy as a bake", copyOf(FOREIGN_IMAGE)),
  ),
  p(
    1,
    a(
      'bake-ami',
      "launch a builder from another account's AMI",
      runInstances({ image: FOREIGN_IMAGE, tags: builderTags() }),
    ),
  ),
  p(
    1,
    a(
      'bake-ami',
      "launch a builder from another team's AMI in this account",
      runInstances({ image: THEIR_PLAIN_IMAGE, tags: builderTags() }),
    ),
  ),
  p(
    1,
    a(
      'bake-ami',
      "launch a builder from another pipeline's bake",
      runInstances({ image: THEIR_BAKE, tags: builderTags() }),
    ),
  ),
  p(
    1,
    a(
      'bake-ami',
      "launch a builder on another team's existing network interface",
      runInstances({ image: AMAZON_IMAGE, tags: builderTags(), existingEni: 'eni-0payments0000001' }),
    ),
  ),
  p(
    1,
    a(
      'bake-ami',
      "launch a builder on another team's existing network interface, the request's tags applied to it",
      runInstances({
        image: AMAZON_IMAGE,
        tags: builderTags(),
        existingEni: 'eni-0payments0000001',
        existingEniTagged: true,
      }),
    ),
  ),
  p(
    1,
    a('bake-ami', "stop, terminate or image another pipeline's builder", [
      ...['ec2:StopInstances', 'ec2:TerminateInstances', 'ec2:CreateImage'].map((action) =>
        check(action, arn.ec2('instance', 'i-0paymentsbuilder1'), resourceTags(builderTags(OTHERS.bakeName))),
      ),
    ]),
  ),
  p(
    1,
    a('bake-ami', "share another pipeline's AMI", [
      check('ec2:ModifyImageAttribute', arn.image(THEIR_BAKE.id), imageContext(THEIR_BAKE)),
    ]),
  ),
  p(
    2,
    a('bake-ami (packer)', "tag another pipeline's AMI with a bake id", [
      check('ec2:CreateTags', arn.image(THEIR_BAKE.id), {
        ...resourceTags(THEIR_BAKE.tags!),
        ...requestTags({ 'golden-ami:bake-id': 'b-0001' }),
      }),
    ]),
  ),
  p(
    2,
    a('bake-ami (packer)', "rename another pipeline's AMI into this one", [
      check('ec2:CreateTags', arn.image(THEIR_BAKE.id), {
        ...resourceTags(THEIR_BAKE.tags!),
        ...requestTags({ 'golden-ami:bake-id': 'b-0001', 'golden-ami:name': PIPELINE.bakeName }),
      }),
    ]),
  ),
  p(
    2,
    a('bake-ami (packer)', "open another team's security group", [
      check('ec2:AuthorizeSecurityGroupIngress', THEIR_SG, {
        ...resourceTags({ Name: 'payments-db' }),
        'ec2:Vpc': arn.ec2('vpc', PIPELINE.builderVpc),
      }),
    ]),
  ),
  p(
    2,
    a('bake-ami (packer)', 'open an unnamed security group outside the builder VPC', [
      check('ec2:AuthorizeSecurityGroupIngress', THEIR_SG, {
        'ec2:Vpc': arn.ec2('vpc', 'vpc-0payments00000001'),
      }),
    ]),
  ),
  p(
    2,
    a('bake-ami (packer)', "delete another team's security group", [
      check('ec2:DeleteSecurityGroup', THEIR_SG, {
        ...resourceTags({ Name: 'payments-db' }),
        'ec2:Vpc': arn.ec2('vpc', PIPELINE.builderVpc),
      }),
    ]),
  ),
  p(
    2,
    a('bake-ami (packer)', "delete another team's key pair", [
      check('ec2:DeleteKeyPair', arn.ec2('key-pair', 'payments-ops')),
    ]),
  ),
  p(
    2,
    a(
      'bake-ami (packer)',
      "launch on another team's existing network interface",
      runInstances({
        image: AMAZON_IMAGE,
        tags: builderTags(),
        keyPair: 'packer_1',
        existingEni: 'eni-0payments0000001',
      }),
    ),
  ),
  ...(['subnet', 'security-group', 'key-pair', 'image', 'network-interface'] as const).map((what) =>
    p(
      3,
      a(
        'deploy-ami',
        `launch with our template, overriding its ${what} with another team's`,
        overriding(what, {
          image: what === 'image' ? THEIR_PLAIN_IMAGE : OUR_BAKE,
          subnet: what === 'subnet' ? 'subnet-0payments00000001' : undefined,
          securityGroup: what === 'security-group' ? 'sg-0payments00000001' : undefined,
          keyPair: 'payments-ops',
          ...(what === 'network-interface' ? { existingEni: 'eni-0payments0000001' } : {}),
        }),
      ),
    ),
  ),
  p(
    3,
    a('deploy-ami', "refresh our fleet onto a template version made with another account's AMI", [
      check(
        'autoscaling:StartInstanceRefresh',
        arn.group('web-production'),
        resourceTags({ 'golden-ami:parameter': PIPELINE.parameter }),
      ),
      ...runInstances({
        image: FOREIGN_IMAGE,
        eniUntagged: true,
        template: {
          id: 'lt-0web0000000000001',
          tags: { 'golden-ami:parameter': PIPELINE.parameter },
          gives: ['image', 'subnet', 'security-group', 'key-pair', 'network-interface'],
        },
      }),
    ]),
  ),
  ...(
    [
      ['autoscaling:StartInstanceRefresh', 'refresh'],
      ['autoscaling:UpdateAutoScalingGroup', 'resize to 0 or re-template'],
      ['autoscaling:RollbackInstanceRefresh', 'roll back'],
      ['autoscaling:CancelInstanceRefresh', 'cancel the refresh of'],
    ] as const
  ).map(([action, verb]) =>
    p(
      4,
      a('deploy-ami', `${verb} a group consenting to ${OTHERS.parameter}`, [
        check(action, THEIR_GROUP, LOOKALIKE),
      ]),
    ),
  ),
  p(
    4,
    a('deploy-ami', `version a template consenting to ${OTHERS.parameter}`, [
      check('ec2:CreateLaunchTemplateVersion', arn.ec2('launch-template', 'lt-0payments00000001'), LOOKALIKE),
    ]),
  ),
  p(
    4,
    a('deploy-ami', "pass another fleet's instance role", [
      check('iam:PassRole', arn.role('golden-ami-instance-payments'), {
        'iam:PassedToService': 'ec2.amazonaws.com',
      }),
    ]),
  ),
  p(
    4,
    a('deploy-ami', `write ${OTHERS.parameter}`, [
      check('ssm:PutParameter', arn.parameter(OTHERS.parameter)),
    ]),
  ),
  p(
    4,
    a('deploy-ami', `move a label of ${OTHERS.parameter}`, [
      check('ssm:LabelParameterVersion', arn.parameter(OTHERS.parameter)),
    ]),
  ),
  p(
    5,
    a('retire-amis', 'read a SecureString of another team', [
      check('ssm:GetParameter', arn.parameter('/payments/db-password')),
    ]),
  ),
  p(
    5,
    a('retire-amis', "read another team's parameter history", [
      check('ssm:GetParameterHistory', arn.parameter(OTHERS.parameter)),
    ]),
  ),
  p(
    7,
    a(anyone, 'tag their own AMI as a bake of this pipeline', [
      check(
        'ec2:CreateTags',
        arn.image(THEIR_PLAIN_IMAGE.id),
        requestTags({ 'golden-ami:bake-id': 'x', 'golden-ami:name': PIPELINE.bakeName }),
      ),
    ]),
  ),
  p(
    7,
    a(anyone, 'launch an instance tagged as a builder', [
      ...tagOnCreate('RunInstances', [arn.ec2('instance', '*')], { 'golden-ami:builder': PIPELINE.bakeName }),
    ]),
  ),
  p(
    7,
    a(anyone, 'make their group consent to this pipeline', [
      check(
        'autoscaling:CreateOrUpdateTags',
        THEIR_GROUP,
        requestTags({ 'golden-ami:parameter': PIPELINE.parameter }),
      ),
    ]),
  ),
  p(
    7,
    a(anyone, "remove the completed mark from the pipeline's AMI", [
      check('ec2:DeleteTags', arn.image(OUR_BAKE.id), {
        ...resourceTags(OUR_BAKE.tags!),
        'aws:TagKeys': ['golden-ami:completed'],
      }),
    ]),
  ),
  p(
    7,
    a(anyone, "delete every tag of the pipeline's AMI (DeleteTags without Tags)", [
      check('ec2:DeleteTags', arn.image(OUR_BAKE.id), resourceTags(OUR_BAKE.tags!)),
    ]),
  ),
  p(
    7,
    a('the fleet owner role', 'mark its own AMI as baked by the pipeline', [
      check('ec2:CreateTags', arn.image(THEIR_PLAIN_IMAGE.id), requestTags({ 'golden-ami:bake-id': 'x' })),
    ]),
  ),
  p(
    8,
    a('retire-amis', "delete every tag of the pipeline's AMI (DeleteTags without Tags)", [
      check('ec2:DeleteTags', arn.image(OUR_BAKE.id), resourceTags(OUR_BAKE.tags!)),
    ]),
  ),
  p(
    8,
    a('bake-ami', 'use a KMS key other than through EC2', [
      check('kms:Decrypt', arn.key()),
      check('kms:CreateGrant', arn.key(), { 'kms:GrantIsForAWSResource': 'false' }),
    ]),
  ),
  p(
    8,
    a('wait-healthy', "read another team's events queue", [
      check('sqs:ReceiveMessage', arn.queue('golden-ami-refresh-events-payments')),
    ]),
  ),
  p(
    8,
    a(anyone, "drain the pipeline's events queue", [check('sqs:ReceiveMessage', arn.queue(PIPELINE.queue))]),
  ),
];
