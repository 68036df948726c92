// The retire-amis action's inputs and outputs.
import { boolean, duration, integer, list, region, regionList } from '../core/input-fields.js';
import { defineAction, type Inputs } from '../core/inputs.js';

// Bake names as bake-ami writes them into the golden-ami:name tag.
const NAME = /^[A-Za-z0-9()[\] ./\-'@_]{1,128}$/;
const PARAMETER_NAME = /^(\/[A-Za-z0-9_.-]+)+$|^[A-Za-z0-9_.-]+$/;

export const retireSpec = defineAction({
  name: 'retire-amis',
  inputs: {
    names: list({
      description:
        'Bake names (the name input of bake-ami, kept in the golden-ami:name tag), one per line or comma-separated. Only AMIs you own carrying this tag and golden-ami:bake-id are considered.',
      required: true,
      unique: true,
      pattern: NAME,
      maxItems: 50,
      accepted: 'bake names (the name input of bake-ami, kept in the golden-ami:name tag)',
    }),
    regions: regionList({
      description:
        'Regions to retire AMIs in (where bake-ami made copies), one per line or comma-separated. Default: region.',
      maxItems: 30,
    }),
    region: region('AWS region (default for regions). Default: AWS_REGION or AWS_DEFAULT_REGION.'),
    'keep-count': integer({
      description: 'Keep the newest this many AMIs of each name in each region, used or not.',
      default: '3',
      min: 1,
      max: 1000,
    }),
    'keep-for': duration({
      description:
        'Keep every AMI younger than this, a duration with its unit such as 14d or 336h (a bare number is refused: it would be seconds).',
      unit: 'd',
      unitRequired: true,
      whole: false,
      default: '14d',
      min: 0,
      max: 3650,
      formerly: { name: 'keep-days', unit: 'd' },
    }),
    'deregister-after': duration({
      description:
        'Deregister an AMI (and delete its snapshots) only once it has been disabled this long, a duration with its unit such as 7d (a bare number is refused: it would be seconds). Until then EnableImage brings it back.',
      unit: 'd',
      unitRequired: true,
      whole: false,
      default: '7d',
      min: 1,
      max: 3650,
      formerly: { name: 'grace-days', unit: 'd' },
    }),
    parameters: list({
      description:
        'SSM parameters (as promote-ami-parameter writes them), one per line or comma-separated: the AMI of every labelled version and of the newest keep-parameter-versions versions is kept, in every region. Also needed before a deregistration-protected AMI may be retired.',
      unique: true,
      pattern: PARAMETER_NAME,
      maxItems: 50,
      accepted: 'SSM parameter names such as /golden-ami/web/production',
    }),
    'keep-parameter-versions': integer({
      description:
        'With parameters: keep the AMIs of this many newest versions of each parameter (rollback targets).',
      default: '3',
      min: 1,
      max: 100,
    }),
    'launch-template-versions': integer({
      description:
        "How many of each launch template's newest versions hold their AMIs (DescribeImageReferences version-depth, 1 to 10000). The default checks every version; the versions Auto Scaling groups use are always checked.",
      default: '10000',
      min: 1,
      max: 10000,
    }),
    'include-shared': boolean({
      description:
        'Also retire AMIs shared with other accounts or public. Their use cannot be seen from this account, so they are kept by default.',
      default: 'false',
    }),
    'max-retire': integer({
      description:
        'Most AMIs one run may disable or deregister. Over it, the step fails, lists them and changes nothing.',
      default: '10',
      min: 0,
      max: 100_000,
    }),
    'max-retire-percent': integer({
      description:
        'Most AMIs one run may disable or deregister, as a percentage of the AMIs in scope. Over it, the step fails and changes nothing.',
      default: '50',
      min: 0,
      max: 100,
    }),
    'dry-run': boolean({
      description: 'Decide and report (outputs, job summary) without changing anything.',
      default: 'false',
    }),
  },
  outputs: {
    retired:
      'JSON array of the AMIs deregistered by this run (their snapshots deleted): [{"region","imageId","name"}]. In a dry run, the ones that would be.',
    disabled:
      'JSON array of the AMIs disabled and deprecated by this run, same shape. In a dry run, the ones that would be.',
    'kept-count': 'How many AMIs in scope are kept (in use, retained by the rules, or re-enabled).',
  },
});

export type RetireInputs = Inputs<typeof retireSpec.inputs>;
