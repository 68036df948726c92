// The escalation table: what a holder of one of the pipeline's roles (or, for the reserved tags,
// anyone else in the account) could try against resources that are not the pipeline's. Each row must
// be denied. Rows 1-28 are the escalation tests' attempts (test/e2e/escalation*.test.ts); the rest
// are the attack paths of issue 26.
import { runInstances } from './launches.js';
import {
  AMAZON_IMAGE,
  OUR_BAKE,
  PIPELINE,
  THEIR_PLAIN_IMAGE,
  arn,
  check,
  imageContext,
  imageTags,
  requestTags,
  resourceTags,
  type Call,
} from './requests.js';
import type { ActionName } from './shipped.js';

/** Principals with administrator rights, held back only by the organization policies. */
export const ORG_PRINCIPALS = {
  'anyone in the account': 'payments-admin',
  'the fleet owner role': 'golden-ami-fleet-owner',
} as const;
export type OrgPrincipal = keyof typeof ORG_PRINCIPALS;

export interface Attack extends Call {
  /** The policies the attacker holds: an action's (or a role's), or `anyone` under the org policies. */
  as: ActionName | OrgPrincipal;
}

export const THEIR_GROUP = arn.group('payments-production');
const THEIR_GROUP_TAGS = resourceTags({ Environment: 'production', Team: 'payments' });
const THEIR_TEMPLATE = arn.ec2('launch-template', 'lt-0payments00000001');
const THEIR_INSTANCE = arn.ec2('instance', 'i-0payments0000001');
const THEIR_SNAPSHOT = arn.snapshot('snap-0payments00001');
const CONSENT = resourceTags({ 'golden-ami:parameter': PIPELINE.parameter });
const OUR_TEMPLATE = { id: 'lt-0web0000000000001', tags: { 'golden-ami:parameter': PIPELINE.parameter } };
const ALL_FROM_TEMPLATE = ['image', 'subnet', 'security-group', 'key-pair', 'network-interface'] as const;
const LAUNCH_THEIRS = runInstances({
  image: OUR_BAKE,
  eniUntagged: true,
  template: { id: 'lt-0payments00000001', tags: { Team: 'payments' }, gives: [...ALL_FROM_TEMPLATE] },
});
/** A direct RunInstances with our consenting template, overriding one thing the template names. */
export const overriding = (
  what: (typeof ALL_FROM_TEMPLATE)[number],
  launch: Parameters<typeof runInstances>[0],
) =>
  runInstances({
    eniUntagged: true,
    ...launch,
    template: { ...OUR_TEMPLATE, gives: ALL_FROM_TEMPLATE.filter((k) => k !== what) },
  });

export const a = (as: Attack['as'], what: string, checks: Call['checks']): Attack => ({ as, what, checks });

export const ESCALATION_TESTS: Attack[] = [
  a('roll-asg', 'start a refresh of their group', [
    check('autoscaling:StartInstanceRefresh', THEIR_GROUP, THEIR_GROUP_TAGS),
  ]),
  a('roll-asg', 'cancel their refresh (roll-asg role)', [
    check('autoscaling:CancelInstanceRefresh', THEIR_GROUP, THEIR_GROUP_TAGS),
  ]),
  a('wait-healthy', 'cancel their refresh (wait-healthy role)', [
    check('autoscaling:CancelInstanceRefresh', THEIR_GROUP, THEIR_GROUP_TAGS),
  ]),
  a('wait-healthy', 'roll their refresh back', [
    check('autoscaling:RollbackInstanceRefresh', THEIR_GROUP, THEIR_GROUP_TAGS),
  ]),
  a('roll-asg', 'resize or repoint their group', [
    check('autoscaling:UpdateAutoScalingGroup', THEIR_GROUP, THEIR_GROUP_TAGS),
  ]),
  a('roll-asg', 'tag their group to fake its consent', [
    check('autoscaling:CreateOrUpdateTags', THEIR_GROUP, {
      ...THEIR_GROUP_TAGS,
      ...requestTags({ 'golden-ami:parameter': PIPELINE.parameter }),
    }),
  ]),
  ...['CreateLaunchTemplateVersion', 'ModifyLaunchTemplate', 'DeleteLaunchTemplateVersions'].map((op, i) =>
    a(
      'roll-asg',
      [
        'add a version to their template',
        'change the default version of their template',
        'delete a version of their template',
      ][i]!,
      [check(`ec2:${op}`, THEIR_TEMPLATE, resourceTags({ Team: 'payments' }))],
    ),
  ),
  a('roll-asg', 'tag their template to fake its consent', [
    check('ec2:CreateTags', THEIR_TEMPLATE, requestTags({ 'golden-ami:parameter': PIPELINE.parameter })),
  ]),
  a('roll-asg', 'tag their instance', [
    check('ec2:CreateTags', THEIR_INSTANCE, requestTags({ 'golden-ami:builder': 'x' })),
  ]),
  a('roll-asg', 'terminate their instance', [check('ec2:TerminateInstances', THEIR_INSTANCE)]),
  a(
    'roll-asg',
    'launch an instance without a launch template',
    runInstances({ image: OUR_BAKE, eniUntagged: true }),
  ),
  a('roll-asg', 'launch an instance from their template', LAUNCH_THEIRS),
  a('roll-asg', 'refresh our group onto their template', [
    check('autoscaling:StartInstanceRefresh', arn.group('web-production'), CONSENT),
    ...LAUNCH_THEIRS,
  ]),
  a('promote-ami-parameter', 'overwrite a parameter outside /golden-ami/', [
    check('ssm:PutParameter', arn.parameter('/payments/ami')),
  ]),
  a('bake-ami', 'tag a foreign instance as a builder', [
    check('ec2:CreateTags', THEIR_INSTANCE, requestTags({ 'golden-ami:builder': 'x' })),
  ]),
  a('bake-ami', 'terminate a foreign instance', [check('ec2:TerminateInstances', THEIR_INSTANCE)]),
  a('bake-ami', 'stop a foreign instance', [check('ec2:StopInstances', THEIR_INSTANCE)]),
  a('bake-ami', 'SendCommand to a foreign instance', [
    check('ssm:SendCommand', THEIR_INSTANCE, resourceTags({ team: 'payments' })),
  ]),
  a('bake-ami', 'image a foreign instance', [
    check('ec2:CreateImage', THEIR_INSTANCE, resourceTags({ team: 'payments' })),
    check('ec2:CreateImage', arn.image('*'), requestTags(imageTags())),
  ]),
  a('bake-ami', 'launch an untagged instance', runInstances({ image: AMAZON_IMAGE })),
  a('bake-ami', 'deregister a foreign AMI', [
    check('ec2:DeregisterImage', arn.image(THEIR_PLAIN_IMAGE.id), imageContext(THEIR_PLAIN_IMAGE)),
  ]),
  a('bake-ami', 'share a foreign AMI', [
    check('ec2:ModifyImageAttribute', arn.image(THEIR_PLAIN_IMAGE.id), imageContext(THEIR_PLAIN_IMAGE)),
  ]),
  a('bake-ami', 'retag a foreign AMI', [
    check('ec2:CreateTags', arn.image(THEIR_PLAIN_IMAGE.id), {
      ...resourceTags({ team: 'payments' }),
      ...requestTags({ team: 'x' }),
    }),
  ]),
  a('bake-ami', 'mark a foreign AMI completed', [
    check('ec2:CreateTags', arn.image(THEIR_PLAIN_IMAGE.id), {
      ...resourceTags({ team: 'payments' }),
      ...requestTags({ 'golden-ami:completed': 'true' }),
    }),
  ]),
  a('bake-ami', 'share a foreign snapshot', [
    check('ec2:ModifySnapshotAttribute', THEIR_SNAPSHOT, resourceTags({ team: 'payments' })),
  ]),
  a('bake-ami', 'delete a foreign snapshot', [
    check('ec2:DeleteSnapshot', THEIR_SNAPSHOT, resourceTags({ team: 'payments' })),
  ]),
];
