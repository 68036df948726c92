// Every call each action makes, as AWS authorizes it, for the README's example pipeline: the shipped
// policies must allow all of them.
import { runInstances } from './launches.js';
import {
  AMAZON_IMAGE,
  OUR_BAKE,
  PIPELINE,
  arn,
  builderTags,
  check,
  imageContext,
  imageTags,
  reads,
  requestTags,
  resourceTags,
  tagOnCreate,
  type Call,
} from './requests.js';
import type { ActionName } from './shipped.js';

const BUILDER = resourceTags(builderTags());
const BAKED = resourceTags(imageTags());
const builder = arn.ec2('instance', 'i-0builder00000001');
const image = arn.image(OUR_BAKE.id);
const snapshot = arn.snapshot('snap-0ours000000001');
const KMS_VIA_EC2 = { 'kms:ViaService': 'ec2.us-east-1.amazonaws.com' };
const CONSENT = { 'golden-ami:parameter': PIPELINE.parameter };
const group = arn.group('web-production');
const parameter = arn.parameter(PIPELINE.parameter);
const template = { id: 'lt-0web0000000000001', tags: CONSENT };

/** Auto Scaling's check, when a refresh or group update names a template, that the caller may launch it. */
const launchCheck = runInstances({
  image: OUR_BAKE,
  tags: { team: 'web' },
  eniUntagged: true,
  keyPair: 'web-ops',
  template: { ...template, gives: ['image', 'subnet', 'security-group', 'key-pair', 'network-interface'] },
  profileRole: PIPELINE.instanceRole,
});

/** The same check should Auto Scaling not send ec2:IsLaunchTemplateResource (the docs do not say). */
const launchCheckWithoutKey = launchCheck.map((c) => ({
  ...c,
  context: Object.fromEntries(
    Object.entries(c.context ?? {}).filter(([k]) => k !== 'ec2:IsLaunchTemplateResource'),
  ),
}));

const created = (createAction: string, tags = imageTags()) => [
  check(`ec2:${createAction}`, arn.image('*'), requestTags(tags)),
  check(`ec2:${createAction}`, arn.snapshot('*'), requestTags(tags)),
  ...tagOnCreate(createAction, [arn.image('*'), arn.snapshot('*')], tags),
];

const NATIVE_BAKE: Call[] = [
  {
    what: 'read images, instances, snapshots and network',
    checks: reads(
      'ec2:DescribeImages',
      'ec2:DescribeImageAttribute',
      'ec2:DescribeInstances',
      'ec2:DescribeSnapshots',
      'ec2:DescribeSnapshotAttribute',
      'ec2:DescribeSubnets',
      'ec2:DescribeSecurityGroups',
    ),
  },
  {
    what: 'resolve the source AMI from an AWS public parameter',
    checks: [
      check(
        'ssm:GetParameter',
        arn.parameter('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64'),
      ),
    ],
  },
  {
    what: 'launch the builder from an Amazon image (tagged instance, volume, interface; builder role)',
    checks: runInstances({ image: AMAZON_IMAGE, tags: builderTags(), profileRole: PIPELINE.builderRole }),
  },
  {
    what: 'spot: the builder on a Spot request tagged as the builder; the request cancelled before the builder ends',
    checks: [
      check('ec2:RunInstances', arn.ec2('spot-instances-request', '*'), {
        ...requestTags(builderTags()),
        'ec2:IsLaunchTemplateResource': 'false',
      }),
      ...tagOnCreate('RunInstances', [arn.ec2('spot-instances-request', '*')], builderTags()),
      check('ec2:CancelSpotInstanceRequests', arn.ec2('spot-instances-request', 'sir-0builder1'), BUILDER),
    ],
  },
  {
    what: "launch the builder from an image this pipeline baked (a bake on last night's bake)",
    checks: runInstances({ image: OUR_BAKE, tags: builderTags() }),
  },
  {
    what: 'encrypted root volume with a customer managed key (EBS through EC2)',
    checks: [
      ...[
        'kms:DescribeKey',
        'kms:GenerateDataKeyWithoutPlaintext',
        'kms:Decrypt',
        'kms:ReEncryptFrom',
        'kms:ReEncryptTo',
      ].map((a) => check(a, arn.key(), KMS_VIA_EC2)),
      check('kms:CreateGrant', arn.key(), { ...KMS_VIA_EC2, 'kms:GrantIsForAWSResource': 'true' }),
    ],
  },
  { what: "read the builder's console", checks: [check('ec2:GetConsoleOutput', builder, BUILDER)] },
  {
    what: 'run provision scripts on the builder over SSM',
    checks: [
      check('ssm:SendCommand', 'arn:aws:ssm:us-east-1::document/AWS-RunShellScript'),
      check('ssm:SendCommand', builder, BUILDER),
      ...reads('ssm:GetCommandInvocation', 'ssm:DescribeInstanceInformation'),
    ],
  },
  { what: 'stop the builder', checks: [check('ec2:StopInstances', builder, BUILDER)] },
  {
    what: 'image the stopped builder, image and snapshots tagged at creation',
    checks: [check('ec2:CreateImage', builder, BUILDER), ...created('CreateImage')],
  },
  {
    what: 'copy the AMI to another region, tagged at creation',
    checks: [
      check('ec2:CopyImage', image, { 'ec2:Owner': OUR_BAKE.owner, 'ec2:ImageID': OUR_BAKE.id }),
      ...created('CopyImage'),
    ],
  },
  {
    what: 'share the AMI and its snapshots',
    checks: [
      check('ec2:ModifyImageAttribute', image, imageContext(OUR_BAKE)),
      check('ec2:ModifySnapshotAttribute', snapshot, BAKED),
    ],
  },
  {
    what: 'windows-fast-launch: read and enable fast launch on the AMI and its copies',
    checks: [
      ...reads('ec2:DescribeFastLaunchImages'),
      check('ec2:EnableFastLaunch', image, imageContext(OUR_BAKE)),
    ],
  },
  {
    what: 'deprecate the AMI and its copies (deprecate-after)',
    checks: [check('ec2:EnableImageDeprecation', image, imageContext(OUR_BAKE))],
  },
  {
    what: 'mark the AMI and its snapshots completed',
    checks: [image, snapshot].map((r) =>
      check('ec2:CreateTags', r, { ...BAKED, ...requestTags({ 'golden-ami:completed': 'true' }) }),
    ),
  },
  {
    what: 'reuse: apply changed user tags',
    checks: [image, snapshot].map((r) =>
      check('ec2:CreateTags', r, { ...BAKED, ...requestTags({ team: 'web2' }) }),
    ),
  },
  { what: 'terminate the builder', checks: [check('ec2:TerminateInstances', builder, BUILDER)] },
  {
    what: 'on-failure: keep: stop the failed builder and tag it kept with a later expiry',
    checks: [
      check('ec2:StopInstances', builder, BUILDER),
      check('ec2:CreateTags', builder, {
        ...BUILDER,
        ...requestTags({ 'golden-ami:kept': 'b-0001', 'golden-ami:expires-at': '2026-12-08T05:00:00.000Z' }),
      }),
    ],
  },
  {
    what: 'remove a failed image and its snapshots (and the janitor, an expired unfinished one)',
    checks: [
      check('ec2:DeregisterImage', image, imageContext(OUR_BAKE)),
      check('ec2:DeleteSnapshot', snapshot, BAKED),
    ],
  },
];

/** Debian's Packer 1.6.6: run_tags (the shipped template's) on the builder only; its key pair, group and image untagged. */
const legacyRunTags = {
  Name: 'golden-web-20261207 builder',
  'golden-ami:bake-id': 'b-0001',
  'golden-ami:builder': PIPELINE.bakeName,
};
/**
 * packer-plugin-amazon >= 1.0.2 puts the same run_tags on the key pair, the security group and, at
 * CreateImage, the AMI and its snapshots (builder/common/step_key_pair.go, step_security_group.go,
 * builder/ebs/step_create_ami.go: TagSpecifications).
 */
const packerRunTags = legacyRunTags;
const packerGroup = arn.ec2('security-group', 'sg-0packer000000001');
const packerKeyPair = arn.ec2('key-pair', 'packer_6571c1a4');
const builderVpc = arn.ec2('vpc', PIPELINE.builderVpc);
const packerImage = arn.image('ami-0packer00000001');
const packerSnapshot = arn.snapshot('snap-0packer0000001');
const packerBuilder = arn.ec2('instance', 'i-0packer000000001');
const packerTags = { Builder: 'packer', 'golden-ami:bake-id': 'b-0001' };
/** What bake-ami puts on Packer's temporaries and pending image as they appear (packer-resources.ts). */
const janitorTags = { 'golden-ami:bake-id': 'b-0001', 'golden-ami:expires-at': '2026-12-07T05:00:00.000Z' };

const packerReads: Call = {
  what: 'Packer: read regions, VPCs, volumes, instance status',
  checks: reads(
    'ec2:DescribeRegions',
    'ec2:DescribeVpcs',
    'ec2:DescribeVolumes',
    'ec2:DescribeInstanceStatus',
  ),
};
const packerLaunch = (runTags: Record<string, string>, keyPairTags?: Record<string, string>) =>
  runInstances({
    image: AMAZON_IMAGE,
    tags: runTags,
    eniUntagged: true,
    keyPair: 'packer_6571c1a4',
    keyPairTags,
    securityGroup: 'sg-0packer000000001',
  });

const PACKER_BAKE: Call[] = [
  ...NATIVE_BAKE.slice(0, 2),
  packerReads,
  {
    what: 'Packer: temporary key pair and security group in the builder VPC, tagged as they are created',
    checks: [
      check('ec2:CreateKeyPair', packerKeyPair, requestTags(packerRunTags)),
      check('ec2:CreateSecurityGroup', arn.ec2('security-group', '*'), requestTags(packerRunTags)),
      check('ec2:CreateSecurityGroup', builderVpc),
      ...tagOnCreate('CreateKeyPair', [packerKeyPair], packerRunTags),
      ...tagOnCreate('CreateSecurityGroup', [arn.ec2('security-group', '*')], packerRunTags),
      check('ec2:AuthorizeSecurityGroupIngress', packerGroup, {
        ...resourceTags(packerRunTags),
        'ec2:Vpc': builderVpc,
      }),
    ],
  },
  {
    what: 'Packer: launch with run_tags and run_volume_tags, its key pair, into the builder VPC',
    checks: packerLaunch(packerRunTags, packerRunTags),
  },
  {
    what: 'Packer: image its builder, the image and snapshots tagged with run_tags as they are created; then its tags',
    checks: [
      check('ec2:CreateImage', packerBuilder, resourceTags(packerRunTags)),
      ...created('CreateImage', packerRunTags),
      check('ec2:CreateTags', packerImage, { ...resourceTags(packerRunTags), ...requestTags(packerTags) }),
    ],
  },
  {
    what: "bake-ami tags Packer's key pair and group for the janitor, and claims its pending image, as Packer announces them",
    checks: [
      ...[packerKeyPair, packerGroup].map((r) =>
        check('ec2:CreateTags', r, { ...resourceTags(packerRunTags), ...requestTags(janitorTags) }),
      ),
      ...[packerImage, packerSnapshot].map((r) =>
        check('ec2:CreateTags', r, { ...resourceTags(packerRunTags), ...requestTags(janitorTags) }),
      ),
    ],
  },
  {
    what: "bake-ami names Packer's image as this pipeline's, with its provenance",
    checks: [packerImage, packerSnapshot].map((r) =>
      check('ec2:CreateTags', r, {
        ...resourceTags({ ...packerRunTags, ...packerTags }),
        ...requestTags(imageTags()),
      }),
    ),
  },
  {
    what: "Packer: terminate its builder, delete its key pair and group; bake-ami reads the builder's console",
    checks: [
      check('ec2:TerminateInstances', packerBuilder, resourceTags(packerRunTags)),
      check('ec2:DeleteSecurityGroup', packerGroup, {
        ...resourceTags(packerRunTags),
        'ec2:Vpc': builderVpc,
      }),
      check('ec2:DeleteKeyPair', packerKeyPair, resourceTags(packerRunTags)),
      check('ec2:GetConsoleOutput', packerBuilder, resourceTags(packerRunTags)),
    ],
  },
  ...NATIVE_BAKE.slice(9),
];

/** Debian's Packer 1.6.6 under iam-policy-packer-1.6.json: nothing but the builder tagged at creation. */
const PACKER_16_BAKE: Call[] = [
  ...NATIVE_BAKE.slice(0, 2),
  packerReads,
  {
    what: 'Packer 1.6.6: untagged key pair and security group in the builder VPC, opened for its communicator',
    checks: [
      check('ec2:CreateKeyPair', packerKeyPair),
      check('ec2:CreateSecurityGroup', arn.ec2('security-group', '*')),
      check('ec2:CreateSecurityGroup', builderVpc),
      check('ec2:AuthorizeSecurityGroupIngress', packerGroup, { 'ec2:Vpc': builderVpc }),
    ],
  },
  {
    what: 'Packer 1.6.6: launch with run_tags, its key pair, into the builder VPC',
    checks: packerLaunch(legacyRunTags),
  },
  {
    what: 'Packer 1.6.6: image its builder (untagged at creation), then tag the image and snapshots',
    checks: [
      check('ec2:CreateImage', packerBuilder, resourceTags(legacyRunTags)),
      check('ec2:CreateImage', arn.image('*')),
      check('ec2:CreateImage', arn.snapshot('*')),
      check('ec2:CreateTags', packerImage, requestTags(packerTags)),
      check('ec2:CreateTags', packerSnapshot, requestTags({ 'golden-ami:bake-id': 'b-0001' })),
    ],
  },
  {
    what: "bake-ami claims Packer 1.6.6's image with its provenance",
    checks: [
      check('ec2:CreateTags', packerImage, { ...resourceTags(packerTags), ...requestTags(imageTags()) }),
    ],
  },
  {
    what: "Packer 1.6.6: terminate its builder, delete its key pair and group; bake-ami reads the builder's console",
    checks: [
      check('ec2:TerminateInstances', packerBuilder, resourceTags(legacyRunTags)),
      check('ec2:DeleteSecurityGroup', packerGroup, { 'ec2:Vpc': builderVpc }),
      check('ec2:DeleteKeyPair', packerKeyPair),
      check('ec2:GetConsoleOutput', packerBuilder, resourceTags(legacyRunTags)),
    ],
  },
  ...NATIVE_BAKE.slice(9),
];

const PROMOTE: Call[] = [
  {
    what: 'read the parameter and its history; check the AMI',
    checks: [
      check('ssm:GetParameter', parameter),
      check('ssm:GetParameterHistory', parameter),
      ...reads('ec2:DescribeImages'),
    ],
  },
  {
    what: 'write the new version, tag it, move the label',
    checks: [
      check('ssm:PutParameter', parameter),
      check('ssm:AddTagsToResource', parameter, requestTags({ 'golden-ami:ami': OUR_BAKE.id })),
      check('ssm:LabelParameterVersion', parameter),
    ],
  },
  {
    what: 'protect the AMI production runs from deregistration',
    checks: [check('ec2:EnableImageDeregistrationProtection', image, imageContext(OUR_BAKE))],
  },
];

const ROLL: Call[] = [
  {
    what: 'find groups, templates, images, instances, refreshes; read the parameter',
    checks: [
      ...reads(
        'autoscaling:DescribeAutoScalingGroups',
        'autoscaling:DescribeInstanceRefreshes',
        'ec2:DescribeLaunchTemplateVersions',
        'ec2:DescribeImages',
        'ec2:DescribeInstances',
        'ec2:DescribeInstanceTypes',
      ),
      check('ssm:GetParameter', parameter),
    ],
  },
  {
    what: 'a new template version with the AMI, made the default; an unused one deleted',
    checks: [
      'ec2:CreateLaunchTemplateVersion',
      'ec2:ModifyLaunchTemplate',
      'ec2:DeleteLaunchTemplateVersions',
    ].map((a) => check(a, arn.ec2('launch-template', template.id), resourceTags(CONSENT))),
  },
  {
    what: 'pin the group to a numbered version (Auto Scaling checks the launch)',
    checks: [check('autoscaling:UpdateAutoScalingGroup', group, resourceTags(CONSENT)), ...launchCheck],
  },
  {
    what: 'start the instance refresh (Auto Scaling checks the launch)',
    checks: [check('autoscaling:StartInstanceRefresh', group, resourceTags(CONSENT)), ...launchCheck],
  },
  {
    what: 'start the instance refresh, the launch check without ec2:IsLaunchTemplateResource',
    checks: [
      check('autoscaling:StartInstanceRefresh', group, resourceTags(CONSENT)),
      ...launchCheckWithoutKey,
    ],
  },
  {
    what: 'cancel a refresh in progress (if-refresh-in-progress: cancel)',
    checks: [check('autoscaling:CancelInstanceRefresh', group, resourceTags(CONSENT))],
  },
  {
    what: "post step after a cancel: roll back or cancel the run's refresh, put the launch source back",
    checks: [
      check('autoscaling:RollbackInstanceRefresh', group, resourceTags(CONSENT)),
      check('autoscaling:CancelInstanceRefresh', group, resourceTags(CONSENT)),
      check('autoscaling:UpdateAutoScalingGroup', group, resourceTags(CONSENT)),
      ...launchCheck,
    ],
  },
];

const WAIT: Call[] = [
  {
    what: 'watch refreshes, instances, templates and targets',
    checks: reads(
      'autoscaling:DescribeInstanceRefreshes',
      'autoscaling:DescribeAutoScalingGroups',
      'ec2:DescribeInstances',
      'ec2:DescribeLaunchTemplateVersions',
      'elasticloadbalancing:DescribeTargetHealth',
    ),
  },
  {
    what: 'hear refresh events on the queue',
    checks: ['sqs:ReceiveMessage', 'sqs:DeleteMessage'].map((a) => check(a, arn.queue(PIPELINE.queue))),
  },
  {
    what: 'roll back or cancel the refresh',
    checks: ['autoscaling:RollbackInstanceRefresh', 'autoscaling:CancelInstanceRefresh'].map((a) =>
      check(a, group, resourceTags(CONSENT)),
    ),
  },
  {
    what: 'refresh back to the previous version after Successful (Auto Scaling checks the launch)',
    checks: [check('autoscaling:StartInstanceRefresh', group, resourceTags(CONSENT)), ...launchCheck],
  },
];

const REAP: Call[] = [
  { what: 'match Octopus targets with instances', checks: reads('ec2:DescribeInstances') },
];

const RETIRE: Call[] = [
  {
    what: 'read images and what uses them',
    checks: reads(
      'ec2:DescribeImages',
      'ec2:DescribeImageAttribute',
      'ec2:DescribeImageReferences',
      'ec2:DescribeFastLaunchImages',
      'ec2:DescribeInstances',
      'ec2:DescribeLaunchTemplates',
      'ec2:DescribeLaunchTemplateVersions',
      'ec2:DescribeSnapshots',
      'autoscaling:DescribeAutoScalingGroups',
      'ssm:DescribeParameters',
    ),
  },
  {
    what: "read the pipeline's parameters (and a template's resolve:ssm: one)",
    checks: [
      check('ssm:GetParameterHistory', arn.parameter(`${PIPELINE.parameter}/production`)),
      check('ssm:GetParameterHistory', parameter),
      check('ssm:GetParameter', parameter),
    ],
  },
  {
    what: 'disable, deprecate, unprotect and deregister an old AMI of this pipeline',
    checks: [
      'ec2:DisableImage',
      'ec2:EnableImage',
      'ec2:EnableImageDeprecation',
      'ec2:DisableImageDeprecation',
      'ec2:DisableImageDeregistrationProtection',
      'ec2:DisableFastLaunch',
      'ec2:DeregisterImage',
    ].map((a) => check(a, image, imageContext(OUR_BAKE))),
  },
  {
    what: 'mark it disabled (and unmark it), mark its snapshots retired, delete them',
    checks: [
      check('ec2:CreateTags', image, { ...BAKED, ...requestTags({ 'golden-ami:disabled-at': 'x' }) }),
      check('ec2:DeleteTags', image, { ...BAKED, 'aws:TagKeys': ['golden-ami:disabled-at'] }),
      check('ec2:CreateTags', snapshot, {
        ...BAKED,
        ...requestTags({ 'golden-ami:retired-from': OUR_BAKE.id }),
      }),
      check('ec2:DeleteSnapshot', snapshot, BAKED),
    ],
  },
];

const DEPLOY: Call[] = [
  ...PROMOTE,
  ...ROLL,
  ...WAIT,
  ...REAP,
  {
    what: 'once proven (set-default-version), and in the put-back: move the template default',
    checks: [
      check('ec2:ModifyLaunchTemplate', arn.ec2('launch-template', template.id), resourceTags(CONSENT)),
    ],
  },
  {
    what: 'put back: move the label back, write the value back (or delete the parameter this run created), delete the template version this run made',
    checks: [
      check('ssm:UnlabelParameterVersion', parameter),
      check('ssm:DeleteParameter', parameter),
      check('ssm:LabelParameterVersion', parameter),
      check('ssm:PutParameter', parameter),
      ...reads('ec2:DescribeLaunchTemplates'),
      check(
        'ec2:DeleteLaunchTemplateVersions',
        arn.ec2('launch-template', template.id),
        resourceTags(CONSENT),
      ),
    ],
  },
];

export const CALLS: Record<ActionName, Call[]> = {
  'bake-ami': NATIVE_BAKE,
  'bake-ami (packer)': PACKER_BAKE,
  'bake-ami (packer 1.6.6)': PACKER_16_BAKE,
  'promote-ami-parameter': PROMOTE,
  'roll-asg': ROLL,
  'wait-healthy': WAIT,
  'reap-octopus-orphans': REAP,
  'retire-amis': RETIRE,
  'deploy-ami': DEPLOY,
};
